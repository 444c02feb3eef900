"""Operator actions run from the command line against the configured database."""

from dependency_injector import providers

from application.moderation import GrantRole
from domain.users import User
from infrastructure.container import Container
from infrastructure.settings import Settings


async def grant_role(settings: Settings, email: str, role: str) -> User:
    """Give the user with `email` the role (audited, with no actor): how the first admin is made.
    NotFound for an unknown email, ValidationError for a role outside member, moderator, admin."""
    container = Container()
    container.settings.override(providers.Object(settings))
    try:
        grant: GrantRole = container.moderation.GrantRole()
        return await grant(email, role)
    finally:
        await container.database().dispose()
