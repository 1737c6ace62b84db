"""Rate limits kept in Redis, so that every process counts together (SPEC §7).

A moving window: exactly N hits in any stretch of the window's length, with
no burst of 2N across a window boundary as fixed windows allow. A limit that
cannot be checked lets the hit through: a Redis outage must not stop mail
being taken (the database is what has to work).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from typing import Any

from limits import RateLimitItem
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from redis.asyncio import ConnectionPool

log = logging.getLogger(__name__)

# A check costs one round trip; a Redis that hangs must not hold a session.
CHECK_TIMEOUT_SECONDS = 0.5
WARN_EVERY_SECONDS = 60.0


class Limiter:
    """Counts hits per kind and key; ``allow`` is False once a rate is used up."""

    def __init__(
        self, redis_url: str, prefix: str, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._pool = ConnectionPool.from_url(
            redis_url,
            socket_connect_timeout=CHECK_TIMEOUT_SECONDS,
            socket_timeout=CHECK_TIMEOUT_SECONDS,
        )
        # Our own pool, on the redis-py client arq already uses; limits'
        # options are typed for scalars only, hence the untyped mapping.
        options: dict[str, Any] = {"connection_pool": self._pool}
        storage = RedisStorage(
            "async+redis://",
            implementation="redispy",
            wrap_exceptions=True,
            key_prefix=prefix,
            **options,
        )
        self._limiter = MovingWindowRateLimiter(storage)
        self._clock = clock
        self._warned_at = -math.inf

    async def allow(self, rate: RateLimitItem | None, kind: str, key: str) -> bool:
        """Count one hit of ``key``; False when ``rate`` was used up already."""
        if rate is None:
            return True
        try:
            async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
                return await self._limiter.hit(rate, kind, key)
        except Exception as exc:  # whatever failed, the limit is what gives way
            self._warn(exc)
            return True

    async def aclose(self) -> None:
        await self._pool.aclose()

    def _warn(self, exc: Exception) -> None:
        now = self._clock()
        if now - self._warned_at >= WARN_EVERY_SECONDS:
            self._warned_at = now
            log.warning(
                "rate limits unchecked: Redis cannot be reached (%s); letting mail through",
                type(exc).__name__,
            )


def rate_words(rate: RateLimitItem) -> str:
    """A rate of messages as a person would say it.

    >>> from limits import parse
    >>> rate_words(parse("20/hour")), rate_words(parse("1 per 2 days"))
    ('20 messages an hour', '1 message in 2 days')
    """
    noun = "message" if rate.amount == 1 else "messages"
    unit = rate.GRANULARITY.name
    if rate.multiples == 1:
        return f"{rate.amount} {noun} {'an' if unit == 'hour' else 'a'} {unit}"
    return f"{rate.amount} {noun} in {rate.multiples} {unit}s"
