"""Posts: reading and storing them."""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from application.pagination import Page, PageRequest
from domain.posts import Post


@dataclass(frozen=True, slots=True)
class AuthorSummary:
    """A post's author as anyone may see them: no email."""

    id: int
    name: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class PostWithAuthor:
    """Read model: a post and who wrote it, loaded together."""

    post: Post
    author: AuthorSummary


class PostReader(Protocol):
    """Reads posts."""

    async def get(self, post_id: int) -> Post | None: ...

    async def get_with_author(self, post_id: int) -> PostWithAuthor | None:
        """The post and its author's summary, in one round trip."""
        ...

    async def list(self, page: PageRequest, author_id: int | None = None) -> Page[Post]:
        """Posts in id order, keyset-paged, optionally only those of one author."""
        ...


class PostRepository(PostReader, Protocol):
    async def add(self, post: Post) -> Post:
        """Store a new post and return it with its assigned id; UserNotFound without its author."""
        ...

    async def update(self, post: Post, *, if_version_in: Collection[int] | None = None) -> int | None:
        """Store its title, content and update time and increment its version; return the new version.
        With `if_version_in`, only if the stored version is one of those, checked in the writing
        statement. None when nothing was written (no such post, or another version)."""
        ...

    async def delete(self, post_id: int, *, if_version_in: Collection[int] | None = None) -> bool:
        """Remove the post (with `if_version_in`: only at one of those versions); False if nothing was."""
        ...

    async def renew_versions_of_author(self, author_id: int) -> None:
        """Increment the version of every post of the author: a post is shown with its author's name."""
        ...
