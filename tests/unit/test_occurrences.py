"""Stepping through a recurring commitment's occurrences, as the parser stores its rules."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from mailer.occurrences import (
    UnusableRule,
    first_on_or_after,
    new_day_for_passed,
    next_occurrence,
    roll,
)
from mailer.parsing.duedates import read_due

WEDNESDAY = datetime(2026, 12, 9, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("line", "first", "then"),
    [
        ("Review the pipeline every Monday", "2026-12-14", ["2026-12-21", "2026-12-28"]),
        ("Standup notes every weekday", "2026-12-09", ["2026-12-10", "2026-12-11", "2026-12-14"]),
        ("Call Mum every other Sunday", "2026-12-13", ["2026-12-27", "2027-01-10"]),
        ("Go running three times a week", "2026-12-13", ["2026-12-20", "2026-12-27"]),
        ("Back up the laptop every 2 weeks", "2026-12-13", ["2026-12-27", "2027-01-10"]),
        ("Pay the rent on the 1st of every month", "2027-01-01", ["2027-02-01", "2027-03-01"]),
        ("Check the accounts monthly", "2026-12-31", ["2027-01-31", "2027-02-28"]),
        ("Board report quarterly", "2026-12-31", ["2027-03-31", "2027-06-30"]),
        ("Journal daily", "2026-12-09", ["2026-12-10", "2026-12-11"]),
        ("Team lunch every first Monday of the month", "2027-01-04", ["2027-02-01", "2027-03-01"]),
    ],
)
def test_each_stored_rule_steps_to_its_following_occurrences(
    line: str, first: str, then: list[str]
) -> None:
    reading = read_due(line, WEDNESDAY, UTC)
    assert reading.recurrence is not None
    assert reading.due == date.fromisoformat(first)
    day, seen = reading.due, []
    for _ in then:
        following = next_occurrence(reading.recurrence, day)
        assert following is not None
        seen.append(following.isoformat())
        day = following
    assert seen == then


def test_a_rule_ends_after_its_until_day() -> None:
    reading = read_due("Standup notes every weekday until Dec 14", WEDNESDAY, UTC)
    assert reading.recurrence == "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;UNTIL=20261214"
    assert next_occurrence(reading.recurrence, date(2026, 12, 11)) == date(2026, 12, 14)
    assert next_occurrence(reading.recurrence, date(2026, 12, 14)) is None


def test_a_moved_occurrence_goes_back_to_the_rule_after_it() -> None:
    # "move 1 to Wednesday" on an every-Monday commitment: the next is a Monday again.
    assert next_occurrence("FREQ=WEEKLY;BYDAY=MO", date(2026, 12, 16)) == date(2026, 12, 21)


@pytest.mark.parametrize("rule", ["", "BYDAY=MO", "FREQ=WEEKLY;BYDAY=XX", "FREQ=WEEKLY;UNTIL=2026"])
def test_a_rule_that_cannot_be_stepped_through_says_so(rule: str) -> None:
    with pytest.raises(UnusableRule):
        next_occurrence(rule, date(2026, 12, 7))


def test_each_occurrence_is_kept_only_by_an_on_track_within_its_own_days() -> None:
    said = [date(2026, 12, 7), date(2026, 12, 15)]  # the day of the first; in the third's days
    rolled = roll("FREQ=WEEKLY;BYDAY=MO", date(2026, 12, 7), None, date(2026, 12, 22), said)
    assert [(p.day.isoformat(), p.kept) for p in rolled.passed] == [
        ("2026-12-07", True),
        ("2026-12-14", False),
        ("2026-12-21", True),
    ]
    assert (rolled.due, rolled.start) == (date(2026, 12, 28), date(2026, 12, 22))
    assert [rolled.due_after(n) for n in range(3)] == [
        date(2026, 12, 14),
        date(2026, 12, 21),
        date(2026, 12, 28),
    ]


def test_an_on_track_before_the_current_occurrence_began_does_not_keep_it() -> None:
    # The last occurrence was settled on the 7th: this one began on the 8th.
    rolled = roll(
        "FREQ=WEEKLY;BYDAY=MO", date(2026, 12, 14), date(2026, 12, 8), date(2026, 12, 15),
        [date(2026, 12, 7)],
    )  # fmt: skip
    assert [p.kept for p in rolled.passed] == [False]


def test_nothing_is_over_on_the_day_itself() -> None:
    rolled = roll("FREQ=WEEKLY;BYDAY=MO", date(2026, 12, 14), None, date(2026, 12, 14), [])
    assert (rolled.passed, rolled.due, rolled.start) == ((), date(2026, 12, 14), None)


def test_a_long_outage_is_caught_up_a_bounded_number_at_a_time() -> None:
    first = roll("FREQ=DAILY", date(2026, 1, 1), None, date(2026, 12, 1), [], limit=100)
    assert len(first.passed) == 100
    assert first.due == date(2026, 4, 11)
    assert first.start == date(2026, 4, 11)


def test_the_series_ends_with_its_last_occurrence() -> None:
    rolled = roll("FREQ=DAILY;UNTIL=20261210", date(2026, 12, 9), None, date(2026, 12, 20), [])
    assert [p.day.isoformat() for p in rolled.passed] == ["2026-12-09", "2026-12-10"]
    assert rolled.due is None


def test_a_first_occurrence_already_over_when_published_starts_at_todays() -> None:
    # "every Friday" read from a message dated the week before.
    assert first_on_or_after("FREQ=WEEKLY;BYDAY=FR", date(2026, 11, 27), date(2026, 12, 9)) == (
        date(2026, 12, 11)
    )
    assert first_on_or_after("FREQ=WEEKLY;BYDAY=FR", date(2026, 12, 11), date(2026, 12, 9)) == (
        date(2026, 12, 11)
    )


@pytest.mark.parametrize(
    ("due", "today", "offered"),
    [
        ("2026-11-27", "2026-12-09", "2026-12-11"),  # last week's Friday, on a Wednesday
        ("2026-12-04", "2026-12-11", "2026-12-18"),  # on a Friday: next week's, never today
        ("2026-12-07", "2026-12-08", "2026-12-14"),  # yesterday's Monday: next Monday
        ("2025-06-30", "2026-12-09", "2026-12-14"),  # long ago: its weekday, soon
    ],
)
def test_a_passed_date_is_offered_its_weekday_after_today(
    due: str, today: str, offered: str
) -> None:
    suggestion = new_day_for_passed(date.fromisoformat(due), date.fromisoformat(today))
    assert suggestion.isoformat() == offered
    assert suggestion.weekday() == date.fromisoformat(due).weekday()
