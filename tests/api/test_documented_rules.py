"""/docs states the domain's text rules as JSON Schema patterns: they must say what the domain does."""

import re
import sys
from typing import Any

import httpx
import pytest

from api.schemas.text import MULTI_LINE_OR_EMPTY, REFUSED_RANGES
from domain.comments import comment_body
from domain.errors import ValidationError
from domain.posts import post_content, post_title
from domain.text import has_control_characters, multi_line
from domain.users import user_name

SAMPLES = [
    "plain",
    "  padded  ",
    "",
    "   ",
    "\t\n",
    "tab\there",
    "two\nlines",
    "cr\rhere",
    "nul\x00x",
    "bell\x07x",
    "del\x7fx",
    "c1\x85c1",
    "sep\u2028x",
    "para\u2029x",
    "nbsp\u00a0",
    "emoji \U0001f600",
    "bidi\u202eoverride",
    "zero\u200bwidth",
    "soft\u00adhyphen",
    "joiner\u200dhere",
    "\u200d",
    "\u3164",
    "\u0301",
    "\ufe0f\ufe0f",
    "tag\U000e0041",
    "unassigned \U0008003f",
    "\U0008003f",
]


def accepted(rule, value: str) -> bool:
    try:
        rule(value)
    except ValidationError:
        return False
    return True


def documented(schema: dict[str, Any], value: str) -> bool:
    patterns = [part["pattern"] for part in schema.get("allOf", [])] + [schema.get("pattern", ".*")]
    return all(re.search(pattern, value) for pattern in patterns)


@pytest.mark.parametrize(
    ("model", "field", "rule"),
    [
        ("PostCreate", "title", post_title),
        ("PostCreate", "content", post_content),
        ("CommentCreate", "body", comment_body),
        ("UserCreate", "name", user_name),
    ],
)
async def test_documented_patterns_match_the_domain(client: httpx.AsyncClient, model, field, rule) -> None:
    schema = (await client.get("/openapi.json")).json()["components"]["schemas"][model]["properties"][field]
    for value in SAMPLES:
        assert documented(schema, value) == accepted(rule, value), repr(value)


async def test_patch_bodies_are_documented_as_needing_a_field(client: httpx.AsyncClient) -> None:
    schemas = (await client.get("/openapi.json")).json()["components"]["schemas"]
    assert schemas["PostUpdate"]["minProperties"] == schemas["UserUpdate"]["minProperties"] == 1
    assert schemas["CommentUpdate"]["minProperties"] == 1
    assert schemas["CommentUpdate"]["required"] == ["body"]


def test_the_documented_refused_characters_are_the_domains() -> None:
    """Every code point but the surrogates (no UTF-8 body can hold one): refused by the documented ranges
    exactly when the domain refuses it."""
    documented = {code for start, end in REFUSED_RANGES for code in range(start, end + 1)}
    refused = {
        code
        for code in range(sys.maxunicode + 1)
        if not 0xD800 <= code <= 0xDFFF and has_control_characters(chr(code))
    }
    assert documented == refused


def test_the_documented_pattern_of_text_that_may_be_empty_is_the_domains() -> None:
    def rule(value: str) -> str:
        return multi_line("text", value, 10_000, may_be_empty=True)

    for value in SAMPLES:
        assert documented(MULTI_LINE_OR_EMPTY.json_schema_extra, value) == accepted(rule, value), repr(value)
