"""reply+TOKEN@: answers to our emails."""

from __future__ import annotations

from mailer.flows.base import FlowContext, Outcome
from mailer.refusals import NotUnderstood, TokenExpired


async def read_reply(ctx: FlowContext) -> Outcome:
    if ctx.route.token_expired:
        raise TokenExpired("the reply address of that email has expired")
    raise NotUnderstood("we could not find a command we know in your reply")
