"""The FastAPI application factory. Importing this module builds objects only; the lifespan opens and
closes what must be."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from api.errors import install_error_handlers
from api.routers import health, users
from infrastructure.container import Container


def create_app(container: Container | None = None) -> FastAPI:
    container = container or Container()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await container.engine().dispose()

    app = FastAPIOffline(  # serves /docs and /redoc assets itself: they work offline
        title="Users & posts",
        version="0.1.0",
        summary="Users and their posts, behind a hexagonal architecture.",
        lifespan=lifespan,
    )
    app.state.container = container
    install_error_handlers(app)
    for router in (users.router, health.router):
        app.include_router(router)
    return app


app = create_app()
