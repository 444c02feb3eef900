"""A database that cannot be migrated makes `alembic upgrade head` (hence `make run`) fail fast, with
one line naming the database, password hidden, and no traceback.

Every case runs env.py in-process (milliseconds). Two also run as the real command line (a second of
imports each), where the one line must be all there is on stderr: a SQLite file that does not open
and a refused connection."""

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy.engine import make_url

from throwaway.databases import POSTGRES_URL, SKIP_POSTGRES, alembic_config
from throwaway.processes import ROOT

PASSWORD = "s3cret-pw"
CONNECT_TIMEOUT_SECONDS = "0.5"
FAIL_WITHIN_SECONDS = 20  # generous for a loaded machine; asyncpg's own connect timeout is 60 s
URL_SHAPE = "postgresql+asyncpg://user:password@host:5432/db"


@dataclass(frozen=True)
class Case:
    url: str  # {tmp}: a fresh directory, {server}: host:port of a server that never answers
    names: str  # what the message must show of the URL
    says: str  # and of the reason
    postgres: bool = False  # needs the PostgreSQL server of APP_TEST_POSTGRES_URL
    starts: str = "error: cannot migrate "


REFUSED_BY_SETTINGS = "error: invalid settings: APP_DATABASE_URL: "  # a driver that is not the one run


def real_server_url(database: str) -> str:
    url = make_url(POSTGRES_URL or "postgresql+asyncpg://postgres@127.0.0.1:5432/x")
    return url.set(database=database, password=PASSWORD).render_as_string(hide_password=False)


CASES = {
    "unreachable-port": Case(
        f"postgresql+asyncpg://app:{PASSWORD}@127.0.0.1:1/app",
        "postgresql+asyncpg://app:***@127.0.0.1:1/app",
        "ConnectionRefusedError",
    ),
    "server-never-answers": Case(
        f"postgresql+asyncpg://app:{PASSWORD}@{{server}}/app",
        "postgresql+asyncpg://app:***@{server}/app",
        "TimeoutError",
    ),
    "unknown-database": Case(
        real_server_url("no_such_database_here"),
        make_url(real_server_url("no_such_database_here")).render_as_string(hide_password=True),
        'database "no_such_database_here" does not exist',
        postgres=True,
    ),
    "malformed": Case("nonsense", "cannot migrate nonsense:", URL_SHAPE),
    "malformed-with-password": Case(
        f"postgresql+asyncpg//app:{PASSWORD}@db/app", "app:***@db/app", URL_SHAPE
    ),
    "empty": Case("", "cannot migrate '':", URL_SHAPE),
    "unknown-driver": Case("foo+bar://x", "foo+bar://x", URL_SHAPE),
    "driver-not-run": Case(
        f"postgresql+pg8000://app:{PASSWORD}@127.0.0.1:1/app", "pg8000", URL_SHAPE, starts=REFUSED_BY_SETTINGS
    ),
    "sqlite-driver-not-run": Case(
        "sqlite+aiosqlite:///{tmp}/app.db",
        "sqlite+aiosqlite://",
        "use sqlite:///",
        starts=REFUSED_BY_SETTINGS,
    ),
    "missing-directory": Case("sqlite:///{tmp}/missing/app.db", "/missing/app.db", "unable to open"),
}
ON_THE_COMMAND_LINE = ["missing-directory", "unreachable-port"]


def case_url(name: str, tmp: Path, server: str) -> tuple[Case, str]:
    case = CASES[name]
    if case.postgres and not POSTGRES_URL:
        pytest.skip(SKIP_POSTGRES)
    return case, case.url.format(tmp=tmp, server=server)


def assert_one_line_naming_the_database(message: str, case: Case, server: str) -> None:
    assert "Traceback" not in message
    lines = message.strip().splitlines()
    assert len(lines) == 1, message
    assert lines[0].startswith(case.starts), lines[0]
    assert case.names.format(server=server) in lines[0]
    assert case.says in lines[0]
    assert PASSWORD not in lines[0]


@pytest.mark.parametrize("name", list(CASES))
def test_unusable_database_ends_migrations_with_one_line(
    name: str, tmp_path: Path, silent_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    case, url = case_url(name, tmp_path, silent_server)
    monkeypatch.setenv("APP_DATABASE_URL", url)  # what env.py reads when no URL is passed in
    monkeypatch.setenv("APP_DB_CONNECT_TIMEOUT_SECONDS", CONNECT_TIMEOUT_SECONDS)
    config = alembic_config(url)
    config.attributes["database_url"] = None

    executor = ThreadPoolExecutor(max_workers=1)  # env.py calls asyncio.run(): not on the test's loop
    try:
        with pytest.raises(SystemExit) as exit_:
            executor.submit(command.upgrade, config, "head").result(timeout=FAIL_WITHIN_SECONDS)
    except FutureTimeout:
        pytest.fail(f"still migrating {url} after {FAIL_WITHIN_SECONDS} s")
    finally:
        executor.shutdown(wait=False)

    assert isinstance(exit_.value.code, str)  # a message, printed to stderr with exit status 1
    assert_one_line_naming_the_database(exit_.value.code, case, silent_server)
    assert list(tmp_path.iterdir()) == []  # no database file left behind


@pytest.fixture(scope="module")
def command_line_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[int, str]]:
    """`alembic upgrade head` as `make run` runs it, for each ON_THE_COMMAND_LINE case, all at once."""
    processes = {}
    for name in ON_THE_COMMAND_LINE:
        _, url = case_url(name, tmp_path_factory.mktemp("cli"), "")
        processes[name] = subprocess.Popen(
            [sys.executable, "-m", "alembic", "upgrade", "head"],
            cwd=ROOT,
            env={**os.environ, "APP_DATABASE_URL": url},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
    runs = {}
    for name, process in processes.items():
        try:
            output, _ = process.communicate(timeout=FAIL_WITHIN_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            output = process.communicate()[0] + f"\n(killed after {FAIL_WITHIN_SECONDS} s)"
        runs[name] = (process.returncode, output)
    return runs


@pytest.mark.parametrize("name", ON_THE_COMMAND_LINE)
def test_the_command_line_exits_non_zero_with_that_one_line(
    name: str, command_line_runs: dict[str, tuple[int, str]]
) -> None:
    returncode, output = command_line_runs[name]
    assert returncode == 1, output
    assert_one_line_naming_the_database(output, CASES[name], "")


def test_invalid_settings_end_migrations_with_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_DB_POOL_SIZE", "none")
    with pytest.raises(SystemExit) as exit_:
        executor = ThreadPoolExecutor(max_workers=1)  # env.py may call asyncio.run(): not on a loop
        try:
            executor.submit(command.upgrade, alembic_config("sqlite://"), "head").result(timeout=10)
        finally:
            executor.shutdown(wait=False)
    assert (
        exit_.value.code == "error: invalid settings: APP_DB_POOL_SIZE: Input should be a valid integer, "
        "unable to parse string as an integer"
    )
