"""Outbound mail no job will settle: what an operator lists, sends again, or marks delivered.

A send cut off after its final dot is ``possibly_sent``: the relay may have
it, so no job sends it again on its own (a second copy is worse than asking
a human). One refused for good, or out of retries, is ``failed``. The
operator checks the relay's log and decides (``pactmail outbound``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from mailer.models import OutboundMessage, OutboundStatus

UNSETTLED = [OutboundStatus.POSSIBLY_SENT.value, OutboundStatus.FAILED.value]
LISTED = 100


async def unsettled() -> list[OutboundMessage]:
    """The newest rows waiting for an operator, newest first."""
    return await OutboundMessage.filter(status__in=UNSETTLED).order_by("-id").limit(LISTED)


async def release_for_resend(outbound_ids: Sequence[int]) -> list[int]:
    """Put the unsettled ones of ``outbound_ids`` back to be sent; the ids released."""
    chosen = await OutboundMessage.filter(
        id__in=list(outbound_ids), status__in=UNSETTLED
    ).values_list("id", flat=True)
    released = [int(row_id) for row_id in chosen]  # type: ignore[call-overload]
    await OutboundMessage.filter(id__in=released, status__in=UNSETTLED).update(
        status=OutboundStatus.PENDING.value,
        final_dot_at=None,
        last_error="sent again by an operator",
    )
    return released


async def mark_delivered(outbound_ids: Sequence[int], now: datetime) -> int:
    """Record that the relay did take these (an operator saw it in its log)."""
    return await OutboundMessage.filter(id__in=list(outbound_ids), status__in=UNSETTLED).update(
        status=OutboundStatus.SENT.value, sent_at=now, last_error="delivered, by an operator"
    )
