"""Every command a reply can carry, in one table: it reads them and writes the help (SPEC §4.5).

Three kinds of reply carry commands, each with its own rows: a member's reply
to one of their emails (``done 2``, ``move 2 to Friday``, ``away until …``),
a partner's reply to a digest (``15 challenge: …``, ``weekly``), and a
member's reply to a coaching note's confirmation (``add 1 3``, ``share``,
and every member command). A line is read against its audience's rows, the
first that matches wins; a line no row matches is reported, to be quoted
back. The flows dispatch each action to its handler (mailer/flows/updates.py,
verdicts.py, notes.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from mailer.parsing.asides import Aside, aside
from mailer.parsing.verdicts import CHALLENGE_WORDS, ON_TRACK_WORDS, note_of
from mailer.timezones import ZONE_COMMAND

MAX_LINES = 200
MAX_COMMANDS = 50
MAX_TEXT = 2000


class Audience(StrEnum):
    MEMBER = "member"  # replying to one of their own emails
    PARTNER = "partner"  # replying to a digest
    NOTE = "note"  # a member replying to a coaching note's confirmation


class Action(StrEnum):
    DONE = "done"
    DROP = "drop"
    NOTE = "note"  # text: the note
    MOVE = "move"  # text: the new due-date phrase
    END_PARTNER = "end partner"  # text: the partner's address
    SHARE_NOTE = "share note"  # number: the member's note number
    UNSHARE_NOTE = "unshare note"
    DELETE_NOTE = "delete note"
    LIST_NOTES = "notes"
    TIME_ZONE = "time zone"  # text: the zone as written
    AWAY = "away"  # text: until when, as written
    BACK = "back"  # back before the day given
    REENABLE = "re-enable"  # mail to partners whose address was suspended is tried again
    FORGET_ME = "forget me"  # everything about the sender deleted (SPEC §4.9)
    MY_DATA = "my data"  # everything about the sender, mailed to them as JSON
    ON_TRACK = "on track"  # number (and who): the member's commitment; text: the note
    CHALLENGE = "challenge"
    CADENCE = "cadence"  # text: daily, weekly, pause or stop
    ADD = "add"  # text: "all", or the action item numbers
    INVITE_COACH = "invite coach"
    SHARE_THIS = "share this note"
    UNSHARE_THIS = "unshare this note"
    DELETE_THIS = "delete this note"


@dataclass(frozen=True)
class Command:
    action: Action
    number: int = 0
    text: str = ""
    who: str = ""  # in a partner's answer, the first name written before the number
    line: str = ""  # as written, to quote it back when it leads nowhere


@dataclass(frozen=True)
class Row:
    """One way of writing one command, for the audiences that may write it."""

    action: Action
    audiences: frozenset[Audience]
    pattern: re.Pattern[str]
    example: str = ""  # as the help shows it; "" for another way of writing a row shown
    meaning: str = ""
    # The lines after it, up to the next command, are part of its text (a
    # challenge's note may run over several lines).
    continues: bool = False


@dataclass
class Reading:
    commands: list[Command] = field(default_factory=list)
    unread: list[str] = field(default_factory=list)  # lines no row matched, as written

    def of(self, *actions: Action) -> list[Command]:
        return [command for command in self.commands if command.action in actions]


_MEMBER = frozenset({Audience.MEMBER, Audience.NOTE})
_PARTNER = frozenset({Audience.PARTNER})
_NOTE = frozenset({Audience.NOTE})
_EVERYONE = frozenset(Audience)
_N = r"#?(?P<number>\d{1,6})"
_END = r"\W*$"
_IM = r"(?:i(?:'|\u2019)?m\s+|i\s+am\s+)?"
# A partner's answer: "15 on track", "#15: challenge …", "Alice 15 challenge: …".
# After the verdict word: punctuation, then the note.
_NOTE_AFTER = r"(?![\w-])\s*[:\-\u2013,.!]*\s*(?P<text>.*)$"
_ITEM = r"(?:(?P<who>[^\W\d_][\w.-]{0,39}?)(?:['\u2019]s)?\s+)?#?(?P<number>\d{1,6})[.):]?\s+"


def _row(
    action: Action,
    audiences: frozenset[Audience],
    pattern: str,
    example: str = "",
    meaning: str = "",
    *,
    continues: bool = False,
) -> Row:
    return Row(action, audiences, re.compile(pattern, re.IGNORECASE), example, meaning, continues)


# The table. Help lists the rows with an example, in this order.
ROWS: tuple[Row, ...] = (
    _row(Action.DONE, _MEMBER, rf"^(?:done|finished|completed?)\s+{_N}\b{_END}",
         "done 2", "#2 is done"),
    _row(Action.DONE, _MEMBER,
         rf"^{_N}\s*(?:[:\-\u2013]\s*|\s+(?:is\s+)?)(?:done|finished|completed)\b{_END}"),
    _row(Action.DROP, _MEMBER, rf"^(?:drop|dropped|cancel|abandon)\s+{_N}\b{_END}",
         "drop 3", "you let #3 go"),
    _row(Action.MOVE, _MEMBER, rf"^(?:move|postpone|push)\s+{_N}\s+to\s+(?P<text>\S.*)$",
         "move 2 to Friday", "#2 is due on another day"),
    _row(Action.NOTE, _MEMBER, rf"^{_N}\s*[:\-\u2013]\s*(?P<text>\S.*)$",
         "2: a note", "news on #2 for your partners"),
    _row(Action.END_PARTNER, _MEMBER,
         r"^(?:end|stop|remove)\s+partner(?:ship)?\s+(?:with\s+)?"
         r"<?(?P<text>[^\s<>@]+@[^\s<>@]+)>?\W*$",
         "end partner pat@example.com", "Pat no longer partners you"),
    _row(Action.SHARE_NOTE, _MEMBER, rf"^share\s+(?:coaching\s+)?note\s+{_N}\b{_END}",
         "share note 1", "your partners see coaching note 1 in their next digest"),
    _row(Action.UNSHARE_NOTE, _MEMBER, rf"^(?:un-?share|stop\s+sharing)\s+note\s+{_N}\b{_END}",
         "unshare note 1", "it is yours alone again"),
    _row(Action.UNSHARE_NOTE, _MEMBER, rf"^(?:keep|make)\s+note\s+{_N}\s+private\b{_END}"),
    _row(Action.DELETE_NOTE, _MEMBER,
         rf"^(?:delete|forget|remove)\s+(?:coaching\s+)?note\s+{_N}\b{_END}",
         "delete note 1", "we keep it no longer"),
    _row(Action.LIST_NOTES, _MEMBER, r"^(?:list\s+)?(?:my\s+)?(?:coaching\s+)?notes\W*$",
         "notes", "a list of your coaching notes"),
    _row(Action.AWAY, _MEMBER,
         rf"^{_IM}(?:away|pause|paused|on\s+(?:holiday|vacation|leave))"
         r"\s+(?:until|till|til|through)\s+(?P<text>\S.{0,60}?)\W*$",
         "away until Dec 20", "partners see that you are away instead of your list"),
    _row(Action.BACK, _MEMBER, rf"^{_IM}back(?:\s+early)?{_END}",
         "back", "you are back before the day you gave"),
    _row(Action.REENABLE, _MEMBER, r"^re-?\s?enable(?:\s+(?:my\s+)?partners?)?\W*$",
         "re-enable", "we try a partner's address that stopped accepting mail again"),
    _row(Action.ON_TRACK, _PARTNER, rf"^{_ITEM}(?:{ON_TRACK_WORDS}){_NOTE_AFTER}",
         "15 on track", "#15 is on track", continues=True),
    _row(Action.CHALLENGE, _PARTNER, rf"^{_ITEM}(?:{CHALLENGE_WORDS}){_NOTE_AFTER}",
         "15 challenge: what worries you", "a challenge on #15, at once to them",
         continues=True),
    _row(Action.CADENCE, _PARTNER, r"^(?P<text>daily|weekly)[.!]*$",
         "weekly", "how often digests come (or daily)"),
    _row(Action.CADENCE, _PARTNER, r"^(?P<text>pause|stop|unsubscribe)[.!]*$",
         "pause", "no digests until you write weekly (stop: none at all)"),
    _row(Action.TIME_ZONE, _EVERYONE, rf"^{ZONE_COMMAND}{_END}",
         "time zone Europe/Berlin", "dates and emails follow your clock"),
    _row(Action.ADD, _NOTE, r"^add\s+(?P<text>all|(?:#?\d{1,3}[\s,]*(?:and\s+)?)+)\s*$",
         "add 1 3", "action items 1 and 3 become commitments (add all: every one)"),
    _row(Action.INVITE_COACH, _NOTE, r"^invite(?:\s+(?:my\s+)?coach)?[.!]*$",
         "invite coach", "your coach is asked to partner you"),
    _row(Action.SHARE_THIS, _NOTE, r"^share(?:\s+(?:it|this\s+note|note))?[.!]*$",
         "share", "your partners see this note"),
    _row(Action.UNSHARE_THIS, _NOTE,
         r"^(?:unshare(?:\s+(?:it|this\s+note))?|keep\s+it\s+private)[.!]*$"),
    _row(Action.DELETE_THIS, _NOTE, r"^delete(?:\s+(?:it|this\s+note|note))?[.!]*$",
         "delete", "we keep this note no longer"),
)  # fmt: skip

_BULLET = re.compile(r"^\s*(?:[-*•]\s+)?")
_NUMBERED = re.compile(r"^#?\d{1,6}(?:[.):]|\s)")
# About the sender's own data: alone on the first line of a reply, to any email.
_OWN_DATA = (
    (Action.FORGET_ME,
     re.compile(r"^(?:please\s+)?(?:forget\s+me|delete\s+(?:me|my\s+(?:data|account)))\W*$", re.I)),
    (Action.MY_DATA,
     re.compile(r"^(?:please\s+)?(?:(?:send|export)\s+)?(?:me\s+)?my\s+data\W*$", re.I)),
)  # fmt: skip


def read(text: str, audience: Audience) -> Reading:
    """The commands of ``audience`` in the text, one a line, and the lines that were none.

    >>> text = "Hi!\\ndone 2\\n- 3: draft sent to legal\\nmove #4 to Friday"
    >>> reading = read(text, Audience.MEMBER)
    >>> [(c.action.value, c.number, c.text) for c in reading.commands], reading.unread
    ([('done', 2, ''), ('note', 3, 'draft sent to legal'), ('move', 4, 'Friday')], ['Hi!'])
    >>> reading = read("3 challenge: late\\nand again\\nAlice 4 on track", Audience.PARTNER)
    >>> [(c.who, c.number, c.action.value, c.text) for c in reading.commands]
    [('', 3, 'challenge', 'late\\nand again'), ('Alice', 4, 'on track', '')]
    """
    reading = Reading()
    running: tuple[Command, list[str]] | None = None  # a command whose text goes on
    rows = [row for row in ROWS if audience in row.audiences]
    for raw in text.splitlines()[:MAX_LINES]:
        line = _BULLET.sub("", raw).strip()
        found = _match(rows, line, raw.strip()) if len(reading.commands) < MAX_COMMANDS else None
        if found is None:
            # A numbered line that is no command is not part of the note above
            # it ("3 not ok" after "2 on track"): it is quoted back.
            if running is not None and not _NUMBERED.match(line):
                running[1].append(raw)
            elif line:
                _close(reading, running)
                running = None
                reading.unread.append(raw.strip())
            continue
        command, row = found
        _close(reading, running)
        running = None
        if row.continues:
            running = (command, [command.text])
        else:
            reading.commands.append(command)
    _close(reading, running)
    return reading


def _match(rows: list[Row], line: str, written: str) -> tuple[Command, Row] | None:
    for row in rows:
        match = row.pattern.match(line)
        if match is None:
            continue
        groups = match.groupdict()
        number = int(groups["number"]) if groups.get("number") else 0
        text = (groups.get("text") or "").strip()[:MAX_TEXT]
        return Command(row.action, number, text, groups.get("who") or "", written), row
    return None


def _close(reading: Reading, running: tuple[Command, list[str]] | None) -> None:
    if running is not None:
        command, lines = running
        note = note_of(lines)
        reading.commands.append(
            Command(command.action, command.number, note, command.who, command.line)
        )


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


def said_in_passing(line: str, names: frozenset[str] = frozenset()) -> bool:
    """A greeting, thanks, sign-off or the writer's name: not worth quoting back as not understood.

    >>> said_in_passing("Thanks!"), said_in_passing("Best,"), said_in_passing("Anna", {"anna"})
    (True, True, True)
    >>> said_in_passing("finish 2")
    False
    """
    if line.strip(" \t-\u2013\u2014~.,!").casefold() in names:
        return True
    return aside(line) in _PASSING


_PASSING = frozenset({Aside.GREETING, Aside.PLEASANTRY, Aside.SIGN_OFF})


def help_rows(audience: Audience) -> list[tuple[str, str]]:
    """(example, what it does) for each command of the audience, as the help lists them."""
    return [(row.example, row.meaning) for row in ROWS if audience in row.audiences and row.example]
