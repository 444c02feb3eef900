"""The urlencoded forms of the OAuth 2.0 endpoints (api.paths.OAUTH_PATHS). FastAPI's `Form` takes the
last value of a parameter sent twice; RFC 6749 §3.2 says request parameters must not be repeated, so
these routes refuse their parameters sent more than once (`dependencies=SINGLE_VALUED_FORM`) as any
other malformed form: a validation problem, which api.problems.oauth answers as `invalid_request`."""

from collections import Counter

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from api.problems.oauth import REPEATED_PARAMETER


async def _refuse_repeated_parameters(request: Request) -> None:
    # Only the route's own parameters: the RFC has unknown ones ignored, however often they come.
    route: APIRoute = request.scope["route"]
    declared = {field.alias for field in route.dependant.body_params}
    form = await request.form()  # the one Starlette parsed for the route's Form parameters, kept
    counts = Counter(name for name, _ in form.multi_items() if name in declared)
    repeated = [name for name, count in counts.items() if count > 1]
    if repeated:
        message = "The parameter is sent more than once"
        raise RequestValidationError(
            [{"loc": ("body", name), "msg": message, "type": REPEATED_PARAMETER} for name in repeated]
        )


SINGLE_VALUED_FORM = [Depends(_refuse_repeated_parameters)]
