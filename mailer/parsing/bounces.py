"""Read a delivery report: who failed, permanently or not, with which status and words.

Two readers, in this order (the measured reasons are in tests/data/bounces/README.md):

1. RFC 3464 ``message/delivery-status`` parts, read with the standard library:
   per recipient ``Action``, ``Status``, ``Original-Recipient`` /
   ``Final-Recipient`` and ``Diagnostic-Code``.
2. When no such part names a recipient, ``flufl.bounce``'s detectors for the
   non-standard bounces of common MTAs (qmail, old Exim, Yahoo, Hotmail, ...).
   They return addresses only, sorted into "still trying" and "failed"; the
   status and the words come from the report's own text near the address.

Whether a recipient failed for good is one rule, ``verdict_of``:

- an ``Action`` other than ``failed`` (``delayed``, ``delivered``, ``relayed``,
  ``expanded``) is not a failure: the mail is still on its way or arrived;
- otherwise the RFC 3463 status class decides (``5.x.x`` permanent, ``4.x.x``
  temporary: the MTA gave up, but on a condition that may pass, such as a full
  mailbox), then the SMTP reply code in the diagnostic (``5xx``, ``4xx``);
- a failure that carries neither is permanent: the MTA said it gave up.

A report can also be an auto-reply sent to our return path (out of office,
challenge-response robots); ``mailer.parsing.autoreplies`` tells those apart,
and ``read_report`` says which it is.
"""

from __future__ import annotations

import base64
import quopri
import re
from collections.abc import Callable
from dataclasses import dataclass
from email import policy
from email.message import Message
from email.parser import BytesParser, HeaderParser
from enum import StrEnum

from flufl.bounce import all_failures

from mailer.headers import one_line
from mailer.parsing.autoreplies import auto_reply_reason, looks_like_bounce
from mailer.parsing.mime import decode_bytes

MAX_RECIPIENTS = 100  # a report for a whole mailing list stops here
MAX_DIAGNOSTIC = 500  # characters of diagnostic text kept per recipient
_NEAR_LINES = 12  # lines read from an address's line for its status and SMTP reply

_REPORT_PARTS = frozenset({"message/delivery-status", "message/global-delivery-status"})
_ENCODED = frozenset({"base64", "quoted-printable"})
_RETURNED_PARTS = frozenset({"message/rfc822", "message/global", "text/rfc822-headers"})
_STATUS = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
_SMTP_REPLY = re.compile(r"(?<![\d.#-])([245])\d\d(?=[\s-])(?!\s*(?:bytes|kb|mb|days|hours))")
# A line that starts another recipient's entry in a plain-text bounce.
_ENTRY = re.compile(r"^\s*<?([^\s<>@]+@[^\s<>:]+?)>?:?\s*$")
_ADDRESS = re.compile(r"[^\s<>\"'();,:\[\]]+@[^\s<>\"'();,:\[\]]+\.[a-z0-9-]+", re.I)


class Verdict(StrEnum):
    """What a report says about one recipient."""

    PERMANENT = "permanent"
    TEMPORARY = "temporary"
    NOT_A_FAILURE = "not a failure"  # delayed, relayed, delivered, expanded


class Kind(StrEnum):
    """What kind of message reached the return path."""

    BOUNCE = "bounce"
    AUTO_REPLY = "auto-reply"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Recipient:
    """One recipient a report speaks of."""

    address: str  # Original-Recipient when given (the address we sent to), else Final-Recipient
    verdict: Verdict
    action: str  # "failed", "delayed", ... as reported, or as the heuristic reader found it
    status: str | None  # RFC 3463 code, e.g. "5.1.1"
    diagnostic: str  # the remote server's words, one line


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
    heuristic = _safely(heuristic_recipients, msg)
    if heuristic:
        return Report(Kind.BOUNCE, heuristic[:MAX_RECIPIENTS], "flufl.bounce")
    return Report(Kind.BOUNCE if bounce else Kind.UNKNOWN)


def _safely(
    reader: Callable[[Message], tuple[Recipient, ...]], msg: Message
) -> tuple[Recipient, ...]:
    """What reader finds, or nothing when broken mail surprises it."""
    try:
        return reader(msg)
    except Exception:  # one reader's surprise must not hide what the other reads
        return ()


# --- the rule ----------------------------------------------------------------


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
    code = status[0] if status else _smtp_class(diagnostic, "45" if failed else "245")
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


def _smtp_class(text: str, classes: str = "245") -> str | None:
    """The class digit of the first SMTP reply code of those classes in text.

    >>> _smtp_class("host mx.example.com said: 452 Too many recipients")
    '4'
    >>> _smtp_class("250 OK, then 550 no such user", "45")
    '5'
    >>> _smtp_class("no code here") is None
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
        if part.get_content_type() in _REPORT_PARTS:
            read = (_block_recipient(block) for block in _status_blocks(part))
            found.extend(recipient for recipient in read if recipient is not None)
    return _first_per_address(found)


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


def _block_recipient(block: Message) -> Recipient | None:
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


# --- non-standard bounces --------------------------------------------------------


def heuristic_recipients(msg: Message) -> tuple[Recipient, ...]:
    """The recipients flufl.bounce finds, with status and words from the text near each."""
    delayed, failed = all_failures(msg)
    text = _report_text(msg)
    found: list[Recipient] = []
    for raw, action in [(a, "failed") for a in sorted(failed)] + [
        (a, "delayed") for a in sorted(delayed - failed)
    ]:
        address = raw.decode("ascii", "replace").strip().lower()
        near = _near(text, address)
        status = status_code(near)
        found.append(Recipient(address, verdict_of(action, status, near), action, status, near))
    return _first_per_address(found)


def _first_per_address(found: list[Recipient]) -> tuple[Recipient, ...]:
    """One entry per address, the first: some MTAs repeat a block per attempt."""
    seen: dict[str, Recipient] = {}
    for recipient in found:
        seen.setdefault(recipient.address, recipient)
    return tuple(seen.values())


def _report_text(msg: Message) -> str:
    """The report's own words: its text parts, without the message it returns."""
    texts: list[str] = []
    stack = [msg]
    while stack:
        part = stack.pop()
        kind = part.get_content_type()
        if kind in _RETURNED_PARTS or kind in _REPORT_PARTS:
            continue
        if part.is_multipart():
            payload = part.get_payload()
            stack.extend(reversed([p for p in payload if isinstance(p, Message)]))
        elif part.get_content_maintype() == "text":
            data = part.get_payload(decode=True)
            if isinstance(data, bytes):
                texts.append(decode_bytes(data, part.get_content_charset())[0])
    return _before_returned_message("\n".join(texts).replace("\r\n", "\n"))


def _before_returned_message(text: str) -> str:
    """Text up to where a bounce quotes the returned message inline (qmail, old Exim)."""
    marker = re.search(
        r"^(?:--- ?Below this line is a copy of the message|"
        r"-+ ?This is a copy of the message|"
        r"-+ ?(?:Original|Returned|Unsent) message)",
        text,
        re.IGNORECASE | re.MULTILINE,
    )
    return text[: marker.start()] if marker else text


def _near(text: str, address: str) -> str:
    r"""The lines from the first that names address to the next recipient's entry.

    Non-standard bounces name each recipient, then the remote server's words.

    >>> _near("Hi.\n<a@x.org>:\nsaid: 550 no\n\n<b@x.org>:\n452 full", "a@x.org")
    '<a@x.org>: said: 550 no'
    """
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if address in line.lower():
            taken = [line]
            for following in lines[index + 1 : index + _NEAR_LINES]:
                entry = _ENTRY.match(following)
                if entry and entry.group(1).lower() != address:
                    break
                taken.append(following)
            return one_line(" ".join(taken))[:MAX_DIAGNOSTIC]
    return ""
