"""A standard OAuth 2.0 client that nobody here wrote (Authlib's httpx client, a public client) against
`users-posts serve` over real HTTP: it gets a token with the password grant, refreshes it, revokes it,
and raises RFC 6749's error for every refused request (never taking an error for a token); no answer of
the OAuth endpoints may be kept by a cache."""

import itertools
import warnings
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.servers import Server, served, server_env, sqlite_copy

# Authlib warns, once imported, that it prefers an httpx fork to httpx, which this project uses (its
# "always" filter outranks any set before the import: the warning is recorded here and dropped).
with warnings.catch_warnings(record=True):
    from authlib.integrations.httpx_client import OAuth2Client, OAuthError

PASSWORD = "correct horse battery"
LOGIN_FAILURES = 3  # per account, before the 429
_emails = itertools.count()


@pytest.fixture(scope="module")
def server(migrated_sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    directory = tmp_path_factory.mktemp("oauth-client")
    env = server_env(
        sqlite_copy(migrated_sqlite_template, directory),
        APP_REFRESH_REUSE_GRACE_SECONDS="0",  # a refresh token presented again is reuse at once
        APP_LIMIT_LOGIN_PER_ACCOUNT=f"{LOGIN_FAILURES}/15 minutes",
    )
    with served(env, directory / "server.log") as server:
        yield server


class Client:
    """Authlib's OAuth2Client, keeping every answer of the OAuth endpoints it received."""

    def __init__(self, server: Server) -> None:
        self.base_url = server.base_url
        self.token_url = server.base_url + "/auth/token"
        self.answers: list[httpx.Response] = []
        self.oauth = OAuth2Client(
            client_id="e2e-tests",
            token_endpoint_auth_method="none",  # a public client: the service authenticates none
            event_hooks={"response": [self.answers.append]},
        )

    def sign_up(self) -> str:
        email = f"oauth{next(_emails)}@example.com"
        user = {"name": "Ada", "email": email, "password": PASSWORD}
        assert httpx.post(self.base_url + "/users/", json=user).status_code == 201
        return email

    def me(self) -> httpx.Response:
        """GET /users/me with the client's current access token."""
        response: httpx.Response = self.oauth.get(self.base_url + "/users/me")
        return response

    def assert_never_cached(self) -> None:
        oauth = [a for a in self.answers if a.request.url.path in ("/auth/token", "/auth/revoke")]
        assert oauth
        for answer in oauth:
            headers = (answer.headers.get("cache-control"), answer.headers.get("pragma"))
            assert headers == ("no-store", "no-cache"), (answer.status_code, answer.text)


@pytest.fixture
def client(server: Server) -> Iterator[Client]:
    client = Client(server)
    with client.oauth:
        yield client


def test_it_signs_in_refreshes_and_revokes(client: Client) -> None:
    email = client.sign_up()

    token = client.oauth.fetch_token(client.token_url, username=email, password=PASSWORD)

    assert (token["token_type"], token["expires_in"]) == ("bearer", 15 * 60)
    assert client.me().json()["email"] == email
    refreshed = client.oauth.refresh_token(client.token_url, refresh_token=token["refresh_token"])
    assert refreshed["refresh_token"] != token["refresh_token"]
    assert client.me().status_code == 200  # with the new access token

    revoked = client.oauth.revoke_token(
        client.base_url + "/auth/revoke", token=refreshed["refresh_token"], token_type_hint="refresh_token"
    )

    assert (revoked.status_code, revoked.content) == (200, b"")
    with pytest.raises(OAuthError) as refused:
        client.oauth.refresh_token(client.token_url, refresh_token=refreshed["refresh_token"])
    assert refused.value.error == "invalid_grant"
    assert client.me().status_code == 401  # the access tokens of the session ended with it
    client.assert_never_cached()


def test_a_reused_refresh_token_raises_invalid_grant_and_ends_its_family(client: Client) -> None:
    token = client.oauth.fetch_token(client.token_url, username=client.sign_up(), password=PASSWORD)
    newest = client.oauth.refresh_token(client.token_url, refresh_token=token["refresh_token"])

    with pytest.raises(OAuthError) as reused:
        client.oauth.refresh_token(client.token_url, refresh_token=token["refresh_token"])

    assert (reused.value.error, reused.value.description) == (
        "invalid_grant",
        "The refresh token was already used; its session is ended",
    )
    with pytest.raises(OAuthError) as ended:
        client.oauth.refresh_token(client.token_url, refresh_token=newest["refresh_token"])
    assert ended.value.error == "invalid_grant"
    client.assert_never_cached()


@pytest.mark.parametrize(
    ("request_fields", "error"),
    [
        ({"password": "wrong password"}, "invalid_grant"),
        ({"grant_type": "client_credentials"}, "unsupported_grant_type"),
        ({"grant_type": "password", "password": None}, "invalid_request"),
        ({"scope": "admin"}, "invalid_scope"),
    ],
)
def test_each_refused_request_raises_its_error_and_gives_no_token(
    client: Client, request_fields: dict[str, str | None], error: str
) -> None:
    fields = {"username": client.sign_up(), "password": PASSWORD, **request_fields}
    arguments = {name: value for name, value in fields.items() if value is not None}

    with pytest.raises(OAuthError) as refused:
        client.oauth.fetch_token(client.token_url, **arguments)

    assert refused.value.error == error
    assert refused.value.description
    assert client.oauth.token is None
    assert [answer.status_code for answer in client.answers] == [400]
    client.assert_never_cached()


def test_throttled_logins_raise_temporarily_unavailable(client: Client) -> None:
    email = client.sign_up()
    for _ in range(LOGIN_FAILURES):
        with pytest.raises(OAuthError, match="invalid_grant"):
            client.oauth.fetch_token(client.token_url, username=email, password="a guess")

    with pytest.raises(OAuthError) as throttled:
        client.oauth.fetch_token(client.token_url, username=email, password=PASSWORD)

    assert throttled.value.error == "temporarily_unavailable"
    assert client.answers[-1].status_code == 429
    assert client.oauth.token is None
    client.assert_never_cached()
