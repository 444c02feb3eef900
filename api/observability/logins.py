"""The login counter: attempts on the login routes (bearer and cookie sessions), by outcome."""

from collections.abc import Awaitable
from typing import Literal, TypeVar, get_args

from prometheus_client import Counter

from api.paths import SESSION_PATH, TOKEN_PATH
from application.errors import RateLimited
from domain.errors import InvalidCredentials, PermissionDenied

T = TypeVar("T")

LoginOutcome = Literal["success", "bad_credentials", "throttled", "suspended"]
LOGINS = Counter(
    "login_attempts_total", f"Login attempts on POST {TOKEN_PATH} and {SESSION_PATH}, by outcome", ["outcome"]
)
for _outcome in get_args(LoginOutcome):  # every outcome shows, at 0 until it happens
    LOGINS.labels(_outcome)


def count_login(outcome: LoginOutcome) -> None:
    LOGINS.labels(outcome).inc()


async def counted_login(login: Awaitable[T]) -> T:
    """The outcome of `login` (an Authenticate call), counted."""
    try:
        result = await login
    except InvalidCredentials:
        count_login("bad_credentials")
        raise
    except RateLimited:
        count_login("throttled")
        raise
    except PermissionDenied:
        count_login("suspended")
        raise
    count_login("success")
    return result
