"""commit@: publish commitments (SPEC §4.1) and confirm them, threaded."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from mailer import emails
from mailer.flows.base import FlowContext, Outcome
from mailer.flows.invitations import Invited, invite_partners
from mailer.models import Commitment, InboundStatus, PartnershipState, Person
from mailer.names import first_name
from mailer.occurrences import UnusableRule, day_in_words, first_on_or_after
from mailer.parsing.commitments import CommitmentDraft
from mailer.parsing.prepare import sent_at
from mailer.redact import mask_address
from mailer.refusals import NotUnderstood, Unproven, Why
from mailer.sql import insert_returning_ids, placeholders
from mailer.timezones import offset_name, zone_from_name
from mailer.tokens import Purpose, token_for


async def publish_commitments(ctx: FlowContext) -> Outcome:
    sent_at = sent_at_or_now(ctx)
    known = await ctx.person(ctx.sender)
    named = known is not None and known.timezone_confirmed
    zone_name = known.timezone if known and named else offset_name(sent_at)
    zone = zone_from_name(zone_name)
    reading = await ctx.reading_in_zone(zone_name)
    nominated, drafts = list(reading.nominated), list(reading.drafts)
    if not drafts and not nominated:
        raise NotUnderstood(Why.NO_COMMITMENTS)
    if not ctx.proven:
        today = ctx.now.astimezone(zone).date()
        raise Unproven(
            [f"publish \u201c{d.text}\u201d ({_due_words(d, today)})" for d in drafts]
            + [f"invite {mask_address(n.address)} to be your partner" for n in nominated]
        )
    member, first, partnered = await _reserve_numbers(ctx, known, sent_at, len(drafts))
    # Dates are read from the Date header; "today" is when it is published.
    today = ctx.now.astimezone(zone).date()
    drafts = [replace(draft, due=current_due(draft, today)) for draft in drafts]
    commitments = [
        Commitment(
            member=member,
            number=first + offset,
            text=draft.text,
            due_date=draft.due,
            recurrence=draft.recurrence,
            recurrence_label=draft.recurrence_label,
            source=ctx.inbound,
        )
        for offset, draft in enumerate(drafts)
    ]
    await insert_returning_ids(ctx.connection, commitments)
    described = [
        emails.commitment_line(
            first + n, draft.text, draft.due, draft.recurrence_label, today=today
        )
        for n, draft in enumerate(drafts)
    ]
    invited = Invited([], [])
    if nominated:
        # This message's commitments only: what the member published before
        # reaches a partner only once they have accepted (SPEC §7).
        invited = await invite_partners(ctx, member, nominated, described)
    token = token_for(ctx.settings.secret_key, Purpose.MEMBER, (member.id,), member, now=ctx.now)
    await ctx.answer(
        emails.Confirmation(
            name=first_name(member.name),
            subject=ctx.message.subject,
            commitments=described,
            partners=invited.names,
            not_invited=invited.held_back,
            partnered=partnered,
        ),
        reply_token=token,
    )
    return Outcome(
        InboundStatus.PROCESSED,
        f"{len(drafts)} commitment(s) published, {len(invited.names)} partner(s) invited",
    )


async def _reserve_numbers(
    ctx: FlowContext, known: Person | None, sent_at: datetime, count: int
) -> tuple[Person, int, bool]:
    """The member (created on a first message), the first of ``count`` new numbers,
    and whether the member has an active partner.

    Raising the counter in place locks the member's row until commit: a second
    message of the same member waits here instead of taking the same numbers.
    """
    if known is None:
        # Two first messages at once: one insert fails on the unique email,
        # its transaction rolls back and its job runs again.
        member = await Person.create(
            using_db=ctx.connection,
            email=ctx.sender,
            name=ctx.message.from_name[:200],
            timezone=offset_name(sent_at),
            commitment_count=count,
        )
        ctx.people[member.email] = member
        return member, 1, False
    # One round trip: raise the counter (locking the row), follow the offset
    # of the latest mail until the member names a zone, read the new count
    # and whether the member has an active partner.
    count_by, zone, member_id, active = placeholders(ctx.connection, 4)
    [row] = await ctx.connection.execute_query_dict(
        # Only parameter markers are formatted in; the values are parameters.
        f'UPDATE "person" SET "commitment_count" = "commitment_count" + {count_by}, '  # noqa: S608
        f'"timezone" = CASE WHEN "timezone_confirmed" THEN "timezone" ELSE {zone} END '
        f'WHERE "id" = {member_id} RETURNING "commitment_count", "timezone", '
        'EXISTS (SELECT 1 FROM "partnership" WHERE "partnership"."member_id" = "person"."id" '
        f'AND "partnership"."state" = {active}) AS "partnered"',
        [count, offset_name(sent_at), known.id, PartnershipState.ACTIVE.value],
    )
    known.commitment_count = int(row["commitment_count"])
    known.timezone = str(row["timezone"])
    return known, known.commitment_count - count + 1, bool(row["partnered"])


def current_due(draft: CommitmentDraft, today: date) -> date | None:
    """The due date to publish: a recurring one whose first occurrence is over by ``today``
    (an old Date header) starts at its occurrence current today, with nothing missed."""
    if draft.due is None or draft.recurrence is None or draft.due >= today:
        return draft.due
    try:
        return first_on_or_after(draft.recurrence, draft.due, today) or draft.due
    except UnusableRule:
        return draft.due


def _due_words(draft: CommitmentDraft, today: date) -> str:
    if draft.recurrence_label:
        return draft.recurrence_label
    return f"due {day_in_words(draft.due, today)}" if draft.due else "no due date"


def sent_at_or_now(ctx: FlowContext) -> datetime:
    """When the member wrote: the Date header, unless missing or from a wrong clock."""
    return sent_at(ctx.message.date, ctx.now)
