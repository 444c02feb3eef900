"""Units of work started at the same time, as concurrent requests start them: each one reads, yields to
the others, then writes. Adapters may interleave them (memory, PostgreSQL) or let them take turns
(SQLite), but none may fail one for the mere overlap (SQLite answering "database is locked"); a unique
email still lets exactly one through."""

import asyncio

from application.pagination import PageRequest
from domain.errors import EmailAlreadyRegistered
from domain.users import Email
from tests.contract.stored import UowFactory
from tests.factories import UserFactory

CONCURRENT = 10  # within every adapter's pool


async def read_then_write(uow_factory: UowFactory, email: Email) -> None:
    async with uow_factory() as uow:
        await uow.users.get_by_email(email)  # the use case's check, in the same unit of work
        await asyncio.sleep(0)  # not a wait: a yield, so that the other units of work run their reads
        await uow.users.add(UserFactory(email=email))
        await uow.commit()


async def test_overlapping_read_then_write_units_of_work_all_commit(uow_factory: UowFactory) -> None:
    emails = [Email(f"user{i}@example.com") for i in range(CONCURRENT)]

    await asyncio.gather(*(read_then_write(uow_factory, email) for email in emails))

    async with uow_factory() as uow:
        stored = (await uow.users.list(PageRequest(limit=100))).items
    assert sorted(user.email.value for user in stored) == sorted(email.value for email in emails)


async def test_overlapping_registrations_of_one_email_let_exactly_one_through(
    uow_factory: UowFactory,
) -> None:
    email = Email("ada@example.com")

    results = await asyncio.gather(
        *(read_then_write(uow_factory, email) for _ in range(CONCURRENT)), return_exceptions=True
    )

    assert results.count(None) == 1, results
    assert all(isinstance(r, EmailAlreadyRegistered) for r in results if r is not None), results
    async with uow_factory() as uow:
        assert [user.email for user in (await uow.users.list(PageRequest())).items] == [email]
