"""bounce+TOKEN@: a delivery failure of one of our messages (VERP)."""

from __future__ import annotations

from mailer.flows.base import FlowContext, Outcome
from mailer.models import InboundStatus, OutboundMessage, OutboundStatus
from mailer.tokens import Purpose


async def record_bounce(ctx: FlowContext) -> Outcome:
    token = ctx.route.token
    if token is None or token.purpose is not Purpose.BOUNCE or not token.ids:
        return Outcome(InboundStatus.IGNORED, "bounce without a usable token")
    outbound_id = token.ids[0]
    updated = (
        await OutboundMessage.filter(id=outbound_id)
        .using_db(ctx.connection)
        .update(
            status=OutboundStatus.FAILED.value,
            last_error=f"bounced: {ctx.message.subject}"[:2000],
        )
    )
    reason = f"delivery failure of outbound {outbound_id}" if updated else "bounce for unknown mail"
    return Outcome(InboundStatus.IGNORED, reason)
