"""The days of a commitment: a recurring one's occurrences, and a new day for one already passed.

Pure functions on dates. A recurring commitment stores its rule as RRULE text
(``FREQ=WEEKLY;BYDAY=MO``, mailer/parsing/recurrence.py) and its current
occurrence as its due date; these step from one occurrence to the next, and
say which occurrences have passed by a given day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta
from dateutil.rrule import rrulestr

from mailer.parsing.recurrence import Rule, first_due, rrule_text

# Occurrences one roll settles at most: a daily commitment after a long
# outage is caught up over several rolls, each of a bounded size.
MAX_STEPS = 100

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# One period of a rule without days ("weekly", "3 times a week"): what its
# INTERVAL counts in. first_due counts a quarter ("quarterly") whole, and an
# hourly rule by the day.
_UNIT = {
    "DAILY": relativedelta(days=1),
    "WEEKLY": relativedelta(weeks=1),
    "MONTHLY": relativedelta(months=1),
    "YEARLY": relativedelta(years=1),
}


class UnusableRule(ValueError):
    """A stored recurrence that cannot be stepped through."""


def day_words(day: date) -> str:
    """A day as emails name an occurrence, in English whatever the locale.

    >>> day_words(date(2026, 12, 7))
    'Mon 7 Dec'
    """
    return f"{_DAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]}"


def day_in_words(day: date, today: date) -> str:
    """A date as people write it, in every email: "Fri 11 Dec", with the year when not this one's.

    >>> day_in_words(date(2026, 12, 11), date(2026, 12, 6))
    'Fri 11 Dec'
    >>> day_in_words(date(2027, 1, 8), date(2026, 12, 6))
    'Fri 8 Jan 2027'
    """
    shown = day_words(day)
    return shown if day.year == today.year else f"{shown} {day.year}"


def _parts(recurrence: str) -> dict[str, str]:
    parts = dict(part.split("=", 1) for part in recurrence.split(";") if "=" in part)
    if "FREQ" not in parts:
        raise UnusableRule(recurrence)
    return parts


def next_occurrence(recurrence: str, after: date) -> date | None:
    """The first occurrence strictly after ``after``; None once the rule's UNTIL is past.

    >>> next_occurrence("FREQ=WEEKLY;BYDAY=MO", date(2026, 12, 7))
    datetime.date(2026, 12, 14)
    >>> next_occurrence("FREQ=WEEKLY;INTERVAL=2;BYDAY=SU", date(2026, 12, 6))
    datetime.date(2026, 12, 20)
    >>> next_occurrence("FREQ=WEEKLY", date(2026, 12, 6))  # "3 times a week": each Sunday
    datetime.date(2026, 12, 13)
    >>> next_occurrence("FREQ=MONTHLY;INTERVAL=2", date(2027, 1, 31))
    datetime.date(2027, 3, 31)
    >>> next_occurrence("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;UNTIL=20261218", date(2026, 12, 18))
    """
    parts = _parts(recurrence)
    until = _until(parts.pop("UNTIL", None))
    freq, interval = parts["FREQ"], int(parts.get("INTERVAL", "1"))
    try:
        if set(parts) - {"FREQ", "INTERVAL"}:
            # The rule names its days: counted from ``after``, so that "every
            # other Friday" keeps its weeks.
            midnight = datetime.combine(after, time())
            found: Any = rrulestr(rrule_text(Rule(parts)), dtstart=midnight).after(midnight)
            day = found.date() if isinstance(found, datetime) else None
        else:
            # Due at the end of each period ("weekly": each Sunday), every
            # INTERVAL periods.
            unit = _UNIT.get(freq)
            if unit is None or (freq, interval) == ("MONTHLY", 3):
                unit, interval = relativedelta(), 1
            day = first_due(Rule(parts), after + timedelta(days=1) + unit * (interval - 1))
    except (ValueError, KeyError, TypeError) as exc:
        raise UnusableRule(recurrence) from exc
    if day is None or (until is not None and day > until):
        return None
    return day


def _until(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value[:8], "%Y%m%d").date()
    except ValueError as exc:
        raise UnusableRule(f"UNTIL={value}") from exc


def first_on_or_after(recurrence: str, due: date, day: date) -> date | None:
    """The occurrence current on ``day``: ``due``, or the first after it that is not over by then.

    >>> first_on_or_after("FREQ=WEEKLY;BYDAY=FR", date(2026, 11, 27), date(2026, 12, 6))
    datetime.date(2026, 12, 11)
    """
    current: date | None = due
    while current is not None and current < day:
        current = next_occurrence(recurrence, current)
    return current


@dataclass(frozen=True)
class Passed:
    """An occurrence whose day is over."""

    day: date
    kept: bool  # a partner said "on track" within its days


@dataclass(frozen=True)
class Roll:
    """What rolling a recurring commitment forward to a day finds."""

    passed: tuple[Passed, ...]  # the occurrences over by then, oldest first
    due: date | None  # the occurrence current then; None: the rule has no more
    start: date | None  # the day that occurrence began

    def due_after(self, index: int) -> date | None:
        """The due date once the ``index``-th passed occurrence is settled."""
        return self.passed[index + 1].day if index + 1 < len(self.passed) else self.due


def roll(
    recurrence: str,
    due: date,
    start: date | None,
    today: date,
    on_track_days: Sequence[date],
    *,
    limit: int = MAX_STEPS,
) -> Roll:
    """The occurrences from ``due`` on that are over by ``today``, and the one current then.

    An occurrence runs from ``start`` (None: since the commitment was made)
    to its day; the next one starts the day after. An on-track verdict given
    (in the member's zone) within those days keeps it. At most ``limit``
    occurrences are settled: what is left, the next roll settles.

    >>> r = roll("FREQ=WEEKLY;BYDAY=MO", date(2026, 12, 7), None, date(2026, 12, 21),
    ...          [date(2026, 12, 9)])
    >>> [(p.day.isoformat(), p.kept) for p in r.passed]
    [('2026-12-07', False), ('2026-12-14', True)]
    >>> r.due, r.start
    (datetime.date(2026, 12, 21), datetime.date(2026, 12, 15))
    """
    passed: list[Passed] = []
    current: date | None = due
    while current is not None and current < today and len(passed) < limit:
        kept = any((start is None or start <= said) and said <= current for said in on_track_days)
        passed.append(Passed(current, kept))
        start = current + timedelta(days=1)
        current = next_occurrence(recurrence, current)
    return Roll(tuple(passed), current, start)


def new_day_for_passed(due: date, today: date) -> date:
    """For a due date already passed: its weekday, the first one after today.

    >>> new_day_for_passed(date(2026, 11, 27), date(2026, 12, 6))  # a Friday, on a Sunday
    datetime.date(2026, 12, 11)
    >>> new_day_for_passed(date(2026, 11, 27), date(2026, 12, 4))  # on a Friday: next week's
    datetime.date(2026, 12, 11)
    """
    return today + timedelta(days=(due.weekday() - today.weekday() - 1) % 7 + 1)
