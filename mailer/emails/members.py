"""Emails to a member about their own commitments and coaching notes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from mailer.emails.base import CommitmentLine, Email


@dataclass(frozen=True)
class HeldBack:
    """Someone the member named who was not invited, and why."""

    who: str
    why: str


@dataclass(frozen=True)
class Confirmation(Email):
    """Commitments published: from commit@ (flows/commit.py), or a note's actions (notes.py)."""

    template = "confirmation"
    name: str  # the member's first name, or ""
    subject: str
    commitments: list[CommitmentLine]
    partners: list[str]  # invited now
    not_invited: list[HeldBack]
    partnered: bool  # has an active partner already: no nudge to find one


@dataclass(frozen=True)
class UpdatesConfirmed(Email):
    """What each command in a member's reply did (flows/updates.py, flows/threads.py)."""

    template = "updates_confirmed"
    subject: str
    results: list[str]
    unread: list[str]  # lines not understood, quoted back


@dataclass(frozen=True)
class NoteLine:
    """One of a member's coaching notes, as the notes list shows it."""

    number: int
    coach: str
    subject: str
    date: dt.date
    shared: bool


@dataclass(frozen=True)
class NotesList(Email):
    """The member's last notes, with what their other commands did (flows/updates.py)."""

    template = "notes_list"
    subject: str
    results: list[str]
    notes: list[NoteLine]
    unread: list[str]  # lines not understood, quoted back


@dataclass(frozen=True)
class NoteKept(Email):
    """A forwarded coaching note kept, its action items proposed (flows/notes.py)."""

    template = "note_kept"
    subject: str
    number: int
    coach: str
    original_subject: str
    date: dt.date | None  # the coach's email's
    actions: list[CommitmentLine]  # numbered 1, 2, ... for "add 1 3"
    coach_invitable: bool


@dataclass(frozen=True)
class CoachInvited(Email):
    """The answer to "invite coach" (flows/notes.py)."""

    template = "coach_invited"
    subject: str
    coach: str
    invited: bool
    why_not: str | None  # held back; None and not invited: a partner or invited already


@dataclass(frozen=True)
class Heard:
    """A partner's verdict in the week a summary sums up."""

    number: int
    partner: str
    on_track: bool
    note: str


@dataclass(frozen=True)
class Missed:
    """An occurrence of a recurring commitment that went by undone."""

    number: int
    text: str
    day: str  # in words: "Mon 23 Nov"


@dataclass(frozen=True)
class Waiting:
    """A challenge still waiting for the member's answer, and the address that answers it."""

    number: int
    partner: str
    note: str
    date: dt.date
    answer_address: str


@dataclass(frozen=True)
class Summary(Email):
    """The member's week (mailer/summaries.py)."""

    template = "summary"
    name: str
    commitments: list[CommitmentLine]
    heard: list[Heard]
    missed: list[Missed]
    waiting: list[Waiting]
    # Has an active partner, or stopped nudges: no nudge to find one.
    partnered: bool
