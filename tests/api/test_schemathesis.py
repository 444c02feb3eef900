"""A bounded, derandomized schemathesis run: generated requests against every operation of the app on a
migrated SQLite file, in process. No answer may be a 5xx; every answer must be one the schema documents
(status, content type, headers, body); input the schema allows is accepted and input it forbids is
refused; operations documented as authenticated refuse requests without a valid token."""

import itertools
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from dependency_injector import providers
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    missing_required_header,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from api.app import create_app
from api.http.idempotency import _KEY
from infrastructure.container import Container
from infrastructure.settings import Settings
from tests.fakes import FakeHasher
from throwaway.databases import sqlite_url

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    # The schema says exactly what is accepted: valid input is not refused, invalid input is.
    positive_data_acceptance,
    negative_data_rejection,
    missing_required_header,
    ignored_auth,  # an operation documented as authenticated refuses a missing or bad token
    unsupported_method,  # a method the path does not have is a 405 with Allow
]
PASSWORD = "correct horse battery"
# Throttling would answer most generated writes with a documented 429 and test nothing else.
UNTHROTTLED = {
    "APP_LIMIT_REGISTER_PER_ADDRESS": "1000000/second",
    "APP_LIMIT_LOGIN_PER_ACCOUNT": "1000000/second",
    "APP_LIMIT_LOGIN_PER_ADDRESS": "1000000/second",
    "APP_LIMIT_POSTS_PER_USER": "1000000/second",
    "APP_LIMIT_COMMENTS_PER_USER": "1000000/second",
    "APP_LIMIT_PASSWORD_RESET_PER_ACCOUNT": "1000000/second",
    "APP_LIMIT_PASSWORD_RESET_PER_ADDRESS": "1000000/second",
    "APP_LIMIT_CONFIRM_PER_ADDRESS": "1000000/second",
    "APP_LIMIT_VERIFICATION_EMAIL_PER_USER": "1000000/second",
}
BASE_URL = "http://testserver"
# A generated token is schema-valid yet never a live one: these answer it with the documented 400, which
# positive_data_acceptance would take for valid input refused (a cookie session's refresh, without the
# refresh cookie a browser sends, likewise). Every other check still applies.
TOKEN_REDEEMING = {"/auth/password-reset/confirm", "/auth/verify-email", "/auth/session/refresh"}
_emails = itertools.count()

# Generated from the schema the app serves (building it touches no database). The requests go to the
# `app` fixture's own instance: schemathesis' lazy pytest loader does not run on this pytest.
schema = schemathesis.openapi.from_dict(create_app().openapi())
# A well-formed If-Match naming another version is refused by design: 412 (nothing written).
schema.config.checks.positive_data_acceptance.expected_statuses.append("412")
_keys = itertools.count()


def one_idempotency_key_per_request(case: schemathesis.Case[Any]) -> None:
    """Generated requests reuse a few keys with other bodies, which is a 422 by design (and a replay of
    a body sent before changes what the stateful runs see). Each valid key is made one of its own, as a
    client makes one per request; tests/api/test_idempotency.py tests the reuse of keys."""
    key = case.headers.get("Idempotency-Key") if case.headers else None
    if case.headers and isinstance(key, str) and _KEY.fullmatch(key):
        case.headers["Idempotency-Key"] = f"{key[:200].rstrip()}#{next(_keys)}"


@pytest.fixture(scope="module")
def app(migrated_sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    """The app on a migrated SQLite file of its own (schemathesis runs its lifespan)."""
    path = tmp_path_factory.mktemp("schemathesis") / "app.db"
    shutil.copyfile(migrated_sqlite_template, path)
    with pytest.MonkeyPatch.context() as env:
        for name, value in UNTHROTTLED.items():
            env.setenv(name, value)
        container = Container()
        container.settings.override(providers.Object(Settings(database_url=sqlite_url(path))))
        container.hasher.override(providers.Object(FakeHasher()))
        container.settings()
        yield create_app(container)


class Caller:
    """A registered user's bearer token, replaced by a new user's when it stops working (the generated
    requests may delete the account or change its password)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.headers: dict[str, str] = {}

    def call(self, method: str, path: str, **case: Any) -> schemathesis.Response:
        return schema[path][method].Case(**case).call(app=self.app, base_url=BASE_URL)

    def authorization(self) -> dict[str, str]:
        if self.headers and self.call("GET", "/users/me", headers=self.headers).status_code == 200:
            return self.headers
        email = f"schemathesis{next(_emails)}@example.com"
        user = {"name": "Schemathesis", "email": email, "password": PASSWORD}
        assert self.call("POST", "/users/", body=user).status_code == 201
        form = {"username": email, "password": PASSWORD}
        login = self.call("POST", "/auth/token", body=form, media_type="application/x-www-form-urlencoded")
        self.headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        return self.headers


@pytest.fixture(scope="module")
def caller(app: FastAPI) -> Caller:
    return Caller(app)


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    database=None,  # no .hypothesis/ directory in the work tree
    derandomize=True,  # the same requests on every run: make test does not flake
    suppress_health_check=list(HealthCheck),
)
def test_every_answer_is_documented(case: schemathesis.Case[Any], app: FastAPI, caller: Caller) -> None:
    headers = caller.authorization() if "security" in case.operation.definition.raw else None
    one_idempotency_key_per_request(case)
    case.call_and_validate(
        app=app, base_url=BASE_URL, headers=headers, checks=CHECKS, excluded_checks=excluded_checks(case)
    )


def excluded_checks(case: schemathesis.Case[Any]) -> list[Any] | None:
    return [positive_data_acceptance] if case.operation.path in TOKEN_REDEEMING else None


def test_workflows_across_operations_stay_documented(app: FastAPI, caller: Caller) -> None:
    """Sequences that feed one answer into the next request (the links schemathesis infers: a created
    post read, edited, deleted, then read again), checked like single requests plus for deleted
    resources that stay reachable and created ones that are not."""

    database = app.state.container.settings().database_url.removeprefix("sqlite:///")

    class Workflow(schema.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            # Each scenario starts from empty tables: hypothesis replays scenarios, and a replay must see
            # the answers the first run saw (an email registered by an earlier scenario would now be a 409
            # and change which steps follow: "inconsistent data generation").
            with sqlite3.connect(database) as tables:
                tables.execute("DELETE FROM idempotency_record")
                tables.execute("DELETE FROM comment")  # this connection does not enforce foreign keys
                tables.execute("DELETE FROM post")
                tables.execute('DELETE FROM "user"')
            caller.headers = {}

        def get_call_kwargs(self, case: schemathesis.Case[Any]) -> dict[str, Any]:
            one_idempotency_key_per_request(case)
            headers = caller.authorization() if "security" in case.operation.definition.raw else None
            return {"app": app, "base_url": BASE_URL, "headers": headers}

        def validate_response(
            self, response: Any, case: schemathesis.Case[Any], additional_checks: Any = None, **kwargs: Any
        ) -> None:
            case.validate_response(
                response,
                additional_checks=additional_checks,
                excluded_checks=excluded_checks(case),
                transport_kwargs=kwargs or None,
                recorder=self.recorder,
            )

    Workflow.run(
        settings=settings(
            max_examples=15,
            stateful_step_count=6,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
    )
