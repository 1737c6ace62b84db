"""Bounces, read and scored: a partner whose address refuses mail is suspended, told, cleared.

Real delivery reports from tests/data/bounces/, their failed recipient
rewritten to the partner's address, come back to the VERP return path of
the digest they answer, through real SMTP. The service runs on a clock the
test moves (test_recurring.py); the test runs the digests itself.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from mailer.digests import send_due_digests
from mailer.health import Queue, read_health
from mailer.models import AddressBounces, InboundMessage, OutboundMessage, OutboundStatus
from mailer.queue import enqueue_outbound
from mailer.sending import bounce_address
from mailer.settings import Settings
from mailer.trust.resolver import TableResolver
from mailer.unanswered import remind_and_expire
from mailer.unsettled import release_for_resend, unsettled
from tests.conftest import running_service
from tests.integration.test_invitations import to
from tests.support.capture import Captured, CaptureHandler
from tests.support.people import COMMIT, World
from tests.support.settle import all_settled
from tests.support.smtpclient import send
from workers.jobs import digests_job, summaries_job
from workers.service import Service

ANNA, ROBIN = "anna@example.com", "robin@example.net"
BOUNCES = Path(__file__).resolve().parents[1] / "data" / "bounces"
WEEK = timedelta(days=7)
# Real reports, each with the address it names: three MTAs saying "no such user".
PERMANENT = [
    ("postfix_5.1.1_address_rejected.eml", "kijitora@example.co.jp"),
    ("gmail_dsn_550_user_unknown.eml", "otsu-sakaba-hunter-neko-nyaaaaaaan@ezweb.ne.jp"),
    ("exchange2007_5.1.1_recipient_not_found.eml", "mikeneko@example.co.jp"),
]
DELAYED = ("gmail_dsn_delayed_4.4.1.eml", "sotoneko@nora.nyaan.jp")


def monday(weeks: int) -> date:
    """The Monday ``weeks`` after the first one to come (a week ahead, as test_recurring)."""
    today = datetime.now(UTC).date()
    return today + timedelta(days=(7 - today.weekday()) or 7) + WEEK * (weeks + 1)


class Clock:
    def __init__(self) -> None:
        self.now = datetime.combine(monday(0) - timedelta(days=5), time(9), UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def world(
    settings: Settings,
    db: None,
    relay: tuple[CaptureHandler, int],
    dns: TableResolver,
    clock: Clock,
) -> AsyncIterator[World]:
    async with running_service(settings, relay[1], dns, clock) as running:
        yield World(running, relay[0])


def report(name: str, named: str = "", address: str = "") -> bytes:
    """A real report with the address it names rewritten, its lines ending in CRLF."""
    raw = (BOUNCES / name).read_bytes()
    if named:
        raw = raw.replace(named.encode(), address.encode())
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


async def comes_back(service: Service, return_path: str, data: bytes) -> None:
    """A mail system sends a report to the return path (null sender, no border's word)."""
    assert (await send(service.smtp_port, "", [return_path], data, border=None)).code == 250
    await all_settled()


async def weekly_digest(world: World, clock: Clock, week: int) -> list[Captured]:
    """Monday of ``week``, 09:00: the digests the cron job sends."""
    clock.now = datetime.combine(monday(week), time(9), UTC)
    before = len(world.capture.messages)
    ctx = {"settings": world.service.settings, "clock": clock, "redis": world.service.redis}
    await digests_job(ctx)
    await all_settled()
    return world.capture.messages[before:]


async def standing() -> tuple[int, bool]:
    row = await AddressBounces.get_or_none(address=ROBIN)
    if row is None:
        return 0, False
    return row.score, row.suspended_at is not None and row.retry_since is None


async def status_of(digest: Captured) -> str:
    row = await OutboundMessage.get(message_id=digest.message["Message-ID"].strip("<>"))
    return row.status


async def test_a_partner_bouncing_three_weeks_running_is_suspended_told_once_and_cleared(
    world: World, clock: Clock
) -> None:
    world.names[ROBIN] = "Robin Vale"
    await world.publish(ANNA, ["Send the board report by Friday"], [ROBIN])

    # Week one: the digest comes back for good.
    [digest] = to(await weekly_digest(world, clock, 0), ROBIN)
    await comes_back(world.service, digest.mail_from, report(*PERMANENT[0], ROBIN))
    assert (await status_of(digest), await standing()) == ("bounced", (1, False))

    # Week two: "delayed, still trying" first, which changes nothing but a note.
    [digest] = to(await weekly_digest(world, clock, 1), ROBIN)
    await comes_back(world.service, digest.mail_from, report(*DELAYED, ROBIN))
    row = await OutboundMessage.get(message_id=digest.message["Message-ID"].strip("<>"))
    assert (row.status, await standing()) == ("sent", (1, False))
    assert row.last_error.startswith("delivery report: not a failure (delayed): 4.4.1")
    await comes_back(world.service, digest.mail_from, report(*PERMANENT[1], ROBIN))
    assert (await status_of(digest), await standing()) == ("bounced", (2, False))

    # Week three: the third bounce suspends the address; Anna is told, once.
    [digest] = to(await weekly_digest(world, clock, 2), ROBIN)
    before = len(world.capture.messages)
    await comes_back(world.service, digest.mail_from, report(*PERMANENT[2], ROBIN))
    assert await standing() == (3, True)
    [told] = world.capture.messages[before:]
    assert told.rcpt_tos == [ANNA]
    assert told.message["Subject"] == "Robin's address has stopped accepting mail"
    assert f"Robin's address {ROBIN} has stopped accepting mail" in told.words()
    assert "We have paused their digests" in told.words()
    # Another MTA's report on the same email counts for nothing more, and tells nobody.
    await comes_back(world.service, digest.mail_from, report(*PERMANENT[0], ROBIN))
    assert (len(world.capture.messages), await standing()) == (before + 1, (3, True))

    # `pactmail status` counts it, as a figure: nothing for an operator to do.
    health = await read_health(clock.now, Queue(0))
    assert (health.suspended, "bounces:   1 address(es) suspended") == (
        1,
        health.report().split("\n")[4],
    )

    # Week four: no digest goes to the suspended address.
    assert to(await weekly_digest(world, clock, 3), ROBIN) == []
    assert await send_due_digests(world.service.settings, clock.now, now_not_monday=True) == []

    # Mail in Robin's name that nothing authenticates proves nothing; answers to it still go.
    [answer] = await world.write(ROBIN, "help@pactmail.localhost", "Hi", border="fail")
    assert (answer.rcpt_tos, await standing()) == ([ROBIN], (3, True))
    # Robin writes from the address: it works, the suspension is gone, digests resume.
    await world.write(ROBIN, "help@pactmail.localhost", "How does this work?", subject="Hi")
    assert await standing() == (0, False)
    assert len(to(await weekly_digest(world, clock, 4), ROBIN)) == 1


async def test_re_enable_tries_again_and_a_failed_try_suspends_at_once(
    world: World, clock: Clock
) -> None:
    await world.publish(ANNA, ["Send the board report by Friday"], [ROBIN])
    for week in range(3):
        [digest] = to(await weekly_digest(world, clock, week), ROBIN)
        await comes_back(world.service, digest.mail_from, report(*PERMANENT[week], ROBIN))
    assert await standing() == (3, True)
    [told] = to(world.capture.messages, ANNA)[-1:]
    assert "Your partner's address" in told.words()

    # Anna replies "re-enable": the next digest is tried again.
    [confirmed] = await world.write(ANNA, told.message["Reply-To"], "re-enable", answering=told)
    assert f"We will try {ROBIN} again with the next digest" in confirmed.words()
    [digest] = to(await weekly_digest(world, clock, 3), ROBIN)

    # It bounces again: suspended at once, and Anna is told again (a new suspension).
    before = len(world.capture.messages)
    await comes_back(world.service, digest.mail_from, report(*PERMANENT[0], ROBIN))
    assert await standing() == (3, True)
    assert [m.rcpt_tos for m in world.capture.messages[before:]] == [[ANNA]]
    assert to(await weekly_digest(world, clock, 4), ROBIN) == []


async def test_auto_replies_and_reports_for_no_email_of_ours_change_nothing(
    world: World, clock: Clock
) -> None:
    await world.publish(ANNA, ["Send the board report by Friday"], [ROBIN])
    [digest] = to(await weekly_digest(world, clock, 0), ROBIN)
    vacation = report("autoreply_exchange_automatic_reply.eml")
    await comes_back(world.service, digest.mail_from, vacation)
    # The same out-of-office answer, sent to the digest's reply address.
    reply_to = digest.message["Reply-To"]
    assert (await send(world.service.smtp_port, ROBIN, [reply_to], vacation)).code == 250
    # A report for an email that does not exist, and one to a forged token.
    unknown = bounce_address(world.service.settings, 999_999, clock.now)
    await comes_back(world.service, unknown, report(*PERMANENT[0], ROBIN))
    forged = digest.mail_from.replace("bounce+", "bounce+x")
    reply = await send(world.service.smtp_port, "", [forged], report(*PERMANENT[0], ROBIN))
    assert reply.code == 550
    await all_settled()

    assert (await status_of(digest), await standing()) == ("sent", (0, False))
    reasons = [row["reason"] for row in await InboundMessage.all().order_by("id").values("reason")]
    assert reasons[-3:] == [
        "auto-reply to a return path: exchange auto-reply",
        "not answered (RFC 3834): auto-response suppressed",
        "bounce for unknown mail",
    ]


async def test_a_suspended_address_gets_no_summary_reminder_or_invitation(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    world = World(service, relay[0])
    await world.publish(ROBIN, ["Write the grant report by Friday"], [])
    cc = "Cc: carl@example.org, dan@example.org"  # invited, not answering
    await world.write(ANNA, COMMIT, "- Ship the release by Friday\n", extra=cc)
    now = datetime.now(UTC)
    for address in (ROBIN, "carl@example.org"):
        await AddressBounces.create(address=address, score=3, last_bounce_on=now, suspended_at=now)

    # Summaries: Anna's goes, Robin's does not.
    ctx = {"settings": service.settings, "clock": lambda: now + WEEK, "redis": service.redis}
    assert await summaries_job(ctx) == "1 summaries"
    assert [row.to_address for row in await OutboundMessage.filter(template="summary")] == [ANNA]
    # Invitation reminders: Dan's goes, Carl's does not.
    reminders = await remind_and_expire(service.settings, now + timedelta(days=4))
    reminded = await OutboundMessage.filter(id__in=reminders, template="invitation")
    assert [row.to_address for row in reminded] == ["dan@example.org"]
    assert service.redis is not None
    await enqueue_outbound(service.redis, service.settings.queue_name, reminders)
    # An invitation: held back, and Bob is told why.
    arrived = await world.write(
        "bob@example.org", COMMIT, "- Plan Q1 by Friday\n", extra=f"Cc: {ROBIN}"
    )
    assert to(arrived, ROBIN) == []
    [confirmation] = to(arrived, "bob@example.org")
    assert "their address has stopped accepting mail" in confirmation.words()


async def test_a_bounced_email_is_never_offered_to_be_sent_again(db: None) -> None:
    row = await OutboundMessage.create(
        idempotency_key="k", template="digest", to_address=ROBIN, context={},
        message_id="m@x", status=OutboundStatus.BOUNCED.value,
    )  # fmt: skip
    assert await unsettled() == []
    assert await release_for_resend([row.id]) == []
    assert (await OutboundMessage.get(id=row.id)).status == "bounced"
