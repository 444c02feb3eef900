"""`users-posts serve` publishing domain events to a real broker (RabbitMQ, NATS JetStream) through an
outage and a SIGKILL: a scripted session's first half is written while the broker cannot be reached
(the service points at a closed port), the process is killed with SIGKILL, and the service comes back
pointed at the broker for the second half. Every event of the session arrives, in commit order per
entity, duplicates only under the same id."""

import asyncio
import contextlib
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from tests.brokers import BROKER_KINDS, as_environment, broker_of, broker_settings
from tests.e2e.servers import Server, served, server_env, sqlite_copy
from tests.recovery import token_in
from throwaway.processes import free_port
from throwaway.smtp import SmtpServer, smtp_server

PASSWORD = "correct horse battery"
DEADLINE_SECONDS = 30


def closed_port_url(kind: str) -> str:
    port = free_port()  # nothing listens there: the broker "cannot be reached"
    return f"nats://127.0.0.1:{port}" if kind == "nats" else f"amqp://guest:guest@127.0.0.1:{port}/"


async def verification_token(smtp: SmtpServer) -> str:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not smtp.handler.messages:
        assert time.monotonic() < deadline, "no verification mail"
        await asyncio.sleep(0.05)  # polling the SMTP sink the served app delivers to
    body = smtp.handler.messages[0].get_payload(decode=True)
    assert isinstance(body, bytes)
    return token_in(body.decode())


@pytest.mark.parametrize("kind", BROKER_KINDS)
async def test_every_event_of_a_session_arrives_after_an_outage_and_a_kill_9(
    kind: str, migrated_sqlite_template: Path, tmp_path: Path
) -> None:
    with broker_settings(kind) as settings, smtp_server() as smtp:
        env = server_env(
            sqlite_copy(migrated_sqlite_template, tmp_path),
            APP_SMTP_HOST="127.0.0.1",
            APP_SMTP_PORT=str(smtp.port),
            APP_SMTP_SECURITY="none",
            APP_EVENTS_RETRY_SECONDS="0.1",
            APP_EVENTS_RETRY_MAX_SECONDS="0.5",
            **as_environment(settings),
        )
        reader = broker_of(settings)
        async with reader.subscribe() as messages, contextlib.AsyncExitStack() as servers:

            async def serve(events_url: str, log: str) -> Server:
                context = served({**env, "APP_EVENTS_URL": events_url}, tmp_path / log)
                return await asyncio.to_thread(servers.enter_context, context)

            # The first half, while the broker cannot be reached.
            first = await serve(closed_port_url(kind), "first.log")
            async with httpx.AsyncClient(base_url=first.base_url) as client:
                ada = {"name": "Ada", "email": "ada@example.com", "password": PASSWORD}
                user = (await client.post("/users/", json=ada)).json()
                verified = await client.post(
                    "/auth/verify-email", json={"token": await verification_token(smtp)}
                )
                form = {"username": ada["email"], "password": PASSWORD}
                token = (await client.post("/auth/token", data=form)).json()["access_token"]
                auth = {"Authorization": f"Bearer {token}"}
                renamed = await client.patch("/users/me", json={"name": "Ada L."}, headers=auth)
                post = (
                    await client.post("/posts/", json={"title": "Hi", "content": "."}, headers=auth)
                ).json()
                edited = await client.patch(f"/posts/{post['id']}", json={"title": "Hello"}, headers=auth)
                assert [r.status_code for r in (verified, renamed, edited)] == [204, 200, 200]
                assert (await client.get("/health/ready")).status_code == 200  # ready all along
            first.process.kill()  # SIGKILL: no shutdown, nothing flushed
            assert await asyncio.to_thread(first.process.wait, 10) == -9

            # The second half, with the broker back.
            second = await serve(settings["events_url"], "second.log")
            async with httpx.AsyncClient(base_url=second.base_url) as client:
                deleted = await client.delete(f"/posts/{post['id']}", headers=auth)
                gone = await client.request(
                    "DELETE", "/users/me", json={"current_password": PASSWORD}, headers=auth
                )
                assert [deleted.status_code, gone.status_code] == [204, 204]

            received: list[dict[str, Any]] = []
            async with asyncio.timeout(DEADLINE_SECONDS):
                while len({event["id"] for event in received}) < 7:
                    received.append(orjson.loads((await anext(messages)).body))

    copies: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in received:
        copies[event["id"]].append(event)
    assert all(
        len({orjson.dumps(copy) for copy in same}) == 1 for same in copies.values()
    )  # same id, same event
    firsts = [same[0] for same in copies.values()]  # in order of first arrival

    def types(subject: str) -> list[str]:
        return [e["type"].removeprefix("users-posts.") for e in firsts if e["subject"] == subject]

    assert types(f"users/{user['id']}") == [
        "user.registered",
        "user.email_verified",
        "user.updated",
        "user.deleted",
    ]
    assert types(f"posts/{post['id']}") == ["post.created", "post.updated", "post.deleted"]
