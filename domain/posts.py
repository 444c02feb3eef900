"""Posts: written by a user, edited only by their author."""

from dataclasses import dataclass, replace
from datetime import datetime

from domain.errors import NotFound, PermissionDenied, PreconditionFailed
from domain.text import multi_line, single_line

TITLE_MAX_LENGTH = 200
CONTENT_MAX_LENGTH = 10_000


class PostNotFound(NotFound, entity="Post"):
    """No post has this id."""


class PostChanged(PreconditionFailed, message="The post has changed since the version given"):
    """A conditional write of the post found another version: nothing was written."""


class NotTheAuthor(PermissionDenied, message="Only the author of a post may change or delete it"):
    """Someone other than its author tried to change the post."""


def post_title(value: str) -> str:
    """A title: trimmed, non-empty, one line, at most TITLE_MAX_LENGTH characters."""
    return single_line("title", value, TITLE_MAX_LENGTH)


def post_content(value: str) -> str:
    """Content: non-blank, at most CONTENT_MAX_LENGTH characters, kept as written."""
    return multi_line("content", value, CONTENT_MAX_LENGTH)


@dataclass(slots=True, kw_only=True)
class Post:
    """A post. `id` is None until a repository stores it."""

    id: int | None = None
    title: str
    content: str
    author_id: int
    created_at: datetime
    updated_at: datetime
    # Grows with every write of the post, its author's name included (a post is shown with it): what
    # its entity tag says, and what a conditional write compares.
    version: int = 1
    # How many comments are under it, kept by the store in the transaction that writes or deletes one.
    # Not part of `version`: a comment does not change the post, so its author's If-Match stays good.
    comment_count: int = 0

    @classmethod
    def write(cls, author_id: int, title: str, content: str, now: datetime) -> "Post":
        return cls(
            title=post_title(title),
            content=post_content(content),
            author_id=author_id,
            created_at=now,
            updated_at=now,
        )

    def edited(self, editor_id: int, now: datetime, title: str | None, content: str | None) -> "Post":
        """This post with a new title and/or content, if `editor_id` is its author."""
        self.check_owner(editor_id)
        return replace(
            self,
            title=self.title if title is None else post_title(title),
            content=self.content if content is None else post_content(content),
            updated_at=now,
        )

    def check_owner(self, user_id: int) -> None:
        """Raise NotTheAuthor unless `user_id` wrote this post."""
        if user_id != self.author_id:
            raise NotTheAuthor()

    def with_id(self, post_id: int) -> "Post":
        return replace(self, id=post_id)
