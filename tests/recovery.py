"""What the recovery tests share: a mail set-up on a clock, reading tokens out of mailed links, and
reading back the user they changed."""

import re
from collections.abc import Callable
from datetime import timedelta

from application.mail import Links, Mailing
from application.one_time_tokens import OneTimeTokens
from application.ports.mail import OutgoingMail
from application.ports.units_of_work import UnitOfWork
from domain.users import User
from infrastructure.memory import MemoryStore
from tests.factories import id_of
from tests.fakes import FixedClock

LINKS = Links("https://app.example/reset-password", "https://app.example/verify-email")
_TOKEN = re.compile(r"\?token=([A-Za-z0-9_-]+)")


def mailing(clock: FixedClock, *, enabled: bool = True) -> Mailing:
    tokens = OneTimeTokens(timedelta(minutes=30), timedelta(hours=24))
    return Mailing(LINKS, clock, tokens, enabled=enabled)


def token_in(mail: OutgoingMail | str) -> str:
    """The token of the one link in a mail (or a mail body)."""
    body = mail if isinstance(mail, str) else mail.body
    found: list[str] = _TOKEN.findall(body)
    assert len(found) == 1, body
    return found[0]


def outbox(store: MemoryStore) -> list[OutgoingMail]:
    """The committed outbox, oldest first."""
    return [store.outbox[i].mail for i in sorted(store.outbox)]


async def stored(uow_factory: Callable[[], UnitOfWork], user: User) -> User:
    """`user` as stored now, read through a fresh unit of work."""
    async with uow_factory() as uow:
        found = await uow.users.get(id_of(user))
    assert found is not None
    return found
