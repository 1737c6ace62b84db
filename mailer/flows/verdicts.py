"""Partners' verdicts (SPEC §4.4): one click per commitment, or lines in a reply to a digest.

A verdict is stored once per source message (the database's unique key). An
on-track click is recorded without an email (the next digest shows it); a
challenge reaches the member at once, framed with thanks for the partner's
courage, and opens a thread between the two (mailer/flows/threads.py).
"""

from __future__ import annotations

from datetime import datetime

from mailer import emails
from mailer.flows.base import FlowContext, Outcome
from mailer.flows.invitations import named
from mailer.flows.zones import name_zone
from mailer.models import (
    Commitment,
    Digest,
    DigestCadence,
    InboundStatus,
    Partnership,
    PartnershipState,
    Person,
    Verdict,
    VerdictKind,
)
from mailer.names import called, first_name, names_of
from mailer.parsing.commands import Action, Audience, Command, read
from mailer.parsing.partners import strip_reply_prefix
from mailer.parsing.verdicts import read_link_reply, without_sign_off
from mailer.refusals import NotUnderstood, Why
from mailer.tokens import Purpose, token_for

# The verdict each of a digest's links names, after its token: reply+TOKEN.c@.
LINK_SUFFIXES: dict[VerdictKind, str] = {VerdictKind.ON_TRACK: "o", VerdictKind.CHALLENGE: "c"}
_LINK_KINDS = {suffix: kind for kind, suffix in LINK_SUFFIXES.items()}


def verdict_link_token(key: bytes, partner: Person, commitment_id: int, *, now: datetime) -> str:
    """The token of a commitment's On track and Challenge links in a digest (one for both:
    the suffix after it names the verdict)."""
    return token_for(key, Purpose.VERDICT, (partner.id, commitment_id), partner, now=now)


async def answer_verdict_link(ctx: FlowContext, partner_id: int, commitment_id: int) -> Outcome:
    """A click on On track or Challenge: the link names the verdict, every new word is the note.

    Links without the suffix (sent before it, or rewritten by a mail system)
    leave the verdict to the subject and the words.
    """
    partner = await _partner(ctx, partner_id)
    text = without_sign_off(ctx.reading.text, names_of(partner))
    found = read_link_reply(text, ctx.message.subject, _LINK_KINDS.get(ctx.route.link))
    if found is None:
        raise NotUnderstood(Why.NO_VERDICT, quoted=text.splitlines())
    commitment = await _held_commitment(ctx, partner, commitment_id)
    kind, note = found
    verdict, receipt = await _record(ctx, partner, commitment, kind, note)
    if kind is VerdictKind.CHALLENGE:
        # One click, one trace: a challenge gets a receipt naming what it was
        # about, and a reply to it goes on in the challenge's thread; an
        # on-track click gets nothing (the next digest shows it).
        await ctx.answer(
            emails.VerdictThanks(
                subject=ctx.message.subject, answers=[receipt], unread=[], cadence=None, zone=None
            ),
            reply_token=token_for(
                ctx.settings.secret_key, Purpose.THREAD, (verdict.id,), partner, now=ctx.now
            ),
        )
    return Outcome(InboundStatus.PROCESSED, f"verdict: {kind.value}")


async def answer_digest(ctx: FlowContext, digest_id: int) -> Outcome:
    """A reply to a digest: ``15 on track``, ``Alice 3 challenge: …``, daily/weekly/pause/stop,
    and ``time zone NAME`` (the partner's rows of mailer/parsing/commands.py)."""
    digest = await Digest.filter(id=digest_id).using_db(ctx.connection).first()
    if digest is None:
        raise NotUnderstood(Why.NO_SUCH_DIGEST)
    partner = await _partner(ctx, digest.partner_id)  # type: ignore[attr-defined]
    text = without_sign_off(ctx.reading.text, names_of(partner))
    reading = read(text or strip_reply_prefix(ctx.message.subject), Audience.PARTNER)
    answers = reading.of(Action.ON_TRACK, Action.CHALLENGE)
    cadences = [_CADENCES[c.text.lower()] for c in reading.of(Action.CADENCE)]
    zones = [c.text for c in reading.of(Action.TIME_ZONE)]
    if not (answers or cadences or zones):
        raise NotUnderstood(Why.NO_DIGEST_ANSWER, quoted=reading.unread)
    found = await _answered_commitments(ctx, digest, partner, answers)
    unread = list(reading.unread)
    # One answer per commitment, however it was named ("2" and "Alice 2"):
    # of two lines about one commitment, the last counts.
    last: dict[int, tuple[Command, Commitment]] = {}
    for answer in answers:
        commitment = found.get(id(answer))
        if commitment is None:
            unread.append(answer.line)
        else:
            last.pop(commitment.id, None)
            last[commitment.id] = (answer, commitment)
    recorded: list[emails.Receipt] = []
    challenges: list[Verdict] = []
    for answer, commitment in last.values():
        kind = _VERDICTS[answer.action]
        verdict, receipt = await _record(ctx, partner, commitment, kind, answer.text)
        recorded.append(receipt)
        if kind is VerdictKind.CHALLENGE:
            challenges.append(verdict)
    cadence = cadences[-1] if cadences else None
    if cadence is not None:
        await (
            Person.filter(id=partner.id)
            .using_db(ctx.connection)
            .update(digest_cadence=cadence.value)
        )
    await ctx.answer(
        emails.VerdictThanks(
            subject=ctx.message.subject,
            answers=recorded,
            unread=unread,
            cadence=cadence.value if cadence else None,
            zone=await name_zone(ctx, partner, zones[-1]) if zones else None,
        ),
        # One challenge: a reply to the receipt goes on in its thread, as after
        # a click; otherwise it is read as more answers to the digest.
        reply_token=token_for(
            ctx.settings.secret_key,
            *(
                (Purpose.THREAD, (challenges[0].id,))
                if len(challenges) == 1
                else (Purpose.DIGEST, (digest.id,))
            ),
            partner,
            now=ctx.now,
        ),
    )
    said = f", cadence {cadence.value}" if cadence else ""
    return Outcome(InboundStatus.PROCESSED, f"{len(recorded)} verdict(s){said}")


_VERDICTS = {Action.ON_TRACK: VerdictKind.ON_TRACK, Action.CHALLENGE: VerdictKind.CHALLENGE}
_CADENCES = {
    "daily": DigestCadence.DAILY,
    "weekly": DigestCadence.WEEKLY,
    "pause": DigestCadence.PAUSED,
    "stop": DigestCadence.STOPPED,
    "unsubscribe": DigestCadence.STOPPED,
}


async def _answered_commitments(
    ctx: FlowContext, digest: Digest, partner: Person, verdicts: list[Command]
) -> dict[int, Commitment]:
    """The commitment each typed answer is about (keyed by ``id()`` of the answer).

    A number is the member's own (#15); with several members it needs the
    first name before it when two of them have a #15. Only commitments of
    members this partner holds to account now can be answered.
    """
    if not verdicts:
        return {}
    members = (
        await Partnership.filter(partner_id=partner.id, state=PartnershipState.ACTIVE.value)
        .using_db(ctx.connection)
        .values_list("member_id", flat=True)
    )
    query = Commitment.filter(member_id__in=list(members)).using_db(ctx.connection)
    if digest.by_member_number:
        query = query.filter(number__in=sorted({verdict.number for verdict in verdicts}))
    else:  # a digest from before: its numbers are places in its list
        query = query.filter(id__in=[_placed(digest, verdict.number) for verdict in verdicts])
    candidates = await query.select_related("member")
    # The members this digest listed come first: a number written for it
    # means theirs, even once another member's list has a #2 as well.
    listed = {c.member.id for c in candidates if c.id in set(digest.items)}
    found: dict[int, Commitment] = {}
    for verdict in verdicts:
        if digest.by_member_number:
            matching = [c for c in candidates if c.number == verdict.number]
        else:
            matching = [c for c in candidates if c.id == _placed(digest, verdict.number)]
        if verdict.who:
            matching = [c for c in matching if _goes_by(c.member, verdict.who)]
        if len(matching) > 1:
            matching = [c for c in matching if c.member.id in listed]
        if len(matching) == 1:
            found[id(verdict)] = matching[0]
    return found


def _placed(digest: Digest, place: int) -> int:
    """The commitment id at a place (1, 2, ...) in an old digest's list; 0 for none."""
    return digest.items[place - 1] if 1 <= place <= len(digest.items) else 0


def _goes_by(member: Person, word: str) -> bool:
    """Whether ``word`` names this member: their first name, full name, or mailbox name."""
    return word.casefold().rstrip(".") in names_of(member)


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
) -> tuple[Verdict, emails.Receipt]:
    """Store the verdict (a challenge goes to the member at once); how the receipt names it."""
    member = commitment.member
    receipt = emails.Receipt(
        number=commitment.number,
        text=commitment.text,
        member=called(member, member.email),
        challenge=kind is VerdictKind.CHALLENGE,
    )
    verdict = await Verdict.create(
        using_db=ctx.connection,
        commitment=commitment,
        partner=partner,
        kind=kind.value,
        note=note,
        source=ctx.inbound,
    )
    if kind is not VerdictKind.CHALLENGE:
        return verdict, receipt
    # The partner by name only: the member answers through the service, in
    # the thread it keeps with the partner, not around it.
    partner_name = called(partner, "Your partner")
    await ctx.tell(
        member.email,
        emails.Challenge(
            name=first_name(member.name),
            partner=partner_name,
            partner_name=partner_name,
            number=commitment.number,
            text=commitment.text,
            due=commitment.due_date,
            note=note,
        ),
        key=challenge_key(ctx.inbound.id, commitment.id),
        reply_token=token_for(
            ctx.settings.secret_key, Purpose.CHALLENGE, (verdict.id,), member, now=ctx.now
        ),
    )
    return verdict, receipt


def challenge_key(inbound_id: int, commitment_id: int) -> str:
    """The idempotency key of the email that brings a challenge to the member."""
    return f"challenge:{inbound_id}:{commitment_id}"
