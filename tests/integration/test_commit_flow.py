"""commit@ end to end: SMTP in, commitments stored, a threaded confirmation out."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

from mailer.models import Commitment, InboundMessage, InboundStatus, OutboundMessage
from mailer.tokens import Purpose, make_token
from tests.support.capture import CaptureHandler
from tests.support.settle import all_settled
from tests.support.smtpclient import message, send
from workers.service import Service

THREE_COMMITMENTS = """Hi,

- Finish the quarterly report by Friday
- Call the supplier about the contract by Dec 15
- Go running three times a week

Thanks,

Anna Keller
Head of Operations
+41 44 555 12 12
"""


async def wait_until_settled(count: int, timeout: float = 15.0) -> list[InboundMessage]:
    """Wait until ``count`` inbound rows have left the received state."""
    async with asyncio.timeout(timeout):
        while True:
            rows = await InboundMessage.exclude(status=InboundStatus.RECEIVED.value)
            if len(rows) >= count:
                return rows
            await asyncio.sleep(0.05)


async def test_three_commitments_and_a_threaded_confirmation(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    data = message(body=THREE_COMMITMENTS, message_id="<week48@example.com>")
    reply = await send(service.smtp_port, "anna@example.com", ["commit@pactmail.localhost"], data)
    assert reply.code == 250

    [confirmation] = await capture.wait_for(1)
    commitments = await Commitment.all().order_by("number")
    assert [(c.number, c.due_date, c.recurrence_label) for c in commitments] == [
        (1, date(2026, 11, 27), None),
        (2, date(2026, 12, 15), None),
        (3, commitments[2].due_date, "3 times a week"),
    ]
    assert "Anna Keller" not in " ".join(c.text for c in commitments)

    headers = confirmation.message
    assert headers["In-Reply-To"] == "<week48@example.com>"
    assert "<week48@example.com>" in headers["References"]
    assert headers["Subject"] == "Re: My week"
    assert headers["Auto-Submitted"] == "auto-replied"
    assert headers["Reply-To"].startswith("reply+")
    assert confirmation.rcpt_tos == ["anna@example.com"]
    assert confirmation.mail_from.startswith("bounce+")
    text = confirmation.text()
    assert "#1  Finish the quarterly report by Friday" in text
    assert "due: Fri 27 Nov" in text
    assert "due: Tue 15 Dec" in text
    assert "repeats: 3 times a week" in text


async def test_the_same_message_twice_is_one_set_and_one_confirmation(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    data = message(body=THREE_COMMITMENTS, message_id="<twice@example.com>")
    for _ in range(2):
        reply = await send(
            service.smtp_port, "anna@example.com", ["commit@pactmail.localhost"], data
        )
        assert reply.code == 250
    rows = await wait_until_settled(2)
    assert sorted(row.status for row in rows) == ["duplicate", "processed"]
    await capture.wait_for(1)
    await all_settled()  # room for a second confirmation, were there one
    assert len(capture.messages) == 1
    assert await Commitment.all().count() == 3
    assert await OutboundMessage.all().count() == 1


async def test_without_message_id_the_bytes_identify_a_resend(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    data = message(body="Ship the release by Friday\n", message_id=None)
    for _ in range(2):
        await send(service.smtp_port, "anna@example.com", ["commit@pactmail.localhost"], data)
    rows = await wait_until_settled(2)
    assert sorted(row.status for row in rows) == ["duplicate", "processed"]
    assert await Commitment.all().count() == 1


async def test_help_answers_with_usage(service: Service, relay: tuple[CaptureHandler, int]) -> None:
    capture, _ = relay
    await send(
        service.smtp_port,
        "bob@example.com",
        ["help@pactmail.localhost"],
        message(sender="bob@example.com", to="help@pactmail.localhost", subject="?"),
    )
    [answer] = await capture.wait_for(1)
    assert answer.rcpt_tos == ["bob@example.com"]
    assert "one per line" in answer.text()


async def test_no_commitments_gets_a_friendly_explanation(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    await send(
        service.smtp_port,
        "bob@example.com",
        ["commit@pactmail.localhost"],
        message(sender="bob@example.com", subject="", body="Thanks!\n"),
    )
    [answer] = await capture.wait_for(1)
    assert "We could not act on your message because we found no commitments" in answer.text()
    [row] = await wait_until_settled(1)
    assert row.status == "processed"
    assert await Commitment.all().count() == 0


async def test_another_sender_reusing_a_message_id_is_not_a_duplicate(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    for sender in ("anna@example.com", "bob@example.com"):
        data = message(sender=sender, body="Ship it by Friday\n", message_id="<same@x>")
        await send(service.smtp_port, sender, ["commit@pactmail.localhost"], data)
    rows = await wait_until_settled(2)
    assert [row.status for row in rows] == ["processed", "processed"]
    await capture.wait_for(2)


async def test_an_expired_reply_address_gets_a_clear_answer(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    long_ago = datetime.now(UTC) - timedelta(days=400)
    token = make_token(
        service.settings.secret_key, Purpose.MEMBER, (1,), to="anna@example.com", now=long_ago
    )
    address = f"reply+{token}@pactmail.localhost"
    reply = await send(service.smtp_port, "anna@example.com", [address], message(to=address))
    assert reply.code == 250
    [answer] = await capture.wait_for(1)
    assert "reply address has expired" in answer.text()


async def test_an_internationalised_address_gets_its_confirmation_over_smtputf8(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    sender = "jörg@exämple.de"
    data = (
        f"From: Jörg <{sender}>\r\nTo: commit@pactmail.localhost\r\nSubject: Plän\r\n"
        "Message-ID: <utf8@x>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "Ship it by Friday\r\n"
    ).encode()
    reply = await send(
        service.smtp_port, sender, ["commit@pactmail.localhost"], data, options=["SMTPUTF8"]
    )
    assert reply.code == 250
    [confirmation] = await capture.wait_for(1)
    assert confirmation.rcpt_tos == [sender]
    assert confirmation.message["To"] == sender
    assert "Plän" in confirmation.message["Subject"]
    assert await Commitment.all().count() == 1


KEEP_ME_HONEST = """Hi Pat,

Here's what I'm committing to this week:

- Finish the quarterly report by Friday
- Call the supplier about the contract by Dec 15
- Go running three times a week

Pat, would you keep me honest on these?

Thanks,
Anna
"""


async def test_with_bullets_only_the_bullets_are_published_and_reach_the_partner(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    data = message(
        body=KEEP_ME_HONEST,
        message_id="<honest@example.com>",
        extra="Cc: Pat Lee <pat@example.org>",
    )
    reply = await send(service.smtp_port, "anna@example.com", ["commit@pactmail.localhost"], data)
    assert reply.code == 250

    arrived = await capture.wait_for(2)
    commitments = await Commitment.all().order_by("number")
    assert [(c.number, c.text) for c in commitments] == [
        (1, "Finish the quarterly report by Friday"),
        (2, "Call the supplier about the contract by Dec 15"),
        (3, "Go running three times a week"),
    ]
    [invitation] = [mail for mail in arrived if mail.rcpt_tos == ["pat@example.org"]]
    [confirmation] = [mail for mail in arrived if mail.rcpt_tos == ["anna@example.com"]]
    for mail in (invitation, confirmation):
        text = mail.text()
        assert "#3  Go running three times a week" in text
        assert "#4" not in text
        assert "keep me honest" not in text
