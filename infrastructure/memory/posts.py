"""Posts in memory."""

from collections.abc import Collection
from dataclasses import replace

from application.pagination import Page, PageRequest
from application.ports.posts import AuthorSummary, PostWithAuthor
from domain.posts import Post, PostNotFound
from infrastructure.memory.pages import page_of
from infrastructure.memory.repository import InMemoryRepository, Staged, copied
from infrastructure.memory.tables import TableSpec
from infrastructure.memory.users import USERS

POSTS: TableSpec[Post] = TableSpec(
    "posts",
    parents=((USERS, lambda post: post.author_id),),
    not_found=PostNotFound,
    counters=("comment_count",),  # kept by the comments' writes (infrastructure.memory.comments)
)


class InMemoryPostRepository(InMemoryRepository):
    _posts = Staged(POSTS)
    _users = Staged(USERS)

    async def add(self, post: Post) -> Post:
        stored = replace(post, id=self._uow.store.next_id(POSTS.name), version=1, comment_count=0)
        self._uow.insert(POSTS, stored.id, stored)
        return replace(stored)

    async def get(self, post_id: int) -> Post | None:
        return copied(self._posts.rows.get(post_id))

    async def get_with_author(self, post_id: int) -> PostWithAuthor | None:
        post = self._posts.rows.get(post_id)
        if post is None:
            return None
        author = self._users.rows[post.author_id]
        return PostWithAuthor(replace(post), AuthorSummary(post.author_id, author.name, author.created_at))

    async def list(self, page: PageRequest, author_id: int | None = None) -> Page[Post]:
        return page_of(self._posts.rows, page, lambda p: author_id is None or p.author_id == author_id)

    async def update(self, post: Post, *, if_version_in: Collection[int] | None = None) -> int | None:
        """Title, content and update time change; author and creation time never do."""
        assert post.id is not None
        stored = self._posts.latest(post.id)
        if stored is None or (if_version_in is not None and stored.version not in if_version_in):
            return None
        version = stored.version + 1
        self._posts.rows[post.id] = replace(
            stored, title=post.title, content=post.content, updated_at=post.updated_at, version=version
        )
        return version

    async def delete(self, post_id: int, *, if_version_in: Collection[int] | None = None) -> bool:
        stored = self._posts.latest(post_id)
        if stored is None or (if_version_in is not None and stored.version not in if_version_in):
            return False
        self._uow.delete(POSTS, post_id)
        return True

    async def renew_versions_of_author(self, author_id: int) -> None:
        rows = self._posts.rows
        for post_id, post in list(rows.items()):
            if post.author_id == author_id:
                rows[post_id] = replace(post, version=post.version + 1)
