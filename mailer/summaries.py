"""Weekly member summaries and nudges (SPEC §4.7).

Every member with open commitments gets a summary each week (from Monday
08:00 in their zone): their open commitments, the on-track verdicts and
challenges of the week that ended, the occurrences of recurring commitments
found missed in it, the challenges still waiting for their answer, and,
when no partner holds them to account, a nudge to invite one (rule 1:
everyone should have one).
Like digests, a summary row per (member, week) is unique and inserted with
ON CONFLICT DO NOTHING: whichever worker inserts it sends it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from mailer import emails
from mailer.bounce_scores import not_held
from mailer.digests import Period, current_period
from mailer.emails.kinds import Stop
from mailer.models import (
    Commitment,
    CommitmentState,
    CommitmentUpdate,
    DigestCadence,
    Partnership,
    PartnershipState,
    Person,
    Summary,
    UpdateKind,
    Verdict,
    VerdictKind,
)
from mailer.names import first_name
from mailer.occurrences import day_words
from mailer.settings import Settings
from mailer.sql import insert_new, insert_returning_ids
from mailer.stops import regular_mail_to_member, who_stopped
from mailer.timezones import zone_from_name
from mailer.tokens import Purpose, token_for

BATCH = 500
WEEK = timedelta(days=7)
# A challenge unanswered for longer than this is not listed any more.
CHALLENGE_MEMORY = timedelta(days=60)


async def send_due_summaries(settings: Settings, now: datetime) -> list[int]:
    """Queue this week's summaries not sent yet; returns the outbound ids."""
    queued: list[int] = []
    after = 0
    while True:
        members = (
            await Person.filter(id__gt=after, commitments__state=CommitmentState.OPEN.value)
            # Away ("away until …"): no summary and its nudges until they are back.
            .filter(Q(away_until__isnull=True) | Q(away_until__lte=now.date()))
            # Nor to an address suspended after bouncing (mailer/flows/bounce.py).
            .filter(email__not_in=not_held())
            .distinct()
            .order_by("id")
            .limit(BATCH)
        )
        if not members:
            return queued
        after = members[-1].id
        queued += await _send_batch(members, settings, now)
        if len(members) < BATCH:
            return queued


async def _send_batch(members: Sequence[Person], settings: Settings, now: datetime) -> list[int]:
    weeks = {
        member.id: current_period(DigestCadence.WEEKLY.value, zone_from_name(member.timezone), now)
        for member in members
    }
    # The summary sent as a week starts covers the week before; a member who
    # joined since gets theirs the week after.
    members = [member for member in members if member.created_at < weeks[member.id].start]
    stopped = await who_stopped(Stop.SUMMARY, [member.id for member in members])
    members = [member for member in members if member.id not in stopped]
    if members:
        # Those sent already are left out first (see the same in digests.py).
        sent = set(
            await Summary.filter(
                member_id__in=[member.id for member in members],
                period__in=sorted({weeks[member.id].key for member in members}),
            ).values_list("member_id", "period")
        )
        members = [m for m in members if (m.id, weeks[m.id].key) not in sent]
    if not members:
        return []
    ids = [member.id for member in members]
    commitments = await Commitment.filter(
        member_id__in=ids, state=CommitmentState.OPEN.value
    ).order_by("member_id", "number")
    verdicts = (
        await Verdict.filter(commitment__member_id__in=ids, created_at__gte=now - CHALLENGE_MEMORY)
        .select_related("partner", "commitment")
        .order_by("created_at")
    )
    # Recorded when the occurrence was over (mailer/recurring.py): each is in
    # the summary of the week it was found in, once.
    missed = (
        await CommitmentUpdate.filter(
            commitment__member_id__in=ids,
            kind=UpdateKind.MISSED.value,
            created_at__gte=min(week.start for week in weeks.values()) - WEEK,
        )
        .select_related("commitment")
        .order_by("occurrence", "commitment__number")
    )
    active = await Partnership.filter(
        member_id__in=ids, state=PartnershipState.ACTIVE.value
    ).values_list("member_id", "partner_id")
    pairs = {(int(member_id), int(partner_id)) for member_id, partner_id in active}
    partnered = {member_id for member_id, _ in pairs}
    # Those who stopped nudges (Stop.NUDGE) are not nudged to find a partner either.
    unnudged = partnered | await who_stopped(Stop.NUDGE, ids)
    open_by_member: dict[int, list[Commitment]] = defaultdict(list)
    for commitment in commitments:
        open_by_member[commitment.member_id].append(commitment)  # type: ignore[attr-defined]
    heard: dict[int, list[Verdict]] = defaultdict(list)
    latest: dict[tuple[int, int], Verdict] = {}  # by (partner, commitment)
    for verdict in verdicts:  # oldest first
        heard[verdict.commitment.member_id].append(verdict)  # type: ignore[attr-defined]
        latest[(verdict.partner.id, verdict.commitment.id)] = verdict
    missed_by_member: dict[int, list[CommitmentUpdate]] = defaultdict(list)
    for update in missed:
        missed_by_member[update.commitment.member_id].append(update)  # type: ignore[attr-defined]
    waiting: dict[int, list[Verdict]] = defaultdict(list)
    for verdict in latest.values():  # a challenge the partner has not since taken back
        member_id: int = verdict.commitment.member_id  # type: ignore[attr-defined]
        if (
            (member_id, verdict.partner.id) in pairs  # an answer would reach a partner still
            and verdict.kind == VerdictKind.CHALLENGE.value
            and verdict.answered_at is None
            and verdict.commitment.state == CommitmentState.OPEN.value
        ):
            waiting[member_id].append(verdict)
    # Each member's own day: the one their due dates have passed by or not.
    days = {member.id: now.astimezone(zone_from_name(member.timezone)).date() for member in members}
    async with in_transaction() as connection:
        claimed = await insert_new(
            connection,
            [
                Summary(member_id=member.id, period=weeks[member.id].key, created_at=now)
                for member in members
            ],
            ["member_id", "period"],
        )
        rows = []
        for member in members:
            summary_id = claimed.get((member.id, weeks[member.id].key))
            if summary_id is None:
                continue  # another worker has this one
            email = emails.Summary(
                name=first_name(member.name),
                commitments=[
                    emails.commitment_line(
                        c.number, c.text, c.due_date, c.recurrence_label, today=days[member.id]
                    )
                    for c in open_by_member[member.id]
                ],
                heard=[
                    _heard(v)
                    for v in heard[member.id]
                    if _week_before(weeks[member.id], v.created_at)
                ],
                missed=[
                    _missed(update)
                    for update in missed_by_member[member.id]
                    if _week_before(weeks[member.id], update.created_at)
                ],
                waiting=[
                    _waiting(v, member, settings, now)
                    for v in sorted(waiting[member.id], key=lambda v: v.created_at)
                ],
                partnered=member.id in unnudged,
            )
            rows.append(
                regular_mail_to_member(
                    email, member, key=f"summary:{summary_id}", settings=settings, now=now
                )
            )
        return await insert_returning_ids(connection, rows)


def _week_before(week: Period, moment: datetime) -> bool:
    """Whether ``moment`` is in the week that ended as ``week`` began (the one summed up)."""
    return week.start - WEEK <= moment < week.start


def _heard(verdict: Verdict) -> emails.Heard:
    return emails.Heard(
        number=verdict.commitment.number,
        partner=verdict.partner.name or "a partner",
        on_track=verdict.kind == VerdictKind.ON_TRACK.value,
        note=verdict.note,
    )


def _missed(update: CommitmentUpdate) -> emails.Missed:
    day = update.occurrence
    return emails.Missed(
        number=update.commitment.number,
        text=update.commitment.text,
        day=day_words(day) if day else "",
    )


def _waiting(
    challenge: Verdict, member: Person, settings: Settings, now: datetime
) -> emails.Waiting:
    """A challenge still waiting for the member's answer, with the address that answers it."""
    token = token_for(settings.secret_key, Purpose.CHALLENGE, (challenge.id,), member, now=now)
    return emails.Waiting(
        number=challenge.commitment.number,
        partner=challenge.partner.name or "a partner",
        note=challenge.note,
        date=challenge.created_at.date(),
        answer_address=f"reply+{token}@{settings.domain}",
    )
