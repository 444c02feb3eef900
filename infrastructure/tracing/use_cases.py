"""One span per use case, named after its class (`CreatePost`), made in one place: when tracing is on,
each use-case provider of the container builds a subclass whose public async methods run in that span;
the domain error that ends one is recorded on it (an exception event, `error.type`, an error status).
Inside a trace the sampler dropped, no span is made. Off, the providers build the plain classes:
nothing is added to a call."""

import dataclasses
import inspect
from collections.abc import Awaitable, Callable, Iterator
from functools import wraps
from typing import Any

from dependency_injector import containers, providers
from opentelemetry import context, trace
from opentelemetry.trace import StatusCode, Tracer

from infrastructure.tracing.dropped import DroppedSpan, current_span

Method = Callable[..., Awaitable[Any]]


def _traced(method: Method, name: str, tracer: Tracer) -> Method:
    async def in_span(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        # By hand rather than start_as_current_span: two context managers less on every call.
        span = tracer.start_span(name, record_exception=False, set_status_on_exception=False)
        token = context.attach(trace.set_span_in_context(span))
        try:
            return await method(*args, **kwargs)
        except Exception as error:
            span.set_attribute("error.type", type(error).__qualname__)
            span.record_exception(error)
            span.set_status(StatusCode.ERROR, f"{type(error).__qualname__}: {error}")
            raise
        finally:
            context.detach(token)
            span.end()

    # Not a coroutine function itself: in a trace the sampler dropped it hands on the method's own
    # coroutine, so that the call costs no coroutine of its own.
    @wraps(method)
    def traced(*args: Any, **kwargs: Any) -> Awaitable[Any]:
        current = current_span()
        if type(current) is DroppedSpan or (
            current is not None and not current.is_recording() and current.get_span_context().is_valid
        ):  # a trace its sampler dropped: the span would be dropped too; not making it is cheaper
            return method(*args, **kwargs)
        return in_span(args, kwargs)

    return traced


def traced_use_case(kind: type, tracer: Tracer) -> type:
    """A subclass of the use case `kind` whose public async methods (`__call__`, and such as
    CurrentUser.caller) each run in a span named after `kind`. It adds no field and no slot: it is
    built, compared and typed as `kind` is."""
    name = kind.__name__
    methods = {
        attribute: _traced(member, name, tracer)
        for attribute, member in vars(kind).items()
        if (attribute == "__call__" or not attribute.startswith("_")) and inspect.iscoroutinefunction(member)
    }
    namespace = {"__slots__": (), "__module__": kind.__module__, "__qualname__": kind.__qualname__}
    return type(name, (kind,), namespace | methods)


def use_case_factories(container: containers.Container) -> Iterator[providers.Factory[Any]]:
    """The container's use-case providers: the factories of its Aggregates (infrastructure.container's
    Wiring) that build dataclasses."""
    for provider in container.providers.values():
        if isinstance(provider, providers.Aggregate):
            for factory in provider.providers.values():
                if isinstance(factory, providers.Factory) and dataclasses.is_dataclass(factory.cls):
                    yield factory


def trace_use_cases(container: containers.Container, tracer: Tracer) -> None:
    """Make the use-case providers of `container` (an instance: the class is left alone) build traced
    use cases."""
    for factory in use_case_factories(container):
        factory.set_provides(traced_use_case(factory.cls, tracer))
