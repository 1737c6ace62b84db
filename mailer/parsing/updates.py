"""Member commands in a reply (SPEC §4.5, §4.6).

done 2, drop 3, 2: a note, move 2 to Friday; end partner ADDRESS; and about
coaching notes: share note 1, unshare note 1, delete note 1, notes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from mailer.timezones import ZONE_COMMAND

MAX_COMMANDS = 50


class Action(StrEnum):
    DONE = "done"
    DROP = "drop"
    NOTE = "note"
    MOVE = "move"
    END_PARTNER = "end partner"  # text: the partner's address; number unused
    SHARE_NOTE = "share note"  # number: the member's note number
    UNSHARE_NOTE = "unshare note"
    DELETE_NOTE = "delete note"
    TIME_ZONE = "time zone"  # text: the zone as written; number unused
    LIST_NOTES = "notes"  # number unused
    FORGET_ME = "forget me"  # everything about the sender deleted (SPEC §4.9)
    MY_DATA = "my data"  # everything about the sender, mailed to them as JSON
    AWAY = "away"  # text: until when, as written; number unused
    BACK = "back"  # the member is back before the day they gave


@dataclass(frozen=True)
class Command:
    action: Action
    number: int
    text: str = ""  # the note, or the new due-date phrase


_NUMBER = r"#?(?P<number>\d{1,6})"
_PATTERNS = [
    (Action.DONE, re.compile(rf"^(?:done|finished|completed?)\s+{_NUMBER}\b\W*$", re.I)),
    (Action.DONE, re.compile(rf"^{_NUMBER}\s+(?:is\s+)?(?:done|finished|completed)\b\W*$", re.I)),
    (Action.DROP, re.compile(rf"^(?:drop|dropped|cancel|abandon)\s+{_NUMBER}\b\W*$", re.I)),
    (Action.MOVE, re.compile(rf"^(?:move|postpone|push)\s+{_NUMBER}\s+to\s+(?P<text>\S.*)$", re.I)),
    (Action.NOTE, re.compile(rf"^{_NUMBER}\s*[:\-\u2013]\s*(?P<text>\S.*)$", re.I)),
    (
        Action.END_PARTNER,
        re.compile(
            r"^(?:end|stop|remove)\s+partner(?:ship)?\s+(?:with\s+)?<?(?P<text>[^\s<>@]+@[^\s<>@]+)>?\W*$",
            re.I,
        ),
    ),
    (Action.SHARE_NOTE, re.compile(rf"^share\s+(?:coaching\s+)?note\s+{_NUMBER}\b\W*$", re.I)),
    (
        Action.UNSHARE_NOTE,
        re.compile(rf"^(?:un-?share|stop\s+sharing)\s+note\s+{_NUMBER}\b\W*$", re.I),
    ),
    (Action.UNSHARE_NOTE, re.compile(rf"^(?:keep|make)\s+note\s+{_NUMBER}\s+private\b\W*$", re.I)),
    (
        Action.DELETE_NOTE,
        re.compile(rf"^(?:delete|forget|remove)\s+(?:coaching\s+)?note\s+{_NUMBER}\b\W*$", re.I),
    ),
    (Action.TIME_ZONE, re.compile(rf"^{ZONE_COMMAND}\W*$", re.I)),
    (
        Action.AWAY,
        re.compile(
            r"^(?:i(?:'|\u2019)?m\s+|i\s+am\s+)?(?:away|pause|paused|off|on\s+(?:holiday|vacation|leave))"
            r"\s+(?:until|till|til|through|to)\s+(?P<text>\S.{0,60}?)\W*$",
            re.I,
        ),
    ),
    (Action.BACK, re.compile(r"^(?:i(?:'|\u2019)?m\s+|i\s+am\s+)?back(?:\s+early)?\W*$", re.I)),
    (Action.LIST_NOTES, re.compile(r"^(?:list\s+)?(?:my\s+)?(?:coaching\s+)?notes\W*$", re.I)),
]
_BULLET = re.compile(r"^\s*(?:[-*•]\s+)?")
# About the sender's own data: written alone on a line, the first of the reply.
_OWN_DATA = [
    (
        Action.FORGET_ME,
        re.compile(
            r"^(?:please\s+)?(?:forget\s+me|delete\s+(?:me|my\s+(?:data|account)))\W*$", re.I
        ),
    ),
    (
        Action.MY_DATA,
        re.compile(r"^(?:please\s+)?(?:(?:send|export)\s+)?(?:me\s+)?my\s+data\W*$", re.I),
    ),
]


def read_own_data_request(text: str, subject: str = "") -> Action | None:
    """``forget me`` or ``my data`` as the first line of the text (or, text empty, the subject).

    >>> read_own_data_request("Forget me.\\n\\nThanks"), read_own_data_request("", "Re: my data")
    (<Action.FORGET_ME: 'forget me'>, <Action.MY_DATA: 'my data'>)
    >>> read_own_data_request("Please don't forget me") is None
    True
    """
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    first = (
        lines[0] if lines else re.sub(r"^(?:(?:re|aw|sv|fw|fwd)\s*:\s*)+", "", subject, flags=re.I)
    )
    first = _BULLET.sub("", first).strip()
    for action, pattern in _OWN_DATA:
        if pattern.match(first):
            return action
    return None


def read_commands(text: str) -> list[Command]:
    """The commands, one per line, in order; other lines are ignored.

    >>> read_commands("Hi!\\ndone 2\\n- 3: draft sent to legal\\nmove #4 to Friday")
    ... # doctest: +NORMALIZE_WHITESPACE
    [Command(action=<Action.DONE: 'done'>, number=2, text=''),
     Command(action=<Action.NOTE: 'note'>, number=3, text='draft sent to legal'),
     Command(action=<Action.MOVE: 'move'>, number=4, text='Friday')]
    >>> commands = read_commands("share note 2\\nkeep note 1 private\\nnotes")
    >>> [(c.action.value, c.number) for c in commands]
    [('share note', 2), ('unshare note', 1), ('notes', 0)]
    """
    commands: list[Command] = []
    for raw_line in text.splitlines():
        line = _BULLET.sub("", raw_line).strip()
        for action, pattern in _PATTERNS:
            match = pattern.match(line)
            if match:
                found = match.groupdict().get("text") or ""
                number = int(match["number"]) if match.groupdict().get("number") else 0
                commands.append(Command(action, number, found.strip()[:2000]))
                break
        if len(commands) >= MAX_COMMANDS:
            break
    return commands
