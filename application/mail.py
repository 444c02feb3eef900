"""The messages the service mails, and where their links lead. Written to the outbox by use cases."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlencode

from application.errors import MailUnavailable
from application.one_time_tokens import OneTimeTokens
from application.ports.clock import Clock
from application.ports.mail import OutgoingMail
from application.ports.recovery import TokenPurpose
from application.ports.units_of_work import UnitOfWork
from domain.users import User

SERVICE_NAME = "Users & posts"


@dataclass(frozen=True, slots=True)
class Links:
    """The pages a mailed link opens (from settings, never from a request's Host); the token travels
    as the `token` query parameter."""

    password_reset: str
    email_verification: str

    def password_reset_link(self, token: str) -> str:
        return f"{self.password_reset}?{urlencode({'token': token})}"

    def email_verification_link(self, token: str) -> str:
        return f"{self.email_verification}?{urlencode({'token': token})}"


def _minutes(lifetime: timedelta) -> str:
    minutes = int(lifetime.total_seconds() // 60)
    return f"{minutes // 60} hours" if minutes % 60 == 0 and minutes >= 120 else f"{minutes} minutes"


def password_reset_mail(user: User, link: str, lifetime: timedelta) -> OutgoingMail:
    return OutgoingMail(
        to=user.email.value,
        subject=f"{SERVICE_NAME}: reset your password",
        body=(
            f"Hello {user.name},\n\nSomeone (hopefully you) asked to reset the password of this account. "
            f"To choose a new one, open this link within {_minutes(lifetime)}:\n\n{link}\n\n"
            "It works once. If you did not ask, ignore this message: your password stays as it is.\n"
        ),
    )


def password_changed_mail(user: User) -> OutgoingMail:
    return OutgoingMail(
        to=user.email.value,
        subject=f"{SERVICE_NAME}: your password was changed",
        body=(
            f"Hello {user.name},\n\nThe password of this account was just changed, and every session "
            "signed in with the old one was ended.\n\nIf this was not you, reset your password now "
            "and tell us.\n"
        ),
    )


def email_verification_mail(user: User, link: str, lifetime: timedelta) -> OutgoingMail:
    return OutgoingMail(
        to=user.email.value,
        subject=f"{SERVICE_NAME}: confirm your email address",
        body=(
            f"Hello {user.name},\n\nTo confirm that this address is yours, open this link within "
            f"{_minutes(lifetime)}:\n\n{link}\n\nIf you did not sign up or change your address, "
            "ignore this message.\n"
        ),
    )


def email_changed_mail(user: User, old_email: str, new_email: str) -> OutgoingMail:
    """The notice to the old address that the account now uses another one."""
    return OutgoingMail(
        to=old_email,
        subject=f"{SERVICE_NAME}: your email address was changed",
        body=(
            f"Hello {user.name},\n\nThe email address of your account was changed to {new_email}. "
            "Messages about the account now go there.\n\nIf this was not you, reset your password "
            "and tell us.\n"
        ),
    )


@dataclass(frozen=True, slots=True)
class Mailing:
    """What the use cases that send mail need: the token rules, the link pages, and whether mail is on
    at all (APP_MAIL_BACKEND=off: flows that exist to mail answer MailUnavailable, others mail nothing)."""

    links: Links
    clock: Clock
    tokens: OneTimeTokens = field(default_factory=OneTimeTokens)
    enabled: bool = True

    def require(self) -> None:
        if not self.enabled:
            raise MailUnavailable()

    async def send_verification(self, uow: UnitOfWork, user: User) -> None:
        """A new verification link to the user's current address (ending the earlier ones), in `uow`."""
        if not self.enabled:
            return
        now = self.clock.now()
        token = await self.tokens.issue(uow, user, TokenPurpose.EMAIL_VERIFICATION, now)
        link = self.links.email_verification_link(token)
        await uow.outbox.add(
            email_verification_mail(user, link, self.tokens.email_verification_lifetime), now
        )

    async def send(self, uow: UnitOfWork, mail: OutgoingMail) -> None:
        """`mail` into the outbox of `uow`, when mail is on."""
        if self.enabled:
            await uow.outbox.add(mail, self.clock.now())


class _NoClock:
    def now(self) -> datetime:
        raise RuntimeError("mail is off: nothing needs the time")


NO_MAIL = Mailing(Links("", ""), _NoClock(), enabled=False)
"""Mail off: for use cases run without a mail set-up (scripts, unit tests of other rules)."""
