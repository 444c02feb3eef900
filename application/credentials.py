"""What every new password ends, in one place.

A new password — the owner's (`PATCH /users/me`, with the current password) or a reset's (with a mailed
token) — ends every session of the user (its refresh tokens, and by the rotated credentials stamp every
access token issued before) and every outstanding password-reset token: `end_old_credentials`, called in
the unit of work that stores the password. Whatever else must end with the old password belongs here."""

from application.lookups import existing_user
from application.ports.recovery import TokenPurpose
from application.ports.units_of_work import UnitOfWork
from application.sessions import end_every_session
from domain.users import User


async def end_old_credentials(uow: UnitOfWork, user_id: int) -> User:
    """End every session and reset token of the user whose new password `uow` just stored; the user as
    stored now (with the rotated stamp)."""
    await uow.tokens.revoke(user_id, TokenPurpose.PASSWORD_RESET)
    await end_every_session(uow, user_id)
    return await existing_user(uow.users, user_id)


async def store_new_password(uow: UnitOfWork, user: User, password_hash: str) -> User | None:
    """Store `user` with `password_hash` in `uow` and end its old credentials; the user as stored, or
    None when the user is gone."""
    assert user.id is not None
    if await uow.users.update(user.changed(password_hash=password_hash)) is None:
        return None
    return await end_old_credentials(uow, user.id)
