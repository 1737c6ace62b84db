"""The date a client shows in a forwarded header block, as an aware datetime.

dateparser reads most of them; what it misses (measured on the forward
parser's own fixtures: 12 of 190) are the words around the time ("kl.",
"klo", "kell", "à(s)", "um"), times written 14.25.08, zone abbreviations it
does not know (OESZ, SEČ, EEST) and trailing words ("28/10/2021, 12:46
użytkownik"). Those are taken apart here and the rest given to dateparser
again, then searched for a date with a year as a last resort.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone, tzinfo

import dateparser
from dateparser.search import search_dates

MAX_CHARS = 120  # dateparser takes seconds over a long line

# Zone abbreviations in the corpus languages' clients, by offset in hours.
_ZONES = {
    "utc": 0, "gmt": 0, "ut": 0, "z": 0, "wet": 0, "wez": 0, "west": 1, "wesz": 1, "bst": 1,
    "cet": 1, "mez": 1, "seč": 1, "sec": 1, "cest": 2, "mesz": 2, "selč": 2, "selc": 2,
    "eet": 2, "oez": 2, "eest": 3, "oesz": 3, "msk": 3,
    "est": -5, "edt": -4, "cst": -6, "cdt": -5, "mst": -7, "mdt": -6, "pst": -8, "pdt": -7,
    "jst": 9, "kst": 9,
}  # fmt: skip
_OFFSET = re.compile(
    r"(?:\b(?:utc|gmt))?\s*(?P<sign>[+-])(?P<hours>\d{1,2}):?(?P<minutes>\d{2})?\s*$", re.I
)
_ZONE_WORD = re.compile(r"(?<!\w)(?P<word>[a-zčšž]{1,5})\s*$", re.IGNORECASE)
_DOTTED_TIME = re.compile(r"(?<![\d.])(\d{1,2})\.(\d{2})(?:\.(\d{2}))?(?![\d.])")
_CONNECTORS = re.compile(r"(?<!\w)(?:kl\.|klo|kell|à\(s\)|às|um|a las|alle|om|o)(?!\w)", re.I)
_YEAR = re.compile(r"\b(?:19|20)\d{2}\b|\d{4}年")


def read_shown_date(text: str, zone: tzinfo) -> datetime | None:
    """``text`` as an aware datetime with a fixed offset; in ``zone`` when it shows none.

    >>> from datetime import UTC
    >>> read_shown_date("26. Oktober 2021 um 14:25:08 OESZ", UTC).isoformat()
    '2021-10-26T14:25:08+03:00'
    >>> read_shown_date("tiistaina 2. marraskuuta 2021 klo 09.26.50 UTC+1", UTC).isoformat()
    '2021-11-02T09:26:50+01:00'
    >>> read_shown_date("28/10/2021, 12:46 użytkownik", UTC).isoformat()
    '2021-10-28T12:46:00+00:00'
    """
    text = text.strip().replace("\u202f", " ").replace("\u00a0", " ")
    if not text or len(text) > MAX_CHARS:
        return None
    found = _parse(text)
    if found is None:
        rest, offset = _take_zone(text)
        found = _parse(_tidy(rest))
        if found is None:
            found = _search(_tidy(rest))
        if found is not None and found.utcoffset() is None and offset is not None:
            found = found.replace(tzinfo=timezone(offset))
    if found is None:
        return None
    offset = found.utcoffset()
    if offset is None:
        return found.replace(tzinfo=zone)
    return found.replace(tzinfo=timezone(offset))


def _parse(text: str) -> datetime | None:
    try:
        found: datetime | None = dateparser.parse(text)
    except Exception:  # a date we cannot read leaves the note without one
        return None
    return found


def _search(text: str) -> datetime | None:
    """The first date with a year inside ``text`` (never a bare day or weekday)."""
    try:
        found = search_dates(text) or []
    except Exception:
        return None
    for shown, moment in found:
        if _YEAR.search(shown) and isinstance(moment, datetime):
            return moment
    return None


def _take_zone(text: str) -> tuple[str, timedelta | None]:
    """The text without its trailing zone, and that zone's offset if it names one."""
    offset = _OFFSET.search(text)
    if offset is not None:
        hours, minutes = int(offset["hours"]), int(offset["minutes"] or 0)
        sign = -1 if offset["sign"] == "-" else 1
        return text[: offset.start()], sign * timedelta(hours=hours, minutes=minutes)
    word = _ZONE_WORD.search(text)
    if word is not None and word["word"].lower() in _ZONES:
        return text[: word.start()], timedelta(hours=_ZONES[word["word"].lower()])
    return text, None


def _tidy(text: str) -> str:
    text = _CONNECTORS.sub(" ", text)
    text = _DOTTED_TIME.sub(lambda m: ":".join(part for part in m.groups() if part), text)
    return " ".join(text.split())
