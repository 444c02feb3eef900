"""The Idempotency use case on the in-memory adapters: replay, reuse, release on failure, and a create
whose claim was taken over (its lease ran out) rolled back, so a key never makes two rows."""

from collections.abc import Callable
from datetime import timedelta

import pytest

from application.idempotency import LEASE, Completion, Idempotency, IdempotencyKeyInUse, IdempotencyKeyReused
from application.ports.idempotency import IdempotentRequest, StoredResponse
from application.posts import CreatePost
from domain.errors import NotFound
from domain.posts import Post
from infrastructure.memory import InMemoryUnitOfWork, MemoryStore
from tests.factories import UserFactory, id_of
from tests.fakes import FixedClock

REQUEST = IdempotentRequest("user:1", "key", "f" * 64)


def respond(post: Post) -> StoredResponse:
    return StoredResponse(201, (("Location", f"/posts/{post.id}"),), str(post.id).encode())


@pytest.fixture
async def author(store: MemoryStore) -> int:
    async with InMemoryUnitOfWork(store) as uow:
        user = await uow.users.add(UserFactory())
        await uow.commit()
    return id_of(user)


def parts(store: MemoryStore, clock: FixedClock) -> tuple[Idempotency, CreatePost]:
    new_uow: Callable[[], InMemoryUnitOfWork] = lambda: InMemoryUnitOfWork(store)  # noqa: E731
    return Idempotency(new_uow, clock), CreatePost(new_uow, clock)


async def test_a_retry_is_answered_from_the_record(
    store: MemoryStore, clock: FixedClock, author: int
) -> None:
    idempotency, create = parts(store, clock)

    async def write(completion: Completion[Post]) -> Post:
        return await create(author, "Title", "Content", completion)

    first = await idempotency.run(REQUEST, write, respond)
    again = await idempotency.run(REQUEST, write, respond)

    assert (first.replayed, again.replayed) == (False, True)
    assert again.response == first.response == StoredResponse(201, (("Location", "/posts/1"),), b"1")
    assert len(store.posts) == 1
    with pytest.raises(IdempotencyKeyReused):
        await idempotency.run(IdempotentRequest("user:1", "key", "0" * 64), write, respond)


async def test_a_failed_create_releases_its_key(store: MemoryStore, clock: FixedClock) -> None:
    idempotency, create = parts(store, clock)

    with pytest.raises(NotFound):  # no such author
        await idempotency.run(REQUEST, lambda done: create(999, "Title", "Content", done), respond)

    assert store.idempotency == {}


async def test_a_create_whose_claim_was_taken_over_is_rolled_back(
    store: MemoryStore, clock: FixedClock, author: int
) -> None:
    idempotency, create = parts(store, clock)

    async def slow_create(completion: Completion[Post]) -> Post:
        # This request stalls past its lease; a retry takes the key over and creates the post.
        clock.advance(seconds=LEASE.total_seconds() + 1)
        retry = await idempotency.run(REQUEST, lambda done: create(author, "Title", "Content", done), respond)
        assert retry.replayed is False
        return await create(author, "Title", "Content", completion)

    with pytest.raises(IdempotencyKeyInUse):
        await idempotency.run(REQUEST, slow_create, respond)

    assert len(store.posts) == 1  # the retry's: the stalled request wrote nothing
    (record,) = store.idempotency.values()
    assert record.response == StoredResponse(201, (("Location", "/posts/1"),), b"1")
    assert record.expires_at - record.locked_until == timedelta(hours=24) - LEASE
