"""Post DTOs. The author is always the caller: no input schema has an author field."""

from datetime import datetime
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from api.schemas.text import MULTI_LINE, SINGLE_LINE, PatchBody
from application.ports.posts import PostWithAuthor
from domain.posts import CONTENT_MAX_LENGTH, TITLE_MAX_LENGTH, Post

Title = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=TITLE_MAX_LENGTH), SINGLE_LINE
]
Content = Annotated[str, Field(min_length=1, max_length=CONTENT_MAX_LENGTH), MULTI_LINE]


class PostCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title
    content: Content


class PostUpdate(PatchBody):
    title: Title | None = None
    content: Content | None = None

    @model_validator(mode="after")
    def _something_to_change(self) -> Self:
        if self.title is None and self.content is None:
            raise ValueError("give title and/or content")
        return self


class PostRead(BaseModel):
    id: int
    title: str
    content: str
    author_id: int
    created_at: datetime
    updated_at: datetime


class AuthorRead(BaseModel):
    """The author's public profile: no email."""

    id: int
    name: str
    created_at: datetime


class PostDetail(PostRead):
    """A post with a summary of its author."""

    author: AuthorRead


def post_json(post: Post) -> dict[str, Any]:
    """A PostRead as JSON-ready data, built without validating what the domain already guarantees."""
    return {
        "id": post.id,
        "title": post.title,
        "content": post.content,
        "author_id": post.author_id,
        "created_at": post.created_at,
        "updated_at": post.updated_at,
    }


def post_detail_json(found: PostWithAuthor) -> dict[str, Any]:
    """A PostDetail as JSON-ready data."""
    author = found.author
    return {
        **post_json(found.post),
        "author": {"id": author.id, "name": author.name, "created_at": author.created_at},
    }
