"""The domain's text rules (domain/text.py) as JSON Schema, so that /docs tells clients what the domain
will refuse. Documentation only: the domain enforces them, with its own messages."""

from typing import Any

from pydantic import ConfigDict, Field

# No C0/C1 control characters, no line or paragraph separators; content may hold tabs and newlines.
_SINGLE_LINE = "^[^\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029]*$"
_MULTI_LINE = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f\\u2028\\u2029]*$"
_NOT_BLANK = "\\S"

SINGLE_LINE: Any = Field(json_schema_extra={"allOf": [{"pattern": _SINGLE_LINE}, {"pattern": _NOT_BLANK}]})
MULTI_LINE: Any = Field(json_schema_extra={"allOf": [{"pattern": _MULTI_LINE}, {"pattern": _NOT_BLANK}]})

# A PATCH body must change something.
PATCH_BODY = ConfigDict(extra="forbid", json_schema_extra={"minProperties": 1})
