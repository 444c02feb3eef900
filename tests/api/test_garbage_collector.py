"""The garbage-collector setting the app's start-up applies (api/runtime.py): what start-up made is
frozen and the first threshold raised while the app runs, and both are undone when it stops. That every
worker of `users-posts serve --workers 2` applies it is tested in tests/integration/test_instances.py."""

import gc

from api.runtime import GC_THRESHOLDS
from tests.api.sql_apps import sql_app


async def test_start_up_freezes_the_collector_and_shutdown_undoes_it(sqlite_database: str) -> None:
    gc.unfreeze()
    before = gc.get_threshold()
    assert before != GC_THRESHOLDS

    async with sql_app(sqlite_database) as app:
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == GC_THRESHOLDS
        assert (await app.client.get("/users/1")).status_code == 404  # serving as usual

    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == before
