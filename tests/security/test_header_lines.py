"""No line break in a name or a subject adds a header, and later mail still renders and goes.

Each character str.splitlines() splits on, in the From and Cc display
names, the Subject and a ``partner:`` line's name: raw where the transport
carries it, as an RFC 2047 encoded word where a raw CR or LF would end the
header line. Names stored before they were read as one line are checked too.
"""

from __future__ import annotations

import base64

import pytest

from mailer.models import Person
from tests.integration.test_invitations import ANSWER_LINK, html, to
from tests.support.capture import Captured, CaptureHandler
from tests.support.smtpclient import send
from tests.unit.test_headers import BREAKS
from workers.service import Service

ATTACKER = "evil@attacker.example"
SENT = {
    "Content-Type",
    "MIME-Version",
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "Auto-Submitted",
    "X-Auto-Response-Suppress",
    "Reply-To",
}
ANSWERED = SENT | {"In-Reply-To", "References"}  # threaded to the message answered
INVITED = SENT | {"List-Unsubscribe"}  # regular mail: its way out (mailer/emails/kinds.py)


def header_names(captured: Captured) -> list[str]:
    """The header names in the captured bytes, read line by line, not by a parser."""
    head, blank, _ = captured.data.partition(b"\r\n\r\n")
    assert blank
    lines = head.split(b"\r\n")
    assert not any(b"\r" in line or b"\n" in line for line in lines)
    return [line.split(b":", 1)[0].decode() for line in lines if line[:1] not in (b" ", b"\t")]


def assert_headers(captured: Captured, expected: set[str]) -> None:
    names = header_names(captured)
    assert sorted(names) == sorted(expected)  # each once, none added
    parsed = captured.message
    assert sorted(parsed.keys()) == sorted(expected)
    for name, value in parsed.items():
        text = str(value)
        assert len(text.splitlines()) == 1, (name, text)
        assert not any(ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0 for char in text)
        if name != "Subject":
            assert ATTACKER not in text
    assert ATTACKER not in captured.rcpt_tos


def dirty(text: str, char: str) -> str:
    """``text`` with a break and an injected header: raw, or encoded for CR and LF."""
    value = f"{text}{char}Reply-To: {ATTACKER}"
    if char in "\r\n":
        return "=?utf-8?b?" + base64.b64encode(value.encode()).decode() + "?="
    return value


def dirty_name(text: str, char: str) -> str:
    """A display name as a header or a partner: line writes it."""
    value = dirty(text, char)
    return value if value.startswith("=?") else f'"{value}"'


def mail(sender: str, to_address: str, subject: str, body: str, number: int, cc: str = "") -> bytes:
    headers = [
        f"From: {sender}",
        f"To: {to_address}",
        *([f"Cc: {cc}"] if cc else []),
        f"Subject: {subject}",
        f"Message-ID: <m{number}@example.com>",
        "Date: Wed, 25 Nov 2026 09:30:00 +0100",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
    ]
    return ("\r\n".join(headers) + "\r\n\r\n" + body.replace("\n", "\r\n")).encode()


async def deliver(
    service: Service, capture: CaptureHandler, sender: str, to_address: str, data: bytes, count: int
) -> list[Captured]:
    """Send one message over SMTP; returns the ``count`` emails it causes."""
    before = len(capture.messages)
    options = [] if sender.isascii() else ["SMTPUTF8"]
    reply = await send(service.smtp_port, sender, [to_address], data, options)
    assert reply.code == 250, reply
    arrived = (await capture.wait_for(before + count))[before:]
    assert len(capture.messages) == before + count
    return arrived


async def answer_peer(
    service: Service, capture: CaptureHandler, invitation: Captured, number: int
) -> tuple[Captured, Captured]:
    """The invited partner clicks "peer"; returns (news to the member, welcome)."""
    [address] = [found[0] for found in ANSWER_LINK.findall(html(invitation)) if found[1] == "peer"]
    partner = invitation.rcpt_tos[0]
    data = mail(f"Partner <{partner}>", address, "peer", "peer\n", number)
    arrived = await deliver(service, capture, partner, address, data, 2)
    [welcome] = to(arrived, partner)
    [news] = [captured for captured in arrived if captured is not welcome]
    return news, welcome


@pytest.mark.parametrize("char", BREAKS.values(), ids=BREAKS.keys())
async def test_names_and_subject_read_from_mail_add_no_header(
    service: Service, relay: tuple[CaptureHandler, int], char: str
) -> None:
    capture, _ = relay
    anna, bob, cleo, dora = (
        "anna@example.com",
        "bob@example.org",
        "cleo@example.net",
        "dóra@example.net",
    )
    # A raw line break would end the partner: line itself: the encoded word stays as typed.
    body = f"Finish the report by Friday\npartner: {dirty_name('Cleo', char)} <{cleo}>\n"
    first = mail(
        f"{dirty_name('Anna', char)} <{anna}>",
        "commit@pactmail.localhost",
        dirty("Week plan", char),
        body,
        1,
        cc=f"{dirty_name('Bob', char)} <{bob}>",
    )
    arrived = await deliver(service, capture, anna, "commit@pactmail.localhost", first, 3)
    [confirmation] = to(arrived, anna)
    assert_headers(confirmation, ANSWERED)
    assert confirmation.message["Subject"] == f"Re: Week plan Reply-To: {ATTACKER}"
    [bob_invitation] = to(arrived, bob)
    [cleo_invitation] = to(arrived, cleo)
    for invitation in (bob_invitation, cleo_invitation):
        assert_headers(invitation, INVITED)
        assert invitation.message["Subject"] == (
            f"Anna Reply-To: {ATTACKER} asks you to be their accountability partner"
        )
    names = {person.email: person.name for person in await Person.all()}
    assert names[anna] == f"Anna Reply-To: {ATTACKER}"
    assert names[bob] == f"Bob Reply-To: {ATTACKER}"
    # The encoded word on a partner: line is kept as typed, and encoded when sent.
    assert names[cleo] == (dirty("Cleo", char) if char in "\r\n" else f"Cleo Reply-To: {ATTACKER}")

    # Cleo's name shows in the news to Anna; Bob's too.
    number = 2
    for invitation in (cleo_invitation, bob_invitation):
        news, welcome = await answer_peer(service, capture, invitation, number)
        number += 1
        assert news.rcpt_tos == [anna]
        assert_headers(news, SENT)
        assert news.message["Subject"].endswith("answered your invitation")
        assert_headers(welcome, ANSWERED)

    # Cleo invites the next person, at an internationalised address: her name
    # is in a Subject written as raw UTF-8.
    plan = mail(f"Cleo <{cleo}>", "commit@pactmail.localhost", "Plan", f"partner: <{dora}>\n", 4)
    arrived = await deliver(service, capture, cleo, "commit@pactmail.localhost", plan, 2)
    [dora_invitation] = to(arrived, dora)
    assert_headers(dora_invitation, INVITED)
    assert dora_invitation.message["Subject"].endswith(
        "asks you to be their accountability partner"
    )
    assert_headers(to(arrived, cleo)[0], ANSWERED)

    again = mail(
        f"Anna <{anna}>", "commit@pactmail.localhost", "More", "Call the bank by Monday\n", 5
    )
    [confirmation] = await deliver(service, capture, anna, "commit@pactmail.localhost", again, 1)
    assert confirmation.rcpt_tos == [anna]
    assert_headers(confirmation, ANSWERED)


@pytest.mark.parametrize("char", BREAKS.values(), ids=BREAKS.keys())
async def test_names_stored_before_add_no_header(
    service: Service, relay: tuple[CaptureHandler, int], char: str
) -> None:
    """Names read before they were made one line: rendering makes them one line."""
    capture, _ = relay
    jorg, bob, dora = "jörg@exämple.de", "bob@example.org", "dóra@example.net"
    await Person.create(email=jorg, name=f"Jorg{char}Reply-To: {ATTACKER}")
    await Person.create(email=bob, name=f"Bob{char}From: {ATTACKER}")
    plan = mail(
        f"Jörg <{jorg}>",
        "commit@pactmail.localhost",
        "Plan",
        f"Finish the report by Friday\npartner: <{dora}>\n",
        1,
        cc=f"Bob <{bob}>",
    )
    arrived = await deliver(service, capture, jorg, "commit@pactmail.localhost", plan, 3)
    assert_headers(to(arrived, jorg)[0], ANSWERED)
    for invitation in (to(arrived, bob)[0], to(arrived, dora)[0]):  # ASCII, then raw UTF-8
        assert_headers(invitation, INVITED)
        assert invitation.message["Subject"] == (
            f"Jorg Reply-To: {ATTACKER} asks you to be their accountability partner"
        )

    # Bob's stored name, in a Subject to Jörg's internationalised address.
    news, welcome = await answer_peer(service, capture, to(arrived, bob)[0], 2)
    assert news.rcpt_tos == [jorg]
    assert_headers(news, SENT)
    assert news.message["Subject"] == f"Bob From: {ATTACKER} answered your invitation"
    assert_headers(welcome, ANSWERED)

    again = mail(
        f"Jörg <{jorg}>", "commit@pactmail.localhost", "More", "Call the bank by Monday\n", 3
    )
    [confirmation] = await deliver(service, capture, jorg, "commit@pactmail.localhost", again, 1)
    assert_headers(confirmation, ANSWERED)
