"""Reading back what was written to DATA_DIR/outbox/ (``pactmail outbox``).

With no relay set, outbound mail is kept as .eml files, named by their row
id so that they list in the order they were sent. The files are what a
relay would have received: base64 or quoted-printable parts that ``cat``
cannot show, so the command decodes them.
"""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import getaddresses
from pathlib import Path


@dataclass(frozen=True)
class OutboxEmail:
    number: int  # 1 for the oldest: what ``pactmail outbox N`` takes
    path: Path
    written_at: datetime
    to: str
    subject: str


def emails_in(outbox: Path) -> list[OutboxEmail]:
    """The emails in ``outbox``, oldest first (half-written files are not listed)."""
    if not outbox.is_dir():
        return []
    found = []
    for number, path in enumerate(sorted(outbox.glob("*.eml")), start=1):
        message = read(path)
        found.append(
            OutboxEmail(
                number=number,
                path=path,
                written_at=datetime.fromtimestamp(path.stat().st_mtime, UTC),
                to=str(message.get("To", "")),
                subject=str(message.get("Subject", "")),
            )
        )
    return found


def read(path: Path) -> EmailMessage:
    with path.open("rb") as file:
        message = email.message_from_binary_file(file, policy=email.policy.default)
    assert isinstance(message, EmailMessage)  # what policy.default builds
    return message


SHOWN_HEADERS = ("Date", "From", "To", "Reply-To", "Subject")


def shown(path: Path) -> str:
    """Its headers a reader needs, then its plain-text part, decoded."""
    message = read(path)
    lines = [f"{name}: {message[name]}" for name in SHOWN_HEADERS if message[name] is not None]
    body = message.get_body(preferencelist=("plain",))
    text = body.get_content() if isinstance(body, EmailMessage) else "(no text part)"
    return "\n".join(lines) + "\n\n" + str(text).rstrip("\n")


def reply_address(path: Path) -> str:
    """Where a mail client's Reply would send an answer: Reply-To, else From."""
    message = read(path)
    header = message["Reply-To"] or message["From"] or ""
    addresses = [address for _, address in getaddresses([str(header)]) if address]
    return addresses[0] if addresses else ""
