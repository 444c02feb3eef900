"""The FastAPI application factory: the app is built from loaded settings, and its parts are handed the
values they need (the middleware its policies, the routes the public URL and options), never the
container; only api.dependencies resolves use cases from it. Importing this module builds nothing; the
lifespan opens and closes what must be.

uvicorn serves `create_served_app` as a factory (`users-posts serve` does: api.cli.server)."""

import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from types import ModuleType
from typing import TYPE_CHECKING

from fastapi import FastAPI, Response
from fastapi.routing import APIRoute
from fastapi_offline import FastAPIOffline

from api.dependencies import ApiOptions
from api.middleware.cors import Cors, CorsPolicy
from api.middleware.edge import Edge
from api.middleware.read_your_writes import ReadYourWritesCaller
from api.middleware.tracing import ServerSpans
from api.observability.logs import configure_logging, include_trace_ids
from api.observability.metrics_endpoint import metrics_endpoint
from api.observability.requests import Observing, RequestObserver, route_template
from api.observability.traces import current_trace_ids
from api.openapi.document import with_problem_schemas
from api.openapi.tags import TAGS, operation_id
from api.problems.handlers import install_error_handlers
from api.routers import (
    admin,
    auth,
    comments,
    cookie_sessions,
    health,
    me,
    pages,
    posts,
    recovery,
    sessions,
    users,
)
from api.runtime import collector_tuned_for_serving
from infrastructure.container import Container
from infrastructure.events.delivery import EventDelivery
from infrastructure.mail.delivery import MailDelivery
from infrastructure.rate_limits import redis_clients
from infrastructure.settings import Settings
from infrastructure.sql.databases import engines
from infrastructure.sql.pool_metrics import watch_pool
from infrastructure.sql.replicas import caller_keys
from infrastructure.tracing.use_cases import trace_use_cases

if TYPE_CHECKING:
    from infrastructure.tracing.setup import Tracing

logger = logging.getLogger(__name__)

# Tried in this order: `me` and `sessions` before `users`, so that /users/me is not taken for a user id.
ROUTERS = (auth, cookie_sessions, recovery, me, sessions, users, posts, comments, admin, health)


def create_app(container: Container | None = None, *, configure_logs: bool = False) -> FastAPI:
    """The app on `container` (a default one if None), whose settings are loaded now: invalid settings
    raise InvalidSettings here, before anything is served. With `configure_logs`, logging is configured
    from the settings (api.observability.logs) as the served app does; tests leave logging alone."""
    container = container or Container()
    settings = container.settings()
    if configure_logs:
        configure_logging(settings)
    observing = Observing(metrics=settings.metrics_enabled)
    tracing = container.tracing() if settings.tracing_enabled else None
    if tracing is not None:
        trace_use_cases(container, tracing.tracer)
    app = FastAPIOffline(  # serves /docs and /redoc assets itself: they work offline
        title="Users & posts",
        version="0.1.0",
        summary="Users and their posts, behind a hexagonal architecture.",
        lifespan=_lifespan(container, settings, tracing),
        openapi_tags=TAGS,
        generate_unique_id_function=operation_id,
        # The service reports through its JSON access events and Prometheus /metrics; FastAPI's own
        # OpenTelemetry hooks, unused, would look up the global providers on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.container = container  # for api.dependencies alone
    app.state.options = ApiOptions.of(settings)
    app.state.observing = observing
    install_error_handlers(app)
    _add_middleware(app, settings, observing, tracing)
    # The pages behind the mailed links, unless the links lead to a frontend of the operator's.
    routers = ROUTERS if settings.frontend_url else (*ROUTERS, pages)
    app.openapi = with_problem_schemas(app, paths=_include_routes(app, routers))  # type: ignore[method-assign]
    return app


def create_served_app() -> FastAPI:
    """The app `users-posts serve` runs, in each worker process: on the environment's settings, with
    logging configured from them."""
    return create_app(configure_logs=True)


def _lifespan(
    container: Container, settings: Settings, tracing: "Tracing | None"
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:  # refuse to start, before serving anything, on a database URL that cannot work
            database = container.database()  # builds the engine; connects at first use
        except Exception as error:
            logger.critical("cannot start: %s", error)
            raise
        if settings.metrics_enabled:
            watch_pool(database.sync_engine)
        if tracing is not None:  # in the worker process, before anything is served
            tracing.start(engines(database), redis_clients(container.rate_limiter()))
            include_trace_ids(current_trace_ids)
        await database.start()  # the replicas' background checks, when there are replicas
        # Deliver the outbox while serving: mail unless it is off, events when a broker is configured.
        deliveries: list[MailDelivery | EventDelivery] = []
        if settings.mail_delivery != "off":
            deliveries.append(container.mail_delivery())
        if settings.events_url:
            deliveries.append(container.event_delivery())
        for delivery in deliveries:
            if tracing is not None:
                delivery.tracer = tracing.tracer
            delivery.start()
        with collector_tuned_for_serving():  # last: freezes what start-up made, in every worker
            yield
        for delivery in deliveries:
            await delivery.stop()
        await database.dispose()
        if tracing is not None:  # last: what stopping did is exported too
            include_trace_ids(None)
            await tracing.stop(settings.shutdown_grace_seconds)

    return lifespan


def _add_middleware(
    app: FastAPI, settings: Settings, observing: Observing, tracing: "Tracing | None"
) -> None:
    """Innermost first: the last added runs first. The edge is outermost but for the server spans (only
    when tracing is on), so that even a refused request or a 500 carries its X-Request-ID, security
    headers, access event and metrics; inside it, CORS answers preflights before any route, database
    or rate limit."""
    if settings.replica_url_list:  # read-your-writes routing needs the caller only with replicas
        app.add_middleware(ReadYourWritesCaller, caller_keys=caller_keys)
    app.add_middleware(Cors, policy=CorsPolicy.of(settings.cors_origin_list, settings.cors_max_age_seconds))
    app.state.request_observer = observer = RequestObserver(observing)
    app.add_middleware(Edge, reporter=observer, allowed_hosts=settings.allowed_host_list)
    if tracing is not None:  # around the edge: its access event is written inside the span
        app.add_middleware(ServerSpans, start_span=tracing.server_spans.start, route_of=route_template)


def _include_routes(app: FastAPI, routers: Sequence[ModuleType]) -> list[str]:
    """Add the routes of `routers` (modules with a `router`); return their paths in the order they are
    declared (the document's)."""
    documentation = list(app.router.routes)  # /openapi.json, /docs, /redoc and their assets
    declared = [route for module in routers for route in module.router.routes]
    # The routes themselves, not included routers: FastAPI matches an included router's routes twice per
    # request (once to choose the router, once inside it). Every option is the router's own, set on
    # each route when it was declared.
    app.router.routes[:] = declared
    app.add_api_route("/metrics", metrics_endpoint, include_in_schema=False, response_class=Response)
    # Routes are tried in order for every request, and a request is answered by the first whose path and
    # method match: GET routes first (the reads, most requests; routes of other methods never compete
    # with them, and the order among GET routes stays), the documentation's, which FastAPI adds first,
    # last (no path is served by both).
    ours = sorted(app.router.routes[:], key=lambda route: "GET" not in getattr(route, "methods", ()))
    app.router.routes[:] = ours + documentation
    return [route.path for route in declared if isinstance(route, APIRoute)]
