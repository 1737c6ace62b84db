"""Mail that must never be answered automatically is stored and left unanswered (RFC 3834)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from mailer.models import Commitment, InboundMessage, InboundStatus, OutboundMessage
from tests.integration.test_commit_flow import wait_until_settled
from tests.support.capture import CaptureHandler
from tests.support.smtpclient import message, send
from workers.service import Service

DATA = Path(__file__).resolve().parents[1] / "data"

AUTOMATIC = {
    "auto-submitted": "Auto-Submitted: auto-replied",
    "precedence bulk": "Precedence: bulk",
    "precedence list": "Precedence: list",
    "precedence junk": "Precedence: junk",
    "list-id": "List-Id: <team.lists.example.com>",
    "auto-response suppressed": "X-Auto-Response-Suppress: All",
}


@pytest.mark.parametrize("header", AUTOMATIC.values(), ids=AUTOMATIC.keys())
async def test_automatic_mail_is_stored_not_answered(
    service: Service, relay: tuple[CaptureHandler, int], header: str
) -> None:
    capture, _ = relay
    reply = await send(
        service.smtp_port, "anna@example.com", ["commit@pactmail.localhost"], message(extra=header)
    )
    assert reply.code == 250
    [row] = await wait_until_settled(1)
    assert row.status == InboundStatus.IGNORED.value
    assert "RFC 3834" in row.reason
    assert await OutboundMessage.all().count() == 0
    assert await Commitment.all().count() == 0
    await asyncio.sleep(0.3)
    assert capture.messages == []


async def test_null_sender_is_not_answered(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    reply = await send(service.smtp_port, "<>", ["help@pactmail.localhost"], message())
    assert reply.code == 250
    [row] = await wait_until_settled(1)
    assert row.status == InboundStatus.IGNORED.value
    assert await OutboundMessage.all().count() == 0


async def test_our_own_mail_coming_back_is_not_answered(service: Service) -> None:
    data = message(sender="commit@pactmail.localhost")
    await send(service.smtp_port, "commit@pactmail.localhost", ["help@pactmail.localhost"], data)
    [row] = await wait_until_settled(1)
    assert row.status == InboundStatus.IGNORED.value
    assert await OutboundMessage.all().count() == 0


async def test_a_bounce_marks_the_outbound_message_bounced_and_is_not_answered(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    await send(
        service.smtp_port,
        "anna@example.com",
        ["help@pactmail.localhost"],
        message(to="help@pactmail.localhost"),
    )
    [sent] = await capture.wait_for(1)
    bounce_address = sent.mail_from
    assert bounce_address.startswith("bounce+")
    # A real Postfix report (tests/data/bounces/), for Anna's address.
    real = (DATA / "bounces" / "postfix_5.1.1_address_rejected.eml").read_bytes()
    report = real.replace(b"kijitora@example.co.jp", b"anna@example.com").replace(b"\n", b"\r\n")
    reply = await send(service.smtp_port, "", [bounce_address], report, border=None)
    assert reply.code == 250
    rows = await wait_until_settled(2)
    bounce_row = max(rows, key=lambda row: row.id)
    assert bounce_row.status == InboundStatus.PROCESSED.value
    [outbound] = await OutboundMessage.all()
    assert outbound.status == "bounced"
    assert outbound.last_error.startswith("bounced: permanent (failed): 5.1.1 550 5.1.1")
    assert len(capture.messages) == 1
    assert await InboundMessage.all().count() == 2
