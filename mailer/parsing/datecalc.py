"""Calendar arithmetic for due dates: ends and starts of periods, next occurrences."""

from __future__ import annotations

from calendar import monthrange
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta


def month_end(year: int, month: int) -> date:
    """The last day of a month."""
    return date(year, month, monthrange(year, month)[1])


def week_end(day: date) -> date:
    """The Friday of the day's week, or its Sunday once that Friday has passed."""
    friday = day + timedelta(days=4 - day.weekday())
    return friday if day <= friday else day + timedelta(days=6 - day.weekday())


def period_end(period: str, day: date) -> date:
    """The last day of the period (week, month, ...) that contains `day`."""
    if period == "week":
        return week_end(day)
    if period == "weekend":
        return day + timedelta(days=6 - day.weekday())
    if period == "month":
        return month_end(day.year, day.month)
    if period == "quarter":
        return month_end(day.year, (day.month - 1) // 3 * 3 + 3)
    if period == "year":
        return date(day.year, 12, 31)
    return day


def period_start(period: str, end: date) -> date:
    """The first day of the period (week, month, ...) that ends on `end`."""
    if period in {"week", "weekend"}:
        return end - timedelta(days=end.weekday())
    if period == "quarter":
        return date(end.year, end.month - 2, 1)
    return date(end.year, 1, 1) if period == "year" else end.replace(day=1)


def next_period_end(period: str, today: date) -> date:
    """The last day of the period after the current one."""
    step = {"week": relativedelta(weeks=1, weekday=0), "weekend": relativedelta(weeks=1),
            "month": relativedelta(months=1), "quarter": relativedelta(months=3),
            "year": relativedelta(years=1)}.get(period, relativedelta(days=1))  # fmt: skip
    if period == "week":  # from next Monday, so a Saturday's "next week" skips nothing
        return week_end(today + timedelta(days=7 - today.weekday()))
    return period_end(period, today + step)


def upcoming(today: date, month: int, day: int) -> date | None:
    """The next month/day on or after today (None if it never exists, like 02/30)."""
    for year in range(today.year, today.year + 9):  # Feb 29 may be years away
        if 1 <= day <= monthrange(year, month)[1] and date(year, month, day) >= today:
            return date(year, month, day)
    return None


def weekday_from(today: date, weekday: int, strictly_after: bool) -> date:
    """The next given weekday, today included unless `strictly_after`."""
    ahead = (weekday - today.weekday()) % 7
    return today + timedelta(days=7 if strictly_after and ahead == 0 else ahead)


def safe_date(year: int, month: int, day: int) -> date | None:
    """A date, or None when the numbers do not make one."""
    try:
        return date(year, month, day)
    except ValueError:
        return None


def add_workdays(day: date, count: int) -> date:
    """The day `count` working days (Monday to Friday) after `day`."""
    while count > 0:
        day += timedelta(days=1)
        count -= day.weekday() < 5
    return day
