"""What several use cases look up and must find."""

from application.ports.users import UserReader
from domain.errors import InvalidCredentials
from domain.users import User, UserNotFound


async def existing_user(users: UserReader, user_id: int) -> User:
    """The user `user_id`; NotFound("User") when there is none."""
    user = await users.get(user_id)
    if user is None:
        raise UserNotFound(user_id)
    return user


async def signed_in_user(users: UserReader, caller_id: int) -> User:
    """The caller's account; InvalidCredentials when it is gone (deleted since the token was issued)."""
    caller = await users.get(caller_id)
    if caller is None:
        raise InvalidCredentials()
    return caller
