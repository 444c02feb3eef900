"""The one table of problem types: the `type` URI, title, status and default detail of every problem the
service sends, and which errors each one answers (CAUSES). The error handlers answer with them, and the
OpenAPI document shows them. A problem answering a domain error says that error's own message: its
default detail is the error class's `default_message`, stated in the domain or application."""

from dataclasses import dataclass
from http import HTTPStatus

from api.browser.csrf import CsrfRefused
from application.errors import MailUnavailable, Overloaded, RateLimited, StorageUnavailable
from application.idempotency import IdempotencyKeyInUse
from application.one_time_tokens import InvalidToken
from application.posts import EmailNotVerified
from domain.errors import (
    AccountSuspended,
    AlreadyExists,
    Conflict,
    InvalidCredentials,
    InvalidGrant,
    NotFound,
    PermissionDenied,
    PreconditionFailed,
    ValidationError,
)

PROBLEM_TYPE = "urn:users-posts:problem:"


@dataclass(frozen=True, slots=True)
class ProblemType:
    status: int
    detail: str  # the default: a handler may say more about the case at hand
    slug: str | None = None  # None: `about:blank`, the status says all

    @property
    def uri(self) -> str:
        return PROBLEM_TYPE + self.slug if self.slug else "about:blank"

    @property
    def title(self) -> str:
        return HTTPStatus(self.status).phrase


UNPARSABLE_BODY = ProblemType(400, "There was an error parsing the body")
MALFORMED_HEADER = ProblemType(
    400, "A header is malformed (If-Match, If-None-Match or Idempotency-Key): see its description"
)
INVALID_TOKEN = ProblemType(400, InvalidToken.default_message, "invalid-token")
INVALID_GRANT = ProblemType(400, InvalidGrant.default_message, "invalid-grant")
INVALID_CREDENTIALS = ProblemType(401, InvalidCredentials.default_message, "invalid-credentials")
PERMISSION_DENIED = ProblemType(403, PermissionDenied.default_message, "permission-denied")
EMAIL_NOT_VERIFIED = ProblemType(403, EmailNotVerified.default_message, "email-not-verified")
ACCOUNT_SUSPENDED = ProblemType(403, AccountSuspended.default_message, "account-suspended")
CSRF = ProblemType(403, CsrfRefused.default_message, "csrf")
ORIGIN_NOT_ALLOWED = ProblemType(403, "This origin may not call the API from a browser", "origin-not-allowed")
NOT_FOUND = ProblemType(404, NotFound.default_message, "not-found")
ALREADY_EXISTS = ProblemType(409, AlreadyExists.default_message, "already-exists")
CONFLICT = ProblemType(409, Conflict.default_message, "conflict")
IDEMPOTENCY_KEY_IN_USE = ProblemType(409, IdempotencyKeyInUse.default_message, "idempotency-key-in-use")
PRECONDITION_FAILED = ProblemType(412, PreconditionFailed.default_message, "precondition-failed")
BODY_TOO_LARGE = ProblemType(413, "The request body is too large")
PRECONDITION_REQUIRED = ProblemType(
    428, "This change must be conditional: send If-Match with the ETag of the version it is based on"
)
VALIDATION_ERROR = ProblemType(422, "The request is not valid; see errors", "validation-error")
RATE_LIMITED = ProblemType(429, RateLimited.default_message, "rate-limited")
STORAGE_UNAVAILABLE = ProblemType(
    503, "The service cannot reach its database; try again shortly", "storage-unavailable"
)
OVERLOADED = ProblemType(503, Overloaded.default_message, "overloaded")
MAIL_UNAVAILABLE = ProblemType(503, MailUnavailable.default_message, "mail-unavailable")
UNEXPECTED = ProblemType(500, "An unexpected error occurred")

# Which problem answers which error; most specific first: the first class an error is an instance of
# decides.
CAUSES: tuple[tuple[type[Exception], ProblemType], ...] = (
    (InvalidToken, INVALID_TOKEN),
    (EmailNotVerified, EMAIL_NOT_VERIFIED),
    (MailUnavailable, MAIL_UNAVAILABLE),
    (ValidationError, VALIDATION_ERROR),
    (NotFound, NOT_FOUND),
    (AlreadyExists, ALREADY_EXISTS),
    (IdempotencyKeyInUse, IDEMPOTENCY_KEY_IN_USE),
    (Conflict, CONFLICT),
    (AccountSuspended, ACCOUNT_SUSPENDED),
    (CsrfRefused, CSRF),
    (PermissionDenied, PERMISSION_DENIED),
    (PreconditionFailed, PRECONDITION_FAILED),
    (InvalidGrant, INVALID_GRANT),
    (InvalidCredentials, INVALID_CREDENTIALS),
    (RateLimited, RATE_LIMITED),
    (Overloaded, OVERLOADED),
    (StorageUnavailable, STORAGE_UNAVAILABLE),
)


def problem_type_of(error: type[Exception]) -> ProblemType:
    """The problem answering errors of class `error`."""
    return next(kind for cause, kind in CAUSES if issubclass(error, cause))
