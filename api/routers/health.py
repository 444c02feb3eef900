from typing import Literal

from pydantic import BaseModel, Field

from api.dependencies import ReadinessProbe
from api.openapi.problem_responses import problem_responses
from api.routes import api_router
from application.errors import StorageUnavailable

router = api_router(prefix="/health", tags=["health"])


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class ReplicaHealth(BaseModel):
    name: str = Field(description="host:port/database of the replica")
    state: Literal["in_use", "lagging", "unreachable", "unchecked"]
    lag_seconds: float | None = Field(description="replay lag at the last check; null when not reached")


class Readiness(Health):
    replicas: list[ReplicaHealth] | None = Field(
        default=None,
        description="with read replicas: each one as the background check last saw it (never a 503: "
        "reads skip a replica that is lagging or unreachable)",
    )


@router.get("/live", name="live", summary="Liveness")
async def live() -> Health:
    """The process is up."""
    return Health()


@router.get(
    "/ready",
    name="ready",
    summary="Readiness",
    responses=problem_responses(instance="/health/ready"),
    response_model_exclude_unset=True,  # no `replicas` without replicas
)
async def ready(probe: ReadinessProbe) -> Readiness:
    """The (primary) database answers; 503 problem when it does not. Replicas are reported, not
    required."""
    try:
        replica_states = await probe()
    except Exception as error:
        raise StorageUnavailable("readiness check failed") from error
    replicas = [
        ReplicaHealth(name=replica.name, state=replica.state, lag_seconds=replica.lag_seconds)
        for replica in replica_states
    ]
    return Readiness(status="ok", replicas=replicas) if replicas else Readiness(status="ok")
