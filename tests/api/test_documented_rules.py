"""/docs states the domain's text rules as JSON Schema patterns: they must say what the domain does."""

import re
from typing import Any

import httpx
import pytest

from domain.errors import ValidationError
from domain.posts import post_content, post_title

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
    ("model", "field", "rule"), [("PostCreate", "title", post_title), ("PostCreate", "content", post_content)]
)
async def test_documented_patterns_match_the_domain(client: httpx.AsyncClient, model, field, rule) -> None:
    schema = (await client.get("/openapi.json")).json()["components"]["schemas"][model]["properties"][field]
    for value in SAMPLES:
        assert documented(schema, value) == accepted(rule, value), repr(value)


async def test_patch_bodies_are_documented_as_needing_a_field(client: httpx.AsyncClient) -> None:
    schemas = (await client.get("/openapi.json")).json()["components"]["schemas"]
    assert schemas["PostUpdate"]["minProperties"] == schemas["UserUpdate"]["minProperties"] == 1
