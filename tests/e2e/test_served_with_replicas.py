"""`users-posts serve --workers 2` reading from a real streaming replica (throwaway/replicas.py): the
replica stopped under load costs no 5xx beyond the requests in flight, and readiness reports it."""

import threading
from pathlib import Path

import httpx

from tests.e2e.load import concurrent_load
from tests.e2e.servers import served, server_env
from throwaway.replicas import Cluster


def test_a_replica_stopped_under_load_costs_no_5xx_beyond_the_requests_in_flight(
    replicated: Cluster, tmp_path: Path
) -> None:
    env = server_env(
        replicated.primary_url,
        APP_DATABASE_REPLICA_URLS=replicated.replica_url,
        APP_REPLICA_CHECK_INTERVAL_SECONDS="0.5",
        APP_LOG_LEVEL="WARNING",
    )
    with served(env, tmp_path / "serve.log", "--workers", "2") as server:
        paths = ["/users/?limit=10", "/posts/?limit=10", "/users/1"]
        stop = threading.Event()
        answers: dict[str, int] = {}
        after: dict[str, int] = {}

        def load() -> None:
            answers.update(concurrent_load(server.base_url, paths, stop=stop))

        loader = threading.Thread(target=load)
        loader.start()
        try:
            replicated.stop("replica")
            after.update(concurrent_load(server.base_url, paths, seconds=2))
        finally:
            stop.set()
            loader.join(timeout=60)
        five_hundreds = sum(count for answer, count in answers.items() if answer.startswith("5"))
        assert five_hundreds <= 16, answers  # the clients' requests in flight when it stopped, at most
        assert set(after) <= {"200", "404"}, after
        assert "unreachable" in httpx.get(server.base_url + "/health/ready").text
