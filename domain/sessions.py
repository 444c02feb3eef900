"""Sessions: what a login starts and a refresh token keeps alive, and the rules of their lifetime.

A session lives until its absolute end (`created_at + absolute`) unless it stays unused longer than
the idle limit, or is ended (revoked, signed out everywhere, password change, suspension, deletion).
Each refresh rotates its refresh token: the old one is marked rotated, the new one becomes current.
A rotated token presented again is reuse (RFC 9700 §4.14.2): the session ends, except within a short
grace after its rotation, when it is taken for the loser of two concurrent refreshes of one token."""

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.errors import InvalidGrant, NotFound

REFRESH_TOKEN_BYTES = 32  # 256 bits from the OS's CSPRNG
REFRESH_TOKEN_MAX_LENGTH = 128
SESSION_ID_LENGTH = 32  # uuid4, hex
TOKEN_HASH_LENGTH = 64  # SHA-256, hex
USER_AGENT_MAX_LENGTH = 255
CLIENT_ADDRESS_MAX_LENGTH = 64
DEFAULT_ABSOLUTE_DAYS = 30
DEFAULT_IDLE_DAYS = 7
# Two refreshes of the same token racing: the loser arrives within this long after the winner's
# rotation and is refused without ending the session. Later, the same token again is theft.
DEFAULT_REUSE_GRACE = timedelta(seconds=10)


class SessionNotFound(NotFound, entity="Session"):
    """No session of the caller has this id."""


class RefreshTokenReused(InvalidGrant, message="The refresh token was already used; its session is ended"):
    """A rotated refresh token presented again, later than the grace: taken for theft."""


_TOKEN_RE = re.compile(rf"[A-Za-z0-9_-]{{16,{REFRESH_TOKEN_MAX_LENGTH}}}")
SESSION_ID_PATTERN = r"^[0-9a-f]{32}$"


def new_refresh_token() -> str:
    """An opaque refresh token: 256 random bits, URL-safe base64."""
    return secrets.token_urlsafe(REFRESH_TOKEN_BYTES)


def refresh_token_hash(token: str) -> str:
    """What is stored of a refresh token. SHA-256 suffices (no argon2): the token is random, 256 bits,
    so there is nothing to guess that a slow hash would protect."""
    return hashlib.sha256(token.encode()).hexdigest()


def well_formed_refresh_token(token: str) -> bool:
    return _TOKEN_RE.fullmatch(token) is not None


def new_session_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True, slots=True)
class SessionLifetimes:
    absolute: timedelta = timedelta(days=DEFAULT_ABSOLUTE_DAYS)
    idle: timedelta = timedelta(days=DEFAULT_IDLE_DAYS)
    reuse_grace: timedelta = DEFAULT_REUSE_GRACE


DEFAULT_LIFETIMES = SessionLifetimes()


@dataclass(frozen=True, slots=True)
class Session:
    """A signed-in device or client. No token material: that is in RefreshToken, as a hash."""

    id: str
    user_id: int
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime  # the absolute end
    client_address: str
    user_agent: str

    @classmethod
    def start(
        cls, user_id: int, now: datetime, lifetimes: SessionLifetimes, client_address: str, user_agent: str
    ) -> "Session":
        return cls(
            id=new_session_id(),
            user_id=user_id,
            created_at=now,
            last_used_at=now,
            expires_at=now + lifetimes.absolute,
            client_address=client_address[:CLIENT_ADDRESS_MAX_LENGTH],
            user_agent=user_agent[:USER_AGENT_MAX_LENGTH],
        )

    def live_until(self, lifetimes: SessionLifetimes) -> datetime:
        """When it ends if unused from now on: the idle limit, capped by the absolute end."""
        return min(self.expires_at, self.last_used_at + lifetimes.idle)

    def is_live(self, now: datetime, lifetimes: SessionLifetimes) -> bool:
        return now < self.live_until(lifetimes)


@dataclass(frozen=True, slots=True)
class RefreshToken:
    """A refresh token as stored: its hash, its session, and when it was rotated (None: current)."""

    token_hash: str
    session_id: str
    created_at: datetime
    rotated_at: datetime | None = None

    def is_reuse(self, now: datetime, lifetimes: SessionLifetimes) -> bool:
        """Presented again after its rotation, later than the grace of a concurrent refresh."""
        return self.rotated_at is not None and now - self.rotated_at > lifetimes.reuse_grace
