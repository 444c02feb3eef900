"""The caller's sessions: list them, end one. Included before the users router, with `me`."""

from typing import Annotated, Any

from fastapi import Path, Response

from api.dependencies import CallerSession, UseCase, caller_id
from api.http.responses import JSONBytes
from api.openapi.examples import example_of
from api.openapi.problem_responses import AUTHENTICATED, PARAMETERS, problem_responses
from api.routes import api_router
from api.schemas.sessions import SessionRead, session_json
from application.sessions import EndSession, ListSessions
from domain.sessions import SESSION_ID_PATTERN

router = api_router(prefix="/users/me/sessions", tags=["me"])

_EXAMPLE: dict[int | str, Any] = {
    200: {"content": {"application/json": {"example": [example_of(SessionRead)]}}}
}
SessionId = Annotated[str, Path(pattern=SESSION_ID_PATTERN, description="The session's id")]


@router.get(
    "",
    response_model=list[SessionRead],
    name="sessions-list",
    summary="List my sessions",
    responses=_EXAMPLE | problem_responses(ListSessions, AUTHENTICATED, instance="/users/me/sessions"),
)
async def list_sessions(caller: CallerSession, list_sessions: UseCase[ListSessions]) -> JSONBytes:
    """The caller's live sessions, oldest first: when and where each signed in and was last used, and
    which one this request's token belongs to. No token material is shown."""
    sessions = await list_sessions(caller_id(caller.user))
    return JSONBytes([session_json(session, session.id == caller.session_id) for session in sessions])


@router.delete(
    "/{session_id}",
    status_code=204,
    name="sessions-delete",
    summary="End one of my sessions",
    responses=problem_responses(EndSession, AUTHENTICATED, PARAMETERS, instance="/users/me/sessions/9f1c…"),
)
async def end_session(session_id: SessionId, caller: CallerSession, end: UseCase[EndSession]) -> Response:
    """End one of the caller's sessions (this one included): its refresh token and its access tokens
    stop working at once. Another user's session is a 404, as an unknown one is."""
    await end(caller_id(caller.user), session_id)
    return Response(status_code=204)
