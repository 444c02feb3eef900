"""The one path by which a new password is stored.

Every password change (the owner's, with the current password; a reset, with a mailed token) goes
through `store_new_password`: every session of the user ends (its refresh tokens, and by the rotated
credentials stamp every access token issued before) and every outstanding password-reset token ends.
Whatever else must end with the old password belongs here too."""

from application.ports import SessionUnitOfWork, TokenPurpose
from application.sessions import end_every_session
from domain.users import Email, User


async def store_new_password(
    uow: SessionUnitOfWork,
    user: User,
    password_hash: str,
    *,
    if_password_hash: str | None = None,
    name: str | None = None,
    email: Email | None = None,
) -> User | None:
    """Store `user` with `password_hash` (and a new `name` or `email` changed with it) in `uow`,
    ending every session and every reset token. With `if_password_hash`, only if the stored
    hash is still that one. The user as stored, or None when nothing was written."""
    assert user.id is not None
    updated = user.changed(name=name, email=email, password_hash=password_hash)
    if not await uow.users.update(updated, if_password_hash=if_password_hash):
        return None
    await uow.tokens.revoke(user.id, TokenPurpose.PASSWORD_RESET)
    await end_every_session(uow, user.id)
    return await uow.users.get(user.id) or updated  # with the stamp just rotated
