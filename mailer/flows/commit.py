"""commit@: publish commitments (SPEC §4.1) and confirm them, threaded."""

from __future__ import annotations

from datetime import datetime, timedelta

from mailer.flows.base import FlowContext, Outcome
from mailer.models import Commitment, InboundStatus, Person
from mailer.parsing.commitments import CommitmentDraft, extract_commitments
from mailer.parsing.newtext import new_text
from mailer.refusals import NoCommitmentsFound
from mailer.timezones import offset_name, zone_from_name
from mailer.tokens import Purpose, make_token

# A Date header further ahead than this is a wrong clock, not a plan.
MAX_CLOCK_SKEW = timedelta(days=1)


async def publish_commitments(ctx: FlowContext) -> Outcome:
    sent_at = _sent_at(ctx.message.date, ctx.now)
    member = await member_for(ctx, sent_at)
    zone = zone_from_name(member.timezone)
    drafts = extract_commitments(new_text(ctx.message.text), ctx.message.subject, sent_at, zone)
    if not drafts:
        raise NoCommitmentsFound(
            "we found no commitments in your message: write one per line or bullet"
        )
    commitments = await _create(ctx, member, drafts)
    token = make_token(ctx.settings.secret_key, Purpose.MEMBER, (member.id,), now=ctx.now)
    await ctx.answer(
        "confirmation",
        {
            "name": member.name,
            "subject": ctx.message.subject,
            "commitments": [_describe(commitment) for commitment in commitments],
            "partners": [],
        },
        reply_token=token,
    )
    return Outcome(InboundStatus.PROCESSED, f"{len(commitments)} commitment(s) published")


async def member_for(ctx: FlowContext, sent_at: datetime) -> Person:
    """The sender as a member; a first message also tells us their offset."""
    person = await Person.filter(email=ctx.sender).using_db(ctx.connection).first()
    if person is None:
        person = await Person.create(
            using_db=ctx.connection,
            email=ctx.sender,
            name=ctx.message.from_name[:200],
            timezone=offset_name(sent_at),
        )
    elif not person.timezone_confirmed and person.timezone != offset_name(sent_at):
        # Until the member names a zone, follow the offset of their latest mail.
        person.timezone = offset_name(sent_at)
        await person.save(using_db=ctx.connection, update_fields=["timezone"])
    return person


async def _create(
    ctx: FlowContext, member: Person, drafts: list[CommitmentDraft]
) -> list[Commitment]:
    # (member, number) is unique: two messages of one member processed at
    # once make one transaction fail, and its job runs again.
    latest = (
        await Commitment.filter(member=member).using_db(ctx.connection).order_by("-number").first()
    )
    last = latest.number if latest else 0
    return [
        await Commitment.create(
            using_db=ctx.connection,
            member=member,
            number=last + offset,
            text=draft.text,
            due_date=draft.due,
            recurrence=draft.recurrence,
            recurrence_label=draft.recurrence_label,
            source=ctx.inbound,
        )
        for offset, draft in enumerate(drafts, start=1)
    ]


def _describe(commitment: Commitment) -> dict[str, object]:
    return {
        "number": commitment.number,
        "text": commitment.text,
        "due": commitment.due_date.isoformat() if commitment.due_date else None,
        "recurrence": commitment.recurrence_label,
    }


def _sent_at(date: datetime | None, now: datetime) -> datetime:
    if date is None or date - now > MAX_CLOCK_SKEW:
        return now
    return date
