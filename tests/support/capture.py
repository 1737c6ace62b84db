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
    answered: bool = True  # False: the relay has it, but the sender never heard its 250

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
    """Accepts everything, unless told to fail the next final dots first.

    ``fail_next``: replies to give instead of accepting (a ``421`` closes the
    connection after it, as a relay that is shutting down does).
    ``busy_next``: that many connections are greeted with 421 and closed.
    ``drop_next``: that many messages are taken, then the connection is cut
    before the reply to their final dot. ``hold_next``: that many are taken
    and their reply is kept back until the client goes away. Either way the
    relay has the message and the sender cannot know it.
    """

    messages: list[Captured] = field(default_factory=list)
    fail_next: list[str] = field(default_factory=list)
    busy_next: int = 0
    drop_next: int = 0
    hold_next: int = 0
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    unanswered: asyncio.Event = field(default_factory=asyncio.Event)  # a message dropped or held

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.fail_next:
            reply = self.fail_next.pop(0)
            if reply.startswith("421") and server.transport is not None:
                # Closed once the reply is written: close() sends what is buffered first.
                asyncio.get_running_loop().call_soon(server.transport.close)
            return reply
        dropping, holding = self.drop_next > 0, self.hold_next > 0
        captured = Captured(
            envelope.mail_from or "",
            list(envelope.rcpt_tos),
            bytes(envelope.original_content or b""),
            answered=not (dropping or holding),
        )
        self.messages.append(captured)
        self.arrived.set()
        if captured.answered:
            return "250 2.0.0 captured"
        if dropping:
            self.drop_next -= 1
            assert isinstance(server.transport, asyncio.WriteTransport)
            server.transport.abort()  # at once: nothing more is written, not even a reply
        else:
            self.hold_next -= 1
        self.unanswered.set()
        # No reply, ever: aiosmtpd cancels this when the connection goes.
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[Captured]:
        """Wait until at least ``count`` messages were captured."""
        async with asyncio.timeout(timeout):
            while len(self.messages) < count:
                self.arrived.clear()
                await self.arrived.wait()
        return self.messages


class _Busy(asyncio.Protocol):
    """A relay too busy to talk: 421 as its greeting, then it hangs up."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.WriteTransport)
        transport.write(b"421 4.3.2 relay.test busy, try again later\r\n")
        transport.close()


async def start_capture(handler: CaptureHandler) -> tuple[asyncio.AbstractServer, int]:
    def session() -> asyncio.Protocol:
        if handler.busy_next > 0:
            handler.busy_next -= 1
            return _Busy()
        return SMTP(handler, hostname="relay.test", decode_data=False, enable_SMTPUTF8=True)

    loop = asyncio.get_running_loop()
    server = await loop.create_server(session, host="127.0.0.1", port=0)
    port: int = server.sockets[0].getsockname()[1]
    return server, port
