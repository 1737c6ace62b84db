"""Waiting for the service to have nothing left to do: a condition, not a sleep."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis

from mailer.models import InboundMessage, InboundStatus, OutboundMessage, OutboundStatus
from mailer.settings import Settings

_UNSENT = [OutboundStatus.PENDING.value, OutboundStatus.DATA_SENT.value]


async def all_settled(timeout: float = 15.0) -> None:
    """Wait until every stored message is processed and every email it caused has gone."""
    async with asyncio.timeout(timeout):
        while (
            await InboundMessage.filter(status=InboundStatus.RECEIVED.value).exists()
            or await OutboundMessage.filter(status__in=_UNSENT).exists()
        ):
            await asyncio.sleep(0.05)


async def until(condition: Callable[[], Awaitable[bool]], timeout: float = 15.0) -> None:
    """Wait until ``condition()`` is true."""
    async with asyncio.timeout(timeout):
        while not await condition():
            await asyncio.sleep(0.05)


async def queue_drained(settings: Settings, timeout: float = 15.0) -> None:
    """Wait until no job is queued, waiting for a retry, or running.

    What a test wants to see not happen (a retry, a second copy) would by
    then have happened: arq keeps a job in its queue until the job has
    finished, and puts one to be retried back there, deferred.
    """
    assert settings.redis_url is not None, "the tests' settings name their Redis"
    redis: Redis = Redis.from_url(settings.redis_url)

    async def drained() -> bool:
        return not await redis.zcard(settings.queue_name)

    try:
        await until(drained, timeout)
    finally:
        await redis.aclose()
