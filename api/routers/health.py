from fastapi import APIRouter, Request

from api.problems import problem_responses
from application.errors import StorageUnavailable

router = APIRouter(prefix="/health", tags=["health"])


@router.get("/live")
async def live() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/ready", responses=problem_responses(503))
async def ready(request: Request) -> dict[str, str]:
    """The database answers; 503 problem when it does not."""
    try:
        await request.app.state.container.database().ping()
    except Exception as error:
        raise StorageUnavailable("readiness check failed") from error
    return {"status": "ok"}
