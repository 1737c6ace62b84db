"""Held messages: nothing happens until the right person confirms (SPEC §7).

Two ways a message is held. Its sender is not proven (no DMARC pass, no
aligned DKIM signature, no reply token bound to the address): the address
in its From: line is asked "Was this you?", saying what the message would
do. Or a proven sender used a reply address that belongs to someone else
(a second account, a forwarded email): that address's owner is asked. A
"confirm" from the address asked, to the reply+TOKEN bound to it, applies
the held message once, as if it had come proven; the token lasts 3 days.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from datetime import timedelta

from tortoise.exceptions import IntegrityError

from mailer import emails
from mailer.addresses import Route, parse_recipient
from mailer.flows.base import FlowContext, Outcome, Proof
from mailer.models import InboundMessage, InboundStatus
from mailer.parsing.partners import strip_reply_prefix
from mailer.reading import RawMailDeleted, job_for
from mailer.refusals import NotTheOwner, NotUnderstood, RecipientRefused, Unproven, Why
from mailer.tokens import Purpose, Token, make_token

CONFIRM_LIFETIME = timedelta(days=3)
CONFIRMED = "confirmed"
EXCERPT_LINES = 8
_YES = {"confirm", "confirmed", "yes", "ok", "okay"}
# Anything a mail client would turn into a link: schemes, www., dotted names.
# What a mail client would make a link of: a scheme ("https:", "tel:",
# "localhost:"), and a dot between two characters, whatever dot it is.
_SCHEME = re.compile(r"\b([a-z][a-z0-9+.-]*):(?=\S)", re.IGNORECASE)
_DOT = re.compile(r"(?<=\S)[.\u2024\u3002\uff0e\uff61](?=\S)")


async def ask_sender_to_confirm(ctx: FlowContext, held: Unproven) -> bool:
    """Queue "Was this you?" to the address in the From: line; False if one went today."""
    return await ctx.answer(
        emails.WasThisYou(
            address=ctx.sender,
            to=_our_address(ctx),
            subject=inert(ctx.message.subject)[:200],
            excerpt=_excerpt(ctx.reading.text),
            would=[inert(line)[:300] for line in held.would],
            days=CONFIRM_LIFETIME.days,
        ),
        reply_token=_confirm_token(ctx, ctx.sender),
    )


async def ask_owner_to_confirm(ctx: FlowContext, owner: str) -> bool:
    """Queue the owner's question, was this reply from another address theirs?

    At most once a day for each owner: whoever holds a copy of their reply
    address must not be able to mail them at will. False if one went today.
    """
    key = await ctx.daily_key("owner", owner, emails.ConfirmReply.template)
    if key is None:
        return False
    await ctx.tell(
        owner,
        emails.ConfirmReply(
            sender=ctx.sender,
            excerpt=_excerpt(ctx.reading.text),
            days=CONFIRM_LIFETIME.days,
        ),
        key=key,
        reply_token=_confirm_token(ctx, owner),
    )
    return True


def _confirm_token(ctx: FlowContext, asked: str) -> str:
    return make_token(
        ctx.settings.secret_key,
        Purpose.CONFIRM,
        (ctx.inbound.id,),
        to=asked,
        now=ctx.now,
        lifetime=CONFIRM_LIFETIME,
    )


def _our_address(ctx: FlowContext) -> str:
    kind = ctx.route.kind.value
    return f"{kind}@{ctx.settings.domain}" if kind != "reply" else "a reply address of ours"


def inert(text: str) -> str:
    """Text with nothing a mail client would make a link of: dots and colons bracketed.

    What we quote back comes from whoever wrote the message; it must never
    be a clickable vehicle for someone else's text.

    >>> inert("see https://evil.example/x or www.evil.example, mail a@b.example")
    'see https[:]//evil[.]example/x or www[.]evil[.]example, mail a@b[.]example'
    >>> inert("http://3627734734/x https://evil\u3002example tel:+15550100 http://[::1]/")
    'http[:]//3627734734/x https[:]//evil[.]example tel[:]+15550100 http[:]//[::1]/'
    >>> inert("Goals: ship it. Next")
    'Goals: ship it. Next'
    """
    # Look-alike characters first (fullwidth letters, one-dot leaders) to
    # what they look like, so that the rules below see them.
    text = unicodedata.normalize("NFKC", text)
    return _DOT.sub("[.]", _SCHEME.sub(r"\1[:]", text))


def _excerpt(text: str, limit: int = 1000) -> str:
    """The start of the text, inert, cut between lines and marked as cut when it is.

    Never inside a line: "drop 12" cut to "drop 1" would ask the owner to
    confirm a different command from the one "confirm" applies.

    >>> _excerpt("done 2\\ndrop 12", limit=10), _excerpt("abc", limit=3)
    ('done 2\\n[\u2026]', 'abc')
    """
    lines = text.splitlines()
    text = "\n".join(lines[:EXCERPT_LINES]) + ("\n" if len(lines) > EXCERPT_LINES else "")
    cut_short = len(lines) > EXCERPT_LINES or len(text) > limit
    if len(text) > limit:
        cut = text.rfind("\n", 0, limit + 1)
        text = text[:cut] if cut > 0 else ""
    text = inert(text.rstrip())
    return (text + "\n[\u2026]").lstrip("\n") if cut_short else text


async def confirm_reply(ctx: FlowContext, token: Token) -> Outcome:
    """The answer of the address asked: "confirm" applies the held message, once."""
    from mailer.flows import FLOWS  # here: the flows table imports this module

    if not token.ids or not token.is_bound_to(ctx.settings.secret_key, ctx.sender):
        raise NotUnderstood(Why.CONFIRMATION_FOR_ANOTHER)
    if ctx.proof not in (Proof.TOKEN, Proof.AUTHENTICATED):
        return Outcome(InboundStatus.IGNORED, "a confirmation not proven to come from its owner")
    text = ctx.reading.text or strip_reply_prefix(ctx.message.subject)
    said = text.split()
    if not said or said[0].strip(".!,").lower() not in _YES:
        raise NotUnderstood(Why.NO_CONFIRM, quoted=text.splitlines())
    held = await InboundMessage.filter(id=token.ids[0]).using_db(ctx.connection).first()
    if held is None or (held.status != InboundStatus.HELD.value and held.reason != CONFIRMED):
        raise NotUnderstood(Why.HELD_GONE)
    if held.status != InboundStatus.HELD.value:
        return Outcome(InboundStatus.IGNORED, "that message was confirmed before")
    route = _held_route(held, ctx)
    try:
        job = job_for(held, ctx.settings.domain, route.kind.value, ctx.now)
    except RawMailDeleted:
        raise NotUnderstood(Why.HELD_DELETED, days=str(ctx.settings.retention_days)) from None
    inner = replace(
        ctx,
        inbound=held,
        # Read again by the parse step, for the flow of the address it came to.
        reading=await ctx.reader.read_one(job),
        route=route,
        proof=Proof.CONFIRMED,
    )
    try:
        outcome = await FLOWS[inner.route.kind](inner)
    except NotTheOwner as refusal:
        # Proven now, but the reply address it used is someone else's: its
        # owner is asked, about the held message itself, which stays held.
        asked = await ask_owner_to_confirm(inner, refusal.owner)
        return Outcome(InboundStatus.PROCESSED, f"confirmed; owner asked: {asked}")
    claimed = (
        await InboundMessage.filter(id=held.id, status=InboundStatus.HELD.value)
        .using_db(ctx.connection)
        .update(status=outcome.status.value, reason=CONFIRMED)
    )
    if not claimed:  # a second confirmation got here first: undo this one, then ignore it
        raise IntegrityError("the held message was confirmed meanwhile")
    return Outcome(
        InboundStatus.PROCESSED, f"confirmed: {outcome.reason}"[:200], outcome.forgets_sender
    )


def _held_route(held: InboundMessage, ctx: FlowContext) -> Route:
    # The route as it stood when the message arrived: the delay is the owner's.
    from mailer.flows import PRIORITY

    routes: list[Route] = []
    for address in held.rcpt_tos:
        try:
            routes.append(
                parse_recipient(
                    address,
                    domain=ctx.settings.domain,
                    key=ctx.settings.secret_key,
                    now=held.received_at,
                )
            )
        except RecipientRefused:
            continue
    if not routes:
        raise NotUnderstood(Why.HELD_NOT_OURS)
    return min(routes, key=lambda route: PRIORITY.index(route.kind))
