"""`users-posts backup` and `restore` against a served app on SQLite: a backup taken while posts are
written over HTTP holds every post answered before it began, at the migrations' head; a restore is
refused while the server holds the database, and with --force the server serves the restored data.
And what either APP_SQLITE_SYNCHRONOUS keeps at a process crash: every post answered."""

import sqlite3
import subprocess
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from alembic.script import ScriptDirectory

from infrastructure.operations.migrations import alembic_config
from tests.e2e.servers import Server, served, server_env, sqlite_copy
from throwaway.processes import CLI

PASSWORD = "correct horse battery"


def cli(*arguments: str, database_url: str) -> subprocess.CompletedProcess[str]:
    env = server_env(database_url)
    return subprocess.run([CLI, *arguments], env=env, capture_output=True, text=True, timeout=120)


class Writer:
    """POST /posts/ as one signed-in user, one after another, in a thread; the ids answered 201."""

    def __init__(self, server: Server) -> None:
        self._client = httpx.Client(base_url=server.base_url, timeout=30)
        email = f"writer-{uuid.uuid4().hex[:8]}@example.com"
        body = {"name": "Writer", "email": email, "password": PASSWORD}
        assert self._client.post("/users/", json=body).status_code == 201
        login = {"username": email, "password": PASSWORD}
        token = self._client.post("/auth/token", data=login).json()["access_token"]
        self._client.headers["Authorization"] = f"Bearer {token}"
        self.ids: list[int] = []
        self.started = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._write, daemon=True)

    def _write(self) -> None:
        while not self._stop.is_set():
            try:
                answer = self._client.post("/posts/", json={"title": f"Post {len(self.ids)}", "content": "W"})
            except httpx.TransportError:  # the server was killed: this post was never answered
                return
            assert answer.status_code == 201, answer.text
            self.ids.append(answer.json()["id"])
            if len(self.ids) >= 20:
                self.started.set()

    def __enter__(self) -> "Writer":
        self._thread.start()
        assert self.started.wait(60), "no posts written"
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(60)
        self._client.close()


@pytest.fixture
def server(migrated_sqlite_template: Path, tmp_path: Path) -> Iterator[Server]:
    database_url = sqlite_copy(migrated_sqlite_template, tmp_path)
    env = server_env(database_url, APP_LIMIT_POSTS_PER_USER="100000/minute")
    with served(env, tmp_path / "app.log") as running:
        yield running


def served_database(tmp_path: Path) -> str:
    """The URL of the database the `server` fixture serves."""
    return f"sqlite:///{tmp_path / 'app.db'}"


def post_ids(path: Path) -> set[int]:
    with sqlite3.connect(path) as connection:
        return {row[0] for row in connection.execute("SELECT id FROM post")}


def migration_of(path: Path) -> str:
    with sqlite3.connect(path) as connection:
        return str(connection.execute("SELECT version_num FROM alembic_version").fetchone()[0])


def test_a_backup_taken_while_posts_are_written_holds_every_post_answered_before_it(
    server: Server, tmp_path: Path
) -> None:
    database_url, backup = served_database(tmp_path), tmp_path / "backup.db"
    with Writer(server) as writer:
        before = set(writer.ids)  # answered 201: committed before the backup begins
        done = cli("backup", str(backup), database_url=database_url)
        during = len(writer.ids) - len(before)
    assert done.returncode == 0, done.stderr
    assert during > 0, "no post was written while the backup ran"
    assert done.stdout.startswith(f"ok: backed up to {backup}")

    restored = tmp_path / "restored.db"
    done = cli("restore", str(backup), database_url=f"sqlite:///{restored}")
    assert done.returncode == 0, done.stderr
    assert before <= post_ids(restored)  # every post committed before the backup began
    assert post_ids(restored) <= set(writer.ids)  # and only posts that were written
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert migration_of(restored) == head
    with sqlite3.connect(restored) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)

    refused = cli("backup", str(backup), database_url=database_url)
    assert refused.returncode == 1
    assert "exists" in refused.stderr


def test_a_restore_into_the_database_a_server_holds_is_refused_unless_forced(
    server: Server, tmp_path: Path
) -> None:
    database_url, backup = served_database(tmp_path), tmp_path / "backup.db"
    with Writer(server) as writer:
        pass
    assert cli("backup", str(backup), database_url=database_url).returncode == 0
    with Writer(server) as later:  # posts the backup does not hold
        pass
    newest = later.ids[-1]
    assert httpx.get(f"{server.base_url}/posts/{newest}").status_code == 200

    refused = cli("restore", str(backup), database_url=database_url)
    assert refused.returncode == 1
    assert "in use (a running server holds it)" in refused.stderr
    assert httpx.get(f"{server.base_url}/posts/{newest}").status_code == 200  # nothing changed

    forced = cli("restore", "--force", str(backup), database_url=database_url)
    assert forced.returncode == 0, forced.stderr
    assert httpx.get(f"{server.base_url}/posts/{newest}").status_code == 404
    assert httpx.get(f"{server.base_url}/posts/{writer.ids[-1]}").status_code == 200


@pytest.mark.parametrize("synchronous", ["normal", "full"])
def test_every_post_answered_survives_a_sigkill_of_the_server(
    migrated_sqlite_template: Path, tmp_path: Path, synchronous: str
) -> None:
    database_url = sqlite_copy(migrated_sqlite_template, tmp_path)
    env = server_env(
        database_url, APP_LIMIT_POSTS_PER_USER="100000/minute", APP_SQLITE_SYNCHRONOUS=synchronous
    )
    with served(env, tmp_path / "app.log") as server:
        writer = Writer(server).__enter__()
        server.process.kill()  # SIGKILL while posts are being written: no shutdown, no checkpoint
        server.process.wait()
        writer.__exit__()
    assert set(writer.ids) <= post_ids(tmp_path / "app.db")  # every post answered 201 is there
