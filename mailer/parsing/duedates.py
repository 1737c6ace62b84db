"""Due dates and recurrence read from one commitment line.

Dates are only read where our own anchors say a deadline is meant ("by", "until",
"bis", "d'ici", "antes de", ...) or from phrases that cannot mean anything else
("tomorrow", "end of month", "in 2 weeks", "Q1", "Dec 15", ISO dates): searching
all text for dates finds far too many false ones. Our own grammar runs first;
dateparser (always with ``languages=``) reads what follows a strong anchor when
the grammar does not, and recurrent reads the rarer "every ..." phrases.

This module finds the anchors and puts the readings together; `datewords` holds the
word tables and the tokenizer, `daterules` the date grammar (on top of `datecalc`, the
calendar arithmetic) and `recurrence` the reading of recurrences.

Decisions, all relative to "today" = the Date header's instant in the member's zone:
- A weekday ("by Friday", "this Friday") is its next occurrence *including today*;
  "next Friday" is the first one strictly after today. A weekday needs an anchor or
  a "this"/"next" ("Friday drinks" is no date); Spanish "el viernes" has one in "el".
- German "morgen" and Spanish "mañana" are tomorrow, unless a word before them makes
  them the morning ("jeden Morgen", "por la mañana").
- The end of a week is its Friday, or its Sunday once Friday has passed;
  "next week" is the Friday of next week; a weekend ends on Sunday.
- "the 15th", "Dec 15" and "by March" are their next occurrence, today included;
  a month alone means its last day; a quarter "by Q1" the last day of the next Q1
  that has not ended. A named period (a quarter, a month, a year) is a due date only
  after a deadline word ("by", "before", "until", "due", "in", "end of", "bis", "im",
  "d'ici", "avant", "au", "antes de", "en", ...): "Q1 planning" and "priorities for
  Q1" have none. Neither has "plan for next week": after "for" a period is the subject.
  Numeric dates are month/day in English ("12/15") unless the first number cannot be a
  month, and day/month otherwise ("15.12.").
- A clock time alone ("by 5pm") is today, or tomorrow once that time has passed.
- An explicit year is kept as written even when past, so the member sees the typo.
- A recurrence is an RFC 5545 RRULE without the default ``INTERVAL=1``. "N times a
  week" has no exact RRULE: it is ``FREQ=WEEKLY`` with the label "3 times a week".
  A recurring commitment is due on its next occurrence; a rule without a day
  ("weekly", "3 times a week", "monthly") is due at the end of the current period
  (Sunday, last day of the month, ...) unless the line names a day ("weekly report
  on Monday"). The first occurrence of "every other Friday" is the next Friday; the
  interval spaces the later ones. "until <date>" becomes ``UNTIL`` and
  "starting <date>" moves the first occurrence; dates after "since"/"last" and before
  "pasado"/"dernier" are past.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date, datetime, time, tzinfo
from typing import Any, NamedTuple

import dateparser
from dateutil.relativedelta import relativedelta

from mailer.parsing.daterules import Hit, parse_at
from mailer.parsing.datewords import (
    ANCHORS,
    ANY_DAY,
    BARE,
    CLAUSE_BREAK,
    FILLERS,
    NUMBERS,
    PAST,
    PAST_AFTER,
    RANGE_TO,
    SCOPE,
    START,
    STRONG,
    WEEKDAY_ABBR,
    Ctx,
    Tok,
    fold,
    tokens,
)
from mailer.parsing.recurrence import find_rule, first_due, rrule_text, rule_label

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DueReading:
    """What one commitment line says about when it is due."""

    text: str
    due: date | None
    recurrence: str | None
    recurrence_label: str | None


# fmt: off
_DP_SETTINGS = {"PREFER_DATES_FROM": "future", "PREFER_DAY_OF_MONTH": "last",
                "RETURN_AS_TIMEZONE_AWARE": False, "PARSERS": ["relative-time", "absolute-time"]}
# fmt: on
_MAX_CHARS = 1000


# ---- finding the due date in a line ---------------------------------------------------


class _Found(NamedTuple):
    rank: int  # 0 after a strong anchor ("by"), 1 otherwise
    pos: int
    day: date
    kind: str  # "due", "until" or "start"
    period: bool = False  # a whole period ("next week", "by Q1"), not one day


def _anchor_at(c: Ctx, i: int) -> tuple[int, str, str, bool] | None:
    """(index after the anchor, language, strength, means until) for an anchor at token i."""
    for words, lang, strength, until in ANCHORS:
        k = c.seq(i, words)
        if k is not None:
            return k, lang, strength, until
    return None


def _plausible(toks: list[Tok]) -> bool:
    """Whether words are worth handing to dateparser: it reads "10%" and "one" as months."""
    return any(t.kind == "word" and len(t.text) >= 3 and t.text not in NUMBERS for t in toks)


def _dateparse(c: Ctx, j: int, lang: str) -> date | None:
    """What dateparser reads in up to five words after a strong anchor, within the clause."""
    end = j
    while end < len(c.toks) and end - j < 5 and (end == j or not CLAUSE_BREAK.search(c.gap(end))):
        end += 1
    settings: dict[str, Any] = {**_DP_SETTINGS, "DATE_ORDER": "MDY" if lang == "en" else "DMY"}
    settings["RELATIVE_BASE"] = datetime.combine(c.today, time())
    for k in range(end, j, -1):
        if not _plausible(c.toks[j:k]) or "%" in c.line[c.toks[j].start : c.toks[k - 1].end]:
            continue
        phrase = c.raw[c.toks[j].start : c.toks[k - 1].end]  # dateparser wants the accents
        found: Any = dateparser.parse(phrase, languages=[lang], settings=settings)
        if isinstance(found, datetime) and c.today <= found.date() <= c.today + relativedelta(
            years=5
        ):
            return found.date()
    return None


def _before(c: Ctx, i: int) -> str:
    """The nearest word before token i that is not an article or a preposition like "of"."""
    k = i - 1
    while c.word(k) in FILLERS:
        k -= 1
    return c.word(k)


def _anchored(c: Ctx, k: int, lang: str, strength: str) -> Hit | None:
    """The date after an anchor ending at token k, by our grammar or else dateparser."""
    hit = parse_at(replace(c, lang=lang), k, strength)
    if hit is None and strength == STRONG and (day := _dateparse(replace(c, lang=lang), k, lang)):
        return Hit(day, k + 1)
    return hit


def _dates(c: Ctx) -> list[_Found]:
    """Every date the line states, with its rank, position and kind."""
    found: list[_Found] = []
    for i in range(len(c.toks)):
        prev = _before(c, i)
        kind = "start" if prev in START else "due"
        if prev in PAST:
            continue
        rank, hit, until = 1, None, False
        # "Montag bis Freitag", "Monday through Friday": a range of days, not a deadline
        joins_days = c.word(i) in RANGE_TO and (c.word(i - 1) in ANY_DAY | WEEKDAY_ABBR)
        if not joins_days and (anchor := _anchor_at(c, i)):
            k, lang, strength, until = anchor
            hit, rank = _anchored(c, k, lang, strength), 0 if strength == STRONG else 1
        if hit is None:
            rank, hit, until = 1, parse_at(c, i, BARE), False
        if hit and hit.first and prev in SCOPE:
            continue  # "plan for next week": the period is the subject, not the deadline
        if hit and c.word(hit.next) in PAST_AFTER and not CLAUSE_BREAK.search(c.gap(hit.next)):
            continue  # "el lunes pasado", "le 15 mars dernier" are gone
        if hit:
            day = hit.first or hit.day if kind == "start" else hit.day
            kind = "until" if until and kind == "due" else kind
            found.append(_Found(rank, i, day, kind, hit.first is not None))
    return found


def _local_now(sent_at: datetime, zone: tzinfo) -> datetime:
    """The sending instant as a naive wall-clock time in the member's zone."""
    aware = sent_at if sent_at.tzinfo else sent_at.replace(tzinfo=zone)
    return aware.astimezone(zone).replace(tzinfo=None)


def _read(text: str, sent_at: datetime, zone: tzinfo) -> DueReading:
    """read_due without the safety net."""
    now = _local_now(sent_at, zone)
    raw = text[:_MAX_CHARS]
    folded = fold(raw)
    c = Ctx(raw, folded, tokens(folded), now.date(), now)
    found = _dates(c)
    by_kind = {
        kind: sorted(f for f in found if f.kind == kind) for kind in ("due", "until", "start")
    }
    rule = find_rule(c, any(f.rank == 0 for f in found))
    if rule is None:
        best = by_kind["due"] or by_kind["until"] or by_kind["start"]
        return DueReading(text, best[0].day if best else None, None, None)
    if by_kind["until"] and "UNTIL" not in rule.parts:
        rule = replace(rule, parts=rule.parts | {"UNTIL": f"{by_kind['until'][0].day:%Y%m%d}"})
    if by_kind["start"] and rule.dtstart is None:
        rule = replace(rule, dtstart=by_kind["start"][0].day)
    due = first_due(rule, c.today)
    days = [f.day for f in by_kind["due"] if not f.period]
    if days and not set(rule.parts) - {"FREQ", "INTERVAL", "UNTIL"}:
        due = days[0]  # "weekly report on Monday": the rule says how often, the date when
    return DueReading(text, due, rrule_text(rule), rule_label(rule))


def read_due(line: str, sent_at: datetime, zone: tzinfo) -> DueReading:
    """Read the due date and recurrence of one commitment line; never raises."""
    text = " ".join(line.split())
    try:
        return _read(text, sent_at, zone)
    except Exception:  # a date we cannot read must never lose the commitment
        _log.warning("could not read a due date from %r", text, exc_info=True)
        return DueReading(text, None, None, None)
