"""Rules shared by every piece of user-supplied text the domain stores."""

import unicodedata

from domain.errors import ValidationError

# Characters that are never part of stored text: NUL (PostgreSQL cannot store it), other C0/C1
# controls, lone surrogates, line/paragraph separators, and format characters (category Cf: bidi
# overrides such as U+202E, zero-width spaces and joiners) that make text read other than it is.
_REFUSED_CATEGORIES = frozenset(("Cc", "Cs", "Cf", "Zl", "Zp"))
# Content may also hold the zero-width joiner and non-joiner (Cf): emoji sequences such as 👩‍💻 and
# scripts such as Persian need them; they reorder nothing. Names and titles refuse every Cf.
_MULTILINE_ALLOWED = frozenset("\n\r\t\u200c\u200d")
# Characters that show nothing although their category says otherwise: Hangul fillers, the braille
# blank, the combining grapheme joiner and variation selectors.
BLANK_CHARACTERS = frozenset(
    "\u115f\u1160\u3164\uffa0\u2800\u034f\u180b\u180c\u180d\u180f"
    + "".join(map(chr, range(0xFE00, 0xFE10)))
    + "".join(map(chr, range(0xE0100, 0xE01F0)))
)


def single_line(field: str, value: str, max_length: int) -> str:
    """Trim `value` and check it is a single line of at most `max_length` characters showing at least
    one visible character."""
    text = value.strip()
    if not text:
        raise ValidationError(field, f"{field} must not be empty")
    if len(text) > max_length:
        raise ValidationError(field, f"{field} must be at most {max_length} characters")
    if has_control_characters(text):
        raise ValidationError(field, f"{field} must not contain control or format characters")
    if not any(_is_visible(ch) for ch in text):
        raise ValidationError(field, f"{field} must contain a visible character")
    return text


def multi_line(field: str, value: str, max_length: int, *, may_be_empty: bool = False) -> str:
    """Check `value` is non-blank (with `may_be_empty`: or blank, stored empty), at most `max_length`
    characters, without control or format characters other than newlines and tabs. The text is kept as
    written."""
    if not value.strip():
        if may_be_empty:
            return ""
        raise ValidationError(field, f"{field} must not be empty")
    if len(value) > max_length:
        raise ValidationError(field, f"{field} must be at most {max_length} characters")
    if has_control_characters(value, _MULTILINE_ALLOWED):
        raise ValidationError(field, f"{field} must not contain control or format characters")
    return value


def has_control_characters(text: str, allowed: frozenset[str] = frozenset()) -> bool:
    """Whether `text` holds a control or format character, a lone surrogate or a line/paragraph
    separator, other than those `allowed`."""
    return any(unicodedata.category(ch) in _REFUSED_CATEGORIES and ch not in allowed for ch in text)


def _is_visible(ch: str) -> bool:
    """Shows something: not white space, not blank, and not refused (checked before)."""
    return not ch.isspace() and ch not in BLANK_CHARACTERS
