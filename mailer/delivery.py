"""Handing a rendered message to the relay (aiosmtplib) or to the outbox folder."""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiosmtplib

QUIT_TIMEOUT_SECONDS = 5.0
_LINE_ENDS = re.compile(rb"\r\n|\r|\n")
_LEADING_DOT = re.compile(rb"(?m)^\.")


class TransientDeliveryError(Exception):
    """The relay could not take the message now; trying again may work."""


class PermanentDeliveryError(Exception):
    """The relay refused the message for good."""


class AmbiguousDeliveryError(Exception):
    """Interrupted after the message body was sent: the relay may have it."""


def write_to_outbox(outbox: Path, name: str, data: bytes) -> Path:
    """Write ``name``.eml atomically; writing the same name twice leaves one file.

    The folder is 0700 and the file 0600 whatever the umask: mail is personal.
    """
    outbox.mkdir(mode=0o700, parents=True, exist_ok=True)
    final = outbox / f"{name}.eml"
    temporary = outbox / f".{name}.tmp"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, final)
    return final


class RelaySession:
    """One connection to the relay that carries several messages in turn.

    Connecting, greeting and quitting cost as much as a small message; a batch
    of sends pays for them once. A connection that breaks costs only the
    message in flight: the next ``send`` connects again.
    """

    def __init__(self, relay: tuple[str, int], *, local_hostname: str) -> None:
        self._relay = relay
        self._local_hostname = local_hostname
        self._client: aiosmtplib.SMTP | None = None

    async def __aenter__(self) -> RelaySession:
        return self

    async def __aexit__(self, error: type[BaseException] | None, *_: object) -> None:
        if error is None:
            await self._disconnect()
        else:  # perhaps cut off mid-DATA, where QUIT would be read as body text
            self._abandon()

    async def send(
        self,
        message: bytes,
        *,
        envelope_from: str,
        recipient: str,
        before_final_dot: Callable[[], Awaitable[None]],
        timeout: float,
    ) -> str:
        """One SMTP transaction; returns the relay's final reply.

        The body goes out without its terminating dot; ``before_final_dot``
        runs then, so the caller can record that from here on an interruption
        is ambiguous. Until the dot, a dropped connection makes the relay
        discard the message (RFC 5321 §4.1.1.4), so a retry cannot double it.
        """
        final_dot_sent = False
        try:
            async with asyncio.timeout(timeout):
                client = await self._connected()
                await self._envelope(client, envelope_from, recipient)
                if client.protocol is None:
                    raise aiosmtplib.SMTPServerDisconnected("relay closed the connection")
                client.protocol.write(_dot_stuffed(message))
                try:
                    await before_final_dot()
                except BaseException:
                    self._abandon()  # no final dot: the relay discards the body
                    raise
                final_dot_sent = True
                try:
                    response = await client.execute_command(b".")
                except (aiosmtplib.SMTPException, OSError) as exc:
                    raise AmbiguousDeliveryError(str(exc)) from exc
                if response.code != 250:  # a definite answer: not ambiguous
                    raise _classify(aiosmtplib.SMTPDataError(response.code, response.message))
        except TimeoutError as exc:
            self._abandon()  # mid-command: the session state is unknown
            if final_dot_sent:
                raise AmbiguousDeliveryError("relay timed out after the final dot") from exc
            raise TransientDeliveryError("relay timed out") from exc
        except AmbiguousDeliveryError:
            self._abandon()
            raise
        except (aiosmtplib.SMTPConnectError, aiosmtplib.SMTPServerDisconnected, OSError) as exc:
            self._abandon()
            raise TransientDeliveryError(f"relay unreachable: {exc}") from exc
        return f"{response.code} {response.message}"

    async def _connected(self) -> aiosmtplib.SMTP:
        if self._client is not None and self._client.is_connected:
            return self._client
        host, port = self._relay
        client = aiosmtplib.SMTP(
            hostname=host,
            port=port,
            local_hostname=self._local_hostname,
            timeout=30,
            start_tls=False,
        )
        try:
            await client.connect()
            try:
                await client.ehlo()
            except aiosmtplib.SMTPHeloError as exc:
                if exc.code == 421:  # closing: "try later", not "say HELO"
                    raise
                await client.helo()  # a relay without ESMTP
        except aiosmtplib.SMTPResponseException as exc:
            client.close()
            # The relay refusing us at all is its state or our setup, not this
            # message's fault: tried again later, never failed for good here.
            raise TransientDeliveryError(
                f"relay refused the session: {exc.code} {exc.message}"
            ) from exc
        except BaseException:
            client.close()
            raise
        self._client = client
        return client

    async def _envelope(self, client: aiosmtplib.SMTP, envelope_from: str, recipient: str) -> None:
        """MAIL, RCPT and DATA up to the 354; a refusal leaves the session reset for the next."""
        try:
            if recipient.isascii() and envelope_from.isascii():
                await client.mail(envelope_from)
                await client.rcpt(recipient)
            else:
                if not client.supports_extension("smtputf8"):
                    raise PermanentDeliveryError(
                        f"the relay does not offer SMTPUTF8, needed for {recipient}"
                    )
                await client.mail(envelope_from, options=["SMTPUTF8"], encoding="utf-8")
                await client.rcpt(recipient, encoding="utf-8")
            start = await client.execute_command(b"DATA")
            if start.code != 354:
                raise aiosmtplib.SMTPDataError(start.code, start.message)
        except aiosmtplib.SMTPResponseException as exc:
            await self._reset(client)
            raise _classify(exc) from exc
        except PermanentDeliveryError:
            await self._reset(client)
            raise

    async def _reset(self, client: aiosmtplib.SMTP) -> None:
        try:
            await client.rset()
        except (aiosmtplib.SMTPException, OSError):
            self._abandon()

    def _abandon(self) -> None:
        """Drop the connection without QUIT, which could land inside a message body."""
        client, self._client = self._client, None
        if client is not None:
            client.close()

    async def _disconnect(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await _close(client)


def _dot_stuffed(data: bytes) -> bytes:
    r"""The DATA body as sent: CRLF line ends, leading dots doubled (RFC 5321 §4.5.2).

    >>> _dot_stuffed(b"a\n.b\r\n")
    b'a\r\n..b\r\n'
    """
    # What we render already has CRLF line ends and no line starting with a
    # dot (base64 bodies, headers): the searches, in C, are all it costs then.
    crlf = data.count(b"\r\n")
    if data.count(b"\r") != crlf or data.count(b"\n") != crlf:
        data = _LINE_ENDS.sub(b"\r\n", data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    if data.startswith(b".") or b"\n." in data:
        data = _LEADING_DOT.sub(b"..", data)
    return data


async def _close(client: aiosmtplib.SMTP) -> None:
    if not client.is_connected:
        return
    try:
        async with asyncio.timeout(QUIT_TIMEOUT_SECONDS):
            await client.quit()
    except (aiosmtplib.SMTPException, OSError):  # TimeoutError included
        client.close()


def _classify(exc: aiosmtplib.SMTPResponseException) -> Exception:
    text = f"{exc.code} {exc.message}"
    if 400 <= exc.code < 500:
        return TransientDeliveryError(text)
    return PermanentDeliveryError(text)
