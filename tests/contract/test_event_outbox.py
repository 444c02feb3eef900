"""What every event outbox adapter does (memory, SQLite, PostgreSQL, PgBouncer): an event is stored with
the change, as its type, subject, data and time, and nothing of a rolled-back unit of work; the events
of one subject are claimed one at a time in id order, the next only once the one before it is
published or given up; other subjects are not held back; and each row carries the traceparent of
where it was written."""

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import cast

import orjson
import pytest

from application.events import POST_CREATED, POST_UPDATED, USER_REGISTERED
from application.ports.units_of_work import UnitOfWork
from domain.posts import Post
from infrastructure.events.queue import EventQueue, QueuedEvent
from infrastructure.outbox import trace_context
from tests.contract.stored import UowFactory, add_users
from tests.factories import id_of

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def queue(uow: UnitOfWork) -> EventQueue:
    """The delivery side of the unit of work's events (every adapter's, with events on)."""
    return cast(EventQueue, uow.events)


def later() -> datetime:
    return datetime.now(UTC) + timedelta(minutes=1)


async def claim(uow_factory: UowFactory, now: datetime | None = None, lease: int = 60) -> list[QueuedEvent]:
    now = now or later()
    async with uow_factory() as uow:
        claimed = await queue(uow).claim(now, now + timedelta(seconds=lease), 50)
        await uow.commit()
    return claimed


async def write_posts(uow_factory: UowFactory, count: int) -> list[Post]:
    """`count` posts of one author, each with its post.created event."""
    (author,) = await add_users(uow_factory, 1)
    async with uow_factory() as uow:
        posts = []
        for n in range(count):
            now = datetime(2026, 12, 1, 10, n, tzinfo=UTC)
            post = await uow.posts.add(Post.write(id_of(author), f"Title {n}", f"Content {n}", now))
            await uow.events.add(POST_CREATED, post)
            posts.append(post)
        await uow.commit()
    return posts


async def update(uow_factory: UowFactory, post: Post, times: int) -> None:
    """Edit `post` `times` times, each edit its own unit of work with its post.updated event."""
    for n in range(times):
        async with uow_factory() as uow:
            edited = replace(post, title=f"Edit {n}")
            version = await uow.posts.update(edited)
            await uow.events.add(POST_UPDATED, replace(edited, version=version or 0))
            await uow.commit()


async def test_an_event_is_stored_as_its_type_subject_data_and_time(uow_factory: UowFactory) -> None:
    before = datetime.now(UTC)
    (post,) = await write_posts(uow_factory, 1)

    (claimed,) = await claim(uow_factory)

    assert (claimed.type, claimed.subject, claimed.attempts) == (
        "users-posts.post.created",
        f"posts/{post.id}",
        1,
    )
    assert orjson.loads(claimed.data) == {
        "id": post.id,
        "title": "Title 0",
        "content": "Content 0",
        "author_id": post.author_id,
        "created_at": "2026-12-01T10:00:00Z",
        "updated_at": "2026-12-01T10:00:00Z",
        "version": 1,
    }
    assert before - timedelta(seconds=1) <= claimed.time <= datetime.now(UTC)
    assert len(claimed.key) == 32


async def test_nothing_of_a_rolled_back_unit_of_work_is_claimed(uow_factory: UowFactory) -> None:
    (user,) = await add_users(uow_factory, 1)
    async with uow_factory() as uow:
        await uow.events.add(USER_REGISTERED, user)
    assert await claim(uow_factory) == []


async def test_the_events_of_one_subject_are_claimed_one_at_a_time_in_order(uow_factory: UowFactory) -> None:
    first, other = await write_posts(uow_factory, 2)
    await update(uow_factory, first, 2)

    created_first, created_other = await claim(uow_factory)  # the head of each subject, nothing else
    assert [e.subject for e in (created_first, created_other)] == [f"posts/{first.id}", f"posts/{other.id}"]
    assert await claim(uow_factory, later() + timedelta(seconds=30)) == []  # leased: still pending

    async with uow_factory() as uow:
        await queue(uow).mark_all_sent([created_first.id, created_other.id], later())
        await uow.commit()
    (first_edit,) = await claim(uow_factory)
    async with uow_factory() as uow:
        await queue(uow).give_up(first_edit.id, "refused")  # given up: the next may go
        await uow.commit()
    (second_edit,) = await claim(uow_factory)

    titles = [orjson.loads(e.data)["title"] for e in (first_edit, second_edit)]
    versions = [orjson.loads(e.data)["version"] for e in (first_edit, second_edit)]
    assert (titles, versions) == (["Edit 0", "Edit 1"], [2, 3])
    assert created_first.id < first_edit.id < second_edit.id


async def test_a_retried_head_holds_its_subject_back(uow_factory: UowFactory) -> None:
    (post,) = await write_posts(uow_factory, 1)
    await update(uow_factory, post, 1)
    (head,) = await claim(uow_factory)
    async with uow_factory() as uow:
        await queue(uow).retry_at(head.id, later() + timedelta(minutes=10), "the broker went away")
        await uow.commit()
    assert await claim(uow_factory) == []
    (again,) = await claim(uow_factory, later() + timedelta(minutes=11))
    assert (again.id, again.attempts) == (head.id, 2)


@pytest.fixture
def traced() -> Iterator[None]:
    """Tracing's hook set, as the tracing set-up does."""
    trace_context.current_traceparent = lambda: TRACEPARENT
    try:
        yield
    finally:
        trace_context.current_traceparent = trace_context.no_traceparent


async def test_a_row_carries_the_traceparent_it_was_written_with(
    uow_factory: UowFactory, traced: None
) -> None:
    await write_posts(uow_factory, 1)
    (claimed,) = await claim(uow_factory)
    assert claimed.traceparent == TRACEPARENT


async def test_a_row_written_outside_a_trace_has_none(uow_factory: UowFactory) -> None:
    await write_posts(uow_factory, 1)
    (claimed,) = await claim(uow_factory)
    assert claimed.traceparent is None


async def test_pending_counts_what_waits(uow_factory: UowFactory) -> None:
    await write_posts(uow_factory, 3)
    async with uow_factory() as uow:
        assert await queue(uow).pending() == 3
    first, *_ = await claim(uow_factory)
    async with uow_factory() as uow:
        await queue(uow).mark_sent(first.id, later())
        await uow.commit()
    async with uow_factory() as uow:
        assert await queue(uow).pending() == 2
