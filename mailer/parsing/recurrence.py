"""Recurrence read from one commitment line: its RRULE, its label and its first due day.

Our own rules read "every Monday", "3 times a week", "on Mondays", "weekly", ... in the
four languages of `datewords`; recurrent reads the rarer "every ..." phrases in English
("every first Monday of the month", "every January").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from typing import Any

from dateutil.rrule import rrulestr
from recurrent.event_parser import RecurringEvent

from mailer.parsing.datecalc import period_end
from mailer.parsing.daterules import day_at, workdays_at
from mailer.parsing.datewords import (
    ADVERBS,
    ALTERNATE,
    ANY_DAY,
    CLAUSE_BREAK,
    DAYPARTS,
    DETERMINERS,
    EVERY,
    EVERY_OTHER_AFTER,
    FILLERS,
    MONTHS,
    NUMBERS,
    ON_DAY,
    ORDINALS,
    PER,
    PERIODS,
    RANGE_TO,
    TIMES_COUNT,
    TIMES_WORDS,
    WEEKDAY_ABBR,
    WEEKDAYS,
    WEEKDAYS_PLURAL,
    WEEKS_IN_DAYS,
    Ctx,
)

# fmt: off
_FREQ_OF = {"day": "DAILY", "week": "WEEKLY", "fortnight": "WEEKLY", "month": "MONTHLY",
            "quarter": "MONTHLY", "year": "YEARLY", "hour": "HOURLY"}
_DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_ORDER = ("FREQ", "INTERVAL", "BYMONTH", "BYMONTHDAY", "BYDAY", "BYHOUR", "BYMINUTE", "UNTIL")
# fmt: on


@dataclass(frozen=True)
class Rule:
    """A recurrence: its RRULE parts, the words to show for it, and its first possible day."""

    parts: dict[str, str]  # RRULE name -> value, e.g. {"FREQ": "WEEKLY", "BYDAY": "MO"}
    label: str | None = None
    dtstart: date | None = None


def _weekly(days: tuple[int, ...], interval: int = 1, label: str | None = None) -> Rule:
    """A weekly rule on the given weekdays (0 = Monday)."""
    byday = ",".join(_DAY_CODES[d] for d in days)
    return Rule({"FREQ": "WEEKLY", "INTERVAL": str(interval), "BYDAY": byday}, label)


def _every_n(freq: str, interval: int = 1, label: str | None = None, **by: int) -> Rule:
    """A rule repeating every `interval` units, with optional BY parts (bymonthday=15)."""
    parts = {"FREQ": freq, "INTERVAL": str(interval)}
    return Rule(parts | {key.upper(): str(value) for key, value in by.items()}, label)


def _weekday_list(c: Ctx, i: int, names: dict[str, int]) -> tuple[tuple[int, ...], int]:
    """Weekdays named from token i on ("Monday, Wednesday and Friday") and the index after."""
    days: list[int] = []
    k = i
    while (day := names.get(c.word(k))) is not None or (
        days and c.word(k) in {"and", "und", "et", "y", "or"} and c.word(k + 1) in names
    ):
        if day is not None and day not in days:
            days.append(day)
        k += 1
    return tuple(sorted(days)), k


def _count_at(c: Ctx, k: int) -> int | None:
    """A count ("2", "two") at token k."""
    if c.toks[k : k + 1] and c.toks[k].kind == "number" and c.word(k).isdigit():
        return int(c.word(k))
    return NUMBERS.get(c.word(k)) if c.word(k) not in {"a", "an"} else None


def _every(c: Ctx, i: int) -> Rule | None:
    """Every Monday, each morning, every other Friday, every 2 weeks, jeden Tag, cada lunes."""
    k = c.seq(i, ("tous", "les")) or c.seq(i, ("toutes", "les")) or c.seq(i, ("todos", "los"))
    k = k or c.seq(i, ("todas", "las")) or (i + 1 if c.word(i) in EVERY else None)
    if k is None:
        return None
    interval = 1
    if c.word(k) in ALTERNATE:
        interval, k = 2, k + 1
    elif weeks := next((n for w, n in WEEKS_IN_DAYS.items() if c.seq(k, w)), None):
        return _every_n("WEEKLY", weeks)  # "tous les quinze jours" is every other week
    elif (count := _count_at(c, k)) is not None and 1 < count < 100:
        interval, k = count, k + 1
    days, _ = _weekday_list(c, k, {**WEEKDAYS, **WEEKDAY_ABBR, **WEEKDAYS_PLURAL})
    word, unit = c.word(k), PERIODS.get(c.word(k), "")
    if rule := _day_range(c, k):
        return rule
    if days:
        return _weekly(days, interval)
    if workdays_at(c, k):
        return _weekly((0, 1, 2, 3, 4), interval, "every weekday")
    if unit == "weekend":
        return _weekly((5, 6), interval, "every weekend")
    if word in DAYPARTS and interval == 1:
        return _every_n("DAILY", label=f"every {DAYPARTS[word]}")
    if unit in _FREQ_OF:
        return _every_unit(c, i, k + 1, unit, interval)
    if (day := day_at(c, k)) and c.word(k)[-2:] in {"st", "nd", "rd", "th"}:
        return _every_n("MONTHLY", interval, bymonthday=day)
    return None


def _on_day(c: Ctx, k: int, freq: str, interval: int) -> Rule | None:
    """The day said after a weekly or monthly rule: on Monday, am 15., le lundi, el 1."""
    if c.word(k) not in ON_DAY:
        return None
    on = c.skip(k + 1, FILLERS)
    days, _ = _weekday_list(c, on, {**WEEKDAYS, **WEEKDAY_ABBR, **WEEKDAYS_PLURAL})
    if freq == "WEEKLY" and days:
        return _weekly(days, interval)
    if freq == "MONTHLY" and (day := day_at(c, on)):
        return _every_n(freq, interval, bymonthday=day)
    return None


def _every_unit(c: Ctx, i: int, k: int, unit: str, interval: int) -> Rule:
    """Every week (on Monday), every month (on the 15th), every quarter, from "every" at i."""
    freq = _FREQ_OF[unit]
    interval *= 3 if unit == "quarter" else 2 if unit == "fortnight" else 1
    if rule := _on_day(c, k, freq, interval):
        return rule
    before = i - 2 if c.word(i - 1) in {"of", "de"} else i - 1
    if freq == "MONTHLY" and (day := day_at(c, before)):
        # "the 1st of every month", "el 2 de cada mes", "am 15. jedes Monats"
        return _every_n(freq, interval, bymonthday=day)
    return _every_n(freq, interval, "quarterly" if unit == "quarter" and interval == 3 else None)


def _times_count(c: Ctx, i: int) -> tuple[int, int] | None:
    """A count of times at token i ("twice", "3x", "three times", "dreimal") and the index after."""
    word = c.word(i)
    if word in TIMES_COUNT:
        return TIMES_COUNT[word], i + 1
    if word.endswith("x") and word[:-1].isdigit():
        return int(word[:-1]), i + 1
    count = _count_at(c, i)
    if count is not None and c.word(i + 1) in TIMES_WORDS:
        return count, i + 2
    return None


def _times_per(c: Ctx, i: int) -> Rule | None:
    """Three times a week, 3x a week, twice monthly, dreimal pro Woche, 2 fois par semaine."""
    counted = _times_count(c, i)
    if counted is None or not 0 < counted[0] < 100:
        return None
    count, k = counted
    if c.word(k) in ADVERBS:  # "twice weekly"
        freq, interval, _ = ADVERBS[c.word(k)]
        unit = {"DAILY": "day", "WEEKLY": "week", "MONTHLY": "month"}.get(freq, "year")
    else:
        unit = PERIODS.get(c.word(c.skip(k, PER)), "")
        freq, interval = _FREQ_OF.get(unit, ""), 1
    if not freq or unit in {"hour", "quarter", "fortnight"} or interval != 1:
        return None
    times = freq.lower() if count == 1 else "twice" if count == 2 else f"{count} times"
    return _every_n(freq, label=times if count == 1 else f"{times} a {unit}")


def _adverb(c: Ctx, i: int, has_deadline: bool) -> Rule | None:
    """Daily, weekly (on Monday), monthly, ... unless an adjective ("the weekly report")."""
    if c.word(i) not in ADVERBS or c.word(i - 1) in DETERMINERS:
        return None
    if i == 0 and len(c.toks) > 1 and has_deadline:
        return None  # "Weekly report by Friday" is one report
    freq, interval, label = ADVERBS[c.word(i)]
    return _on_day(c, i + 1, freq, interval) or _every_n(freq, interval, label)


def _plural_days(c: Ctx, i: int) -> Rule | None:
    """On Mondays, Mondays and Thursdays, montags, los lunes, on weekdays, an Werktagen."""
    word = c.word(i)
    workdays = workdays_at(c, i)
    if workdays and workdays[1] and not _after_count(c, i):
        return _weekly((0, 1, 2, 3, 4), label="every weekday")
    if word in {"los", "las"} and c.word(i + 1) in ANY_DAY:
        i += 1
    elif word not in WEEKDAYS_PLURAL:
        return None
    return _weekly(_weekday_list(c, i, ANY_DAY)[0])


def _after_count(c: Ctx, i: int) -> bool:
    """Whether a count comes before token i: "3 business days" is a span, not every weekday."""
    k = i - 2 if c.word(i - 1) == "of" else i - 1
    return k >= 0 and (_count_at(c, k) is not None or c.word(k) == "several")


def _day_range(c: Ctx, i: int) -> Rule | None:
    """Monday to Friday, Mon-Fri, montags bis freitags, du lundi au vendredi, de lunes a viernes."""
    names = {**ANY_DAY, **WEEKDAY_ABBR}
    first = names.get(c.word(i))
    if first is None or c.word(i - 1) == "from":
        return None  # "move it from Monday to Friday" is no range
    hyphen = c.gap(i + 1).strip() in {"-", "\u2013"}  # Mon-Fri
    last = names.get(c.word(i + 2 if c.word(i + 1) in RANGE_TO else i + 1 if hyphen else -1))
    if last is None or last == first:
        return None
    days = tuple(sorted((first + n) % 7 for n in range((last - first) % 7 + 1)))
    return _weekly(days, label="every weekday" if days == (0, 1, 2, 3, 4) else None)


def _alternate(c: Ctx, i: int) -> Rule | None:
    """Every other said after: un vendredi sur deux, une semaine sur deux, viernes por medio."""
    days, k = _weekday_list(c, i, ANY_DAY)
    unit = PERIODS.get(c.word(i), "")
    if not days and unit not in {"day", "week", "month"}:
        return None
    after = k if days else i + 1
    if not any(c.seq(after, words) is not None for words in EVERY_OTHER_AFTER):
        return None
    return _weekly(days, 2) if days else _every_n(_FREQ_OF[unit], 2)


def _from_recurrent(c: Ctx) -> Rule | None:
    """Rarer "every ..." phrases (every first Monday, every January) read by recurrent."""
    for i, tok in enumerate(c.toks):
        nxt = c.word(i + 1)
        if tok.text not in {"every", "each"} or not (
            nxt in ORDINALS or nxt in MONTHS or nxt in WEEKDAYS or nxt in PERIODS or nxt == "last"
        ):
            continue
        end = i + 1
        while end < len(c.toks) and not CLAUSE_BREAK.search(c.gap(end)) and c.word(end) != "by":
            end += 1
        event = RecurringEvent(now_date=datetime.combine(c.today, time()))
        parsed: Any = event.parse(c.raw[tok.start : c.toks[end - 1].end])
        if isinstance(parsed, str) and "RRULE:" in parsed:
            return _rule_from_rrule(parsed)
    return None


def _rule_from_rrule(text: str) -> Rule | None:
    """A rule from recurrent's "DTSTART:...\\nRRULE:K=V;..." text."""
    parts: dict[str, str] = {}
    dtstart = None
    for line in text.splitlines():
        if line.startswith("DTSTART:"):
            dtstart = datetime.strptime(line[8:16], "%Y%m%d").date()
        elif line.startswith("RRULE:"):
            parts |= dict(p.split("=", 1) for p in line[6:].split(";") if "=" in p)
    return Rule(parts, dtstart=dtstart) if "FREQ" in parts else None


_FINDERS: tuple[Callable[[Ctx, int], Rule | None], ...] = (
    _every, _alternate, _day_range, _times_per, _plural_days,
)  # fmt: skip


def find_rule(c: Ctx, has_deadline: bool) -> Rule | None:
    """The first recurrence the line states, an adverb ("weekly") only when nothing else is."""
    for i in range(len(c.toks)):
        for finder in _FINDERS:
            if rule := finder(c, i):
                return rule
    # An adverb says the least: "Weekly 1:1 prep every Monday" is every Monday.
    for i in range(len(c.toks)):
        if rule := _adverb(c, i, has_deadline):
            return rule
    return _from_recurrent(c)


def rrule_text(rule: Rule) -> str:
    """The RFC 5545 RRULE text of a rule, in a fixed order, without the default INTERVAL=1."""
    parts = {k: v for k, v in rule.parts.items() if (k, v) != ("INTERVAL", "1")}
    names = [k for k in _ORDER if k in parts] + sorted(k for k in parts if k not in _ORDER)
    return ";".join(f"{name}={parts[name]}" for name in names)


def _day_label(code: str) -> str | None:
    """Monday for MO, the first Monday for 1MO, the last Friday for -1FR."""
    found = re.fullmatch(r"(-1|[1-4])?(MO|TU|WE|TH|FR|SA|SU)", code)
    if found is None:
        return None
    name = _DAY_NAMES[_DAY_CODES.index(found.group(2))]
    nth = {"-1": "last", "1": "first", "2": "second", "3": "third", "4": "fourth"}
    return f"the {nth[found.group(1)]} {name}" if found.group(1) else name


def _join(names: list[str]) -> str:
    """Monday; Monday and Friday; Monday, Wednesday and Friday."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def rule_label(rule: Rule) -> str:
    """Human words for a rule, as the confirmation shows them ("every other Friday")."""
    if rule.label:
        return rule.label
    freq, interval = rule.parts["FREQ"], int(rule.parts.get("INTERVAL", "1"))
    days = [_day_label(code) for code in rule.parts.get("BYDAY", "").split(",") if code]
    named = _join([d for d in days if d]) if days and None not in days else ""
    monthday = rule.parts.get("BYMONTHDAY", "")
    every = "every" if interval == 1 else "every other" if interval == 2 else ""
    if set(rule.parts) - {"FREQ", "INTERVAL", "UNTIL", "BYDAY", "BYMONTHDAY"} or (
        days and not named
    ):
        return "recurring"
    if named and freq == "WEEKLY" and not monthday:
        return f"{every} {named}" if every else f"every {interval} weeks on {named}"
    if freq == "MONTHLY" and interval == 1 and bool(named) != monthday.isdigit():
        return f"monthly on {named}" if named else f"monthly on the {_ordinal(int(monthday))}"
    unit = {"DAILY": "day", "WEEKLY": "week", "MONTHLY": "month", "YEARLY": "year"}.get(freq)
    if unit is None or named or monthday:
        return "recurring"
    if interval == 1:
        return freq.lower()
    return f"{every} {unit}" if every else f"every {interval} {unit}s"


def _ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 15th, 22nd."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def first_due(rule: Rule, today: date) -> date | None:
    """The next occurrence, or the end of the current period for a rule without a day."""
    start = max(today, rule.dtstart or today)
    until = (
        datetime.strptime(rule.parts["UNTIL"][:8], "%Y%m%d").date()
        if "UNTIL" in rule.parts
        else None
    )
    if not set(rule.parts) - {"FREQ", "INTERVAL", "UNTIL"}:
        freq, interval = rule.parts["FREQ"], rule.parts.get("INTERVAL", "1")
        # A week counts whole, to its Sunday: "3 times a week" can still be done on the weekend.
        period = {"WEEKLY": "weekend", "MONTHLY": "quarter" if interval == "3" else "month",
                  "YEARLY": "year"}.get(freq, "day")  # fmt: skip
        due: date | None = period_end(period, start)
    else:
        midnight = datetime.combine(start, time())
        # The first occurrence is the next matching day: "every other Friday" said on a
        # Sunday is due this Friday, not in twelve days. The interval spaces the later ones.
        parts = {k: v for k, v in rule.parts.items() if k not in {"UNTIL", "INTERVAL"}}
        plain = rrule_text(replace(rule, parts=parts))
        found: Any = rrulestr(plain, dtstart=midnight).after(midnight, inc=True)
        due = found.date() if isinstance(found, datetime) else None
    return min(due, until) if due and until else due
