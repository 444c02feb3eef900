"""Async FastAPI dependencies: the one module that touches the container (on app.state, where the app
factory put it), resolving use cases from it, and the values the app was built with (ApiOptions).

The container is the one registry: `UseCase[RegisterUser]` resolves the use case from the provider of
`Container` that builds a `RegisterUser`, found when the router is imported (no such provider, or two,
fail there). Async on purpose: a sync dependency (such as dependency-injector's Provide marker) is run
in the threadpool on every request."""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, TypeAlias, TypeVar

from dependency_injector import providers
from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from api.browser.cookies import SessionCookies
from api.browser.csrf import SAFE_METHODS, CsrfPolicy
from api.observability.request_ids import REQUEST_ID
from api.observability.requests import set_user_id
from api.paths import TOKEN_PATH
from application.auth import Caller as AuthenticatedCaller
from application.auth import CurrentUser
from application.sessions import ClientInfo
from domain.users import User
from infrastructure.container import Container
from infrastructure.settings import Settings
from infrastructure.sql.engine import ReplicaState

T = TypeVar("T")

oauth2_scheme = OAuth2PasswordBearer(tokenUrl=TOKEN_PATH, auto_error=False)


@dataclass(frozen=True, slots=True)
class ApiOptions:
    """What the routes need of the settings, read once when the app is built (app.state.options)."""

    public_url: str  # APP_PUBLIC_URL, or "" (links are then relative)
    require_if_match: bool  # APP_REQUIRE_IF_MATCH: a change without If-Match is refused (428)
    fingerprint_secret: str  # keys the fingerprints of Idempotency-Key requests
    cookies: SessionCookies  # the cookies of cookie sessions (APP_COOKIE_SECURE)
    csrf: CsrfPolicy  # what a cookie-authenticated unsafe request must prove

    @classmethod
    def of(cls, settings: Settings) -> "ApiOptions":
        return cls(
            settings.public_url or "",
            settings.require_if_match,
            settings.jwt_secret,
            SessionCookies(secure=settings.cookie_secure),
            CsrfPolicy.of(settings.jwt_secret, settings.cors_origin_list, settings.public_url),
        )


def options(request: Request) -> ApiOptions:
    """The app's ApiOptions: a plain call for endpoints that take the Request anyway (as a dependency it
    would cost FastAPI's solving of one more dependency per request)."""
    found: ApiOptions = request.app.state.options
    return found


def _use_case_provider(kind: type) -> tuple[str, str]:
    """Where the one provider building a `kind` is: (the container's group of use cases, its key)."""
    found = [
        (group, key)
        for group, provider in Container.cls_providers.items()
        if isinstance(provider, providers.Aggregate)
        for key, factory in provider.providers.items()
        if getattr(factory, "cls", None) is kind
    ]
    if len(found) != 1:
        raise LookupError(f"{len(found)} providers of Container build a {kind.__name__}, not one")
    return found[0]


def use_case_of(kind: type[T]) -> Callable[[Request], T]:
    """A plain function building a `kind` from the request's container (from the one provider of
    `Container` that builds one, found now: no such provider, or two, fail at import). The public reads
    call it with their Request, sparing FastAPI's solving of one more dependency per request."""
    group, key = _use_case_provider(kind)

    def build(request: Request) -> T:
        return getattr(request.app.state.container, group).providers[key]()  # type: ignore[no-any-return]

    return build


_use_cases: dict[type, Callable[[Request], Awaitable[Any]]] = {}


def use_case(kind: type[T]) -> Callable[[Request], Awaitable[T]]:
    """The dependency resolving a `kind` as `use_case_of` does (the same dependency for every route
    asking, as FastAPI caches a dependency per request by its identity)."""
    if kind not in _use_cases:
        build = use_case_of(kind)

        async def resolve(request: Request) -> Any:
            return build(request)

        _use_cases[kind] = resolve
    return _use_cases[kind]


if TYPE_CHECKING:
    UseCase: TypeAlias = Annotated[T, "resolved from the container"]
else:

    class UseCase:
        """`UseCase[X]`: a route parameter of type X, built by the container's provider of X."""

        def __class_getitem__(cls, kind: type[T]) -> object:
            return Annotated[kind, Depends(use_case(kind))]


async def _readiness_probe(request: Request) -> Callable[[], Awaitable[Sequence[ReplicaState]]]:
    container: Container = request.app.state.container
    database = container.database()

    async def probe() -> Sequence[ReplicaState]:
        await database.ping()
        return database.replica_states()

    return probe


ReadinessProbe = Annotated[Callable[[], Awaitable[Sequence[ReplicaState]]], Depends(_readiness_probe)]
"""Raises when the service's (primary) storage cannot be used; else the read replicas as last checked."""


def public_url(request: Request) -> str:
    """APP_PUBLIC_URL, or "" (links are then relative)."""
    return options(request).public_url


_current_user = use_case(CurrentUser)


async def _caller_session(
    request: Request, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> AuthenticatedCaller:
    if token is None:
        return await _cookie_caller(request)
    caller = await (await _current_user(request)).caller(token)
    set_user_id(request, caller.user.id)  # for the request's access and error events
    return caller


async def _cookie_caller(request: Request) -> AuthenticatedCaller:
    """The caller of a request without a bearer token, by its access cookie: an unsafe request must
    pass the CSRF check too (api.browser.csrf)."""
    found = options(request)
    caller = await (await _current_user(request)).caller(request.cookies.get(found.cookies.access))
    set_user_id(request, caller.user.id)
    if request.method not in SAFE_METHODS:
        found.csrf.check(request, caller.session_id)
    return caller


CallerSession = Annotated[AuthenticatedCaller, Depends(_caller_session)]
"""The authenticated caller and their session, by the bearer token or else the access cookie (an unsafe
request by cookie must pass the CSRF check: a 403 problem otherwise); 401 problem with
`WWW-Authenticate: Bearer` when neither authenticates."""


async def _caller(request: Request, token: Annotated[str | None, Depends(oauth2_scheme)]) -> User:
    # Not a dependency on CallerSession: each level of dependencies costs FastAPI's solving per request.
    return (await _caller_session(request, token)).user


Caller = Annotated[User, Depends(_caller)]
"""The authenticated caller, as CallerSession finds them."""


def client_address(request: Request) -> str:
    """The client's network address, the key of per-address rate limits. Behind a proxy, the server
    must be told to trust its forwarded headers (uvicorn --forwarded-allow-ips)."""
    return request.client.host if request.client else "unknown"


def client_info(request: Request) -> ClientInfo:
    """Where a login or refresh comes from: the client address and its User-Agent."""
    return ClientInfo(client_address(request), request.headers.get("user-agent", ""))


def request_id() -> str | None:
    """The request's id (X-Request-ID), recorded in audit entries."""
    return REQUEST_ID.get()


def caller_id(user: User) -> int:
    assert user.id is not None
    return user.id
