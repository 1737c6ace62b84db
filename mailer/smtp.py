"""The inbound SMTP server: limit clients, check recipients, store the raw message, answer.

No parsing happens here (habit 1 of STYLE.md): the message is committed as
bytes and its processing is a queued job. The one header read is a trusted
border's own Received: line, to know which client a relayed message is from.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import ClassVar

from aiosmtpd.smtp import SMTP, Envelope, Session

from mailer.addresses import parse_recipient
from mailer.clients import IPAddress, client_key, is_trusted, peer_ip, relayed_client
from mailer.intake import Arrival, Intake
from mailer.ratelimit import Limiter
from mailer.redact import mask_address
from mailer.refusals import RecipientRefused, SmtpReply
from mailer.settings import Settings

log = logging.getLogger(__name__)

MAX_RECIPIENTS = 50
MAX_PATH_LENGTH = 256  # RFC 5321 §4.5.3.1.3
MAX_CONNECTIONS = 200  # each may hold a message of up to the size limit in memory
SERVER_IDENT = "pactmail ESMTP"

OK = "250 2.0.0 OK: message stored"
RECIPIENT_OK = "250 2.1.5 OK"
SENDER_OK = "250 2.1.0 OK"


class InboundHandler:
    """aiosmtpd handler: only the hooks pactmail needs."""

    def __init__(
        self,
        settings: Settings,
        intake: Intake,
        now: Callable[[], datetime],
        limiter: Limiter | None = None,
    ) -> None:
        self._settings = settings
        self._intake = intake
        self._now = now
        self._limiter = limiter

    async def handle_MAIL(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        if len(address) > MAX_PATH_LENGTH:
            return SmtpReply.SENDER_TOO_LONG
        peer = peer_ip(session.peer)
        # A border's clients are judged by its Received: line, at the end of DATA.
        if not self._from_relay(peer) and not await self._client_allowed(peer):
            return SmtpReply.CLIENT_RATE_LIMITED
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return SENDER_OK

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return SmtpReply.TOO_MANY_RECIPIENTS
        try:
            parse_recipient(
                address,
                domain=self._settings.domain,
                key=self._settings.secret_key,
                now=self._now(),
            )
        except RecipientRefused as refusal:
            # DEBUG: behind Postfix every address it verifies is asked here
            # once, and a dictionary attack would fill the log; Postfix logs
            # its own refusals, and the line is here to follow one case.
            log.debug(
                "%s: RCPT %s refused: %s",
                _peer_text(session.peer),
                mask_address(address),
                " ".join(refusal.reply.split()[:2]),  # "550 5.1.1": the codes say why
            )
            return refusal.reply
        envelope.rcpt_tos.append(address)
        return RECIPIENT_OK

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        if self._from_relay(peer_ip(session.peer)) and not await self._client_allowed(
            relayed_client(content, self._settings.trusted_relays)
        ):
            return SmtpReply.CLIENT_RATE_LIMITED
        arrival = Arrival(
            peer=_peer_text(session.peer),
            mail_from=envelope.mail_from or "",
            rcpt_tos=tuple(envelope.rcpt_tos),
            content=bytes(content),
        )
        try:
            await self._intake.store(arrival)
        except asyncio.CancelledError:
            raise
        except Exception:
            return SmtpReply.STORE_FAILED
        return OK

    def _from_relay(self, peer: IPAddress | None) -> bool:
        return is_trusted(peer, self._settings.trusted_relays)

    async def _client_allowed(self, client: IPAddress | None) -> bool:
        """Count one message from ``client``; False once it is over its limit."""
        if self._limiter is None or client is None:
            return True
        return await self._limiter.allow(
            self._settings.rate_limits.client, "client", client_key(client)
        )

    async def handle_exception(self, error: Exception) -> str:
        """A fault of ours is temporary for the sender: 451, never 5xx."""
        log.error("SMTP session error", exc_info=error)
        return SmtpReply.LOCAL_ERROR


def _peer_text(peer: object) -> str:
    if isinstance(peer, tuple) and len(peer) >= 2:
        return f"{peer[0]}:{peer[1]}"[:100]
    return str(peer)[:100]


class QuickSMTP(SMTP):
    """aiosmtpd's server, quicker to start for each connection.

    aiosmtpd finds its commands and AUTH mechanisms on every new server,
    through ``dir()`` and ``inspect.getmembers`` over all of its 200 or so
    attributes: 70 µs of each message's 600 µs in the SMTP process, 45 µs
    of it saved here. The names it looks for are methods of the class, so
    ``dir()`` of a server gives just those, found once per class.
    tests/integration/test_smtp_commands.py checks that the server offers
    the same commands as aiosmtpd's own.
    """

    # What aiosmtpd looks for by name: its commands and AUTH mechanisms.
    _DISCOVERED_PREFIXES = ("smtp_", "auth_")
    _discovered_names: ClassVar[list[str]]  # set on each class by its first server

    def __dir__(self) -> list[str]:
        server_class = type(self)
        names: list[str] | None = server_class.__dict__.get("_discovered_names")
        if names is None:  # the first server of this class (each subclass its own)
            names = [n for n in dir(server_class) if n.startswith(self._DISCOVERED_PREFIXES)]
            server_class._discovered_names = names
        return names


class _Busy(asyncio.Protocol):
    """Answers a connection over the limit with 421 and hangs up."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.WriteTransport)
        transport.write(f"{SmtpReply.TOO_MANY_CONNECTIONS}\r\n".encode())
        transport.close()


async def start_smtp_server(
    settings: Settings,
    intake: Intake,
    now: Callable[[], datetime],
    max_connections: int = MAX_CONNECTIONS,
    limiter: Limiter | None = None,
) -> asyncio.Server:
    """Listen on the configured address, in the running event loop."""
    handler = InboundHandler(settings, intake, now, limiter)
    active = 0

    class CountedSMTP(QuickSMTP):
        def connection_lost(self, error: Exception | None) -> None:
            nonlocal active
            active -= 1
            super().connection_lost(error)

    def factory() -> asyncio.Protocol:
        nonlocal active
        if active >= max_connections:
            return _Busy()
        active += 1
        return CountedSMTP(
            handler,
            hostname=settings.domain,  # explicit: no blocking lookup per connection
            ident=SERVER_IDENT,
            data_size_limit=settings.max_message_bytes,
            enable_SMTPUTF8=True,
            decode_data=False,
        )

    loop = asyncio.get_running_loop()
    return await loop.create_server(factory, host=settings.listen_host, port=settings.listen_port)
