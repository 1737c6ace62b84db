"""reply+TOKEN@: answers to our emails."""

from __future__ import annotations

from mailer.flows.base import FlowContext, Outcome
from mailer.flows.updates import apply_member_updates
from mailer.refusals import NotUnderstood, TokenExpired
from mailer.tokens import Purpose


async def read_reply(ctx: FlowContext) -> Outcome:
    token = ctx.route.token
    if ctx.route.token_expired:
        raise TokenExpired("the reply address of that email has expired")
    if token is not None and token.purpose is Purpose.MEMBER and token.ids:
        return await apply_member_updates(ctx, token.ids[0])
    raise NotUnderstood("we could not find a command we know in your reply")
