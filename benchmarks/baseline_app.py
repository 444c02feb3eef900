"""The baseline: the users & posts API as the popular "first SQLModel API" tutorial writes it.

One module, `table=True` classes doubling as the schema, sync `def` endpoints (run in FastAPI's
threadpool), a sync engine, a `Session` per request, `response_model=` re-validating ORM objects, lazy
`user.posts`, OFFSET paging and pwdlib's argon2 hashing inline. Its writes are the tutorial's too: a
create taking `author_id` in the body, `session.add` + `commit` + `refresh`, and a PATCH through
`sqlmodel_update` (no authentication, no version check). Deliberately unoptimised: it is what
our app is compared against. The database URL comes from BENCH_DATABASE_URL (`sqlite:///…` or
`postgresql+psycopg://…`).
"""

import os
from datetime import UTC, datetime

from fastapi import FastAPI, HTTPException, Query
from pwdlib import PasswordHash
from sqlmodel import Session, create_engine, select

from benchmarks.tutorial_models import (
    Post,
    PostCreate,
    PostRead,
    PostUpdate,
    User,
    UserCreate,
    UserRead,
)

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "sqlite:///database.db")

connect_args = {"check_same_thread": False} if DATABASE_URL.startswith("sqlite") else {}
engine = create_engine(DATABASE_URL, connect_args=connect_args)
password_hash = PasswordHash.recommended()


app = FastAPI()


@app.post("/users/", response_model=UserRead, status_code=201)
def create_user(user: UserCreate) -> User:
    hashed_password = password_hash.hash(user.password)
    with Session(engine) as session:
        db_user = User.model_validate(
            user, update={"email": user.email.lower(), "password_hash": hashed_password}
        )
        session.add(db_user)
        session.commit()
        session.refresh(db_user)
        return db_user


@app.get("/users/", response_model=list[UserRead])
def read_users(offset: int = 0, limit: int = Query(default=100, le=100)) -> list[User]:
    with Session(engine) as session:
        users = session.exec(select(User).offset(offset).limit(limit)).all()
        return list(users)


@app.get("/users/{user_id}", response_model=UserRead)
def read_user(user_id: int) -> User:
    with Session(engine) as session:
        user = session.get(User, user_id)
        if not user:
            raise HTTPException(status_code=404, detail="User not found")
        return user


@app.get("/users/{user_id}/posts", response_model=list[PostRead])
def read_user_posts(user_id: int, limit: int = Query(default=100, le=100)) -> list[Post]:
    with Session(engine) as session:
        user = session.get(User, user_id)
        if not user:
            raise HTTPException(status_code=404, detail="User not found")
        return user.posts[:limit]


@app.post("/posts/", response_model=PostRead, status_code=201)
def create_post(post: PostCreate) -> Post:
    with Session(engine) as session:
        db_post = Post.model_validate(post)
        session.add(db_post)
        session.commit()
        session.refresh(db_post)
        return db_post


@app.patch("/posts/{post_id}", response_model=PostRead)
def update_post(post_id: int, post: PostUpdate) -> Post:
    with Session(engine) as session:
        db_post = session.get(Post, post_id)
        if not db_post:
            raise HTTPException(status_code=404, detail="Post not found")
        db_post.sqlmodel_update(post.model_dump(exclude_unset=True))
        db_post.updated_at = datetime.now(UTC)
        session.add(db_post)
        session.commit()
        session.refresh(db_post)
        return db_post
