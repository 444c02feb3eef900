"""Rules shared by every piece of user-supplied text the domain stores."""

import unicodedata

from domain.errors import ValidationError

# Characters that are never part of a name or title: NUL (PostgreSQL cannot store it), other C0/C1
# controls, and line/paragraph separators.
_MULTILINE_ALLOWED = frozenset("\n\r\t")


def single_line(field: str, value: str, max_length: int) -> str:
    """Trim `value` and check it is a non-empty single line of at most `max_length` characters."""
    text = value.strip()
    if not text:
        raise ValidationError(field, f"{field} must not be empty")
    if len(text) > max_length:
        raise ValidationError(field, f"{field} must be at most {max_length} characters")
    if has_control_characters(text):
        raise ValidationError(field, f"{field} must not contain control characters")
    return text


def multi_line(field: str, value: str, max_length: int) -> str:
    """Check `value` is non-blank, at most `max_length` characters, without control characters
    other than newlines and tabs. The text is kept as written."""
    if not value.strip():
        raise ValidationError(field, f"{field} must not be empty")
    if len(value) > max_length:
        raise ValidationError(field, f"{field} must be at most {max_length} characters")
    if has_control_characters(value, _MULTILINE_ALLOWED):
        raise ValidationError(field, f"{field} must not contain control characters")
    return value


def has_control_characters(text: str, allowed: frozenset[str] = frozenset()) -> bool:
    """Whether `text` holds a control character, a lone surrogate or a line/paragraph separator, other
    than those `allowed`."""
    return any(_is_control(ch) and ch not in allowed for ch in text)


def _is_control(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp")
