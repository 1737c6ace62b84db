"""The service's own answers: refusals, "was this you?", help, a person's own data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from mailer.emails.base import Email


@dataclass(frozen=True)
class NotUnderstood(Email):
    """A message not acted on (mailer/refusals.py, Refused), and why."""

    template = "not_understood"
    reason: str
    quoted: list[str]  # the lines not understood
    subject: str


@dataclass(frozen=True)
class TokenExpired(Email):
    """A reply to an address whose token has expired."""

    template = "token_expired"
    subject: str


@dataclass(frozen=True)
class RateLimited(Email):
    """Messages from one address faster than the service acts on them; once a day."""

    template = "rate_limited"
    reason: str
    subject: str


@dataclass(frozen=True)
class WasThisYou(Email):
    """An unproven sender asked to confirm their message (flows/confirm.py)."""

    template = "was_this_you"
    address: str
    to: str  # the address of ours it was sent to
    subject: str  # inert: nothing in it a mail client would make a link of
    excerpt: str  # inert too
    would: list[str]  # what confirming does
    days: int  # how long the confirmation stays open


@dataclass(frozen=True)
class ConfirmReply(Email):
    """An owner asked whether a reply from another address was theirs (flows/confirm.py)."""

    template = "confirm_reply"
    sender: str
    excerpt: str
    days: int


@dataclass(frozen=True)
class OwnerAsked(Email):
    """To whoever used another's reply address: its owner has been asked."""

    template = "owner_asked"
    subject: str


@dataclass(frozen=True)
class Help(Email):
    """How the service works (flows/help.py)."""

    template = "help"


@dataclass(frozen=True)
class ProcessingFailed(Email):
    """A fault of ours while processing a message, or a message set aside (mailer/failures.py)."""

    template = "processing_failed"


@dataclass(frozen=True)
class Forgotten(Email):
    """What "forget me" deleted (flows/own_data.py)."""

    template = "forgotten"
    deleted: dict[str, int]  # what, in words, and how many


@dataclass(frozen=True)
class Attachment:
    """A file attached to an email (render.py attaches it)."""

    filename: str
    json: str


@dataclass(frozen=True)
class MyData(Email):
    """Everything kept about the sender, as a JSON file (flows/own_data.py)."""

    template = "my_data"
    read_elsewhere: ClassVar[Mapping[str, str]] = {
        "attachment": "render.py, which attaches the file",
    }
    known: bool
    attachment: Attachment


@dataclass(frozen=True)
class Unsubscribed(Email):
    """One kind of regular mail stopped by its List-Unsubscribe (flows/unsubscribe.py)."""

    template = "unsubscribed"
    stopped: str  # the kind: a mailer/emails/kinds.py Stop value
