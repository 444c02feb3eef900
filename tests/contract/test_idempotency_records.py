"""What every IdempotencyRecords adapter does: one record per (caller, key), whoever adds it and however
units of work interleave; writes conditioned on the holder's token; expired records deleted; the answer
stored with the unit of work that creates."""

import asyncio
from datetime import UTC, datetime, timedelta

from application.ports.idempotency import IdempotencyRecord, IdempotentRequest, StoredResponse
from tests.contract.stored import UowFactory

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)
ANSWER = StoredResponse(201, (("Location", "/posts/7"), ("ETag", '"7.1"')), b'{"id":7}')


def record(
    token: str = "a" * 32, caller: str = "user:1", key: str = "key-1", expires_in: float = 24
) -> IdempotencyRecord:
    return IdempotencyRecord(
        IdempotentRequest(caller, key, "f" * 64),
        token,
        NOW + timedelta(seconds=60),
        NOW + timedelta(hours=expires_in),
    )


async def add(uow_factory: UowFactory, new: IdempotencyRecord) -> bool:
    async with uow_factory() as uow:
        added = await uow.idempotency.add(new)
        await uow.commit()
    return added


async def stored(
    uow_factory: UowFactory, caller: str = "user:1", key: str = "key-1"
) -> IdempotencyRecord | None:
    async with uow_factory() as uow:
        return await uow.idempotency.get(caller, key)


async def test_one_record_per_caller_and_key(uow_factory: UowFactory) -> None:
    assert await add(uow_factory, record()) is True
    assert await add(uow_factory, record(token="b" * 32)) is False
    assert await add(uow_factory, record(caller="user:2")) is True  # another caller's key
    assert await add(uow_factory, record(key="key-2")) is True

    assert await stored(uow_factory) == record()  # the first one, running (no answer)


async def test_concurrent_adds_of_one_key_store_exactly_one(uow_factory: UowFactory) -> None:
    async def claim(i: int) -> bool:
        async with uow_factory() as uow:
            await asyncio.sleep(0)  # not a wait: a yield, so that the units of work interleave
            added = await uow.idempotency.add(record(token=f"{i:032d}"))
            await uow.commit()
            return added

    results = await asyncio.gather(*(claim(i) for i in range(8)))

    assert results.count(True) == 1, results
    found = await stored(uow_factory)
    assert found is not None
    assert found.token == f"{results.index(True):032d}"


async def test_the_answer_is_stored_only_by_the_holder_and_with_its_unit_of_work(
    uow_factory: UowFactory,
) -> None:
    await add(uow_factory, record())

    async with uow_factory() as uow:
        assert await uow.idempotency.complete("user:1", "key-1", "b" * 32, ANSWER) is False
        assert await uow.idempotency.complete("user:1", "key-1", "a" * 32, ANSWER) is True
    running = await stored(uow_factory)  # left without commit: nothing written
    assert running is not None
    assert running.response is None

    async with uow_factory() as uow:
        assert await uow.idempotency.complete("user:1", "key-1", "a" * 32, ANSWER) is True
        await uow.commit()
    done = await stored(uow_factory)
    assert done is not None
    assert done.response == ANSWER


async def test_release_and_take_over_need_the_holders_token(uow_factory: UowFactory) -> None:
    await add(uow_factory, record())
    successor = record(token="c" * 32)

    async with uow_factory() as uow:
        await uow.idempotency.release("user:1", "key-1", "b" * 32)  # not the holder: nothing
        assert await uow.idempotency.take_over(successor, "b" * 32) is False
        assert await uow.idempotency.take_over(successor, "a" * 32) is True
        await uow.commit()
    assert await stored(uow_factory) == successor

    async with uow_factory() as uow:
        await uow.idempotency.release("user:1", "key-1", "c" * 32)
        await uow.commit()
    assert await stored(uow_factory) is None
    assert await add(uow_factory, record()) is True  # the key is free again


async def test_an_answered_record_is_not_taken_over(uow_factory: UowFactory) -> None:
    await add(uow_factory, record())
    async with uow_factory() as uow:
        await uow.idempotency.complete("user:1", "key-1", "a" * 32, ANSWER)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.idempotency.take_over(record(token="c" * 32), "a" * 32) is False


async def test_expired_records_are_deleted(uow_factory: UowFactory) -> None:
    await add(uow_factory, record(key="old", expires_in=1))
    await add(uow_factory, record(key="young", expires_in=24))

    async with uow_factory() as uow:
        await uow.idempotency.delete_expired(NOW + timedelta(hours=1))
        await uow.commit()

    assert await stored(uow_factory, key="old") is None
    assert await stored(uow_factory, key="young") is not None
