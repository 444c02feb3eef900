"""The FastAPI application factory. Importing this module builds objects only; the lifespan opens and
closes what must be."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Response
from fastapi_offline import FastAPIOffline

from api.errors import install_error_handlers
from api.headers import HostGuard, SecurityHeaders
from api.limits import BodySizeLimit
from api.logs import configure_logging
from api.metrics import metrics_endpoint
from api.middleware.cors import Cors
from api.observability import install_observability
from api.openapi import TAGS, operation_id, with_problem_schemas
from api.routers import auth, health, me, posts, users
from infrastructure.container import Container
from infrastructure.metrics import watch_pool

logger = logging.getLogger(__name__)


def create_app(container: Container | None = None, *, configure_logs: bool = False) -> FastAPI:
    """The app on `container` (a default one if None). With `configure_logs`, its start-up configures
    logging from the settings (api.logs), as the served app does; tests leave logging alone."""
    container = container or Container()

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
        yield
        await container.database().dispose()

    app = FastAPIOffline(  # serves /docs and /redoc assets itself: they work offline
        title="Users & posts",
        version="0.1.0",
        summary="Users and their posts, behind a hexagonal architecture.",
        lifespan=lifespan,
        openapi_tags=TAGS,
        generate_unique_id_function=operation_id,
    )
    app.openapi = with_problem_schemas(app)  # type: ignore[method-assign]
    app.state.container = container
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit)
    app.add_middleware(Cors, container=container)  # preflights answered before any route or database
    app.add_middleware(HostGuard, container=container)
    app.add_middleware(SecurityHeaders)  # every answer carries the headers
    observing = install_observability(app)  # its settings are applied at start-up
    # `me` before `users`: /users/me must not be taken for the user id "me".
    for router in (auth.router, me.router, users.router, posts.router, health.router):
        app.include_router(router)
    app.add_api_route("/metrics", metrics_endpoint, include_in_schema=False, response_class=Response)
    return app


app = create_app(configure_logs=True)
