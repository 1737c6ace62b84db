"""help@: how to use the service."""

from __future__ import annotations

from mailer.flows.base import FlowContext, Outcome
from mailer.models import InboundStatus


async def send_help(ctx: FlowContext) -> Outcome:
    await ctx.answer("help", {"subject": ctx.message.subject})
    return Outcome(InboundStatus.PROCESSED, "help sent")
