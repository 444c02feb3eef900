"""What every UserRepository / UnitOfWork adapter does, whatever stores it."""

from dataclasses import replace
from datetime import timedelta

import pytest

from application.pagination import PageRequest
from domain.errors import EmailAlreadyRegistered
from domain.users import Email, PublicProfile, User
from tests.contract.stored import UowFactory, add_users, assert_added_in_id_order
from tests.factories import UserFactory, id_of


async def test_add_assigns_increasing_ids_and_get_returns_an_equal_user(uow_factory: UowFactory) -> None:
    users = await add_users(uow_factory, 2)

    await assert_added_in_id_order(uow_factory, lambda uow, user_id: uow.users.get(user_id), *users)


async def test_get_unknown_id_is_none(uow_factory: UowFactory) -> None:
    async with uow_factory() as uow:
        assert await uow.users.get(123_456) is None


async def test_get_by_email_finds_the_normalised_address(uow_factory: UowFactory) -> None:
    (user,) = await add_users(uow_factory, 1)
    async with uow_factory() as uow:
        assert await uow.users.get_by_email(Email(user.email.value.upper())) == user
        assert await uow.users.get_by_email(Email("nobody@example.com")) is None


async def test_created_at_round_trips_as_an_aware_utc_time(uow_factory: UowFactory) -> None:
    (user,) = await add_users(uow_factory, 1)
    async with uow_factory() as uow:
        stored = await uow.users.get(id_of(user))
    assert stored is not None
    assert stored.created_at == user.created_at
    assert stored.created_at.utcoffset() is not None


async def test_email_is_unique_in_any_letter_case(uow_factory: UowFactory) -> None:
    (user,) = await add_users(uow_factory, 1)
    with pytest.raises(EmailAlreadyRegistered):
        async with uow_factory() as uow:
            await uow.users.add(UserFactory(email=Email(user.email.value.upper())))
            await uow.commit()
    async with uow_factory() as uow:
        assert len((await uow.users.list(PageRequest(limit=10))).items) == 1


async def test_leaving_without_commit_stores_nothing(uow_factory: UowFactory) -> None:
    async with uow_factory() as uow:
        await uow.users.add(UserFactory())
    async with uow_factory() as uow:
        assert (await uow.users.list(PageRequest())).items == []


async def test_an_error_inside_the_unit_of_work_rolls_everything_back(uow_factory: UowFactory) -> None:
    with pytest.raises(RuntimeError):
        async with uow_factory() as uow:
            await uow.users.add(UserFactory())
            raise RuntimeError("boom")
    async with uow_factory() as uow:
        assert (await uow.users.list(PageRequest())).items == []


@pytest.mark.parametrize("limit", [1, 3, 7, 100])
async def test_keyset_pages_cover_every_user_once_in_id_order(uow_factory: UowFactory, limit: int) -> None:
    users = await add_users(uow_factory, 7)
    seen: list[User] = []
    after, pages = 0, 0
    while True:
        async with uow_factory() as uow:
            page = await uow.users.list(PageRequest(limit=limit, after=after))
        seen.extend(page.items)
        pages += 1
        assert len(page.items) <= limit
        if page.next_cursor is None:
            break
        after = page.next_cursor
    assert seen == users
    assert pages == -(-len(users) // limit)


async def test_list_after_the_last_id_is_empty(uow_factory: UowFactory) -> None:
    users = await add_users(uow_factory, 2)
    async with uow_factory() as uow:
        page = await uow.users.list(PageRequest(after=id_of(users[-1])))
    assert (page.items, page.next_cursor) == ([], None)


async def test_a_rotated_credentials_stamp_is_stored(uow_factory: UowFactory) -> None:
    (user,) = await add_users(uow_factory, 1)
    signed_out = user.signed_out()
    assert signed_out.credentials_stamp != user.credentials_stamp
    async with uow_factory() as uow:
        await uow.users.update(signed_out)
        await uow.commit()
    async with uow_factory() as uow:
        stored = await uow.users.get(id_of(user))
    assert stored is not None
    assert stored.credentials_stamp == signed_out.credentials_stamp


async def test_update_writes_only_while_the_password_hash_is_the_expected_one(
    uow_factory: UowFactory,
) -> None:
    (user,) = await add_users(uow_factory, 1)
    first = user.changed(password_hash="first new hash")
    second = user.changed(password_hash="second new hash")

    async with uow_factory() as uow:
        assert await uow.users.update(first, if_password_hash=user.password_hash) == 2
        await uow.commit()
    async with uow_factory() as uow:  # the hash it expects is gone: nothing written
        assert await uow.users.update(second, if_password_hash=user.password_hash) is None
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.users.get(id_of(user)) == replace(first, version=2)
        assert await uow.users.update(second.with_id(123_456)) is None  # no such user


async def test_a_conditional_delete_removes_the_user_only_while_the_hash_is_the_expected_one(
    uow_factory: UowFactory,
) -> None:
    (user,) = await add_users(uow_factory, 1)

    async with uow_factory() as uow:  # the password changed since it was proven: nothing removed
        assert await uow.users.delete(id_of(user), if_password_hash="another hash") is False
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.users.get(id_of(user)) == user
        assert await uow.users.delete(id_of(user), if_password_hash=user.password_hash) is True
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.users.get(id_of(user)) is None
        assert await uow.users.delete(id_of(user)) is False  # no such user


async def test_a_public_profile_is_the_user_s_id_name_creation_time_and_version(
    uow_factory: UowFactory,
) -> None:
    (user,) = await add_users(uow_factory, 1)
    async with uow_factory() as uow:
        profile = await uow.users.get_profile(id_of(user))
        assert await uow.users.get_profile(123_456) is None
    assert profile == PublicProfile(id_of(user), user.name, user.created_at, 1)
    assert profile.created_at.utcoffset() == timedelta(0)


@pytest.mark.parametrize("limit", [1, 3, 100])
async def test_profile_pages_cover_every_user_once_in_id_order(uow_factory: UowFactory, limit: int) -> None:
    users = await add_users(uow_factory, 5)
    seen: list[PublicProfile] = []
    after = 0
    while True:
        async with uow_factory() as uow:
            page = await uow.users.list_profiles(PageRequest(limit=limit, after=after))
        seen.extend(page.items)
        assert len(page.items) <= limit
        if page.next_cursor is None:
            break
        after = page.next_cursor
    assert seen == [user.public_profile() for user in users]
