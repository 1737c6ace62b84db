"""reply+TOKEN@: answers to our emails."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from mailer.bounce_scores import clear
from mailer.flows.base import FlowContext, Outcome, Proof
from mailer.flows.confirm import confirm_reply
from mailer.flows.invitations import answer_invitation
from mailer.flows.notes import answer_about_note
from mailer.flows.own_data import act_on_own_data
from mailer.flows.threads import member_writes, partner_writes
from mailer.flows.updates import apply_member_updates
from mailer.flows.verdicts import answer_digest, answer_verdict_link
from mailer.models import OutboundMessage
from mailer.refusals import NotUnderstood, TokenExpired, Why
from mailer.tokens import EPOCHLESS, ExpiredToken, Purpose, Token, TokenError, read_token

# How far back a reply's threading headers are looked up in our sent mail.
MAX_THREAD_IDS = 20


async def read_reply(ctx: FlowContext) -> Outcome:
    if ctx.route.token_expired:
        raise TokenExpired
    token = ctx.route.token
    if token is None:
        # The plus part was rewritten away: the threading headers say which of
        # our emails this answers, but they travel in every reply, Cc and
        # forward, so what they find proves nothing about the sender.
        token = await _token_from_thread(ctx)
    elif not ctx.proven and await _bound_to_sender(ctx, token):
        # Only the mailbox the token was sent to received it (SPEC §7).
        ctx = replace(ctx, proof=Proof.TOKEN)
        # And so the mailbox takes our mail: any bounce score of it goes.
        await clear([ctx.sender], ctx.connection)
    request = ctx.reading.own_data  # read by the parse step
    if token is not None and token.purpose is not Purpose.CONFIRM and request is not None:
        return await act_on_own_data(ctx, request)  # whatever email it answers
    answer = _ANSWERS.get(token.purpose) if token is not None else None
    if token is None or answer is None or len(token.ids) not in answer.ids:
        raise NotUnderstood(Why.NO_COMMAND)
    return await answer.read(ctx, token)


@dataclass(frozen=True)
class _Answer:
    """How a reply to a token of one purpose is read, and how many ids that token may carry."""

    ids: frozenset[int]
    read: Callable[[FlowContext, Token], Awaitable[Outcome]]


# Token purposes (mailer/tokens.py), each with the flow that reads a reply to it.
# A bounce token is not here: mail to bounce+ goes to the bounce flow.
_ONE = frozenset({1})
_ANSWERS: dict[Purpose, _Answer] = {
    Purpose.MEMBER: _Answer(_ONE, lambda ctx, token: apply_member_updates(ctx, token.ids[0])),
    Purpose.INVITE: _Answer(_ONE, lambda ctx, token: answer_invitation(ctx, token.ids[0])),
    Purpose.DIGEST: _Answer(_ONE, lambda ctx, token: answer_digest(ctx, token.ids[0])),
    # (partner, commitment); the link's suffix names the verdict (Route.link).
    Purpose.VERDICT: _Answer(
        frozenset({2}), lambda ctx, token: answer_verdict_link(ctx, *token.ids)
    ),
    Purpose.CHALLENGE: _Answer(_ONE, lambda ctx, token: member_writes(ctx, token.ids[0])),
    Purpose.THREAD: _Answer(_ONE, lambda ctx, token: partner_writes(ctx, token.ids[0])),
    Purpose.NOTE: _Answer(_ONE, lambda ctx, token: answer_about_note(ctx, token.ids[0])),
    Purpose.CONFIRM: _Answer(_ONE, confirm_reply),
}


async def _bound_to_sender(ctx: FlowContext, token: Token) -> bool:
    """Whether the token was sent to the sender, in their current key epoch."""
    if token.purpose in EPOCHLESS:
        return token.is_bound_to(ctx.settings.secret_key, ctx.sender)
    person = await ctx.person(ctx.sender)
    if person is None:  # forgotten, or never known: none of its tokens act
        return False
    return token.is_bound_to(ctx.settings.secret_key, ctx.sender, person.token_epoch)


async def _token_from_thread(ctx: FlowContext) -> Token | None:
    """The token of the newest of our emails this message answers, looked up by Message-ID."""
    cited = [*ctx.message.references, *ctx.message.in_reply_to][-MAX_THREAD_IDS:]
    if not cited:
        return None
    rows = {
        row.message_id: row
        for row in await OutboundMessage.filter(message_id__in=cited, reply_token__not_isnull=True)
        .using_db(ctx.connection)
        .only("message_id", "reply_token")
    }
    for message_id in reversed(cited):
        row = rows.get(message_id)
        if row is None or not row.reply_token:
            continue
        try:
            return read_token(ctx.settings.secret_key, row.reply_token, now=ctx.now)
        except ExpiredToken as exc:
            raise TokenExpired from exc
        except TokenError:
            continue  # signed with a key since changed
    return None
