"""Reconciling a fault test: what a client sent against what the service stored, did and sent.

A fault test sends through a ``Ledger`` (which counts the messages and the
server's 250s), makes the fault, lets the service recover, then calls
``reconcile``. Its line reads

    sent N · answered 250 N · stored N · confirmed N · lost 0 · doubled 0

- sent: distinct messages the client sent (a resend of the same message,
  as an MTA makes after a 4xx or a lost connection, counts once);
- answered 250: the 250s the server gave, all tries together;
- stored: inbound rows (a resend the server stored twice is two rows, one of
  them ``duplicate``);
- confirmed: confirmations of those messages that reached the relay, each
  copy; one the relay took without the sender hearing its 250 counts too
  (an answer saying processing failed is no confirmation);
- lost: sent messages that never became commitments, or whose confirmation
  neither reached the relay nor is listed for the operator as possibly sent
  or failed (``pactmail outbound``): listed mail is not lost, a human decides;
- doubled: a message processed twice, a commitment made twice, an answer
  queued or relayed twice.
"""

from __future__ import annotations

import smtplib
from collections import Counter
from dataclasses import dataclass, field

from mailer import emails
from mailer.models import Commitment, InboundMessage, InboundStatus, OutboundMessage
from mailer.unsettled import UNSETTLED
from tests.support.capture import CaptureHandler
from tests.support.smtpclient import Reply, message, send

COMMIT = "commit@pactmail.localhost"
CONFIRMATION = emails.Confirmation.template
LOST_CONNECTION = 0  # the code of a reply that never came


def bare_id(message_id: str | None) -> str:
    """A Message-ID as compared here, without its angle brackets."""
    return (message_id or "").strip().strip("<>")


@dataclass
class Ledger:
    """What the test client sent and what it heard back."""

    name: str  # tells the messages of one test from another's
    messages: dict[str, bytes] = field(default_factory=dict)  # Message-ID -> bytes
    replies: list[int] = field(default_factory=list)

    def new_message(
        self, number: int, *, by: int | None = None, also: str = ""
    ) -> tuple[str, bytes]:
        """Message ``number``, from member ``by`` (else member ``number``), with two
        commitments of its own and ``also`` after them; its sender and bytes."""
        sender = f"member{number if by is None else by}@example.com"
        message_id = f"<{self.name}-{number}@example.com>"
        body = f"- Write chapter {number} by Friday\n- Review page {number} by Dec 15\n{also}"
        data = message(sender=sender, body=body, message_id=message_id, subject="This week")
        self.messages[bare_id(message_id)] = data
        return sender, data

    async def send(self, port: int, sender: str, data: bytes) -> Reply:
        """One try at delivering, as an MTA makes it: a lost connection is a reply too."""
        try:
            reply = await send(port, sender, [COMMIT], data)
        except (smtplib.SMTPServerDisconnected, ConnectionError) as exc:
            reply = Reply(LOST_CONNECTION, f"connection lost: {exc}")
        self.replies.append(reply.code)
        return reply

    @property
    def answered_250(self) -> int:
        return self.replies.count(250)


@dataclass(frozen=True)
class Reconciliation:
    sent: int
    answered_250: int
    stored: int
    confirmed: int
    lost: list[str]
    doubled: list[str]
    listed: int = 0  # confirmations possibly sent or failed, waiting for the operator

    def line(self) -> str:
        return (
            f"sent {self.sent} · answered 250 {self.answered_250} · stored {self.stored} · "
            f"confirmed {self.confirmed} · lost {len(self.lost)} · doubled {len(self.doubled)}"
        )


async def reconcile(ledger: Ledger, capture: CaptureHandler) -> Reconciliation:
    """Count, from the database and the relay, what became of every message in ``ledger``."""
    inbound = await InboundMessage.all().values_list("id", "message_id", "status")
    processed: dict[str, list[int]] = {}
    for row_id, message_id, status in inbound:
        if status == InboundStatus.PROCESSED.value:
            processed.setdefault(bare_id(message_id), []).append(row_id)
    of_message = {row_id: mid for mid, ids in processed.items() for row_id in ids}
    commitments = await Commitment.all().values_list("source_id", "member_id", "text")
    made = Counter(source for source, _, _ in commitments)
    outbound = await OutboundMessage.all().values_list(
        "inbound_id", "status", "to_address", "template", "message_id"
    )
    confirmations = {mid for _, _, _, template, mid in outbound if template == CONFIRMATION}
    listed = {
        of_message.get(source)
        for source, status, _, template, _ in outbound
        if status in UNSETTLED and template == CONFIRMATION
    }
    relayed = Counter(
        bare_id(captured.message["In-Reply-To"])
        for captured in capture.messages
        if bare_id(captured.message["Message-ID"]) in confirmations
    )
    lost: list[str] = []
    for message_id in ledger.messages:
        rows = processed.get(message_id, [])
        if not rows:
            lost.append(f"{message_id}: never processed")
        elif not any(made[row_id] for row_id in rows):
            lost.append(f"{message_id}: no commitment made")
        elif not relayed[message_id] and message_id not in listed:
            lost.append(f"{message_id}: its confirmation neither relayed nor listed")
    doubled = [
        f"{mid}: processed {len(rows)} times" for mid, rows in processed.items() if len(rows) > 1
    ]
    doubled += [
        f"member {member}: {text!r} made {count} times"
        for (member, text), count in Counter((m, t) for _, m, t in commitments).items()
        if count > 1
    ]
    queued = Counter(
        (of_message[source], to) for source, _, to, _, _ in outbound if source in of_message
    )
    doubled += [f"{mid}: {n} emails to one address" for (mid, _), n in queued.items() if n > 1]
    doubled += [f"{mid}: relayed {count} times" for mid, count in relayed.items() if count > 1]
    return Reconciliation(
        sent=len(ledger.messages),
        answered_250=ledger.answered_250,
        stored=len(inbound),
        confirmed=sum(relayed.values()),
        lost=lost,
        doubled=doubled,
        listed=len(listed - {None}),
    )
