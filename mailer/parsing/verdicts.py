"""Reading a partner's verdicts: "on track" or "challenge", by click or typed (SPEC §4.3, §4.4)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from mailer.models import DigestCadence, VerdictKind

MAX_LINES = 200

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
_ITEM = re.compile(r"^\s*(?:[-*•]\s*)?#?(?P<item>\d{1,4})[.):]?\s+(?P<rest>\S.*)$")
_CADENCE = {
    "daily": DigestCadence.DAILY,
    "weekly": DigestCadence.WEEKLY,
    "pause": DigestCadence.PAUSED,
    "stop": DigestCadence.STOPPED,
    "unsubscribe": DigestCadence.STOPPED,
}


@dataclass(frozen=True)
class ItemVerdict:
    item: int  # the number the digest gave the commitment
    kind: VerdictKind
    note: str


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
    return kind, " ".join(match["note"].split())[:4000]


def read_digest_reply(text: str) -> tuple[list[ItemVerdict], DigestCadence | None]:
    """Lines such as ``2 on track`` and ``3 challenge: …``, and a cadence word if any.

    >>> verdicts, cadence = read_digest_reply("2 on track\\n3 challenge: moved twice\\nweekly")
    >>> [(v.item, v.kind.value, v.note) for v in verdicts], cadence
    ([(2, 'on_track', ''), (3, 'challenge', 'moved twice')], <DigestCadence.WEEKLY: 'weekly'>)
    >>> [v.kind.value for v in read_digest_reply("2 on track\\n2 challenge: hmm")[0]]
    ['challenge']
    """
    verdicts: dict[int, ItemVerdict] = {}  # the last line about an item wins
    cadence: DigestCadence | None = None
    for line in text.splitlines()[:MAX_LINES]:
        item = _ITEM.match(line)
        if item:
            found = read_verdict(item["rest"])
            if found:
                verdicts[int(item["item"])] = ItemVerdict(int(item["item"]), *found)
            continue
        word = line.strip().strip(".!").lower()
        if word in _CADENCE:
            cadence = _CADENCE[word]
    return list(verdicts.values()), cadence
