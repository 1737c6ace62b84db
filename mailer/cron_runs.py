"""The last run of each scheduled job, kept in the database for `pactmail status`.

In the database rather than in Redis: it is read by a process that may not
find the running service's Redis (the embedded one of `pactmail run`), and
it must outlive a Redis that was restarted and emptied.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError

from mailer.models import CronRun

_RESULT_LENGTH = 200
_ERROR_LENGTH = 500


async def record_success(name: str, interval: timedelta, at: datetime, result: str) -> None:
    """``name`` finished at ``at`` and said ``result``."""
    await _record(
        name,
        interval,
        last_finished_at=at,
        last_result=" ".join(result.split())[:_RESULT_LENGTH],
    )


async def record_failure(name: str, interval: timedelta, at: datetime, error: str) -> None:
    """``name`` raised at ``at``; its last success stays as it was."""
    await _record(
        name,
        interval,
        last_failed_at=at,
        last_error=" ".join(error.split())[:_ERROR_LENGTH],
    )


async def _record(name: str, interval: timedelta, **values: Any) -> None:
    seconds = int(interval.total_seconds())
    if await CronRun.filter(name=name).update(interval_seconds=seconds, **values):
        return
    try:
        await CronRun.create(name=name, interval_seconds=seconds, **values)
    except IntegrityError:  # another worker's run of the same job wrote it first
        await CronRun.filter(name=name).update(interval_seconds=seconds, **values)


async def last_runs() -> list[CronRun]:
    """Every scheduled job that has run, by name."""
    return await CronRun.all().order_by("name")
