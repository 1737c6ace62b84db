"""Durable intake: received messages are committed in groups, then queued.

Concurrent SMTP sessions each wait for their message to be committed before
answering 250. Rather than one commit (one fsync) per message, the messages
that arrive while a commit is under way are written together in the next
transaction: group commit. Nothing waits for a batch to fill up.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from mailer.models import InboundMessage
from mailer.priority import IntakeSignal
from mailer.queue import BATCH
from mailer.sql import insert_returning_ids

log = logging.getLogger(__name__)

MAX_BATCH = 64
ENQUEUE_TIMEOUT_SECONDS = 2.0
# Stored messages are queued once this many wait, or this long after the first.
QUEUE_BATCH = BATCH
QUEUE_LINGER_SECONDS = 0.05

Enqueue = Callable[[Sequence[int]], Awaitable[None]]


@dataclass(frozen=True)
class Arrival:
    """One message as the SMTP server received it."""

    peer: str
    mail_from: str
    rcpt_tos: tuple[str, ...]
    content: bytes


class Intake:
    """Stores arrivals durably, in groups, then hands their ids to ``enqueue``."""

    def __init__(self, enqueue: Enqueue, priority: IntakeSignal | None = None) -> None:
        self._enqueue = enqueue
        self._priority = priority
        self._waiting: list[tuple[Arrival, asyncio.Future[int]]] = []
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._unqueued: list[int] = []  # stored, not yet handed to ``enqueue``
        self._queue_wakeup = asyncio.Event()
        self._queuer: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="intake")
        self._queuer = asyncio.create_task(self._queue_stored(), name="intake-queue")

    async def stop(self) -> None:
        for task in (self._task, self._queuer):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        self._task = self._queuer = None
        for _, future in self._waiting:
            future.cancel()
        self._waiting.clear()
        if self._unqueued:  # stored already; queued now rather than at the next sweep
            await self._enqueue_quietly(self._unqueued)
            self._unqueued = []

    async def store(self, arrival: Arrival) -> int:
        """Commit one arrival; returns its inbound id once it is durable."""
        if self._task is None or self._task.done():
            raise RuntimeError("intake is not running")
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._waiting.append((arrival, future))
        self._wakeup.set()
        return await future

    async def _run(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._waiting:
                if self._priority is not None:  # renewed for every group
                    await self._priority.set_intake_busy(True)
                batch = self._waiting[:MAX_BATCH]
                del self._waiting[:MAX_BATCH]
                await self._commit(batch)
            if self._priority is not None:
                await self._priority.set_intake_busy(False)

    async def _commit(self, batch: list[tuple[Arrival, asyncio.Future[int]]]) -> None:
        try:
            ids = await _insert_all([arrival for arrival, _ in batch])
        except Exception as exc:
            if len(batch) > 1:
                # One bad row must not cost the others their 250: try each alone.
                for single in batch:
                    await self._commit([single])
                return
            log.exception("storing a message failed")
            _, future = batch[0]
            if not future.done():
                future.set_exception(exc)  # that session answers 451
            return
        for (_, future), inbound_id in zip(batch, ids, strict=True):
            if not future.done():
                future.set_result(inbound_id)
        # Stored and answered: queueing only speeds processing up (the sweep
        # finds what it misses), so it happens apart from storing, and a slow
        # or hung Redis does not hold the next group of messages back.
        self._unqueued += ids
        self._queue_wakeup.set()

    async def _queue_stored(self) -> None:
        """Hand stored ids to ``enqueue`` in batches as full as a short wait allows.

        A group of stored messages is often two or three; a job for each
        would cost a worker more in bookkeeping than the wait costs anyone.
        """
        while True:
            await self._queue_wakeup.wait()
            if len(self._unqueued) < QUEUE_BATCH:
                await asyncio.sleep(QUEUE_LINGER_SECONDS)
            self._queue_wakeup.clear()
            ids, self._unqueued = self._unqueued, []
            await self._enqueue_quietly(ids)

    async def _enqueue_quietly(self, ids: list[int]) -> None:
        try:
            async with asyncio.timeout(ENQUEUE_TIMEOUT_SECONDS):
                await self._enqueue(ids)
        except Exception:
            log.warning("queueing %d stored message(s) failed; the sweep will", len(ids))


async def _insert_all(arrivals: Sequence[Arrival]) -> list[int]:
    # One multi-row INSERT: a single round trip and a single commit (fsync)
    # for the whole group, which is most of what a sender waits for.
    rows = [
        InboundMessage(
            peer=arrival.peer,
            mail_from=arrival.mail_from,
            rcpt_tos=list(arrival.rcpt_tos),
            content=arrival.content,
            size=len(arrival.content),
        )
        for arrival in arrivals
    ]
    return await insert_returning_ids(InboundMessage._meta.db, rows)
