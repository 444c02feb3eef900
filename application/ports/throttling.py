"""Rate limits: the budgets callers spend."""

from enum import Enum
from typing import Protocol


class Throttle(Enum):
    """The budgets a caller spends; the adapter knows each one's limit and window."""

    FAILED_LOGIN_PER_ACCOUNT = "login-account"
    FAILED_LOGIN_PER_ADDRESS = "login-address"
    REGISTRATION_PER_ADDRESS = "register-address"
    POST_PER_USER = "post-user"
    COMMENT_PER_USER = "comment-user"
    PASSWORD_RESET_PER_ACCOUNT = "reset-account"
    PASSWORD_RESET_PER_ADDRESS = "reset-address"
    TOKEN_CONFIRM_PER_ADDRESS = "confirm-address"
    VERIFICATION_EMAIL_PER_USER = "verification-user"


class RateLimiter(Protocol):
    """Budgets of actions per key (an account, a client address, a user id) over a time window."""

    async def check(self, throttle: Throttle, key: str) -> None:
        """Raise application.errors.RateLimited if `key` has no budget left, spending nothing."""
        ...

    async def hit(self, throttle: Throttle, key: str) -> None:
        """Spend one unit of `key`'s budget; RateLimited (and nothing spent) if none is left."""
        ...

    async def clear(self, throttle: Throttle, key: str) -> None:
        """Give `key` its whole budget back."""
        ...


class Unlimited:
    """A RateLimiter that never refuses: for use cases run outside a server (scripts, unit tests)."""

    async def check(self, throttle: Throttle, key: str) -> None:
        return None

    async def hit(self, throttle: Throttle, key: str) -> None:
        return None

    async def clear(self, throttle: Throttle, key: str) -> None:
        return None


NO_RATE_LIMIT: RateLimiter = Unlimited()
