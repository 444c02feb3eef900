"""`users-posts`: the operator's command line — serve, migrate, seed, check, back up and restore."""

import asyncio
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from api.cli.server import uvicorn_options
from domain.roles import Role
from infrastructure.operations import migrations, probes
from infrastructure.settings import InvalidSettings, Settings, load_settings
from infrastructure.sql.urls import database_backend, shown_url

cli = typer.Typer(
    help="Users & posts service: serve it, migrate its database, seed demo data, check its dependencies, "
    "follow its events.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"


def main() -> None:
    cli()


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


def _settings() -> Settings:
    try:
        return load_settings()
    except InvalidSettings as error:
        raise _fail(str(error)) from None


@contextmanager
def _multiprocess_metrics(workers: int) -> Iterator[None]:
    """With several workers, give prometheus-client a fresh directory to aggregate their metrics in
    (unless the operator named one), set before the workers start and removed when they are gone."""
    if workers == 1 or os.environ.get(MULTIPROC_DIR):
        yield
        return
    directory = tempfile.mkdtemp(prefix="users-posts-metrics-")
    os.environ[MULTIPROC_DIR] = directory
    try:
        yield
    finally:
        del os.environ[MULTIPROC_DIR]
        shutil.rmtree(directory, ignore_errors=True)


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="worker processes (more than 1 needs PostgreSQL)")] = 1,
) -> None:
    """Serve the API with uvicorn, hardened against slow and hostile clients (APP_SERVER_* settings);
    SIGTERM lets in-flight requests finish (up to APP_SHUTDOWN_GRACE_SECONDS)."""
    settings = _settings()
    if workers > 1 and database_backend(settings.database_url) == "sqlite":
        raise _fail(
            "--workers above 1 needs PostgreSQL (APP_DATABASE_URL=postgresql+asyncpg://…): "
            "the embedded SQLite database serves one process"
        )
    with _multiprocess_metrics(workers):
        uvicorn.run(**uvicorn_options(settings, host, port, workers))


@cli.command()
def migrate(
    check: Annotated[
        bool,
        typer.Option("--check", help="change nothing; exit 1 when migrations are pending or models drift"),
    ] = False,
) -> None:
    """Upgrade the database of APP_DATABASE_URL to the latest migration."""
    _settings()
    if not check:
        migrations.upgrade_to_head()
        return
    if problem := migrations.migration_problem():
        raise _fail(problem)
    typer.echo("ok: the database is at the latest migration and matches the models")


@cli.command()
def seed(
    users: Annotated[int, typer.Option(min=1, help="users to create")] = 100,
    posts_per_user: Annotated[int, typer.Option(min=0, help="posts for each user")] = 5,
) -> None:
    """Add demo users (with real argon2 password hashes) and their posts."""
    from rich.progress import Progress  # typer's own dependency

    from infrastructure.operations.seeding import DEMO_PASSWORD, demo_password_hashes, seed_demo_data

    settings = _settings()
    hashes = demo_password_hashes()
    with Progress(disable=not sys.stderr.isatty(), transient=True) as progress:
        task = progress.add_task("seeding", total=users * (1 + posts_per_user))
        seeded = asyncio.run(
            seed_demo_data(
                settings,
                users,
                posts_per_user,
                hashes,
                lambda rows: progress.advance(task, rows),
            )
        )
    typer.echo(
        f"seeded {seeded.users} users ({seeded.first_email} … {seeded.last_email}, "
        f"password {DEMO_PASSWORD!r}) and {seeded.posts} posts"
    )


@cli.command()
def check() -> None:
    """Check the settings, the database, Redis (when APP_REDIS_URL is set), the SMTP server (when
    APP_SMTP_HOST is set) and the event broker (when APP_EVENTS_URL is set): one line each."""
    try:
        settings = load_settings()
    except InvalidSettings as error:
        typer.echo(f"FAIL settings: {error}")
        raise typer.Exit(1) from None
    typer.echo(f"ok   settings: APP_ENV={settings.env}")
    failed = False
    try:
        asyncio.run(probes.ping_database(settings))
        typer.echo(f"ok   database: {shown_url(settings.database_url)} answers")
    except Exception as error:
        failed = True
        typer.echo(f"FAIL database: {shown_url(settings.database_url)}: {_reason(error)}")
    if settings.redis_url is None:
        typer.echo("skip redis: APP_REDIS_URL is not set (rate limits are per process)")
    else:
        try:
            asyncio.run(probes.ping_redis(settings.redis_url, settings.db_connect_timeout_seconds))
            typer.echo(f"ok   redis: {shown_url(settings.redis_url)} answers")
        except Exception as error:
            failed = True
            typer.echo(f"FAIL redis: {shown_url(settings.redis_url)}: {_reason(error)}")
    failed = _check_smtp(settings) or failed
    failed = _check_events(settings) or failed
    if failed:
        raise typer.Exit(1)


def _check_smtp(settings: Settings) -> bool:
    """One line about the SMTP server; True when it failed."""
    from infrastructure.mail.mailers import check_smtp

    if settings.mail_delivery != "smtp":
        typer.echo(f"skip smtp: APP_MAIL_BACKEND is {settings.mail_delivery} (no SMTP server configured)")
        return False
    server = f"{settings.smtp_host}:{settings.smtp_port}"
    try:
        asyncio.run(check_smtp(settings))
    except Exception as error:
        typer.echo(f"FAIL smtp: {server}: {_reason(error)}")
        return True
    typer.echo(f"ok   smtp: {server} answers")
    return False


def _check_events(settings: Settings) -> bool:
    """One line about the event broker; True when it failed."""
    from infrastructure.events.brokers import without_password
    from infrastructure.events.configured_broker import check_broker

    if settings.events_url is None:
        typer.echo("skip events: APP_EVENTS_URL is not set (no events are published)")
        return False
    try:
        where = asyncio.run(check_broker(settings))
    except Exception as error:
        typer.echo(
            f"FAIL events: {without_password(settings.events_url)}: {_reason(error.__cause__ or error)}"
        )
        return True
    typer.echo(f"ok   events: {where} answers")
    return False


events = typer.Typer(help="The domain events the service publishes (APP_EVENTS_URL).", no_args_is_help=True)
cli.add_typer(events, name="events")


@events.command()
def tail(
    type_pattern: Annotated[
        str,
        typer.Option(
            "--type",
            help="event types to print: '*' one word, '#' the rest (post.*, *.deleted); all by default",
        ),
    ] = "#",
) -> None:
    """Print each event published from now on, one JSON line each, until interrupted. Uses a queue (or a
    JetStream consumer) of its own, removed on exit: it takes nothing from other consumers."""
    from infrastructure.events.brokers import without_password
    from infrastructure.events.configured_broker import make_broker

    settings = _settings()
    if settings.events_url is None:
        raise _fail("APP_EVENTS_URL is not set: there is no broker to read events from")

    async def print_events() -> None:
        broker = make_broker(settings)
        async with broker.subscribe(type_pattern) as received:
            typer.echo(f"# events of {broker.where} matching {type_pattern!r}", err=True)
            async for message in received:
                typer.echo(message.body.decode())

    try:
        asyncio.run(print_events())
    except KeyboardInterrupt:
        pass
    except Exception as error:  # the broker refused or could not be reached: say why, in one line
        raise _fail(
            f"cannot read events from {without_password(settings.events_url)}: {_reason(error)}"
        ) from None


@cli.command()
def backup(
    path: Annotated[Path, typer.Argument(help="the file to write (must not exist)")],
) -> None:
    """Copy the SQLite database (APP_DATABASE_URL) to PATH, consistently, while the server goes on
    serving and writing. PostgreSQL: see docs/operations.md#backups."""
    from infrastructure.operations.backups import BackupError
    from infrastructure.operations.backups import backup as copy

    settings = _settings()
    try:
        copied = copy(settings.database_url, path)
    except BackupError as error:
        raise _fail(str(error)) from None
    typer.echo(f"ok: backed up to {copied.path} ({copied.size} bytes, migration {copied.migration})")


@cli.command()
def restore(
    path: Annotated[Path, typer.Argument(help="a backup made by `users-posts backup`")],
    force: Annotated[
        bool,
        typer.Option("--force", help="restore even into a database a running server holds"),
    ] = False,
) -> None:
    """Replace the SQLite database (APP_DATABASE_URL) by the backup PATH. Refused while a running server
    holds the database, unless --force: the server then serves the restored data."""
    from infrastructure.operations.backups import BackupError
    from infrastructure.operations.backups import restore as copy

    settings = _settings()
    try:
        copied = copy(settings.database_url, path, force=force)
    except BackupError as error:
        raise _fail(str(error)) from None
    typer.echo(
        f"ok: restored {path} into {copied.path} (migration {copied.migration}); "
        "run `users-posts migrate` if this release's migrations are newer"
    )


@cli.command("grant-role")
def grant_role(
    email: Annotated[str, typer.Argument(help="the user's email")],
    role: Annotated[Role, typer.Argument(help="member, moderator or admin")],
) -> None:
    """Give a user a role (audited): how the first admin is made. There is no default admin."""
    from domain.errors import DomainError
    from infrastructure.administration import grant_role as grant

    settings = _settings()
    try:
        user = asyncio.run(grant(settings, email, role.value))
    except DomainError as error:
        raise _fail(f"{email}: {error.message}") from None
    typer.echo(f"ok: {user.email} (user {user.id}) is now {user.role.value}")


def _reason(error: BaseException) -> str:
    cause = getattr(error, "orig", None) or error
    lines = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {lines[0]}" if lines else type(cause).__name__
