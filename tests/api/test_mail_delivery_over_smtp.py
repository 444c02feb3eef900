"""The app as served wires it (SQL storage, the delivery loop in its lifespan) mailing through a real
SMTP server: the reset flow end to end, SMTP down then back, and nothing sent twice."""

import asyncio
from email.message import Message
from typing import Any

import pytest

from infrastructure.container import Container
from infrastructure.outbox.queue import OutboxStatus
from tests.api.sql_apps import sql_app
from tests.recovery import token_in
from throwaway.processes import free_port
from throwaway.smtp import SmtpServer, smtp_server

DEADLINE_SECONDS = 15


def smtp_settings(port: int) -> dict[str, Any]:
    return {
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_security": "none",
        "mail_from": "Users & posts <no-reply@mail.example>",
        "frontend_url": "https://app.example",
        "mail_retry_seconds": 0.2,
        "mail_retry_max_seconds": 0.5,
        "limit_register_per_address": "1000/minute",
    }


async def received(server: SmtpServer, count: int) -> list[Message]:
    """The server's messages once it has `count`: polled until a deadline (the server runs in a thread
    and event loop of its own, the app's loop sends when it will)."""
    async with asyncio.timeout(DEADLINE_SECONDS):
        while len(server.handler.messages) < count:  # noqa: ASYNC110
            await asyncio.sleep(0.02)
    return server.handler.messages


def body(message: Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()


def assert_sent_once(messages: list[Message]) -> None:
    ids = [message["Message-ID"] for message in messages]
    assert len(ids) == len(set(ids)), ids


async def test_the_reset_flow_mails_through_smtp(sql_database_url: str) -> None:
    with smtp_server() as server:
        async with sql_app(sql_database_url, **smtp_settings(server.port)) as app:
            user = {"name": "Ada", "email": "ada@example.com", "password": "correct horse battery"}
            assert (await app.client.post("/users/", json=user)).status_code == 201
            assert (
                await app.client.post("/auth/password-reset", json={"email": "ada@example.com"})
            ).status_code == 202
            verification, reset = await received(server, 2)
            assert verification["Subject"] == "Users & posts: confirm your email address"
            assert reset["Subject"] == "Users & posts: reset your password"
            assert reset["To"] == "ada@example.com"
            assert "https://app.example/reset-password?token=" in body(reset)
            confirm = {"token": token_in(body(reset)), "new_password": "a brand new password"}
            assert (await app.client.post("/auth/password-reset/confirm", json=confirm)).status_code == 204
            messages = await received(server, 3)
            assert messages[2]["Subject"] == "Users & posts: your password was changed"
            assert all(m["Message-ID"].endswith("@mail.example>") for m in messages)
            assert_sent_once(messages)


async def test_mail_waits_while_smtp_is_down_and_arrives_once_it_is_back(sql_database_url: str) -> None:
    port = free_port()
    async with sql_app(sql_database_url, **smtp_settings(port)) as app:
        for n in range(3):
            user = {"name": f"User {n}", "email": f"user{n}@example.com", "password": "long enough"}
            assert (await app.client.post("/users/", json=user)).status_code == 201
            response = await app.client.post("/auth/password-reset", json={"email": f"user{n}@example.com"})
            assert response.status_code == 202  # SMTP being down is nothing the requests see
        with smtp_server(port=port) as server:
            messages = await received(server, 6)
            assert sorted(m["To"] for m in messages) == sorted(2 * [f"user{n}@example.com" for n in range(3)])
            assert_sent_once(messages)


@pytest.mark.parametrize("refusal", ["550 5.1.1 No such mailbox"])
async def test_a_refused_message_is_not_retried(sql_database_url: str, refusal: str) -> None:
    with smtp_server(refusal) as server:
        async with sql_app(sql_database_url, **smtp_settings(server.port)) as app:
            user = {"name": "Ada", "email": "ada@example.com", "password": "correct horse battery"}
            assert (await app.client.post("/users/", json=user)).status_code == 201
            async with asyncio.timeout(DEADLINE_SECONDS):
                while (status := await mail_status(app.container)) != OutboxStatus.FAILED:  # noqa: ASYNC110
                    await asyncio.sleep(0.02)
            assert await attempts(app.container) == 1  # retried, it would count up to 10 in ~4 s
            assert status == OutboxStatus.FAILED
            assert server.handler.messages == []


async def mail_status(container: Container) -> OutboxStatus | None:
    async with container.uow() as uow:
        found = await uow.outbox.status(1)
    return found[0] if found else None


async def attempts(container: Container) -> int | None:
    async with container.uow() as uow:
        found = await uow.outbox.status(1)
    return found[1] if found else None
