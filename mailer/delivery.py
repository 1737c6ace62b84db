"""Handing a rendered message to the relay (aiosmtplib) or to the outbox folder."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from pathlib import Path

import aiosmtplib

SEND_TIMEOUT_SECONDS = 60.0


class TransientDeliveryError(Exception):
    """The relay could not take the message now; trying again may work."""


class PermanentDeliveryError(Exception):
    """The relay refused the message for good."""


class AmbiguousDeliveryError(Exception):
    """Interrupted after the message body was sent: the relay may have it."""


def write_to_outbox(outbox: Path, name: str, message: EmailMessage) -> Path:
    """Write ``name``.eml atomically; writing the same name twice leaves one file."""
    outbox.mkdir(parents=True, exist_ok=True)
    final = outbox / f"{name}.eml"
    temporary = outbox / f".{name}.tmp"
    data = message.as_bytes(policy=SMTP_POLICY)
    with open(temporary, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, final)
    return final


async def send_through_relay(
    relay: tuple[str, int],
    message: EmailMessage,
    *,
    envelope_from: str,
    recipient: str,
    local_hostname: str,
    before_data: Callable[[], Awaitable[None]],
) -> str:
    """One SMTP transaction with the relay; returns its final reply.

    ``before_data`` runs once the relay accepted the recipient and before the
    body is sent, so the caller can record that from here on a failure is
    ambiguous.
    """
    host, port = relay
    client = aiosmtplib.SMTP(
        hostname=host, port=port, local_hostname=local_hostname, timeout=30, start_tls=False
    )
    data = message.as_bytes(policy=SMTP_POLICY)
    data_started = False
    try:
        async with asyncio.timeout(SEND_TIMEOUT_SECONDS):
            await client.connect()
            try:
                await client.mail(envelope_from)
                await client.rcpt(recipient)
            except aiosmtplib.SMTPResponseException as exc:
                raise _classify(exc) from exc
            await before_data()
            data_started = True
            try:
                response = await client.data(data)
            except aiosmtplib.SMTPResponseException as exc:
                raise _classify(exc) from exc  # a definite answer: not ambiguous
            except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
                raise AmbiguousDeliveryError(str(exc)) from exc
    except TimeoutError as exc:
        if data_started:
            raise AmbiguousDeliveryError("relay timed out during DATA") from exc
        raise TransientDeliveryError("relay timed out") from exc
    except (aiosmtplib.SMTPConnectError, aiosmtplib.SMTPServerDisconnected, OSError) as exc:
        raise TransientDeliveryError(f"relay unreachable: {exc}") from exc
    finally:
        if client.is_connected:
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError):
                client.close()
    return f"{response.code} {response.message}"


def _classify(exc: aiosmtplib.SMTPResponseException) -> Exception:
    text = f"{exc.code} {exc.message}"
    if 400 <= exc.code < 500:
        return TransientDeliveryError(text)
    return PermanentDeliveryError(text)
