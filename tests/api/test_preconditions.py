"""The parsing rules of If-Match and If-None-Match (api/http/conditional.py), RFC 9110 §8.8.3 and §13.1."""

import pytest
from fastapi import HTTPException

from api.http.conditional import ANY, EntityTag, entity_tag, expected_versions, none_match, parse_tags


def test_our_tags_are_strong_and_name_the_resource_and_its_version() -> None:
    assert entity_tag(7, 3) == '"7.3"'
    assert entity_tag(7, 3, 12) == '"7.3.12"'  # a post's names its comment count too


@pytest.mark.parametrize(
    ("header", "tags"),
    [
        ("*", ANY),
        (" * ", ANY),
        ('"7.3"', [EntityTag("7.3")]),
        ('W/"7.3"', [EntityTag("7.3", weak=True)]),
        ('"7.3", W/"7.4" ,"x"', [EntityTag("7.3"), EntityTag("7.4", weak=True), EntityTag("x")]),
        (', ,"7.3",,', [EntityTag("7.3")]),  # empty list elements are allowed (RFC 9110 §5.6.1.2)
        ('""', [EntityTag("")]),
        ("", []),  # `#entity-tag` is a list of zero or more
        (" , ,", []),
        ('"a*b,c"', [EntityTag("a*b,c")]),  # a comma inside the quotes is part of the tag
        ('"caf\xe9"', [EntityTag("caf\xe9")]),  # obs-text
    ],
)
def test_valid_headers_parse(header: str, tags: object) -> None:
    assert parse_tags(header, "If-Match") == tags


@pytest.mark.parametrize(
    "header",
    [
        "7.3",
        '"7.3',
        '7.3"',
        'w/"7.3"',
        'W/ "7.3"',
        '"7"3"',
        '"7.3" "7.4"',
        '*, "7.3"',
        "**",
        '"a\x01"',
        '"a"b"',
    ],
)
def test_malformed_headers_are_a_400(header: str) -> None:
    with pytest.raises(HTTPException) as refused:
        parse_tags(header, "If-Match")
    assert refused.value.status_code == 400
    assert "If-Match header is malformed" in refused.value.detail


def test_if_match_compares_strongly_and_only_tags_of_this_resource() -> None:
    assert expected_versions(None, 7) is None  # unconditional
    assert expected_versions("*", 7) is None  # any current version
    assert expected_versions('"7.3"', 7) == frozenset({3})
    assert expected_versions('"7.3", "7.5", "8.4"', 7) == frozenset({3, 5})
    assert expected_versions('W/"7.3"', 7) == frozenset()  # weak never matches strongly
    assert expected_versions("", 7) == frozenset()  # an empty list matches nothing
    assert expected_versions('"8.3"', 7) == frozenset()  # another resource's
    assert expected_versions('"anything", "7.03", "7.0", "07.3"', 7) == frozenset()  # not ours: never current


def test_if_match_compares_a_posts_version_whatever_comment_count_its_tag_names() -> None:
    assert expected_versions('"7.3.12"', 7) == frozenset({3})
    assert expected_versions('"7.3.0", "7.4.2"', 7) == frozenset({3, 4})
    assert expected_versions('"8.3.12"', 7) == frozenset()
    assert expected_versions('"7.3.012", "7.3.x", "7.3.1.2", "7.3."', 7) == frozenset()  # not ours


def test_if_none_match_of_a_post_with_another_comment_count_is_not_current() -> None:
    assert not none_match('"7.3.12"', '"7.3.12"')
    assert none_match('"7.3.11"', '"7.3.12"')
    assert none_match('"7.3"', '"7.3.12"')


def test_if_none_match_compares_weakly() -> None:
    current = '"7.3"'
    assert none_match(None, current)
    assert not none_match('"7.3"', current)
    assert not none_match('W/"7.3"', current)
    assert not none_match('"7.2", "7.3"', current)
    assert not none_match("*", current)
    assert none_match('"7.2"', current)
    assert none_match('"8.3"', current)
    assert none_match("", current)
    with pytest.raises(HTTPException):
        none_match("7.3", current)
