"""The `Idempotency-Key` header of creates (IETF httpapi draft), at the edge: the key's syntax, the
caller, the request's fingerprint, and the answer stored and replayed. What happens to a key (claim,
replay, conflict, expiry) is application.idempotency's: the answer must be stored in the transaction
that creates, which only the use case holds. Here the HTTP answer is turned into the stored one and back.

A key is 1 to 255 printable ASCII characters (spaces inside only); a structured-field string (`"…"`), as
the draft writes it, stands for the characters between its quotes. Anything else is a 400 problem."""

import hashlib
import hmac
import re
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import orjson
from fastapi import Depends, Header, HTTPException, Request
from fastapi.responses import Response
from pydantic import BaseModel

from api.dependencies import options, use_case_of
from application.idempotency import Completion, Idempotency
from application.ports.idempotency import KEY_MAX_LENGTH, IdempotentRequest, StoredResponse

T = TypeVar("T")

KEY_PATTERN = rf"^[\x21-\x7e](?:[\x20-\x7e]{{0,{KEY_MAX_LENGTH - 2}}}[\x21-\x7e])?(?![\s\S])"
_KEY = re.compile(KEY_PATTERN)
_QUOTED = re.compile(r'"((?:[^"\\]|\\[\\"])+)"')
_REPLAYED_HEADERS = ("location", "etag")

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="A key of the caller's choosing (1 to 255 printable characters, e.g. a UUID) making a "
        "retry safe: within 24 h the same key with the same body gets the first answer and creates "
        "nothing; with another body, a 422; while the first request still runs, a 409",
        examples=["8e03978e-40d5-43e8-bc93-6894a57f9324"],
        json_schema_extra={"pattern": KEY_PATTERN},
    ),
]


def idempotency_key(header: str) -> str:
    """The key a header value gives; a 400 problem if it is not one."""
    if not _KEY.fullmatch(header):
        raise HTTPException(400, "The Idempotency-Key header must be 1 to 255 printable characters")
    quoted = _QUOTED.fullmatch(header)
    return re.sub(r"\\(.)", r"\1", quoted[1]) if quoted else header


def fingerprint(request: Request, body: BaseModel, secret: str) -> str:
    """What the request asks, as a keyed hash (a body may hold a password: a plain hash of it could be
    guessed from a leaked table): method, path and the validated body, in one canonical spelling."""
    content = orjson.dumps(
        [request.method, request.url.path, body.model_dump(mode="json")], option=orjson.OPT_SORT_KEYS
    )
    key = hashlib.sha256(b"idempotency-fingerprint:" + secret.encode()).digest()
    return hmac.new(key, content, hashlib.sha256).hexdigest()


def _stored(response: Response) -> StoredResponse:
    headers = tuple((name, response.headers[name]) for name in _REPLAYED_HEADERS if name in response.headers)
    return StoredResponse(response.status_code, headers, bytes(response.body))


def _answer(stored: StoredResponse, *, replayed: bool) -> Response:
    headers = dict(stored.headers) | ({"Idempotent-Replayed": "true"} if replayed else {})
    return Response(stored.body, stored.status, headers=headers, media_type="application/json")


_idempotency = use_case_of(Idempotency)


class AtMostOnce:
    """A create with the request's Idempotency-Key (if any): see `__call__`."""

    __slots__ = ("_header", "_request")

    def __init__(self, request: Request, header: str | None) -> None:
        self._request = request
        self._header = header

    async def __call__(
        self,
        caller: str,
        body: BaseModel,
        create: Callable[[Completion[T] | None], Awaitable[T]],
        respond: Callable[[T], Response],
    ) -> Response:
        """`respond(await create(None))` without a key; with one, the create runs at most once per
        `caller` and key, and every retry with the same `body` gets the first answer."""
        if self._header is None:
            return respond(await create(None))
        request = self._request
        key = idempotency_key(self._header)
        outcome = await _idempotency(request).run(
            IdempotentRequest(caller, key, fingerprint(request, body, options(request).fingerprint_secret)),
            create,
            lambda created: _stored(respond(created)),
        )
        return _answer(outcome.response, replayed=outcome.replayed)


async def _at_most_once(request: Request, idempotency_key: IdempotencyKey = None) -> AtMostOnce:
    return AtMostOnce(request, idempotency_key)


def at_most_once(request: Request, idempotency_key: str | None) -> AtMostOnce:
    """AtMostOnceDep as a plain call, for a route taking the IdempotencyKey header itself (one
    dependency fewer for FastAPI to solve on every request)."""
    return AtMostOnce(request, idempotency_key)


AtMostOnceDep = Annotated[AtMostOnce, Depends(_at_most_once)]
"""The create of a route taking an `Idempotency-Key` header, run at most once per caller and key."""
