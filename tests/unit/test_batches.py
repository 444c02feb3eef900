"""api.observability.batches: when held items are handed over, and that none is lost."""

import threading

from api.observability.batches import LIMIT, Batch


def test_without_an_event_loop_each_item_is_handed_over_at_once() -> None:
    taken: list[list[int]] = []
    batch: Batch[int] = Batch(lambda: taken.append(batch.take()))
    batch.add(1)
    batch.add(2)
    assert taken == [[1], [2]]


async def test_on_an_event_loop_items_wait_for_the_timer_or_the_limit() -> None:
    taken: list[list[int]] = []
    batch: Batch[int] = Batch(lambda: taken.append(batch.take()))
    for item in range(LIMIT - 1):
        batch.add(item)
    assert taken == []  # the timer is pending; nothing awaited since
    batch.add(LIMIT - 1)
    assert taken == [list(range(LIMIT))]


def test_items_added_while_another_thread_takes_are_all_taken_once() -> None:
    batch: Batch[int] = Batch(lambda: None)
    taken: list[int] = []
    done = threading.Event()

    def take_until_done() -> None:
        while not done.is_set():
            taken.extend(batch.take())

    taker = threading.Thread(target=take_until_done)
    taker.start()
    for item in range(500_000):
        batch.add(item)
    done.set()
    taker.join()
    taken.extend(batch.take())
    assert taken == list(range(500_000))
