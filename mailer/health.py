"""How the service stands: the figures of `pactmail status` and of the metrics' gauges.

Read from the database (the source of truth) and the queue in Redis, never
written: `pactmail status` may run beside a `pactmail run` that owns the
SQLite file (SPEC §6). Each figure that needs an operator comes with a
sentence saying what and where to look.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from redis.asyncio import Redis
from tortoise.functions import Count

from mailer.cron_runs import last_runs
from mailer.db import close_database, open_database
from mailer.dkim_signing import signing_state
from mailer.embedded_redis import URL_FILE
from mailer.models import (
    AddressBounces,
    InboundMessage,
    InboundStatus,
    OutboundMessage,
    OutboundStatus,
)
from mailer.settings import Settings

# Older than this, a message waiting for processing means workers are not keeping up.
INBOUND_LATE = timedelta(minutes=5)
# A send retried this long is more than a relay's blip (retries end after ~10 minutes).
OUTBOUND_LATE = timedelta(minutes=15)
# A scheduled job is overdue after this many of its intervals without a run.
CRON_LATE_INTERVALS = 2
# Failures nothing true can clear (a refused address, a message that cannot
# be read) need an operator while they are news; after this the figures
# still show them, but the health check is green again.
FAILURES_NEWS = timedelta(hours=24)
CONNECT_SECONDS = 3.0
# Kept as a string: the status is being added beside this module (issue 11,
# item 3), and counting the string works before and after it exists.
QUARANTINED = "quarantined"
INBOUND_COUNTED = (InboundStatus.RECEIVED.value, InboundStatus.FAILED.value, QUARANTINED)
OUTBOUND_COUNTED = tuple(
    status.value
    for status in (
        OutboundStatus.PENDING,
        OutboundStatus.DATA_SENT,
        OutboundStatus.POSSIBLY_SENT,
        OutboundStatus.FAILED,
    )
)


@dataclass(frozen=True)
class Queue:
    """The arq queue's length, or why it is not known."""

    depth: int | None
    problem: str = ""


@dataclass(frozen=True)
class CronState:
    name: str
    interval: timedelta
    last_finished_at: datetime | None
    last_result: str
    last_failed_at: datetime | None
    last_error: str


@dataclass(frozen=True)
class Health:
    """Everything `pactmail status` reports, read at ``checked_at``."""

    checked_at: datetime
    queue: Queue
    database_problem: str = ""
    inbound: dict[str, int] = field(default_factory=dict)  # by status, of INBOUND_COUNTED
    oldest_waiting: datetime | None = None  # received, not yet processed
    outbound: dict[str, int] = field(default_factory=dict)  # by status, of OUTBOUND_COUNTED
    oldest_pending_outbound: datetime | None = None
    crons: tuple[CronState, ...] = ()
    # Of the failed and quarantined, those of the last FAILURES_NEWS, by status.
    recent_inbound: dict[str, int] = field(default_factory=dict)
    recent_outbound: dict[str, int] = field(default_factory=dict)
    # Addresses no digest goes to after bouncing: a figure, not a problem (their
    # members were told how to fix it; mailer/flows/bounce.py).
    suspended: int = 0
    # How outbound mail is signed (DKIM), and why it cannot be when the keys are missing.
    signing: str = ""
    signing_problem: str = ""

    def problems(self) -> list[str]:
        """What needs an operator, one sentence each; empty when all is well."""
        found = [self.database_problem] if self.database_problem else []
        if self.queue.problem:
            found.append(self.queue.problem)
        if self.signing_problem:  # unsigned by choice is no problem; keys gone are
            found.append(self.signing_problem)
        if self.database_problem:
            return found
        now = self.checked_at
        if (oldest := self.oldest_waiting) is not None and now - oldest > INBOUND_LATE:
            found.append(
                f"the oldest unprocessed inbound message has waited {_age(now, oldest)} "
                f"(more than {_span(INBOUND_LATE)}): are workers running?"
            )
        if (waiting := self.oldest_pending_outbound) is not None and now - waiting > OUTBOUND_LATE:
            found.append(
                f"the oldest pending outbound email has waited {_age(now, waiting)}: "
                "does the relay take mail?"
            )
        news = f"in the last {_span(FAILURES_NEWS)}"
        if count := self.recent_inbound.get(InboundStatus.FAILED.value, 0):
            found.append(f"{count} inbound message(s) failed {news}: `pactmail inbound` lists them")
        if count := self.recent_inbound.get(QUARANTINED, 0):
            found.append(
                f"{count} inbound message(s) quarantined {news}: `pactmail inbound` lists them"
            )
        # Possibly sent mail waits for an operator's --resend or --mark-sent, however old.
        if count := self.outbound.get(OutboundStatus.POSSIBLY_SENT.value, 0):
            found.append(f"{count} outbound email(s) possibly sent: `pactmail outbound` lists them")
        if count := self.recent_outbound.get(OutboundStatus.FAILED.value, 0):
            found.append(f"{count} outbound email(s) failed {news}: `pactmail outbound` lists them")
        found += self._cron_problems()
        return found

    def _cron_problems(self) -> list[str]:
        if not self.crons:
            return ["no scheduled job has ever run: is a worker (or `pactmail run`) running?"]
        found = []
        for cron in self.crons:
            late = cron.interval * CRON_LATE_INTERVALS
            last = cron.last_finished_at
            if last is None or self.checked_at - last > late:
                since = (
                    "never finished"
                    if last is None
                    else f"last finished {_age(self.checked_at, last)} ago"
                )
                found.append(f"cron job {cron.name} {since}; it runs every {_span(cron.interval)}")
            if cron.last_failed_at is not None and (last is None or cron.last_failed_at > last):
                found.append(f"cron job {cron.name} failed at its last run: {cron.last_error}")
        return found

    def report(self) -> str:
        """The figures for a person, then what needs an operator."""
        lines = [f"pactmail status at {self.checked_at:%Y-%m-%d %H:%M:%S} UTC"]
        depth = self.queue.depth
        lines.append(f"queue:     {'unknown' if depth is None else f'{depth} job(s) waiting'}")
        if not self.database_problem:
            lines += self._database_lines()
        if self.signing:
            lines.append(f"signing:   {self.signing}")
        problems = self.problems()
        if problems:
            lines.append("needs an operator:")
            lines += [f"  - {problem}" for problem in problems]
        else:
            lines.append("all well")
        return "\n".join(lines)

    def _database_lines(self) -> list[str]:
        now = self.checked_at
        inbound, outbound = self.inbound, self.outbound
        oldest = (
            f"oldest unprocessed received {_age(now, self.oldest_waiting)} ago"
            if self.oldest_waiting is not None
            else "none unprocessed"
        )
        lines = [
            f"inbound:   {inbound.get(InboundStatus.RECEIVED.value, 0)} waiting ({oldest}); "
            f"{inbound.get(InboundStatus.FAILED.value, 0)} failed; "
            f"{inbound.get(QUARANTINED, 0)} quarantined",
            f"outbound:  {outbound.get(OutboundStatus.PENDING.value, 0)} pending; "
            f"{outbound.get(OutboundStatus.DATA_SENT.value, 0)} being sent; "
            f"{outbound.get(OutboundStatus.POSSIBLY_SENT.value, 0)} possibly sent; "
            f"{outbound.get(OutboundStatus.FAILED.value, 0)} failed",
            f"bounces:   {self.suspended} address(es) suspended",
            "cron jobs:" + ("" if self.crons else " none has run yet"),
        ]
        for cron in self.crons:
            last = cron.last_finished_at
            when = f"{_age(now, last)} ago" if last is not None else "never finished"
            lines.append(
                f"  {cron.name:<12} every {_span(cron.interval):<7} last run {when:<12} "
                f"{cron.last_result}"
            )
        return lines


async def service_health(settings: Settings, now: datetime | None = None) -> Health:
    """The figures of `pactmail status`, from a process beside the service."""
    now = now or datetime.now(UTC)
    queue = await _queue_from_outside(settings)
    signing, signing_problem = signing_state(settings)
    try:
        await open_database(settings)
    except Exception as exc:  # whatever the driver raises: the operator needs one line
        health = Health(now, queue, database_problem=_database_problem(exc))
    else:
        try:
            health = await read_health(now, queue)
        finally:
            await close_database()
    return replace(health, signing=signing, signing_problem=signing_problem)


async def read_health(now: datetime, queue: Queue) -> Health:
    """The database's figures, on an open database; a problem reading it is one of them."""
    try:
        return Health(
            checked_at=now,
            queue=queue,
            inbound=await _counts(InboundMessage, INBOUND_COUNTED),
            oldest_waiting=await _oldest(InboundMessage, InboundStatus.RECEIVED, "received_at"),
            outbound=await _counts(OutboundMessage, OUTBOUND_COUNTED),
            oldest_pending_outbound=await _oldest(
                OutboundMessage, OutboundStatus.PENDING, "created_at"
            ),
            recent_inbound=await _counts(
                InboundMessage,
                (InboundStatus.FAILED.value, QUARANTINED),
                processed_at__gte=now - FAILURES_NEWS,
            ),
            recent_outbound=await _counts(
                OutboundMessage,
                (OutboundStatus.FAILED.value,),
                created_at__gte=now - FAILURES_NEWS,
            ),
            suspended=await AddressBounces.filter(
                suspended_at__not_isnull=True, retry_since__isnull=True
            ).count(),
            crons=tuple(
                CronState(
                    run.name,
                    timedelta(seconds=run.interval_seconds),
                    run.last_finished_at,
                    run.last_result,
                    run.last_failed_at,
                    run.last_error,
                )
                for run in await last_runs()
            ),
        )
    except Exception as exc:  # as above
        return Health(now, queue, database_problem=_database_problem(exc))


async def queue_depth(redis: Redis, queue_name: str) -> Queue:
    """The number of jobs in the arq queue (waiting, deferred or being retried)."""
    try:
        return Queue(int(await redis.zcard(queue_name)))
    except Exception as exc:  # a Redis down is a figure here, not a crash
        return Queue(None, f"cannot read the queue in Redis: {_reason(exc)}")


async def _queue_from_outside(settings: Settings) -> Queue:
    url = settings.redis_url
    if url is None:
        url, missing = _running_service_redis(settings.data_dir)
        if url is None:
            return Queue(None, f"queue unknown: {missing}")
    client = Redis.from_url(
        url, socket_connect_timeout=CONNECT_SECONDS, socket_timeout=CONNECT_SECONDS
    )
    try:
        queue = await queue_depth(client, settings.queue_name)
    finally:
        await client.aclose()
    if queue.problem and settings.redis_url is None:
        # A url file left by a service killed with -9 names a Redis gone with it.
        return Queue(None, f"{queue.problem} (the Redis of `pactmail run`: is it running?)")
    return queue


def _running_service_redis(data_dir: Path) -> tuple[str | None, str]:
    """The URL of a running `pactmail run`'s own Redis (it writes it there, 0600), or why not."""
    path = data_dir / URL_FILE
    try:
        return path.read_text().strip() or None, f"{path} is empty"
    except FileNotFoundError:
        return None, (
            f"no running `pactmail run` found ({path} is missing), and PACTMAIL_REDIS_URL is "
            "not set"
        )
    except OSError as exc:  # it holds a password: readable by the service's user alone
        return None, f"cannot read {path} ({exc.strerror}): run status as the service's user"


async def _counts(
    model: type[InboundMessage] | type[OutboundMessage],
    statuses: tuple[str, ...],
    **since: datetime,
) -> dict[str, int]:
    rows = (
        await model.filter(status__in=list(statuses), **since)
        .annotate(count=Count("id"))
        .group_by("status")
        .values("status", "count")
    )
    return {str(row["status"]): int(row["count"]) for row in rows}


async def _oldest(
    model: type[InboundMessage] | type[OutboundMessage],
    status: InboundStatus | OutboundStatus,
    column: str,
) -> datetime | None:
    rows = (
        await model.filter(status=status.value)
        .order_by(column)
        .limit(1)
        .values_list(column, flat=True)
    )
    return rows[0] if rows else None  # type: ignore[return-value]


def _database_problem(exc: BaseException) -> str:
    return (
        f"cannot read the database (PACTMAIL_DATABASE_URL): {_reason(exc)}; is it running, "
        "and its schema up to date (`pactmail migrate`)?"
    )


def _reason(exc: BaseException) -> str:
    """The innermost cause, in one line."""
    while exc.__cause__ is not None or exc.__context__ is not None:
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return (" ".join(str(exc).split()) or type(exc).__name__)[:200]


def _age(now: datetime, then: datetime) -> str:
    return _span(max(timedelta(0), now - then))


def _span(length: timedelta) -> str:
    """A length of time as a person says it.

    >>> _span(timedelta(seconds=15)), _span(timedelta(minutes=15)), _span(timedelta(hours=3))
    ('15 s', '15 min', '3 h')
    >>> _span(timedelta(days=2, hours=1))
    '2 d'
    """
    seconds = int(length.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"
