"""`users-posts serve` killed with SIGKILL between a request and the delivery of its mail: the message
is in the outbox, committed with the change, and the next process delivers it, once."""

import time
from pathlib import Path

import httpx

from tests.e2e.servers import served, server_env, sqlite_copy
from throwaway.processes import free_port
from throwaway.smtp import smtp_server

DEADLINE_SECONDS = 30


def test_mail_requested_before_a_kill_9_is_delivered_after_the_restart(
    migrated_sqlite_template: Path, tmp_path: Path
) -> None:
    smtp_port = free_port()  # nothing listens yet: SMTP is down, the mail waits in the outbox
    env = server_env(
        sqlite_copy(migrated_sqlite_template, tmp_path),
        APP_SMTP_HOST="127.0.0.1",
        APP_SMTP_PORT=str(smtp_port),
        APP_SMTP_SECURITY="none",
        APP_MAIL_FROM="no-reply@mail.example",
        APP_MAIL_RETRY_SECONDS="0.2",
        APP_MAIL_RETRY_MAX_SECONDS="0.5",
        APP_MAIL_MAX_ATTEMPTS="1000",
        # A claim of the killed process (mid-attempt) is taken over after 6 x this: 3 s.
        APP_SMTP_TIMEOUT_SECONDS="0.5",
    )
    with served(env, tmp_path / "first.log") as server:
        user = {"name": "Ada", "email": "ada@example.com", "password": "correct horse battery"}
        assert httpx.post(server.base_url + "/users/", json=user).status_code == 201
        asked = httpx.post(server.base_url + "/auth/password-reset", json={"email": "ada@example.com"})
        assert asked.status_code == 202
        server.process.kill()  # SIGKILL: no shutdown, no flush
        assert server.process.wait(timeout=10) == -9

    with smtp_server(port=smtp_port) as smtp, served(env, tmp_path / "second.log"):
        deadline = time.monotonic() + DEADLINE_SECONDS
        while len(smtp.handler.messages) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)  # polling a server in another process, with a deadline
        messages = list(smtp.handler.messages)
    subjects = sorted(message["Subject"] for message in messages)
    assert subjects == ["Users & posts: confirm your email address", "Users & posts: reset your password"]
    assert len({message["Message-ID"] for message in messages}) == 2
