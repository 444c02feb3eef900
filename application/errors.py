"""Errors the application raises that are not broken domain rules."""

from domain.errors import DomainError


class StorageUnavailable(Exception):
    """The storage behind a port cannot be reached right now; retrying later may succeed."""


class TryLater(DomainError):
    """Refused for now; `retry_after` says in how many seconds trying again may succeed."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = max(1, retry_after)


class RateLimited(TryLater):
    """The caller has spent their budget for this action (too many failed logins, posts…)."""


class Overloaded(TryLater):
    """Too much work is queued already (password hashing); the request was not started."""
