from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel

from api.problems import problem_responses
from application.errors import StorageUnavailable

router = APIRouter(prefix="/health", tags=["health"])


class Health(BaseModel):
    status: Literal["ok"] = "ok"


@router.get("/live", name="live", summary="Liveness")
async def live() -> Health:
    """The process is up."""
    return Health()


@router.get(
    "/ready", name="ready", summary="Readiness", responses=problem_responses(503, instance="/health/ready")
)
async def ready(request: Request) -> Health:
    """The database answers; 503 problem when it does not."""
    try:
        await request.app.state.container.database().ping()
    except Exception as error:
        raise StorageUnavailable("readiness check failed") from error
    return Health()
