"""The project as an operator installs it: the wheel (not editable) and its locked dependencies in a fresh
venv, run from another directory, with no source tree on the path. Every command of `users-posts` works
there, migrations included (they ship inside the package)."""

import os
import signal
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.e2e.deployments import REQUIREMENTS_LOCK, wait_until_ready, wheelhouse
from throwaway.processes import ROOT, free_port

COMMAND_TIMEOUT_SECONDS = 120


@dataclass(frozen=True)
class Installed:
    venv: Path
    workdir: Path  # where commands run: not the source tree

    def env(self, **settings: str) -> dict[str, str]:
        """This environment without its APP_ settings and PYTHONPATH, plus `settings`."""
        env = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith("APP_") and name != "PYTHONPATH"
        }
        return env | settings

    def run(self, *arguments: str, **settings: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.venv / "bin" / "users-posts"), *arguments],
            cwd=self.workdir,
            env=self.env(**settings),
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_SECONDS,
            check=False,
        )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    wheels = wheelhouse()
    root = tmp_path_factory.mktemp("installed")
    venv, workdir = root / "venv", root / "work"
    workdir.mkdir()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=COMMAND_TIMEOUT_SECONDS)
    subprocess.run(
        [
            str(venv / "bin" / "pip"),
            "install",
            "--quiet",
            "--no-index",
            "--find-links",
            str(wheels),
            "--constraint",
            str(REQUIREMENTS_LOCK),
            "users-posts-service",
        ],
        cwd=workdir,
        check=True,
        timeout=600,
    )
    return Installed(venv, workdir)


def test_the_package_comes_from_the_venv_not_the_source_tree(installed: Installed) -> None:
    where = subprocess.run(
        [
            str(installed.venv / "bin" / "python"),
            "-c",
            "import api, migrations, infrastructure.operations.migrations as m; "
            "print(api.__file__); print(m.scripts_directory())",
        ],
        cwd=installed.workdir,
        env=installed.env(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    site_packages = installed.venv / "lib"
    for path in map(Path, where):
        assert path.is_relative_to(site_packages), path
        assert not path.is_relative_to(ROOT), path
    assert (Path(where[1]) / "versions").is_dir()
    assert not (Path(where[1]).parent / "alembic.ini").exists()


def test_the_installed_cli_migrates_checks_seeds_grants_a_role_and_serves(
    installed: Installed, tmp_path: Path
) -> None:
    database = tmp_path / "app.db"
    settings = {"APP_DATABASE_URL": f"sqlite:///{database}"}

    migrated = installed.run("migrate", **settings)
    assert migrated.returncode == 0, migrated.stderr
    assert "Running upgrade" in migrated.stderr
    at_head = installed.run("migrate", "--check", **settings)
    assert at_head.returncode == 0, at_head.stdout + at_head.stderr
    assert "ok: the database is at the latest migration" in at_head.stdout

    checked = installed.run("check", **settings)
    assert checked.returncode == 0, checked.stdout
    assert "ok   database" in checked.stdout

    seeded = installed.run("seed", "--users", "3", "--posts-per-user", "2", **settings)
    assert seeded.returncode == 0, seeded.stderr
    with sqlite3.connect(database) as connection:
        users = connection.execute('SELECT count(*) FROM "user"').fetchone()[0]
        posts = connection.execute("SELECT count(*) FROM post").fetchone()[0]
        first_email = connection.execute('SELECT email FROM "user" ORDER BY id').fetchone()[0]
    assert (users, posts) == (3, 6)

    granted = installed.run("grant-role", first_email, "admin", **settings)
    assert granted.returncode == 0, granted.stderr
    assert f"{first_email} (user 1) is now admin" in granted.stdout

    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [str(installed.venv / "bin" / "users-posts"), "serve", "--port", str(port)],
            cwd=installed.workdir,
            env=installed.env(**settings),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        base_url = f"http://127.0.0.1:{port}"
        wait_until_ready(base_url, lambda: server.poll() is None, log.read_text)
        listed = httpx.get(f"{base_url}/users/", params={"limit": 10}, timeout=10)
        assert listed.status_code == 200
        assert len(listed.json()) == 3
    finally:
        server.send_signal(signal.SIGTERM)
        # uvicorn re-raises the signal once it has shut down gracefully: the status may say "SIGTERM".
        assert server.wait(timeout=30) in (0, -signal.SIGTERM), log.read_text()
