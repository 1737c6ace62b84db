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
    entry_recipients,
    heuristic_recipients,
    text_dsn_recipients,
)
from mailer.parsing.dsn import Recipient, Verdict, dsn_recipients

__all__ = ["Kind", "Recipient", "Report", "Verdict", "read_report"]

MAX_RECIPIENTS = 100  # a report for a whole mailing list stops here


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
        msg = BytesParser(policy=policy.compat32).parsebytes(raw)
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
