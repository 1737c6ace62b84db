"""Reading a partner's verdicts: "on track" or "challenge", by click or typed (SPEC §4.3, §4.4).

Numbers are the member's own commitment numbers (#15 is #15 in every email).
A digest covering several members names whose #15 by first name: ``Alice
15 challenge: …``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from mailer.models import DigestCadence, VerdictKind
from mailer.timezones import zone_line

MAX_LINES = 200
MAX_NOTE_CHARS = 4000

_ON_TRACK = (
    r"on[\s-]?track|ontrack|all good|looks good|good|fine|ok|okay|\U0001f44d|"
    r"auf kurs|en bonne voie|in linea|en camino|op schema|på rätt spår"
)
_CHALLENGE = r"challenge[sd]?|challenging|concern(?:ed)?|worried|not on track|off track"
_VERDICT = re.compile(
    rf"^[\s\-*•>\"'“]*(?:(?P<on_track>{_ON_TRACK})|(?P<challenge>{_CHALLENGE}))(?![\w-])\s*[:\-\u2013,.!]*\s*"
    r"(?P<note>.*)$",
    re.IGNORECASE | re.DOTALL,
)
# "15 challenge: …", "#15. on track", "Alice 15 on track", "Alice's #15: challenge …"
_ITEM = re.compile(
    r"^\s*(?:[-*•]\s*)?(?:(?P<who>[^\W\d_][\w.-]{0,39}?)(?:['\u2019]s)?\s+)?"
    r"#?(?P<number>\d{1,6})[.):]?\s+(?P<rest>\S.*)$"
)
_CADENCE = {
    "daily": DigestCadence.DAILY,
    "weekly": DigestCadence.WEEKLY,
    "pause": DigestCadence.PAUSED,
    "stop": DigestCadence.STOPPED,
    "unsubscribe": DigestCadence.STOPPED,
}


@dataclass
class ItemVerdict:
    number: int  # the member's commitment number
    kind: VerdictKind
    note: str
    who: str = ""  # the first name written before the number, if any
    line: str = ""  # the line as written, to quote it back when it fits nothing


@dataclass
class DigestReply:
    verdicts: list[ItemVerdict] = field(default_factory=list)
    cadence: DigestCadence | None = None
    zone: str | None = None
    # Lines that were none of the above, as written, to quote back.
    unread: list[str] = field(default_factory=list)


def read_verdict(text: str) -> tuple[VerdictKind, str] | None:
    """The verdict a reply starts with, and the note after it.

    >>> read_verdict("Challenge: the deadline moved twice")
    (<VerdictKind.CHALLENGE: 'challenge'>, 'the deadline moved twice')
    >>> read_verdict("On track!")
    (<VerdictKind.ON_TRACK: 'on_track'>, '')
    >>> read_verdict("What is this?") is None
    True
    """
    match = _VERDICT.match(text.strip())
    if match is None:
        return None
    kind = VerdictKind.ON_TRACK if match["on_track"] else VerdictKind.CHALLENGE
    return kind, _note([match["note"]])


def without_sign_off(text: str, names: frozenset[str]) -> str:
    """The text without its last line when that line is only the writer's name ("Bob", "- B.").

    >>> without_sign_off("Not started yet.\\n\\nBob", frozenset({"bob", "bob stone"}))
    'Not started yet.'
    >>> without_sign_off("Bob will review it", frozenset({"bob"}))
    'Bob will review it'
    """
    lines = text.rstrip().splitlines()
    if lines and lines[-1].strip(" \t-\u2013\u2014~.,!").casefold() in names:
        lines.pop()
    return "\n".join(lines).rstrip()


def read_link_reply(
    text: str, subject: str, kind: VerdictKind | None
) -> tuple[VerdictKind, str] | None:
    """A reply to an On track or Challenge link: the verdict, and every new word as the note.

    The link prefills ``challenge: `` (or ``on track``); people type above
    it, below it, after it, or over it. ``kind`` is the verdict the link
    itself names; links sent before they named one leave it to the words.

    >>> read_link_reply("I doubt it.\\nchallenge: \\nThe board meets Monday.", "challenge", None)
    (<VerdictKind.CHALLENGE: 'challenge'>, 'I doubt it.\\nThe board meets Monday.')
    >>> read_link_reply("Who reviews it?", "challenge", VerdictKind.CHALLENGE)
    (<VerdictKind.CHALLENGE: 'challenge'>, 'Who reviews it?')
    >>> read_link_reply("on track", "on track", VerdictKind.ON_TRACK)
    (<VerdictKind.ON_TRACK: 'on_track'>, '')
    """
    lines = text.splitlines()[:MAX_LINES]
    written: VerdictKind | None = None
    note_lines: list[str] = []
    for line in lines:
        found = read_verdict(line) if written is None else None
        if found is not None:
            # The prefilled words: they name the verdict and are not part of the note.
            written, rest = found
            if rest:
                note_lines.append(rest)
        else:
            note_lines.append(line)
    if kind is None:
        kind = written or _subject_verdict(subject)
    if kind is None:
        return None
    return kind, _note(note_lines)


def _subject_verdict(subject: str) -> VerdictKind | None:
    found = read_verdict(re.sub(r"^\s*(?:(?:re|aw|sv|fw|fwd)\s*:\s*)+", "", subject, flags=re.I))
    return found[0] if found else None


def read_digest_reply(text: str) -> DigestReply:
    """Lines such as ``2 on track`` and ``3 challenge: …``, a cadence word, a time zone.

    The lines after a numbered answer, up to the next one, are its note.

    >>> reply = read_digest_reply("2 on track\\n3 challenge: moved twice\\nand again\\nweekly")
    >>> [(v.number, v.kind.value, v.note) for v in reply.verdicts]
    [(2, 'on_track', ''), (3, 'challenge', 'moved twice\\nand again')]
    >>> reply.cadence
    <DigestCadence.WEEKLY: 'weekly'>
    >>> [(v.who, v.number) for v in read_digest_reply("Alice 15 challenge: why?").verdicts]
    [('Alice', 15)]
    >>> read_digest_reply("Great stuff!\\n2 on track").unread
    ['Great stuff!']
    """
    reply = DigestReply()
    current: ItemVerdict | None = None
    current_lines: list[str] = []
    answered: dict[tuple[str, int], ItemVerdict] = {}  # the last line about an item wins
    for line in text.splitlines()[:MAX_LINES]:
        item = _ITEM.match(line)
        found = read_verdict(item["rest"]) if item else None
        if item and found:
            _close(current, current_lines)
            who = item["who"] or ""
            current = ItemVerdict(int(item["number"]), found[0], "", who, line.strip())
            current_lines = [found[1]]
            answered[(who.lower(), current.number)] = current
            continue
        word = line.strip().strip(".!").lower()
        if word in _CADENCE:
            reply.cadence = _CADENCE[word]
        elif zone_line(line):
            reply.zone = zone_line(line)
        elif current is not None:
            current_lines.append(line)
        elif line.strip():
            reply.unread.append(line.strip())
    _close(current, current_lines)
    reply.verdicts = list(answered.values())
    return reply


def _close(verdict: ItemVerdict | None, lines: list[str]) -> None:
    if verdict is not None:
        verdict.note = _note(lines)


def _note(lines: list[str]) -> str:
    """The lines as a note: each trimmed, blank runs made one, none at either end."""
    kept: list[str] = []
    for line in lines:
        line = " ".join(line.split())
        if line or (kept and kept[-1]):
            kept.append(line)
    while kept and not kept[-1]:
        kept.pop()
    return "\n".join(kept)[:MAX_NOTE_CHARS]
