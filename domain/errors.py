"""Domain errors: what can go wrong by the rules of users and posts, independent of any transport.

Each error says what went wrong once, in its `default_message`: raising it needs no text, and the API
documents that text as the problem's detail. The kinds below are what the API maps to statuses; a
particular case is a subclass of its kind (an entity's NotFound, a wrong password's PermissionDenied)."""

from typing import ClassVar


class DomainError(Exception):
    """Base of every error the domain and the use cases raise on purpose."""

    default_message: ClassVar[str] = "The request cannot be done"

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)


class ValidationError(DomainError):
    """A value breaks a domain rule (bad email, empty name, password too short…)."""

    default_message = "The request is not valid"
    location = "body"  # where the field is in a request

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class NotFound(DomainError):
    """An entity that does not exist: each entity has its subclass naming it (`entity`), whose message
    is "<entity> not found"."""

    entity: ClassVar[str] = "Resource"
    default_message = "Not found"

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        cls.default_message = f"{cls.entity} not found"

    def __init__(self, key: object) -> None:
        super().__init__()
        self.key = key


class AlreadyExists(DomainError):
    """An entity with the same unique key exists already."""

    default_message = "This exists already"


class EmailAlreadyRegistered(AlreadyExists):
    default_message = "A user with this email is already registered"

    def __init__(self, email: str) -> None:
        super().__init__()
        self.email = email


class PreconditionFailed(DomainError):
    """The entity changed since the version the caller based its change on: nothing was written."""

    default_message = "The resource has changed since the version given"


class PermissionDenied(DomainError):
    """The caller is known but may not do this."""

    default_message = "You may not do this"


class InvalidCredentials(DomainError):
    """Email/password or token do not identify a user."""

    default_message = "Could not validate credentials"


class Conflict(DomainError):
    """The change lost to a concurrent one (its expected state is gone): read again and retry."""

    default_message = "A concurrent change won; read again and retry"


class AccountSuspended(PermissionDenied):
    """The credentials are right, but an admin suspended the account."""

    default_message = "The account is suspended"


class InvalidGrant(DomainError):
    """A refresh token that is malformed, unknown, expired, revoked or already used (RFC 6749 §5.2
    `invalid_grant`). Nothing changed, except when reuse ended the token's session."""

    default_message = "The refresh token is invalid, expired or revoked"
