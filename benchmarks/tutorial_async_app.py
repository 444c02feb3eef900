"""The second baseline: the seed tutorial's own async way, as a new user would write it.

The same module shape as `baseline_app.py`, made async the way the SQLModel docs and the tutorial show:
an async engine (aiosqlite or asyncpg), an `AsyncSession` per request as a dependency,
`session.exec(select(User))` hydrating table objects, `await session.get(...)`, `selectinload` for a
user's posts, and `response_model=` re-validating what the endpoint returns. It shows what the SQLModel
idiom costs done naively, next to what it costs in the service. The database URL comes from
BENCH_DATABASE_URL (`sqlite+aiosqlite:///…` or `postgresql+asyncpg://…`).
"""

import os
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Query
from pwdlib import PasswordHash
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.orm import selectinload
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from benchmarks.tutorial_models import Post, PostRead, User, UserCreate, UserRead

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "sqlite+aiosqlite:///database.db")

engine = create_async_engine(DATABASE_URL)
password_hash = PasswordHash.recommended()


async def get_session() -> AsyncIterator[AsyncSession]:
    async with AsyncSession(engine) as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]
app = FastAPI()


@app.post("/users/", response_model=UserRead, status_code=201)
async def create_user(user: UserCreate, session: SessionDep) -> User:
    hashed_password = password_hash.hash(user.password)
    db_user = User.model_validate(
        user, update={"email": user.email.lower(), "password_hash": hashed_password}
    )
    session.add(db_user)
    await session.commit()
    await session.refresh(db_user)
    return db_user


@app.get("/users/", response_model=list[UserRead])
async def read_users(
    session: SessionDep, offset: int = 0, limit: int = Query(default=100, le=100)
) -> list[User]:
    users = await session.exec(select(User).order_by(col(User.id)).offset(offset).limit(limit))
    return list(users.all())


@app.get("/users/{user_id}", response_model=UserRead)
async def read_user(user_id: int, session: SessionDep) -> User:
    user = await session.get(User, user_id)
    if not user:
        raise HTTPException(status_code=404, detail="User not found")
    return user


@app.get("/users/{user_id}/posts", response_model=list[PostRead])
async def read_user_posts(
    user_id: int, session: SessionDep, limit: int = Query(default=100, le=100)
) -> list[Post]:
    user = await session.get(User, user_id, options=[selectinload(User.posts)])  # type: ignore[arg-type]
    if not user:
        raise HTTPException(status_code=404, detail="User not found")
    return user.posts[:limit]
