"""Idempotent creates (the IETF httpapi `Idempotency-Key` draft): a create sent again with the same key
by the same caller gets the first answer, and creates nothing more.

A key is claimed first, in a transaction of its own (a running record: the unique (caller, key) decides
between concurrent requests, on every instance); the create then stores its answer in the record in the
same transaction as the row it creates, so a row never exists without its answer, nor an answer without
its row. A create that fails releases its claim (a retry runs again). A claim whose request died (its
lease ran out without an answer) may be taken over. Records expire after KEY_LIFETIME and are deleted by
the claims that come after: no job to schedule."""

import secrets
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import timedelta
from typing import ClassVar, Generic, TypeVar

from application.errors import Raises, StorageUnavailable
from application.ports.clock import Clock
from application.ports.idempotency import (
    TOKEN_LENGTH,
    IdempotencyRecord,
    IdempotentRequest,
    StoredResponse,
)
from application.ports.units_of_work import UnitOfWork
from domain.errors import DomainError, ValidationError

T = TypeVar("T")

KEY_LIFETIME = timedelta(hours=24)
# How long a claim is kept for a request still running; past it, a retry may take the claim over.
LEASE = timedelta(seconds=60)
_CLAIM_ATTEMPTS = 3


class IdempotencyKeyInUse(
    DomainError, message="A request with this Idempotency-Key is still being processed; retry later"
):
    """A request with this key is still running (or was taken over): retry later."""


class IdempotencyKeyReused(ValidationError):
    """The key was used before for a different request."""

    def __init__(self) -> None:
        super().__init__("Idempotency-Key", "This Idempotency-Key was used for a different request")

    location = "header"


@dataclass(slots=True)
class Completion(Generic[T]):
    """Handed to a create use case: awaited in the unit of work that creates, before its commit, it stores
    the answer with the row. The answer is made by `respond` from what was created."""

    request: IdempotentRequest
    token: str
    respond: Callable[[T], StoredResponse]
    response: StoredResponse | None = field(default=None)

    async def __call__(self, uow: UnitOfWork, created: T) -> None:
        response = self.respond(created)
        if not await uow.idempotency.complete(self.request.caller, self.request.key, self.token, response):
            raise IdempotencyKeyInUse()  # taken over by a retry: this create is rolled back
        self.response = response


@dataclass(frozen=True, slots=True)
class Outcome:
    response: StoredResponse
    replayed: bool


@dataclass(frozen=True, slots=True)
class Idempotency:
    """Run a create at most once per (caller, key): the first answer is replayed to a retry with the same
    fingerprint; another fingerprint is IdempotencyKeyReused; a retry while the first runs is
    IdempotencyKeyInUse."""

    raises: ClassVar[Raises] = (IdempotencyKeyReused, IdempotencyKeyInUse)

    new_uow: Callable[[], UnitOfWork]
    clock: Clock
    lease: timedelta = LEASE

    async def run(
        self,
        request: IdempotentRequest,
        create: Callable[[Completion[T]], Awaitable[T]],
        respond: Callable[[T], StoredResponse],
    ) -> Outcome:
        claimed = await self._claim(request)
        if isinstance(claimed, StoredResponse):
            return Outcome(claimed, replayed=True)
        completion = Completion(request, claimed, respond)
        try:
            await create(completion)
        except BaseException:
            with suppress(StorageUnavailable):  # unreleased, the claim runs out with its lease
                await self._release(request, claimed)
            raise
        assert completion.response is not None, "the create use case did not complete the claim"
        return Outcome(completion.response, replayed=False)

    async def _claim(self, request: IdempotentRequest) -> str | StoredResponse:
        for _ in range(_CLAIM_ATTEMPTS):
            now = self.clock.now()
            mine = IdempotencyRecord(
                request, secrets.token_hex(TOKEN_LENGTH // 2), now + self.lease, now + KEY_LIFETIME
            )
            async with self.new_uow() as uow:
                await uow.idempotency.delete_expired(now)
                if await uow.idempotency.add(mine):
                    await uow.commit()
                    return mine.token
                found = await uow.idempotency.get(request.caller, request.key)
                if found is None:
                    continue  # released meanwhile: claim again
                if found.request.fingerprint != request.fingerprint:
                    raise IdempotencyKeyReused()
                if found.response is not None:
                    return found.response
                if found.locked_until > now:
                    raise IdempotencyKeyInUse()
                if await uow.idempotency.take_over(mine, found.token):  # its request died
                    await uow.commit()
                    return mine.token
        raise IdempotencyKeyInUse()

    async def _release(self, request: IdempotentRequest, token: str) -> None:
        async with self.new_uow() as uow:
            await uow.idempotency.release(request.caller, request.key, token)
            await uow.commit()
