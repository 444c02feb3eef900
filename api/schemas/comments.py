"""Comment DTOs. The author is always the caller and the post is in the path: no input schema has either."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.schemas.builders import Source, json_builder
from api.schemas.text import MULTI_LINE, PatchBody
from domain.comments import BODY_MAX_LENGTH

Body = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=BODY_MAX_LENGTH), MULTI_LINE
]


class CommentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: Body


class CommentUpdate(PatchBody):
    """The new body: the one thing a comment's author may change."""

    body: Body


class CommentAuthor(BaseModel):
    """Who wrote a comment: their id and name."""

    id: int = Field(examples=[1])
    name: str = Field(examples=["Ada Lovelace"])


class CommentRead(BaseModel):
    """A comment with its author (from a CommentWithAuthor)."""

    id: Annotated[int, Source("comment.id")] = Field(examples=[9])
    post_id: Annotated[int, Source("comment.post_id")] = Field(examples=[7])
    body: Annotated[str, Source("comment.body")] = Field(examples=["It might indeed."])
    author: CommentAuthor
    created_at: Annotated[datetime, Source("comment.created_at")] = Field(examples=["2026-11-25T10:10:00Z"])
    updated_at: Annotated[datetime, Source("comment.updated_at")] = Field(examples=["2026-11-25T10:12:00Z"])


comment_json = json_builder(CommentRead)  # from a CommentWithAuthor
