"""The FastAPI application factory. Importing this module builds objects only; the lifespan opens and
closes what must be."""

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI, Response
from fastapi.routing import APIRoute
from fastapi_offline import FastAPIOffline

from api.middleware.cors import Cors, CorsPolicy
from api.middleware.edge import Edge
from api.middleware.read_your_writes import ReadYourWritesCaller
from api.observability.logs import configure_logging
from api.observability.metrics_endpoint import metrics_endpoint
from api.observability.requests import Observing, RequestObserver
from api.openapi.document import with_problem_schemas
from api.openapi.tags import TAGS, operation_id
from api.problems.handlers import install_error_handlers
from api.routers import admin, auth, health, me, posts, recovery, sessions, users
from api.runtime import collector_tuned_for_serving
from infrastructure.container import Container
from infrastructure.sql.pool_metrics import watch_pool
from infrastructure.sql.replicas import caller_keys

logger = logging.getLogger(__name__)


def create_app(container: Container | None = None, *, configure_logs: bool = False) -> FastAPI:
    """The app on `container` (a default one if None). With `configure_logs`, its start-up configures
    logging from the settings (api.observability.logs), as the served app does; tests leave logging
    alone."""
    container = container or Container()
    observing = Observing()  # its settings are applied at start-up
    app = FastAPIOffline(  # serves /docs and /redoc assets itself: they work offline
        title="Users & posts",
        version="0.1.0",
        summary="Users and their posts, behind a hexagonal architecture.",
        lifespan=_lifespan(container, observing, configure_logs),
        openapi_tags=TAGS,
        generate_unique_id_function=operation_id,
        # The service reports through its JSON access events and Prometheus /metrics; FastAPI's own
        # OpenTelemetry hooks, unused, would look up the global providers on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.container = container
    install_error_handlers(app)
    _add_middleware(app, container, observing)
    app.openapi = with_problem_schemas(app, paths=_include_routes(app))  # type: ignore[method-assign]
    return app


def _lifespan(
    container: Container, observing: Observing, configure_logs: bool
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:  # refuse to start, before serving anything, on settings or a database URL that cannot work
            settings = container.settings()
            if configure_logs:
                configure_logging(settings)
            database = container.database()  # builds the engine; connects at first use
        except Exception as error:
            logger.critical("cannot start: %s", error)
            raise
        observing.metrics = settings.metrics_enabled
        if settings.metrics_enabled:
            watch_pool(database.sync_engine)
        await database.start()  # the replicas' background checks, when there are replicas
        delivery = container.mail_delivery() if settings.mail_delivery != "off" else None
        if delivery is not None:
            delivery.start()  # sends the outbox's mail while serving
        with collector_tuned_for_serving():  # last: freezes what start-up made, in every worker
            yield
        if delivery is not None:
            await delivery.stop()
        await container.database().dispose()

    return lifespan


def _add_middleware(app: FastAPI, container: Container, observing: Observing) -> None:
    """Innermost first: the last added runs first. The edge is outermost, so that even a refused
    request or a 500 carries its X-Request-ID, security headers, access event and metrics; inside it,
    CORS answers preflights before any route, database or rate limit."""
    app.add_middleware(
        ReadYourWritesCaller,
        enabled=lambda: bool(container.settings().replica_url_list),
        caller_keys=caller_keys,
    )
    app.add_middleware(
        Cors,
        policy=lambda: CorsPolicy.of(
            container.settings().cors_origin_list, container.settings().cors_max_age_seconds
        ),
    )
    app.state.observing = observing
    app.state.request_observer = observer = RequestObserver(observing)
    app.add_middleware(
        Edge,
        reporter=observer,
        allowed_hosts=lambda: container.settings().allowed_host_list,
    )


def _include_routes(app: FastAPI) -> list[str]:
    """Add the routers' routes; return their paths in the order they are declared (the document's)."""
    documentation = list(app.router.routes)  # /openapi.json, /docs, /redoc and their assets
    # `me` before `users`: /users/me must not be taken for the user id "me".
    declared = [
        route
        for router in (auth, recovery, me, sessions, users, posts, admin, health)
        for route in router.router.routes
    ]
    # The routes themselves, not included routers: FastAPI matches an included router's routes twice per
    # request (once to choose the router, once inside it), through scope bookkeeping that cost ~15 % of a
    # read's CPU (profiled). Every option is the router's own, set on each route when it was declared.
    app.router.routes[:] = declared
    app.add_api_route("/metrics", metrics_endpoint, include_in_schema=False, response_class=Response)
    # Routes are tried in order for every request, and a request is answered by the first whose path and
    # method match: GET routes first (the reads, most requests; routes of other methods never compete
    # with them, and the order among GET routes stays), the documentation's, which FastAPI adds first,
    # last (no path is served by both).
    ours = sorted(app.router.routes[:], key=lambda route: "GET" not in getattr(route, "methods", ()))
    app.router.routes[:] = ours + documentation
    return [route.path for route in declared if isinstance(route, APIRoute)]


app = create_app(configure_logs=True)
