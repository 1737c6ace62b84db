"""Talking SMTP to the server under test, as a sending MTA would."""

from __future__ import annotations

import asyncio
import smtplib
from dataclasses import dataclass


@dataclass(frozen=True)
class Reply:
    code: int
    text: str


def _send(port: int, mail_from: str, rcpt_tos: list[str], data: bytes, options: list[str]) -> Reply:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.ehlo("client.test")
        code, text = client.mail(mail_from, options)
        if code != 250:
            return Reply(code, text.decode())
        accepted = 0
        last = Reply(0, "")
        for rcpt in rcpt_tos:
            code, text = client.rcpt(rcpt)
            last = Reply(code, text.decode())
            accepted += code == 250
        if not accepted:
            return last
        code, text = client.data(data)
        return Reply(code, text.decode())


async def send(
    port: int, mail_from: str, rcpt_tos: list[str], data: bytes, options: list[str] | None = None
) -> Reply:
    """One SMTP transaction over a real socket; returns the last reply."""
    return await asyncio.to_thread(_send, port, mail_from, rcpt_tos, data, options or [])


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
