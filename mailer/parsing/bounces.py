"""Read a delivery report: who failed, permanently or not, with which status and words.

Readers, in this order; the first that names a recipient wins (measured in
tests/data/bounces/README.md):

1. RFC 3464 ``message/delivery-status`` parts, read with the standard library:
   per recipient ``Action``, ``Status``, ``Original-Recipient`` /
   ``Final-Recipient`` and ``Diagnostic-Code``.
2. In mail shaped like a bounce, the same fields written into a text part
   (Amazon WorkMail, some relays; reports with broken MIME boundaries).
3. ``flufl.bounce``'s detectors for the non-standard bounces of common MTAs
   (qmail, old Exim, Yahoo, Gmail's plain text, ...). They return addresses
   only, sorted into "still trying" and "failed"; the status and the words
   come from the report's own text near the address.
4. In mail shaped like a bounce, "address: reply" entries with an SMTP reply
   code after them (OpenSMTPD, Yahoo! Japan), which no detector knows.

Whether a recipient failed for good is one rule for all readers,
``mailer.parsing.dsn.verdict_of``: the Action, then the status class, then the
SMTP reply code.

A report can also be an auto-reply sent to our return path (out of office,
challenge-response robots); ``mailer.parsing.autoreplies`` tells those apart,
and ``read_report`` says which it is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from email import policy
from email.message import Message
from email.parser import BytesParser
from enum import StrEnum

from mailer.parsing.autoreplies import auto_reply_reason, looks_like_bounce
from mailer.parsing.bounce_text import (
    RETURNED_PARTS,
    before_returned_message,
    entry_recipients,
    heuristic_recipients,
    text_dsn_recipients,
)
from mailer.parsing.dsn import MAX_RECIPIENTS, Recipient, Verdict, dsn_recipients

__all__ = [
    "MAX_RECIPIENTS",
    "Kind",
    "Recipient",
    "Report",
    "Verdict",
    "read_report",
    "report_alone",
]

# A report says what it has to say first, the returned message after it
# (RFC 3464 §2; qmail and Exim write their words above the copy): real ones
# are a few kilobytes before the copy. Only this much is read, so that a
# report written to cost us (anyone who got one email holds a return path)
# costs no more than a real one.
MAX_REPORT_BYTES = 256 * 1024


class Kind(StrEnum):
    """What kind of message reached the return path."""

    BOUNCE = "bounce"
    AUTO_REPLY = "auto-reply"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Report:
    """What a message sent to our return path says."""

    kind: Kind
    recipients: tuple[Recipient, ...] = ()
    reader: str = ""  # "rfc3464", "flufl.bounce", or "" when no recipient was read
    auto_reply: str | None = None  # why it reads as an auto-reply


def read_report(raw: bytes) -> Report:
    """Read raw bytes sent to a return path; never raises."""
    try:
        msg = BytesParser(policy=policy.compat32).parsebytes(raw[:MAX_REPORT_BYTES])
    except Exception:  # the parser has crashed on crafted input before: nothing to read
        return Report(Kind.UNKNOWN)
    standard = _safely(dsn_recipients, msg)
    if standard:
        return Report(Kind.BOUNCE, standard[:MAX_RECIPIENTS], "rfc3464")
    bounce = looks_like_bounce(msg)
    reason = None if bounce else auto_reply_reason(msg)
    if reason:  # before the heuristics, which can find an address in any text
        return Report(Kind.AUTO_REPLY, auto_reply=reason)
    readers = [("flufl.bounce", heuristic_recipients)]
    if bounce:  # the text readers only where the report's shape says it is one
        readers = [("rfc3464 text", text_dsn_recipients), *readers, ("entries", entry_recipients)]
    for name, reader in readers:
        found = _safely(reader, msg)
        if found:
            return Report(Kind.BOUNCE, found[:MAX_RECIPIENTS], name)
    return Report(Kind.BOUNCE if bounce else Kind.UNKNOWN)


def _safely(
    reader: Callable[[Message], tuple[Recipient, ...]], msg: Message
) -> tuple[Recipient, ...]:
    """What reader finds, or nothing when broken mail surprises it."""
    try:
        return reader(msg)
    except Exception:  # one reader's surprise must not hide what the other reads
        return ()


_UNENCODED = frozenset({"", "7bit", "8bit", "binary"})


def report_alone(raw: bytes) -> bytes:
    """What is kept of a message to a return path once read: the report, not our email in it.

    A report returns the email that failed (RFC 3464 ``message/rfc822``, or
    a copy below the words of qmail and Exim): a digest, with the names and
    commitments of people who may later ask to be forgotten, base64-encoded
    where "forget me" cannot find them. Nothing needs it once the report is
    read. Never raises: at worst the header block alone is kept.
    """
    try:
        msg = BytesParser(policy=policy.compat32).parsebytes(raw[:MAX_REPORT_BYTES])
        for part in msg.walk():
            payload = part.get_payload()
            if isinstance(payload, list):
                kept: list[Message[str, str] | str] = [
                    p
                    for p in payload
                    if isinstance(p, Message) and p.get_content_type() not in RETURNED_PARTS
                ]
                part.set_payload(kept)
        payload = msg.get_payload()
        encoding = str(msg.get("content-transfer-encoding", "")).strip().lower()
        if isinstance(payload, str) and encoding in _UNENCODED:
            # A plain-text report with the copy below its words: cut where it
            # starts, leaving the words as they came (the detectors read them).
            msg.set_payload(before_returned_message(payload))
        return msg.as_bytes(policy=policy.compat32.clone(linesep="\r\n"))
    except Exception:  # crafted MIME the generator cannot write back: the headers say enough
        return _header_block(raw)


def _header_block(raw: bytes) -> bytes:
    for blank_line in (b"\r\n\r\n", b"\n\n"):
        end = raw.find(blank_line)
        if end >= 0:
            return raw[: end + len(blank_line)]
    return raw
