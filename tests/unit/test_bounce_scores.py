"""The bounce score rule over dates, and which failure of a report is our recipient's."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from mailer.bounce_scores import QUIET, Standing, after_bounce, counts_against_address, retried
from mailer.flows.bounce import failure_for
from mailer.parsing.bounces import Kind, Recipient, Report, Verdict

MONDAY = date(2026, 12, 7)
DAY = timedelta(days=1)


def days(*offsets: int, threshold: int = 3, start: Standing | None = None) -> Standing:
    """The standing after a permanent failure on each of these days after MONDAY."""
    standing = start or Standing()
    for offset in offsets:
        standing = after_bounce(standing, MONDAY + offset * DAY, threshold)
    return standing


def test_three_weekly_bounces_suspend_after_the_third() -> None:
    assert (days(0, 7).score, days(0, 7).held) == (2, False)
    assert (days(0, 7, 14).score, days(0, 7, 14).held) == (3, True)


def test_a_day_counts_once_however_many_emails_bounce() -> None:
    assert days(0, 0, 0, 1, 1).score == 2


def test_more_than_seven_quiet_days_start_the_score_again() -> None:
    assert days(0, 1, 9).score == 1  # 8 days after the last: anew
    assert days(0, 1, 8).score == 3  # 7 days after the last: still counts


def test_the_threshold_is_the_setting() -> None:
    assert not days(0, 1, 2, threshold=4).held
    assert days(0, 1, 2, 3, threshold=4).held
    assert days(0, threshold=1).held


def test_a_suspension_stays_while_bounces_go_on_and_past_quiet_days() -> None:
    suspended = days(0, 1, 2)
    assert days(30, start=suspended).held  # nothing clears it but mail from it, or a retry


def test_a_retry_that_bounces_within_the_quiet_days_suspends_at_once() -> None:
    trial = retried(days(0, 1, 2), MONDAY + 3 * DAY)
    assert not trial.held
    again = after_bounce(trial, MONDAY + 3 * DAY, 3)  # the same day as the retry, even
    assert (again.held, again.retry_since) == (True, None)


def test_a_retry_followed_by_quiet_days_worked_and_starts_anew() -> None:
    trial = retried(days(0, 1, 2), MONDAY + 3 * DAY)
    later = after_bounce(trial, MONDAY + 3 * DAY + QUIET + DAY, 3)
    assert (later.score, later.held) == (1, False)


def test_re_enable_changes_nothing_for_an_address_not_suspended() -> None:
    assert retried(days(0), MONDAY) == days(0)


@pytest.mark.parametrize(
    ("status", "counts"),
    [
        ("5.1.1", True), ("5.1.10", True), ("5.2.1", True), ("5.2.2", True), ("5.4.4", True),
        ("5.0.0", True), (None, True),
        ("5.7.1", False), ("5.7.26", False), ("5.3.4", False), ("5.6.0", False),
        ("5.5.0", False), ("garbage", False),
    ],
)  # fmt: skip
def test_only_failures_about_the_address_count(status: str | None, counts: bool) -> None:
    assert counts_against_address(status) is counts


def _recipient(address: str, verdict: Verdict = Verdict.PERMANENT) -> Recipient:
    return Recipient(address, verdict, "failed", "5.1.1", "550 5.1.1 user unknown")


def test_the_report_s_word_on_our_recipient_is_taken_whatever_its_case() -> None:
    report = Report(Kind.BOUNCE, (_recipient("other@x.org"), _recipient("robin@example.net")))
    found = failure_for(report, "Robin@Example.NET")
    assert found is not None
    assert (found.recipient.address, found.named_otherwise) == ("robin@example.net", False)


def test_one_other_address_is_ours_forwarded_and_the_mismatch_is_noted() -> None:
    found = failure_for(Report(Kind.BOUNCE, (_recipient("robin@new.example"),)), "robin@old.org")
    assert found is not None
    assert found.named_otherwise
    assert "[report names r***@new.example]" in found.words()


def test_several_other_addresses_and_not_ours_say_nothing_of_ours() -> None:
    report = Report(Kind.BOUNCE, (_recipient("a@x.org"), _recipient("b@x.org")))
    assert failure_for(report, "robin@example.net") is None
    assert failure_for(Report(Kind.UNKNOWN), "robin@example.net") is None
