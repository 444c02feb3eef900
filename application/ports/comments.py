"""Comments: reading and storing them. Storing one also keeps its post's `comment_count` exact, in the
same transaction."""

from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol

from application.pagination import Page, PageRequest
from domain.comments import Comment


@dataclass(frozen=True, slots=True)
class Commenter:
    """A comment's author as a comment shows them: id and name."""

    id: int
    name: str


@dataclass(frozen=True, slots=True)
class CommentWithAuthor:
    """Read model: a comment and who wrote it, loaded together."""

    comment: Comment
    author: Commenter


class CommentReader(Protocol):
    """Reads comments."""

    async def get(self, comment_id: int) -> Comment | None: ...

    async def get_with_author(self, comment_id: int) -> CommentWithAuthor | None:
        """The comment and its author's summary, in one round trip."""
        ...

    async def list_under(self, post_id: int, page: PageRequest) -> Page[CommentWithAuthor]:
        """The comments under a post, oldest (lowest id) first, keyset-paged, each with its author."""
        ...


class CommentRepository(CommentReader, Protocol):
    async def add(self, comment: Comment) -> Comment:
        """Store a new comment, count it on its post (`comment_count + 1`, in the same transaction), and
        return it with its assigned id; PostNotFound without its post, UserNotFound without its author."""
        ...

    async def update(self, comment: Comment, *, if_version_in: Collection[int] | None = None) -> int | None:
        """Store its body and update time and increment its version; return the new version. With
        `if_version_in`, only if the stored version is one of those, checked in the writing statement.
        None when nothing was written (no such comment, or another version)."""
        ...

    async def delete(self, comment_id: int, *, if_version_in: Collection[int] | None = None) -> bool:
        """Remove the comment (with `if_version_in`: only at one of those versions) and uncount it on its
        post; False if nothing was removed."""
        ...

    async def delete_of_author(self, author_id: int) -> None:
        """Remove every comment of the author and uncount each on its post: what deleting their account
        does first (the account's row is locked by then, so that no comment of theirs comes meanwhile)."""
        ...

    async def renew_versions_of_author(self, author_id: int) -> None:
        """Increment the version of every comment of the author: a comment is shown with its author's
        name."""
        ...
