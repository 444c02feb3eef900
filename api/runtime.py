"""The garbage collector of a serving process, set once its start-up is done.

The hot reads make no reference cycles, yet with Python's defaults a full collection walks every object
of the imported libraries and the app, and that pause was the served app's p99; frozen, those objects
are never walked again. A larger first generation skips most young collections, since almost nothing a
request allocates outlives it. docs/performance.md ("The garbage collector") has the figures."""

import gc
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager

# (first generation, second, third): only the first is raised; see the module's docstring.
GC_THRESHOLDS = (10_000, 10, 10)

logger = logging.getLogger(__name__)


@contextmanager
def collector_tuned_for_serving() -> Iterator[None]:
    """Freeze what start-up made and raise the collector's first threshold, until the block exits;
    then unfreeze and restore the thresholds (an app started in a test process leaves it as it was)."""
    previous = gc.get_threshold()
    gc.collect()  # what start-up left as garbage is not worth keeping forever
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    logger.info(
        "process %d: %d start-up objects frozen, garbage collector thresholds %s",
        os.getpid(),
        gc.get_freeze_count(),
        GC_THRESHOLDS,
    )
    try:
        yield
    finally:
        gc.set_threshold(*previous)
        gc.unfreeze()
