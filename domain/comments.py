"""Comments: written under a post by a user, edited only by their author."""

from dataclasses import dataclass, replace
from datetime import datetime

from domain.errors import NotFound, PermissionDenied, PreconditionFailed
from domain.text import multi_line

BODY_MAX_LENGTH = 5_000


class CommentNotFound(NotFound, entity="Comment"):
    """No comment has this id."""


class CommentChanged(PreconditionFailed, message="The comment has changed since the version given"):
    """A conditional write of the comment found another version: nothing was written."""


class NotTheCommentAuthor(PermissionDenied, message="Only the author of a comment may change it"):
    """Someone other than its author tried to change the comment."""


def comment_body(value: str) -> str:
    """A body: trimmed, non-empty, at most BODY_MAX_LENGTH characters, under the rules of a post's
    content (line breaks and tabs, no other control or format character)."""
    return multi_line("body", value.strip(), BODY_MAX_LENGTH)


@dataclass(slots=True, kw_only=True)
class Comment:
    """A comment under a post. `id` is None until a repository stores it."""

    id: int | None = None
    post_id: int
    author_id: int
    body: str
    created_at: datetime
    updated_at: datetime
    # Grows with every write of the comment, its author's name included (a comment is shown with it):
    # what its entity tag says, and what a conditional write compares.
    version: int = 1

    @classmethod
    def write(cls, post_id: int, author_id: int, body: str, now: datetime) -> "Comment":
        return cls(
            post_id=post_id, author_id=author_id, body=comment_body(body), created_at=now, updated_at=now
        )

    def edited(self, editor_id: int, now: datetime, body: str) -> "Comment":
        """This comment with a new body, if `editor_id` is its author."""
        self.check_owner(editor_id)
        return replace(self, body=comment_body(body), updated_at=now)

    def check_owner(self, user_id: int) -> None:
        """Raise NotTheCommentAuthor unless `user_id` wrote this comment."""
        if user_id != self.author_id:
            raise NotTheCommentAuthor()
