"""The caller's own account. Included before the users router: `/users/me` is not a user id."""

from fastapi import Request, Response

from api.dependencies import (
    Caller,
    UseCase,
    caller_id,
)
from api.http.conditional import (
    IfMatchHeader,
    entity_tag,
    expected_versions,
    tagged_read,
)
from api.http.responses import JSONBytes
from api.openapi.examples import (
    ACCOUNT_DELETION,
    USER_UPDATE,
    request_example,
)
from api.openapi.problem_responses import (
    AUTHENTICATED,
    BODY,
    IF_MATCH,
    PARAMETERS,
    problem_responses,
)
from api.routes import answers, api_router
from api.schemas.users import AccountDeletion, UserRead, UserUpdate, user_json
from application.auth import SignOutEverywhere
from application.users import DeleteAccount, ProfileChanges, UpdateProfile

router = api_router(prefix="/users/me", tags=["me"])


@router.get(
    "",
    name="get",
    summary="Get my profile",
    **answers(UserRead, AUTHENTICATED, PARAMETERS, instance="/users/me", conditional=True),
)
async def read_me(request: Request, user: Caller) -> Response:
    """The caller's own profile, email included, and its `ETag`."""
    return tagged_read(request, user.id, user.version, lambda: user_json(user))


@router.patch(
    "",
    name="update",
    summary="Change my profile",
    **answers(UserRead, UpdateProfile, AUTHENTICATED, IF_MATCH, BODY, instance="/users/me", tagged=True),
    openapi_extra=request_example(USER_UPDATE),
)
async def update_me(
    body: UserUpdate, user: Caller, update: UseCase[UpdateProfile], if_match: IfMatchHeader
) -> JSONBytes:
    """Change name, email or password. A new email or password needs `current_password`: a wrong one is
    a 403 (the token is fine, the proof is not) and counts as a failed login; an email another user
    has is a 409. A new password signs out every other token. With `If-Match`, only if the profile is
    still at that version (412 otherwise, nothing written)."""
    changes = ProfileChanges(**body.given())
    me = caller_id(user)
    updated = await update(me, changes, expected_versions(if_match, me))
    return JSONBytes(user_json(updated), headers={"ETag": entity_tag(me, updated.version)})


@router.delete(
    "",
    status_code=204,
    name="delete",
    summary="Delete my account",
    responses=problem_responses(DeleteAccount, AUTHENTICATED, BODY, instance="/users/me"),
    openapi_extra=request_example(ACCOUNT_DELETION),
)
async def delete_me(body: AccountDeletion, user: Caller, delete: UseCase[DeleteAccount]) -> Response:
    """Delete the account and every post of it; the JSON body gives `current_password` (403 when
    wrong, and it counts as a failed login)."""
    await delete(caller_id(user), body.current_password)
    return Response(status_code=204)


@router.post(
    "/sign-out",
    status_code=204,
    name="sign-out",
    summary="Sign out everywhere",
    responses=problem_responses(SignOutEverywhere, AUTHENTICATED, instance="/users/me/sign-out"),
)
async def sign_out_everywhere(user: Caller, sign_out: UseCase[SignOutEverywhere]) -> Response:
    """Revoke every access token of the caller, this one included."""
    await sign_out(caller_id(user))
    return Response(status_code=204)
