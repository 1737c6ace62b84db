"""In one process, taking mail comes before processing it.

`pactmail run` has SMTP and the worker on one event loop and one SQLite
connection. While messages wait to be stored, only a few jobs may start, so
the SMTP clients get their 250 quickly; processing catches up when the
arrivals pause, and never stops entirely.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

SLOTS_WHILE_BUSY = 1


class IntakeFirst:
    """A gate that worker jobs pass through; the intake says when it is busy."""

    def __init__(self, slots_while_busy: int = SLOTS_WHILE_BUSY) -> None:
        self._slots_while_busy = slots_while_busy
        self._intake_busy = False
        self._running = 0
        self._changed = asyncio.Condition()

    async def set_intake_busy(self, busy: bool) -> None:
        if busy == self._intake_busy:
            return
        async with self._changed:
            self._intake_busy = busy
            self._changed.notify_all()

    @asynccontextmanager
    async def job(self) -> AsyncIterator[None]:
        """Hold one job slot for the body's duration."""
        async with self._changed:
            await self._changed.wait_for(
                lambda: not self._intake_busy or self._running < self._slots_while_busy
            )
            self._running += 1
        try:
            yield
        finally:
            async with self._changed:
                self._running -= 1
                self._changed.notify_all()
