"""A reply address used from another address: nothing changes until its owner confirms.

People write from a second account, or a colleague forwards our email and
answers it. The reply is kept; the owner of the reply address gets the gist
and a reply+TOKEN of their own; their "confirm" applies the original reply
as if they had sent it, once.
"""

from __future__ import annotations

from datetime import timedelta

from tortoise.exceptions import IntegrityError

from mailer.addresses import Refusal, Route, RouteKind, parse_recipient
from mailer.flows.base import FlowContext, Outcome
from mailer.models import InboundMessage, InboundStatus
from mailer.parsing.newtext import new_text
from mailer.parsing.partners import strip_reply_prefix
from mailer.reading import RawMailDeleted, read_one
from mailer.refusals import NotUnderstood
from mailer.tokens import Purpose, make_token

CONFIRM_LIFETIME = timedelta(days=7)
CONFIRMED = "confirmed by the address owner"
_YES = {"confirm", "confirmed", "yes", "ok", "okay"}


def ask_owner_to_confirm(ctx: FlowContext, owner: str) -> None:
    """Queue the owner's question: was this reply theirs?"""
    ctx.tell(
        owner,
        "confirm_reply",
        {
            "sender": ctx.sender,
            "subject": ctx.message.subject,
            "excerpt": _excerpt(new_text(ctx.message.text)),
        },
        key=f"confirm:{ctx.inbound.id}",
        reply_token=make_token(
            ctx.settings.secret_key,
            Purpose.CONFIRM,
            (ctx.inbound.id,),
            now=ctx.now,
            lifetime=CONFIRM_LIFETIME,
        ),
    )


def _excerpt(text: str, limit: int = 1000) -> str:
    """The start of the reply, cut between lines and marked as cut when it is.

    Never inside a line: "drop 12" cut to "drop 1" would ask the owner to
    confirm a different command from the one "confirm" applies.

    >>> _excerpt("done 2\\ndrop 12", limit=10), _excerpt("abc", limit=3)
    ('done 2\\n[\u2026]', 'abc')
    """
    if len(text) <= limit:
        return text
    cut = text.rfind("\n", 0, limit + 1)
    return (text[:cut].rstrip() if cut > 0 else "") + "\n[\u2026]"


async def confirm_reply(ctx: FlowContext, inbound_id: int) -> Outcome:
    """The owner's answer: "confirm" applies the reply that was held, as theirs."""
    from mailer.flows.reply import read_reply  # here: reply.py imports this module

    said = (new_text(ctx.message.text) or strip_reply_prefix(ctx.message.subject)).split()
    if not said or said[0].strip(".!,").lower() not in _YES:
        raise NotUnderstood("reply \u201cconfirm\u201d to apply that reply, or ignore our email")
    held = await InboundMessage.filter(id=inbound_id).using_db(ctx.connection).first()
    if held is None:
        raise NotUnderstood("that reply is no longer kept")
    if held.reason == CONFIRMED:
        return Outcome(InboundStatus.IGNORED, "that reply was confirmed before")
    try:
        message = await read_one(held, ctx.settings.domain)
    except RawMailDeleted:
        raise NotUnderstood(
            f"that reply is no longer kept (we delete mail "
            f"{ctx.settings.retention_days} days after reading it)"
        ) from None
    route = _reply_route(held, ctx)
    inner = FlowContext(
        held, message, route, ctx.sender, ctx.settings, ctx.now, ctx.connection, people=ctx.people
    )
    outcome = await read_reply(inner)  # checks again that ctx.sender is the owner
    ctx.outbox.extend(inner.outbox)
    ctx.new_rows.extend(inner.new_rows)
    claimed = (
        await InboundMessage.filter(id=inbound_id)
        .exclude(reason=CONFIRMED)
        .using_db(ctx.connection)
        .update(reason=CONFIRMED)
    )
    if not claimed:  # a second confirmation got here first: undo this one, then ignore it
        raise IntegrityError("the held reply was confirmed meanwhile")
    return Outcome(InboundStatus.PROCESSED, f"confirmed: {outcome.reason}"[:200])


def _reply_route(held: InboundMessage, ctx: FlowContext) -> Route:
    # The token as it stood when the reply arrived: the delay is the owner's.
    for address in held.rcpt_tos:
        try:
            route = parse_recipient(
                address,
                domain=ctx.settings.domain,
                key=ctx.settings.secret_key,
                now=held.received_at,
            )
        except Refusal:
            continue
        if route.kind is RouteKind.REPLY:
            return route
    raise NotUnderstood("that reply was not to one of our reply addresses")
