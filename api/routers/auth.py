from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm

from api.dependencies import AuthenticateDep, client_address
from api.problems import BODY_PROBLEMS, problem_responses
from api.schemas.users import Token

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/token", responses=problem_responses(401, *BODY_PROBLEMS))
async def login(
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    authenticate: AuthenticateDep,
) -> Token:
    """OAuth2 password flow: `username` is the email. Use the token as `Authorization: Bearer …` until
    `expires_in` seconds have passed. Failed logins are limited per account and per client address
    (429 with `Retry-After` beyond); a success gives the account its budget back."""
    issued = await authenticate(form.username, form.password, client_address(request))
    return Token(access_token=issued.access_token, expires_in=issued.expires_in)
