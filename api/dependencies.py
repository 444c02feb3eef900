"""Async FastAPI dependencies resolving use cases from the container on app.state.

Async on purpose: a sync dependency (such as dependency-injector's Provide marker) is run in the
threadpool on every request. Each use case is named by its provider on `Container`, so a wrong name
fails at import and a wrong type fails `tests/api/test_dependencies.py`."""

from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

from dependency_injector import providers
from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from api.observability import set_user_id
from application.auth import Authenticate, SignOutEverywhere
from application.idempotency import Idempotency
from application.posts import CreatePost, DeletePost, GetPost, ListPosts, ListUserPosts, UpdatePost
from application.users import DeleteAccount, GetUser, ListUsers, RegisterUser, UpdateProfile
from domain.users import User
from infrastructure.container import Container

T = TypeVar("T")

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)


def provide(provider: providers.Provider[T]) -> Callable[[Request], Awaitable[T]]:
    """A dependency calling the request's container's provider that is `provider` on `Container`:
    a fresh use case per request, from the container the app was built with (tests override it)."""
    name = next((name for name, p in Container.cls_providers.items() if p is provider), None)
    if name is None:
        raise LookupError(f"{provider!r} is not a provider of Container")

    async def resolve(request: Request) -> T:
        made: T = getattr(request.app.state.container, name)()
        return made

    return resolve


RegisterUserDep = Annotated[RegisterUser, Depends(provide(Container.register_user))]
GetUserDep = Annotated[GetUser, Depends(provide(Container.get_user))]
ListUsersDep = Annotated[ListUsers, Depends(provide(Container.list_users))]
UpdateProfileDep = Annotated[UpdateProfile, Depends(provide(Container.update_profile))]
DeleteAccountDep = Annotated[DeleteAccount, Depends(provide(Container.delete_account))]
AuthenticateDep = Annotated[Authenticate, Depends(provide(Container.authenticate))]
SignOutEverywhereDep = Annotated[SignOutEverywhere, Depends(provide(Container.sign_out_everywhere))]
CreatePostDep = Annotated[CreatePost, Depends(provide(Container.create_post))]
GetPostDep = Annotated[GetPost, Depends(provide(Container.get_post))]
ListPostsDep = Annotated[ListPosts, Depends(provide(Container.list_posts))]
ListUserPostsDep = Annotated[ListUserPosts, Depends(provide(Container.list_user_posts))]
UpdatePostDep = Annotated[UpdatePost, Depends(provide(Container.update_post))]
DeletePostDep = Annotated[DeletePost, Depends(provide(Container.delete_post))]
IdempotencyDep = Annotated[Idempotency, Depends(provide(Container.idempotency))]

_resolve_current_user = provide(Container.current_user)


async def _current_user(request: Request, token: Annotated[str | None, Depends(oauth2_scheme)]) -> User:
    user = await (await _resolve_current_user(request))(token)
    set_user_id(request, user.id)  # for the request's access and error events
    return user


CurrentUser = Annotated[User, Depends(_current_user)]
"""The authenticated caller; 401 problem with `WWW-Authenticate: Bearer` otherwise."""


def client_address(request: Request) -> str:
    """The client's network address, the key of per-address rate limits. Behind a proxy, the server
    must be told to trust its forwarded headers (uvicorn --forwarded-allow-ips)."""
    return request.client.host if request.client else "unknown"


def caller_id(user: User) -> int:
    assert user.id is not None
    return user.id
