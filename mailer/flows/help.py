"""help@: how to use the service; and ``forget me`` or ``my data`` for anyone who writes."""

from __future__ import annotations

from mailer import emails
from mailer.flows.base import FlowContext, Outcome
from mailer.flows.own_data import act_on_own_data
from mailer.models import InboundStatus
from mailer.parsing.commands import read_own_data_request
from mailer.parsing.newtext import new_text


async def send_help(ctx: FlowContext) -> Outcome:
    request = read_own_data_request(new_text(ctx.message.text), ctx.message.subject)
    if request is not None:
        return await act_on_own_data(ctx, request)
    await ctx.answer(emails.Help())
    return Outcome(InboundStatus.PROCESSED, "help sent")
