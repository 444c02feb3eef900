"""The problem schemas the OpenAPI document refers to from every error response."""

from typing import Annotated

from pydantic import BaseModel, Field
from pydantic.config import JsonDict
from pydantic.json_schema import SkipJsonSchema

from api.problems.oauth import OAuthError
from api.problems.response import MAX_REPORTED_ERRORS


def _no_default(schema: JsonDict) -> None:
    schema.pop("default", None)


class Problem(BaseModel):
    """An RFC 9457 problem: what went wrong, for people (`title`, `detail`) and programs (`type`,
    `status`)."""

    type: str = Field(description="A URI naming the kind of problem; `about:blank` when the status says all")
    title: str = Field(description="The status' short phrase")
    status: int = Field(description="The HTTP status code")
    detail: str = Field(description="What went wrong in this case")
    instance: str = Field(description="The path of the request")
    # Optional, and never null when sent: documented as a plain string.
    request_id: str | SkipJsonSchema[None] = Field(
        default=None, description="The request's id (`X-Request-ID`)", json_schema_extra=_no_default
    )


class FieldError(BaseModel):
    """One invalid part of the request. The rejected value is never echoed."""

    loc: list[str | int] = Field(description='Where: e.g. `["body", "email"]` or `["query", "limit"]`')
    msg: str
    type: str


class ValidationProblem(Problem):
    """A 422 problem: `errors` lists what is not valid (at most 20 of them)."""

    errors: Annotated[list[FieldError], Field(max_length=MAX_REPORTED_ERRORS)]


class OAuthProblem(Problem):
    """A problem answered by an OAuth 2.0 endpoint: RFC 6749 §5.2's members beside the problem's, so
    that a standard OAuth 2.0 client reads the error."""

    error: OAuthError = Field(description="RFC 6749 §5.2's error code")
    error_description: str = Field(description="What went wrong, in printable ASCII (RFC 6749 §5.2)")
    errors: Annotated[list[FieldError], Field(max_length=MAX_REPORTED_ERRORS)] | SkipJsonSchema[None] = Field(
        default=None,
        description="On a refused form: what is not valid (at most 20 of them)",
        json_schema_extra=_no_default,
    )
