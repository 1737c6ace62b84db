"""Recurring commitments roll forward, and a date already passed is never silently overdue.

The service runs on a clock the test moves (SMTP, processing, tokens); the
cron jobs (rolling, summaries, digests) are run by the test at the times it
sets. Anna writes from +01:00, as her Date headers say.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta, timezone
from email.utils import format_datetime

import pytest

from mailer.models import Commitment, CommitmentUpdate, Verdict
from mailer.occurrences import day_words
from mailer.settings import Settings
from mailer.trust.resolver import TableResolver
from tests.conftest import running_service
from tests.integration.test_digests import LINK, reply
from tests.integration.test_invitations import answer, html, to
from tests.support.capture import Captured, CaptureHandler
from tests.support.smtpclient import message, send
from workers.jobs import digests_job, recurring_job, summaries_job
from workers.service import Service

ANNA, BOB = "anna@example.com", "bob@example.org"
COMMIT, NOTES = "commit@pactmail.localhost", "notes@pactmail.localhost"
PLUS_ONE = timezone(timedelta(hours=1))
WEEKLY = "Review the sales pipeline every Monday"
DAY = timedelta(days=1)
WEEK = timedelta(days=7)


class Clock:
    """The service's time, moved by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, day: date, hour: int, minute: int = 0) -> None:
        self.now = datetime.combine(day, time(hour, minute), PLUS_ONE)


def first_monday() -> date:
    """The Monday of week one: far enough ahead that the Wednesday before it is to come.

    Rows the ORM dates itself (people, verdicts) take the real time: it must
    come before everything the moved clock does.
    """
    today = datetime.now(UTC).date()
    return today + timedelta(days=(7 - today.weekday()) or 7) + WEEK


M1 = first_monday()
M2, M3 = M1 + WEEK, M1 + 2 * WEEK
START = M1 - 5 * DAY  # the Wednesday before


@pytest.fixture
def clock() -> Clock:
    clock = Clock(datetime.now(UTC))
    clock.set(START, 9, 30)
    return clock


@pytest.fixture
async def clocked(
    settings: Settings,
    db: None,
    relay: tuple[CaptureHandler, int],
    dns: TableResolver,
    clock: Clock,
) -> AsyncIterator[Service]:
    async with running_service(settings, relay[1], dns, clock) as running:
        yield running


def job(service: Service, clock: Clock) -> dict[str, object]:
    """A cron job's context at the clock's time."""
    return {"settings": service.settings, "clock": lambda: clock.now, "redis": service.redis}


def words(captured: Captured) -> str:
    return " ".join(captured.text().split())


async def anna_writes(
    service: Service,
    capture: CaptureHandler,
    to_address: str,
    body: str,
    *,
    mid: str,
    written: datetime,
    extra: str = "",
    count: int = 1,
) -> list[Captured]:
    """Anna's message, dated ``written``; the ``count`` emails that follow."""
    before = len(capture.messages)
    data = message(
        to=to_address,
        subject="My week",
        body=body,
        message_id=mid,
        date=format_datetime(written),
        extra=extra,
    )
    assert (await send(service.smtp_port, ANNA, [to_address], data)).code == 250
    return (await capture.wait_for(before + count))[before:]


async def weekly_with_bob(service: Service, capture: CaptureHandler, clock: Clock) -> Captured:
    """Anna publishes a weekly commitment with Bob in Cc, and Bob accepts; her confirmation."""
    arrived = await anna_writes(
        service, capture, COMMIT, f"- {WEEKLY}\n", mid="<plan@x>", written=clock.now,
        extra=f"Cc: Bob Stone <{BOB}>", count=2,
    )  # fmt: skip
    [confirmation] = to(arrived, ANNA)
    [invitation] = to(arrived, BOB)
    await answer(service, capture, invitation, "peer")
    commitment = await Commitment.get()
    assert (commitment.due_date, commitment.recurrence) == (M1, "FREQ=WEEKLY;BYDAY=MO")
    return confirmation


async def outcomes() -> list[tuple[str, date | None, date | None]]:
    """Each settled occurrence: (kind, occurrence, due date after it), oldest first."""
    updates = await CommitmentUpdate.exclude(occurrence=None).order_by("occurrence")
    return [(u.kind, u.occurrence, u.new_due_date) for u in updates]


async def test_three_weeks_of_a_weekly_commitment_one_missed_one_done_one_open(
    clocked: Service, relay: tuple[CaptureHandler, int], clock: Clock
) -> None:
    capture, _ = relay
    confirmation = await weekly_with_bob(clocked, capture, clock)
    assert f"due: {day_words(M1)}; repeats: every Monday" in confirmation.text()

    # Week one: the Monday passes without a word from Anna or Bob. Two
    # workers roll at once, and once more later: one outcome.
    clock.set(M1 + DAY, 0, 5)
    assert sorted(
        await asyncio.gather(recurring_job(job(clocked, clock)), recurring_job(job(clocked, clock)))
    ) == ["0 occurrence(s) missed", "1 occurrence(s) missed"]
    clock.set(M1 + DAY, 9)
    assert await recurring_job(job(clocked, clock)) == "0 occurrence(s) missed"
    assert await outcomes() == [("missed", M1, M2)]
    commitment = await Commitment.get()
    assert (commitment.state, commitment.due_date) == ("open", M2)
    assert commitment.occurrence_start == M1 + DAY

    # Monday of week two, 09:30: Anna's summary and Bob's digest say so.
    clock.set(M2, 9, 30)
    before = len(capture.messages)
    assert await summaries_job(job(clocked, clock)) == "1 summaries"
    assert await digests_job(job(clocked, clock)) == "1 email(s) for digests"
    arrived = (await capture.wait_for(before + 2))[before:]
    [summary], [digest] = to(arrived, ANNA), to(arrived, BOB)
    assert f"Missed this week: #1: {day_words(M1)} ({WEEKLY})" in words(summary)
    assert f"due: {day_words(M2)}; repeats: every Monday" in summary.text()
    assert "Missed this week:" in html(summary)
    assert f"news: missed {day_words(M1)}" in digest.text()
    assert "due today; repeats every Monday" in digest.text()  # M2, the Monday it is

    # Later that Monday Anna replies "done 1": this week's is done, next week's due.
    clock.set(M2, 10)
    address = confirmation.message["Reply-To"]
    [done] = await anna_writes(
        clocked, capture, address, "done 1\n", mid="<d1@x>", written=clock.now
    )
    assert f"#1 is done for {day_words(M2)}; next due {day_words(M3)}: {WEEKLY}" in words(done)
    # The same words again that evening: it is done already.
    clock.set(M2, 18)
    [again] = await anna_writes(
        clocked, capture, address, "done 1\n", mid="<d2@x>", written=clock.now
    )
    assert f"#1 was already done for {day_words(M2)}; next due {day_words(M3)}" in words(again)
    clock.set(M2 + DAY, 8)
    assert await recurring_job(job(clocked, clock)) == "0 occurrence(s) missed"

    # Monday of week three: the news is the done one, the third is open.
    clock.set(M3, 9, 30)
    before = len(capture.messages)
    assert await summaries_job(job(clocked, clock)) == "1 summaries"
    assert await digests_job(job(clocked, clock)) == "1 email(s) for digests"
    arrived = (await capture.wait_for(before + 2))[before:]
    [summary], [digest] = to(arrived, ANNA), to(arrived, BOB)
    assert "Missed this week" not in summary.text()
    assert f"due: {day_words(M3)}; repeats: every Monday" in summary.text()
    assert f"news: done {day_words(M2)}" in digest.text()
    assert "missed" not in digest.text()
    assert "due today; repeats every Monday" in digest.text()  # M3

    assert await outcomes() == [("missed", M1, M2), ("done", M2, M3)]
    commitment = await Commitment.get()
    assert (commitment.state, commitment.due_date) == ("open", M3)
    [done_row] = await CommitmentUpdate.filter(kind="done")
    assert done_row.source_id is not None  # type: ignore[attr-defined]


async def test_a_partners_on_track_keeps_that_occurrence_and_no_later_one(
    clocked: Service, relay: tuple[CaptureHandler, int], clock: Clock
) -> None:
    capture, _ = relay
    await weekly_with_bob(clocked, capture, clock)
    clock.set(M1, 9, 30)
    before = len(capture.messages)
    assert await digests_job(job(clocked, clock)) == "1 email(s) for digests"
    [digest] = (await capture.wait_for(before + 1))[before:]
    on_track = LINK.findall(html(digest))[0][0]
    await reply(clocked, on_track, "on track", subject="on track", mid="<ot@x>")
    async with asyncio.timeout(10):  # an on-track click is answered by nothing
        while not await Verdict.exists():
            await asyncio.sleep(0.05)

    clock.set(M1 + DAY, 9)
    assert await recurring_job(job(clocked, clock)) == "0 occurrence(s) missed"
    commitment = await Commitment.get()
    assert (commitment.due_date, commitment.occurrence_start) == (M2, M1 + DAY)
    clock.set(M2 + DAY, 9)
    assert await recurring_job(job(clocked, clock)) == "1 occurrence(s) missed"
    assert await outcomes() == [("missed", M2, M3)]


@pytest.mark.parametrize("rolled_first", [True, False])
async def test_done_written_the_day_after_finds_the_same_whether_the_roll_came_first(
    clocked: Service, relay: tuple[CaptureHandler, int], clock: Clock, rolled_first: bool
) -> None:
    capture, _ = relay
    confirmation = await weekly_with_bob(clocked, capture, clock)
    clock.set(M1 + DAY, 12)
    if rolled_first:
        assert await recurring_job(job(clocked, clock)) == "1 occurrence(s) missed"
    address = confirmation.message["Reply-To"]
    [done] = await anna_writes(
        clocked, capture, address, "done 1\n", mid="<d@x>", written=clock.now
    )
    # Tuesday's "done" is for the week's occurrence now current: Monday's was missed.
    assert f"#1 is done for {day_words(M2)}; next due {day_words(M3)}" in words(done)
    assert await outcomes() == [("missed", M1, M2), ("done", M2, M3)]


async def test_done_written_on_the_day_and_read_after_the_roll_undoes_the_miss(
    clocked: Service, relay: tuple[CaptureHandler, int], clock: Clock
) -> None:
    capture, _ = relay
    confirmation = await weekly_with_bob(clocked, capture, clock)
    clock.set(M1 + DAY, 0, 5)
    assert await recurring_job(job(clocked, clock)) == "1 occurrence(s) missed"
    # Written Monday evening, delivered after midnight.
    monday_evening = datetime.combine(M1, time(21), PLUS_ONE)
    address = confirmation.message["Reply-To"]
    [done] = await anna_writes(
        clocked, capture, address, "done 1\n", mid="<late@x>", written=monday_evening
    )
    assert f"#1 is done for {day_words(M1)}; next due {day_words(M2)}" in words(done)
    assert await outcomes() == [("done", M1, M2)]
    assert (await Commitment.get()).due_date == M2


async def test_a_date_passed_when_published_is_named_and_a_new_one_offered(
    clocked: Service, relay: tuple[CaptureHandler, int], clock: Clock
) -> None:
    capture, _ = relay
    last_week = clock.now - WEEK  # a message written a week ago, sent only now
    body = "- Send the offer to Acme by Friday\n- Call the bank every Monday\n"
    [confirmation] = await anna_writes(
        clocked, capture, COMMIT, body, mid="<old@x>", written=last_week
    )
    passed, offered = START - 5 * DAY, START + 2 * DAY  # last Friday; this one
    offer, weekly = await Commitment.all().order_by("number")
    assert offer.due_date == passed
    assert weekly.due_date == M1  # a recurring one starts at the occurrence current today
    text = words(confirmation)
    assert (
        f"The due date of #1, {day_words(passed)}, has already passed. To give it a new one, "
        f'reply "move 1 to {day_words(offered)}" (or another day).'
    ) in text
    assert "The due date of #2" not in text
    assert f"move 1 to {day_words(offered)}" in html(confirmation)

    address = confirmation.message["Reply-To"]
    [moved] = await anna_writes(
        clocked, capture, address, f"move 1 to {day_words(offered)}\n", mid="<mv@x>",
        written=clock.now,
    )  # fmt: skip
    assert f"#1 is now due {day_words(offered)}" in words(moved)
    assert (await Commitment.get(number=1)).due_date == offered


def forwarded_note(coach_wrote: datetime, forwarded: datetime) -> bytes:
    coach = (
        "From: Dana Coach <dana@coach.example>\r\n"
        "To: Anna Keller <anna@example.com>\r\n"
        "Subject: Our session\r\n"
        f"Date: {format_datetime(coach_wrote)}\r\n"
        "Message-ID: <session@coach.example>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n"
        "What we agreed:\r\n"
        "- Draft the budget by Friday\r\n"
        "\r\n"
        "Dana\r\n"
    )
    return (
        "From: Anna Keller <anna@example.com>\r\n"
        f"To: {NOTES}\r\n"
        "Subject: Fwd: Our session\r\n"
        f"Date: {format_datetime(forwarded)}\r\n"
        "Message-ID: <fwd@example.com>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b1"\r\n'
        "\r\n"
        "--b1\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n"
        "From last week.\r\n"
        "--b1\r\n"
        "Content-Type: message/rfc822\r\n"
        "\r\n" + coach + "--b1--\r\n"
    ).encode()


async def test_an_action_item_from_last_weeks_note_is_added_with_its_date_passed(
    clocked: Service, relay: tuple[CaptureHandler, int], clock: Clock
) -> None:
    capture, _ = relay
    session = clock.now - WEEK - DAY  # last Tuesday: "by Friday" was last Friday
    passed, offered = START - 5 * DAY, START + 2 * DAY
    note = forwarded_note(session, clock.now)
    assert (await send(clocked.smtp_port, ANNA, [NOTES], note)).code == 250
    [kept] = await capture.wait_for(1)
    assert f"1. Draft the budget by Friday due: {day_words(passed)} (already passed)" in (
        words(kept)
    )
    [confirmation] = await anna_writes(
        clocked, capture, kept.message["Reply-To"], "add 1\n", mid="<add@x>", written=clock.now
    )
    assert (await Commitment.get()).due_date == passed
    assert (
        f"The due date of #1, {day_words(passed)}, has already passed. To give it a new one, "
        f'reply "move 1 to {day_words(offered)}"'
    ) in words(confirmation)

    [moved] = await anna_writes(
        clocked, capture, confirmation.message["Reply-To"], f"move 1 to {day_words(offered)}\n",
        mid="<mv@x>", written=clock.now,
    )  # fmt: skip
    assert f"#1 is now due {day_words(offered)}" in words(moved)
    assert (await Commitment.get()).due_date == offered
