"""RFC 6749 §5.2 on the OAuth 2.0 endpoints (api.paths.OAUTH_PATHS): a problem answered there also
carries `error` and `error_description`, so that a standard OAuth 2.0 client raises the error instead of
taking the body for a token. What the RFC answers with a 400 is a 400 there, with the problem type it has
everywhere else: a refused form (a 422 elsewhere), wrong credentials (401) and a suspended account
(403). Problems of other statuses keep them (413, 429, 503, 500) and gain the nearest code."""

from collections.abc import Mapping, Sequence
from dataclasses import replace
from enum import StrEnum
from typing import Any

from api.problems import types
from api.problems.types import ProblemType


class OAuthError(StrEnum):
    """The `error` codes answered (RFC 6749 §4.1.2.1 and §5.2)."""

    INVALID_REQUEST = "invalid_request"
    INVALID_GRANT = "invalid_grant"
    UNSUPPORTED_GRANT_TYPE = "unsupported_grant_type"
    INVALID_SCOPE = "invalid_scope"
    TEMPORARILY_UNAVAILABLE = "temporarily_unavailable"
    SERVER_ERROR = "server_error"


REPEATED_PARAMETER = "repeated_parameter"
"""The `type` of a validation error naming a form parameter sent more than once (RFC 6749 §3.2)."""

# The problems RFC 6749 answers with a 400 where the rest of the API has a status of its own.
_AS_400: dict[ProblemType, OAuthError] = {
    types.VALIDATION_ERROR: OAuthError.INVALID_REQUEST,
    types.INVALID_CREDENTIALS: OAuthError.INVALID_GRANT,  # the resource owner's credentials are the grant
    types.ACCOUNT_SUSPENDED: OAuthError.INVALID_GRANT,
    types.INVALID_GRANT: OAuthError.INVALID_GRANT,
}
# Parameters whose refused value has a code of its own; any other refused parameter is invalid_request,
# and so is any parameter sent twice.
_PARAMETER_ERRORS = {"grant_type": OAuthError.UNSUPPORTED_GRANT_TYPE, "scope": OAuthError.INVALID_SCOPE}


def oauth_problem(
    kind: ProblemType, detail: str, errors: Sequence[Mapping[str, Any]] | None = None
) -> tuple[ProblemType, dict[str, str]]:
    """`kind` as answered on an OAuth endpoint (its status may become 400), and the members the problem
    adds: `error`, and `error_description` saying `detail` (or the first of the validation `errors`)."""
    error = _AS_400.get(kind) or _error_of_status(kind.status)
    description = detail
    if errors:
        first = errors[0]
        parameter = str(first["loc"][-1])
        if first["type"] != REPEATED_PARAMETER:
            error = _PARAMETER_ERRORS.get(parameter, error)
        description = f"{parameter}: {first['msg']}"
    if kind in _AS_400:
        kind = replace(kind, status=400)
    return kind, {"error": error, "error_description": rfc6749_text(description)}


def _error_of_status(status: int) -> OAuthError:
    if status in (429, 503):  # try again later: RFC 6749 §4.1.2.1's words for the token endpoint too
        return OAuthError.TEMPORARILY_UNAVAILABLE
    return OAuthError.SERVER_ERROR if status >= 500 else OAuthError.INVALID_REQUEST


def rfc6749_text(text: str) -> str:
    """`text` within the characters RFC 6749 §5.2 allows in `error_description` (printable ASCII but
    the double quote and the backslash): a double quote becomes a single one, anything else a `?`."""
    return "".join(
        "'" if char == '"' else char if " " <= char <= "~" and char != "\\" else "?" for char in text
    )
