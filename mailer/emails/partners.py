"""Emails about partnerships: the invitation, its answer, its end."""

from __future__ import annotations

from dataclasses import dataclass

from mailer.emails.base import CommitmentLine, Email


@dataclass(frozen=True)
class Invitation(Email):
    """A partner invited, or reminded (flows/invitations.py, mailer/unanswered.py)."""

    template = "invitation"
    member: str  # "Name <address>"
    member_name: str
    member_display: str  # in the subject: a name, never an address
    partner_name: str  # the partner's first name, or ""
    same_organisation: bool
    organisation: str
    # What the message that invited them published, and no more (SPEC §7);
    # a reminder reads them back from this row (CommitmentLine.from_context).
    commitments: list[CommitmentLine]
    reminder: bool


@dataclass(frozen=True)
class PartnerNews(Email):
    """To the member: what became of an invitation, or a partner gone quiet."""

    template = "partner_news"
    partner: str  # "Name <address>"
    state: str  # active, unsuitable, declined, reminded, expired or silent
    answer: str  # the partner's word: peer, manager, ... ("" for news of no answer)
    subject: str


@dataclass(frozen=True)
class PartnerWelcome(Email):
    """To the partner, answering their answer to an invitation (flows/invitations.py)."""

    template = "partner_welcome"
    member_name: str
    state: str  # active, unsuitable or declined
    answer: str
    subject: str


@dataclass(frozen=True)
class PartnershipEnded(Email):
    """To a partner: the member ended the partnership, or asked to be forgotten."""

    template = "partnership_ended"
    member_name: str


@dataclass(frozen=True)
class PartnerLeft(Email):
    """To a member: their partner asked to be forgotten (flows/own_data.py)."""

    template = "partner_left"
    partner: str


@dataclass(frozen=True)
class PartnerUnreachable(Email):
    """To a member: their partner's address refuses mail, so digests to it are paused."""

    template = "partner_unreachable"
    partner_name: str  # their first name, or "Your partner"
    partner_address: str
    # What the last failure's status code means, in our words ("the mailbox is
    # full"); "" when it had none. Never the remote server's own words: those
    # are anyone's to write, and the member would read them in our voice.
    reason: str
