"""Due dates and recurrence read from one commitment line."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from mailer.parsing.duedates import DueReading, read_due

PARIS = ZoneInfo("Europe/Paris")
# Wednesday 2026-11-25, 09:30 in Paris.
SENT = datetime(2026, 11, 25, 9, 30, tzinfo=timezone(timedelta(hours=1)))


def due(line: str) -> str | None:
    """The due date read from a line sent at SENT, as YYYY-MM-DD."""
    reading = read_due(line, SENT, PARIS)
    return reading.due.isoformat() if reading.due else None


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Finish the quarterly report by Friday", "2026-11-27"),
        ("Call the supplier by Dec 15", "2026-12-15"),
        ("by December 15th", "2026-12-15"),
        ("by 15 December", "2026-12-15"),
        ("by the 15th of December", "2026-12-15"),
        ("by Dec 15, 2027", "2027-12-15"),
        ("by Jan 10", "2027-01-10"),
        ("by 12/15", "2026-12-15"),
        ("by 15/12", "2026-12-15"),
        ("by 12/15/2026", "2026-12-15"),
        ("due 2026-12-24", "2026-12-24"),
        ("Ship it 2026-12-24", "2026-12-24"),
        ("by the 15th", "2026-12-15"),
        ("on the 1st", "2026-12-01"),
        ("by the 25th", "2026-11-25"),
        ("by the 31st", "2026-12-31"),
        ("end of month", "2026-11-30"),
        ("by the end of the month", "2026-11-30"),
        ("by EOM", "2026-11-30"),
        ("by month end", "2026-11-30"),
        ("by end of next month", "2026-12-31"),
        ("in 2 weeks", "2026-12-09"),
        ("in two weeks", "2026-12-09"),
        ("within 10 days", "2026-12-05"),
        ("in a couple of weeks", "2026-12-09"),
        ("in 3 months", "2027-02-25"),
        ("in 3 business days", "2026-11-30"),
        ("two weeks from now", "2026-12-09"),
        ("in Q1", "2027-03-31"),
        ("by Q4", "2026-12-31"),
        ("by Q2 2027", "2027-06-30"),
        ("by the end of Q1", "2027-03-31"),
        ("in the first quarter of 2027", "2027-03-31"),
        ("by end of the quarter", "2026-12-31"),
        ("by EOY", "2026-12-31"),
        ("by year-end", "2026-12-31"),
        ("tomorrow", "2026-11-26"),
        ("by tomorrow", "2026-11-26"),
        ("the day after tomorrow", "2026-11-27"),
        ("today", "2026-11-25"),
        ("tonight", "2026-11-25"),
        ("EOD", "2026-11-25"),
        ("by COB", "2026-11-25"),
        ("by close of business", "2026-11-25"),
        ("EOD tomorrow", "2026-11-26"),
        ("by EOD Friday", "2026-11-27"),
        ("by 5pm", "2026-11-25"),
        ("by 9am", "2026-11-26"),
        ("by noon tomorrow", "2026-11-26"),
        ("by Friday 5pm", "2026-11-27"),
        ("by 5pm Friday", "2026-11-27"),
        ("by Wednesday", "2026-11-25"),
        ("this Friday", "2026-11-27"),
        ("next Friday", "2026-11-27"),
        ("next Wednesday", "2026-12-02"),
        ("by next Monday", "2026-11-30"),
        ("Friday next week", "2026-12-04"),
        # A weekday beside a written date, as our digests write them: the date.
        ("by Mon 7 Dec", "2026-12-07"),
        ("by Mon 14 Dec", "2026-12-14"),
        ("by Friday, December 18", "2026-12-18"),
        ("by Fri 8 Jan 2027", "2027-01-08"),
        ("by Tuesday 12/15", "2026-12-15"),
        ("on Mon", "2026-11-30"),
        ("by EOW", "2026-11-27"),
        ("by end of week", "2026-11-27"),
        ("this week", "2026-11-27"),
        ("by next week", "2026-12-04"),
        ("by the weekend", "2026-11-29"),
        ("next month", "2026-12-31"),
        ("by March", "2027-03-31"),
        ("by end of March", "2027-03-31"),
        ("in December", "2026-12-31"),
        ("by 2027", "2027-12-31"),
        ("no later than Dec 1", "2026-12-01"),
        ("deadline: Dec 1", "2026-12-01"),
        ("by a fortnight from now", "2026-12-09"),
        ("Write 3 blog posts in 2 weeks", "2026-12-09"),
        # An explicit year is kept as written, even in the past.
        ("by Dec 15 2025", "2025-12-15"),
    ],
)
def test_english_due_dates(line: str, expected: str) -> None:
    assert due(line) == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Bericht fertig bis Freitag", "2026-11-27"),
        ("bis Ende des Monats", "2026-11-30"),
        ("bis zum 15. Dezember", "2026-12-15"),
        ("bis 15.12.", "2026-12-15"),
        ("am Freitag", "2026-11-27"),
        ("bis morgen", "2026-11-26"),
        ("bis nächste Woche", "2026-12-04"),
        ("in zwei Wochen", "2026-12-09"),
        ("Rapport d'ici vendredi", "2026-11-27"),
        ("avant le 15", "2026-12-15"),
        ("d'ici la fin du mois", "2026-11-30"),
        ("d'ici le 15 décembre", "2026-12-15"),
        ("avant la fin de l'année", "2026-12-31"),
        ("dans 3 jours", "2026-11-28"),
        ("vendredi prochain", "2026-11-27"),
        ("demain", "2026-11-26"),
        ("para el viernes", "2026-11-27"),
        ("antes de fin de mes", "2026-11-30"),
        ("para el 15 de diciembre", "2026-12-15"),
        ("antes del viernes", "2026-11-27"),
        ("en dos semanas", "2026-12-09"),
        ("para mañana", "2026-11-26"),
        ("la próxima semana", "2026-12-04"),
        ("dans 3 jours ouvrés", "2026-11-30"),
        ("in 2 Werktagen", "2026-11-27"),
        ("en 5 días hábiles", "2026-12-02"),
        # Weeks said in days.
        ("dans quinze jours", "2026-12-09"),
        ("in acht Tagen", "2026-12-02"),
    ],
)
def test_other_languages(line: str, expected: str) -> None:
    assert due(line) == expected


@pytest.mark.parametrize(
    "line",
    [
        "stand by my team",
        "go by bike",
        "by the way, call mom",
        "Increase revenue by 20 percent",
        "Cut costs by 10%",
        "grow the list by 2",
        "improve by one",
        "write it by hand",
        "lose weight by 3.5 kg",
        "do the due diligence",
        "Before the meeting call John",
        "keep going until I finish",
        "finish it on time",
        "stay on track",
        "work on the March budget",
        # A period named without a deadline word is what the commitment is about.
        "Q1",
        "first quarter of 2027",
        "priorities for Q1 before our next session",
        "plan for next week",
        "Fix the T1 line",
        # Morgen and mañana as the morning, not tomorrow.
        "Guten Morgen an alle",
        "am Morgen joggen",
        "por la mañana",
        "el lunes pasado prometí más",
        "I may 5x the budget",
        "since Dec 15 I have been late",
        "last Friday I promised more",
        "Read a book",
        "",
        "   ",
        "!!!",
    ],
)
def test_no_due_date(line: str) -> None:
    assert read_due(line, SENT, PARIS) == DueReading(" ".join(line.split()), None, None, None)


@pytest.mark.parametrize(
    ("line", "rrule", "label", "expected"),
    [
        ("Go running three times a week", "FREQ=WEEKLY", "3 times a week", "2026-11-29"),
        ("run 3x a week", "FREQ=WEEKLY", "3 times a week", "2026-11-29"),
        ("run 3x/week", "FREQ=WEEKLY", "3 times a week", "2026-11-29"),
        ("swim twice a week", "FREQ=WEEKLY", "twice a week", "2026-11-29"),
        ("call mom once a week", "FREQ=WEEKLY", "weekly", "2026-11-29"),
        ("floss twice daily", "FREQ=DAILY", "twice a day", "2026-11-25"),
        ("write 4 times a month", "FREQ=MONTHLY", "4 times a month", "2026-11-30"),
        ("Review every Monday", "FREQ=WEEKLY;BYDAY=MO", "every Monday", "2026-11-30"),
        ("every Wednesday", "FREQ=WEEKLY;BYDAY=WE", "every Wednesday", "2026-11-25"),
        ("each Friday", "FREQ=WEEKLY;BYDAY=FR", "every Friday", "2026-11-27"),
        (
            "every Monday and Thursday",
            "FREQ=WEEKLY;BYDAY=MO,TH",
            "every Monday and Thursday",
            "2026-11-26",
        ),
        (
            "every Mon, Wed and Fri",
            "FREQ=WEEKLY;BYDAY=MO,WE,FR",
            "every Monday, Wednesday and Friday",
            "2026-11-25",
        ),
        ("gym on Mondays", "FREQ=WEEKLY;BYDAY=MO", "every Monday", "2026-11-30"),
        (
            "every other Friday",
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR",
            "every other Friday",
            "2026-11-27",
        ),
        (
            "every weekday",
            "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
            "every weekday",
            "2026-11-25",
        ),
        ("every weekend", "FREQ=WEEKLY;BYDAY=SA,SU", "every weekend", "2026-11-28"),
        ("every day", "FREQ=DAILY", "daily", "2026-11-25"),
        ("meditate daily", "FREQ=DAILY", "daily", "2026-11-25"),
        ("each morning", "FREQ=DAILY", "every morning", "2026-11-25"),
        ("publish weekly", "FREQ=WEEKLY", "weekly", "2026-11-29"),
        ("every week", "FREQ=WEEKLY", "weekly", "2026-11-29"),
        ("every 2 weeks", "FREQ=WEEKLY;INTERVAL=2", "every other week", "2026-11-29"),
        ("every 3 days", "FREQ=DAILY;INTERVAL=3", "every 3 days", "2026-11-25"),
        ("report monthly", "FREQ=MONTHLY", "monthly", "2026-11-30"),
        (
            "every month on the 15th",
            "FREQ=MONTHLY;BYMONTHDAY=15",
            "monthly on the 15th",
            "2026-12-15",
        ),
        (
            "pay rent on the 1st of every month",
            "FREQ=MONTHLY;BYMONTHDAY=1",
            "monthly on the 1st",
            "2026-12-01",
        ),
        ("every quarter", "FREQ=MONTHLY;INTERVAL=3", "quarterly", "2026-12-31"),
        (
            "every first Monday of the month",
            "FREQ=MONTHLY;BYDAY=1MO",
            "monthly on the first Monday",
            "2026-12-07",
        ),
        (
            "every Monday until Dec 15",
            "FREQ=WEEKLY;BYDAY=MO;UNTIL=20261215",
            "every Monday",
            "2026-11-30",
        ),
        ("every Monday starting next week", "FREQ=WEEKLY;BYDAY=MO", "every Monday", "2026-11-30"),
        ("starting Jan 5 run daily", "FREQ=DAILY", "daily", "2027-01-05"),
        ("jeden Montag", "FREQ=WEEKLY;BYDAY=MO", "every Monday", "2026-11-30"),
        ("dreimal pro Woche joggen", "FREQ=WEEKLY", "3 times a week", "2026-11-29"),
        ("tous les lundis", "FREQ=WEEKLY;BYDAY=MO", "every Monday", "2026-11-30"),
        ("deux fois par semaine", "FREQ=WEEKLY", "twice a week", "2026-11-29"),
        ("todos los días", "FREQ=DAILY", "daily", "2026-11-25"),
        ("tres veces por semana", "FREQ=WEEKLY", "3 times a week", "2026-11-29"),
        ("weekly on Monday", "FREQ=WEEKLY;BYDAY=MO", "every Monday", "2026-11-30"),
        ("monatlich am 15.", "FREQ=MONTHLY;BYMONTHDAY=15", "monthly on the 15th", "2026-12-15"),
        # A rule without a day is due on the day the line names.
        ("Weekly report on Monday", "FREQ=WEEKLY", "weekly", "2026-11-30"),
        ("tous les quinze jours", "FREQ=WEEKLY;INTERVAL=2", "every other week", "2026-11-29"),
        ("alle vierzehn Tage", "FREQ=WEEKLY;INTERVAL=2", "every other week", "2026-11-29"),
        ("une semaine sur deux", "FREQ=WEEKLY;INTERVAL=2", "every other week", "2026-11-29"),
        # The "bis" of a range of days is no UNTIL.
        (
            "Montag bis Freitag joggen",
            "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
            "every weekday",
            "2026-11-25",
        ),
        ("Mon-Fri standup", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "every weekday", "2026-11-25"),
        (
            "Monday to Wednesday",
            "FREQ=WEEKLY;BYDAY=MO,TU,WE",
            "every Monday, Tuesday and Wednesday",
            "2026-11-25",
        ),
        ("cada mañana", "FREQ=DAILY", "every morning", "2026-11-25"),
        ("tous les soirs", "FREQ=DAILY", "every evening", "2026-11-25"),
    ],
)
def test_recurrence(line: str, rrule: str, label: str, expected: str) -> None:
    reading = read_due(line, SENT, PARIS)
    assert (reading.recurrence, reading.recurrence_label, due(line)) == (rrule, label, expected)


@pytest.mark.parametrize(
    "line",
    [
        "Finish the quarterly report by Friday",
        "Submit the weekly report by Friday",
        "Send the monthly newsletter",
        "Review every PR by Friday",
        "Call each supplier by Friday",
        "read 2 books",
        # Working days after a count are a span, not every weekday.
        "in 3 business days",
        "in a couple of working days",
        "dans 3 jours ouvrés",
        "move the 1:1 from Monday to Friday",
    ],
)
def test_no_recurrence(line: str) -> None:
    assert read_due(line, SENT, PARIS).recurrence is None


def test_every_other_is_first_due_on_the_next_such_day() -> None:
    sunday = datetime(2026, 11, 29, 10, 0, tzinfo=PARIS)
    reading = read_due("every other Friday", sunday, PARIS)
    assert (reading.due, reading.recurrence) == (
        date(2026, 12, 4),
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR",
    )


def test_past_word_after_a_clause_break_leaves_the_date() -> None:
    assert due("Finish by Friday, last item on my list") == "2026-11-27"


def test_text_is_kept_as_written_and_trimmed() -> None:
    reading = read_due("  Finish the   report\tby Friday  ", SENT, PARIS)
    assert reading.text == "Finish the report by Friday"


def test_strong_anchor_wins_over_other_dates() -> None:
    assert due("Call on Monday to confirm delivery by Dec 15") == "2026-12-15"


def test_today_is_taken_in_the_members_zone() -> None:
    pacific = timezone(timedelta(hours=-8))
    sent = datetime(2026, 11, 27, 23, 30, tzinfo=pacific)
    assert read_due("by tomorrow", sent, pacific).due == date(2026, 11, 28)
    # The same instant is already Saturday morning in Paris.
    assert read_due("by tomorrow", sent, PARIS).due == date(2026, 11, 29)


def test_named_zone_with_utc_date_header() -> None:
    sent = datetime(2026, 11, 25, 23, 30, tzinfo=UTC)  # 00:30 Thursday in Paris
    assert read_due("today", sent, PARIS).due == date(2026, 11, 26)


def test_naive_sent_at_is_read_in_the_zone() -> None:
    assert read_due("tomorrow", datetime(2026, 11, 25, 9, 30), PARIS).due == date(2026, 11, 26)


def test_weekday_named_on_that_day_is_today() -> None:
    friday = datetime(2026, 11, 27, 8, 0, tzinfo=PARIS)
    assert read_due("by Friday", friday, PARIS).due == date(2026, 11, 27)
    assert read_due("next Friday", friday, PARIS).due == date(2026, 12, 4)
    assert read_due("every Friday", friday, PARIS).due == date(2026, 11, 27)


def test_end_of_week_after_friday_is_sunday() -> None:
    saturday = datetime(2026, 11, 28, 8, 0, tzinfo=PARIS)
    assert read_due("by end of week", saturday, PARIS).due == date(2026, 11, 29)
    assert read_due("next week", saturday, PARIS).due == date(2026, 12, 4)


def test_month_day_already_past_is_next_year() -> None:
    assert due("by Nov 20") == "2027-11-20"
    assert due("by Nov 25") == "2026-11-25"


def test_ordinal_day_skips_short_months() -> None:
    january = datetime(2027, 1, 31, 12, 0, tzinfo=PARIS)
    assert read_due("by the 30th", january, PARIS).due == date(2027, 3, 30)


def test_leap_day() -> None:
    assert due("by Feb 29") == "2028-02-29"


def test_dateparser_reads_what_our_rules_do_not() -> None:
    assert due("by a fortnight") == "2026-12-09"


def test_never_raises(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("dateparser.parse", broken)
    with caplog.at_level(logging.WARNING, logger="mailer.parsing.duedates"):
        reading = read_due("by my team", SENT, PARIS)
    assert reading == DueReading("by my team", None, None, None)
    assert "could not read a due date" in caplog.text


@pytest.mark.parametrize(
    "line",
    [
        "by " * 400,
        "by 99/99/9999 on 00.00. Q9 the 0th 31/02",
        "every 0 days, every 500 weeks, 0 times a week",
        "\x00\u202e by Friday \U0001f600",
        "by Feb 30",
        "every other by until on in",
    ],
)
def test_odd_input_does_not_raise(line: str) -> None:
    assert isinstance(read_due(line, SENT, PARIS), DueReading)
