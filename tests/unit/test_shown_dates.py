"""Dates as forwarding clients show them, in the formats dateparser alone misses.

Each is written in the layout of one client and language of the forward
parser's fixtures (crisp-oss/email-forward-parser), with our own date.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from mailer.parsing.shown_dates import read_shown_date

CET = timezone(timedelta(hours=1))
EEST = timezone(timedelta(hours=3))
SHOWN = {
    "Apple Mail da": "24. november 2026 kl. 17.02.11 CET",
    "Apple Mail de": "24. November 2026 um 17:02:11 MEZ",
    "Apple Mail fi": "24. marraskuuta 2026 klo 17.02.11 UTC+1",
    "Apple Mail uk": "24 листопада 2026 р. о 17:02:11 GMT+1",  # noqa: RUF001
    "Gmail et": "T, 24. november 2026 kell 17:02:11",
    "Gmail pt": "terça, 24/11/2026 à(s) 17:02:11",
    "HubSpot fi": "tiistai 24. marraskuuta 2026 klo 17.02.11 +0100",
    "HubSpot ja": "2026年11月24日火曜日 17:02:11 +0100",
    "Outlook 2019 pl": "24/11/2026, 17:02:11 użytkownik",
    "Yahoo cs": "úterý 24. listopadu 2026 17:02:11 SEČ",
    "Yahoo da": "tirsdag den 24. november 2026 17.02.11 CET",
    "Yahoo fi": "tiistaina 24. marraskuuta 2026 klo 17.02.11 UTC+1",
    "Yahoo sk": "utorok 24. novembra 2026, 17:02:11 SEČ",
}


@pytest.mark.parametrize("client", SHOWN)
def test_each_client_format_is_read_to_the_second_with_its_offset(client: str) -> None:
    # Those that show no zone are read in the member's (here +01:00 too).
    assert read_shown_date(SHOWN[client], CET) == datetime(2026, 11, 24, 17, 2, 11, tzinfo=CET)


def test_what_is_not_a_date_gives_none() -> None:
    assert read_shown_date("the day after our session", CET) is None
    assert read_shown_date("Tuesday " * 100, CET) is None  # too long to be one
    assert read_shown_date("", CET) is None


@pytest.mark.parametrize(
    ("shown", "day"),
    [
        ("am 2026-11-24", datetime(2026, 11, 24, tzinfo=CET)),  # the day is not a zone
        ("24.11.2026 17:02 +2400", datetime(2026, 11, 24, 17, 2, tzinfo=CET)),  # no such offset
        ("dijous, 2 de novembre 2021 a les 9:26", None),  # not the year 5
        ("2. novembril 2021 kell 9:26", None),  # no day made up from today's
        ("02.11.2021 um 14:25 OESZ", datetime(2021, 11, 2, 14, 25, tzinfo=EEST)),
        ("ti 2.11.2021 kello 9.26", datetime(2021, 11, 2, 9, 26, tzinfo=CET)),  # day first
        ("02.11.21 09:26", datetime(2021, 11, 2, 9, 26, tzinfo=CET)),
        ("02/10/2023 à(s) 16:52", None),  # 2 October or February 10: not guessed
        ("Tuesday", None),
    ],
)  # fmt: skip
def test_no_wrong_date_where_none_would_do(shown: str, day: datetime | None) -> None:
    assert read_shown_date(shown, CET) == day
