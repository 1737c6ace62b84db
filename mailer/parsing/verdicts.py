"""A partner's verdict words, "on track" or "challenge", and a link reply's note (SPEC §4.4).

Typed answers to a digest (``15 challenge: …``) are rows of the command
table, mailer/parsing/commands.py, built from the words here.
"""

from __future__ import annotations

import re

from mailer.models import VerdictKind
from mailer.parsing.asides import Aside, aside

MAX_LINES = 200
MAX_NOTE_CHARS = 4000

ON_TRACK_WORDS = (
    r"on[\s-]?track|ontrack|all good|looks good|good|fine|ok|okay|\U0001f44d|"
    r"auf kurs|en bonne voie|in linea|en camino|op schema|på rätt spår"
)
CHALLENGE_WORDS = r"challenge[sd]?|challenging|concern(?:ed)?|worried|not on track|off track"
_VERDICT = re.compile(
    rf"^[\s\-*•>\"'“]*(?:(?P<on_track>{ON_TRACK_WORDS})|(?P<challenge>{CHALLENGE_WORDS}))(?![\w-])\s*[:\-\u2013,.!]*\s*"
    r"(?P<note>.*)$",
    re.IGNORECASE | re.DOTALL,
)


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
    return kind, note_of([match["note"]])


SIGNATURE_LINES = 8  # a signature block: the writer's name and at most this many lines under it
_SIGNATURE_LINE_CHARS = 80
_NAME_ENDS = (",", " |", " -", " \u2013", " (", " /")


def without_sign_off(text: str, names: frozenset[str]) -> str:
    """The text without the writer's signature: from a line with their name down (title,
    company, phone), and the "Thanks," or "Best," left above it.

    ``names`` are the writer's names in lower case ("bob", "bob stone", "b").

    >>> names = frozenset({"bob", "bob stone", "b"})
    >>> signed = "Not started yet.\\n\\nThanks,\\nBob Stone\\nHead of Sales\\n+1 555 0100"
    >>> without_sign_off(signed, names)
    'Not started yet.'
    >>> without_sign_off("Late again.\\n- B.", names), without_sign_off("Bob will review it", names)
    ('Late again.', 'Bob will review it')
    """
    lines = text.rstrip().splitlines()
    for at in range(len(lines) - 1, max(-1, len(lines) - 1 - SIGNATURE_LINES), -1):
        below = lines[at + 1 :]
        if _names_the_writer(lines[at], names) and all(
            len(line) <= _SIGNATURE_LINE_CHARS for line in below
        ):
            lines = lines[:at]
            break
    while lines and (not lines[-1].strip() or aside(lines[-1]) in _CLOSINGS):
        lines.pop()
    return "\n".join(lines).rstrip()


_CLOSINGS = frozenset({Aside.SIGN_OFF, Aside.PLEASANTRY})


def _names_the_writer(line: str, names: frozenset[str]) -> bool:
    """A line that is the writer's name, alone or before a title ("Bob Stone | Acme")."""
    said = line.strip(" \t-\u2013\u2014~.,!|").casefold()
    if said in names:
        return True
    return any(said.startswith(name + end) for name in names if len(name) > 1 for end in _NAME_ENDS)


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
    return kind, note_of(note_lines)


def _subject_verdict(subject: str) -> VerdictKind | None:
    found = read_verdict(re.sub(r"^\s*(?:(?:re|aw|sv|fw|fwd)\s*:\s*)+", "", subject, flags=re.I))
    return found[0] if found else None


def note_of(lines: list[str]) -> str:
    """The lines as a note: each trimmed, blank runs made one, none at either end."""
    kept: list[str] = []
    for line in lines:
        line = " ".join(line.split())
        if line or (kept and kept[-1]):
            kept.append(line)
    while kept and not kept[-1]:
        kept.pop()
    return "\n".join(kept)[:MAX_NOTE_CHARS]
