"""The documented answers of the OAuth 2.0 endpoints (api.paths.OAUTH_PATHS): every error an
`OAuthProblem`, shown by an example per refusal, built by the function that builds the answers; every
answer, a token or an error, with the headers that keep it out of caches."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from api.openapi.problem_responses import (
    EXAMPLE_REQUEST_ID,
    PROBLEM_HEADERS,
    SCHEMA_REF,
    Cause,
    causes_of,
    described,
)
from api.problems import types
from api.problems.oauth import REPEATED_PARAMETER
from api.problems.response import PROBLEM_JSON, problem_body
from api.problems.types import ProblemType

_NOT_CACHED = {
    "Cache-Control": {
        "description": "`no-store`: no cache keeps the answer (RFC 6749 §5.1)",
        "required": True,
        "schema": {"type": "string"},
    },
    "Pragma": {
        "description": "`no-cache`, for HTTP/1.0 caches",
        "required": True,
        "schema": {"type": "string"},
    },
}
_DESCRIPTIONS = {
    400: "Refused (RFC 6749 §5.2): `error` says why: `invalid_request` for a parameter missing, sent "
    "twice or malformed, or a body that cannot be parsed; on the token endpoint also "
    "`unsupported_grant_type`, `invalid_scope` (no scope is defined) and `invalid_grant` (a wrong email "
    "or password, a suspended account, a refresh token that is invalid, expired, revoked or already used)",
    403: "Refused as a possible cross-site request forgery (`error`: `invalid_request`): the `Origin` is "
    "missing or not allowed, the request is cross-site, or (signing out) `X-CSRF-Token` is missing or "
    "not the session's",
    413: "The request body is too large (`error`: `invalid_request`)",
    429: "Too many failed logins; retry after `Retry-After` seconds (`error`: `temporarily_unavailable`)",
    503: "Temporarily unavailable (database unreachable, password hashing saturated); retry after "
    "`Retry-After` seconds (`error`: `temporarily_unavailable`)",
}


@dataclass(frozen=True, slots=True)
class Refusal:
    """One error an OAuth endpoint answers: a problem of `kind` saying `detail`, for a form refused
    because of `error` (a validation error, as FastAPI reports one)."""

    kind: ProblemType
    detail: str | None = None
    error: Mapping[str, Any] | None = None


def _refused(parameter: str, message: str, kind: str = "value_error") -> Refusal:
    return Refusal(types.VALIDATION_ERROR, error={"loc": ["body", parameter], "msg": message, "type": kind})


_REPEATED = _refused("username", "The parameter is sent more than once", REPEATED_PARAMETER)
# The refused forms shown, beside the refusals derived from the body and the use cases.
TOKEN_FORM_REFUSALS = {
    "invalid_request": _refused("password", "password is required for the password grant"),
    "repeated_parameter": _REPEATED,
    "unsupported_grant_type": _refused(
        "grant_type", "Input should be 'password' or 'refresh_token'", "literal_error"
    ),
    "invalid_scope": _refused("scope", "No scope is defined: leave scope out"),
}
REVOKE_FORM_REFUSALS = {
    "invalid_request": _refused("token", "Field required", "missing"),
    "repeated_parameter": _REPEATED,
}
SESSION_FORM_REFUSALS = {
    "invalid_request": _refused("password", "Field required", "missing"),
    "repeated_parameter": _REPEATED,
}
FORM: tuple[Cause, ...] = (types.UNPARSABLE_BODY, types.BODY_TOO_LARGE)  # a form to parse


def oauth_responses(
    path: str,
    success: Mapping[int | str, dict[str, Any]],
    *sources: type | ProblemType | Sequence[Cause],
    form: Mapping[str, Refusal],
) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` of the OAuth endpoint at `path`: `success`, and a response for each status
    its refusals answer with: those of the `form` and those the `sources` name (as for
    problem_responses), each an `OAuthProblem` with one example per refusal; all with `_NOT_CACHED`."""
    refusals = dict(form)
    for cause in (*causes_of(sources), types.STORAGE_UNAVAILABLE):
        kind, detail, name = described(cause)
        refusals.setdefault(name, Refusal(kind, detail))
    bodies = {name: _body(path, refusal) for name, refusal in refusals.items()}
    responses: dict[int | str, dict[str, Any]] = {
        status: {**response, "headers": {**response.get("headers", {}), **_NOT_CACHED}}
        for status, response in success.items()
    }
    for status in sorted({body["status"] for body in bodies.values()}):
        examples = {name: {"value": body} for name, body in bodies.items() if body["status"] == status}
        media = {"schema": {"$ref": SCHEMA_REF + "OAuthProblem"}, "examples": examples}
        responses[status] = {
            "description": _DESCRIPTIONS[status],
            "headers": {**PROBLEM_HEADERS.get(status, {}), **_NOT_CACHED},
            "content": {PROBLEM_JSON: media},
        }
    return responses


def _body(path: str, refusal: Refusal) -> dict[str, Any]:
    errors = {"errors": [refusal.error]} if refusal.error else {}
    return problem_body(
        refusal.kind, instance=path, request_id=EXAMPLE_REQUEST_ID, detail=refusal.detail, **errors
    )
