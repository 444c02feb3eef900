import pytest

from domain.errors import ValidationError
from domain.text import multi_line
from domain.users import (
    EMAIL_MAX_LENGTH,
    NAME_MAX_LENGTH,
    PASSWORD_MAX_LENGTH,
    PASSWORD_MIN_LENGTH,
    Email,
    check_password,
    user_name,
)


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("ada@example.com", "ada@example.com"),
        ("  Ada.Lovelace@Example.COM ", "ada.lovelace@example.com"),
        ("o'brien+tag@mail.example.org", "o'brien+tag@mail.example.org"),
        ("jürgen@bücher.de", "jürgen@xn--bcher-kva.de"),
    ],
)
def test_email_is_trimmed_and_lower_cased(raw: str, normalized: str) -> None:
    assert Email(raw).value == normalized
    assert Email(raw) == Email(normalized)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "plainaddress",
        "@example.com",
        "ada@",
        "ada@example",
        "ada@@example.com",
        "ada lovelace@example.com",
        "ada@exa mple.com",
        ".ada@example.com",
        "ada.@example.com",
        "ada..l@example.com",
        "ada@-example.com",
        "ada@example..com",
        "ada@example.c",
        "ada@example.com\x00",
        "a\x00da@example.com",
        "a\x01da@example.com",
        "a\ud800da@example.com",
        "a\x7fda@example.com",
        "a" * 65 + "@example.com",
        "a@" + "b" * (EMAIL_MAX_LENGTH - 6) + ".com",
    ],
)
def test_invalid_emails_are_refused(raw: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Email(raw)
    assert caught.value.field == "email"


def test_name_is_trimmed() -> None:
    assert user_name("  Ada  ") == "Ada"


@pytest.mark.parametrize("raw", ["", "   ", "\t\n", "x" * (NAME_MAX_LENGTH + 1), "Ada\x00", "Ada\nLovelace"])
def test_bad_names_are_refused(raw: str) -> None:
    with pytest.raises(ValidationError) as caught:
        user_name(raw)
    assert caught.value.field == "name"


def test_name_of_exactly_the_limit_is_accepted() -> None:
    assert user_name("x" * NAME_MAX_LENGTH) == "x" * NAME_MAX_LENGTH


@pytest.mark.parametrize("length", [PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH])
def test_passwords_at_the_limits_are_accepted(length: int) -> None:
    check_password("p" * length)


@pytest.mark.parametrize("length", [0, PASSWORD_MIN_LENGTH - 1, PASSWORD_MAX_LENGTH + 1])
def test_passwords_outside_the_limits_are_refused(length: int) -> None:
    with pytest.raises(ValidationError) as caught:
        check_password("p" * length)
    assert caught.value.field == "password"


def test_multi_line_text_that_may_be_empty_is_stored_empty_when_blank_and_checked_otherwise() -> None:
    assert multi_line("bio", " \n\t", 10, may_be_empty=True) == ""
    assert multi_line("bio", "two\nlines", 10, may_be_empty=True) == "two\nlines"
    with pytest.raises(ValidationError, match="bio must not be empty"):
        multi_line("bio", " ", 10)
    with pytest.raises(ValidationError, match="control or format"):
        multi_line("bio", "a\u202eb", 10, may_be_empty=True)
