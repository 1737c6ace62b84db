"""arq jobs: thin wrappers that take ids, call mailer/, and queue what follows."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, nullcontext
from datetime import datetime, timedelta
from typing import Any, cast

from arq import Retry
from arq.connections import ArqRedis

from mailer.db import DATABASE_UNAVAILABLE
from mailer.digests import send_due_digests
from mailer.digests_now import send_digests_now
from mailer.models import InboundMessage, InboundStatus, OutboundMessage, OutboundStatus
from mailer.priority import MAX_HOLD_SECONDS, IntakeFirst
from mailer.processing import process_batch
from mailer.queue import enqueue_inbound, enqueue_outbound
from mailer.recurring import roll_recurring
from mailer.retention import delete_old_raw_mail
from mailer.sending import (
    give_up,
    interrupted_after,
    send_batch,
    settle_interrupted,
)
from mailer.settings import Settings
from mailer.summaries import send_due_summaries
from mailer.unanswered import remind_and_expire
from workers.inbound import retried_result, retry_with

log = logging.getLogger(__name__)

SEND_MAX_TRIES = 8
PROCESS_MAX_TRIES = 10
# What the sweep considers lost rather than merely queued behind others.
SWEEP_AGE = timedelta(seconds=20)
SWEEP_BATCH = 1000

Ctx = dict[str, Any]


def _settings(ctx: Ctx) -> Settings:
    settings: Settings = ctx["settings"]
    return settings


def _now(ctx: Ctx) -> datetime:
    clock: Callable[[], datetime] = ctx["clock"]
    return clock()


def _slot(ctx: Ctx) -> AbstractAsyncContextManager[None]:
    """The intake-first gate in `pactmail run`; no gate for a worker process of its own."""
    gate: IntakeFirst | None = ctx.get("intake_first")
    return gate.job() if gate is not None else nullcontext()


def _backoff(ctx: Ctx) -> int:
    """Seconds before the next try: 2, 4, 8, ... at most five minutes."""
    tries: int = ctx.get("job_try", 1)
    return int(min(2**tries, 300))


def _database_retry(ctx: Ctx, exc: Exception) -> Retry:
    """The database, not the mail, failed: the whole job again, later.

    Nothing half-done stays behind (each message's work is one transaction,
    each send's state is written before and after it), so the next run
    skips what is done. Without it the job would fail outright and wait for
    the sweep.
    """
    log.warning("will retry: the database failed: %s", " ".join(str(exc).split())[:200])
    return Retry(defer=_backoff(ctx))


async def process_inbound_job(ctx: Ctx, ids: list[int]) -> str:
    """Process stored messages, then queue the mail they caused."""
    settings = _settings(ctx)
    try:
        async with _slot(ctx):
            result = await process_batch(
                ids,
                settings,
                _now(ctx),
                ctx["judge"],
                ctx["reader"],
                attempt=ctx.get("job_try", 1),
                limiter=ctx.get("limiter"),
            )
    except DATABASE_UNAVAILABLE as exc:
        raise _database_retry(ctx, exc) from exc
    redis: ArqRedis = ctx["redis"]
    await enqueue_outbound(redis, settings.queue_name, result.to_send)
    if result.to_retry:
        # The whole job runs again: what is done by then is skipped quickly.
        log.warning("will retry: %s", "; ".join(result.errors))
        raise Retry(defer=_backoff(ctx))
    return f"{len(ids)} processed, {len(result.to_send)} to send"


async def send_email_job(ctx: Ctx, ids: list[int]) -> str:
    """Send outbound rows; retries transient relay failures with backoff."""
    settings = _settings(ctx)
    # Within the job's own timeout, so that the job, not arq, ends it; the
    # gate's hold (at most MAX_HOLD_SECONDS) comes before the budget starts.
    timeout = settings.job_timeout_seconds
    seconds = max(timeout / 2, timeout - 15.0 - MAX_HOLD_SECONDS)
    try:
        async with _slot(ctx):
            result = await send_batch(ids, settings, _now(ctx), seconds=seconds)
    except DATABASE_UNAVAILABLE as exc:
        raise _database_retry(ctx, exc) from exc
    if not result.to_retry and not result.not_tried:
        return f"{len(ids)} handled"
    errors = "; ".join(result.errors)
    if result.to_retry and ctx.get("job_try", 1) >= SEND_MAX_TRIES:
        await give_up(result.to_retry, errors)
        if not result.not_tried:
            return f"gave up on {len(result.to_retry)}"
    log.warning("will retry %d row(s): %s", len(result.to_retry) + len(result.not_tried), errors)
    raise Retry(defer=_backoff(ctx))


async def sweep_job(ctx: Ctx) -> str:
    """Re-queue what is stored but not queued (Redis was down, a worker died)."""
    settings = _settings(ctx)
    before = _now(ctx) - SWEEP_AGE
    inbound_ids = (
        await InboundMessage.filter(status=InboundStatus.RECEIVED.value, received_at__lt=before)
        .order_by("id")
        .limit(SWEEP_BATCH)
        .values_list("id", flat=True)
    )
    outbound_ids = (
        await OutboundMessage.filter(status=OutboundStatus.PENDING.value, created_at__lt=before)
        .order_by("id")
        .limit(SWEEP_BATCH)
        .values_list("id", flat=True)
    )
    # A send cut off after its final dot (worker killed, job timed out).
    settled = await settle_interrupted(_now(ctx) - interrupted_after(settings))
    redis: ArqRedis = ctx["redis"]
    await enqueue_inbound(redis, settings.queue_name, cast(list[int], inbound_ids))
    await enqueue_outbound(redis, settings.queue_name, cast(list[int], outbound_ids))
    if inbound_ids or outbound_ids or settled:  # every 15 s: a line only when it found work
        log.warning(
            "sweep: %d inbound and %d outbound stored but not queued, queued again (Redis "
            "lost them, or a worker died); %d send(s) cut off after the final dot: possibly sent",
            len(inbound_ids),
            len(outbound_ids),
            settled,
        )
    return f"swept {len(inbound_ids)} inbound, {len(outbound_ids)} outbound, {settled} settled"


async def invitations_job(ctx: Ctx) -> str:
    """Remind partners who have not answered for 3 days; expire invitations at 14."""
    sent = await _queue_sends(ctx, await remind_and_expire(_settings(ctx), _now(ctx)))
    return f"{sent} email(s) about unanswered invitations"


async def digests_job(ctx: Ctx) -> str:
    """Queue the digests that are due (the database keeps it to one per partner and period)."""
    sent = await _queue_sends(ctx, await send_due_digests(_settings(ctx), _now(ctx)))
    return f"{sent} email(s) for digests"


async def digests_now_job(ctx: Ctx, partner: str | None) -> dict[str, object]:
    """``pactmail digest --now`` asked the running service: the worker writes, not the command."""
    async with _slot(ctx):
        done = await send_digests_now(_settings(ctx), _now(ctx), partner)
    return done.as_result()


async def retry_inbound_job(ctx: Ctx, inbound_ids: list[int]) -> dict[str, object]:
    """``pactmail inbound --retry`` asked the running service: its worker runs them again."""
    async with _slot(ctx):
        report, done = await retry_with(
            _settings(ctx), inbound_ids, _now(ctx), ctx["judge"], ctx["reader"]
        )
    return retried_result(report, done)


async def summaries_job(ctx: Ctx) -> str:
    """Queue this week's member summaries (one per member and week, by the database)."""
    return (
        f"{await _queue_sends(ctx, await send_due_summaries(_settings(ctx), _now(ctx)))} summaries"
    )


async def recurring_job(ctx: Ctx) -> str:
    """Roll recurring commitments past their occurrence (the database keeps each outcome once)."""
    return f"{await roll_recurring(_now(ctx))} occurrence(s) missed"


async def retention_job(ctx: Ctx) -> str:
    """Delete raw mail processed more than PACTMAIL_RETENTION_DAYS ago (SPEC §7)."""
    settings = _settings(ctx)
    # Half the job's time: a long backlog is finished by the next runs.
    deleted = await delete_old_raw_mail(
        settings, _now(ctx), seconds=settings.job_timeout_seconds / 2
    )
    return f"{deleted} raw message(s) deleted"


async def _queue_sends(ctx: Ctx, outbound_ids: list[int]) -> int:
    redis: ArqRedis = ctx["redis"]
    await enqueue_outbound(redis, _settings(ctx).queue_name, outbound_ids)
    return len(outbound_ids)
