"""Addresses whose flow is not read yet: the sender is told plainly."""

from __future__ import annotations

from mailer.flows.base import FlowContext, Outcome
from mailer.refusals import NotYetAvailable


async def notes_not_yet_read(ctx: FlowContext) -> Outcome:
    raise NotYetAvailable(
        "forwarded coaching notes are not read yet; your message is kept and nothing was lost"
    )
