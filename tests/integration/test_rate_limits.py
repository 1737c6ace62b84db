"""Rate limits per client IP at the SMTP server (SPEC §7), through real SMTP.

A flood from one client is answered 451 4.7.1 once over its limit, so real
MTAs retry later; everyone else's mail goes on being answered at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import replace
from ipaddress import ip_network
from pathlib import Path

import pytest
from limits import parse

from mailer.embedded_redis import EmbeddedRedis
from mailer.models import InboundMessage
from mailer.refusals import SmtpReply
from mailer.settings import RateLimits, Settings
from tests.conftest import running_service
from tests.support.capture import CaptureHandler
from tests.support.smtpclient import (
    Reply,
    Transaction,
    message,
    send,
    send_many,
    through_border,
)
from workers.service import Service

LIMIT = 20
FLOOD = 500
FLOODER = "127.0.0.2"  # also the border, in the test of a trusted relay
OTHER = "127.0.0.3"
CONFIRMATION_SECONDS = 2.0


def limited(settings: Settings, *trusted: str) -> Settings:
    """Client limits on; ``trusted`` borders, and the other client, a second border
    handing over mail that proves its sender (its results count only from a border)."""
    return replace(
        settings,
        rate_limits=RateLimits(client=parse(f"{LIMIT}/minute"), sender=None),
        trusted_relays=tuple(ip_network(relay) for relay in (*trusted, OTHER)),
    )


def commit_mail(sender: str, *, relayed_from: str | None = None) -> Transaction:
    """A message to commit@ that is answered with a confirmation.

    ``relayed_from``: the client IP the border's Received: line names.
    """
    data = message(
        sender=sender,
        message_id=f"<{sender.replace('@', '.')}@example.com>",
        body="Finish the report by Friday\n",
    )
    # As the border hands genuine mail over: its results, then its Received:
    # line naming the client it took the message from.
    data = through_border(data, client_ip=relayed_from or "192.0.2.10")
    return Transaction(sender, ["commit@pactmail.localhost"], data)


def flood(relayed_from: str | None = None) -> list[Transaction]:
    return [
        commit_mail(f"flood{number}@example.com", relayed_from=relayed_from)
        for number in range(FLOOD)
    ]


def assert_limited(replies: list[Reply]) -> None:
    """The first LIMIT messages stored, every one after them deferred."""
    assert len(replies) == FLOOD
    assert [reply.code for reply in replies[:LIMIT]] == [250] * LIMIT
    assert {reply.text for reply in replies[LIMIT:]} == {
        SmtpReply.CLIENT_RATE_LIMITED.removeprefix("451 ")
    }
    assert sum(reply.code == 451 for reply in replies) == FLOOD - LIMIT


async def confirmation_for(capture: CaptureHandler, address: str, timeout: float = 10.0) -> float:
    """Wait for the confirmation sent to ``address``; the monotonic time it was captured."""
    async with asyncio.timeout(timeout):
        while not any(
            captured.rcpt_tos == [address] and "published" in captured.text()
            for captured in capture.messages
        ):
            await asyncio.sleep(0.005)
    return time.monotonic()


async def test_a_flood_from_one_ip_is_deferred_while_others_are_answered_at_once(
    settings: Settings, db: None, relay: tuple[CaptureHandler, int]
) -> None:
    capture, relay_port = relay
    async with running_service(limited(settings), relay_port) as service:
        replies: list[Reply] = []
        flooding = asyncio.create_task(
            send_many(service.smtp_port, flood(), source=FLOODER, replies=replies)
        )
        async with asyncio.timeout(10):
            while len(replies) < LIMIT + 10 and not flooding.done():  # over its limit now
                await asyncio.sleep(0.001)
        other = commit_mail("other@example.com")
        reply = await send(
            service.smtp_port, other.mail_from, other.rcpt_tos, other.data, source=OTHER
        )
        answered = time.monotonic()
        during_flood = not flooding.done()
        assert reply.code == 250
        delay = await confirmation_for(capture, "other@example.com") - answered
        assert_limited(await flooding)
        assert during_flood
        print(f"confirmation {delay * 1000:.0f} ms after the 250, during the flood")
        assert delay < CONFIRMATION_SECONDS
        assert await InboundMessage.all().count() == LIMIT + 1  # nothing past the limit
        await capture.wait_for(LIMIT + 1)  # the stored share of the flood is answered too


async def test_a_flood_through_a_trusted_border_is_limited_by_the_client_it_names(
    settings: Settings, db: None, relay: tuple[CaptureHandler, int]
) -> None:
    capture, relay_port = relay
    border = FLOODER
    async with running_service(limited(settings, border), relay_port) as service:
        replies = await send_many(
            service.smtp_port, flood(relayed_from="198.51.100.7"), source=border
        )
        assert_limited(replies)
        # The border itself is never limited: another client's mail passes.
        other = commit_mail("other@example.com", relayed_from="198.51.100.8")
        reply = await send(
            service.smtp_port, other.mail_from, other.rcpt_tos, other.data, source=border
        )
        assert reply.code == 250
        await confirmation_for(capture, "other@example.com")
        assert await InboundMessage.all().count() == LIMIT + 1


async def test_a_received_line_counts_only_from_a_trusted_relay(
    settings: Settings, db: None, relay: tuple[CaptureHandler, int]
) -> None:
    """Anyone can write a Received: line: naming a new client each time gains nothing."""
    _, relay_port = relay
    async with running_service(limited(settings, "127.0.0.4"), relay_port) as service:
        transactions = [
            commit_mail(f"n{number}@example.com", relayed_from=f"198.51.100.{number}")
            for number in range(LIMIT + 1)
        ]
        replies = await send_many(service.smtp_port, transactions, source=FLOODER)
        assert [reply.code for reply in replies] == [250] * LIMIT + [451]


async def test_with_redis_down_mail_is_taken_unlimited_with_one_warning(
    settings: Settings,
    db: None,
    relay: tuple[CaptureHandler, int],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    own_redis = EmbeddedRedis(tmp_path)
    url = await own_redis.start()
    smtp_only = Service(
        replace(limited(settings), redis_url=url, relay=("127.0.0.1", relay[1])),
        worker=False,
        migrate=False,
    )
    await smtp_only.start()
    try:
        before = await send_many(smtp_only.smtp_port, flood()[: LIMIT + 1], source=FLOODER)
        assert [reply.code for reply in before] == [250] * LIMIT + [451]
        own_redis.stop()  # Redis goes away with the service running
        with caplog.at_level(logging.WARNING, logger="mailer.ratelimit"):
            during = await send_many(
                smtp_only.smtp_port, flood()[LIMIT + 1 : LIMIT + 11], source=FLOODER
            )
        assert [reply.code for reply in during] == [250] * 10
        warnings = [record for record in caplog.records if record.name == "mailer.ratelimit"]
        assert len(warnings) == 1  # at most one a minute
    finally:
        await smtp_only.stop()
