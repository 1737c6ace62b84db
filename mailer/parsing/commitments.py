"""Commitments from the new text of a message to commit@.

Each bullet, numbered item, checkbox or plain line is one commitment; wrapped
bullets are joined again. Greetings, thanks, intro lines ("My commitments:") and the
signature (after "-- ", a sign-off such as "Thanks,\\nAnna", "Sent from my iPhone", or
a trailing block of names and phone numbers) are not commitments. When the body
has none, the subject is the commitment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from mailer.parsing.duedates import read_due

MAX_COMMITMENTS = 50
MAX_CHARS = 500
_MAX_LINES = 2000  # bounds the work on a pathological body; 50 items come well before


@dataclass(frozen=True)
class CommitmentDraft:
    """One commitment read from a message, not yet stored."""

    text: str
    due: date | None
    recurrence: str | None
    recurrence_label: str | None


_MARKER = re.compile(
    r"^\s*(?:(?:[-*+](?=\s)|[•\u2013\u2014·▪◦●►➢➤→✓✔✅☐☑□❑])\s*|(?:\d{1,2}[.)]|\(\d{1,2}\)|[a-z]\))\s+)"
    r"(?:\[[ xX✓✔]?\]\s*)?|^\s*\[[ xX✓✔]?\]\s*"
)
# Lines after which nothing is a commitment: the signature delimiter, client footers,
# and separators that introduce quoted or forwarded text the quote remover missed.
_STOP = re.compile(
    r"^(?:--\s*|_{10,}|-{3,}\s*(?:original message|forwarded message)\s*-{3,}"
    r"|sent from my .*|sent from (?:outlook|mail) for .*|get outlook for .*"
    r"|von meinem .* gesendet|envoy[ée] de mon .*|enviado desde mi .*)$",
    re.IGNORECASE,
)
_SIGN_OFF = re.compile(
    r"^(?i:thanks|thank you|many thanks|thanks again|thx|cheers|best|best regards|best wishes"
    r"|kind regards|warm regards|warmly|regards|sincerely|yours|all the best|talk soon"
    r"|take care|br|kr|rgds|viele grü(?:ß|ss)e|beste grü(?:ß|ss)e|liebe grü(?:ß|ss)e|lg|vg|mfg"
    r"|mit freundlichen grü(?:ß|ss)en|grü(?:ß|ss)e|gruß|merci|cordialement|bien à vous|bises"
    r"|amitiés|saludos|un saludo|gracias|atentamente|un abrazo)"
    r"[\s,.!-]*(?:[A-Z][\w.'-]*(?:\s+[A-Z][\w.'-]*){0,2})?[\s,.!]*$"
)
# A greeting word, then at most three names or words like "team": "Hello team,".
_GREETING = re.compile(
    r"^(?i:hi|hello|hey|hiya|dear|greetings|good (?:morning|afternoon|evening)|morning"
    r"|hallo|liebe[rs]?|sehr geehrte[rs]?|guten (?:morgen|tag|abend)|moin|servus"
    r"|bonjour|bonsoir|salut|coucou|hola|buenos días|buenas(?: tardes| noches)?)\b"
    r"(?:[\s,]+(?:[A-Z][\w.'-]*|(?i:all|team|everyone|everybody|folks|there|guys|friends"
    r"|pactmail|zusammen|à tous|tout le monde|todos|equipo))){0,3}[\s,!.:]*$"
)
_PLEASANTRY = re.compile(
    r"^(?:thanks|thank you|thx|many thanks|thanks (?:a lot|so much|in advance|again)|cheers"
    r"|thank you (?:so much|very much|in advance)|hope (?:you're|you are|all is) (?:well|good)"
    r"|hope this helps|have a (?:nice|good|great) (?:day|week|weekend)|danke(?: schön| dir| euch)?"
    r"|vielen dank|merci(?: beaucoup)?|gracias|muchas gracias)[\s!.,:)]*$",
    re.IGNORECASE,
)
_INTRO = re.compile(
    r"^(?:(?:here (?:are|is)|here's|these are|below (?:are|is)) )?(?:my|our) (?:new |weekly )?"
    r"(?:commitments|goals|pacts|promises|plans|to-?dos|tasks)"
    r"(?:\s+(?:for|this|next|the|coming|week|today|month|below))*[.!]?$",
    re.IGNORECASE,
)
_GENERIC_SUBJECT = re.compile(
    r"^(?:(?:my|our|new|weekly) )*(?:commitments?|goals?|pacts?|promises?|to-?dos?|commit)"
    r"(?: (?:for )?(?:this|next) week| for today)?[.!:]?$",
    re.IGNORECASE,
)
_REPLY_PREFIX = re.compile(
    r"^\s*(?:(?:re|fwd?|aw|wg|sv|vs|tr|rv|antw|ref|réf|enc|r)\s*(?:\[\d+\]|\(\d+\))?\s*:\s*"
    r"|\[[^\]]{1,30}\]\s*)+",
    re.IGNORECASE,
)
# Phone numbers (international or US-style, so that ISO dates are not taken), e-mail
# addresses, links and labelled contact lines.
_CONTACT = re.compile(
    r"\+\d[\d\s().\/-]{6,}\d|\(?\b\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}\b|[\w.+-]+@[\w-]+\.[\w.-]+"
    r"|https?://\S+|www\.\S+|^(?:tel|phone|mobile|cell|fax)\b[^:]*:",
    re.IGNORECASE,
)
_NAME_WORD = re.compile(
    r"^(?:[A-Z][\w.,'\u2019&|-]*|of|and|&|de|von|van|der|the|for|at|\||-|\u2013)$"
)


def _is_skipped(text: str) -> bool:
    """Whether an item is a greeting, thanks, intro or only punctuation, not a commitment."""
    return (
        not any(ch.isalnum() for ch in text)
        or text.endswith(":")
        or bool(_GREETING.match(text) or _PLEASANTRY.match(text) or _INTRO.match(text))
    )


def _signature_like(line: str) -> bool:
    """A line of a signature block: contact details or a short title-cased name or role."""
    if _CONTACT.search(line):
        return len(_CONTACT.sub(" ", line).split()) <= 3  # "Mobile: +41 ..." but not a sentence
    words = line.split()
    return 0 < len(words) <= 5 and all(_NAME_WORD.match(w) for w in words)


def _all_signature(lines: list[str]) -> bool:
    """Whether the non-blank lines are all names, roles or contact details."""
    return all(_signature_like(line.strip()) for line in lines if line.strip())


def _cut_signature(lines: list[str]) -> list[str]:
    """The lines before the signature delimiter, a client footer or a closing sign-off."""
    seen_content = False
    for index, line in enumerate(lines):
        text = line.strip()
        if _STOP.match(text):
            return lines[:index]
        if _SIGN_OFF.match(text) and (seen_content or _all_signature(lines[index + 1 :])):
            return lines[:index]
        seen_content = seen_content or (bool(text) and not _is_skipped(_strip_marker(text)))
    return lines


def _drop_trailing_block(lines: list[str]) -> list[str]:
    """Drop a last paragraph of names, roles and phone numbers left after the commitments."""
    has_markers = any(_MARKER.match(line) for line in lines)
    while lines:
        while lines and not lines[-1].strip():
            lines = lines[:-1]
        start = max((i + 1 for i, line in enumerate(lines) if not line.strip()), default=0)
        block = lines[start:]
        if start == 0 or not block or not all(_signature_like(line.strip()) for line in block):
            return lines
        contact = any(_CONTACT.search(line) for line in block)
        if not (contact or (has_markers and not any(_MARKER.match(line) for line in block))):
            return lines
        lines = lines[:start]
    return lines


def _strip_marker(line: str) -> str:
    """The line without its bullet, number or checkbox."""
    return _MARKER.sub("", line, count=1).strip()


def _items(lines: list[str]) -> list[str]:
    """List items and plain lines, with wrapped continuation lines joined back."""
    items: list[list[str]] = []
    in_list = after_blank = open_item = False  # open: the last line read may continue
    previous = ""
    for line in lines:
        if not line.strip():
            after_blank = True
            continue
        text, marked = _strip_marker(line), bool(_MARKER.match(line))
        # A client wraps long lines: a long line, or a next line in lower case, goes on.
        wrapped = len(previous.strip()) >= 50 or text[:1].islower()
        indented = line[:1].isspace()
        if (
            not marked
            and open_item
            and (
                (not after_blank and (indented or (wrapped and (in_list or text[:1].islower()))))
                or (indented and in_list)
            )
        ):
            items[-1].append(text)
        elif line.lstrip().startswith(">") or _is_skipped(text):
            open_item = False
        else:
            items.append([text])
            in_list, open_item = marked, True
        after_blank, previous = False, line
    return [" ".join(parts) for parts in items]


def _subject_text(subject: str) -> str:
    """The subject without Re:/Fwd:/AW:/SV: prefixes, or "" when it says nothing."""
    text = " ".join(_REPLY_PREFIX.sub("", subject).split())
    return "" if _GENERIC_SUBJECT.match(text) or _is_skipped(text) else text


def _draft(text: str, sent_at: datetime, zone: tzinfo) -> CommitmentDraft:
    """A draft with its due date and recurrence, the text capped at MAX_CHARS."""
    reading = read_due(text, sent_at, zone)
    capped = reading.text if len(reading.text) <= MAX_CHARS else reading.text[:MAX_CHARS].rstrip()
    return CommitmentDraft(capped, reading.due, reading.recurrence, reading.recurrence_label)


def extract_commitments(
    body: str, subject: str, sent_at: datetime, zone: tzinfo
) -> list[CommitmentDraft]:
    """The commitments of a message: its items, or else its subject."""
    lines = body.replace("\r\n", "\n").replace("\r", "\n").split("\n")[:_MAX_LINES]
    items = _items(_drop_trailing_block(_cut_signature(lines)))
    if not items and (text := _subject_text(subject)):
        items = [text]
    return [_draft(item, sent_at, zone) for item in items[:MAX_COMMITMENTS]]
