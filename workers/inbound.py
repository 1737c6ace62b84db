"""``pactmail inbound``: list quarantined and failed mail, or run some of it again.

The work is two small functions so that the command can as well ask a
running service to do it, through its queue, as do it itself.
"""

from __future__ import annotations

from datetime import UTC, datetime

from mailer.db import close_database, migrate_database, open_database
from mailer.models import InboundMessage, InboundStatus
from mailer.processing import process_batch
from mailer.queue import RETRY_INBOUND
from mailer.reading import Reader
from mailer.redact import mask_address
from mailer.sending import send_batch
from mailer.setaside import LISTED, headline, release_for_retry, set_aside
from mailer.settings import Settings
from mailer.trust.judge import SenderJudge
from mailer.trust.resolver import DnsResolver, TxtResolver
from workers.ask_service import ServiceDidNotAnswer, ask, running_service

_STILL_SET_ASIDE = {InboundStatus.QUARANTINED.value, InboundStatus.FAILED.value}


async def list_set_aside() -> tuple[str, bool]:
    """The report, and whether anything waits for an operator."""
    rows = await set_aside()
    lines = [
        f"{row.id:>8}  {row.received_at:%Y-%m-%d %H:%M}  {row.status:<11}  "
        f"{row.attempts:>2} tries  {mask_address(row.mail_from.strip('<>')) or '<>':<28}  "
        f"{headline(row.error)[:100]}"
        for row in rows
    ]
    if len(rows) == LISTED:
        lines.append(f"(the newest {LISTED} only)")
    if not lines:
        return "no inbound mail waits for an operator", False
    return "\n".join(lines), True


async def retry_set_aside(
    settings: Settings, inbound_ids: list[int], now: datetime, resolver: TxtResolver | None = None
) -> tuple[str, bool]:
    """Run set-aside messages again in this process (no service runs)."""
    judge = SenderJudge(
        settings.trusted_authserv_ids, resolver or DnsResolver(), settings.trusted_relays
    )
    reader = Reader(processes=1)
    try:
        return await retry_with(settings, inbound_ids, now, judge, reader)
    finally:
        await reader.close()


async def retry_with(
    settings: Settings, inbound_ids: list[int], now: datetime, judge: SenderJudge, reader: Reader
) -> tuple[str, bool]:
    """Run set-aside messages again, here and now; the report, and whether all were processed.

    The running service's worker calls this too, with its own judge and parse step.
    """
    released = await release_for_retry(inbound_ids)
    result = await process_batch(released, settings, now, judge, reader)
    await send_batch(result.to_send, settings, now, seconds=settings.job_timeout_seconds / 2)
    ends = {row.id: row for row in await InboundMessage.filter(id__in=released)}
    report = [f"{row_id}: {_outcome(ends.get(row_id))}" for row_id in released]
    refused = sorted(set(inbound_ids) - set(released))
    report += [f"{row_id}: not quarantined or failed; left alone" for row_id in refused]
    done = not refused and all(
        row_id in ends and ends[row_id].status not in _STILL_SET_ASIDE for row_id in released
    )
    return "\n".join(report), done


def _outcome(row: InboundMessage | None) -> str:
    if row is None:
        return "gone"
    if row.status == InboundStatus.RECEIVED.value:
        return f"received, {row.reason} (the service's sweep tries it again)"
    if row.status in _STILL_SET_ASIDE:
        return f"{row.status} again: {headline(row.error)[:100]}"
    return f"{row.status}: {row.reason}"


async def inbound_command(
    settings: Settings, retry: list[int], resolver: TxtResolver | None = None
) -> tuple[str, int]:
    """What ``pactmail inbound`` prints, and its exit status (1: an operator is needed).

    A retry beside a running service is the service's to do (it writes; SPEC §6).
    """
    if retry:
        async with running_service(settings) as service:
            if service is not None:
                try:
                    answer = await ask(service, settings, RETRY_INBOUND, retry)
                except ServiceDidNotAnswer as exc:
                    return str(exc), 1
                report, done = _retried(answer)
                return f"{report}\n(by the running service)", 0 if done else 1
    await migrate_database(settings)
    await open_database(settings)
    try:
        if retry:
            report, done = await retry_set_aside(settings, retry, datetime.now(UTC), resolver)
            return report, 0 if done else 1
        report, waiting = await list_set_aside()
        return report, 1 if waiting else 0
    finally:
        await close_database()


def retried_result(report: str, done: bool) -> dict[str, object]:
    """A retry's outcome as a job's result (JSON in Redis)."""
    return {"report": report, "done": done}


def _retried(result: object) -> tuple[str, bool]:
    if not (isinstance(result, dict) and isinstance(result.get("report"), str)):
        raise ServiceDidNotAnswer(f"the service answered something else: {result!r}"[:200])
    return result["report"], bool(result.get("done"))
