"""Recurring commitments roll forward: an occurrence over is settled, and the next is due.

A recurring commitment's due date is its current occurrence. Once that day
is over in the member's zone, the occurrence is *missed* unless the member
said ``done`` for it (which settles it and moves the due date at once) or a
partner said "on track" within its days; either way the next occurrence is
due. A missed occurrence leaves a CommitmentUpdate of kind ``missed``: the
member's summary and the partners' digests show it. When the rule has no
more occurrences (its UNTIL), the commitment ends: done if its last one was
kept, else missed.

The database decides, not timing: an occurrence has at most one outcome row
(unique per commitment and occurrence, inserted with ON CONFLICT DO NOTHING)
and the due date moves by a compare-and-set on the due date that was read.
A second run, two workers at once, or a run racing the member's ``done``
change nothing that was changed already. Work goes a batch of commitments
at a time, with the same few statements per batch.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from mailer.models import (
    Commitment,
    CommitmentState,
    CommitmentUpdate,
    InboundMessage,
    UpdateKind,
    Verdict,
    VerdictKind,
)
from mailer.occurrences import Roll, UnusableRule, next_occurrence, roll
from mailer.sql import insert_new, update_each_if
from mailer.timezones import zone_from_name

log = logging.getLogger(__name__)

BATCH = 200  # commitments read at a time
# Missed rows one batch writes at most, in one statement (seven parameters
# each); a commitment rolls at most occurrences.MAX_STEPS, fewer than this.
ROWS = 1000
_OPEN = CommitmentState.OPEN.value
# A verdict's day is the member's; UTC is at most this far from any zone.
_ZONE_MARGIN = timedelta(days=1)


@dataclass(frozen=True)
class _Plan:
    """One commitment to roll, and what rolling it finds."""

    commitment: Commitment
    rule: str
    due: date  # as read: the compare-and-set moves it only if it still is
    zone: tzinfo
    today: date  # the member's: occurrences before it are over
    roll: Roll
    away: date | None = None  # the member is away until this day: nothing before it is missed


async def roll_recurring(now: datetime, *, batch: int = BATCH) -> int:
    """Roll forward the recurring commitments with an occurrence over; how many were missed."""
    missed, after = 0, 0
    # No zone's today is later than UTC's tomorrow: only what is due before
    # it can be over anywhere; each member's zone decides in _plan.
    bound = now.astimezone(UTC).date() + timedelta(days=1)
    while True:
        found = (
            await Commitment.filter(
                id__gt=after, state=_OPEN, recurrence__isnull=False, due_date__lt=bound
            )
            .select_related("member")
            .order_by("id")
            .limit(batch)
        )
        if not found:
            return missed
        plans = [
            plan
            for commitment in found
            if (
                plan := _plan(
                    commitment,
                    zone_from_name(commitment.member.timezone),
                    now,
                    away=commitment.member.away_until,
                )
            )
        ]
        taken = _fitting(plans)
        # What did not fit is read again by the next batch.
        after = plans[taken - 1].commitment.id if taken < len(plans) else found[-1].id
        if taken:
            async with in_transaction() as connection:
                missed += await _settle(connection, plans[:taken], now)
        if len(found) < batch and taken == len(plans):
            return missed


def _plan(
    commitment: Commitment,
    zone: tzinfo,
    now: datetime,
    on_track: Sequence[date] = (),
    *,
    away: date | None,
) -> _Plan | None:
    """What rolling the commitment to the member's today finds; None if nothing is over."""
    today = now.astimezone(zone).date()
    due, rule = commitment.due_date, commitment.recurrence
    if due is None or rule is None or due >= today:
        return None
    try:
        rolled = roll(rule, due, commitment.occurrence_start, today, on_track)
    except UnusableRule:
        log.warning("commitment %s: its recurrence cannot be stepped through", commitment.id)
        return None
    return _Plan(commitment, rule, due, zone, today, rolled, away)


def _fitting(plans: Sequence[_Plan]) -> int:
    """How many of the plans, from the first, write at most ROWS rows (always one at least)."""
    rows = 0
    for taken, plan in enumerate(plans):
        rows += len(plan.roll.passed)
        if taken and rows > ROWS:
            return taken
    return len(plans)


async def _settle(connection: BaseDBAsyncClient, plans: Sequence[_Plan], now: datetime) -> int:
    """Roll the planned commitments, with the partners' on-track verdicts; how many missed."""
    said = await _on_track_days(connection, plans)
    final = [replace(plan, roll=_reroll(plan, said.get(plan.commitment.id, []))) for plan in plans]
    return await _apply(connection, final, now)


def _reroll(plan: _Plan, on_track: Sequence[date]) -> Roll:
    """The planned roll again, now knowing when partners said "on track"."""
    start = plan.commitment.occurrence_start
    # The same occurrences as planned: the ROWS a batch counted on.
    limit = len(plan.roll.passed)
    return roll(plan.rule, plan.due, start, plan.today, on_track, limit=limit)


async def _on_track_days(
    connection: BaseDBAsyncClient, plans: Sequence[_Plan]
) -> dict[int, list[date]]:
    """The days (in each member's zone) partners said "on track", by commitment, in one query."""
    zones = {plan.commitment.id: plan.zone for plan in plans}
    earliest = min(
        datetime.combine(start, time(), UTC) - _ZONE_MARGIN
        if (start := plan.commitment.occurrence_start)
        else plan.commitment.created_at
        for plan in plans
    )
    verdicts = (
        await Verdict.filter(
            commitment_id__in=list(zones),
            kind=VerdictKind.ON_TRACK.value,
            created_at__gte=earliest,
        )
        .using_db(connection)
        .values_list("commitment_id", "created_at")
    )
    days: dict[int, list[date]] = defaultdict(list)
    for commitment_id, given in verdicts:
        days[commitment_id].append(given.astimezone(zones[commitment_id]).date())
    return days


async def _apply(connection: BaseDBAsyncClient, plans: Sequence[_Plan], now: datetime) -> int:
    """Move each due date if it is still the one read, and record what was missed; how many."""
    updates = []
    for plan in plans:
        rolled = plan.roll
        state = _OPEN
        if rolled.due is None:  # no more occurrences: the commitment ends with its last one
            last_kept = rolled.passed[-1].kept
            state = (CommitmentState.DONE if last_kept else CommitmentState.MISSED).value
        values = (rolled.due or rolled.passed[-1].day, rolled.start, state)
        updates.append((plan.commitment.id, values, plan.due))
    changed = await update_each_if(
        connection,
        Commitment,
        ("due_date", "occurrence_start", "state"),
        updates,
        guard="due_date",
        also={"state": _OPEN},
    )
    rows: list[CommitmentUpdate] = []
    for plan, (_, (due, start, state), _) in zip(plans, updates, strict=True):
        commitment = plan.commitment
        if commitment.id not in changed:
            continue  # moved meanwhile (a "done", another run): settled there
        commitment.due_date, commitment.occurrence_start, commitment.state = due, start, state
        away = plan.away
        rows += [
            _outcome(commitment.id, UpdateKind.MISSED, passed.day, plan.roll.due_after(n), now)
            for n, passed in enumerate(plan.roll.passed)
            # An occurrence passed while the member said they were away is
            # not missed: it just rolls on ("away until", issue 10 item 8).
            if not passed.kept and not (away is not None and passed.day < away)
        ]
    inserted = await insert_new(connection, rows, ["commitment_id", "occurrence"])
    return len(inserted)


def _outcome(
    commitment_id: int,
    kind: UpdateKind,
    day: date,
    due_after: date | None,
    now: datetime,
    source: InboundMessage | None = None,
) -> CommitmentUpdate:
    return CommitmentUpdate(
        commitment_id=commitment_id,
        kind=kind.value,
        occurrence=day,
        note=day.isoformat(),  # the day again, for readers of the older columns (digests)
        new_due_date=due_after,
        source=source,
        created_at=now,
    )


@dataclass(frozen=True)
class Settled:
    """What the member's ``done`` on a recurring commitment did."""

    occurrence: date | None  # the occurrence it settles; None: the rule had none left
    due: date | None  # the commitment's due date now; None once it has ended
    before: bool = False  # that occurrence was done already


async def settle_done(
    connection: BaseDBAsyncClient,
    commitment: Commitment,
    zone: tzinfo,
    written: datetime,
    now: datetime,
    source: InboundMessage,
    *,
    away: date | None = None,
) -> Settled:
    """``done N`` on an open recurring commitment: the occurrence current when the member
    wrote is done, and the next one is due.

    ``commitment`` was read in ``connection``'s transaction with its row
    locked. First it rolls to the day the reply was written, as the cron
    would: the outcome is the same whether the cron got there first or not.
    Raises UnusableRule if its recurrence cannot be stepped through.
    """
    plan = _plan(commitment, zone, written, away=away)
    if plan is not None:
        await _settle(connection, [plan], now)
    day = written.astimezone(zone).date()
    settled = (
        await CommitmentUpdate.filter(commitment_id=commitment.id, occurrence__gte=day)
        .using_db(connection)
        .order_by("occurrence")
        .first()
    )
    if settled is not None and settled.occurrence is not None:
        return await _done_again(connection, commitment, settled, now, source)
    if commitment.state != _OPEN or commitment.due_date is None or not commitment.recurrence:
        return Settled(None, None)  # its last occurrence was over before the reply was written
    current = commitment.due_date
    following = next_occurrence(commitment.recurrence, current)
    await _outcome(commitment.id, UpdateKind.DONE, current, following, now, source).save(
        using_db=connection
    )
    commitment.due_date = following or current
    commitment.occurrence_start = current + timedelta(days=1)
    commitment.state = _OPEN if following else CommitmentState.DONE.value
    await commitment.save(
        using_db=connection, update_fields=["due_date", "occurrence_start", "state"]
    )
    return Settled(current, following)


async def _done_again(
    connection: BaseDBAsyncClient,
    commitment: Commitment,
    settled: CommitmentUpdate,
    now: datetime,
    source: InboundMessage,
) -> Settled:
    """``done`` for an occurrence that has its outcome already."""
    day = settled.occurrence
    assert day is not None
    due = commitment.due_date if commitment.state == _OPEN else None
    if settled.kind == UpdateKind.DONE.value:
        return Settled(day, due, before=True)
    # Recorded missed by a roll that read the clock after the day was over,
    # while the reply was written on or before it: the member's word wins.
    await (
        CommitmentUpdate.filter(id=settled.id)
        .using_db(connection)
        .update(kind=UpdateKind.DONE.value, source_id=source.id, created_at=now)
    )
    if commitment.state == CommitmentState.MISSED.value and commitment.due_date == day:
        commitment.state = CommitmentState.DONE.value  # it was the last one
        await commitment.save(using_db=connection, update_fields=["state"])
    return Settled(day, due)
