"""postmaster@ and abuse@: kept for the operator, never answered automatically."""

from __future__ import annotations

from mailer.flows.base import FlowContext, Outcome
from mailer.models import InboundStatus


async def keep_for_operator(ctx: FlowContext) -> Outcome:
    return Outcome(InboundStatus.IGNORED, "kept for the operator (postmaster/abuse)")
