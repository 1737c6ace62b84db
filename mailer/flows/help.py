"""help@: how to use the service; and ``forget me`` or ``my data`` for anyone who writes."""

from __future__ import annotations

from mailer import emails
from mailer.flows.base import FlowContext, Outcome
from mailer.flows.own_data import act_on_own_data
from mailer.models import InboundStatus


async def send_help(ctx: FlowContext) -> Outcome:
    request = ctx.reading.own_data  # read by the parse step
    if request is not None:
        return await act_on_own_data(ctx, request)
    await ctx.answer(emails.Help())
    return Outcome(InboundStatus.PROCESSED, "help sent")
