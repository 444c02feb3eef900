"""Comments in memory, and the `comment_count` of their posts (a counter of the posts' table: see
infrastructure.memory.tables)."""

from collections.abc import Collection
from dataclasses import replace

from application.pagination import Page, PageRequest
from application.ports.comments import Commenter, CommentWithAuthor
from domain.comments import Comment, CommentNotFound
from infrastructure.memory.pages import page_of
from infrastructure.memory.posts import POSTS
from infrastructure.memory.repository import InMemoryRepository, Staged, copied
from infrastructure.memory.tables import TableSpec
from infrastructure.memory.users import USERS

COMMENTS: TableSpec[Comment] = TableSpec(
    "comments",
    parents=((POSTS, lambda comment: comment.post_id), (USERS, lambda comment: comment.author_id)),
    not_found=CommentNotFound,
)


class InMemoryCommentRepository(InMemoryRepository):
    _comments = Staged(COMMENTS)
    _posts = Staged(POSTS)
    _users = Staged(USERS)

    async def add(self, comment: Comment) -> Comment:
        stored = replace(comment, id=self._uow.store.next_id(COMMENTS.name), version=1)
        self._uow.insert(COMMENTS, stored.id, stored)  # PostNotFound, UserNotFound without them
        self._posts.add_to(stored.post_id, "comment_count", 1)
        return replace(stored)

    async def get(self, comment_id: int) -> Comment | None:
        return copied(self._comments.rows.get(comment_id))

    async def get_with_author(self, comment_id: int) -> CommentWithAuthor | None:
        comment = self._comments.rows.get(comment_id)
        return self._with_author(comment) if comment is not None else None

    async def list_under(self, post_id: int, page: PageRequest) -> Page[CommentWithAuthor]:
        comments = page_of(self._comments.rows, page, lambda comment: comment.post_id == post_id)
        return Page([self._with_author(comment) for comment in comments.items], comments.next_cursor)

    async def update(self, comment: Comment, *, if_version_in: Collection[int] | None = None) -> int | None:
        """Body and update time change; post, author and creation time never do."""
        assert comment.id is not None
        stored = self._comments.latest(comment.id)
        if stored is None or (if_version_in is not None and stored.version not in if_version_in):
            return None
        version = stored.version + 1
        self._comments.rows[comment.id] = replace(
            stored, body=comment.body, updated_at=comment.updated_at, version=version
        )
        return version

    async def delete(self, comment_id: int, *, if_version_in: Collection[int] | None = None) -> bool:
        stored = self._comments.latest(comment_id)
        if stored is None or (if_version_in is not None and stored.version not in if_version_in):
            return False
        self._uow.delete(COMMENTS, comment_id)
        self._posts.add_to(stored.post_id, "comment_count", -1)
        return True

    async def delete_of_author(self, author_id: int) -> None:
        for comment_id, comment in list(self._comments.rows.items()):
            if comment.author_id == author_id:
                self._uow.delete(COMMENTS, comment_id)
                self._posts.add_to(comment.post_id, "comment_count", -1)

    async def renew_versions_of_author(self, author_id: int) -> None:
        rows = self._comments.rows
        for comment_id, comment in list(rows.items()):
            if comment.author_id == author_id:
                rows[comment_id] = replace(comment, version=comment.version + 1)

    def _with_author(self, comment: Comment) -> CommentWithAuthor:
        author = self._users.rows[comment.author_id]
        return CommentWithAuthor(replace(comment), Commenter(comment.author_id, author.name))
