"""Post DTOs. The author is always the caller: no input schema has an author field."""

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.schemas.builders import json_builder
from api.schemas.text import MULTI_LINE, SINGLE_LINE, PatchBody
from api.schemas.users import UserSummary
from application.ports.posts import PostWithAuthor
from domain.posts import CONTENT_MAX_LENGTH, TITLE_MAX_LENGTH

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


class PostRead(BaseModel):
    id: int = Field(examples=[7])
    title: str = Field(examples=["Notes on the Analytical Engine"])
    content: str = Field(examples=["It might act upon other things besides number."])
    author_id: int = Field(examples=[1])
    created_at: datetime = Field(examples=["2026-11-25T10:00:00Z"])
    updated_at: datetime = Field(examples=["2026-11-25T10:05:00Z"])
    comment_count: int = Field(examples=[3], description="How many comments are under the post")


class AuthorRead(UserSummary):
    """The author's public profile: no email."""


class PostDetail(PostRead):
    """A post with a summary of its author."""

    author: AuthorRead


post_json = json_builder(PostRead)  # from a Post
_author_json = json_builder(AuthorRead)


def post_detail_json(found: PostWithAuthor) -> dict[str, Any]:
    """A PostDetail as JSON-ready data: the post's, and its author's under `author`."""
    return {**post_json(found.post), "author": _author_json(found.author)}
