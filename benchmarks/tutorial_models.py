"""The tutorial's models, shared by both tutorial-style baselines: `table=True` classes doubling as the
schema, and the Create/Read models beside them, as the tutorial writes them."""

from datetime import UTC, datetime

from sqlmodel import Field, Relationship, SQLModel


class UserBase(SQLModel):
    name: str = Field(max_length=100)
    email: str = Field(max_length=254, unique=True)


class User(UserBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    password_hash: str
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))

    posts: list["Post"] = Relationship(back_populates="author")


class UserCreate(UserBase):
    password: str = Field(min_length=8, max_length=128)


class UserRead(UserBase):
    id: int
    created_at: datetime


class PostBase(SQLModel):
    title: str = Field(max_length=200)
    content: str


class Post(PostBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    author_id: int = Field(foreign_key="user.id", index=True)
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    updated_at: datetime = Field(default_factory=lambda: datetime.now(UTC))

    author: User | None = Relationship(back_populates="posts")


class PostRead(PostBase):
    id: int
    author_id: int
    created_at: datetime
    updated_at: datetime


class PostCreate(PostBase):
    author_id: int  # the tutorial's way: the client says who writes


class PostUpdate(SQLModel):
    title: str | None = Field(default=None, max_length=200)
    content: str | None = None
