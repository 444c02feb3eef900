"""Entity tags and conditional requests (RFC 9110 §8.8.3 and §13).

A user's or a comment's strong entity tag is `"<id>.<version>"`: the version column grows with every
write of the resource (a post's or a comment's also when its author's name, which it shows, changes).
The id is in it so that a tag never matches another resource's, e.g. `/users/me` of another account on
the same client. A post's tag also names its comment count, `"<id>.<version>.<count>"`: the post shows
the count, so a cached copy with another count is not current (If-None-Match), but a comment does not
change the post, so the count is not part of what If-Match compares (a comment never makes its post's
author's edit stale).

Parsing follows the grammar: `If-Match` / `If-None-Match` = `*` / a list of entity tags, where an
entity tag is `"…"` or `W/"…"` of visible ASCII (and obs-text) other than `"`, and a list may be
empty or hold empty elements (an empty If-Match matches nothing; an empty If-None-Match, everything).
Anything else is malformed: a 400 problem, never a guess (ignoring a malformed If-Match would let
through the very write it was sent to stop).

- `If-None-Match` on a read compares weakly (`W/"7.3"` matches `"7.3"`); `*` matches any existing
  resource; a match is a 304 without a body.
- `If-Match` on a write compares strongly: a weak tag never matches; `*` matches any existing resource;
  only the versions of tags naming this resource can match (whatever comment count they name), and the
  writing statement checks them.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import Depends, Header, HTTPException, Request
from fastapi.responses import Response

from api.dependencies import options
from api.http.responses import JSONBytes

_ETAGC = r"[\x21\x23-\x7e\x80-\xff]"
_TAG = rf'(?:W/)?"{_ETAGC}*"'
_OWS = r"[ \t]*"
# `*`, or a list of entity tags (`#entity-tag`: possibly none) with optional white space and empty
# elements (RFC 9110 §5.6.1.2).
# Ends with (?![\s\S]), not $: in Python (and in hypothesis, which schemathesis generates with) $ also
# matches before a final newline.
TAG_LIST_PATTERN = rf"^{_OWS}(?:\*|(?:,{_OWS})*(?:{_TAG}(?:{_OWS},(?:{_OWS}{_TAG})?)*)?){_OWS}(?![\s\S])"
_TAG_LIST = re.compile(TAG_LIST_PATTERN)
_EACH_TAG = re.compile(rf'(W/)?"({_ETAGC}*)"')
_OURS = re.compile(r"([1-9][0-9]*)\.([1-9][0-9]*)(?:\.(?:0|[1-9][0-9]*))?")

ANY: Literal["*"] = "*"


@dataclass(frozen=True, slots=True)
class EntityTag:
    opaque: str  # between the quotes
    weak: bool = False


def entity_tag(resource_id: int | None, version: int, count: int | None = None) -> str:
    """The strong entity tag of a resource, as sent in `ETag`; with `count`, a post's (its comments)."""
    return f'"{resource_id}.{version}"' if count is None else f'"{resource_id}.{version}.{count}"'


def parse_tags(header: str, name: str) -> Literal["*"] | list[EntityTag]:
    """`*` or the entity tags of an If-Match / If-None-Match value; a 400 problem if malformed."""
    if not _TAG_LIST.fullmatch(header):
        raise HTTPException(
            400, f'The {name} header is malformed: give * or entity tags such as "7.3", comma-separated'
        )
    if header.strip() == ANY:
        return ANY
    return [EntityTag(opaque, bool(weak)) for weak, opaque in _EACH_TAG.findall(header)]


def expected_versions(if_match: str | None, resource_id: int) -> frozenset[int] | None:
    """What a write with this If-Match may overwrite: None for any version (no header, or `*`), else
    the versions of the strong tags naming this resource (possibly none: the write is then refused)."""
    if if_match is None:
        return None
    tags = parse_tags(if_match, "If-Match")
    if tags == ANY:
        return None
    versions = set()
    for tag in tags:
        ours = _OURS.fullmatch(tag.opaque)
        if not tag.weak and ours and int(ours[1]) == resource_id:
            versions.add(int(ours[2]))
    return frozenset(versions)


def none_match(if_none_match: str | None, current: str) -> bool:
    """Whether the If-None-Match condition holds (no header, or no tag weakly matching `current`)."""
    if if_none_match is None:
        return True
    tags = parse_tags(if_none_match, "If-None-Match")
    if tags == ANY:
        return False  # the resource exists: the caller has it
    opaque = current.strip('"')
    return not any(tag.opaque == opaque for tag in tags)


def tagged_read(
    request: Request, resource_id: int | None, version: int, body: Callable[[], Any], count: int | None = None
) -> Response:
    """A read's answer, with the resource's entity tag, given the request's If-None-Match."""
    return tagged_json(entity_tag(resource_id, version, count), if_none_match(request), body)


def tagged_json(etag: str, if_none_match: str | None, body: Callable[[], Any]) -> Response:
    """A read's answer: 304 with its ETag and no body when the caller has this version (the JSON is not
    even built), else the JSON of `body()` with its ETag."""
    if not none_match(if_none_match, etag):
        return Response(status_code=304, headers={"ETag": etag})
    return JSONBytes(body(), headers={"ETag": etag})


_TAGS_EXAMPLE = '"7.3"'
IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description="Write only if the resource is still at this version: its `ETag` (strong tags only; "
        "`*`: any version). A stale tag is a 412 and nothing is written",
        examples=[_TAGS_EXAMPLE],
        json_schema_extra={"pattern": TAG_LIST_PATTERN},
    ),
]


async def _if_match(request: Request, if_match: IfMatch = None) -> str | None:
    # async: a sync dependency would run in the threadpool
    if if_match is None and options(request).require_if_match:
        raise HTTPException(
            428, "This change must be conditional: send If-Match with the ETag of the version it is based on"
        )
    return if_match


IfMatchHeader = Annotated[str | None, Depends(_if_match)]
"""The If-Match header of a write (a 428 problem without one when APP_REQUIRE_IF_MATCH is set)."""

_IF_NONE_MATCH = "The `ETag`(s) of the version(s) the caller has: a 304 without a body if still current"
IF_NONE_MATCH_DOCUMENTED: dict[str, Any] = {
    "parameters": [
        {
            "name": "If-None-Match",
            "in": "header",
            "required": False,
            "description": _IF_NONE_MATCH,
            "schema": {
                "type": "string",
                "title": "If-None-Match",
                "description": _IF_NONE_MATCH,
                "examples": [_TAGS_EXAMPLE],
                "pattern": TAG_LIST_PATTERN,
            },
        }
    ]
}
"""`openapi_extra` of a conditional read: the If-None-Match header it honours (`if_none_match`)."""


def if_none_match(request: Request) -> str | None:
    """The If-None-Match header of a read. Read from the request rather than declared as a header
    parameter, which FastAPI would parse on every request (`python -m benchmarks.dependency_cost`);
    the header is documented by IF_NONE_MATCH_DOCUMENTED."""
    return request.headers.get("if-none-match")
