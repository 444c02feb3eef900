"""Admin routes: the users with their emails, roles and suspensions; role changes; suspension and
reinstatement; the audit log. Every operation needs the admin role (a 403 problem otherwise), as its
`x-required-role` says in the OpenAPI document."""

from typing import Annotated, Any

from fastapi import Path, Request

from api.dependencies import Caller, UseCase, caller_id, request_id
from api.http.pagination import After, Limit, page_response
from api.http.responses import JSONBytes
from api.openapi.examples import ROLE_CHANGE, SUSPENSION, request_example
from api.openapi.problem_responses import AUTHENTICATED, BODY, PARAMETERS
from api.routes import answers, api_router
from api.schemas.admin import (
    AdminUserRead,
    AuditEntryRead,
    RoleChange,
    SuspensionRequest,
    admin_user_json,
    audit_entry_json,
)
from application.moderation import ChangeRole, ListUsersAsAdmin, ReadAuditLog, ReinstateUser, SuspendUser
from application.pagination import DEFAULT_PAGE_SIZE, PageRequest
from domain.ids import ID_MAX

router = api_router(prefix="/admin", tags=["admin"])

UserId = Annotated[int, Path(ge=1, le=ID_MAX, description="The user's id")]
ADMIN_ONLY: dict[str, Any] = {"x-required-role": "admin"}


def _admin_only(extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return ADMIN_ONLY | (extra or {})


@router.get(
    "/users",
    name="users-list",
    summary="List users with emails, roles and suspensions (admins)",
    **answers(AdminUserRead, ListUsersAsAdmin, AUTHENTICATED, PARAMETERS, instance="/admin/users", many=True),
    openapi_extra=_admin_only(),
)
async def list_users(
    request: Request,
    user: Caller,
    list_users: UseCase[ListUsersAsAdmin],
    limit: Limit = DEFAULT_PAGE_SIZE,
    after: After = 0,
) -> JSONBytes:
    """Every user in id order, paged like `GET /users/` (`Link: <…>; rel="next"`), with what only admins
    see: email, role and suspension."""
    users = await list_users(user, PageRequest(limit, after))
    return page_response(users, limit, admin_user_json, request)


@router.patch(
    "/users/{user_id}",
    name="users-update",
    summary="Change a user's role (admins)",
    **answers(AdminUserRead, ChangeRole, AUTHENTICATED, BODY, instance="/admin/users/42"),
    openapi_extra=_admin_only(request_example(ROLE_CHANGE)),
)
async def change_role(
    user_id: UserId, body: RoleChange, user: Caller, change_role: UseCase[ChangeRole]
) -> JSONBytes:
    """Give a user the role `member`, `moderator` or `admin`. An admin cannot change their own role
    (403), so the last admin stays one. Of two admins changing one user's role at once, the second
    gets a 409 unless it asked for the same role: every answer agrees with the stored role. Audited."""
    changed = await change_role(caller_id(user), user_id, body.role, request_id())
    return JSONBytes(admin_user_json(changed))


@router.post(
    "/users/{user_id}/suspend",
    name="users-suspend",
    summary="Suspend a user (admins)",
    **answers(AdminUserRead, SuspendUser, AUTHENTICATED, BODY, instance="/admin/users/42/suspend"),
    openapi_extra=_admin_only(request_example(SUSPENSION)),
)
async def suspend(
    user_id: UserId, body: SuspensionRequest, user: Caller, suspend_user: UseCase[SuspendUser]
) -> JSONBytes:
    """Suspend a user, with a reason: every session of theirs ends at once (refresh and access tokens),
    and signing in with the right password answers a 403 until they are reinstated. Their posts stay
    visible; moderators remove those that must go. An admin cannot suspend themselves. Suspending a
    suspended user changes nothing. Audited."""
    return JSONBytes(admin_user_json(await suspend_user(caller_id(user), user_id, body.reason, request_id())))


@router.post(
    "/users/{user_id}/reinstate",
    name="users-reinstate",
    summary="Reinstate a suspended user (admins)",
    **answers(AdminUserRead, ReinstateUser, AUTHENTICATED, PARAMETERS, instance="/admin/users/42/reinstate"),
    openapi_extra=_admin_only(),
)
async def reinstate(user_id: UserId, user: Caller, reinstate_user: UseCase[ReinstateUser]) -> JSONBytes:
    """Lift a user's suspension: they may sign in again. A user not suspended is left as is. Audited."""
    return JSONBytes(admin_user_json(await reinstate_user(caller_id(user), user_id, request_id())))


@router.get(
    "/audit",
    name="audit-list",
    summary="Read the audit log (admins)",
    **answers(AuditEntryRead, ReadAuditLog, AUTHENTICATED, PARAMETERS, instance="/admin/audit", many=True),
    openapi_extra=_admin_only(),
)
async def audit(
    request: Request,
    user: Caller,
    read_audit: UseCase[ReadAuditLog],
    limit: Limit = DEFAULT_PAGE_SIZE,
    after: After = 0,
) -> JSONBytes:
    """Every moderation and admin action, and every detected refresh-token reuse, oldest first, paged
    like the other lists: who, what, to whom, when, why, and the request's id."""
    entries = await read_audit(user, PageRequest(limit, after))
    return page_response(entries, limit, audit_entry_json, request)
