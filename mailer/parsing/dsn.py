"""RFC 3464 delivery-status fields, and the rule that says whether a recipient failed for good.

The rule, ``verdict_of``:

- an ``Action`` other than ``failed`` (``delayed``, ``delivered``, ``relayed``,
  ``expanded``) is not a failure: the mail is still on its way or arrived;
- otherwise the RFC 3463 status class decides (``5.x.x`` permanent, ``4.x.x``
  temporary: the MTA gave up, but on a condition that may pass, such as a full
  mailbox or a server down for days), then the SMTP reply code in the
  diagnostic (``5xx``, ``4xx``);
- a failure that carries neither is permanent: the MTA said it gave up.
"""

from __future__ import annotations

import base64
import quopri
import re
from dataclasses import dataclass
from email.message import Message
from email.parser import HeaderParser
from enum import StrEnum

from mailer.headers import one_line

MAX_DIAGNOSTIC = 500  # characters of diagnostic text kept per recipient
# Recipients read from one report: one for our VERP return path, a few for a
# forward; a report for a whole mailing list stops here, and every reader
# stops looking once it has this many.
MAX_RECIPIENTS = 100

REPORT_PARTS = frozenset({"message/delivery-status", "message/global-delivery-status"})
_ENCODED = frozenset({"base64", "quoted-printable"})
_STATUS = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
_SMTP_REPLY = re.compile(r"(?<![\d.#-])([245])\d\d(?=[\s-])(?!\s*(?:bytes|kb|mb|days|hours))")
_ADDRESS = re.compile(r"[^\s<>\"'();,:\[\]]+@[^\s<>\"'();,:\[\]]+\.[a-z0-9-]+", re.I)


class Verdict(StrEnum):
    """What a report says about one recipient."""

    PERMANENT = "permanent"
    TEMPORARY = "temporary"
    NOT_A_FAILURE = "not a failure"  # delayed, relayed, delivered, expanded


@dataclass(frozen=True)
class Recipient:
    """One recipient a report speaks of."""

    address: str  # Original-Recipient when given (the address we sent to), else Final-Recipient
    verdict: Verdict
    action: str  # "failed", "delayed", ... as reported, or as the heuristic reader found it
    status: str | None  # RFC 3463 code, e.g. "5.1.1"
    diagnostic: str  # the remote server's words, one line


def verdict_of(action: str, status: str | None, diagnostic: str) -> Verdict:
    """Permanent, temporary or not a failure, from a DSN's Action, Status and Diagnostic.

    >>> verdict_of("failed", "5.1.1", "550 5.1.1 user unknown")
    <Verdict.PERMANENT: 'permanent'>
    >>> verdict_of("failed", "4.2.2", "552 mailbox full")  # the status is the finer word
    <Verdict.TEMPORARY: 'temporary'>
    >>> verdict_of("failed", None, "452 4.2.2 Over quota")
    <Verdict.TEMPORARY: 'temporary'>
    >>> verdict_of("delayed", "4.4.1", "connection timed out")
    <Verdict.NOT_A_FAILURE: 'not a failure'>
    >>> verdict_of("failed", None, "")
    <Verdict.PERMANENT: 'permanent'>
    """
    action = action.strip().lower()
    failed = action.startswith(("fail", "error"))  # OpenSMTPD says "error"
    if action and not failed:
        return Verdict.NOT_A_FAILURE
    # In a failure's text a "250 OK" is an earlier step of the transcript, not the outcome.
    code = status[0] if status else smtp_class(diagnostic, "45" if failed else "245")
    if code == "2":
        return Verdict.NOT_A_FAILURE
    return Verdict.TEMPORARY if code == "4" else Verdict.PERMANENT


def status_code(text: str) -> str | None:
    """The first RFC 3463 status code in text.

    >>> status_code("smtp; 550 5.1.1 <a@example.com>: Recipient address rejected")
    '5.1.1'
    >>> status_code("5.0.0 (permanent failure)")
    '5.0.0'
    >>> status_code("version 10.3.2.1") is None
    True
    """
    found = _STATUS.search(text)
    return ".".join(found.groups()) if found else None


def smtp_class(text: str, classes: str = "245") -> str | None:
    """The class digit of the first SMTP reply code of those classes in text.

    >>> smtp_class("host mx.example.com said: 452 Too many recipients")
    '4'
    >>> smtp_class("250 OK, then 550 no such user", "45")
    '5'
    >>> smtp_class("no code here") is None
    True
    """
    return next(
        (found.group(1) for found in _SMTP_REPLY.finditer(text) if found.group(1) in classes), None
    )


# --- RFC 3464 ------------------------------------------------------------------


def dsn_recipients(msg: Message) -> tuple[Recipient, ...]:
    """Every per-recipient block of the message's delivery-status parts."""
    found: list[Recipient] = []
    for part in msg.walk():
        if part.get_content_type() in REPORT_PARTS:
            read = (block_recipient(block) for block in _status_blocks(part))
            found.extend(recipient for recipient in read if recipient is not None)
    return first_per_address(found)


def _status_blocks(part: Message) -> list[Message]:
    """A delivery-status part's header blocks (the first is about the message)."""
    payload = part.get_payload()
    encoding = str(part.get("content-transfer-encoding", "")).strip().lower()
    plain = part.get_content_type() == "message/delivery-status" and encoding not in _ENCODED
    if isinstance(payload, list) and plain:
        # The email package splits a plain message/delivery-status into blocks itself.
        return [block for block in payload if isinstance(block, Message)]
    text = _part_text(part, payload, encoding).replace("\r\n", "\n")
    return [HeaderParser().parsestr(chunk.strip("\n")) for chunk in re.split(r"\n\s*\n", text)]


def _part_text(part: Message, payload: object, encoding: str) -> str:
    """The text of a delivery-status part the email package did not split right.

    It takes message/global-delivery-status (RFC 6533, UTF-8) for one attached
    message, and splits the base64 lines of an encoded part as if they were blocks.
    """
    if not isinstance(payload, list):
        data = part.get_payload(decode=True)
        return data.decode("utf-8", "replace") if isinstance(data, bytes) else str(payload)
    data = b"\n\n".join(block.as_bytes() for block in payload if isinstance(block, Message))
    if encoding == "base64":
        data = base64.b64decode(re.sub(rb"[^A-Za-z0-9+/=]", b"", data) + b"===")
    elif encoding == "quoted-printable":
        data = quopri.decodestring(data)
    return data.decode("utf-8", "replace")


def block_recipient(block: Message) -> Recipient | None:
    """The recipient one header block speaks of, or None for the per-message block."""
    address = _typed_address(block.get("original-recipient")) or _typed_address(
        block.get("final-recipient")
    )
    if address is None:
        return None
    action = _unfolded(block.get("action")).split("(")[0].strip().lower()
    diagnostic = _diagnostic(_unfolded(block.get("diagnostic-code")))
    status = status_code(_unfolded(block.get("status"))) or status_code(diagnostic)
    return Recipient(
        address=address,
        verdict=verdict_of(action, status, diagnostic),
        action=action,
        status=status,
        diagnostic=diagnostic,
    )


def _typed_address(value: str | None) -> str | None:
    """The address of a "rfc822; a@example.com" field, lowercased, or None.

    >>> _typed_address("rfc822; Robin@Example.COM")
    'robin@example.com'
    >>> _typed_address("RFC822;<robin@example.com>")
    'robin@example.com'
    >>> _typed_address("rfc822; postmaster") is None
    True
    """
    if not value:
        return None
    text = _unfolded(value)
    text = text.split(";", 1)[1] if ";" in text else text
    found = _ADDRESS.search(text)
    return found.group(0).strip(".").lower() if found else None


def _diagnostic(value: str) -> str:
    """A Diagnostic-Code's text without its type ("smtp; 550 ..." gives "550 ...")."""
    kind, sep, rest = value.partition(";")
    text = rest if sep and re.fullmatch(r"\s*[\w-]+\s*", kind) else value
    return one_line(text)[:MAX_DIAGNOSTIC]


def _unfolded(value: object) -> str:
    """A header value as one line of text ("" when absent)."""
    return one_line(str(value)) if value is not None else ""


def first_per_address(found: list[Recipient]) -> tuple[Recipient, ...]:
    """One entry per address, the first: some MTAs repeat a block per attempt."""
    seen: dict[str, Recipient] = {}
    for recipient in found:
        seen.setdefault(recipient.address, recipient)
    return tuple(seen.values())
