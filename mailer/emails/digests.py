"""The partner's digest (mailer/digests.py): each member's commitments and news."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from mailer.emails.base import Email


@dataclass(frozen=True)
class DigestItem:
    """An open commitment in a digest, with its two one-click answers.

    Not a CommitmentLine: a digest says when in words, relative to the day
    it is written ("was due Sat 28 Nov", "due tomorrow").
    """

    number: int
    text: str
    when: str
    recurrence: str | None
    news: list[str]  # since the last digest: "moved to 2026-12-11", "note: ..."
    last_verdict: str | None  # the partner's own: "challenge (2026-11-23)"
    new: bool
    token: str  # of both links: reply+TOKEN.o@ is On track, reply+TOKEN.c@ Challenge


@dataclass(frozen=True)
class DigestGroup:
    """Overdue, due soon, later, undated: a member's open commitments in groups."""

    title: str
    items: list[DigestItem]


@dataclass(frozen=True)
class Closed:
    """A commitment done or dropped since the last digest."""

    number: int
    text: str
    state: str


@dataclass(frozen=True)
class YourAnswer:
    """A verdict the partner gave since their last digest."""

    number: int
    challenge: bool
    note: str


@dataclass(frozen=True)
class MemberReply:
    """The member's answer to one of the partner's challenges."""

    number: int
    text: str
    answer: str


@dataclass(frozen=True)
class SharedNote:
    """A coaching note the member shared: the coach's own words."""

    read_elsewhere: ClassVar[Mapping[str, str]] = {
        "note_id": "flows/note_commands.py, to take the note out of a digest not yet sent",
    }
    note_id: int
    coach: str
    subject: str
    date: dt.date | None
    body: str


@dataclass(frozen=True)
class DigestMember:
    """One member's part of a digest."""

    name: str  # their name, else their address
    full_name: str  # for the subject, which shows no address
    first_name: str  # their first name, else their address
    away_until: str | None  # "away until ...": a day in words, and nothing else is listed
    quiet: bool  # nothing new and nothing near: one line instead of the list
    open_count: int
    groups: list[DigestGroup]
    closed: list[Closed]
    your_answers: list[YourAnswer]
    replies: list[MemberReply]
    notes: list[SharedNote]


@dataclass(frozen=True)
class Example:
    """The commitment a digest's "reply with lines like ..." names."""

    prefix: str  # with several members, the first name and a space
    number: int


@dataclass(frozen=True)
class Digest(Email):
    """One partner's digest for one period."""

    template = "digest"
    name: str
    members: list[DigestMember]
    cadence: str  # weekly or daily
    next: str  # when the next one comes, in words
    count: int  # commitments listed
    note_count: int
    example: Example | None
    nudge: bool  # quiet for three digests: a gentle word
