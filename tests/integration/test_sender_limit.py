"""Messages per From: address an hour (SPEC §7), through real SMTP.

Past the limit a message is kept, not acted on, and marked limited; its
sender hears so at most once a day, however proven. Others go on as before.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from limits import parse

from mailer.models import Commitment, InboundMessage, InboundStatus
from mailer.processing import process_batch
from mailer.ratelimit import Limiter
from mailer.reading import Reader
from mailer.settings import RateLimits, Settings
from mailer.trust.judge import SenderJudge
from mailer.trust.resolver import TableResolver
from tests.conftest import running_service
from tests.integration.test_commit_flow import wait_until_settled
from tests.security.test_forged_sender import ANNA, COMMIT, quiet
from tests.support.capture import Captured, CaptureHandler
from tests.support.smtpclient import message, send
from workers.service import Service

LIMIT = 4
BEN = "ben@example.org"
CONFIRM_LINK = re.compile(r'href="mailto:(reply\+[^"?]+)\?subject=confirm')


def sender_limited(settings: Settings, limit: int = LIMIT) -> Settings:
    return replace(
        settings,
        rate_limits=RateLimits(client=None, sender=parse(f"{limit}/hour")),
    )


async def commit(
    service: Service, sender: str, number: int, *, border: str | None = "pass"
) -> None:
    data = message(
        sender=sender,
        subject=f"Week {number}",
        message_id=f"<{number}.{sender}>",
        body=f"Finish report {number} by Friday\n",
    )
    assert (await send(service.smtp_port, sender, [COMMIT], data, border=border)).code == 250


def about(captured: list[Captured], address: str, words: str) -> list[Captured]:
    return [m for m in captured if m.rcpt_tos == [address] and words in m.text()]


async def statuses(sender: str) -> list[str]:
    rows = await InboundMessage.filter(mail_from=sender).order_by("id")
    return sorted(row.status for row in rows)


async def test_past_its_hourly_rate_a_sender_is_limited_and_told_once_others_go_on(
    settings: Settings, db: None, relay: tuple[CaptureHandler, int]
) -> None:
    capture, relay_port = relay
    async with running_service(sender_limited(settings), relay_port) as service:
        for number in range(LIMIT + 3):
            await commit(service, ANNA, number)  # authenticated by the border: proven
        await commit(service, BEN, 0)
        sent = await quiet(capture, 0)
        assert await statuses(ANNA) == ["limited"] * 3 + ["processed"] * LIMIT
        assert await statuses(BEN) == ["processed"]
        limited = await InboundMessage.filter(status=InboundStatus.LIMITED.value)
        assert {row.reason for row in limited} == {
            "limited: we act on at most 4 messages an hour from one address"
        }
        assert {row.dedup_key for row in limited} == {None}  # a later copy is not a duplicate
        assert await Commitment.all().count() == LIMIT + 1
    assert len(about(sent, ANNA, "due: ")) == LIMIT
    [told] = about(sent, ANNA, "faster than we act on them")
    assert "at most 4 messages an hour from one address" in " ".join(told.text().split())
    assert told.message["Subject"].startswith("Re: Week ")
    assert len(about(sent, BEN, "due: ")) == 1
    assert len(sent) == LIMIT + 2  # nothing else, to anyone


async def test_automatic_replies_do_not_count_against_the_rate(
    settings: Settings, db: None, relay: tuple[CaptureHandler, int]
) -> None:
    capture, relay_port = relay
    async with running_service(sender_limited(settings, 1), relay_port) as service:
        for number in range(3):
            data = message(
                message_id=f"<away{number}@example.com>",
                extra="Auto-Submitted: auto-replied",
            )
            assert (await send(service.smtp_port, ANNA, [COMMIT], data)).code == 250
        await commit(service, ANNA, 1)
        sent = await quiet(capture, 0)
        assert await statuses(ANNA) == ["ignored"] * 3 + ["processed"]
    assert len(about(sent, ANNA, "due: ")) == 1


async def test_a_sender_past_its_rate_cannot_confirm_its_way_past_it(
    settings: Settings, db: None, relay: tuple[CaptureHandler, int]
) -> None:
    """Unproven, held, then over the rate: the confirmation itself is limited."""
    capture, relay_port = relay
    async with running_service(sender_limited(settings, 2), relay_port) as service:
        await commit(service, ANNA, 1, border=None)
        [question] = await capture.wait_for(1)
        html = question.message.get_body(preferencelist=("html",))
        assert html is not None
        [address] = CONFIRM_LINK.findall(html.get_content())
        await commit(service, ANNA, 2, border=None)  # held too: the rate is used up
        answer = message(to=address, subject="confirm", body="confirm", message_id="<ok@x>")
        assert (await send(service.smtp_port, ANNA, [address], answer, border=None)).code == 250
        sent = await quiet(capture, 1)
        assert await statuses(ANNA) == ["held", "held", "limited"]
        assert await Commitment.all().count() == 0
    assert [m.rcpt_tos for m in sent] == [[ANNA]]
    assert "faster than we act on them" in sent[0].text()


async def test_with_redis_down_the_worker_lets_every_sender_through(
    settings: Settings,
    db: None,
    relay: tuple[CaptureHandler, int],
    caplog: pytest.LogCaptureFixture,
) -> None:
    limits = sender_limited(settings, 1)
    # Mail taken, and processed here by hand with a limiter whose Redis is gone.
    taking = Service(replace(limits, relay=("127.0.0.1", relay[1])), worker=False, migrate=False)
    gone = Limiter("redis://127.0.0.1:1/0", "nowhere")  # nothing listens on port 1
    judge = SenderJudge(settings.trusted_authserv_ids, TableResolver(), settings.trusted_relays)
    reader = Reader(processes=1)
    await taking.start()
    try:
        for number in range(3):
            await commit(taking, ANNA, number)
        ids = [row.id for row in await InboundMessage.all()]
        with caplog.at_level(logging.WARNING, logger="mailer.ratelimit"):
            await process_batch(ids, limits, datetime.now(UTC), judge, reader, limiter=gone)
        assert await statuses(ANNA) == ["processed"] * 3
    finally:
        await reader.close()
        await gone.aclose()
        await taking.stop()
    assert any("rate limits unchecked" in record.getMessage() for record in caplog.records)


async def test_forgeries_do_not_use_up_the_rate_of_a_senders_own_mail(
    settings: Settings, db: None, relay: tuple[CaptureHandler, int]
) -> None:
    _, relay_port = relay
    async with running_service(sender_limited(settings), relay_port) as service:
        for number in range(LIMIT):  # forged in Anna's name, past no border
            await commit(service, ANNA, number, border=None)
        await commit(service, ANNA, 99)  # her own, authenticated
        await wait_until_settled(LIMIT + 1)
        assert await Commitment.all().count() == 1
        assert "limited" not in await statuses(ANNA)
