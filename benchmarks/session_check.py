"""What checking an access token's session on every request costs (issue 17): `CurrentUser` as built
(the user's row joined with its session's, one statement), the same with the session looked up in a
statement of its own, and without the session check at all, on SQLite and (when 127.0.0.1:5432
answers) PostgreSQL, interleaved in one run, reported against the variant without the check. In
process, no HTTP: the use case is all that differs between the variants.

    .venv/bin/python -m benchmarks.session_check [--calls 1000] [--runs 15]
"""

import argparse
import asyncio
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from dependency_injector import providers

from application.auth import Caller, CurrentUser
from domain.errors import InvalidCredentials
from infrastructure.container import Container
from infrastructure.settings import Settings
from throwaway.databases import POSTGRES_URL, migrate, postgres_database, sqlite_url

EMAIL, PASSWORD = "bench@example.com", "correct horse battery"


@dataclass(frozen=True, slots=True)
class CurrentUserInSeparateStatements(CurrentUser):
    """The user read by a statement of its own, then the session checked by a second one (the first
    version of the check), or not at all (as if ending a session left its access tokens valid until
    they expire)."""

    check_session: bool = True

    async def caller(self, token: str | None) -> Caller:
        assert token
        claims = self.tokens.read(token)
        async with self.new_read_uow() as uow:
            user = await uow.users.get(claims.user_id)
            live = not self.check_session or await uow.sessions.exists(claims.session_id, claims.user_id)
        if user is None or not live or user.credentials_stamp != claims.stamp or user.suspended:
            raise InvalidCredentials("Could not validate credentials")
        return Caller(user, claims.session_id)


async def measure(database_url: str, calls: int, runs: int) -> dict[str, float]:
    """µs per call of each variant, in its fastest of `runs` rounds (the variants take turns). The app's
    own container wires them: the variants differ from `CurrentUser` by their `caller` alone."""
    container = Container()
    container.settings.override(providers.Object(Settings(database_url=database_url)))
    try:
        await container.users.RegisterUser()("Bench", EMAIL, PASSWORD)
        token = (await container.auth.Authenticate()(EMAIL, PASSWORD)).access_token
        joined = container.auth.CurrentUser()
        variants: dict[str, CurrentUser] = {
            "joined": joined,
            "two statements": CurrentUserInSeparateStatements(joined.new_read_uow, joined.tokens),
            "no check": CurrentUserInSeparateStatements(
                joined.new_read_uow, joined.tokens, check_session=False
            ),
        }
        timings: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(runs + 1):  # the first round warms up and is dropped
            for name, use_case in variants.items():
                started = time.perf_counter()
                for _ in range(calls):
                    await use_case.caller(token)
                timings[name].append((time.perf_counter() - started) / calls * 1e6)
        # The fastest round of each: on a shared machine, the slower rounds measure the neighbours.
        return {name: min(runs_of[1:]) for name, runs_of in timings.items()}
    finally:
        await container.database().dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        url = sqlite_url(Path(directory) / "bench.db")
        migrate(url)
        report("SQLite", asyncio.run(measure(url, args.calls, args.runs)))
    if POSTGRES_URL:
        with postgres_database(POSTGRES_URL) as url:
            migrate(url)
            report("PostgreSQL", asyncio.run(measure(url, args.calls, args.runs)))


def report(kind: str, timings: dict[str, float]) -> None:
    base = timings["no check"]
    shown = ", ".join(f"{name} {µs:.0f} µs (x{µs / base:.2f})" for name, µs in timings.items())
    print(f"{kind}: CurrentUser per call: {shown}")


if __name__ == "__main__":
    main()
