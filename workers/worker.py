"""Building the arq worker: jobs, cron, and the context every job receives."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from arq import cron
from arq.cron import CronJob
from arq.worker import Worker, func

from mailer.priority import IntakeFirst
from mailer.queue import (
    DIGESTS_NOW,
    PROCESS_INBOUND,
    RETRY_INBOUND,
    SEND_EMAIL,
    dump_job,
    load_job,
    redis_settings,
)
from mailer.ratelimit import Limiter
from mailer.reading import Reader
from mailer.settings import Settings
from mailer.trust.judge import SenderJudge
from mailer.trust.resolver import DnsResolver, TxtResolver
from workers.cron_runs import recorded
from workers.jobs import (
    PROCESS_MAX_TRIES,
    SEND_MAX_TRIES,
    Ctx,
    digests_job,
    digests_now_job,
    invitations_job,
    process_inbound_job,
    recurring_job,
    retention_job,
    retry_inbound_job,
    send_email_job,
    summaries_job,
    sweep_job,
)

SWEEP_SECONDS = {0, 15, 30, 45}
INVITATION_MINUTES = set(range(0, 60, 10))
DIGEST_MINUTES = {0, 15, 30, 45}  # a partner's 08:00 may fall on any quarter hour
RETENTION_MINUTES = {7}  # hourly, away from the quarter hours the digests take
# Soon after any zone's midnight (offsets are whole quarter hours), so that
# an occurrence over is settled hours before that zone's 08:00 digests and
# summaries show it; away from the quarter hours the digests take.
RECURRING_MINUTES = {5, 20, 35, 50}
# A worker says it is alive this often; `pactmail digest --now` asks the
# service only when one has said so lately (arq's default is hourly).
HEALTH_CHECK_SECONDS = 10
ASKED_RESULT_SECONDS = 600


def utc_now() -> datetime:
    return datetime.now(UTC)


def build_worker(
    settings: Settings,
    redis_url: str,
    *,
    clock: Callable[[], datetime] = utc_now,
    intake_first: IntakeFirst | None = None,
    burst: bool = False,
    handle_signals: bool = True,
    max_jobs: int = 20,
    poll_delay: float = 0.05,
    resolver: TxtResolver | None = None,
    cron_jobs: bool = True,
    reader: Reader | None = None,
    parse_ahead: bool = False,
) -> Worker:
    """A worker with its own Redis pool; the database is opened by the caller.

    ``resolver`` answers the DNS questions of sender checks (DKIM keys, DMARC
    records); tests and benchmarks give a TableResolver, the service the
    system's resolvers. Without ``cron_jobs`` the worker only runs queued
    jobs: a test that moves ``clock`` calls the cron jobs itself, at the
    times it chooses. ``reader`` is the parse step (tests give one with a
    short time bound or a slowed parser); by default a pool of its own.
    With ``parse_ahead`` its processes start with the worker, not with the
    first message (the commands do this; tests leave it).
    Whoever runs the worker without arq's ``close`` calls ``release_clients``
    on its ``ctx`` after it.
    """
    judge = SenderJudge(
        settings.trusted_authserv_ids, resolver or DnsResolver(), settings.trusted_relays
    )
    context: Ctx = {
        "settings": settings,
        "clock": clock,
        "intake_first": intake_first,
        "judge": judge,
        "reader": reader or Reader(),
    }

    async def open_clients(ctx: Ctx) -> None:
        if parse_ahead:
            await ctx["reader"].start()
        # The sender limit counts in the Redis of the queue, under the same
        # prefix as the SMTP server's client limit (another kind of key).
        ctx["limiter"] = (
            Limiter(redis_url, f"{settings.queue_name}:limits")
            if settings.rate_limits.sender is not None
            else None
        )

    job_timeout = settings.job_timeout_seconds
    return Worker(
        functions=[
            # keep_result=0: the database says what is done, and a job id must
            # be free again for the sweep once its job has finished.
            func(
                process_inbound_job,
                name=PROCESS_INBOUND,
                keep_result=0,
                max_tries=PROCESS_MAX_TRIES,
                timeout=job_timeout,
            ),
            func(
                send_email_job,
                name=SEND_EMAIL,
                keep_result=0,
                max_tries=SEND_MAX_TRIES,
                timeout=job_timeout,
            ),
            # A command waits for this one's result: it is kept for a while.
            func(
                digests_now_job,
                name=DIGESTS_NOW,
                keep_result=ASKED_RESULT_SECONDS,
                max_tries=1,
                timeout=job_timeout,
            ),
            func(
                retry_inbound_job,
                name=RETRY_INBOUND,
                keep_result=ASKED_RESULT_SECONDS,
                max_tries=1,
                timeout=job_timeout,
            ),
        ],
        cron_jobs=recorded(_cron_jobs()) if cron_jobs else [],
        queue_name=settings.queue_name,
        redis_settings=redis_settings(redis_url),
        ctx=context,
        on_startup=open_clients,
        on_shutdown=release_clients,
        burst=burst,
        handle_signals=handle_signals,
        max_jobs=max_jobs,
        poll_delay=poll_delay,
        job_timeout=job_timeout,
        keep_result=0,
        # Commands tell a running worker by this key (it lapses a little after).
        health_check_interval=HEALTH_CHECK_SECONDS,
        # JSON, not arq's default pickle: a job read from Redis must not be able to run code.
        job_serializer=dump_job,
        job_deserializer=load_job,
    )


def _cron_jobs() -> list[CronJob]:
    """The scheduled jobs; each also runs as the worker starts, to catch up."""
    return [
        cron(
            digests_job,
            name="digests",
            minute=DIGEST_MINUTES,
            keep_result=0,
            unique=True,
            run_at_startup=True,
        ),
        cron(
            summaries_job,
            name="summaries",
            minute=DIGEST_MINUTES,
            keep_result=0,
            unique=True,
            run_at_startup=True,
        ),
        cron(
            invitations_job,
            name="invitations",
            minute=INVITATION_MINUTES,
            keep_result=0,
            unique=True,
            run_at_startup=True,
        ),
        cron(
            recurring_job,
            name="recurring",
            minute=RECURRING_MINUTES,
            keep_result=0,
            unique=True,
            run_at_startup=True,
        ),
        cron(
            retention_job,
            name="retention",
            minute=RETENTION_MINUTES,
            keep_result=0,
            unique=True,
            run_at_startup=True,
        ),
        cron(
            sweep_job,
            name="sweep",
            second=SWEEP_SECONDS,
            keep_result=0,
            unique=True,
            run_at_startup=True,
        ),
    ]


async def release_clients(ctx: Ctx) -> None:
    """Close what the worker opened at startup; calling it again does nothing."""
    limiter: Limiter | None = ctx.pop("limiter", None)
    if limiter is not None:
        await limiter.aclose()
    reader: Reader | None = ctx.get("reader")
    if reader is not None:
        await reader.close()  # its processes; it starts them again if used
