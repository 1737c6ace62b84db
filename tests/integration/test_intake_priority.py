"""Separate SMTP and worker processes agree through Redis that mail comes first."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis

from mailer.intake import Arrival, Intake
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
        await asyncio.sleep(0.05)  # it announces in the background
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


class Recorder:
    def __init__(self) -> None:
        self.calls: list[bool] = []

    async def set_intake_busy(self, busy: bool) -> None:
        self.calls.append(busy)


async def test_the_intake_says_it_is_busy_while_storing_and_idle_after(db: None) -> None:
    recorder = Recorder()
    intake = Intake(lambda ids: asyncio.sleep(0), recorder)
    intake.start()
    try:
        arrival = Arrival("peer", "a@example.com", ("commit@pactmail.localhost",), b"x")
        await asyncio.gather(*(intake.store(arrival) for _ in range(5)))
        await asyncio.sleep(0.05)
    finally:
        await intake.stop()
    assert recorder.calls[0] is True
    assert recorder.calls[-1] is False
