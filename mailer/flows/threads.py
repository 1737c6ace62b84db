"""A challenge's thread (SPEC §4.4): member and partner write on, each in their own thread.

A challenge opens it. Each reply, either side's, is relayed to the other as
one email, its quoted history left out, answering the other's last message
and with a reply address that brings their answer back here: the talk goes
on for as long as both write, and never through ``help@``.
"""

from __future__ import annotations

from mailer import emails
from mailer.flows.base import FlowContext, Outcome
from mailer.flows.updates import apply_command
from mailer.flows.verdicts import challenge_key
from mailer.models import (
    InboundStatus,
    OutboundMessage,
    Partnership,
    PartnershipState,
    Person,
    ThreadAuthor,
    ThreadMessage,
    Verdict,
)
from mailer.names import called, first_name, names_of
from mailer.parsing.commands import Action, Audience, read
from mailer.parsing.verdicts import without_sign_off
from mailer.refusals import NotUnderstood, Why
from mailer.tokens import Purpose, token_for

MAX_RELAYED_CHARS = 8000
# What a member may change about the commitment while answering a challenge.
_THREAD_COMMANDS = frozenset({Action.DONE, Action.DROP, Action.MOVE})


async def member_writes(ctx: FlowContext, verdict_id: int) -> Outcome:
    """The member answers the challenge, or writes on: relayed to the partner."""
    verdict = await _verdict(ctx, verdict_id)
    member, partner = verdict.commitment.member, verdict.partner
    ctx.require_owner(member.email, "pass your answer to a challenge on to your partner")
    text = await _relayed_text(ctx, verdict, ThreadAuthor.MEMBER, other=partner)
    await (
        Verdict.filter(id=verdict.id, answered_at__isnull=True)
        .using_db(ctx.connection)
        .update(answered_at=ctx.now)
    )
    number = verdict.commitment.number
    await ctx.tell(
        partner.email,
        emails.ChallengeAnswer(
            name=first_name(partner.name),
            member_name=called(member, "The person you challenged"),
            number=number,
            text=verdict.commitment.text,
            challenge=verdict.note,
            answer=text,
            subject=f"Re: your challenge on #{number}: {verdict.commitment.text[:60]}",
        ),
        key=f"thread:{ctx.inbound.id}",
        thread=await _thread(ctx, verdict, ThreadAuthor.PARTNER),
        reply_token=token_for(
            ctx.settings.secret_key, Purpose.THREAD, (verdict.id,), partner, now=ctx.now
        ),
    )
    await _apply_changes(ctx, member, text)
    return Outcome(InboundStatus.PROCESSED, "challenge thread: relayed to the partner")


async def partner_writes(ctx: FlowContext, verdict_id: int) -> Outcome:
    """The partner writes on about their challenge: relayed to the member."""
    verdict = await _verdict(ctx, verdict_id)
    member, partner = verdict.commitment.member, verdict.partner
    ctx.require_owner(partner.email, "pass your message on to the person you challenged")
    text = await _relayed_text(ctx, verdict, ThreadAuthor.PARTNER, other=member)
    partner_name = called(partner, "Your partner")
    await ctx.tell(
        member.email,
        emails.ChallengeReply(
            name=first_name(member.name),
            partner_name=partner_name,
            number=verdict.commitment.number,
            text=verdict.commitment.text,
            message=text,
            subject=(
                f"Re: {partner_name} challenges you on #{verdict.commitment.number}: "
                f"{verdict.commitment.text}"
            ),
        ),
        key=f"thread:{ctx.inbound.id}",
        thread=await _thread(ctx, verdict, ThreadAuthor.MEMBER),
        reply_token=token_for(
            ctx.settings.secret_key, Purpose.CHALLENGE, (verdict.id,), member, now=ctx.now
        ),
    )
    return Outcome(InboundStatus.PROCESSED, "challenge thread: relayed to the member")


async def _verdict(ctx: FlowContext, verdict_id: int) -> Verdict:
    verdict = (
        await Verdict.filter(id=verdict_id)
        .using_db(ctx.connection)
        .select_related("partner", "commitment__member", "source")
        .first()
    )
    if verdict is None:
        raise NotUnderstood(Why.NO_SUCH_CHALLENGE)
    return verdict


async def _relayed_text(
    ctx: FlowContext, verdict: Verdict, author: ThreadAuthor, *, other: Person
) -> str:
    """The new words of the message, stored in the thread; refused if nothing can be passed on."""
    active = (
        await Partnership.filter(
            member_id=verdict.commitment.member.id,
            partner_id=verdict.partner.id,
            state=PartnershipState.ACTIVE.value,
        )
        .using_db(ctx.connection)
        .exists()
    )
    if not active:
        raise NotUnderstood(Why.THREAD_CLOSED, other=called(other, other.email))
    writer = verdict.commitment.member if author is ThreadAuthor.MEMBER else verdict.partner
    text = without_sign_off(ctx.reading.text, names_of(writer))
    if len(text) > MAX_RELAYED_CHARS:
        text = text[:MAX_RELAYED_CHARS].rstrip() + " [\u2026]"
    if not text:
        raise NotUnderstood(Why.EMPTY_CHALLENGE_ANSWER)
    await ThreadMessage.create(
        verdict=verdict, author=author.value, text=text, source=ctx.inbound, using_db=ctx.connection
    )
    return text


async def _thread(ctx: FlowContext, verdict: Verdict, side: ThreadAuthor) -> tuple[str, ...]:
    """The Message-IDs of ``side``'s own thread, oldest first: the relay answers its last.

    The partner's thread starts with the message they challenged with; the
    member's with our email that brought the challenge. Each side's own
    messages in the thread follow.
    """
    if side is ThreadAuthor.PARTNER:
        first = verdict.source.message_id
    else:
        key = challenge_key(verdict.source.id, verdict.commitment.id)
        challenge = (
            await OutboundMessage.filter(idempotency_key=key)
            .using_db(ctx.connection)
            .only("message_id")
            .first()
        )
        first = challenge.message_id if challenge else None
    own = await (
        ThreadMessage.filter(verdict_id=verdict.id, author=side.value)
        .using_db(ctx.connection)
        .order_by("id")
        .values_list("source__message_id", flat=True)
    )
    return tuple(str(message_id) for message_id in [first, *own] if message_id)


async def _apply_changes(ctx: FlowContext, member: Person, text: str) -> None:
    """``done 3``, ``drop 3`` or ``move 3 to Friday`` in an answer: applied, and confirmed."""
    commands = read(text, Audience.MEMBER).of(*_THREAD_COMMANDS)
    if not commands:
        return
    results = [await apply_command(ctx, member, command) for command in commands]
    token = token_for(ctx.settings.secret_key, Purpose.MEMBER, (member.id,), member, now=ctx.now)
    await ctx.answer(
        emails.UpdatesConfirmed(subject=ctx.message.subject, results=results, unread=[]),
        reply_token=token,
    )
