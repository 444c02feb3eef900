"""Read paths load what they return eagerly, in a fixed number of statements whatever the page holds (a
post's comment count included)."""

from collections.abc import AsyncIterator

import httpx
import pytest
from dependency_injector import providers
from sqlalchemy import event

from api.app import create_app
from infrastructure.container import Container
from infrastructure.sql.engine import Database
from infrastructure.sql.unit_of_work import SqlUnitOfWork
from tests.api.sql_apps import app_client
from tests.factories import CommentFactory, PostFactory, UserFactory, id_of


class StatementCounter:
    def __init__(self, database: Database) -> None:
        self.statements: list[str] = []
        event.listen(database.sync_engine, "before_cursor_execute", self._record)

    def _record(self, conn: object, cursor: object, statement: str, *args: object) -> None:
        self.statements.append(statement)

    async def count(self, client: httpx.AsyncClient, url: str) -> int:
        self.statements.clear()
        response = await client.get(url)
        assert response.status_code == 200, response.text
        return len(self.statements)


@pytest.fixture
async def client(sql_database: Database) -> AsyncIterator[httpx.AsyncClient]:
    container = Container()
    container.database.override(providers.Object(sql_database))
    async with app_client(create_app(container)) as client:
        yield client


async def seed_author_with_posts(database: Database, count: int) -> tuple[int, int]:
    async with SqlUnitOfWork(database) as uow:
        author = await uow.users.add(UserFactory())
        posts = [await uow.posts.add(PostFactory(author_id=author.id)) for _ in range(count)]
        await uow.commit()
    return id_of(author), id_of(posts[-1])


async def test_read_paths_use_the_same_few_statements_for_1_and_50_posts(
    sql_database: Database, client: httpx.AsyncClient
) -> None:
    counter = StatementCounter(sql_database)
    counts = {}
    for size in (1, 50):
        author_id, post_id = await seed_author_with_posts(sql_database, size)
        counts[size] = {
            "user posts": await counter.count(client, f"/users/{author_id}/posts?limit=100"),
            "posts": await counter.count(client, "/posts/?limit=100"),
            "post": await counter.count(client, f"/posts/{post_id}"),
        }

    assert counts[1] == counts[50]
    assert counts[50] == {"user posts": 1, "posts": 1, "post": 1}  # posts found: the user exists


async def test_an_empty_page_of_a_user_s_posts_looks_the_user_up(
    sql_database: Database, client: httpx.AsyncClient
) -> None:
    counter = StatementCounter(sql_database)
    author_id, post_id = await seed_author_with_posts(sql_database, 1)
    assert await counter.count(client, f"/users/{author_id}/posts?after={post_id}") == 2
    assert (await client.get(f"/users/{author_id}/posts?after={post_id}")).json() == []
    assert (await client.get(f"/users/{author_id + 1000}/posts")).status_code == 404


async def test_comment_counts_and_pages_of_comments_cost_no_statement_per_item(
    sql_database: Database, client: httpx.AsyncClient
) -> None:
    counter = StatementCounter(sql_database)
    counts = {}
    for size in (1, 50):
        author_id, post_id = await seed_author_with_posts(sql_database, size)
        async with SqlUnitOfWork(sql_database) as uow:
            comments = [
                await uow.comments.add(CommentFactory(post_id=post_id, author_id=author_id))
                for _ in range(size)
            ]
            await uow.commit()
        counts[size] = {
            "user posts": await counter.count(client, f"/users/{author_id}/posts?limit=100"),
            "post": await counter.count(client, f"/posts/{post_id}"),
            "comments": await counter.count(client, f"/posts/{post_id}/comments?limit=100"),
            "comment": await counter.count(client, f"/comments/{id_of(comments[-1])}"),
        }
        assert (await client.get(f"/posts/{post_id}")).json()["comment_count"] == size

    assert counts[1] == counts[50] == {"user posts": 1, "post": 1, "comments": 1, "comment": 1}
