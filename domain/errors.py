"""Domain errors: what can go wrong by the rules of users and posts, independent of any transport.

Each error says what went wrong once, in its class statement (`class PostChanged(PreconditionFailed,
message="…")`, or `entity="Post"` for a NotFound): raising it needs no text, and the API documents that
text as the problem's detail. The kinds below are what the API maps to statuses; a
particular case is a subclass of its kind (an entity's NotFound, a wrong password's PermissionDenied)."""

from typing import ClassVar


class DomainError(Exception):
    """Base of every error the domain and the use cases raise on purpose."""

    default_message: ClassVar[str] = "The request cannot be done"

    def __init_subclass__(cls, message: str | None = None, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if message is not None:
            cls.default_message = message

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)


class ValidationError(DomainError, message="The request is not valid"):
    """A value breaks a domain rule (bad email, empty name, password too short…)."""

    location = "body"  # where the field is in a request

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class NotFound(DomainError, message="Not found"):
    """An entity that does not exist: each entity has its subclass naming it (`entity="Post"`), whose
    message is "<entity> not found"."""

    entity: ClassVar[str] = "Resource"

    def __init_subclass__(cls, entity: str = "Resource", **kwargs: object) -> None:
        super().__init_subclass__(message=f"{entity} not found", **kwargs)
        cls.entity = entity

    def __init__(self, key: object) -> None:
        super().__init__()
        self.key = key


class AlreadyExists(DomainError, message="This exists already"):
    """An entity with the same unique key exists already."""


class EmailAlreadyRegistered(AlreadyExists, message="A user with this email is already registered"):
    """Another user has this email (in any spelling of it)."""

    def __init__(self, email: str) -> None:
        super().__init__()
        self.email = email


class PreconditionFailed(DomainError, message="The resource has changed since the version given"):
    """The entity changed since the version the caller based its change on: nothing was written."""


class PermissionDenied(DomainError, message="You may not do this"):
    """The caller is known but may not do this."""


class InvalidCredentials(DomainError, message="Could not validate credentials"):
    """Email/password or token do not identify a user."""


class Conflict(DomainError, message="A concurrent change won; read again and retry"):
    """The change lost to a concurrent one (its expected state is gone): read again and retry."""


class AccountSuspended(PermissionDenied, message="The account is suspended"):
    """The credentials are right, but an admin suspended the account."""


class InvalidGrant(DomainError, message="The refresh token is invalid, expired or revoked"):
    """A refresh token that is malformed, unknown, expired, revoked or already used (RFC 6749 §5.2
    `invalid_grant`). Nothing changed, except when reuse ended the token's session."""
