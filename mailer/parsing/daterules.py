"""The date grammar: each rule reads a date starting at one token of a line.

A rule takes (context, index, anchor strength) and returns a hit, the day and the index
after the date, or None. The strength says which dates the anchor before the token
allows; see `datewords` for the anchors and their strengths.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import NamedTuple

from dateutil.relativedelta import relativedelta

from mailer.parsing.datecalc import (
    add_workdays,
    month_end,
    next_period_end,
    period_end,
    period_start,
    safe_date,
    upcoming,
    weekday_from,
)
from mailer.parsing.datewords import (
    ARTICLES,
    BARE,
    DAYPART_MARKERS,
    DAYPARTS,
    END,
    EOD,
    FILLERS,
    IN,
    IN_MONTH,
    MONTHS,
    NEXT,
    NUMBERS,
    ORDINALS,
    PERCENT,
    PERIODS,
    RELATIVE,
    SINGLE_END,
    STRONG,
    THIS,
    WEAK,
    WEEKDAY_ABBR,
    WEEKDAYS,
    WEEKS_IN_DAYS,
    WORKDAYS,
    Ctx,
    word_set,
)

# Languages whose quarters may be written T1 (trimestre); an English line has none.
_T_LANGS = {None, "fr", "es"}


class Hit(NamedTuple):
    """A date a rule read: the day and the index of the token after it."""

    day: date
    next: int
    first: date | None = None  # a period's first day: "starting next week" is its Monday


def _number(text: str) -> int | None:
    """The value of a numeric token with an optional ordinal suffix ("15th", "15.")."""
    digits = re.match(r"\d+", text)
    return int(digits.group()) if digits else None


def _year_at(c: Ctx, i: int) -> int | None:
    """A four-digit year at token i, directly after a space or a comma."""
    if c.toks[i : i + 1] and c.toks[i].kind == "number" and c.gap(i).strip() in {"", ","}:
        value = _number(c.toks[i].text)
        if value is not None and 1900 < value < 2200 and len(str(value)) == 4:
            return value
    return None


def day_at(c: Ctx, i: int) -> int | None:
    """A day of the month (1-31) at token i, unless it is a share ("el 15%")."""
    if not c.toks[i : i + 1] or c.toks[i].kind != "number" or c.toks[i].text.endswith("x"):
        return None
    if c.line[c.toks[i].end :].lstrip().startswith("%") or any(
        c.seq(i + 1, words) for words in PERCENT
    ):
        return None
    value = _number(c.toks[i].text)
    return value if value is not None and 1 <= value <= 31 else None


def _dated(c: Ctx, month: int, day: int, year: int | None, nxt: int) -> Hit | None:
    """A hit for month/day in the given year or, without one, its next occurrence."""
    found = safe_date(year, month, day) if year else upcoming(c.today, month, day)
    return Hit(found, nxt) if found else None


def _iso(c: Ctx, i: int, strength: str) -> Hit | None:
    """2026-12-15."""
    if c.toks[i].kind != "iso":
        return None
    year, month, day = (int(part) for part in c.toks[i].text.split("-"))
    found = safe_date(year, month, day)
    return Hit(found, i + 1) if found else None


def _numeric(c: Ctx, i: int, strength: str) -> Hit | None:
    """12/15, 12/15/2026, 15/12 (day first when the first cannot be a month), 15.12."""
    tok = c.toks[i]
    if tok.kind != "num" or strength == IN_MONTH:
        return None
    sep = "/" if "/" in tok.text else "."
    parts = [int(p) for p in tok.text.rstrip(".").split(sep)]
    if sep == "." and len(parts) == 2 and not tok.text.endswith("."):
        return None  # "10.5 km" is a number; a dotted date without year ends in a dot
    first, second = parts[0], parts[1]
    month_first = sep == "/" and c.lang in (None, "en") and first <= 12
    month, day = (first, second) if month_first or second > 12 else (second, first)
    year = None if len(parts) < 3 else parts[2] + (2000 if parts[2] < 100 else 0)
    return _dated(c, month, day, year, i + 1) if 1 <= month <= 12 else None


def _month_day(c: Ctx, i: int, strength: str) -> Hit | None:
    """Dec 15, December 15th, Dec 15, 2026."""
    month, day = MONTHS.get(c.word(i)), day_at(c, i + 1)
    if month is None or day is None or strength == IN_MONTH:
        return None
    if strength == BARE and c.word(i) in {"may", "march"} and c.raw[c.toks[i].start].islower():
        return None  # "I may 2x it" is no date; "May 2" is
    year = _year_at(c, i + 2)
    return _dated(c, month, day, year, i + (3 if year else 2))


def _day_month(c: Ctx, i: int, strength: str) -> Hit | None:
    """15 December, 15th of December, 15. Dezember, 15 de diciembre."""
    day = day_at(c, i)
    k = c.skip(i + 1, frozenset({"of", "de"}))
    month = MONTHS.get(c.word(k))
    if day is None or month is None or strength == IN_MONTH:
        return None
    year = _year_at(c, k + 1)
    return _dated(c, month, day, year, k + (2 if year else 1))


def _ordinal_day(c: Ctx, i: int, strength: str) -> Hit | None:
    """The 15th, le 15, el 15, zum 15.: the next such day of a month."""
    day, text = day_at(c, i), c.word(i)
    ordinal = text[-2:] in {"st", "nd", "rd", "th", "er"} or text.endswith(".")
    if day is None or strength not in (WEAK, STRONG):
        return None
    if not ordinal and (c.word(i - 1) not in ARTICLES or c.word(i + 1) in PERIODS):
        return None
    start = c.today.replace(day=1)
    for months in range(13):
        first = start + relativedelta(months=months)
        found = safe_date(first.year, first.month, day)
        if found and found >= c.today:
            return Hit(found, i + 1)
    return None


def _weekday_name(c: Ctx, i: int) -> int | None:
    """The weekday named at token i (English abbreviations only in English)."""
    word = c.word(i)
    if c.lang in (None, "en") and word in WEEKDAY_ABBR:
        return WEEKDAY_ABBR[word]
    return WEEKDAYS.get(word)


def _weekday(c: Ctx, i: int, strength: str) -> Hit | None:
    """Friday, this Friday, next Friday, Friday next week, vendredi prochain, martes que viene."""
    modifier = c.word(i) if c.word(i) in THIS | NEXT else ""
    k = i + 1 if modifier else i
    weekday = _weekday_name(c, k)
    # "que viene" (that comes) is Spanish for "next" after the day
    after = c.seq(k + 1, ("que", "viene")) or (k + 2 if c.word(k + 1) in NEXT else None)
    if weekday is None or strength == IN_MONTH or (strength == BARE and not modifier and not after):
        return None
    if not modifier and not after:
        # "by Mon 14 Dec", "by Friday, December 11": the date written beside
        # the weekday is the day meant (our digests write dates this way).
        for dated in (_day_month, _month_day, _numeric, _iso):
            if k + 1 < len(c.toks) and (hit := dated(c, k + 1, strength)):
                return hit
    if after and PERIODS.get(c.word(after)) == "week":
        monday = c.today + timedelta(days=7 - c.today.weekday())
        return Hit(monday + timedelta(days=weekday), after + 1)
    return Hit(weekday_from(c.today, weekday, modifier in NEXT or bool(after)), after or k + 1)


def _relative(c: Ctx, i: int, strength: str) -> Hit | None:
    """Today, tonight, tomorrow, demain, morgen, übermorgen, mañana, pasado mañana, ..."""
    if strength == IN_MONTH:
        return None
    for words, days in RELATIVE:
        k = c.seq(i, words)
        if k is not None and not (words[0] in DAYPARTS and c.word(i - 1) in DAYPART_MARKERS):
            return Hit(c.today + timedelta(days=days), k)
    return None


def _end_of(c: Ctx, i: int, strength: str) -> Hit | None:
    """EOM, end of (the/this/next) month, Ende des Monats, fin de mes, month end, end of Q1."""
    word = c.word(i)
    if word in SINGLE_END:
        return Hit(period_end(SINGLE_END[word], c.today), i + 1)
    if PERIODS.get(word) in {"week", "month", "quarter", "year"} and c.word(i + 1) in END:
        return Hit(period_end(PERIODS[word], c.today), i + 2)
    if word not in END:
        return None
    k = c.skip(i + 1, FILLERS)
    nxt = c.word(k) in NEXT
    k = c.skip(k + 1, FILLERS) if c.word(k) in THIS | NEXT else k
    period = PERIODS.get(c.word(k))
    if period and period not in {"hour", "fortnight"}:
        nxt = nxt or c.word(k + 1) in NEXT
        if word == "fin" and c.word(k) == "semana" and c.word(k - 1) == "de" and not nxt:
            period = "weekend"  # Spanish "fin de semana" is the weekend
        end = next_period_end(period, c.today) if nxt else period_end(period, c.today)
        return Hit(end, k + (2 if c.word(k + 1) in NEXT else 1))
    return _quarter(c, k, STRONG) or _month_only(c, k, STRONG) or _year_only(c, k, STRONG)


def _this_next(c: Ctx, i: int, strength: str) -> Hit | None:
    """This week, next month, la semaine prochaine, la próxima semana, el mes que viene."""
    word = c.word(i)
    k = i + 1 if word in THIS | NEXT else i
    period = PERIODS.get(c.word(k))
    if period is None or period in {"hour", "fortnight", "day"} or strength == IN_MONTH:
        return None
    after = c.seq(k + 1, ("que", "viene"))
    nxt = word in NEXT or c.word(k + 1) in NEXT or after is not None
    if not nxt and word not in THIS and (period != "weekend" or strength == BARE):
        return None
    end = next_period_end(period, c.today) if nxt else period_end(period, c.today)
    return Hit(end, after or (k + 2 if c.word(k + 1) in NEXT else k + 1), period_start(period, end))


def workdays_at(c: Ctx, k: int) -> tuple[int, bool] | None:
    """(index after, plural) of words for working days at token k ("business days", "werktags")."""
    for words, plural in WORKDAYS.items():
        if (after := c.seq(k, words)) is not None:
            return after, plural
    return None


def _span(c: Ctx, k: int) -> Hit | None:
    """The day a count and unit after now ("2 weeks", "3 business days", "quinze jours")."""
    for words, weeks in WEEKS_IN_DAYS.items():
        if (after := c.seq(k, words)) is not None:
            return Hit(c.today + timedelta(weeks=weeks), after)
    count = NUMBERS.get(c.word(k))
    if count is None and c.toks[k : k + 1] and c.toks[k].kind == "number":
        count = _number(c.word(k))
    if c.word(k) == "a" and c.word(k + 1) in {"couple", "few"}:
        count, k = NUMBERS[c.word(k + 1)], k + 1
    if count is None or not 0 < count < 1000:
        return None
    k = c.skip(k + 1, frozenset({"of"}))
    if workdays := workdays_at(c, k):
        return Hit(add_workdays(c.today, count), workdays[0])
    unit = PERIODS.get(c.word(k))
    if unit is None or unit == "weekend":
        return None
    sizes = {"day": relativedelta(days=count), "week": relativedelta(weeks=count),
             "fortnight": relativedelta(weeks=2 * count), "month": relativedelta(months=count),
             "quarter": relativedelta(months=3 * count), "year": relativedelta(years=count),
             "hour": relativedelta(hours=count)}  # fmt: skip
    return Hit((c.now + sizes[unit]).date(), k + 1)


def _in_span(c: Ctx, i: int, strength: str) -> Hit | None:
    """In 2 weeks, within a month, in zwei Wochen, dans 3 jours, en 2 semanas, 2 weeks from now."""
    if c.word(i) in IN:
        return _span(c, c.skip(i + 1, FILLERS | NEXT | word_set("proximos prochains")))
    span = _span(c, i)
    if span and c.word(span.next) == "from" and c.word(span.next + 1) in {"now", "today"}:
        return Hit(span.day, span.next + 2)
    return None


def _is_quarter(c: Ctx, i: int) -> bool:
    """Q1 at token i, or T1 where it is French or Spanish (in English T1 is a phone line)."""
    tok = c.toks[i : i + 1]
    return bool(tok) and tok[0].kind == "quarter" and (tok[0].text[0] == "q" or c.lang in _T_LANGS)


def _quarter(c: Ctx, i: int, strength: str) -> Hit | None:
    """By Q1, in Q1 2027, 2027 Q1, Q1 '27, first quarter (of 2027), d'ici le T1, im 1. Quartal."""
    if strength not in (STRONG, IN_MONTH):
        return None  # a period named without a deadline word: "Q1 planning"
    year = _year_at(c, i) if _is_quarter(c, i + 1) else None
    k = i + 1 if year else i
    if _is_quarter(c, k):
        quarter, nxt = int(c.word(k)[1]), k + 1
    elif c.word(k) in ORDINALS and PERIODS.get(c.word(k + 1)) == "quarter":
        quarter, nxt = ORDINALS[c.word(k)], k + 2
    else:
        return None
    later = _year_at(c, c.skip(nxt, frozenset({"of"})))
    short = _number(c.word(nxt)) if c.word(nxt).isdigit() and len(c.word(nxt)) == 2 else None
    if later:
        year, nxt = later, c.skip(nxt, frozenset({"of"})) + 1
    elif short is not None and 0 <= short - c.today.year % 100 <= 10:
        year, nxt = 2000 + short, nxt + 1
    end = month_end(year or c.today.year, quarter * 3)
    if year is None and end < c.today:
        end = month_end(c.today.year + 1, quarter * 3)
    return Hit(end, nxt, date(end.year, end.month - 2, 1))


def _month_only(c: Ctx, i: int, strength: str) -> Hit | None:
    """By March, in December 2027: the month's last day."""
    month = MONTHS.get(c.word(i))
    if month is None or strength not in (STRONG, IN_MONTH):
        return None
    year = _year_at(c, i + 1)
    if year is None:
        year = c.today.year + (month < c.today.month)
    return Hit(month_end(year, month), i + (2 if _year_at(c, i + 1) else 1), date(year, month, 1))


def _year_only(c: Ctx, i: int, strength: str) -> Hit | None:
    """By 2027: its last day."""
    year = _year_at(c, i) if strength in (STRONG, IN_MONTH) else None
    if year is None or not c.today.year <= year <= c.today.year + 50:
        return None
    return Hit(date(year, 12, 31), i + 1)


_RULES: tuple[Callable[[Ctx, int, str], Hit | None], ...] = (
    _iso, _numeric, _month_day, _day_month, _ordinal_day, _weekday, _relative, _end_of,
    _this_next, _in_span, _quarter, _month_only, _year_only,
)  # fmt: skip


def _clock_day(c: Ctx, text: str) -> date | None:
    """Today for a clock time still ahead, tomorrow for one already past."""
    found = re.match(r"(\d+)(?::(\d+))?\s*(?:h(\d+)?)?\s*([ap])?", text)
    if found is None:
        return None
    hour, minute = int(found.group(1)), int(found.group(2) or found.group(3) or 0)
    if found.group(4):
        hour = hour % 12 + (12 if found.group(4) == "p" else 0)
    if hour > 23 or minute > 59:
        return None
    return c.today + timedelta(days=(hour, minute) <= (c.now.hour, c.now.minute))


def _clock(c: Ctx, i: int, strength: str) -> Hit | None:
    """A time of day or EOD, maybe before a date ("5pm Friday", "EOD tomorrow")."""
    eod = next((k for words in EOD if (k := c.seq(i, words)) is not None), None)
    is_clock = c.toks[i].kind == "clock" and strength in (WEAK, STRONG)
    if eod is None and not is_clock:
        return None
    k = eod if eod is not None else i + 1
    after = c.skip(k, frozenset({"on", "at", "am", "le", "el", "this"}))
    for rule in _RULES:
        if after < len(c.toks) and (hit := rule(c, after, STRONG if strength == STRONG else WEAK)):
            return hit
    day = _clock_day(c, c.word(i)) if is_clock else c.today
    return Hit(day, k) if day else None


def parse_at(c: Ctx, i: int, strength: str) -> Hit | None:
    """A date starting at token i under the given anchor strength."""
    if strength in (WEAK, STRONG, IN_MONTH):
        i = c.skip(i, FILLERS)
    if i >= len(c.toks):
        return None
    for rule in (_clock, *_RULES):
        if hit := rule(c, i, strength):
            return hit
    return None
