"""The FastAPI application factory. Importing this module builds objects only; the lifespan opens and
closes what must be."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from api.errors import install_error_handlers
from api.headers import HostGuard, SecurityHeaders
from api.limits import BodySizeLimit
from api.routers import auth, health, me, posts, users
from infrastructure.container import Container

logger = logging.getLogger(__name__)


def create_app(container: Container | None = None) -> FastAPI:
    container = container or Container()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:  # refuse to start, before serving anything, on settings or a database URL that cannot work
            container.settings()
            container.database()  # builds the engine; connects at first use
        except Exception as error:
            logger.critical("cannot start: %s", error)
            raise
        yield
        await container.database().dispose()

    app = FastAPIOffline(  # serves /docs and /redoc assets itself: they work offline
        title="Users & posts",
        version="0.1.0",
        summary="Users and their posts, behind a hexagonal architecture.",
        lifespan=lifespan,
    )
    app.state.container = container
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit)
    app.add_middleware(HostGuard, container=container)
    app.add_middleware(SecurityHeaders)  # outermost: every answer carries the headers
    # `me` before `users`: /users/me must not be taken for the user id "me".
    for router in (auth.router, me.router, users.router, posts.router, health.router):
        app.include_router(router)
    return app


app = create_app()
