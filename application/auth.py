"""Authentication use cases: log in, resolve the caller of a request, prove a password, sign out."""

import contextlib
from collections.abc import Callable
from dataclasses import dataclass

from application.errors import RateLimited
from application.lookups import existing_user
from application.ports import (
    NO_RATE_LIMIT,
    IssuedToken,
    PasswordHasher,
    RateLimiter,
    ReadUnitOfWork,
    Throttle,
    TokenClaims,
    TokenService,
    UnitOfWork,
)
from domain.errors import InvalidCredentials, PermissionDenied, ValidationError
from domain.users import Email, User

# The client address of a call that did not come over the network (a script, a test).
LOCAL_CLIENT = "local"


@dataclass(frozen=True, slots=True)
class Authenticate:
    """Exchange an email and password for an access token. A wrong email and a wrong password fail the
    same way and take the same time. Failures are counted per account and per client address, and
    checked before any hashing; a success gives the account its budget back."""

    new_read_uow: Callable[[], ReadUnitOfWork]
    hasher: PasswordHasher
    tokens: TokenService
    limiter: RateLimiter = NO_RATE_LIMIT

    async def __call__(self, email: str, password: str, client: str = LOCAL_CLIENT) -> IssuedToken:
        try:
            account: str | None = Email(email).value
        except ValidationError:
            account = None  # no such account can exist: only the client's budget applies
        await self.limiter.check(Throttle.FAILED_LOGIN_PER_ADDRESS, client)
        if account is not None:
            await self.limiter.check(Throttle.FAILED_LOGIN_PER_ACCOUNT, account)
        user = None
        if account is not None:
            async with self.new_read_uow() as uow:
                user = await uow.users.get_by_email(Email.trusted(account))
        password_hash = user.password_hash if user else None
        if not await self.hasher.verify(password, password_hash) or user is None or user.id is None:
            await _count_failure(self.limiter, Throttle.FAILED_LOGIN_PER_ADDRESS, client)
            if account is not None:
                await _count_failure(self.limiter, Throttle.FAILED_LOGIN_PER_ACCOUNT, account)
            raise InvalidCredentials("Incorrect email or password")
        await self.limiter.clear(Throttle.FAILED_LOGIN_PER_ACCOUNT, user.email.value)
        return self.tokens.issue(TokenClaims(user.id, user.credentials_stamp))


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
        raise PermissionDenied("The current password is incorrect")


@dataclass(frozen=True, slots=True)
class CurrentUser:
    """The user an access token names; InvalidCredentials when the token is bad, the user is gone or
    their credentials stamp has changed (new password, signed out everywhere) since it was issued."""

    new_read_uow: Callable[[], ReadUnitOfWork]
    tokens: TokenService

    async def __call__(self, token: str | None) -> User:
        if not token:
            raise InvalidCredentials("Not authenticated")
        claims = self.tokens.read(token)
        async with self.new_read_uow() as uow:
            user = await uow.users.get(claims.user_id)
        if user is None or user.credentials_stamp != claims.stamp:
            raise InvalidCredentials("Could not validate credentials")
        return user


@dataclass(frozen=True, slots=True)
class SignOutEverywhere:
    """Revoke every access token of the user issued so far, by rotating their credentials stamp."""

    new_uow: Callable[[], UnitOfWork]

    async def __call__(self, user_id: int) -> None:
        async with self.new_uow() as uow:
            user = await existing_user(uow.users, user_id)
            await uow.users.update(user.signed_out())
            await uow.commit()
