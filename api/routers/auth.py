from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm

from api.dependencies import UseCase, client_address
from api.observability.logins import count_login
from api.openapi.examples import LOGIN_FORM, request_example, response_example
from api.openapi.problem_responses import BODY_PROBLEMS, problem_responses
from api.paths import TOKEN_PATH
from api.schemas.users import Token
from application.auth import Authenticate
from application.errors import RateLimited
from domain.errors import InvalidCredentials

router = APIRouter(tags=["auth"])


@router.post(
    TOKEN_PATH,
    name="token",
    summary="Log in: get a bearer token",
    responses=response_example(200, Token)
    | problem_responses(
        401, 429, *BODY_PROBLEMS, 503, details={401: "Incorrect email or password"}, instance=TOKEN_PATH
    ),
    openapi_extra=request_example(LOGIN_FORM, "application/x-www-form-urlencoded"),
)
async def login(
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    authenticate: UseCase[Authenticate],
) -> Token:
    """OAuth2 password flow: `username` is the email. Use the token as `Authorization: Bearer …` until
    `expires_in` seconds have passed. Failed logins are limited per account and per client address
    (429 with `Retry-After` beyond); a success gives the account its budget back."""
    try:
        issued = await authenticate(form.username, form.password, client_address(request))
    except InvalidCredentials:
        count_login("bad_credentials")
        raise
    except RateLimited:
        count_login("throttled")
        raise
    count_login("success")
    return Token(access_token=issued.access_token, expires_in=issued.expires_in)
