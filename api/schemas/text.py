"""The domain's text rules (domain/text.py) as JSON Schema, so that /docs tells clients what the domain
will refuse (documentation only: the domain enforces them, with its own messages); and the base of PATCH
bodies, whose schema says exactly which bodies are accepted."""

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

# No C0/C1 control characters, no line or paragraph separators; content may hold tabs and newlines.
_SINGLE_LINE = "^[^\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029]*$"
_MULTI_LINE = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f\\u2028\\u2029]*$"
_NOT_BLANK = "\\S"

SINGLE_LINE: Any = Field(json_schema_extra={"allOf": [{"pattern": _SINGLE_LINE}, {"pattern": _NOT_BLANK}]})
MULTI_LINE: Any = Field(json_schema_extra={"allOf": [{"pattern": _MULTI_LINE}, {"pattern": _NOT_BLANK}]})


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
    if model.changes:
        schema["anyOf"] = [{"required": [name]} for name in model.changes]
    if model.dependent_required:
        schema["dependentRequired"] = {name: list(needs) for name, needs in model.dependent_required.items()}


PATCH_BODY = ConfigDict(extra="forbid", json_schema_extra=_patch_schema)


class PatchBody(BaseModel):
    """A PATCH body: only the fields given change. Unknown fields are refused, and so is `null`: leave a
    field out to keep it."""

    model_config = PATCH_BODY
    # For the schema, when not every field is a change: the fields one of which must be given.
    changes: ClassVar[tuple[str, ...]] = ()
    # For the schema: a field given needs these too.
    dependent_required: ClassVar[dict[str, tuple[str, ...]]] = {}

    @field_validator("*", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may not be null; leave the field out to keep it")
        return value
