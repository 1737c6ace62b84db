"""The intake-first gate: few jobs while mail is arriving, all of them otherwise."""

from __future__ import annotations

import asyncio

from mailer.priority import IntakeFirst


async def _peak_running(gate: IntakeFirst, jobs: int) -> int:
    running = peak = 0

    async def job() -> None:
        nonlocal running, peak
        async with gate.job():
            running += 1
            peak = max(peak, running)
            await asyncio.sleep(0.01)
            running -= 1

    await asyncio.gather(*(job() for _ in range(jobs)))
    return peak


async def test_while_the_intake_is_busy_only_the_reserved_slots_run() -> None:
    gate = IntakeFirst(slots_while_busy=2)
    await gate.set_intake_busy(True)
    assert await _peak_running(gate, 10) == 2  # processing slows, never stops


async def test_when_the_intake_is_idle_every_job_runs() -> None:
    gate = IntakeFirst(slots_while_busy=2)
    assert await _peak_running(gate, 10) == 10


async def test_jobs_held_back_start_as_soon_as_the_intake_is_idle() -> None:
    gate = IntakeFirst(slots_while_busy=1, linger=0)
    await gate.set_intake_busy(True)
    started: list[int] = []

    async def job(number: int) -> None:
        async with gate.job():
            started.append(number)
            await asyncio.sleep(0.05)

    tasks = [asyncio.create_task(job(number)) for number in range(3)]
    await asyncio.sleep(0.01)
    assert len(started) == 1
    await gate.set_intake_busy(False)
    await asyncio.sleep(0.01)
    assert len(started) == 3
    await asyncio.gather(*tasks)


async def test_no_job_is_held_back_longer_than_max_hold() -> None:
    gate = IntakeFirst(slots_while_busy=1, max_hold=0.1)
    await gate.set_intake_busy(True)  # and it stays busy
    async with gate.job():
        async with asyncio.timeout(1):
            async with gate.job():  # gets in once the hold runs out
                pass


async def test_a_moment_of_idleness_between_groups_does_not_open_the_gate() -> None:
    gate = IntakeFirst(slots_while_busy=0, linger=0.2)
    await gate.set_intake_busy(True)
    started = asyncio.Event()

    async def job() -> None:
        async with gate.job():
            started.set()

    task = asyncio.create_task(job())
    for _ in range(3):  # groups committed back to back, idle for an instant between
        await gate.set_intake_busy(False)
        await asyncio.sleep(0.05)
        await gate.set_intake_busy(True)
    assert not started.is_set()
    await gate.set_intake_busy(False)
    async with asyncio.timeout(1):
        await started.wait()  # once the idleness lasts
    await task
