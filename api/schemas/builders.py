"""Response JSON derived from the response DTOs: `json_builder(Model)` makes the function that turns an
entity (or read model) into the JSON-ready data of `Model`, without constructing the model, which FastAPI
would validate again before serializing. Each field of the model is the object's attribute of the same
name, unless the field says otherwise in its annotation:

- `Source("email.value")` or `Source(function)`: a dotted path from the object, or a function of it;
- `Given()`: passed by the caller, after the object (`build(session, True)`), in field order;
- a `Literal` of one value: that value; a field whose type is a model: that model's JSON, from the
  attribute of the same name.

The builder is compiled once per model into one function writing a dict literal: the bytes served are
those of the model's own serialization (tests/api/test_response_shapes.py)."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel

JsonBuilder = Callable[..., dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Source:
    """Where a response field's value comes from, when it is not the attribute of the same name."""

    path: str | Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class Given:
    """A response field the caller passes to the builder (what the object does not know)."""


def _marker(metadata: list[Any], kind: type) -> Any:
    return next((item for item in metadata if isinstance(item, kind)), None)


def _model_of(annotation: Any) -> type[BaseModel] | None:
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None


def json_builder(model: type[BaseModel]) -> JsonBuilder:
    """The function building `model`'s JSON-ready data from an object (see the module's docstring)."""
    scope: dict[str, Any] = {}
    entries, given = [], []
    for number, (name, field) in enumerate(model.model_fields.items()):
        source = _marker(field.metadata, Source)
        if _marker(field.metadata, Given) is not None:
            given.append(name)
            expression = name
        elif source is not None and callable(source.path):
            scope[f"source{number}"] = source.path
            expression = f"source{number}(o)"
        elif source is not None:
            expression = f"o.{source.path}"
        elif get_origin(field.annotation) is Literal and len(get_args(field.annotation)) == 1:
            scope[f"constant{number}"] = get_args(field.annotation)[0]
            expression = f"constant{number}"
        elif (nested := _model_of(field.annotation)) is not None:
            scope[f"nested{number}"] = json_builder(nested)
            expression = f"nested{number}(o.{name})"
        else:
            expression = f"o.{name}"
        entries.append(f"{name!r}: {expression}")
    parameters = ", ".join(["o", *given])
    builder: JsonBuilder = eval(f"lambda {parameters}: {{{', '.join(entries)}}}", scope)
    return builder
