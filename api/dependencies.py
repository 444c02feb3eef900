"""Async FastAPI dependencies resolving use cases from the container on app.state.

Async on purpose: a sync dependency (such as dependency-injector's Provide marker) is run in the
threadpool on every request."""

from fastapi import Request

from application.users import GetUser, ListUsers, RegisterUser
from infrastructure.container import Container


def _container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


async def register_user(request: Request) -> RegisterUser:
    return _container(request).register_user()


async def get_user(request: Request) -> GetUser:
    return _container(request).get_user()


async def list_users(request: Request) -> ListUsers:
    return _container(request).list_users()
