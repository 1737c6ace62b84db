"""reply+TOKEN@: answers to our emails."""

from __future__ import annotations

from mailer.flows.base import FlowContext, Outcome
from mailer.flows.confirm import confirm_reply
from mailer.flows.invitations import answer_invitation
from mailer.flows.notes import answer_about_note
from mailer.flows.updates import apply_member_updates
from mailer.flows.verdicts import answer_challenge, answer_digest, answer_verdict_link
from mailer.outbound import token_in_message_id
from mailer.refusals import NotUnderstood, TokenExpired
from mailer.tokens import ExpiredToken, Purpose, Token, TokenError, read_token


async def read_reply(ctx: FlowContext) -> Outcome:
    if ctx.route.token_expired:
        raise TokenExpired("the reply address of that email has expired")
    token = ctx.route.token or _token_from_thread(ctx)
    if token is not None and token.purpose is Purpose.MEMBER and token.ids:
        return await apply_member_updates(ctx, token.ids[0])
    if token is not None and token.purpose is Purpose.INVITE and token.ids:
        return await answer_invitation(ctx, token.ids[0])
    if token is not None and token.purpose is Purpose.DIGEST and token.ids:
        return await answer_digest(ctx, token.ids[0])
    if token is not None and token.purpose is Purpose.VERDICT and len(token.ids) == 2:
        return await answer_verdict_link(ctx, *token.ids)
    if token is not None and token.purpose is Purpose.CHALLENGE and token.ids:
        return await answer_challenge(ctx, token.ids[0])
    if token is not None and token.purpose is Purpose.NOTE and token.ids:
        return await answer_about_note(ctx, token.ids[0])
    if token is not None and token.purpose is Purpose.CONFIRM and token.ids:
        return await confirm_reply(ctx, token.ids[0])
    raise NotUnderstood("we could not find a command we know in your reply")


def _token_from_thread(ctx: FlowContext) -> Token | None:
    """The token of the newest of our messages this one answers."""
    for message_id in reversed([*ctx.message.references, *ctx.message.in_reply_to]):
        text = token_in_message_id(message_id, ctx.settings.domain)
        if text is None:
            continue
        try:
            return read_token(ctx.settings.secret_key, text, now=ctx.now)
        except ExpiredToken as exc:
            raise TokenExpired("the reply address of that email has expired") from exc
        except TokenError:
            continue
    return None
