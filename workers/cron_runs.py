"""Each cron job records its run (mailer/cron_runs.py) as it ends, for `pactmail status`."""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from arq import Retry
from arq.cron import CronJob

from mailer.cron_runs import record_failure, record_success

log = logging.getLogger(__name__)

CronCoroutine = Callable[[dict[str, Any]], Awaitable[Any]]


def recorded(jobs: list[CronJob]) -> list[CronJob]:
    """The same cron jobs, each writing its last run when it ends."""
    return [
        dataclasses.replace(job, coroutine=_recording(job.coroutine, job.name, interval(job)))
        for job in jobs
    ]


def interval(job: CronJob) -> timedelta:
    """The longest wait between two runs of ``job`` (minutes or seconds given as sets).

    >>> from arq import cron
    >>> async def job(ctx: dict[str, Any]) -> None: ...
    >>> interval(cron(job, second={0, 15, 30, 45}))
    datetime.timedelta(seconds=15)
    >>> interval(cron(job, minute={5, 20, 35, 50})), interval(cron(job, minute={7}))
    (datetime.timedelta(seconds=900), datetime.timedelta(seconds=3600))
    """
    if job.hour is not None or job.day is not None or job.month is not None:
        return timedelta(days=1)  # none of ours; at least a day between runs
    if job.minute is None:
        points, period = sorted(_values(job.second)), 60
    else:
        points, period = sorted(60 * minute for minute in _values(job.minute)), 3600
    gaps = [
        later - earlier
        for earlier, later in zip(points, [*points[1:], points[0] + period], strict=True)
    ]
    return timedelta(seconds=max(gaps))


def _values(option: object) -> set[int]:
    if isinstance(option, int):
        return {option}
    if isinstance(option, set | frozenset | list | tuple):
        return {int(value) for value in option}
    return {0}


def _recording(job: CronCoroutine, name: str, every: timedelta) -> Any:
    @functools.wraps(job)
    async def run(ctx: dict[str, Any]) -> Any:
        try:
            result = await job(ctx)
        except Retry:
            raise
        except Exception as exc:
            await _quietly(record_failure(name, every, datetime.now(UTC), repr(exc)))
            raise
        await _quietly(record_success(name, every, datetime.now(UTC), str(result)))
        return result

    return run


async def _quietly(record: Awaitable[None]) -> None:
    """A run whose record cannot be written still counts as run: the next one writes it."""
    try:
        await record
    except Exception as exc:  # the database is down: the job itself has its own error
        log.warning("could not record a cron run: %r", exc)
