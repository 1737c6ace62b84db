"""Attacks on who a message claims to be from (issue 9, SPEC §7), through real SMTP.

Each attack ends with no email to anyone but the claimed sender, no stored
data shown, and no person, partnership or commitment created: checked by
counting captured mail and rows.
"""

from __future__ import annotations

import asyncio

from mailer.models import (
    Commitment,
    InboundMessage,
    InboundStatus,
    OutboundMessage,
    OutboundStatus,
    Partnership,
    Person,
)
from tests.integration.test_commit_flow import THREE_COMMITMENTS, wait_until_settled
from tests.support.capture import Captured, CaptureHandler
from tests.support.smtpclient import message, send, through_border
from workers.service import Service

ANNA = "anna@example.com"
COMMIT = "commit@pactmail.localhost"
STRANGER = "stranger@elsewhere.example"


async def publish_genuinely(service: Service, capture: CaptureHandler) -> Captured:
    """Anna, authenticated by the border, publishes three commitments; returns the confirmation."""
    before = len(capture.messages)
    data = message(body=THREE_COMMITMENTS, message_id="<genuine@example.com>")
    assert (await send(service.smtp_port, ANNA, [COMMIT], data)).code == 250
    [confirmation] = (await capture.wait_for(before + 1))[before:]
    return confirmation


async def rows() -> tuple[int, int, int]:
    return (
        await Person.all().count(),
        await Partnership.all().count(),
        await Commitment.all().count(),
    )


async def settled(count: int) -> list[InboundMessage]:
    return await wait_until_settled(count)


async def quiet(capture: CaptureHandler, count: int) -> list[Captured]:
    """What the relay got after the first ``count``, once every message is processed
    and every email it caused is sent."""
    async with asyncio.timeout(15):
        while await InboundMessage.filter(status=InboundStatus.RECEIVED.value).exists() or (
            await OutboundMessage.filter(
                status__in=[OutboundStatus.PENDING.value, OutboundStatus.DATA_SENT.value]
            ).exists()
        ):
            await asyncio.sleep(0.05)
    return capture.messages[count:]


async def test_forged_from_with_a_stranger_in_cc_invites_nobody_and_shows_nothing(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    await publish_genuinely(service, capture)
    before_rows, before_mail = await rows(), len(capture.messages)
    for border in (None, "fail"):  # past no border, and past one whose DMARC check failed
        forged = message(
            body="\n", message_id=f"<{border}@attacker.example>", extra=f"Cc: Someone <{STRANGER}>"
        )
        reply = await send(service.smtp_port, ANNA, [COMMIT], forged, border=border)
        assert reply.code == 250
    await settled(3)
    after = await quiet(capture, before_mail)
    assert [m.rcpt_tos for m in after] == [[ANNA]]  # one "Was this you?", to the claimed sender
    [question] = after
    assert question.message["Subject"] == "Was this you? Please confirm your message to pactmail"
    assert "quarterly report" not in question.data.decode()  # no earlier commitment shown
    assert "s***@elsewhere[.]example" in question.text()  # who it would invite: masked, inert
    assert STRANGER not in question.data.decode()
    assert await rows() == before_rows
    held = await InboundMessage.filter(status=InboundStatus.HELD.value)
    assert len(held) == 2
    assert {row.sender_auth for row in held} == {"unauthenticated"}


async def test_forged_partner_lines_again_and_again_mail_no_one_else(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    await publish_genuinely(service, capture)
    before_rows, before_mail = await rows(), len(capture.messages)
    partners = "\n".join(f"partner: Victim {n} <victim{n}@elsewhere.example>" for n in range(10))
    for n in range(5):
        forged = message(body=f"- Ship it\n{partners}\n", message_id=f"<flood{n}@attacker.example>")
        assert (await send(service.smtp_port, ANNA, [COMMIT], forged, border=None)).code == 250
    await settled(6)
    after = await quiet(capture, before_mail)
    # Five forged messages, one automatic answer to the claimed sender today.
    assert [m.rcpt_tos for m in after] == [[ANNA]]
    assert await rows() == before_rows


async def test_a_copied_message_id_in_references_applies_no_command(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    confirmation = await publish_genuinely(service, capture)
    message_id = confirmation.message["Message-ID"]
    reply_to = confirmation.message["Reply-To"]
    token = reply_to.partition("+")[2].partition("@")[0]
    assert token
    assert token not in message_id.lower()
    before_mail = len(capture.messages)
    forged = message(
        to="reply@pactmail.localhost",
        body="drop 1\ndrop 2\nstop\n",
        message_id="<copied@attacker.example>",
        extra=f"In-Reply-To: {message_id}\r\nReferences: {message_id}",
    )
    reply = await send(service.smtp_port, ANNA, ["reply@pactmail.localhost"], forged, border=None)
    assert reply.code == 250
    await settled(2)
    after = await quiet(capture, before_mail)
    assert [m.rcpt_tos for m in after] == [[ANNA]]
    assert {c.state for c in await Commitment.all()} == {"open"}


async def test_a_reply_token_used_from_another_unproven_address_tells_no_one_else(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    confirmation = await publish_genuinely(service, capture)
    address = confirmation.message["Reply-To"]
    before_rows, before_mail = await rows(), len(capture.messages)
    mallory = "mallory@attacker.example"
    forged = message(sender=mallory, to=address, body="drop 1\n", message_id="<m@attacker.example>")
    assert (await send(service.smtp_port, mallory, [address], forged, border=None)).code == 250
    await settled(2)
    after = await quiet(capture, before_mail)
    assert all(m.rcpt_tos == [mallory] for m in after)  # nothing reaches Anna
    assert ANNA not in b"".join(m.data for m in after).decode()
    assert {c.state for c in await Commitment.all()} == {"open"}
    assert await rows() == before_rows


async def test_an_untrusted_border_saying_pass_counts_for_nothing(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    data = through_border(
        message(body=THREE_COMMITMENTS, extra=f"Cc: <{STRANGER}>"),
        "pass",
        authserv_id="mx.attacker.example",
    )
    assert (await send(service.smtp_port, ANNA, [COMMIT], data, border=None)).code == 250
    [row] = await settled(1)
    after = await quiet(capture, 0)
    assert [m.rcpt_tos for m in after] == [[ANNA]]
    assert row.status == InboundStatus.HELD.value
    assert await rows() == (0, 0, 0)


async def test_the_trusted_border_saying_fail_holds_the_message(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    data = message(body=THREE_COMMITMENTS, extra=f"Cc: <{STRANGER}>")
    assert (await send(service.smtp_port, ANNA, [COMMIT], data, border="fail")).code == 250
    [row] = await settled(1)
    assert [m.rcpt_tos for m in await quiet(capture, 0)] == [[ANNA]]
    assert (row.status, row.sender_auth) == ("held", "unauthenticated")
    assert "dmarc=fail" in row.sender_evidence
    assert await rows() == (0, 0, 0)


async def test_a_trusted_result_written_below_the_received_line_is_the_senders_own(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    # The sender wrote a perfect copy of the border's header into their own
    # message; the border added its Received: line (and a failing result) on top.
    own = through_border(message(body=THREE_COMMITMENTS, extra=f"Cc: <{STRANGER}>"), "pass")
    own = own.split(b"Received:")[0] + own[own.index(b"From:") :]
    data = b"Received: from attacker.example by mx.pactmail.test; Wed, 25 Nov 2026\r\n" + own
    assert (await send(service.smtp_port, ANNA, [COMMIT], data, border=None)).code == 250
    [row] = await settled(1)
    assert [m.rcpt_tos for m in await quiet(capture, 0)] == [[ANNA]]
    assert row.sender_auth == "unauthenticated"
    assert await rows() == (0, 0, 0)


async def test_a_from_address_read_two_ways_proves_nothing(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    """The border vouches for the attacker's own domain; the envelope names Anna."""
    capture, _ = relay
    await publish_genuinely(service, capture)
    before_rows, before_mail = await rows(), len(capture.messages)
    for n, author in enumerate(['"x"@attacker.example', '"b o b"@attacker.example']):
        data = (
            "Authentication-Results: mx.pactmail.test; dmarc=pass header.from=attacker.example\r\n"
            "Received: from x (x [192.0.2.9]) by mx.pactmail.test; Wed, 25 Nov 2026\r\n"
            f"From: {author}\r\nTo: {COMMIT}\r\nSubject: hi\r\nMessage-ID: <two{n}@x>\r\n"
            f"Cc: <{STRANGER}>\r\n\r\n- Something in Anna's name\r\n"
        ).encode()
        assert (await send(service.smtp_port, ANNA, [COMMIT], data, border=None)).code == 250
    await settled(3)
    after = await quiet(capture, before_mail)
    assert all(m.rcpt_tos != [STRANGER] for m in after)
    assert await rows() == before_rows
    assert await InboundMessage.filter(sender_auth="authenticated").count() == 1  # Anna's own


async def test_a_from_header_that_defeats_the_parser_holds_up_no_other_message(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    nested = "(" * 1500 + ")" * 1500
    folded = "\r\n ".join(nested[i : i + 900] for i in range(0, len(nested), 900))
    poison = (
        f"From: {folded} eve@attacker.example\r\nTo: {COMMIT}\r\nSubject: x\r\n"
        "Message-ID: <poison@x>\r\n\r\n- x\r\n"
    ).encode()
    eve = "eve@attacker.example"
    assert (await send(service.smtp_port, eve, [COMMIT], poison, border=None)).code == 250
    good = message(body=THREE_COMMITMENTS, message_id="<after-poison@example.com>")
    assert (await send(service.smtp_port, ANNA, [COMMIT], good)).code == 250
    await settled(2)
    assert [m.rcpt_tos for m in await quiet(capture, 0) if m.rcpt_tos == [ANNA]] == [[ANNA]]
    assert await Commitment.all().count() == 3


async def test_border_results_count_only_from_a_trusted_relay(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    """Straight to pactmail's port, from an IP that is no border: the results are the sender's."""
    capture, _ = relay
    data = message(body=THREE_COMMITMENTS, extra=f"Cc: <{STRANGER}>")
    reply = await send(service.smtp_port, ANNA, [COMMIT], data, source="127.0.0.2")
    assert reply.code == 250
    [row] = await settled(1)
    assert [m.rcpt_tos for m in await quiet(capture, 0)] == [[ANNA]]
    assert (row.status, row.sender_auth) == ("held", "unauthenticated")
    assert await rows() == (0, 0, 0)
