"""People with any name, writing to the service through the test border, and their digests."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

from mailer.digests import send_due_digests
from mailer.queue import enqueue_outbound
from tests.integration.test_invitations import ANSWER_LINK, html, to
from tests.support.capture import Captured, CaptureHandler
from tests.support.settle import all_settled
from tests.support.smtpclient import send
from workers.service import Service

COMMIT = "commit@pactmail.localhost"


def mail(
    sender: str,
    to_address: str,
    subject: str,
    body: str,
    mid: str,
    *,
    name: str | None = None,
    extra: str = "",
    content_type: str = "text/plain; charset=utf-8",
) -> bytes:
    who = f"{name} <{sender}>" if name else sender
    headers = [
        f"From: {who}",
        f"To: {to_address}",
        f"Subject: {subject}",
        f"Date: {format_datetime(datetime.now(UTC))}",
        f"Message-ID: {mid}",
        "MIME-Version: 1.0",
        f"Content-Type: {content_type}",
    ]
    if extra:
        headers.append(extra)
    return ("\r\n".join(headers) + "\r\n\r\n" + body.replace("\n", "\r\n")).encode()


class World:
    """The service, the captured mail, and people writing to it."""

    def __init__(self, service: Service, capture: CaptureHandler) -> None:
        self.service = service
        self.capture = capture
        self.sent = 0
        self.names: dict[str, str] = {}

    async def write(
        self,
        sender: str,
        to_address: str,
        body: str,
        *,
        subject: str = "Re: x",
        extra: str = "",
        border: str | None = "pass",
        content_type: str = "text/plain; charset=utf-8",
        settle: bool = True,
        answering: Captured | None = None,
    ) -> list[Captured]:
        """``sender`` writes (in reply to ``answering``, if given); what the service sent
        because of it, once all is done."""
        if answering is not None:
            extra = f"In-Reply-To: {answering.message['Message-ID']}"
        self.sent += 1
        before = len(self.capture.messages)
        data = mail(
            sender, to_address, subject, body, f"<rv{self.sent}@{sender.split('@')[1]}>",
            name=self.names.get(sender), extra=extra, content_type=content_type,
        )  # fmt: skip
        reply = await send(self.service.smtp_port, sender, [to_address], data, border=border)
        assert reply.code == 250, reply
        if settle:
            await all_settled()
        return self.capture.messages[before:]

    async def publish(
        self, member: str, texts: list[str], partners: list[str]
    ) -> tuple[Captured, dict[str, Captured]]:
        """``member`` publishes ``texts`` with ``partners`` in Cc; each partner accepts."""
        cc = ", ".join(f"{self.names.get(p, '')} <{p}>".strip() for p in partners)
        arrived = await self.write(
            member, COMMIT, "".join(f"- {t}\n" for t in texts), subject="This week",
            extra=f"Cc: {cc}" if partners else "",
        )  # fmt: skip
        [confirmation] = to(arrived, member)
        invitations = {}
        for partner in partners:
            found = to(arrived, partner)
            if not found:
                continue
            [invitation] = found
            invitations[partner] = invitation
            links = {w: a for a, w, _ in ANSWER_LINK.findall(html(invitation))}
            await self.write(partner, links["peer"], "peer", subject="peer")
        return confirmation, invitations

    async def digests(self, now: datetime | None = None, *, at_once: bool = True) -> list[Captured]:
        """The digests due at ``now`` (``at_once``: this period's, as ``digest --now``)."""
        now = now or datetime.now(UTC)
        before = len(self.capture.messages)
        queued = await send_due_digests(self.service.settings, now, now_not_monday=at_once)
        assert queued
        redis = self.service.redis
        assert redis is not None
        await enqueue_outbound(redis, self.service.settings.queue_name, queued)
        await all_settled()
        return self.capture.messages[before:]
