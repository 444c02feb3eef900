"""The domain's text rules (domain/text.py) as JSON Schema, so that /docs tells clients what the domain
will refuse (documentation only: the domain enforces them, with its own messages); and the base of PATCH
bodies, whose schema says exactly which bodies are accepted."""

from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from domain.text import BLANK_CHARACTERS

# The code points domain.text refuses in any text (categories Cc, Cf, Zl, Zp of this Python's Unicode
# database; also lone surrogates, Cs, which UTF-8 cannot carry and regex engines refuse to name);
# tests/api/test_documented_rules.py checks them against the domain, code point by code point. Content
# may also hold tabs, newlines and the zero-width (non-)joiner.
REFUSED_RANGES = (
    (0x0, 0x1F), (0x7F, 0x9F), (0xAD, 0xAD), (0x600, 0x605), (0x61C, 0x61C), (0x6DD, 0x6DD),
    (0x70F, 0x70F), (0x890, 0x891), (0x8E2, 0x8E2), (0x180E, 0x180E), (0x200B, 0x200F),
    (0x2028, 0x202E), (0x2060, 0x2064), (0x2066, 0x206F), (0xFEFF, 0xFEFF),
    (0xFFF9, 0xFFFB), (0x110BD, 0x110BD), (0x110CD, 0x110CD), (0x13430, 0x13438), (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A), (0xE0001, 0xE0001), (0xE0020, 0xE007F),
)  # fmt: skip
CONTENT_ALLOWED = "\t\n\r\u200c\u200d"


def _char(code: int) -> str:
    # Escaped in the BMP; astral ones as themselves, which every regex engine reads alike.
    return f"\\u{code:04x}" if code <= 0xFFFF else chr(code)


def _ranges(codes: list[int]) -> str:
    """A regex character-class body for these code points, runs written as ranges."""
    runs: list[list[int]] = []
    for code in sorted(codes):
        if runs and code == runs[-1][1] + 1:
            runs[-1][1] = code
        else:
            runs.append([code, code])
    return "".join(_char(a) if a == b else f"{_char(a)}-{_char(b)}" for a, b in runs)


def _refused_class(allowed: str = "") -> str:
    return _ranges(
        [c for start, end in REFUSED_RANGES for c in range(start, end + 1) if chr(c) not in allowed]
    )


# At least one character that shows: not white space, not blank (domain.text.BLANK_CHARACTERS).
_VISIBLE = "[^\\s" + _ranges([ord(ch) for ch in BLANK_CHARACTERS]) + "]"

SINGLE_LINE: Any = Field(
    json_schema_extra={"allOf": [{"pattern": f"^[^{_refused_class()}]*$"}, {"pattern": _VISIBLE}]}
)
MULTI_LINE: Any = Field(
    json_schema_extra={"allOf": [{"pattern": f"^[^{_refused_class(CONTENT_ALLOWED)}]*$"}, {"pattern": "\\S"}]}
)
# Multi-line text that may be empty (or blank: stored empty), for what a user may clear.
MULTI_LINE_OR_EMPTY: Any = Field(json_schema_extra={"pattern": f"^[^{_refused_class(CONTENT_ALLOWED)}]*$"})


def _patch_schema(schema: dict[str, Any], model: type["PatchBody"]) -> None:
    """A PATCH body must change something, and a field it gives is a value: documented without the
    `null` that pydantic derives from the fields' `None` default (which only means "left out")."""
    schema["minProperties"] = 1
    for field in schema.get("properties", {}).values():
        field.pop("default", None)
        branches = [branch for branch in field.pop("anyOf", []) if branch != {"type": "null"}]
        if len(branches) == 1:
            field.update(branches[0])
        elif branches:
            field["anyOf"] = branches
    if model.proofs:  # without proofs, any one field given is a change: minProperties says it
        schema["anyOf"] = [{"required": [name]} for name in model.changes()]
    if model.dependent_required:
        schema["dependentRequired"] = {name: list(needs) for name, needs in model.dependent_required.items()}


PATCH_BODY = ConfigDict(extra="forbid", json_schema_extra=_patch_schema)


class PatchBody(BaseModel):
    """A PATCH body: only the fields given change, and at least one must be given. Unknown fields are
    refused, and so is `null`: leave a field out to keep it."""

    model_config = PATCH_BODY
    # Fields that prove a change rather than make one (a current password): not enough alone.
    proofs: ClassVar[tuple[str, ...]] = ()
    # A field given needs these too (enforced by the use case; documented here).
    dependent_required: ClassVar[dict[str, tuple[str, ...]]] = {}

    @classmethod
    def changes(cls) -> tuple[str, ...]:
        """The fields that change something: one of them must be given."""
        return tuple(name for name in cls.model_fields if name not in cls.proofs)

    def given(self) -> dict[str, Any]:
        """The fields given, by name."""
        return self.model_dump(exclude_unset=True)

    @model_validator(mode="after")
    def _something_to_change(self) -> Self:
        if not self.model_fields_set & set(self.changes()):
            raise ValueError(f"give at least one of {', '.join(self.changes())}")
        return self

    @field_validator("*", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may not be null; leave the field out to keep it")
        return value
