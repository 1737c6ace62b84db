"""People's time zones: an IANA name once they name one, a Date-header offset until then."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

_OFFSET = re.compile(r"^([+-])(\d{2}):(\d{2})$")


def offset_name(moment: datetime) -> str:
    """The UTC offset of an aware datetime as ``+HH:MM``.

    >>> from datetime import datetime, timedelta, timezone
    >>> offset_name(datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=-5))))
    '-05:00'
    """
    offset = moment.utcoffset() or timedelta(0)
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def zone_from_name(name: str) -> tzinfo:
    """A tzinfo for an IANA name or a ``+HH:MM`` offset; UTC when unknown.

    >>> zone_from_name("+01:00")
    datetime.timezone(datetime.timedelta(seconds=3600))
    >>> zone_from_name("Europe/Paris")
    zoneinfo.ZoneInfo(key='Europe/Paris')
    >>> zone_from_name("Europe"), zone_from_name("+25:99")
    (datetime.timezone.utc, datetime.timezone.utc)
    """
    match = _OFFSET.match(name)
    if match:
        sign, hours, minutes = match.groups()
        delta = timedelta(hours=int(hours), minutes=int(minutes))
        if delta >= timedelta(days=1):
            return UTC  # "+25:99" is no offset
        return timezone(-delta if sign == "-" else delta)
    try:
        return ZoneInfo(name) if name else UTC
    except (ZoneInfoNotFoundError, ValueError, OSError):  # "Europe" is a folder
        return UTC


# "time zone: Europe/Berlin", "timezone America/New_York", "tz UTC": a command
# by reply (a row of mailer/parsing/commands.py), on a line of its own.
ZONE_COMMAND = r"(?:time\s*zone|tz)\s*[:=]?\s*(?P<text>[A-Za-z][\w/+-]{1,40})"
_ZONE_LINE = re.compile(rf"^\s*(?:[-*]\s+)?{ZONE_COMMAND}\W*$", re.IGNORECASE)


def zone_line(text: str) -> str | None:
    """What a ``time zone NAME`` line names, as written, if the text has one.

    >>> zone_line("thanks!\\ntime zone: europe/berlin"), zone_line("my timezone is odd")
    ('europe/berlin', None)
    """
    for line in text.splitlines():
        match = _ZONE_LINE.match(line)
        if match:
            return match["text"]
    return None


def known_zone(name: str) -> str | None:
    """The IANA name for ``name`` in any letter case (``UTC`` too), or None.

    >>> known_zone("europe/berlin"), known_zone("Europe/Atlantis"), known_zone("utc")
    ('Europe/Berlin', None, 'UTC')
    """
    return _zones_by_lower_name().get(name.strip().lower())


@cache
def _zones_by_lower_name() -> dict[str, str]:
    return {zone.lower(): zone for zone in available_timezones() if "/" in zone or zone == "UTC"}
