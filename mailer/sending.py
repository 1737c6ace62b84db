"""Sending one outbound row, at most once as far as the relay's answers tell."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from mailer.delivery import (
    AmbiguousDeliveryError,
    PermanentDeliveryError,
    TransientDeliveryError,
    send_through_relay,
    write_to_outbox,
)
from mailer.models import OutboundMessage, OutboundStatus
from mailer.render import render_email
from mailer.settings import Settings
from mailer.tokens import Purpose, make_token

log = logging.getLogger(__name__)

FINAL_STATES = {OutboundStatus.SENT, OutboundStatus.POSSIBLY_SENT, OutboundStatus.FAILED}
BOUNCE_TOKEN_LIFETIME = timedelta(days=30)


class AlreadyClaimed(Exception):
    """Another worker is sending this row right now."""


def bounce_address(settings: Settings, outbound_id: int, now: datetime) -> str:
    """The VERP return path that ties a delivery failure to its outbound row."""
    token = make_token(
        settings.secret_key,
        Purpose.BOUNCE,
        (outbound_id,),
        now=now,
        lifetime=BOUNCE_TOKEN_LIFETIME,
    )
    return f"bounce+{token}@{settings.domain}"


async def send_outbound(outbound_id: int, settings: Settings, now: datetime) -> OutboundStatus:
    """Deliver one row; raises TransientDeliveryError when a retry may help."""
    row = await OutboundMessage.get(id=outbound_id)
    status = OutboundStatus(row.status)
    if status in FINAL_STATES:
        return status
    if status is OutboundStatus.DATA_SENT:
        # An earlier attempt died while the relay was taking the body: the
        # relay may have it. A second copy is worse than asking a human.
        await _finish(row, OutboundStatus.POSSIBLY_SENT, "interrupted during DATA")
        return OutboundStatus.POSSIBLY_SENT

    envelope_from = bounce_address(settings, row.id, now)
    try:
        message = render_email(row, domain=settings.domain, now=now)
    except Exception as exc:  # a template or data fault: no retry will mend it
        log.exception("outbound %s cannot be rendered", row.id)
        await _finish(row, OutboundStatus.FAILED, f"cannot render: {exc!r}")
        return OutboundStatus.FAILED
    if settings.relay is None:
        write_to_outbox(settings.outbox_dir, f"{row.id:010d}", message)
        await _finish(row, OutboundStatus.SENT, "", sent_at=now)
        return OutboundStatus.SENT

    async def mark_final_dot() -> None:
        claimed = await OutboundMessage.filter(
            id=row.id, status=OutboundStatus.PENDING.value
        ).update(status=OutboundStatus.DATA_SENT.value, attempts=row.attempts + 1, final_dot_at=now)
        if not claimed:
            raise AlreadyClaimed

    try:
        reply = await send_through_relay(
            settings.relay,
            message,
            envelope_from=envelope_from,
            recipient=row.to_address,
            local_hostname=settings.domain,
            before_final_dot=mark_final_dot,
            # Within the job's own timeout, so that the job, not arq, ends it.
            timeout=max(5.0, settings.job_timeout_seconds - 15.0),
        )
    except AlreadyClaimed:
        return OutboundStatus.DATA_SENT
    except TransientDeliveryError as exc:
        await OutboundMessage.filter(
            id=row.id,
            status__in=[OutboundStatus.PENDING.value, OutboundStatus.DATA_SENT.value],
        ).update(status=OutboundStatus.PENDING.value, last_error=str(exc)[:2000])
        raise
    except PermanentDeliveryError as exc:
        await _finish(row, OutboundStatus.FAILED, str(exc))
        return OutboundStatus.FAILED
    except AmbiguousDeliveryError as exc:
        log.warning("outbound %s possibly sent: %s", row.id, exc)
        await _finish(row, OutboundStatus.POSSIBLY_SENT, str(exc))
        return OutboundStatus.POSSIBLY_SENT
    await _finish(row, OutboundStatus.SENT, reply, sent_at=now)
    return OutboundStatus.SENT


async def settle_interrupted(before: datetime) -> int:
    """Rows whose send was cut off after ``before``'s final dot: possibly sent."""
    return await OutboundMessage.filter(
        status=OutboundStatus.DATA_SENT.value, final_dot_at__lt=before
    ).update(
        status=OutboundStatus.POSSIBLY_SENT.value,
        last_error="interrupted after the final dot; not sent again",
    )


async def give_up(outbound_id: int, error: str) -> None:
    """Record that retries are used up."""
    row = await OutboundMessage.get(id=outbound_id)
    if OutboundStatus(row.status) not in FINAL_STATES:
        await _finish(row, OutboundStatus.FAILED, f"gave up after retries: {error}")


async def _finish(
    row: OutboundMessage, status: OutboundStatus, note: str, sent_at: datetime | None = None
) -> None:
    await OutboundMessage.filter(id=row.id).update(
        status=status.value, last_error=note[:2000], sent_at=sent_at
    )
