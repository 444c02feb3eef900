from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

from api.dependencies import ReadinessProbe
from api.openapi.problem_responses import problem_responses
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
async def ready(probe: ReadinessProbe) -> Health:
    """The database answers; 503 problem when it does not."""
    try:
        await probe()
    except Exception as error:
        raise StorageUnavailable("readiness check failed") from error
    return Health()
