"""Delivery reports without RFC 3464 fields: flufl.bounce's detectors and the report's own text."""

from __future__ import annotations

import re
from email.message import Message
from email.parser import HeaderParser

from flufl.bounce import all_failures

from mailer.headers import one_line
from mailer.parsing.dsn import (
    MAX_DIAGNOSTIC,
    MAX_RECIPIENTS,
    REPORT_PARTS,
    Recipient,
    block_recipient,
    first_per_address,
    smtp_class,
    status_code,
    verdict_of,
)
from mailer.parsing.mime import decode_bytes

_NEAR_LINES = 12  # lines read from an address's line for its status and SMTP reply
# The report's own words read, at most: a real one says what it has to in a
# few hundred characters a recipient.
MAX_REPORT_CHARS = 64_000
RETURNED_PARTS = frozenset({"message/rfc822", "message/global", "text/rfc822-headers"})
# A line that starts another recipient's entry in a plain-text bounce.
_ENTRY = re.compile(r"^\s*<?([^\s<>@]+@[^\s<>:]+?)>?:?\s*$")
# A line that opens an entry and may carry the reason after the colon:
# "<a@example.org>:", "a@example.org: 550 5.1.1 ..." (qmail, Yahoo, OpenSMTPD, old Postfix).
_ENTRY_START = re.compile(r"^\s*<?([^\s<>@:\"]+@[^\s<>:\"]+\.[a-z0-9-]+)>?:(?:\s|$)", re.I | re.M)
_DSN_FIELD = re.compile(r"^(?:final|original)-recipient\s*:", re.I | re.M)


def heuristic_recipients(msg: Message) -> tuple[Recipient, ...]:
    """The recipients flufl.bounce finds, with status and words from the text near each."""
    delayed, failed = all_failures(msg)
    lines = _Lines(report_text(msg))
    found: list[Recipient] = []
    named = [(a, "failed") for a in sorted(failed)] + [
        (a, "delayed") for a in sorted(delayed - failed)
    ]
    for raw, action in named[:MAX_RECIPIENTS]:
        address = raw.decode("ascii", "replace").strip().lower()
        near = lines.near(address)
        status = status_code(near)
        found.append(Recipient(address, verdict_of(action, status, near), action, status, near))
    return first_per_address(found)


def text_dsn_recipients(msg: Message) -> tuple[Recipient, ...]:
    """RFC 3464 recipient blocks written into the report's text instead of their own part.

    Some MTAs send the fields inside text/plain, and a report whose MIME
    boundaries are broken reaches the parser as one text.
    """
    found: list[Recipient] = []
    for chunk in re.split(r"\n[ \t]*\n", report_text(msg)):
        if _DSN_FIELD.search(chunk):
            recipient = block_recipient(HeaderParser().parsestr(chunk.strip("\n") + "\n"))
            found.extend([recipient] if recipient is not None else [])
            if len(found) >= MAX_RECIPIENTS:
                break
    return first_per_address(found)


def entry_recipients(msg: Message) -> tuple[Recipient, ...]:
    """Recipients a plain-text bounce lists as "<address>:" entries with an SMTP reply.

    The last resort, for reports nothing else reads: an entry counts only when
    a reply code or status follows it, which a mention of an address in prose lacks.
    """
    text = report_text(msg)
    lines = _Lines(text)
    found: list[Recipient] = []
    for match in _ENTRY_START.finditer(text):
        if len(found) >= MAX_RECIPIENTS:
            break
        address = match.group(1).lower()
        near = lines.near(address)
        status = status_code(near)
        if status or smtp_class(near, "45"):
            found.append(
                Recipient(address, verdict_of("failed", status, near), "failed", status, near)
            )
    return first_per_address(found)


def report_text(msg: Message) -> str:
    """The report's own words: its text parts, without the message it returns."""
    texts: list[str] = []
    stack = [msg]
    while stack:
        part = stack.pop()
        kind = part.get_content_type()
        if kind in RETURNED_PARTS or kind in REPORT_PARTS:
            continue
        payload = part.get_payload()
        if isinstance(payload, list):
            stack.extend(reversed([p for p in payload if isinstance(p, Message)]))
        elif part.get_content_maintype() == "multipart":  # broken boundaries: one text
            texts.append(str(payload))
        elif part.get_content_maintype() == "text":
            data = part.get_payload(decode=True)
            if isinstance(data, bytes):
                texts.append(decode_bytes(data, part.get_content_charset())[0])
    text = before_returned_message("\n".join(texts).replace("\r\n", "\n"))
    return text[:MAX_REPORT_CHARS]


def before_returned_message(text: str) -> str:
    """Text up to where a bounce quotes the returned message inline (qmail, old Exim)."""
    marker = re.search(
        r"^(?:--- ?Below this line is a copy of the message|"
        r"-+ ?This is a copy of the message|"
        r"-+ ?(?:Original|Returned|Unsent) message)",
        text,
        re.IGNORECASE | re.MULTILINE,
    )
    return text[: marker.start()] if marker else text


class _Lines:
    """A report's lines, split and lowercased once for every address looked up in them."""

    def __init__(self, text: str) -> None:
        self.lines = text.split("\n")
        self.lowered = [line.lower() for line in self.lines]

    def near(self, address: str) -> str:
        r"""The lines from the first that names address to the next recipient's entry.

        Non-standard bounces name each recipient, then the remote server's words.

        >>> _Lines("Hi.\n<a@x.org>:\nsaid: 550 no\n\n<b@x.org>:\n452 full").near("a@x.org")
        '<a@x.org>: said: 550 no'
        >>> _Lines("a@x.org: 550 5.2.2 full\nb@x.org: 550 5.1.1 unknown").near("a@x.org")
        'a@x.org: 550 5.2.2 full'
        """
        for index, line in enumerate(self.lowered):
            if address in line:
                taken = [self.lines[index]]
                for following in self.lines[index + 1 : index + _NEAR_LINES]:
                    entry = _ENTRY.match(following) or _ENTRY_START.match(following)
                    if entry and entry.group(1).lower() != address:
                        break
                    taken.append(following)
                return one_line(" ".join(taken))[:MAX_DIAGNOSTIC]
        return ""
