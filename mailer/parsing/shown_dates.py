"""The date a client shows in a forwarded header block, as an aware datetime.

dateparser reads most of them; what it misses (measured on the forward
parser's own fixtures: 12 of 190) are the words around the time ("kl.",
"klo", "kell", "à(s)", "um"), times written 14.25.08, zone abbreviations it
does not know (OESZ, SEČ, EEST) and trailing words ("28/10/2021, 12:46
użytkownik"). Those are taken apart here and the rest given to dateparser
again, then searched for a date as a last resort.

A wrong date is worse than none (action items' due dates are read from it;
without one the forward's own date stands in), so every reading must show
a day, a month and a year, the year must be in the text, dotted numeric
dates are day first (as everywhere dots are used), and a numeric date that
could be either way round is not guessed at once its words are gone.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any

import dateparser
from dateparser.search import search_dates

MAX_CHARS = 120  # dateparser takes seconds over a long line
MAX_OFFSET = timedelta(hours=14)  # the widest offset in use (UTC+14)

_SETTINGS: dict[str, Any] = {
    "REQUIRE_PARTS": ["day", "month", "year"],
    # Not "relative-time": "Tuesday" alone is not a date to keep.
    "PARSERS": ["timestamp", "custom-formats", "absolute-time"],
}
# Zone abbreviations in the corpus languages' clients, by offset in hours.
_ZONES = {
    "utc": 0, "gmt": 0, "ut": 0, "z": 0, "wet": 0, "wez": 0, "west": 1, "wesz": 1, "bst": 1,
    "cet": 1, "mez": 1, "seč": 1, "sec": 1, "cest": 2, "mesz": 2, "selč": 2, "selc": 2,
    "eet": 2, "oez": 2, "eest": 3, "oesz": 3, "msk": 3,
    "est": -5, "edt": -4, "cst": -6, "cdt": -5, "mst": -7, "mdt": -6, "pst": -8, "pdt": -7,
    "jst": 9, "kst": 9,
}  # fmt: skip
# A trailing "+0100", "-04:00", "UTC+3", "GMT+1": after a space or a zone
# name, so that the day of "2026-11-24" is never taken for one.
_OFFSET = re.compile(
    r"(?:(?<=\s)|\b(?:utc|gmt))(?P<sign>[+-])(?P<hours>\d{1,2})(?::?(?P<minutes>\d{2}))?\s*$",
    re.IGNORECASE,
)
_ZONE_WORD = re.compile(r"(?<!\w)(?P<word>[a-zčšž]{1,5})\s*$", re.IGNORECASE)
_DOTTED_DATE = re.compile(r"\b\d{1,2}\.\s?\d{1,2}\.\s?\d{2,4}\b")
_SLASHED_DATE = re.compile(r"\b(?P<first>\d{1,2})/(?P<second>\d{1,2})/\d{2,4}\b")
_DOTTED_TIME = re.compile(r"(?<![\d.])(\d{1,2})\.(\d{2})(?:\.(\d{2}))?(?![\d.])")
_CONNECTORS = re.compile(r"(?<!\w)(?:kl\.|klo|kello|kell|à\(s\)|às|um|a las|alle|om|o)(?!\w)", re.I)


def read_shown_date(text: str, zone: tzinfo) -> datetime | None:
    """``text`` as an aware datetime with a fixed offset; in ``zone`` when it shows none.

    >>> from datetime import UTC
    >>> read_shown_date("26. Oktober 2021 um 14:25:08 OESZ", UTC).isoformat()
    '2021-10-26T14:25:08+03:00'
    >>> read_shown_date("tiistaina 2. marraskuuta 2021 klo 09.26.50 UTC+1", UTC).isoformat()
    '2021-11-02T09:26:50+01:00'
    >>> read_shown_date("28/10/2021, 12:46 użytkownik", UTC).isoformat()
    '2021-10-28T12:46:00+00:00'
    >>> read_shown_date("am 2026-11-24", UTC).isoformat()  # the day is not a zone
    '2026-11-24T00:00:00+00:00'
    >>> read_shown_date("Tuesday", UTC), read_shown_date("02/10/2023 à(s) 16:52", UTC)
    (None, None)
    """
    text = " ".join(text.replace("\u202f", " ").replace("\u00a0", " ").split())
    if not text or len(text) > MAX_CHARS:
        return None
    found = _parse(text, text)
    if found is None:
        rest, offset = _take_zone(text)
        tidied = _tidy(rest)
        if _either_way_round(tidied):
            return None  # its words were what told day from month
        found = _parse(tidied, text) or _search(tidied, text)
        if found is not None and found.utcoffset() is None and offset is not None:
            found = found.replace(tzinfo=timezone(offset))
    if found is None:
        return None
    offset = found.utcoffset()
    if offset is None:
        return found.replace(tzinfo=zone)
    if abs(offset) > MAX_OFFSET:
        return None
    return found.replace(tzinfo=timezone(offset))


def _settings(text: str) -> dict[str, Any]:
    return {**_SETTINGS, "DATE_ORDER": "DMY"} if _DOTTED_DATE.search(text) else _SETTINGS


def _parse(text: str, shown: str) -> datetime | None:
    try:
        found = dateparser.parse(text, settings=_settings(text))
    except Exception:  # a date we cannot read leaves the note without one
        return None
    return found if _is_shown(found, shown) else None


def _search(text: str, shown: str) -> datetime | None:
    """The first whole date inside ``text``."""
    try:
        found = search_dates(text, settings=_settings(text)) or []
    except Exception:
        return None
    for _, moment in found:
        if _is_shown(moment, shown):
            return moment  # type: ignore[no-any-return]
    return None


def _is_shown(found: object, shown: str) -> bool:
    """A datetime whose year the text shows (not one made up from a stray number)."""
    if not isinstance(found, datetime):
        return False
    year = str(found.year)
    numeric = _DOTTED_DATE.search(shown) or _SLASHED_DATE.search(shown)  # "28/10/21"
    return year in shown or (year[2:] in shown and numeric is not None)


def _take_zone(text: str) -> tuple[str, timedelta | None]:
    """The text without its trailing zone, and that zone's offset if it names one."""
    offset = _OFFSET.search(text)
    if offset is not None:
        hours, minutes = int(offset["hours"]), int(offset["minutes"] or 0)
        sign = -1 if offset["sign"] == "-" else 1
        amount = sign * timedelta(hours=hours, minutes=minutes)
        return text[: offset.start()], amount if abs(amount) <= MAX_OFFSET else None
    word = _ZONE_WORD.search(text)
    if word is not None and word["word"].lower() in _ZONES:
        return text[: word.start()], timedelta(hours=_ZONES[word["word"].lower()])
    return text, None


def _tidy(text: str) -> str:
    text = _CONNECTORS.sub(" ", text)
    text = _DOTTED_TIME.sub(lambda m: ":".join(part for part in m.groups() if part), text)
    return " ".join(text.split())


def _either_way_round(text: str) -> bool:
    """A slashed date such as 02/10/2023: 2 October, or February 10."""
    match = _SLASHED_DATE.search(text)
    if match is None:
        return False
    first, second = int(match["first"]), int(match["second"])
    return first != second and first <= 12 and second <= 12
