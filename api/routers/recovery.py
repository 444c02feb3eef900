"""Password reset and email verification: the flows that mail a single-use link, and the ones that
redeem it."""

from typing import Any

from fastapi import Request, Response

from api.dependencies import Caller, UseCase, caller_id, client_address
from api.http.responses import JSONBytes
from api.openapi.examples import request_example
from api.openapi.problem_responses import AUTHENTICATED, BODY, problem_responses
from api.routes import api_router
from api.schemas.recovery import (
    Accepted,
    EmailVerification,
    PasswordResetConfirmation,
    PasswordResetRequest,
)
from application.recovery import RequestPasswordReset, ResetPassword
from application.verification import SendVerificationEmail, VerifyEmail

router = api_router()

RESET_ACCEPTED = {"detail": "If an account has this email, a link to reset its password is on its way"}
VERIFICATION_ACCEPTED = {"detail": "A link to verify your email address is on its way"}
TOKEN_EXAMPLE = "kM3bq0wZ5mJ1pX8vT2nY7cR4hL6sD9fG0aE3uI5oQ1w"


def _accepted(example: dict[str, str]) -> dict[int | str, dict[str, Any]]:
    return {202: {"content": {"application/json": {"example": example}}}}


@router.post(
    "/auth/password-reset",
    status_code=202,
    response_model=Accepted,
    tags=["auth"],
    name="password-reset",
    summary="Ask for a password-reset link",
    responses=_accepted(RESET_ACCEPTED)
    | problem_responses(RequestPasswordReset, BODY, instance="/auth/password-reset"),
    openapi_extra=request_example({"email": "ada@example.com"}),
)
async def request_password_reset(
    request: Request, body: PasswordResetRequest, reset: UseCase[RequestPasswordReset]
) -> JSONBytes:
    """Mail a single-use link to reset the password of the account with this email. The answer is the
    same 202, in the same time, whether or not there is such an account. Limited per account and per
    client address (429 beyond); it never locks the account."""
    await reset(body.email, client_address(request))
    return JSONBytes(RESET_ACCEPTED, status_code=202)


@router.post(
    "/auth/password-reset/confirm",
    status_code=204,
    tags=["auth"],
    name="password-reset-confirm",
    summary="Set a new password with a reset link's token",
    responses=problem_responses(ResetPassword, BODY, instance="/auth/password-reset/confirm"),
    openapi_extra=request_example({"token": TOKEN_EXAMPLE, "new_password": "a new long password"}),
)
async def confirm_password_reset(
    request: Request, body: PasswordResetConfirmation, reset: UseCase[ResetPassword]
) -> Response:
    """Set `new_password` (the rules of registration) with the `token` of a reset link. The token works
    once; every access token of the account stops working; a notice is mailed; the caller is not
    logged in. A used, expired, unknown or malformed token is one and the same 400. Limited per client
    address (429 beyond)."""
    await reset(body.token, body.new_password, client_address(request))
    return Response(status_code=204)


@router.post(
    "/auth/verify-email",
    status_code=204,
    tags=["auth"],
    name="verify-email",
    summary="Verify an email address with a link's token",
    responses=problem_responses(VerifyEmail, BODY, instance="/auth/verify-email"),
    openapi_extra=request_example({"token": TOKEN_EXAMPLE}),
)
async def verify_email(request: Request, body: EmailVerification, verify: UseCase[VerifyEmail]) -> Response:
    """Mark the address a verification link was mailed to as verified. The token works once; a used,
    expired, unknown or malformed one, or one for an address the account no longer has, is a 400."""
    await verify(body.token, client_address(request))
    return Response(status_code=204)


@router.post(
    "/users/me/verification-email",
    status_code=202,
    response_model=Accepted,
    tags=["me"],
    name="verification-email",
    summary="Mail me a new verification link",
    responses=_accepted(VERIFICATION_ACCEPTED)
    | problem_responses(SendVerificationEmail, AUTHENTICATED, instance="/users/me/verification-email"),
)
async def send_verification_email(user: Caller, send: UseCase[SendVerificationEmail]) -> JSONBytes:
    """Mail the caller a new link to verify their email address (earlier links stop working); nothing
    is sent when it is verified already. Limited per user (429 beyond)."""
    await send(caller_id(user))
    return JSONBytes(VERIFICATION_ACCEPTED, status_code=202)
