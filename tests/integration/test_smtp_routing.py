"""What the SMTP server answers at RCPT and DATA, over a real socket."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from mailer.intake import Intake
from mailer.models import InboundMessage
from mailer.settings import Settings
from mailer.smtp import start_smtp_server
from mailer.tokens import Purpose, make_token
from tests.support.smtpclient import message, send
from workers.service import Service


async def test_other_domains_are_refused_never_relayed(service: Service) -> None:
    reply = await send(service.smtp_port, "a@example.com", ["victim@example.org"], message())
    assert reply.code == 550
    assert "5.7.1" in reply.text
    assert await InboundMessage.all().count() == 0


async def test_unknown_local_part_is_refused(service: Service) -> None:
    reply = await send(service.smtp_port, "a@example.com", ["nobody@pactmail.localhost"], message())
    assert reply.code == 550
    assert "5.1.1" in reply.text


async def test_forged_reply_token_is_refused(service: Service) -> None:
    genuine = make_token(
        b"another-key", Purpose.MEMBER, (1,), to="a@example.com", now=datetime.now(UTC)
    )
    reply = await send(
        service.smtp_port, "a@example.com", [f"reply+{genuine}@pactmail.localhost"], message()
    )
    assert reply.code == 550
    assert "not valid" in reply.text


async def test_a_token_is_taken_only_at_the_address_made_for_it(service: Service) -> None:
    def address(prefix: str, purpose: Purpose) -> str:
        key = b"test-secret-key-0123456789"
        token = make_token(key, purpose, (1, 2), to="a@example.com", now=datetime.now(UTC))
        return f"{prefix}+{token}@pactmail.localhost"

    # An unsubscribe token lives 400 days: at reply+ it would prove its sender.
    refused = [
        ("reply", Purpose.UNSUBSCRIBE),
        ("reply", Purpose.BOUNCE),
        ("bounce", Purpose.MEMBER),
        ("unsubscribe", Purpose.DIGEST),
    ]
    for prefix, purpose in refused:
        reply = await send(
            service.smtp_port, "a@example.com", [address(prefix, purpose)], message()
        )
        assert (prefix, purpose, reply.code) == (prefix, purpose, 550)
    taken = [("reply", Purpose.MEMBER), ("bounce", Purpose.BOUNCE)]
    for prefix, purpose in [*taken, ("unsubscribe", Purpose.UNSUBSCRIBE)]:
        reply = await send(service.smtp_port, "", [address(prefix, purpose)], message())
        assert (prefix, purpose, reply.code) == (prefix, purpose, 250)


async def test_genuine_reply_token_is_accepted_in_any_case(service: Service) -> None:
    token = make_token(
        b"test-secret-key-0123456789",
        Purpose.MEMBER,
        (1,),
        to="a@example.com",
        now=datetime.now(UTC),
    )
    reply = await send(
        service.smtp_port,
        "a@example.com",
        [f"Reply+{token.upper()}@PactMail.Localhost"],
        message(),
    )
    assert reply.code == 250


async def test_size_limit_holds_at_the_byte(service: Service) -> None:
    limit = service.settings.max_message_bytes
    exactly = message_of_size(limit)
    at_limit = await send(
        service.smtp_port, "a@example.com", ["commit@pactmail.localhost"], exactly, border=None
    )
    over = await send(
        service.smtp_port,
        "a@example.com",
        ["commit@pactmail.localhost"],
        message_of_size(limit + 1),
        border=None,
    )
    assert at_limit.code == 250
    assert over.code == 552
    assert await InboundMessage.all().count() == 1


async def test_postmaster_is_accepted(service: Service) -> None:
    reply = await send(
        service.smtp_port, "a@example.com", ["postmaster@pactmail.localhost"], message()
    )
    assert reply.code == 250


def message_of_size(size: int) -> bytes:
    """A message of exactly ``size`` bytes ending in CRLF, as aiosmtpd counts DATA."""
    head = message(body="")
    line = b"x" * 998 + b"\r\n"
    fill = size - len(head)
    lines, rest = divmod(fill, len(line))
    if rest == 1:  # a last line needs room for its CRLF
        lines, rest = lines - 1, rest + len(line)
    last = b"y" * (rest - 2) + b"\r\n" if rest else b""
    data = head + line * lines + last
    assert len(data) == size
    return data


async def test_a_bare_postmaster_is_accepted(service: Service) -> None:
    reply = await send(service.smtp_port, "a@example.com", ["postmaster"], message())
    assert reply.code == 250


async def test_an_overlong_sender_is_refused_and_harms_no_one_else(service: Service) -> None:
    long_sender = "x" * 260 + "@example.com"
    refused, accepted = await asyncio.gather(
        send(service.smtp_port, long_sender, ["commit@pactmail.localhost"], message()),
        send(service.smtp_port, "a@example.com", ["commit@pactmail.localhost"], message()),
    )
    assert refused.code == 553
    assert accepted.code == 250
    assert await InboundMessage.all().count() == 1


async def test_connections_over_the_limit_are_told_to_come_back(
    settings: Settings, db: None
) -> None:
    intake = Intake(lambda ids: asyncio.sleep(0))
    intake.start()
    server = await start_smtp_server(settings, intake, lambda: datetime.now(UTC), max_connections=2)
    port = server.sockets[0].getsockname()[1]
    held = []
    try:
        for _ in range(2):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            held.append(writer)
            assert (await reader.readline()).startswith(b"220 ")
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        held.append(writer)
        assert (await reader.readline()).startswith(b"421 4.3.2")
        held[0].close()
        await asyncio.sleep(0.1)  # the freed place is free again
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        held.append(writer)
        assert (await reader.readline()).startswith(b"220 ")
    finally:
        for writer in held:
            writer.close()
        server.close()
        await intake.stop()


async def test_a_non_ascii_token_is_refused_not_deferred(service: Service) -> None:
    # A fault in checking it would answer 451 and have the sender retry for days.
    reply = await send(
        service.smtp_port,
        "a@example.com",
        ["reply+m-1-2-ä@pactmail.localhost"],
        message(),
        options=["SMTPUTF8"],
    )
    assert reply.code == 550
