"""Every message of the standard library's email test corpus, through real SMTP."""

from __future__ import annotations

import asyncio
import sysconfig
from pathlib import Path

from mailer.models import InboundMessage, InboundStatus
from tests.support.smtpclient import message, send
from workers.service import Service

CORPUS = Path(sysconfig.get_paths()["stdlib"]) / "test" / "test_email" / "data"


def corpus_files() -> list[Path]:
    return sorted(path for path in CORPUS.glob("msg_*.txt"))


async def test_the_corpus_exists() -> None:
    assert len(corpus_files()) >= 40


async def test_every_message_is_accepted_or_refused_cleanly(service: Service) -> None:
    files = corpus_files()
    replies = {}
    for path in files:
        data = path.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        reply = await send(
            service.smtp_port, "sender@example.com", ["commit@pactmail.localhost"], data
        )
        replies[path.name] = reply.code
    # A clean answer is 250 (stored) or a 5xx naming what was wrong; never a fault of ours.
    assert all(code == 250 or (500 < code < 600) for code in replies.values()), replies
    accepted = sum(code == 250 for code in replies.values())
    async with asyncio.timeout(60):
        while await InboundMessage.filter(status=InboundStatus.RECEIVED.value).exists():
            await asyncio.sleep(0.1)
    rows = await InboundMessage.all()
    assert len(rows) == accepted
    failed = [row for row in rows if row.status == InboundStatus.FAILED.value]
    assert failed == [], [row.error[-500:] for row in failed]

    # Still serving afterwards.
    after = await send(service.smtp_port, "a@example.com", ["help@pactmail.localhost"], message())
    assert after.code == 250
