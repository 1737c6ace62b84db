"""Talking SMTP to the server under test, as a sending MTA would."""

from __future__ import annotations

import asyncio
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from email import policy
from email.parser import HeaderParser
from email.utils import parseaddr


@dataclass(frozen=True)
class Reply:
    code: int
    text: str


@dataclass(frozen=True)
class Transaction:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    options: tuple[str, ...] = ()


def _connect(port: int, source: str | None) -> smtplib.SMTP:
    # Any 127.x.y.z is loopback: tests tell clients apart by their source address.
    client = smtplib.SMTP(
        "127.0.0.1", port, timeout=30, source_address=(source, 0) if source else None
    )
    client.ehlo("client.test")
    return client


def _transaction(client: smtplib.SMTP, transaction: Transaction) -> Reply:
    code, text = client.mail(transaction.mail_from, list(transaction.options))
    if code != 250:
        return Reply(code, text.decode())
    accepted = 0
    last = Reply(0, "")
    for rcpt in transaction.rcpt_tos:
        code, text = client.rcpt(rcpt)
        last = Reply(code, text.decode())
        accepted += code == 250
    if not accepted:
        client.rset()
        return last
    code, text = client.data(transaction.data)
    return Reply(code, text.decode())


def _send(port: int, transaction: Transaction, source: str | None) -> Reply:
    with _connect(port, source) as client:
        return _transaction(client, transaction)


def _send_many(
    port: int, transactions: Sequence[Transaction], source: str | None, replies: list[Reply]
) -> list[Reply]:
    with _connect(port, source) as client:
        for transaction in transactions:
            replies.append(_transaction(client, transaction))
    return replies


# The border MTA of the test suite: its authserv-id is trusted by the test
# settings (tests/conftest.py), as an operator's PACTMAIL_TRUSTED_AUTHSERV_ID.
BORDER_ID = "mx.pactmail.test"


async def send(
    port: int,
    mail_from: str,
    rcpt_tos: list[str],
    data: bytes,
    options: list[str] | None = None,
    *,
    border: str | None = "pass",
    source: str | None = None,
) -> Reply:
    """One SMTP transaction over a real socket, from ``source`` if given; the last reply.

    By default the message comes as the border MTA hands genuine mail over:
    with its Authentication-Results (``dmarc=pass`` for the From: domain) and
    its Received: line on top. ``border="fail"`` says DMARC failed;
    ``border=None`` sends the bytes as they are, as mail that came past no
    border.
    """
    if border is not None:
        data = through_border(data, border)
    transaction = Transaction(mail_from, rcpt_tos, data, tuple(options or ()))
    return await asyncio.to_thread(_send, port, transaction, source)


async def send_many(
    port: int,
    transactions: Sequence[Transaction],
    *,
    source: str | None = None,
    replies: list[Reply] | None = None,
) -> list[Reply]:
    """Many transactions over one connection, as an MTA with a queue sends them.

    The last reply of each is appended to ``replies`` (which a test may watch
    while they are sent) and returned.
    """
    replies = [] if replies is None else replies
    return await asyncio.to_thread(_send_many, port, transactions, source, replies)


def through_border(
    data: bytes, dmarc: str = "pass", authserv_id: str = BORDER_ID, client_ip: str = "192.0.2.10"
) -> bytes:
    """The message as the border delivers it: its results and Received: line on top."""
    headers = HeaderParser(policy=policy.compat32).parsestr(data.decode("utf-8", "replace"))
    _, author = parseaddr(str(headers.get("From", "")))
    domain = author.rpartition("@")[2] or "unknown.invalid"
    added = (
        f"Authentication-Results: {authserv_id};\r\n"
        f"\tdmarc={dmarc} (p=none dis=none) header.from={domain}\r\n"
        f"Received: from client.test (client.test [{client_ip}])\r\n"
        f"\tby {authserv_id} (Postfix) with ESMTPS id 4TestQueueId\r\n"
        f"\tfor <someone@pactmail.localhost>; Wed, 25 Nov 2026 09:30:01 +0100\r\n"
    )
    return added.encode() + data


def message(
    *,
    sender: str = "anna@example.com",
    to: str = "commit@pactmail.localhost",
    subject: str = "My week",
    body: str = "Finish the report by Friday\n",
    message_id: str | None = "<m1@example.com>",
    date: str = "Wed, 25 Nov 2026 09:30:00 +0100",
    extra: str = "",
) -> bytes:
    """A small, plain message."""
    headers = [
        f"From: Anna Keller <{sender}>",
        f"To: {to}",
        f"Subject: {subject}",
        f"Date: {date}",
    ]
    if message_id:
        headers.append(f"Message-ID: {message_id}")
    headers.append("MIME-Version: 1.0")
    headers.append("Content-Type: text/plain; charset=utf-8")
    if extra:
        headers.append(extra.strip())
    text = "\r\n".join(headers) + "\r\n\r\n" + body.replace("\n", "\r\n")
    return text.encode()
