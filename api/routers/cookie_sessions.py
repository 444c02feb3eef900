"""Cookie sessions for browser apps, beside bearer tokens: the tokens travel in HttpOnly cookies that
page scripts cannot read, and every change made with them passes the CSRF check (api.browser)."""

from functools import partial
from typing import Annotated, Any

from fastapi import Form, Request, Response

from api.browser.csrf import CsrfOriginRefused
from api.dependencies import UseCase, client_info, options, request_id
from api.http.responses import JSONBytes
from api.oauth_forms import SINGLE_VALUED_FORM
from api.observability.logins import counted_login
from api.openapi.examples import LOGIN_FORM, request_example, response_example
from api.openapi.oauth_responses import FORM, SESSION_FORM_REFUSALS, oauth_responses
from api.openapi.problem_responses import CSRF_CHECKED, problem_responses
from api.paths import SESSION_PATH, SESSION_REFRESH_PATH
from api.routes import api_router
from api.schemas.sessions import CookieSession, cookie_session_json
from application.auth import Authenticate
from application.sessions import Grant, RefreshSession, RevokeToken

router = api_router(tags=["auth"])

_ENDED: dict[int | str, Any] = {204: {"description": "Ended, or no session to end; the cookies are cleared"}}


def _started(request: Request, grant: Grant) -> Response:
    """The answer setting the cookies of the session `grant` started or refreshed."""
    found = options(request)
    csrf_token = found.csrf.token(grant.session_id)
    response = JSONBytes(cookie_session_json(grant, csrf_token))
    found.cookies.set(response, grant, csrf_token)
    return response


@router.post(
    SESSION_PATH,
    response_model=CookieSession,
    name="session",
    summary="Sign in a browser app: a cookie session",
    dependencies=SINGLE_VALUED_FORM,
    responses=oauth_responses(
        SESSION_PATH,
        response_example(200, CookieSession),
        Authenticate,
        FORM,
        (CsrfOriginRefused,),
        form=SESSION_FORM_REFUSALS,
    ),
    openapi_extra=request_example(LOGIN_FORM, "application/x-www-form-urlencoded"),
)
async def start_session(
    request: Request,
    authenticate: UseCase[Authenticate],
    username: Annotated[str, Form(min_length=1, description="The email")],
    password: Annotated[str, Form(min_length=1, description="The password")],
) -> Response:
    """Log in as `POST /auth/token` does (the same form, limits and errors), for a browser app on the
    API's own origin or a listed one (`APP_CORS_ORIGINS`) of the same site. The session's tokens are
    set as cookies: `__Host-access` (HttpOnly, SameSite=Lax), `__Host-refresh` (HttpOnly,
    SameSite=Strict) and `__Host-csrf` (readable by the page). The body holds the user, the CSRF token
    (send it as `X-CSRF-Token` with every change made with these cookies) and `expires_in`; never a
    token. A request whose `Origin` is not allowed, or that is cross-site from an unlisted origin, is
    refused (403: a login CSRF). No answer is cached."""
    options(request).csrf.check_origin(request)
    grant = await counted_login(authenticate(username, password, client_info(request)))
    return _started(request, grant)


@router.post(
    SESSION_REFRESH_PATH,
    response_model=CookieSession,
    name="session-refresh",
    summary="Refresh a cookie session: rotate its refresh cookie",
    responses=response_example(200, CookieSession)
    | problem_responses(RefreshSession, CSRF_CHECKED, instance=SESSION_REFRESH_PATH),
)
async def refresh_session(request: Request, refresh: UseCase[RefreshSession]) -> Response:
    """Trade the `__Host-refresh` cookie for new cookies, as the refresh grant of `POST /auth/token`
    does: the refresh token rotates, and presenting a rotated one again ends the session. Needs
    `X-CSRF-Token` and an allowed `Origin` (403 otherwise, changing nothing); a refresh cookie that is
    missing, unknown, expired or already used is a 400 `invalid-grant`."""
    found = options(request)
    token = request.cookies.get(found.cookies.refresh, "")
    check = partial(found.csrf.check, request)
    return _started(request, await refresh(token, client_info(request), request_id(), check))


@router.delete(
    SESSION_PATH,
    status_code=204,
    response_class=Response,
    name="session-end",
    summary="Sign a browser app out: end its cookie session",
    # Its problems carry RFC 6749's `error` too: /auth/session is the login's path (api.paths.OAUTH_PATHS).
    responses=oauth_responses(SESSION_PATH, _ENDED, RevokeToken, CSRF_CHECKED, form={}),
)
async def end_session(request: Request, revoke: UseCase[RevokeToken]) -> Response:
    """End the session of the `__Host-refresh` cookie (its access tokens stop working at once) and
    clear the session's cookies. Needs `X-CSRF-Token` and an allowed `Origin` (403 otherwise, changing
    nothing); without a session to end, the cookies are cleared all the same."""
    found = options(request)
    found.csrf.check_origin(request)
    token = request.cookies.get(found.cookies.refresh)
    if token:
        await revoke(token, partial(found.csrf.check, request))
    response = Response(status_code=204)
    found.cookies.clear(response)
    return response
