"""Reading a forwarded email, and the action items in it (SPEC §4.6).

Attached forwards (``message/rfc822``) are read by the standard library:
the outermost attached message is the one forwarded. Inline forwards are
read by email-forward-parser 0.1.x, always with the envelope Subject (without
it, replies pass for forwards: see DEPENDENCIES.md); the dates clients show
are read by mailer/parsing/shown_dates.py. HTML forwards it cannot place are unwrapped by
quotequail, on the HTML itself (converted to text first, they are lost).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, tzinfo
from email.utils import parseaddr

import quotequail
from emailforwardparser.forward_parser import get_forwarded_metadata

from mailer.headers import one_line
from mailer.parsing.duedates import read_due
from mailer.parsing.headerblock import opens_header_block, read_header_block
from mailer.parsing.mime import ParsedMessage, html_to_text
from mailer.parsing.newtext import new_text, strip_signature
from mailer.parsing.shown_dates import read_shown_date

MAX_ACTIONS = 30
# Reading a forward is linear but not cheap (the parser takes about 2 s a
# megabyte): a coach's email fits many times over in these.
MAX_TEXT_CHARS = 200_000
MAX_HTML_CHARS = 500_000


@dataclass(frozen=True)
class Forward:
    coach_name: str
    coach_address: str
    date: datetime | None
    subject: str
    body: str
    note: str  # what the member wrote above the forward


@dataclass(frozen=True)
class ActionItem:
    text: str
    due: str | None  # YYYY-MM-DD


def read_forward(message: ParsedMessage) -> Forward | None:
    """The forwarded email in ``message``, or None when it forwards nothing."""
    found = _find_forward(message)
    if found is None:
        return None
    # Read from the body, the coach's name and subject may hold any line
    # break: the name of a coach invited as a partner shows in subjects.
    return replace(found, coach_name=one_line(found.coach_name), subject=one_line(found.subject))


def _find_forward(message: ParsedMessage) -> Forward | None:
    if message.attached_messages:
        inner = message.attached_messages[0]
        return Forward(
            coach_name=inner.from_name,
            coach_address=inner.from_address or "",
            date=inner.date,
            subject=inner.subject,
            body=inner.text.strip(),
            note=new_text(message.text),
        )
    # A forwarded date with no zone is shown in the forwarding client's own
    # zone: the offset of the forward's own Date header is the best guess.
    zone = message.date.tzinfo if message.date and message.date.tzinfo else UTC
    text = message.text[:MAX_TEXT_CHARS]
    inline = _read_inline(text, message.subject, zone, message.from_address or "")
    # quotequail takes an Outlook reply's header block for a forward: only a
    # forwarding Subject lets the HTML be read as one.
    if inline is None and message.html and FORWARD_SUBJECT.match(message.subject):
        return _read_html(message.html, zone)
    return inline


def _read_html(markup: str, zone: tzinfo) -> Forward | None:
    """An HTML forward whose text the inline parser cannot place (Outlook's)."""
    try:
        found = quotequail.unwrap_html(markup[:MAX_HTML_CHARS])
    except Exception:  # malformed markup: no forward found, not a failure
        return None
    if not found or found.get("type") != "forward":
        return None
    name, address = parseaddr(str(found.get("from", "")))
    return Forward(
        coach_name=name.strip() or str(found.get("from", "")).strip(),
        coach_address=address.strip().lower() if "@" in address else "",
        date=read_shown_date(str(found.get("date", "")), zone),
        subject=str(found.get("subject", "")).strip(),
        body=html_to_text(str(found.get("html", ""))).strip(),
        note=strip_signature(html_to_text(str(found.get("html_top", "")))).strip(),
    )


# A forwarding client's Subject prefix, in the corpus languages and a few more.
FORWARD_SUBJECT = re.compile(
    r"^\s*(?:fwd?|fw|wg|tr|rv|i|doorst|vs|vb|vl|enc|pd|pl|přeposlat|转发|轉寄|転送|пересл)\s*[:\uff1a]",
    re.IGNORECASE,
)
# Lines that open a forwarded block; two or more of them make a chain.
_SEPARATOR = re.compile(
    r"^[ \t>]*(?:-{5,}\s*Forwarded message\s*-{5,}|Begin forwarded message:|"
    r"-{5,}\s*Original Message\s*-{5,}|-{5,}\s*Weitergeleitete Nachricht\s*-{5,}|"
    r"-{5,}\s*Message transféré\s*-{5,}|Forwarded message:|_{20,})\s*$",
    re.IGNORECASE | re.MULTILINE,
)
# Outlook opens quoted replies with "Original Message" or a rule of
# underscores as well as forwards: only the others say "forwarded".
_SAYS_REPLY_TOO = re.compile(r"original message|_{20,}", re.IGNORECASE)


def _read_inline(text: str, subject: str, zone: tzinfo, forwarder: str) -> Forward | None:
    # Only those a header block follows: the same rule of underscores can be
    # a banner ("CAUTION: external sender") inside the forwarded email.
    separators = [
        found
        for found in _SEPARATOR.finditer(text)
        if opens_header_block(text[found.end() : found.end() + 2000])
    ]
    # The parser returns the innermost hop of a chain; the forwarded email is
    # the outermost one, so it sees the text up to the second separator, and
    # the rest of the chain is kept in the body.
    head, rest = (text, "")
    if len(separators) > 1:
        head, rest = text[: separators[1].start()], text[separators[1].start() :]
    found = get_forwarded_metadata(head, subject)
    # Decided by the first separator: a reply can quote an older forward.
    looks_forwarded = bool(FORWARD_SUBJECT.match(subject)) or bool(
        separators and not _SAYS_REPLY_TOO.search(separators[0][0])
    )
    if not found.forwarded or not found.email.from_.address:
        return _from_header_block(text, zone, forwarder) if looks_forwarded else None
    original = found.email
    address = original.from_.address.strip().lower()
    block = read_header_block(head)
    if block is not None and block.from_address != address:
        block = None  # not the block the parser read
    date = read_shown_date(original.date, zone)
    if date is None and block is not None:  # a label the parser does not know ("Wysłano")
        date = read_shown_date(block.date, zone)
    # Everything under the header block: the parser can start the body after
    # a rule lower down (an Outlook signature's), losing the coach's words.
    body = block.body if block is not None and block.body else original.body.strip()
    return Forward(
        coach_name=original.from_.name.strip(),
        coach_address=address,
        date=date,
        subject=original.subject.strip(),
        body=body + ("\n\n" + rest.strip() if rest.strip() else ""),
        note=strip_signature(found.message).strip(),
    )


def _from_header_block(text: str, zone: tzinfo, forwarder: str) -> Forward | None:
    """MailMate's quoted block, and layouts the parser does not know (Outlook in Japanese)."""
    block = read_header_block(text)
    if block is None or (block.from_address and block.from_address == forwarder.lower()):
        return None  # the member's own mail, quoted: not a coach's
    return Forward(
        coach_name=block.from_name,
        coach_address=block.from_address,
        date=read_shown_date(block.date, zone),
        subject=block.subject,
        body=block.body,
        note=strip_signature(block.before).strip(),
    )


_BULLET = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)]|\[[ xX]?\]|☐|☑)\s+(?P<text>\S.*)$")
_LABEL = re.compile(
    r"^\s*(?:action(?: item)?|todo|to do|next steps?)\s*[:\-]\s*(?P<text>\S.*)$", re.IGNORECASE
)
_WILL = re.compile(
    r"(?:^|(?<=[.!?]\s))(?P<text>(?:you|I|we)(?:'ll| will)\s[^.!?\n]{3,200})", re.IGNORECASE
)


def action_items(body: str, written: datetime, zone: tzinfo) -> list[ActionItem]:
    """Bullets, numbered lines, ``Action:``/``TODO``/``Next step`` lines, checkboxes,
    and "you will…/I will…" sentences, with due dates read relative to ``written``.

    >>> from datetime import UTC
    >>> items = action_items(
    ...     "Great session.\\n- Draft the budget by Friday\\nNext step: call Ana\\n"
    ...     "You will send the deck by Dec 15.", datetime(2026, 11, 25, tzinfo=UTC), UTC)
    >>> [(i.text, i.due) for i in items]  # doctest: +NORMALIZE_WHITESPACE
    [('Draft the budget by Friday', '2026-11-27'), ('call Ana', None),
     ('You will send the deck by Dec 15', '2026-12-15')]
    """
    found: dict[str, None] = {}  # once each, in order
    for line in body.replace("\r\n", "\n").split("\n"):
        if len(found) >= MAX_ACTIONS:
            break  # the rest would be cut anyway: no due date is read for them
        match = _LABEL.match(line) or _BULLET.match(line)
        if match:
            found.setdefault(match["text"].strip())
            continue
        for will in _WILL.finditer(line):
            found.setdefault(will["text"].strip())
    items = []
    for text in list(found)[:MAX_ACTIONS]:
        reading = read_due(text, written, zone)
        items.append(ActionItem(text[:500], reading.due.isoformat() if reading.due else None))
    return items
