"""The one table of problem types: the `type` URI, title, status and default detail of every problem the
service sends. The error handlers answer with them and the OpenAPI examples show them."""

from dataclasses import dataclass
from http import HTTPStatus

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
INVALID_TOKEN = ProblemType(400, "The link is invalid or has expired; ask for a new one", "invalid-token")
INVALID_GRANT = ProblemType(400, "The refresh token is invalid, expired or revoked", "invalid-grant")
INVALID_CREDENTIALS = ProblemType(401, "Could not validate credentials", "invalid-credentials")
PERMISSION_DENIED = ProblemType(403, "Only the author of a post may change or delete it", "permission-denied")
EMAIL_NOT_VERIFIED = ProblemType(403, "Verify your email address before writing posts", "email-not-verified")
ACCOUNT_SUSPENDED = ProblemType(403, "The account is suspended", "account-suspended")
ORIGIN_NOT_ALLOWED = ProblemType(403, "This origin may not call the API from a browser", "origin-not-allowed")
NOT_FOUND = ProblemType(404, "Not found", "not-found")
ALREADY_EXISTS = ProblemType(409, "A user with this email is already registered", "already-exists")
CONFLICT = ProblemType(409, "A concurrent change won; read again and retry", "conflict")
IDEMPOTENCY_KEY_IN_USE = ProblemType(
    409, "A request with this Idempotency-Key is still being processed; retry later", "idempotency-key-in-use"
)
PRECONDITION_FAILED = ProblemType(
    412, "The resource has changed since the version given", "precondition-failed"
)
BODY_TOO_LARGE = ProblemType(413, "The request body is too large")
PRECONDITION_REQUIRED = ProblemType(
    428, "This change must be conditional: send If-Match with the ETag of the version it is based on"
)
VALIDATION_ERROR = ProblemType(422, "The request is not valid; see errors", "validation-error")
RATE_LIMITED = ProblemType(429, "Too many requests; try again later", "rate-limited")
STORAGE_UNAVAILABLE = ProblemType(
    503, "The service cannot reach its database; try again shortly", "storage-unavailable"
)
OVERLOADED = ProblemType(503, "The server is busy checking passwords; try again shortly", "overloaded")
MAIL_UNAVAILABLE = ProblemType(
    503, "Mail is not available on this service; try again later", "mail-unavailable"
)
UNEXPECTED = ProblemType(500, "An unexpected error occurred")

DOCUMENTED: tuple[ProblemType, ...] = (
    UNPARSABLE_BODY,
    INVALID_CREDENTIALS,
    PERMISSION_DENIED,
    NOT_FOUND,
    ALREADY_EXISTS,
    PRECONDITION_FAILED,
    BODY_TOO_LARGE,
    VALIDATION_ERROR,
    PRECONDITION_REQUIRED,
    RATE_LIMITED,
    STORAGE_UNAVAILABLE,
    OVERLOADED,
)
"""The problem types every operation answering their status documents, in status order; a status may
have several. Operations name the others they answer (`problem_responses(…, also=…)`)."""
