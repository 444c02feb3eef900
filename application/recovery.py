"""Password reset: ask for a mailed single-use link, then set a new password with it.

Asking never tells whether the account exists (same answer, same work in the request: the mail goes to
the outbox) and never locks the account; confirming rotates the credentials stamp through the one path
every password change takes (application.credentials) and mails a notice."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from application.auth import LOCAL_CLIENT
from application.credentials import store_new_password
from application.errors import MailUnavailable, Overloaded, Raises, RateLimited
from application.mail import Mailing, password_changed_mail, password_reset_mail
from application.one_time_tokens import InvalidToken
from application.ports.clock import Clock
from application.ports.recovery import TokenPurpose
from application.ports.security import PasswordHasher
from application.ports.throttling import NO_RATE_LIMIT, RateLimiter, Throttle
from application.ports.units_of_work import UnitOfWork
from domain.errors import ValidationError
from domain.users import Email, check_password

# A user id no account has (ids start at 1): what the missing-account path revokes, so that it does
# the same database work as the existing-account path.
_NOBODY = 0


@dataclass(frozen=True, slots=True)
class RequestPasswordReset:
    """Mail a password-reset link to the account of `email`, if there is one. Returns the same way
    whether or not there is: the route answers 202 either way. Budgets per account (the normalised
    address, existing or not) and per client address are spent first."""

    raises: ClassVar[Raises] = (ValidationError, RateLimited, MailUnavailable)

    new_uow: Callable[[], UnitOfWork]
    mailing: Mailing
    clock: Clock
    limiter: RateLimiter = NO_RATE_LIMIT

    async def __call__(self, email: str, client: str = LOCAL_CLIENT) -> None:
        self.mailing.require()
        account = Email(email)
        await self.limiter.hit(Throttle.PASSWORD_RESET_PER_ADDRESS, client)
        await self.limiter.hit(Throttle.PASSWORD_RESET_PER_ACCOUNT, account.value)
        now = self.clock.now()
        async with self.new_uow() as uow:
            user = await uow.users.get_by_email(account)
            if user is None:
                # As many statements as below, and a commit that writes to disk too, changing nothing:
                # the answer takes the same time (on PostgreSQL the durable commit is most of it).
                await uow.tokens.revoke(_NOBODY, TokenPurpose.PASSWORD_RESET)
                await uow.outbox.add_decoy(now)
                await uow.commit()
                return
            tokens = self.mailing.tokens
            token = await tokens.issue(uow, user, TokenPurpose.PASSWORD_RESET, now)
            link = self.mailing.links.password_reset_link(token)
            await uow.outbox.add(password_reset_mail(user, link, tokens.password_reset_lifetime), now)
            await uow.commit()  # rolled back: no token, no mail


@dataclass(frozen=True, slots=True)
class ResetPassword:
    """Set a new password with a password-reset token. The token is used up; every access token of the
    account stops working; a notice is mailed. The caller is not logged in. A token that is used,
    expired, ended, unknown or malformed raises InvalidToken and changes nothing. Each client address
    has a budget of confirmations, which bounds guessing."""

    raises: ClassVar[Raises] = (ValidationError, InvalidToken, RateLimited, Overloaded)

    new_uow: Callable[[], UnitOfWork]
    hasher: PasswordHasher
    mailing: Mailing
    clock: Clock
    limiter: RateLimiter = NO_RATE_LIMIT

    async def __call__(self, token: str, new_password: str, client: str = LOCAL_CLIENT) -> None:
        check_password(new_password)
        await self.limiter.hit(Throttle.TOKEN_CONFIRM_PER_ADDRESS, client)
        tokens = self.mailing.tokens
        async with self.new_uow() as uow:  # a bad token costs no hashing
            await tokens.check(uow, token, TokenPurpose.PASSWORD_RESET, self.clock.now())
        password_hash = await self.hasher.hash(new_password)
        now = self.clock.now()
        async with self.new_uow() as uow:
            # Redeemed in the transaction that changes the password: of two confirmations, one wins.
            redeemed = await tokens.redeem(uow, token, TokenPurpose.PASSWORD_RESET, now)
            user = await uow.users.get(redeemed.user_id)
            if user is None or user.email.value != redeemed.email:
                raise InvalidToken()  # the account is gone or its address changed since the mail
            changed = await store_new_password(uow, user, password_hash)
            if changed is None:
                raise InvalidToken()
            await self.mailing.send(uow, password_changed_mail(changed))
            await uow.commit()
