"""The far edge in tests: an SMTP relay that captures what it is given."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.smtp import SMTP, Envelope, Session


@dataclass
class Captured:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.data, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    def text(self) -> str:
        body = self.message.get_body(preferencelist=("plain",))
        assert body is not None
        content: str = body.get_content()
        return content

    def words(self) -> str:
        """The text part as read: each run of spaces and line breaks one space."""
        return " ".join(self.text().split())


@dataclass
class CaptureHandler:
    """Accepts everything, unless told to answer DATA with a failure first."""

    messages: list[Captured] = field(default_factory=list)
    fail_next: list[str] = field(default_factory=list)  # replies to give before accepting
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.fail_next:
            return self.fail_next.pop(0)
        self.messages.append(
            Captured(
                envelope.mail_from or "",
                list(envelope.rcpt_tos),
                bytes(envelope.original_content or b""),
            )
        )
        self.arrived.set()
        return "250 2.0.0 captured"

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[Captured]:
        """Wait until at least ``count`` messages were captured."""
        async with asyncio.timeout(timeout):
            while len(self.messages) < count:
                self.arrived.clear()
                await self.arrived.wait()
        return self.messages


async def start_capture(handler: CaptureHandler) -> tuple[asyncio.AbstractServer, int]:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="relay.test", decode_data=False, enable_SMTPUTF8=True),
        host="127.0.0.1",
        port=0,
    )
    port: int = server.sockets[0].getsockname()[1]
    return server, port
