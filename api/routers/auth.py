from typing import Annotated, Any, Literal

from fastapi import Form, Request, Response

from api.dependencies import UseCase, client_info, request_id
from api.http.responses import JSONBytes
from api.oauth_forms import SINGLE_VALUED_FORM
from api.observability.logins import counted_login
from api.openapi.examples import LOGIN_FORM, REFRESH_FORM, REVOKE_FORM, request_example, response_example
from api.openapi.oauth_responses import FORM, REVOKE_FORM_REFUSALS, TOKEN_FORM_REFUSALS, oauth_responses
from api.paths import REVOKE_PATH, TOKEN_PATH
from api.routes import api_router
from api.schemas.sessions import Token, grant_json
from application.auth import Authenticate
from application.sessions import RefreshSession, RevokeToken
from domain.errors import ValidationError
from domain.sessions import REFRESH_TOKEN_MAX_LENGTH

router = api_router(tags=["auth"])

# Long enough for any token this service issues (a refresh token, or an access token to revoke).
TOKEN_FORM_MAX_LENGTH = 4096
_REVOKED: dict[int | str, Any] = {200: {"description": "Revoked, or nothing to revoke (RFC 7009 §2.2)"}}


@router.post(
    TOKEN_PATH,
    response_model=Token,
    name="token",
    summary="Log in, or refresh a session: get a bearer token and a refresh token",
    dependencies=SINGLE_VALUED_FORM,
    responses=oauth_responses(
        TOKEN_PATH, response_example(200, Token), Authenticate, RefreshSession, FORM, form=TOKEN_FORM_REFUSALS
    ),
    openapi_extra={
        "requestBody": {
            "content": {
                "application/x-www-form-urlencoded": {
                    "examples": {
                        "password": {"summary": "Log in", "value": LOGIN_FORM},
                        "refresh_token": {"summary": "Refresh a session", "value": REFRESH_FORM},
                    }
                }
            }
        }
    },
)
async def token(
    request: Request,
    authenticate: UseCase[Authenticate],
    refresh: UseCase[RefreshSession],
    grant_type: Annotated[
        Literal["password", "refresh_token"], Form(description="`password` (the default) or `refresh_token`")
    ] = "password",
    username: Annotated[str | None, Form(description="password grant: the email")] = None,
    password: Annotated[str | None, Form(description="password grant: the password")] = None,
    refresh_token: Annotated[
        str | None,
        Form(max_length=REFRESH_TOKEN_MAX_LENGTH, description="refresh_token grant: the refresh token"),
    ] = None,
    scope: Annotated[str | None, Form(description="No scope is defined: leave it out, or empty")] = None,
) -> JSONBytes:
    """OAuth 2.0 token endpoint (RFC 6749), for standard OAuth 2.0 clients.

    - `grant_type=password` with `username` (the email) and `password`: starts a session. Failed
      logins are limited per account and per client address (429 with `Retry-After` beyond).
    - `grant_type=refresh_token` with `refresh_token`: rotates it. The answer carries a new access
      token and a new refresh token; the one sent stops working. No password is involved.

    Errors are problem+json (RFC 9457) carrying RFC 6749 §5.2's `error` and `error_description` too,
    with a 400 as the RFC says: `invalid_request` (a parameter missing, sent twice or malformed),
    `unsupported_grant_type`, `invalid_scope` (no scope is defined), and `invalid_grant` for a wrong
    email or password (the same answer for both), the right password of a suspended account, or a
    refresh token that is malformed, unknown, expired, revoked or already used. Presenting an already
    used one again ends its session (theft is assumed). No answer is cached."""
    if scope is not None:
        raise ValidationError("scope", "No scope is defined: leave scope out")
    if grant_type == "refresh_token":
        if refresh_token is None:
            raise ValidationError("refresh_token", "refresh_token is required for this grant type")
        grant = await refresh(refresh_token, client_info(request), request_id())
        return JSONBytes(grant_json(grant))
    if username is None or password is None:
        missing = "username" if username is None else "password"
        raise ValidationError(missing, f"{missing} is required for the password grant")
    grant = await counted_login(authenticate(username, password, client_info(request)))
    return JSONBytes(grant_json(grant))


@router.post(
    REVOKE_PATH,
    status_code=200,
    response_class=Response,
    name="revoke",
    summary="Revoke a token: end its session",
    dependencies=SINGLE_VALUED_FORM,
    responses=oauth_responses(REVOKE_PATH, _REVOKED, RevokeToken, FORM, form=REVOKE_FORM_REFUSALS),
    openapi_extra=request_example(REVOKE_FORM, "application/x-www-form-urlencoded"),
)
async def revoke(
    revoke_token: UseCase[RevokeToken],
    token: Annotated[
        str, Form(min_length=1, max_length=TOKEN_FORM_MAX_LENGTH, description="A refresh or access token")
    ],
    token_type_hint: Annotated[
        str,
        Form(
            max_length=64,
            description="`refresh_token` or `access_token`: accepted and not needed (every kind is searched)",
        ),
    ] = "",
) -> Response:
    """RFC 7009: end the session of a refresh token (or of an access token's `sid`): its refresh
    token and its access tokens stop working. An unknown, invalid or already revoked token is not an
    error: the answer is 200 whenever the request is well formed. Every kind of token the service
    issues can be revoked, so `unsupported_token_type` is never answered; an unknown `token_type_hint`
    is ignored (RFC 7009 §2.1). A malformed request is a 400 `invalid_request`, as on the token
    endpoint. No answer is cached."""
    await revoke_token(token)
    return Response(status_code=200)
