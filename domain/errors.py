"""Domain errors: what can go wrong by the rules of users and posts, independent of any transport."""


class DomainError(Exception):
    """Base of every error the domain and the use cases raise on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationError(DomainError):
    """A value breaks a domain rule (bad email, empty name, password too short…)."""

    location = "body"  # where the field is in a request

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class NotFound(DomainError):
    """The entity of `kind` with `key` does not exist."""

    def __init__(self, kind: str, key: object) -> None:
        super().__init__(f"{kind} not found")
        self.kind = kind
        self.key = key


class AlreadyExists(DomainError):
    """An entity with the same unique key exists already."""


class EmailAlreadyRegistered(AlreadyExists):
    def __init__(self, email: str) -> None:
        super().__init__("A user with this email is already registered")
        self.email = email


class PreconditionFailed(DomainError):
    """The entity changed since the version the caller based its change on: nothing was written."""


class PermissionDenied(DomainError):
    """The caller is known but may not do this."""


class InvalidCredentials(DomainError):
    """Email/password or token do not identify a user."""


class Conflict(DomainError):
    """The change lost to a concurrent one (its expected state is gone): read again and retry."""


class AccountSuspended(PermissionDenied):
    """The credentials are right, but an admin suspended the account."""

    def __init__(self) -> None:
        super().__init__("The account is suspended")


class InvalidGrant(DomainError):
    """A refresh token that is malformed, unknown, expired, revoked or already used (RFC 6749 §5.2
    `invalid_grant`). Nothing changed, except when reuse ended the token's session."""

    def __init__(self, message: str = "The refresh token is invalid, expired or revoked") -> None:
        super().__init__(message)
