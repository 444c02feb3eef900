"""The in-process wake-up of a delivery loop: a unit of work that commits outbox rows rings it, so a
message goes out at once instead of at the next poll."""

import asyncio
import contextlib


class DeliverySignal:
    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()

    async def wait(self, seconds: float) -> None:
        """Until notified or `seconds` have passed; then ready to wait again."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._event.wait()
        self._event.clear()
