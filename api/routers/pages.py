"""The pages a mailed link opens when no frontend is configured (APP_FRONTEND_URL unset): a GET shows the
form without using the link's token; the form's POST, to the same path, redeems it through the use case
the JSON routes use. Not in the OpenAPI document: they answer HTML to people, not JSON to programs.
Their security headers (a Content-Security-Policy of their own, no referrer, no cache) are the edge's
(api.middleware.security_headers)."""

from collections.abc import Callable

from fastapi import Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import FormData

from api.browser import pages
from api.dependencies import UseCase, client_address
from api.paths import RESET_PASSWORD_PAGE, VERIFY_EMAIL_PAGE
from api.problems.types import problem_type_of
from api.routes import api_router
from application.errors import TryLater
from application.one_time_tokens import InvalidToken
from application.recovery import ResetPassword
from application.verification import VerifyEmail
from domain.errors import ValidationError

router = api_router()

# The forms post to the page's own path, relative: the token leaves the address with the query.
_RESET_ACTION = RESET_PASSWORD_PAGE.removeprefix("/")
_VERIFY_ACTION = VERIFY_EMAIL_PAGE.removeprefix("/")
_RESET_TITLE = "This password-reset link cannot be used"
_VERIFY_TITLE = "This confirmation link cannot be used"


def _html(page: str, status: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    return HTMLResponse(page, status_code=status, headers=headers)


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _try_later(error: TryLater, page: str) -> HTMLResponse:
    """`page` with the status of `error`'s problem (429 too many tries, 503 busy) and its Retry-After."""
    status = problem_type_of(type(error)).status
    return _html(page, status, {"Retry-After": str(error.retry_after)})


def _link_opened(request: Request, title: str, form: Callable[[str, str], str], action: str) -> HTMLResponse:
    """The page of a mailed link opened: its `form` carrying the link's token, unused."""
    token = request.query_params.get("token")
    if not token:
        return _html(pages.broken_link(title, pages.LINK_INCOMPLETE), 400)
    return _html(form(action, token))


@router.get(RESET_PASSWORD_PAGE, include_in_schema=False, response_class=HTMLResponse)
async def reset_password_page(request: Request) -> HTMLResponse:
    return _link_opened(request, _RESET_TITLE, pages.reset_password_form, _RESET_ACTION)


@router.post(RESET_PASSWORD_PAGE, include_in_schema=False, response_class=HTMLResponse)
async def reset_password(request: Request, reset: UseCase[ResetPassword]) -> HTMLResponse:
    form = await request.form()
    token, password = _field(form, "token"), _field(form, "new_password")
    if password != _field(form, "new_password_again"):
        return _html(pages.reset_password_form(_RESET_ACTION, token, pages.PASSWORDS_DIFFER), 422)
    try:
        await reset(token, password, client_address(request))
    except InvalidToken as error:
        return _html(pages.broken_link(_RESET_TITLE, error.message), 400)
    except ValidationError as error:
        return _html(pages.reset_password_form(_RESET_ACTION, token, error.message), 422)
    except TryLater as error:
        return _try_later(error, pages.reset_password_form(_RESET_ACTION, token, error.message))
    return _html(pages.password_reset_done())


@router.get(VERIFY_EMAIL_PAGE, include_in_schema=False, response_class=HTMLResponse)
async def verify_email_page(request: Request) -> HTMLResponse:
    return _link_opened(request, _VERIFY_TITLE, pages.verify_email_form, _VERIFY_ACTION)


@router.post(VERIFY_EMAIL_PAGE, include_in_schema=False, response_class=HTMLResponse)
async def verify_email(request: Request, verify: UseCase[VerifyEmail]) -> HTMLResponse:
    token = _field(await request.form(), "token")
    try:
        await verify(token, client_address(request))
    except InvalidToken as error:
        return _html(pages.broken_link(_VERIFY_TITLE, error.message), 400)
    except TryLater as error:
        return _try_later(error, pages.verify_email_form(_VERIFY_ACTION, token, error.message))
    return _html(pages.email_verified())
