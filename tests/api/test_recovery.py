"""Password reset and email verification over HTTP (the app on in-memory storage; mail read from the
committed outbox)."""

from typing import Any

import httpx
import pytest
from dependency_injector import providers

from infrastructure.container import Container
from infrastructure.memory import MemoryStore
from infrastructure.settings import Settings
from tests.api.conftest import Login, Register
from tests.api.problems import assert_problem
from tests.fakes import FixedClock
from tests.recovery import outbox, token_in

ACCEPTED = {"detail": "If an account has this email, a link to reset its password is on its way"}
INVALID = "The link is invalid or has expired; ask for a new one"
PASSWORD = "correct horse battery"


def settings(**changes: Any) -> providers.Object[Settings]:
    base = {"limit_register_per_address": "1000/minute", "limit_posts_per_user": "1000/minute"}
    return providers.Object(Settings(**(base | changes)))


async def ask_reset(client: httpx.AsyncClient, email: str) -> httpx.Response:
    return await client.post("/auth/password-reset", json={"email": email})


async def reset_token(client: httpx.AsyncClient, store: MemoryStore, email: str) -> str:
    assert (await ask_reset(client, email)).status_code == 202
    return token_in(outbox(store)[-1])


async def test_asking_answers_the_same_for_an_existing_and_a_missing_account(
    client: httpx.AsyncClient, register: Register, store: MemoryStore
) -> None:
    await register(email="ada@example.com")
    mails = len(outbox(store))
    existing = await ask_reset(client, "ADA@example.com")
    missing = await ask_reset(client, "nobody@example.com")

    for response in (existing, missing):
        assert response.status_code == 202
        assert response.json() == ACCEPTED
        assert response.headers["content-type"] == "application/json"
    assert existing.content == missing.content
    assert [mail.to for mail in outbox(store)[mails:]] == ["ada@example.com"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"email": "not an email"}, 422),
        ({"email": "a" * 300 + "@example.com"}, 422),
        ({"email": "ada@example.com", "extra": 1}, 422),
        ({}, 422),
        ({"email": "a" * 2_000_000}, 413),
    ],
)
async def test_bad_requests_follow_the_usual_rules(
    client: httpx.AsyncClient, store: MemoryStore, body: dict[str, Any], status: int
) -> None:
    response = await client.post("/auth/password-reset", json=body)
    assert_problem(response, status)
    assert "not an email" not in response.text
    assert outbox(store) == []


async def test_the_reset_flow_end_to_end(client: httpx.AsyncClient, login: Login, store: MemoryStore) -> None:
    _, headers = await login(email="ada@example.com", password=PASSWORD)
    token = await reset_token(client, store, "ada@example.com")
    assert (await client.get("/users/me", headers=headers)).status_code == 200

    confirmed = await client.post(
        "/auth/password-reset/confirm", json={"token": token, "new_password": "a brand new password"}
    )
    assert confirmed.status_code == 204
    assert confirmed.content == b""
    assert "set-cookie" not in confirmed.headers  # not logged in by it

    assert_problem(await client.get("/users/me", headers=headers), 401)  # every access token died
    old = await client.post("/auth/token", data={"username": "ada@example.com", "password": PASSWORD})
    assert_problem(old, 400)
    new = {"username": "ada@example.com", "password": "a brand new password"}
    assert (await client.post("/auth/token", data=new)).status_code == 200
    notice = outbox(store)[-1]
    assert (notice.to, notice.subject) == ("ada@example.com", "Users & posts: your password was changed")


async def test_used_expired_unknown_and_malformed_tokens_get_one_and_the_same_400(
    client: httpx.AsyncClient, register: Register, store: MemoryStore, clock: FixedClock
) -> None:
    await register(email="ada@example.com", password=PASSWORD)
    used = await reset_token(client, store, "ada@example.com")
    body = {"token": used, "new_password": "a brand new password"}
    assert (await client.post("/auth/password-reset/confirm", json=body)).status_code == 204
    expired = await reset_token(client, store, "ada@example.com")
    clock.advance(minutes=30)
    mails = len(outbox(store))

    answers = []
    for token in (used, expired, "A" * 43, "not a token", "", "x" * 5000):
        response = await client.post(
            "/auth/password-reset/confirm", json={"token": token, "new_password": "yet another password"}
        )
        problem = assert_problem(response, 400, INVALID)
        assert problem["type"] == "urn:users-posts:problem:invalid-token"
        answers.append({k: v for k, v in problem.items() if k != "request_id"})
    assert all(answer == answers[0] for answer in answers)
    assert len(outbox(store)) == mails  # no notice: nothing changed
    still = {"username": "ada@example.com", "password": "a brand new password"}
    assert (await client.post("/auth/token", data=still)).status_code == 200


async def test_a_new_password_breaking_the_rules_is_a_422_and_keeps_the_token(
    client: httpx.AsyncClient, register: Register, store: MemoryStore
) -> None:
    await register(email="ada@example.com")
    token = await reset_token(client, store, "ada@example.com")
    short = await client.post("/auth/password-reset/confirm", json={"token": token, "new_password": "tiny"})
    assert_problem(short, 422)
    assert "tiny" not in short.text
    good = {"token": token, "new_password": "long enough now"}
    assert (await client.post("/auth/password-reset/confirm", json=good)).status_code == 204


async def test_requests_and_confirmations_are_throttled_with_retry_after(
    container: Container, client: httpx.AsyncClient, register: Register
) -> None:
    container.settings.override(
        settings(limit_password_reset_per_account="2/hour", limit_confirm_per_address="2/hour")
    )
    await register(email="ada@example.com")
    for email in ("ada@example.com", "nobody@example.com"):  # existing or not: the same budget
        for _ in range(2):
            assert (await ask_reset(client, email)).status_code == 202
        refused = assert_problem(await ask_reset(client, email), 429)
        assert refused["type"] == "urn:users-posts:problem:rate-limited"
    assert int((await ask_reset(client, "ada@example.com")).headers["Retry-After"]) > 0
    for _ in range(2):
        bad = {"token": "A" * 43, "new_password": "long enough now"}
        assert (await client.post("/auth/password-reset/confirm", json=bad)).status_code == 400
    refused_confirm = await client.post("/auth/password-reset/confirm", json=bad)
    assert_problem(refused_confirm, 429)
    assert "Retry-After" in refused_confirm.headers


async def test_registration_mails_a_link_that_verifies_the_email(
    client: httpx.AsyncClient, login: Login, store: MemoryStore
) -> None:
    user, headers = await login(email="ada@example.com")
    assert user["email_verified"] is False
    (mail,) = outbox(store)
    assert "/verify-email?token=" in mail.body

    verified = await client.post("/auth/verify-email", json={"token": token_in(mail)})
    assert verified.status_code == 204
    assert (await client.get("/users/me", headers=headers)).json()["email_verified"] is True
    again = await client.post("/auth/verify-email", json={"token": token_in(mail)})
    assert_problem(again, 400, INVALID)


async def test_asking_for_a_new_verification_link(
    client: httpx.AsyncClient, login: Login, store: MemoryStore
) -> None:
    _, headers = await login()
    assert_problem(await client.post("/users/me/verification-email"), 401)
    response = await client.post("/users/me/verification-email", headers=headers)
    assert response.status_code == 202
    assert response.json() == {"detail": "A link to verify your email address is on its way"}
    first, second = outbox(store)
    assert_problem(await client.post("/auth/verify-email", json={"token": token_in(first)}), 400)
    assert (await client.post("/auth/verify-email", json={"token": token_in(second)})).status_code == 204


async def test_a_new_email_is_unverified_and_both_addresses_hear_of_it(
    client: httpx.AsyncClient, login: Login, store: MemoryStore
) -> None:
    _, headers = await login(email="ada@example.com", password=PASSWORD)
    await client.post("/auth/verify-email", json={"token": token_in(outbox(store)[0])})
    changed = await client.patch(
        "/users/me", json={"email": "ada@lovelace.example", "current_password": PASSWORD}, headers=headers
    )
    assert changed.status_code == 200
    assert changed.json()["email_verified"] is False
    link, notice = outbox(store)[1:]
    assert link.to == "ada@lovelace.example"
    assert notice.to == "ada@example.com"
    assert (await client.post("/auth/verify-email", json={"token": token_in(link)})).status_code == 204
    assert (await client.get("/users/me", headers=headers)).json()["email_verified"] is True


async def test_writing_posts_can_require_a_verified_email(
    container: Container, client: httpx.AsyncClient, login: Login, store: MemoryStore
) -> None:
    container.settings.override(settings(require_verified_email=True))
    _, headers = await login()
    post = {"title": "Hello", "content": "World"}
    refused = assert_problem(
        await client.post("/posts/", json=post, headers=headers),
        403,
        "Verify your email address before writing posts",
    )
    assert refused["type"] == "urn:users-posts:problem:email-not-verified"
    await client.post("/auth/verify-email", json={"token": token_in(outbox(store)[0])})
    assert (await client.post("/posts/", json=post, headers=headers)).status_code == 201


async def test_with_mail_off_the_mail_flows_answer_503_and_the_rest_works(
    container: Container, client: httpx.AsyncClient, login: Login, store: MemoryStore
) -> None:
    container.settings.override(settings(mail_backend="off"))
    user, headers = await login(email="ada@example.com")
    assert user["email_verified"] is False
    for response in (
        await ask_reset(client, "ada@example.com"),
        await ask_reset(client, "nobody@example.com"),
        await client.post("/users/me/verification-email", headers=headers),
    ):
        problem = assert_problem(response, 503, "Mail is not available on this service; try again later")
        assert problem["type"] == "urn:users-posts:problem:mail-unavailable"
        assert "Retry-After" in response.headers
    assert outbox(store) == []
