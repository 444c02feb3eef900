"""Email verification: prove that an address belongs to the account's owner by a mailed single-use
link. Registration and an email change send one; the owner may ask for a new one."""

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import ClassVar

from application.auth import LOCAL_CLIENT
from application.errors import MailUnavailable, Raises, RateLimited
from application.events import USER_EMAIL_VERIFIED
from application.lookups import existing_user
from application.mail import Mailing
from application.one_time_tokens import InvalidToken
from application.ports.clock import Clock
from application.ports.recovery import TokenPurpose
from application.ports.throttling import NO_RATE_LIMIT, RateLimiter, Throttle
from application.ports.units_of_work import UnitOfWork
from domain.users import UserNotFound


@dataclass(frozen=True, slots=True)
class VerifyEmail:
    """Mark the address a verification token was sent to as verified. The token is used up; one that
    is used, expired, ended, unknown, malformed or for an address the account no longer has raises
    InvalidToken and changes nothing."""

    raises: ClassVar[Raises] = (InvalidToken, RateLimited)

    new_uow: Callable[[], UnitOfWork]
    mailing: Mailing
    clock: Clock
    limiter: RateLimiter = NO_RATE_LIMIT

    async def __call__(self, token: str, client: str = LOCAL_CLIENT) -> None:
        await self.limiter.hit(Throttle.TOKEN_CONFIRM_PER_ADDRESS, client)
        now = self.clock.now()
        async with self.new_uow() as uow:
            redeemed = await self.mailing.tokens.redeem(uow, token, TokenPurpose.EMAIL_VERIFICATION, now)
            user = await uow.users.get(redeemed.user_id)
            if user is None or user.email.value != redeemed.email:
                raise InvalidToken()
            version = await uow.users.update(user.verified(now))
            if not user.email_verified and version is not None:
                await uow.events.add(USER_EMAIL_VERIFIED, replace(user.verified(now), version=version))
            await uow.commit()


@dataclass(frozen=True, slots=True)
class SendVerificationEmail:
    """Mail the caller a new verification link (ending the earlier ones); nothing when their address
    is verified already. Each user has a budget of these."""

    raises: ClassVar[Raises] = (UserNotFound, RateLimited, MailUnavailable)

    new_uow: Callable[[], UnitOfWork]
    mailing: Mailing
    clock: Clock
    limiter: RateLimiter = NO_RATE_LIMIT

    async def __call__(self, user_id: int) -> None:
        self.mailing.require()
        await self.limiter.hit(Throttle.VERIFICATION_EMAIL_PER_USER, str(user_id))
        async with self.new_uow() as uow:
            user = await existing_user(uow.users, user_id)
            if user.email_verified:
                return
            await self.mailing.send_verification(uow, user)
            await uow.commit()
