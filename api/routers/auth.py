from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm

from api.dependencies import AuthenticateDep
from api.examples import LOGIN_FORM, request_example, response_example
from api.metrics import count_login
from api.problems import BODY_PROBLEMS, problem_responses
from api.schemas.users import Token
from domain.errors import InvalidCredentials

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post(
    "/token",
    name="token",
    summary="Log in: get a bearer token",
    responses=response_example(200, Token)
    | problem_responses(
        401, 429, *BODY_PROBLEMS, 503, details={401: "Incorrect email or password"}, instance="/auth/token"
    ),
    openapi_extra=request_example(LOGIN_FORM, "application/x-www-form-urlencoded"),
)
async def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    authenticate: AuthenticateDep,
) -> Token:
    """OAuth2 password flow: `username` is the email. Use the token as `Authorization: Bearer …`."""
    try:
        token = await authenticate(form.username, form.password)
    except InvalidCredentials:
        count_login("bad_credentials")
        raise
    count_login("success")
    return Token(access_token=token)
