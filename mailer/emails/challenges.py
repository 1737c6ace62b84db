"""Verdicts and the talk a challenge opens (flows/verdicts.py, flows/threads.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from mailer.emails.base import Email


@dataclass(frozen=True)
class Challenge(Email):
    """A partner's challenge, brought to the member at once."""

    template = "challenge"
    name: str
    partner: str  # the partner's first name, or "Your partner"
    partner_name: str  # the same, for the subject
    number: int
    text: str
    due: dt.date | None
    note: str


@dataclass(frozen=True)
class ChallengeAnswer(Email):
    """The member's answer to a challenge, relayed to the partner."""

    template = "challenge_answer"
    name: str
    member_name: str
    number: int
    text: str
    challenge: str  # what the partner wrote
    answer: str
    subject: str


@dataclass(frozen=True)
class ChallengeReply(Email):
    """The partner writing on about their challenge, relayed to the member."""

    template = "challenge_reply"
    name: str
    partner_name: str
    number: int
    text: str
    message: str
    subject: str


@dataclass(frozen=True)
class Receipt:
    """A verdict recorded, as the partner's receipt names it."""

    number: int
    text: str
    member: str
    challenge: bool


@dataclass(frozen=True)
class VerdictThanks(Email):
    """The partner's receipt: verdicts recorded, lines not understood, cadence or zone changed."""

    template = "verdict_thanks"
    subject: str
    answers: list[Receipt]
    unread: list[str]
    cadence: str | None  # changed to: weekly, daily, paused or stopped
    zone: str | None  # what naming a time zone did, in a sentence
