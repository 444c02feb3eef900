"""Async FastAPI dependencies resolving use cases from the container on app.state.

Async on purpose: a sync dependency (such as dependency-injector's Provide marker) is run in the
threadpool on every request."""

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from domain.users import User

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)


def use_case(name: str) -> Any:
    """`Depends` on the container's provider `name`: a fresh use case per request."""

    async def resolve(request: Request) -> Any:
        return getattr(request.app.state.container, name)()

    return Depends(resolve)


async def _current_user(request: Request, token: Annotated[str | None, Depends(oauth2_scheme)]) -> User:
    user: User = await request.app.state.container.current_user()(token)
    return user


CurrentUser = Annotated[User, Depends(_current_user)]
"""The authenticated caller; 401 problem with `WWW-Authenticate: Bearer` otherwise."""


def caller_id(user: User) -> int:
    assert user.id is not None
    return user.id
