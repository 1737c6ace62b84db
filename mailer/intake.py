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

from tortoise.transactions import in_transaction

from mailer.models import InboundMessage

log = logging.getLogger(__name__)

MAX_BATCH = 64

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

    def __init__(self, enqueue: Enqueue) -> None:
        self._enqueue = enqueue
        self._waiting: list[tuple[Arrival, asyncio.Future[int]]] = []
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="intake")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        for _, future in self._waiting:
            future.cancel()
        self._waiting.clear()

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
                batch = self._waiting[:MAX_BATCH]
                del self._waiting[:MAX_BATCH]
                await self._commit(batch)

    async def _commit(self, batch: list[tuple[Arrival, asyncio.Future[int]]]) -> None:
        try:
            ids = await _insert_all([arrival for arrival, _ in batch])
        except Exception as exc:  # every waiting session answers 451
            log.exception("storing %d message(s) failed", len(batch))
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        # Stored: from here on a failure only delays processing (the sweep
        # re-enqueues), so it must not turn into a refusal.
        try:
            await self._enqueue(ids)
        except Exception:
            log.warning("queueing %d stored message(s) failed; the sweep will", len(ids))
        for (_, future), inbound_id in zip(batch, ids, strict=True):
            if not future.done():
                future.set_result(inbound_id)


async def _insert_all(arrivals: Sequence[Arrival]) -> list[int]:
    async with in_transaction():
        rows = [
            await InboundMessage.create(
                peer=arrival.peer,
                mail_from=arrival.mail_from,
                rcpt_tos=list(arrival.rcpt_tos),
                content=arrival.content,
                size=len(arrival.content),
            )
            for arrival in arrivals
        ]
    return [row.id for row in rows]
