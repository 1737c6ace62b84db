"""Taking mail comes before processing it.

While messages wait to be stored, workers start no new job, for at most
MAX_HOLD_SECONDS each: on a small machine every CPU cycle processing takes
during a burst is one the SMTP clients wait for, and a job of 32 messages
done later costs no more than done now. Processing catches up when the
arrivals pause, and under sustained arrivals it runs anyway, at most that
much later. In `pactmail run` (one event loop,
one SQLite connection) the intake flips the gate directly; separate SMTP and
worker processes tell each other through a short-lived Redis key.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Protocol

from redis.asyncio import Redis

SLOTS_WHILE_BUSY = 0
# The longest a job is held back: its wait counts against its own timeout.
MAX_HOLD_SECONDS = 5.0
# Idle news counts only after this long without busy news (see IntakeFirst);
# the Redis key of separate processes lingers as long.
LINGER_SECONDS = 0.3
ANNOUNCE_EVERY_SECONDS = 0.1
ANNOUNCE_TTL_MS = int(LINGER_SECONDS * 1000)
ANNOUNCE_BACKOFF_SECONDS = 5.0
FOLLOW_EVERY_SECONDS = 0.05


class IntakeFirst:
    """A gate that worker jobs pass through; the intake says when it is busy."""

    def __init__(
        self,
        slots_while_busy: int = SLOTS_WHILE_BUSY,
        max_hold: float = MAX_HOLD_SECONDS,
        linger: float = LINGER_SECONDS,
    ) -> None:
        self._slots_while_busy = slots_while_busy
        self._max_hold = max_hold
        self._linger = linger
        self._intake_busy = False
        self._running = 0
        self._changed = asyncio.Condition()
        self._idle_later: asyncio.Task[None] | None = None

    async def set_intake_busy(self, busy: bool) -> None:
        """Busy at once; idle only after ``linger`` seconds with no busy news.

        Between two groups of messages the intake is idle for a moment only:
        opening the gate then would let jobs in mid-burst.
        """
        if not busy and self._idle_later is not None and not self._idle_later.done():
            return  # already counting down from the first idle news
        if self._idle_later is not None:
            self._idle_later.cancel()
            self._idle_later = None
        if not busy and self._intake_busy and self._linger > 0:
            self._idle_later = asyncio.create_task(self._idle_after(self._linger))
            return
        await self._set(busy)

    async def _idle_after(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
        await self._set(busy=False)

    async def _set(self, busy: bool) -> None:
        if busy == self._intake_busy:
            return
        async with self._changed:
            self._intake_busy = busy
            self._changed.notify_all()

    @asynccontextmanager
    async def job(self) -> AsyncIterator[None]:
        """Hold one job slot for the body's duration; held back at most ``max_hold``."""
        async with self._changed:
            with contextlib.suppress(TimeoutError):  # then it runs anyway
                async with asyncio.timeout(self._max_hold):
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


class IntakeSignal(Protocol):
    """What the intake tells: whether messages are waiting to be stored."""

    async def set_intake_busy(self, busy: bool) -> None: ...


def busy_key(queue_name: str) -> str:
    return f"{queue_name}:intake-busy"


class AnnounceIntakeBusy:
    """For an SMTP process of its own: tells the worker processes through Redis.

    The key expires by itself, so a stopped or crashed SMTP process never
    holds processing back for longer than ``ANNOUNCE_TTL_MS``.
    """

    def __init__(self, redis: Redis, queue_name: str) -> None:
        self._redis = redis
        self._key = busy_key(queue_name)
        self._last = 0.0
        self._sending: asyncio.Task[None] | None = None

    async def set_intake_busy(self, busy: bool) -> None:
        now = time.monotonic()
        if not busy or now - self._last < ANNOUNCE_EVERY_SECONDS:
            return
        if self._sending is not None and not self._sending.done():
            return
        self._last = now
        # In the background: the intake never waits for Redis.
        self._sending = asyncio.create_task(self._announce())

    async def close(self) -> None:
        if self._sending is not None:
            await asyncio.gather(self._sending, return_exceptions=True)

    async def _announce(self) -> None:
        try:
            async with asyncio.timeout(0.5):
                await self._redis.set(self._key, b"1", px=ANNOUNCE_TTL_MS)
        except Exception:  # only an optimisation: never in the way of mail
            self._last = time.monotonic() + ANNOUNCE_BACKOFF_SECONDS


async def follow_intake_busy(gate: IntakeFirst, redis: Redis, queue_name: str) -> None:
    """For a worker process of its own: keep ``gate`` in step with the SMTP processes."""
    key = busy_key(queue_name)
    while True:
        try:
            busy = bool(await redis.exists(key))
        except Exception:
            busy = False  # no news is no reason to hold processing back
        await gate.set_intake_busy(busy)
        await asyncio.sleep(FOLLOW_EVERY_SECONDS)
