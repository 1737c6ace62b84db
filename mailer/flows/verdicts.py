"""Partners' verdicts (SPEC §4.4): one click per commitment, or lines in a reply to a digest.

A verdict is stored once per source message (the database's unique key); a
challenge reaches the member at once, framed with thanks for the partner's
courage, and asks for an answer.
"""

from __future__ import annotations

from mailer.flows.base import FlowContext, Outcome
from mailer.flows.invitations import named
from mailer.flows.zones import name_zone
from mailer.models import (
    Commitment,
    Digest,
    InboundStatus,
    Partnership,
    PartnershipState,
    Person,
    Verdict,
    VerdictKind,
)
from mailer.parsing.newtext import new_text
from mailer.parsing.partners import strip_reply_prefix
from mailer.parsing.verdicts import read_digest_reply, read_verdict
from mailer.refusals import NotUnderstood, Why
from mailer.timezones import zone_line
from mailer.tokens import Purpose, token_for


async def answer_verdict_link(ctx: FlowContext, partner_id: int, commitment_id: int) -> Outcome:
    """A click on On track or Challenge: the reply names the verdict, the rest is the note."""
    partner = await _partner(ctx, partner_id)
    text = new_text(ctx.message.text)
    found = read_verdict(text) or read_verdict(strip_reply_prefix(ctx.message.subject))
    if found is None:
        raise NotUnderstood(Why.NO_VERDICT)
    commitment = await _held_commitment(ctx, partner, commitment_id)
    kind, note = found
    recorded = await _record(ctx, partner, commitment, kind, note)
    if kind is VerdictKind.CHALLENGE:
        # One click, one trace: a challenge gets a receipt naming what it was
        # about; an on-track click nothing (the next digest shows it).
        await ctx.answer(
            "verdict_thanks",
            {"subject": ctx.message.subject, "answers": [recorded], "cadence": None, "zone": None},
        )
    return Outcome(InboundStatus.PROCESSED, f"verdict: {kind.value}")


async def answer_digest(ctx: FlowContext, digest_id: int) -> Outcome:
    """A reply to a digest: ``2 on track``, ``3 challenge: …``, daily/weekly/pause/stop,
    and ``time zone NAME``."""
    digest = await Digest.filter(id=digest_id).using_db(ctx.connection).first()
    if digest is None:
        raise NotUnderstood(Why.NO_SUCH_DIGEST)
    partner = await _partner(ctx, digest.partner_id)  # type: ignore[attr-defined]
    text = new_text(ctx.message.text)
    verdicts, cadence = read_digest_reply(text or strip_reply_prefix(ctx.message.subject))
    zone = zone_line(text)
    if not verdicts and cadence is None and zone is None:
        raise NotUnderstood(Why.NO_DIGEST_ANSWER)
    recorded: list[dict[str, object]] = []
    for verdict in verdicts:
        if not 1 <= verdict.item <= len(digest.items):
            continue
        try:
            commitment = await _held_commitment(ctx, partner, digest.items[verdict.item - 1])
        except NotUnderstood:
            continue  # gone, or no longer theirs: the others still count
        recorded.append(await _record(ctx, partner, commitment, verdict.kind, verdict.note))
    if cadence is not None:
        await (
            Person.filter(id=partner.id)
            .using_db(ctx.connection)
            .update(digest_cadence=cadence.value)
        )
    await ctx.answer(
        "verdict_thanks",
        {
            "subject": ctx.message.subject,
            "answers": recorded,
            "cadence": cadence.value if cadence else None,
            "zone": await name_zone(ctx, partner, zone) if zone else None,
        },
    )
    return Outcome(
        InboundStatus.PROCESSED,
        f"{len(recorded)} verdict(s)" + (f", cadence {cadence.value}" if cadence else ""),
    )


async def _partner(ctx: FlowContext, partner_id: int) -> Person:
    partner = await Person.filter(id=partner_id).using_db(ctx.connection).first()
    if partner is None:
        raise NotUnderstood(Why.UNKNOWN_OWNER)
    ctx.require_owner(partner.email, "record your answer on a commitment")
    return partner


async def _held_commitment(ctx: FlowContext, partner: Person, commitment_id: int) -> Commitment:
    """The commitment, if this partner actively holds its member to account."""
    commitment = (
        await Commitment.filter(id=commitment_id)
        .using_db(ctx.connection)
        .select_related("member")
        .first()
    )
    if commitment is None:
        raise NotUnderstood(Why.NO_SUCH_COMMITMENT)
    active = (
        await Partnership.filter(
            member_id=commitment.member.id,
            partner_id=partner.id,
            state=PartnershipState.ACTIVE.value,
        )
        .using_db(ctx.connection)
        .exists()
    )
    if not active:
        raise NotUnderstood(Why.NOT_PARTNER_ANY_MORE, member=named(commitment.member))
    return commitment


async def _record(
    ctx: FlowContext, partner: Person, commitment: Commitment, kind: VerdictKind, note: str
) -> dict[str, object]:
    """Store the verdict (a challenge goes to the member at once); how the receipt names it."""
    receipt: dict[str, object] = {
        "number": commitment.number,
        "text": commitment.text,
        "member": commitment.member.name or commitment.member.email,
        "challenge": kind is VerdictKind.CHALLENGE,
    }
    verdict = await Verdict.create(
        using_db=ctx.connection,
        commitment=commitment,
        partner=partner,
        kind=kind.value,
        note=note,
        source=ctx.inbound,
    )
    if kind is not VerdictKind.CHALLENGE:
        return receipt
    member = commitment.member
    # The partner by name only: the member answers through the service, in
    # the thread it keeps with the partner, not around it.
    ctx.tell(
        member.email,
        "challenge",
        {
            "partner": partner.name or "Your partner",
            "partner_name": partner.name or "Your partner",
            "number": commitment.number,
            "text": commitment.text,
            "due": commitment.due_date.isoformat() if commitment.due_date else None,
            "note": note,
        },
        key=f"challenge:{ctx.inbound.id}:{commitment.id}",
        reply_token=token_for(
            ctx.settings.secret_key, Purpose.CHALLENGE, (verdict.id,), member, now=ctx.now
        ),
    )
    return receipt


async def answer_challenge(ctx: FlowContext, verdict_id: int) -> Outcome:
    """The member's answer to a challenge, relayed to the partner in their thread, with thanks."""
    verdict = (
        await Verdict.filter(id=verdict_id)
        .using_db(ctx.connection)
        .select_related("partner", "commitment__member", "source")
        .first()
    )
    if verdict is None:
        raise NotUnderstood(Why.NO_SUCH_CHALLENGE)
    member, partner = verdict.commitment.member, verdict.partner
    ctx.require_owner(member.email, "pass your answer to a challenge on to your partner")
    text = new_text(ctx.message.text)
    if not text:
        raise NotUnderstood(Why.EMPTY_CHALLENGE_ANSWER)
    await (
        Verdict.filter(id=verdict.id, answered_at__isnull=True)
        .using_db(ctx.connection)
        .update(answered_at=ctx.now)
    )
    # In the partner's thread: an answer to the message they challenged with.
    challenged = verdict.source.message_id
    thread = (challenged,) if challenged else ()
    ctx.tell(
        partner.email,
        "challenge_answer",
        {
            "member_name": member.name or "The person you challenged",
            "number": verdict.commitment.number,
            "text": verdict.commitment.text,
            "challenge": verdict.note,
            "answer": text[:8000],
            "subject": f"Re: your challenge on #{verdict.commitment.number}",
        },
        key=f"challenge-answer:{ctx.inbound.id}",
        thread=thread,
    )
    await ctx.answer(
        "challenge_relayed",
        {"subject": ctx.message.subject, "partner_name": partner.name or "your partner"},
    )
    return Outcome(InboundStatus.PROCESSED, "challenge answered, relayed to the partner")
