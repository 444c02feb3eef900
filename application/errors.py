"""Errors the application raises that are not broken domain rules."""

from domain.errors import DomainError


class StorageUnavailable(Exception):
    """The storage behind a port cannot be reached right now; retrying later may succeed."""


class TryLater(DomainError):
    """Refused for now; `retry_after` says in how many seconds trying again may succeed."""

    def __init__(self, message: str | None, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = max(1, retry_after)


class RateLimited(TryLater, message="Too many requests; try again later"):
    """The caller has spent their budget for this action (too many failed logins, posts…)."""


class Overloaded(TryLater, message="The server is busy checking passwords; try again shortly"):
    """Too much work is queued already (password hashing); the request was not started."""


class MailUnavailable(TryLater, message="Mail is not available on this service; try again later"):
    """Mail is switched off (APP_MAIL_BACKEND=off): what needs a message cannot be done."""

    def __init__(self) -> None:
        super().__init__(None, retry_after=3600)


class NotDelivered(Exception):
    """A message of an outbox could not be delivered; `transient` when trying again later may succeed."""

    def __init__(self, reason: str, *, transient: bool) -> None:
        super().__init__(reason)
        self.transient = transient


class MailNotSent(NotDelivered):
    """A Mailer could not deliver a message."""


class EventNotPublished(NotDelivered):
    """An EventPublisher could not publish an event: the broker refused it, or could not be reached."""


Raises = tuple[type[Exception], ...]
"""What a use case may raise (its `raises`): the errors its callers answer, and the API documents."""
