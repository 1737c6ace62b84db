"""Commitments from the new text of a message to commit@.

With a list (bullets, numbers, checkboxes), each list item is one commitment and the
lines around it are not; without one, each sentence of each line is. Wrapped lines
are joined again. Asides are never commitments, in a list or not: greetings,
thanks, intros ("My commitments:"), questions, requests to a partner ("Pat, would
you keep me honest?"), see mailer/parsing/asides.py. Nor is the signature: after
"-- ", a sign-off such as "Thanks,\\nAnna", "Sent from my iPhone", a line with the
sender's name, or a trailing block of names and phone numbers. When the body has
none, the subject is the commitment.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from mailer.parsing.asides import SIGN_OFF, aside, first_name, without_greeting
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


# A sentence ends at . ! ? or … before a capital letter, "¿" or an opening quote; not
# after a title, a common abbreviation, an initial ("Dr. Lee", "z. B. Sport", "J. Doe")
# or the day of a German date ("bis zum 15. Dezember").
_SENTENCE_BREAK = re.compile(r"(?<=[.!?…])\s+(?=[¿¡\"“«(]?[A-ZÀ-ÖØ-Þ])")
_ABBREVIATION = re.compile(
    r"(?<!\w)(?:mrs?|ms|dr|prof|st|mt|jr|sr|sra|srta|mme|mlle|hr|fr|nr|no|vs|ca|approx|etc"
    r"|bzw|usw|ggf|evtl|inkl|bzgl|e\.g|i\.e|[^\W\d_])\.$",
    re.IGNORECASE,
)
_LONGEST_ABBREVIATION = len("approx.")
_GERMAN_DAY = re.compile(r"(?<!\w)\d{1,2}\.$")
_GERMAN_MONTH = re.compile(r"(?:jan|feb|mär|apr|mai|jun|jul|aug|sep|okt|nov|dez)", re.IGNORECASE)


@dataclass(frozen=True)
class _Item:
    """A list item or a plain line, wrapped lines joined back."""

    text: str
    listed: bool


def _is_heading(text: str) -> bool:
    """A line that introduces what follows ("Work:") or only decorates ("---")."""
    return not any(ch.isalnum() for ch in text) or text.endswith(":")


def _signature_like(line: str) -> bool:
    """A line of a signature block: contact details or a short title-cased name or role."""
    if _CONTACT.search(line):
        return len(_CONTACT.sub(" ", line).split()) <= 3  # "Mobile: +41 ..." but not a sentence
    words = line.split()
    return 0 < len(words) <= 5 and all(_NAME_WORD.match(w) for w in words)


def _all_signature(lines: list[str]) -> bool:
    """Whether the non-blank lines are all names, roles or contact details."""
    return all(_signature_like(line.strip()) for line in lines if line.strip())


def _name_key(text: str) -> str:
    """Letters and digits only, folded: "- Anna K." and "anna k" give "annak"."""
    return re.sub(r"[\W_]+", "", text.casefold())


def _signer_keys(signer: str) -> frozenset[str]:
    """The name keys a sender signs with, from a display name or else an address.

    >>> sorted(_signer_keys("Anna Keller"))
    ['a', 'ak', 'akeller', 'anna', 'annak', 'annakeller', 'keller']
    >>> sorted(_signer_keys("jo.lee+pm@example.com"))
    ['j', 'jl', 'jlee', 'jo', 'jol', 'jolee', 'lee']
    """
    if "@" in signer and " " not in signer.strip():
        signer = re.sub(r"[._-]+", " ", signer.partition("@")[0].partition("+")[0])
    words = [key for key in map(_name_key, signer.split()) if key]
    if not words:
        return frozenset()
    keys = {"".join(words), "".join(word[0] for word in words), words[0][0]}
    keys.update(words)
    if len(words) > 1:
        keys.update({words[0] + words[-1][0], words[0][0] + words[-1]})
    return frozenset(keys)


def _cut_signature(lines: list[str], signer: frozenset[str]) -> list[str]:
    """The lines before the signature delimiter, a client footer, a closing sign-off
    or the sender's name."""
    seen_content = False
    for index, line in enumerate(lines):
        text = line.strip()
        if _STOP.match(text):
            return lines[:index]
        closing = SIGN_OFF.match(text) or _name_key(text) in signer
        if closing and (seen_content or _all_signature(lines[index + 1 :])):
            return lines[:index]
        item = _strip_marker(text)
        seen_content = seen_content or not (_is_heading(item) or aside(item))
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


def _items(lines: list[str]) -> list[_Item]:
    """List items and plain lines, with wrapped continuation lines joined back."""
    items: list[tuple[list[str], bool]] = []  # the parts of each item, and whether listed
    in_list = after_blank = open_item = False  # open: the last line read may continue
    previous = ""
    for line in lines:
        if not line.strip():
            after_blank = True
            continue
        text, marked = _strip_marker(line), bool(_MARKER.match(line))
        # A client wraps long lines: a long line, or a next line in lower case, goes on;
        # but a line that is an aside on its own ("Pat, would you ...") starts anew.
        wrapped = len(previous.strip()) >= 50 or text[:1].islower()
        indented = line[:1].isspace()
        starts_anew = text[:1].isupper() and aside(text) is not None
        if (
            not marked
            and open_item
            and not starts_anew
            and (
                (not after_blank and (indented or (wrapped and (in_list or text[:1].islower()))))
                or (indented and in_list)
            )
        ):
            items[-1][0].append(text)
        elif line.lstrip().startswith(">") or _is_heading(text):
            open_item = False
        else:
            items.append(([text], marked))
            in_list, open_item = marked, True
        after_blank, previous = False, line
    return [_Item(" ".join(parts), marked) for parts, marked in items]


def _sentences(text: str) -> list[str]:
    """The sentences of a text, in order.

    >>> _sentences("Ship v2 by Dec. 15. Call Dr. Lee, e.g. about Q1! Is that too much?")
    ['Ship v2 by Dec. 15.', 'Call Dr. Lee, e.g. about Q1!', 'Is that too much?']
    >>> _sentences("Bericht bis zum 15. Dezember schreiben. Danach z. B. Sport machen.")
    ['Bericht bis zum 15. Dezember schreiben.', 'Danach z. B. Sport machen.']
    """
    sentences: list[str] = []
    start = 0
    for found in _SENTENCE_BREAK.finditer(text):
        if _ends_sentence(text, start, found):
            sentences.append(text[start : found.start()])
            start = found.end()
    sentences.append(text[start:])
    return sentences


def _ends_sentence(text: str, start: int, found: re.Match[str]) -> bool:
    """Whether the break found, in the sentence that began at start, ends it."""
    # Only the last word before the break counts: searching all of a long run of
    # abbreviations at every break would take quadratic time.
    tail = max(start, found.start() - _LONGEST_ABBREVIATION)
    if _ABBREVIATION.search(text, tail, found.start()):
        return False
    german_date = _GERMAN_DAY.search(text, tail, found.start()) and _GERMAN_MONTH.match(
        text, found.end()
    )
    return not german_date


def _kept(text: str, signer: frozenset[str], addressees: Collection[str]) -> list[str]:
    """The sentences of an item that may be commitments, without a greeting in front."""
    return [
        without_greeting(sentence)
        for sentence in _sentences(text)
        if not aside(sentence, addressees) and _name_key(sentence) not in signer
    ]


def _commitment_texts(
    items: Iterable[_Item], signer: frozenset[str], addressees: Collection[str]
) -> list[str]:
    """The items of a list, or else the sentences of the lines, without asides."""
    kept = [(item.listed, _kept(item.text, signer, addressees)) for item in items]
    # With a list, the lines around it say why and to whom, not what is promised.
    has_list = any(listed and sentences for listed, sentences in kept)
    texts: list[str] = []
    for listed, sentences in kept:
        if listed and sentences:
            texts.append(" ".join(sentences))
        elif not has_list:
            texts.extend(sentences)
    return texts


def _subject_text(subject: str) -> str:
    """The subject without Re:/Fwd:/AW:/SV: prefixes, or "" when it says nothing."""
    text = " ".join(_REPLY_PREFIX.sub("", subject).split())
    return "" if _is_heading(text) or aside(text) else text


def _draft(text: str, sent_at: datetime, zone: tzinfo) -> CommitmentDraft:
    """A draft with its due date and recurrence, the text capped at MAX_CHARS."""
    reading = read_due(text, sent_at, zone)
    capped = reading.text if len(reading.text) <= MAX_CHARS else reading.text[:MAX_CHARS].rstrip()
    return CommitmentDraft(capped, reading.due, reading.recurrence, reading.recurrence_label)


def extract_commitments(
    body: str,
    subject: str,
    sent_at: datetime,
    zone: tzinfo,
    *,
    signer: str = "",
    addressees: Iterable[str] = (),
) -> list[CommitmentDraft]:
    """The commitments of a message: its items, or else its subject.

    ``signer`` is the sender's name or address, ``addressees`` the names or
    addresses of the partners it invites: lines that sign with the one or speak
    to the others are not commitments.
    """
    signed = _signer_keys(signer)
    spoken_to = frozenset(filter(None, map(first_name, addressees)))
    lines = body.replace("\r\n", "\n").replace("\r", "\n").split("\n")[:_MAX_LINES]
    items = _items(_drop_trailing_block(_cut_signature(lines, signed)))
    texts = _commitment_texts(items, signed, spoken_to)
    if not texts and (text := _subject_text(subject)):
        texts = [text]
    return [_draft(text, sent_at, zone) for text in texts[:MAX_COMMITMENTS]]
