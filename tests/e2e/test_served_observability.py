"""Logs, request ids and metrics of the app served over real HTTP (`users-posts serve` in a subprocess,
JSON logs), as an operator sees them."""

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.servers import served, server_env
from tests.factories import UserCreatePayload

DEADLINE_SECONDS = 10


def samples(metrics_text: str, name: str) -> list[tuple[dict[str, str], float]]:
    return [
        (sample.labels, sample.value)
        for family in text_string_to_metric_families(metrics_text)
        for sample in family.samples
        if sample.name == name
    ]


def events(log: str) -> list[dict[str, Any]]:
    """Every line of the log, each parsed as a JSON object (a line that is not one fails the test)."""
    lines = [line for line in log.splitlines() if line.strip()]
    assert lines
    parsed = [json.loads(line) for line in lines]
    assert all(isinstance(event, dict) for event in parsed)
    return parsed


def test_json_logs_request_ids_metrics_and_no_secrets(sqlite_database: str, tmp_path: Path) -> None:
    env = server_env(sqlite_database, APP_LOG_FORMAT="json", APP_LOG_LEVEL="debug")
    payload = UserCreatePayload()
    responses: list[httpx.Response] = []
    with served(env, tmp_path / "server.log") as server, httpx.Client(base_url=server.base_url) as http:
        responses.append(http.post("/users/", json=payload))
        user_id = responses[-1].json()["id"]
        form = {"username": payload["email"], "password": payload["password"]}
        # A password in the query string (a client's mistake) must not reach the log either.
        responses.append(http.post("/auth/token", params={"password": payload["password"]}, data=form))
        token = responses[-1].json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        responses.append(http.post("/posts/", json={"title": "t", "content": "c"}, headers=auth))
        responses.append(http.get("/users/me", params={"access_token": token, "token": token}, headers=auth))
        responses.append(http.post("/auth/token", data={**form, "password": "wrong password"}))
        responses.append(http.get(f"/users/{user_id}", headers={"X-Request-ID": "client-id.1_A"}))
        responses.append(http.get("/users/424242", headers={"X-Request-ID": "no spaces allowed"}))
        responses.append(http.get("/users/1", headers={"X-Request-ID": "x" * 129}))
        responses.append(http.get("/no/such/path/77"))
        metrics = http.get("/metrics")
    log = server.log.read_text()
    statuses = [r.status_code for r in responses]
    assert statuses == [201, 200, 201, 200, 400, 200, 404, 200, 404]

    # Request ids: echoed when sane, replaced when not, generated when absent; in every problem body.
    ids = [r.headers["X-Request-ID"] for r in responses]
    assert ids[5] == "client-id.1_A"
    assert ids[6] != "no spaces allowed"
    assert ids[7] != "x" * 129
    assert len(set(ids)) == len(ids)
    for response in responses:
        if response.headers["content-type"] == "application/problem+json":
            assert response.json()["request_id"] == response.headers["X-Request-ID"]

    # Every line is JSON; one access event per request, with its status, duration and route template.
    parsed = events(log)
    assert not [e for e in parsed if e["logger"] == "uvicorn.access"]
    access = [e for e in parsed if e["logger"] == "api.access"]
    for response in responses:
        mine = [e for e in access if e.get("request_id") == response.headers["X-Request-ID"]]
        assert len(mine) == 1, mine
        assert mine[0]["status"] == response.status_code
        assert mine[0]["duration_ms"] >= 0
        assert mine[0]["path"] == response.request.url.path
    by_id = {e["request_id"]: e for e in access}
    assert by_id[ids[5]]["route"] == "/users/{user_id}"
    assert by_id[ids[8]]["route"] == "unmatched"
    assert by_id[ids[2]]["user_id"] == user_id  # authenticated
    assert by_id[ids[0]]["user_id"] is None
    assert by_id[ids[1]]["query"] == "password=[redacted]"

    # No secret anywhere in the log: password, its hash, the token, the Authorization header.
    with sqlite3.connect(sqlite_database.split("///", 1)[1]) as db:
        (password_hash,) = db.execute("SELECT password_hash FROM user").fetchone()
    for secret in (payload["password"], password_hash, token, token.split(".")[2], "wrong password"):
        assert secret not in log

    # Metrics: route templates as labels, never a raw id; login outcomes.
    assert metrics.status_code == 200
    text = metrics.text
    routes = {labels["route"] for labels, _ in samples(text, "http_requests_total")}
    assert "/users/{user_id}" in routes
    assert "unmatched" in routes
    assert not any(str(i) in route for route in routes for i in (user_id, 424242, 77))
    logins = {labels["outcome"]: value for labels, value in samples(text, "login_attempts_total")}
    assert logins == {"success": 1, "bad_credentials": 1, "throttled": 0, "suspended": 0}
    hashing = {
        labels["operation"]: value for labels, value in samples(text, "password_hashing_seconds_count")
    }
    assert hashing == {"hash": 1, "verify": 2}


def not_found_counted(base_url: str) -> float:
    """GET /users/{user_id} answered 404, as the /metrics of the server at `base_url` counts it."""
    text = httpx.get(f"{base_url}/metrics").text
    counts = {
        (labels["route"], labels["status"]): value for labels, value in samples(text, "http_requests_total")
    }
    return counts.get(("/users/{user_id}", "404"), 0.0)


def test_metrics_cover_every_worker_process(sqlite_database: str, tmp_path: Path) -> None:
    """With PROMETHEUS_MULTIPROC_DIR, what one worker process counted shows in another's /metrics."""
    shared = tmp_path / "prometheus"
    shared.mkdir()
    env = server_env(sqlite_database, PROMETHEUS_MULTIPROC_DIR=str(shared))
    with (
        served(env, tmp_path / "a.log") as a,
        served(env, tmp_path / "b.log") as b,
    ):
        for _ in range(3):
            assert httpx.get(f"{a.base_url}/users/1").status_code == 404
        # A process records its request metrics in batches (api.observability.batches), so another
        # process sees them once the batch is taken: polled, with a deadline.
        deadline = time.monotonic() + DEADLINE_SECONDS
        while (counted := not_found_counted(b.base_url)) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)  # polling a server in another process
    assert counted == 3
