"""The `users-posts` command line, run in-process: migrate (and --check), seed, check, and serve's refusal
of several workers on SQLite."""

import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from typer.testing import CliRunner

from api.cli.main import MULTIPROC_DIR, cli
from infrastructure.operations.seeding import DEMO_PASSWORD, DISTINCT_HASHES
from tests.brokers import as_environment
from throwaway.databases import migrate, sqlite_url
from throwaway.processes import free_port
from throwaway.smtp import smtp_server

REDIS_URL = os.environ.get("APP_TEST_REDIS_URL")


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch):
    """Run `users-posts ARGS` with the given APP_ settings; (exit code, output)."""
    for name in list(os.environ):
        if name.startswith("APP_"):
            monkeypatch.delenv(name)

    def invoke(*arguments: str, **settings: str) -> tuple[int, str]:
        for name, value in settings.items():
            monkeypatch.setenv(name, value)
        result = CliRunner().invoke(cli, list(arguments))
        return result.exit_code, result.output

    return invoke


def rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as connection:
        return connection.execute(sql).fetchall()


def test_help_lists_the_commands(run) -> None:
    code, output = run("--help")
    assert code == 0
    for command in ("serve", "migrate", "seed", "check"):
        assert command in output


def test_migrate_upgrades_to_head_and_check_then_passes(run, tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    url = sqlite_url(path)

    code, output = run("migrate", "--check", APP_DATABASE_URL=url)
    assert code == 1
    assert "not up to date" in output

    code, _ = run("migrate", APP_DATABASE_URL=url)
    assert code == 0
    assert {"user", "post"} <= {name for (name,) in rows(path, "SELECT name FROM sqlite_master")}

    code, output = run("migrate", "--check", APP_DATABASE_URL=url)
    assert code == 0, output


def test_migrate_check_fails_on_a_pending_migration(run, tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "app.db")
    migrate(url, "head")
    migrate_down = sqlite3.connect(tmp_path / "app.db")
    migrate_down.execute("UPDATE alembic_version SET version_num = '9934ec4b0552'")  # the first revision
    migrate_down.commit()
    migrate_down.close()

    code, output = run("migrate", "--check", APP_DATABASE_URL=url)
    assert code == 1
    assert "not up to date" in output


def test_migrate_check_fails_when_the_database_drifts_from_the_models(run, tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "app.db")
    migrate(url, "head")
    with sqlite3.connect(tmp_path / "app.db") as database:
        database.execute("DROP INDEX ix_post_author_id_id")  # what a hand-made change in production does

    code, output = run("migrate", "--check", APP_DATABASE_URL=url)
    assert code == 1
    assert "ix_post_author_id_id" in output


def test_seed_adds_users_with_real_hashes_and_their_posts(run, sqlite_database: str) -> None:
    path = Path(sqlite_database.split("///", 1)[1])

    code, output = run("seed", "--users", "30", "--posts-per-user", "2", APP_DATABASE_URL=sqlite_database)

    assert code == 0, output
    assert output.strip().splitlines() == [output.strip()]  # not a terminal: no progress bar, one line
    users = rows(path, "SELECT id, email, password_hash FROM user ORDER BY id")
    assert [email for _, email, _ in users] == [f"user{n}@example.com" for n in range(1, 31)]
    hashes = {password_hash for _, _, password_hash in users}
    assert len(hashes) <= DISTINCT_HASHES  # a few hashes dealt out, not one argon2 run per user
    hasher = PasswordHash((Argon2Hasher(),))
    assert all(hasher.verify(DEMO_PASSWORD, password_hash) for password_hash in hashes)
    assert rows(path, "SELECT author_id, count(*) FROM post GROUP BY author_id") == [
        (user_id, 2) for user_id, _, _ in users
    ]
    # Each its own credentials stamp: signing one demo user out everywhere signs out no other.
    assert rows(path, "SELECT count(DISTINCT credentials_stamp) FROM user") == [(30,)]

    code, output = run("seed", "--users", "2", "--posts-per-user", "0", APP_DATABASE_URL=sqlite_database)
    assert code == 0, output
    assert "user31@example.com" in output  # a second run adds after the first
    assert rows(path, "SELECT count(*) FROM user") == [(32,)]


def test_check_reports_each_dependency_on_one_line(run, sqlite_database: str) -> None:
    code, output = run("check", APP_DATABASE_URL=sqlite_database)
    assert code == 0, output
    lines = output.strip().splitlines()
    assert [line.split()[:2] for line in lines] == [
        ["ok", "settings:"],
        ["ok", "database:"],
        ["skip", "redis:"],
        ["skip", "smtp:"],
        ["skip", "events:"],
    ]


def test_check_reaches_a_configured_smtp_server_and_fails_when_it_is_down(run, sqlite_database: str) -> None:
    with smtp_server() as server:
        code, output = run(
            "check",
            APP_DATABASE_URL=sqlite_database,
            APP_SMTP_HOST="127.0.0.1",
            APP_SMTP_PORT=str(server.port),
            APP_SMTP_SECURITY="none",
        )
    assert code == 0, output
    assert output.strip().splitlines()[-2] == f"ok   smtp: 127.0.0.1:{server.port} answers"
    down = free_port()
    code, output = run(
        "check",
        APP_DATABASE_URL=sqlite_database,
        APP_SMTP_HOST="127.0.0.1",
        APP_SMTP_PORT=str(down),
        APP_SMTP_SECURITY="none",
    )
    assert code == 1
    assert output.strip().splitlines()[-2].startswith(f"FAIL smtp: 127.0.0.1:{down}: ")


def test_check_fails_when_the_database_or_redis_does_not_answer(run, sqlite_database: str) -> None:
    code, output = run(
        "check",
        APP_DATABASE_URL="postgresql+asyncpg://app:s3cret@127.0.0.1:1/app",
        APP_DB_CONNECT_TIMEOUT_SECONDS="1",
        APP_REDIS_URL="redis://127.0.0.1:1/0",
    )
    assert code == 1
    lines = output.strip().splitlines()
    assert lines[0].startswith("ok   settings")
    assert lines[1].startswith("FAIL database: postgresql+asyncpg://app:***@127.0.0.1:1/app: ")
    assert lines[2].startswith("FAIL redis: redis://127.0.0.1:1/0: ")
    assert lines[3].startswith("skip smtp: ")
    assert "s3cret" not in output


def test_check_connects_to_the_event_broker_and_fails_when_it_is_down(
    run, sqlite_database: str, broker_kind_settings: dict[str, str]
) -> None:
    url = broker_kind_settings["events_url"]
    code, output = run("check", APP_DATABASE_URL=sqlite_database, **as_environment(broker_kind_settings))
    assert code == 0, output
    last = output.strip().splitlines()[-1]
    assert last.startswith("ok   events: ") and last.endswith(" answers")  # noqa: PT018
    place = broker_kind_settings.get("events_exchange") or broker_kind_settings["events_stream"]
    assert place in last

    down = free_port()
    scheme, _, _ = url.partition("://")
    closed = f"{scheme}://user:s3cret@127.0.0.1:{down}/"
    code, output = run("check", APP_DATABASE_URL=sqlite_database, APP_EVENTS_URL=closed)
    assert code == 1
    assert output.strip().splitlines()[-1].startswith(f"FAIL events: {scheme}://user:***@127.0.0.1:{down}/: ")
    assert "error when creating transport" not in output  # the client's own log lines are not shown
    assert "s3cret" not in output


def test_check_fails_on_invalid_settings(run) -> None:
    code, output = run("check", APP_ENV="production")
    assert code == 1
    assert output.startswith("FAIL settings: invalid settings: ")
    assert "APP_JWT_SECRET" in output


@pytest.mark.skipif(
    not REDIS_URL, reason="Redis tests are off: set APP_TEST_REDIS_URL=redis://127.0.0.1:6379/0"
)
def test_check_reaches_a_configured_redis(run, sqlite_database: str) -> None:
    code, output = run("check", APP_DATABASE_URL=sqlite_database, APP_REDIS_URL=str(REDIS_URL))
    assert code == 0, output
    assert output.strip().splitlines()[-3].startswith("ok   redis: ")


def test_serve_refuses_several_workers_on_sqlite(run, sqlite_database: str) -> None:
    code, output = run("serve", "--workers", "2", APP_DATABASE_URL=sqlite_database.replace("+aiosqlite", ""))
    assert code == 1
    assert len(output.strip().splitlines()) == 1
    assert "PostgreSQL" in output
    assert MULTIPROC_DIR not in os.environ


def test_migrations_run_on_the_migration_url_when_one_is_given(run, tmp_path: Path) -> None:
    path = tmp_path / "direct.db"
    code, output = run(
        "migrate",
        APP_DATABASE_URL="postgresql+asyncpg://app:secret@pooler.invalid:6432/app",  # never reached
        APP_DATABASE_MIGRATION_URL=f"sqlite:///{path}",
    )
    assert code == 0, output
    assert {"user", "post"} <= {name for (name,) in rows(path, "SELECT name FROM sqlite_master")}


def test_grant_role_makes_the_first_admin_audited_and_refuses_what_it_cannot_do(
    run, sqlite_database: str
) -> None:
    path = Path(sqlite_database.split("///", 1)[1])
    assert run("seed", "--users", "2", "--posts-per-user", "0", APP_DATABASE_URL=sqlite_database)[0] == 0

    code, output = run("grant-role", "USER1@example.com", "admin", APP_DATABASE_URL=sqlite_database)

    assert code == 0, output
    assert output.strip() == "ok: user1@example.com (user 1) is now admin"
    assert rows(path, "SELECT email, role FROM user ORDER BY id") == [
        ("user1@example.com", "admin"),
        ("user2@example.com", "member"),
    ]
    assert rows(path, "SELECT actor_id, action, target, reason FROM audit_event") == [
        (None, "user.role_changed", "user:1", "member -> admin (command line)")
    ]
    code, output = run("grant-role", "nobody@example.com", "admin", APP_DATABASE_URL=sqlite_database)
    assert (code, output.strip()) == (1, "error: nobody@example.com: User not found")
    code, output = run("grant-role", "user2@example.com", "superuser", APP_DATABASE_URL=sqlite_database)
    assert code == 2  # typer's usage error: the three roles are the choices
    assert "member" in output
    assert rows(path, "SELECT role FROM user WHERE id = 2") == [("member",)]


def test_backup_and_restore_say_why_they_cannot(run, sqlite_database: str, tmp_path: Path) -> None:
    code, output = run("backup", str(tmp_path / "b.db"), APP_DATABASE_URL="postgresql+asyncpg://u@h/db")
    assert code == 1
    assert "pg_dump" in output
    not_a_database = tmp_path / "notes.txt"
    not_a_database.write_text("not a database, but long enough to be read as one " * 100)
    code, output = run("restore", str(not_a_database), APP_DATABASE_URL=sqlite_database)
    assert code == 1
    assert "is not an SQLite database" in output
    code, output = run("restore", str(tmp_path / "missing.db"), APP_DATABASE_URL=sqlite_database)
    assert code == 1
    assert "is not a file" in output
