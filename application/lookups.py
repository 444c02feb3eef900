"""What several use cases look up and must find."""

from application.ports.users import UserReader
from domain.users import User, UserNotFound


async def existing_user(users: UserReader, user_id: int) -> User:
    """The user `user_id`; NotFound("User") when there is none."""
    user = await users.get(user_id)
    if user is None:
        raise UserNotFound(user_id)
    return user
