"""Sending outbound rows, each at most once as far as the relay's answers tell."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from mailer.activity import email_failed, email_sent
from mailer.delivery import (
    AmbiguousDeliveryError,
    PermanentDeliveryError,
    RelaySession,
    TransientDeliveryError,
    write_to_outbox,
)
from mailer.dkim_signing import DkimSigner, signer_for
from mailer.models import OutboundMessage, OutboundStatus
from mailer.outbound import ADDRESS_DROPPED_AFTER_SENDING, CONTEXT_DROPPED_AFTER_SENDING
from mailer.render import render_email
from mailer.settings import Settings
from mailer.sql import update_row_if
from mailer.tokens import Purpose, make_token

log = logging.getLogger(__name__)

BOUNCE_TOKEN_LIFETIME = timedelta(days=30)
MIN_SEND_SECONDS = 5.0


class AlreadyClaimed(Exception):
    """Another worker is sending this row right now."""


def bounce_address(settings: Settings, outbound_id: int, now: datetime) -> str:
    """The VERP return path that ties a delivery failure to its outbound row."""
    token = make_token(
        settings.secret_key,
        Purpose.BOUNCE,
        (outbound_id,),
        to="",  # delivery reports come from mail systems: nobody's From is checked
        now=now,
        lifetime=BOUNCE_TOKEN_LIFETIME,
    )
    return f"bounce+{token}@{settings.domain}"


@dataclass
class SendResult:
    """What a batch of sends left to do."""

    to_retry: list[int] = field(default_factory=list)  # rows that met a passing fault
    not_tried: list[int] = field(default_factory=list)  # rows the time did not stretch to
    errors: list[str] = field(default_factory=list)


async def send_batch(
    outbound_ids: Sequence[int], settings: Settings, now: datetime, *, seconds: float
) -> SendResult:
    """Deliver several rows over one relay connection, within ``seconds``.

    Rows already settled are skipped, so running a batch twice sends nothing
    twice. Rows the time did not stretch to are left to be tried again.
    """
    result = SendResult()
    sent: list[tuple[int, str]] = []
    deadline = time.monotonic() + seconds
    # Each send gets at least this long (a quarter of the budget, at most 5 s).
    min_seconds = min(MIN_SEND_SECONDS, seconds / 4)
    rows = await OutboundMessage.filter(id__in=list(outbound_ids)).order_by("id")
    try:
        await _send_rows(rows, settings, now, (deadline, min_seconds), sent, result)
    finally:
        # Also after a fault part-way: what the relay took must not look unsent.
        await _record_sent(sent, now)
    return result


async def _send_rows(
    rows: Sequence[OutboundMessage],
    settings: Settings,
    now: datetime,
    time_left: tuple[float, float],
    sent: list[tuple[int, str]],
    result: SendResult,
) -> None:
    deadline, min_seconds = time_left
    signer = signer_for(settings)  # keys read once per process
    async with AsyncExitStack() as stack:
        session = (
            await stack.enter_async_context(
                RelaySession(settings.relay, local_hostname=settings.domain)
            )
            if settings.relay is not None
            else None
        )
        for row in rows:
            if not await _ready_to_send(row, settings, now):
                continue
            started = time.monotonic()
            try:
                message = outgoing_bytes(
                    row, settings.domain, now, signer, public_url=settings.public_url
                )
            except Exception as exc:  # a template or data fault: no retry will mend it
                log.exception("outbound %s cannot be rendered", row.id)
                await _finish(row, OutboundStatus.FAILED, f"cannot render: {exc!r}")
                email_failed(row, "failed", f"cannot render: {exc!r}", started)
                continue
            if session is None:
                path = write_to_outbox(settings.outbox_dir, f"{row.id:010d}", message)
                sent.append((row.id, ""))  # still pending: the outbox needs no claim
                email_sent(row, f"written to {path.name}", started)
                continue
            remaining = deadline - time.monotonic()
            if remaining < min_seconds:
                # Too little time to hear the relay's answer to the final dot:
                # a row cut off there would be possibly sent for no reason.
                result.not_tried.append(row.id)
                continue
            try:
                reply = await _send_one(session, row, message, settings, now, remaining)
            except TransientDeliveryError as exc:
                result.to_retry.append(row.id)
                result.errors.append(f"outbound {row.id}: {exc}")
                continue
            if reply is not None:
                sent.append((row.id, reply))
                email_sent(row, reply, started)


def outgoing_bytes(
    row: OutboundMessage,
    domain: str,
    now: datetime,
    signer: DkimSigner | None,
    *,
    public_url: str = "",
) -> bytes:
    """The email as it goes to the relay or the outbox: rendered, then signed if keys are set.

    Signed here, on the finished bytes, so that the signature covers exactly
    what is sent; a retry renders anew (Date, boundary) and signs anew.
    """
    message = render_email(row, domain=domain, now=now, public_url=public_url)
    return message if signer is None else signer.sign(message, now)


async def _ready_to_send(row: OutboundMessage, settings: Settings, now: datetime) -> bool:
    status = OutboundStatus(row.status)
    if status is OutboundStatus.PENDING:
        return True
    if (
        status is OutboundStatus.DATA_SENT
        and row.final_dot_at is not None
        and row.final_dot_at < now - interrupted_after(settings)
    ):
        # An earlier attempt died while the relay was taking the body: the
        # relay may have it. A second copy is worse than asking a human.
        await _finish(row, OutboundStatus.POSSIBLY_SENT, "interrupted during DATA")
    # A recent final dot: another job is sending it right now and settles it.
    return False


def interrupted_after(settings: Settings) -> timedelta:
    """How long after its final dot a send still in progress must have ended."""
    return timedelta(seconds=settings.job_timeout_seconds + 10)


async def _send_one(
    session: RelaySession,
    row: OutboundMessage,
    message: bytes,
    settings: Settings,
    now: datetime,
    timeout: float,
) -> str | None:
    """The relay's reply; None when the row was settled otherwise (refused, unsure, taken)."""

    started = time.monotonic()
    claimed = False  # by this attempt: only then is the row ours to settle

    async def mark_final_dot() -> None:
        nonlocal claimed
        claimed = bool(
            await update_row_if(
                OutboundMessage,
                row.id,
                {
                    "status": OutboundStatus.DATA_SENT.value,
                    "attempts": row.attempts + 1,
                    "final_dot_at": now,
                },
                {"status": OutboundStatus.PENDING.value},
            )
        )
        if not claimed:
            raise AlreadyClaimed

    try:
        return await session.send(
            message,
            envelope_from=bounce_address(settings, row.id, now),
            recipient=row.to_address,
            before_final_dot=mark_final_dot,
            timeout=timeout,
        )
    except AlreadyClaimed:
        return None  # another job has it; this session dropped the unfinished body
    except TransientDeliveryError as exc:
        # Back to pending only a row this attempt claimed and the relay then
        # refused: a row another job claimed may be with the relay already.
        await _settle(row, claimed, OutboundStatus.PENDING, str(exc))
        raise
    except PermanentDeliveryError as exc:
        await _settle(row, claimed, OutboundStatus.FAILED, str(exc))
        email_failed(row, "failed", str(exc), started)
    except AmbiguousDeliveryError as exc:
        await _settle(row, claimed, OutboundStatus.POSSIBLY_SENT, str(exc))
        email_failed(row, "possibly sent", str(exc), started)
    return None


async def _settle(row: OutboundMessage, claimed: bool, status: OutboundStatus, note: str) -> None:
    """Record an attempt's end on a row still in the state this attempt left it in."""
    held = OutboundStatus.DATA_SENT if claimed else OutboundStatus.PENDING
    await OutboundMessage.filter(id=row.id, status=held.value).update(
        status=status.value, last_error=note[:2000]
    )


async def _record_sent(sent: Sequence[tuple[int, str]], now: datetime) -> None:
    """Mark rows the relay (or the outbox) took as sent, with one statement.

    The relay's replies (its queue ids) went to the log as each was taken
    (mailer/activity.py), where an operator tracing a message looks for the
    relay's side of it too.
    """
    if not sent:
        return
    ids = [row_id for row_id, _ in sent]
    await OutboundMessage.filter(id__in=ids, status__in=_SENDING).update(
        status=OutboundStatus.SENT.value, sent_at=now, last_error=""
    )
    await OutboundMessage.filter(id__in=ids, template__in=CONTEXT_DROPPED_AFTER_SENDING).update(
        context={}
    )
    await OutboundMessage.filter(id__in=ids, template__in=ADDRESS_DROPPED_AFTER_SENDING).update(
        to_address=""
    )


# A row the relay took is DATA_SENT; one written to the outbox is still PENDING.
_SENDING = [OutboundStatus.PENDING.value, OutboundStatus.DATA_SENT.value]


async def settle_interrupted(before: datetime) -> int:
    """Rows whose send was cut off after ``before``'s final dot: possibly sent."""
    return await OutboundMessage.filter(
        status=OutboundStatus.DATA_SENT.value, final_dot_at__lt=before
    ).update(
        status=OutboundStatus.POSSIBLY_SENT.value,
        last_error="interrupted after the final dot; not sent again",
    )


async def give_up(outbound_ids: Sequence[int], error: str) -> None:
    """Record that retries are used up."""
    note = f"gave up after retries: {error}"[:2000]
    pending = OutboundMessage.filter(id__in=list(outbound_ids), status=OutboundStatus.PENDING.value)
    rows = await pending.only("id", "to_address", "template")
    await pending.update(status=OutboundStatus.FAILED.value, last_error=note)
    for row in rows:
        email_failed(row, "failed", note, None)


async def _finish(
    row: OutboundMessage, status: OutboundStatus, note: str, sent_at: datetime | None = None
) -> None:
    await OutboundMessage.filter(id=row.id).update(
        status=status.value, last_error=note[:2000], sent_at=sent_at
    )
