"""Rolling recurring commitments on the database: members' zones, batches, ends of series."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from mailer import recurring
from mailer.models import Commitment, CommitmentUpdate, InboundMessage, Person, Verdict
from mailer.recurring import roll_recurring

MONDAY = date(2026, 12, 7)
EVERY_MONDAY = "FREQ=WEEKLY;BYDAY=MO"


async def member(email: str, zone: str = "+01:00") -> Person:
    return await Person.create(email=email, timezone=zone)


async def weekly(person: Person, number: int, due: date, rule: str = EVERY_MONDAY) -> Commitment:
    return await Commitment.create(
        member=person, number=number, text=f"promise {number}", due_date=due, recurrence=rule
    )


def utc(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


async def test_each_members_own_midnight_ends_the_occurrence(db: None) -> None:
    east = await weekly(await member("east@example.com", "Pacific/Kiritimati"), 1, MONDAY)
    west = await weekly(await member("west@example.com", "-11:00"), 1, MONDAY)
    # Tuesday 14:30 at UTC+14, still Monday 13:30 at UTC-11.
    assert await roll_recurring(utc(MONDAY + timedelta(days=1), 0, 30)) == 1
    assert (await Commitment.get(id=east.id)).due_date == MONDAY + timedelta(days=7)
    assert (await Commitment.get(id=west.id)).due_date == MONDAY
    assert await roll_recurring(utc(MONDAY + timedelta(days=1), 11, 5)) == 1  # 00:05 at UTC-11
    assert (await Commitment.get(id=west.id)).due_date == MONDAY + timedelta(days=7)


async def test_batches_of_any_size_roll_everything_once(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(recurring, "ROWS", 3)  # two commitments' rows do not fit in one
    people = [await member(f"m{n}@example.com") for n in range(4)]
    for n in range(7):
        await weekly(people[n % 4], n + 1, MONDAY - timedelta(days=7))
    ended = await weekly(people[0], 99, MONDAY, "FREQ=DAILY;UNTIL=20261207")
    tuesday = utc(MONDAY + timedelta(days=1), 9)
    assert await roll_recurring(tuesday, batch=2) == 7 * 2 + 1
    assert await roll_recurring(tuesday, batch=2) == 0
    assert await CommitmentUpdate.filter(kind="missed").count() == 15
    open_ones = await Commitment.exclude(id=ended.id)
    assert {(c.due_date, c.occurrence_start, c.state) for c in open_ones} == {
        (MONDAY + timedelta(days=7), MONDAY + timedelta(days=1), "open")
    }
    finished = await Commitment.get(id=ended.id)
    assert (finished.state, finished.due_date) == ("missed", MONDAY)


async def test_a_series_kept_to_its_last_day_ends_done(db: None) -> None:
    anna, bob = await member("anna@example.com"), await member("bob@example.org")
    daily = await weekly(anna, 1, MONDAY, "FREQ=DAILY;UNTIL=20261208")
    source = await InboundMessage.create(mail_from=bob.email, rcpt_tos=[], content=b"", size=0)
    await Verdict.create(
        commitment=daily,
        partner=bob,
        kind="on_track",
        source=source,
        created_at=utc(MONDAY + timedelta(days=1), 10),  # in the last one's day
    )
    assert await roll_recurring(utc(MONDAY + timedelta(days=3), 9)) == 1  # Monday's only
    finished = await Commitment.get(id=daily.id)
    assert (finished.state, finished.due_date) == ("done", MONDAY + timedelta(days=1))
    [missed] = await CommitmentUpdate.all()
    assert (missed.occurrence, missed.new_due_date) == (MONDAY, MONDAY + timedelta(days=1))


async def test_a_rule_that_cannot_be_stepped_through_is_left_as_it_is(db: None) -> None:
    anna = await member("anna@example.com")
    odd = await weekly(anna, 1, MONDAY, "FREQ=WEEKLY;BYDAY=XX")
    fine = await weekly(anna, 2, MONDAY)
    assert await roll_recurring(utc(MONDAY + timedelta(days=2), 9)) == 1
    assert (await Commitment.get(id=odd.id)).due_date == MONDAY
    assert (await Commitment.get(id=fine.id)).due_date == MONDAY + timedelta(days=7)


async def test_what_is_not_due_yet_or_not_open_is_not_touched(db: None) -> None:
    anna = await member("anna@example.com")
    later = await weekly(anna, 1, MONDAY + timedelta(days=7))
    dropped = await weekly(anna, 2, MONDAY)
    await Commitment.filter(id=dropped.id).update(state="dropped")
    once = await Commitment.create(member=anna, number=3, text="one-off", due_date=MONDAY)
    assert await roll_recurring(utc(MONDAY + timedelta(days=2), 9)) == 0
    for commitment in (later, dropped, once):
        assert (await Commitment.get(id=commitment.id)).due_date == commitment.due_date
    assert not await CommitmentUpdate.exists()


async def test_occurrences_passed_while_away_roll_on_without_being_missed(db: None) -> None:
    anna = await member("anna@example.com")
    await Person.filter(id=anna.id).update(away_until=MONDAY + timedelta(days=1))
    bob = await member("bob@example.org")
    away = await weekly(anna, 1, MONDAY - timedelta(days=7))
    present = await weekly(bob, 1, MONDAY - timedelta(days=7))
    # Two Mondays pass; Anna is back the Tuesday after the second.
    assert await roll_recurring(utc(MONDAY + timedelta(days=1), 9)) == 2  # Bob's two
    assert await CommitmentUpdate.filter(commitment_id=away.id).count() == 0
    assert await CommitmentUpdate.filter(commitment_id=present.id, kind="missed").count() == 2
    assert (await Commitment.get(id=away.id)).due_date == MONDAY + timedelta(days=7)
    # Back: the next Monday that passes unkept is missed again.
    assert await roll_recurring(utc(MONDAY + timedelta(days=8), 9)) == 2
    [missed] = await CommitmentUpdate.filter(commitment_id=away.id)
    assert missed.occurrence == MONDAY + timedelta(days=7)
