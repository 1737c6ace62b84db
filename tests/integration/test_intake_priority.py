"""Separate SMTP and worker processes agree through Redis that mail comes first."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis

from mailer.priority import AnnounceIntakeBusy, IntakeFirst, busy_key, follow_intake_busy
from mailer.settings import Settings


async def test_workers_follow_the_busy_signal_and_it_expires_by_itself(
    settings: Settings,
) -> None:
    assert settings.redis_url is not None
    redis = Redis.from_url(settings.redis_url)
    gate = IntakeFirst(slots_while_busy=1)
    follower = asyncio.create_task(follow_intake_busy(gate, redis, settings.queue_name))
    try:
        await AnnounceIntakeBusy(redis, settings.queue_name).set_intake_busy(True)
        ttl = await redis.pttl(busy_key(settings.queue_name))
        assert 0 < ttl <= 300
        await asyncio.sleep(0.15)
        started = asyncio.Event()
        async with gate.job():
            second = asyncio.create_task(_enter(gate, started))
            await asyncio.sleep(0.05)
            assert not started.is_set()  # held back while the intake is busy
            # No SMTP process renews the key: it expires, and the second job
            # starts even though the first still holds the only busy-time slot.
            async with asyncio.timeout(2):
                await started.wait()
        await second
    finally:
        follower.cancel()
        await asyncio.gather(follower, return_exceptions=True)
        await redis.aclose()


async def _enter(gate: IntakeFirst, started: asyncio.Event) -> None:
    async with gate.job():
        started.set()
