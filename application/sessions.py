"""Session use cases: start one at login, refresh it (rotating its refresh token, detecting reuse),
revoke one, list and end the caller's, and end every session of a user.

`end_every_session` is the one operation through which every session of a user ends: signing out
everywhere (application.auth.SignOutEverywhere), a password change (or reset), a suspension and an
account deletion all go through it."""

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import ClassVar

from application.errors import Raises
from application.ports.audit import AuditAction, AuditEntry
from application.ports.clock import Clock
from application.ports.security import TokenClaims, TokenService
from application.ports.units_of_work import ReadUnitOfWork, UnitOfWork
from domain.errors import Conflict, InvalidCredentials, InvalidGrant
from domain.sessions import (
    DEFAULT_LIFETIMES,
    RefreshToken,
    RefreshTokenReused,
    Session,
    SessionLifetimes,
    SessionNotFound,
    new_refresh_token,
    refresh_token_hash,
    well_formed_refresh_token,
)
from domain.users import IncorrectLogin, User, new_credentials_stamp

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Grant:
    """What a login or a refresh hands out: a short access token and the session's refresh token."""

    access_token: str
    expires_in: int
    refresh_token: str
    refresh_expires_in: int
    session_id: str
    user: User


@dataclass(frozen=True, slots=True)
class ClientInfo:
    """Where a login or refresh came from, stored with the session for its owner to recognise."""

    address: str = "local"
    user_agent: str = ""


async def end_every_session(uow: UnitOfWork, user_id: int) -> bool:
    """End every session of the user inside `uow` (committed with it): their credentials stamp is
    rotated, so every access token issued so far is refused at once, and every session is removed
    with its refresh tokens. False when there is no such user."""
    if not await uow.users.rotate_credentials_stamp(user_id, new_credentials_stamp()):
        return False
    await uow.sessions.end_all(user_id)
    return True


def _seconds(lifetime: float) -> int:
    return max(0, int(lifetime))


async def start_session(
    uow: UnitOfWork, user: User, lifetimes: SessionLifetimes, client: ClientInfo, clock: Clock
) -> tuple[Session, str]:
    """Store a new session of `user` with its first refresh token (returned in clear, once). The
    user's row is locked and checked again, so that a concurrent sign-out everywhere or suspension
    either ends this session too or comes first and refuses it."""
    assert user.id is not None
    locked = (await uow.users.lock(user.id)).get(user.id)
    if locked is None or locked.credentials_stamp != user.credentials_stamp or locked.suspended:
        raise IncorrectLogin()
    now = clock.now()
    await uow.sessions.prune(user.id, now, lifetimes.idle)
    session = Session.start(user.id, now, lifetimes, client.address, client.user_agent)
    token = new_refresh_token()
    await uow.sessions.add(session, RefreshToken(refresh_token_hash(token), session.id, now))
    return session, token


def grant(
    tokens: TokenService, user: User, session: Session, refresh_token: str, lifetimes: SessionLifetimes
) -> Grant:
    """The tokens of `session`, just started or refreshed (its `last_used_at` is now)."""
    assert user.id is not None
    access = tokens.issue(TokenClaims(user.id, user.credentials_stamp, session.id))
    refresh_expires_in = (session.live_until(lifetimes) - session.last_used_at).total_seconds()
    return Grant(
        access.access_token, access.expires_in, refresh_token, _seconds(refresh_expires_in), session.id, user
    )


SessionCheck = Callable[[str], None]
"""The caller's own condition on the session a token belongs to, given its id: it raises to refuse
(the request is not bound to that session), before anything changes."""


@dataclass(frozen=True, slots=True)
class RefreshSession:
    """Trade a refresh token for a new access token and a new refresh token (rotation; RFC 6749 §6).
    No password hash is computed: the token is looked up by its SHA-256.

    InvalidGrant, changing nothing, for a token that is malformed, unknown (never issued, or its
    session ended), or whose session expired; and for the loser of two concurrent refreshes of one
    token (within the reuse grace). A token presented again later than the grace after its rotation
    was stolen or leaked (RFC 9700 §4.14.2): its whole session ends, the newest token with it, and the
    event is logged and audited before the InvalidGrant. `check_session` refuses the token's session
    first (a cookie session's CSRF token is bound to it), changing nothing, not even on reuse."""

    raises: ClassVar[Raises] = (InvalidGrant, RefreshTokenReused)

    new_uow: Callable[[], UnitOfWork]
    tokens: TokenService
    clock: Clock
    lifetimes: SessionLifetimes = DEFAULT_LIFETIMES

    async def __call__(
        self,
        refresh_token: str,
        client: ClientInfo = ClientInfo(),
        request_id: str | None = None,
        check_session: SessionCheck | None = None,
    ) -> Grant:
        if not well_formed_refresh_token(refresh_token):
            raise InvalidGrant()
        token_hash = refresh_token_hash(refresh_token)
        now = self.clock.now()
        async with self.new_uow() as uow:
            found = await uow.sessions.find_token(token_hash)
            if found is None:
                raise InvalidGrant()
            token, session = found
            if check_session is not None:
                check_session(session.id)
            if not session.is_live(now, self.lifetimes):
                raise InvalidGrant()
            if token.is_reuse(now, self.lifetimes):
                await uow.sessions.end(session.id)
                await uow.audit.add(
                    AuditEntry(
                        AuditAction.REFRESH_TOKEN_REUSED,
                        f"session:{session.id}",
                        now,
                        actor_id=None,
                        reason=f"user:{session.user_id} from {client.address}",
                        request_id=request_id,
                    )
                )
                await uow.commit()
                logger.warning(
                    "security: a rotated refresh token was presented again; its session is ended",
                    extra={"user_id": session.user_id, "session_id": session.id, "client": client.address},
                )
                raise RefreshTokenReused()
            if token.rotated_at is not None:  # a concurrent refresh of the same token won
                raise InvalidGrant()
            user = await uow.users.get(session.user_id)
            if user is None or user.suspended:
                raise InvalidGrant()
            new = new_refresh_token()
            successor = RefreshToken(refresh_token_hash(new), session.id, now)
            if not await uow.sessions.rotate(token_hash, successor, now, client.address):
                raise InvalidGrant()  # another refresh rotated it between our read and our write
            try:
                await uow.commit()
            except Conflict:  # the same, from an adapter that checks its conditional writes at commit
                raise InvalidGrant() from None
        used = replace(session, last_used_at=now)
        return grant(self.tokens, user, used, new, self.lifetimes)


@dataclass(frozen=True, slots=True)
class RevokeToken:
    """RFC 7009: end the session of a refresh token (or of an access token's `sid`). Unknown, invalid
    or already revoked tokens are not an error: the caller's wish (the token no longer works) holds.
    `check_session` may refuse the refresh token's session first, as for RefreshSession."""

    raises: ClassVar[Raises] = ()

    new_uow: Callable[[], UnitOfWork]
    tokens: TokenService

    async def __call__(self, token: str, check_session: SessionCheck | None = None) -> None:
        async with self.new_uow() as uow:
            if well_formed_refresh_token(token):
                found = await uow.sessions.find_token(refresh_token_hash(token))
                if found is not None:
                    if check_session is not None:
                        check_session(found[1].id)
                    await uow.sessions.end(found[1].id)
                    await uow.commit()
                    return
            try:
                claims = self.tokens.read(token)
            except InvalidCredentials:
                return
            if await uow.sessions.end(claims.session_id, claims.user_id):
                await uow.commit()


@dataclass(frozen=True, slots=True)
class ListSessions:
    """The user's live sessions, oldest first, without token material."""

    raises: ClassVar[Raises] = ()

    new_read_uow: Callable[[], ReadUnitOfWork]
    clock: Clock
    lifetimes: SessionLifetimes = DEFAULT_LIFETIMES

    async def __call__(self, user_id: int) -> list[Session]:
        async with self.new_read_uow() as uow:
            sessions = await uow.sessions.list_for_user(user_id)
        now = self.clock.now()
        return [session for session in sessions if session.is_live(now, self.lifetimes)]


@dataclass(frozen=True, slots=True)
class EndSession:
    """End one of the user's own sessions; NotFound("Session") for one that is not theirs."""

    raises: ClassVar[Raises] = (SessionNotFound,)

    new_uow: Callable[[], UnitOfWork]

    async def __call__(self, user_id: int, session_id: str) -> None:
        async with self.new_uow() as uow:
            if not await uow.sessions.end(session_id, user_id):
                raise SessionNotFound(session_id)
            await uow.commit()
