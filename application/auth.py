"""Authentication use cases: log in, resolve the caller of a request, prove a password, sign out."""

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from application.errors import Overloaded, Raises, RateLimited
from application.ports.clock import Clock
from application.ports.security import PasswordHasher, TokenService
from application.ports.throttling import NO_RATE_LIMIT, RateLimiter, Throttle
from application.ports.units_of_work import ReadUnitOfWork, UnitOfWork
from application.sessions import ClientInfo, Grant, end_every_session, grant, start_session
from domain.errors import AccountSuspended, InvalidCredentials, ValidationError
from domain.sessions import DEFAULT_LIFETIMES, SessionLifetimes
from domain.users import Email, IncorrectLogin, User, UserNotFound, WrongPassword


class NotAuthenticated(InvalidCredentials, message="Not authenticated"):
    """No access token was sent."""


# The client address of a call that did not come over the network (a script, a test).
LOCAL_CLIENT = "local"


@dataclass(frozen=True, slots=True)
class Authenticate:
    """Exchange an email and password for a new session: an access token and a refresh token. A wrong
    email and a wrong password fail the same way and take the same time. Failures are counted per
    account and per client address, and checked before any hashing; a success gives the account its
    budget back. A suspended account with the right password is AccountSuspended (a 403)."""

    raises: ClassVar[Raises] = (IncorrectLogin, AccountSuspended, RateLimited, Overloaded)

    new_uow: Callable[[], UnitOfWork]
    hasher: PasswordHasher
    tokens: TokenService
    clock: Clock
    limiter: RateLimiter = NO_RATE_LIMIT
    lifetimes: SessionLifetimes = DEFAULT_LIFETIMES

    async def __call__(
        self, email: str, password: str, client: ClientInfo = ClientInfo(LOCAL_CLIENT)
    ) -> Grant:
        try:
            account: str | None = Email(email).value
        except ValidationError:
            account = None  # no such account can exist: only the client's budget applies
        await self.limiter.check(Throttle.FAILED_LOGIN_PER_ADDRESS, client.address)
        if account is not None:
            await self.limiter.check(Throttle.FAILED_LOGIN_PER_ACCOUNT, account)
        user = None
        if account is not None:
            async with self.new_uow() as uow:
                user = await uow.users.get_by_email(Email.trusted(account))
        password_hash = user.password_hash if user else None
        if not await self.hasher.verify(password, password_hash) or user is None or user.id is None:
            await _count_failure(self.limiter, Throttle.FAILED_LOGIN_PER_ADDRESS, client.address)
            if account is not None:
                await _count_failure(self.limiter, Throttle.FAILED_LOGIN_PER_ACCOUNT, account)
            raise IncorrectLogin()
        await self.limiter.clear(Throttle.FAILED_LOGIN_PER_ACCOUNT, user.email.value)
        if user.suspended:
            raise AccountSuspended()
        async with self.new_uow() as uow:
            session, refresh_token = await start_session(uow, user, self.lifetimes, client, self.clock)
            await uow.commit()
        return grant(self.tokens, user, session, refresh_token, self.lifetimes)


async def _count_failure(limiter: RateLimiter, throttle: Throttle, key: str) -> None:
    # The budget was checked before hashing; concurrent failures may have spent it since: the caller
    # still gets the failure it earned, the next attempt gets the 429.
    with contextlib.suppress(RateLimited):
        await limiter.hit(throttle, key)


async def prove_password(
    limiter: RateLimiter, hasher: PasswordHasher, user: User, current_password: str | None
) -> None:
    """PermissionDenied unless `current_password` is the user's password. A wrong one counts as a
    failed login of the account, and the account's budget is checked before hashing."""
    if current_password is None:
        raise ValidationError("current_password", "current_password is required for this change")
    await limiter.check(Throttle.FAILED_LOGIN_PER_ACCOUNT, user.email.value)
    if not await hasher.verify(current_password, user.password_hash):
        await _count_failure(limiter, Throttle.FAILED_LOGIN_PER_ACCOUNT, user.email.value)
        raise WrongPassword()


@dataclass(frozen=True, slots=True)
class Caller:
    """The authenticated user of a request, and the session their access token belongs to."""

    user: User
    session_id: str


@dataclass(frozen=True, slots=True)
class CurrentUser:
    """The user an access token names; InvalidCredentials when the token is bad, the user is gone or
    suspended, their credentials stamp has changed (new password, signed out everywhere) since it was
    issued, or its session (`sid`) was ended: checked on every request, so ending a session stops its
    access tokens at once (docs/performance.md gives its cost)."""

    raises: ClassVar[Raises] = (NotAuthenticated, InvalidCredentials)

    new_read_uow: Callable[[], ReadUnitOfWork]
    tokens: TokenService

    async def __call__(self, token: str | None) -> User:
        return (await self.caller(token)).user

    async def caller(self, token: str | None) -> Caller:
        if not token:
            raise NotAuthenticated()
        claims = self.tokens.read(token)
        async with self.new_read_uow() as uow:
            user = await uow.sessions.user_in_session(claims.user_id, claims.session_id)
        if user is None or user.credentials_stamp != claims.stamp or user.suspended:
            raise InvalidCredentials()
        return Caller(user, claims.session_id)


@dataclass(frozen=True, slots=True)
class SignOutEverywhere:
    """Every session of the user ends: every access and refresh token issued so far stops working."""

    raises: ClassVar[Raises] = (UserNotFound,)

    new_uow: Callable[[], UnitOfWork]

    async def __call__(self, user_id: int) -> None:
        async with self.new_uow() as uow:
            if not await end_every_session(uow, user_id):
                raise UserNotFound(user_id)
            await uow.commit()
