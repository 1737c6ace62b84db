"""pactmail's SMTP server offers what aiosmtpd's own would, command for command.

mailer/smtp.py's QuickSMTP gives aiosmtpd the names of its commands and
AUTH mechanisms once per class rather than letting it walk every attribute
for each connection. Were aiosmtpd to look for them some other way, a
command would go missing: this dialogue, over real sockets, would differ.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from aiosmtpd.smtp import SMTP

from mailer.intake import Intake
from mailer.settings import Settings
from mailer.smtp import SERVER_IDENT, InboundHandler, QuickSMTP, start_smtp_server

DIALOGUE = [
    "EHLO client.example.org",
    "HELP",
    *(f"HELP {command}" for command in ("MAIL", "RCPT", "DATA", "VRFY", "AUTH", "STARTTLS")),
    "NOOP",
    "VRFY someone@example.org",
    "EXPN list",
    "AUTH PLAIN",
    "STARTTLS",
    "NOSUCHCOMMAND",
    "QUIT",
]


async def _replies(port: int) -> list[str]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    replies = [(await reader.readline()).decode().split(" ", 1)[0]]  # the greeting's code
    try:
        for line in DIALOGUE:
            writer.write(f"{line}\r\n".encode())
            await writer.drain()
            reply: list[str] = []
            while True:
                text = (await reader.readline()).decode()
                reply.append(text.rstrip("\r\n"))
                if text[3:4] != "-":
                    break
            replies.append(f"{line} → " + " | ".join(reply))
    finally:
        writer.close()
    return replies


async def test_the_server_answers_every_command_as_aiosmtpd_would(
    settings: Settings, db: None
) -> None:
    intake = Intake(lambda ids: asyncio.sleep(0))
    intake.start()
    now = lambda: datetime.now(UTC)  # noqa: E731
    ours = await start_smtp_server(settings, intake, now)
    handler = InboundHandler(settings, intake, now)
    theirs = await asyncio.get_running_loop().create_server(
        lambda: SMTP(
            handler,
            hostname=settings.domain,
            ident=SERVER_IDENT,
            data_size_limit=settings.max_message_bytes,
            enable_SMTPUTF8=True,
            decode_data=False,
        ),
        host="127.0.0.1",
        port=0,
    )
    try:
        ours_said = await _replies(ours.sockets[0].getsockname()[1])
        theirs_said = await _replies(theirs.sockets[0].getsockname()[1])
    finally:
        ours.close()
        theirs.close()
        await intake.stop()
    assert ours_said == theirs_said
    help_line = next(reply for reply in ours_said if reply.startswith("HELP →"))
    for command in ("EHLO", "MAIL", "RCPT", "DATA", "RSET", "QUIT", "VRFY", "AUTH"):
        assert command in help_line


async def test_auth_mechanisms_are_found_as_aiosmtpd_finds_them(
    settings: Settings, db: None
) -> None:
    # pactmail offers no AUTH (it only receives), so aiosmtpd hides its
    # mechanisms; without the need for TLS they show in EHLO and in AUTH.
    intake = Intake(lambda ids: asyncio.sleep(0))
    handler = InboundHandler(settings, intake, lambda: datetime.now(UTC))
    loop = asyncio.get_running_loop()
    servers = [
        await loop.create_server(
            lambda server_class=server_class: server_class(  # type: ignore[misc]
                handler, hostname=settings.domain, auth_require_tls=False
            ),
            host="127.0.0.1",
            port=0,
        )
        for server_class in (QuickSMTP, SMTP)
    ]
    try:
        ours_said, theirs_said = [
            await _replies(server.sockets[0].getsockname()[1]) for server in servers
        ]
    finally:
        for server in servers:
            server.close()
    assert ours_said == theirs_said
    assert "AUTH LOGIN PLAIN" in ours_said[1]
