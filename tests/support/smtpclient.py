"""Talking SMTP to the server under test, as a sending MTA would."""

from __future__ import annotations

import asyncio
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass


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


async def send(
    port: int,
    mail_from: str,
    rcpt_tos: list[str],
    data: bytes,
    options: list[str] | None = None,
    *,
    source: str | None = None,
) -> Reply:
    """One SMTP transaction over a real socket, from ``source`` if given; the last reply."""
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
