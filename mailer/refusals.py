"""Every way pactmail declines, in one table: the SMTP reply, or the email and its words.

Two kinds. At the SMTP server, before anything is stored, a refusal is a
reply: its code says whether the sender should try again (4xx: our fault or
a limit, never 5xx for our own faults) and its words say why (SmtpReply).
Once a message is stored, a refusal is an exception a flow raises: its
class makes the email that explains it to the sender (``answer``), and its
reason, one of the sentences of Why, says what was not understood.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from mailer import emails


class SmtpReply(StrEnum):
    """What the SMTP server answers when it does not take a command (RFC 5321, RFC 3463)."""

    NOT_LOCAL = "550 5.7.1 Relaying denied: this server only accepts mail for its own domain"
    NO_SUCH_USER = "550 5.1.1 No such address here; write to help@{domain} for how to use pactmail"
    INVALID_REPLY_ADDRESS = (
        "550 5.7.1 This reply address is not valid (was it copied by hand?); "
        "reply to the original email or write to help@{domain}"
    )
    SENDER_TOO_LONG = "553 5.1.7 Sender address too long"
    TOO_MANY_RECIPIENTS = "452 4.5.3 Too many recipients"
    TOO_MANY_CONNECTIONS = "421 4.3.2 Too many connections; please try again later"
    CLIENT_RATE_LIMITED = "451 4.7.1 Too many messages from this client; please try again later"
    # Our own faults: temporary, so that the sending server tries again (SPEC §5).
    STORE_FAILED = "451 4.3.0 Temporary failure storing the message; please try again later"
    LOCAL_ERROR = "451 4.3.0 Temporary local problem; please try again later"


class RecipientRefused(Exception):
    """A recipient refused at RCPT, with the SMTP reply that says why."""

    def __init__(self, reply: SmtpReply, **values: str) -> None:
        self.reply = reply.format(**values) if values else str(reply)
        super().__init__(self.reply)


class Why(StrEnum):
    """Each reason a stored message is not acted on, as the sender reads it."""

    # Each reads after "We could not act on your message because ...".
    NO_COMMITMENTS = "we found no commitments in it. Write one per line or bullet"
    NO_FORWARD = (
        "we found no forwarded email in it. Forward your coach's email to this address, "
        "as an attachment or inline"
    )
    NO_COMMAND = "we found no command we know in it"
    NO_VERDICT = "it said neither \u201con track\u201d nor \u201cchallenge\u201d"
    NO_DIGEST_ANSWER = (
        'we found no answer we know in it. Write lines such as "15 on track" or '
        '"15 challenge: what worries you", or "daily", "weekly", "pause" or "stop"'
    )
    NO_INVITATION_ANSWER = "we could not read your answer. Start your reply with one of {answers}"
    NO_ADD = (
        "it did not say which action items to add. Reply \u201cadd all\u201d, or "
        "\u201cadd\u201d with the numbers to publish"
    )
    NO_CONFIRM = (
        "it did not say \u201cconfirm\u201d. Reply \u201cconfirm\u201d to apply that message, "
        "or ignore our email"
    )
    EMPTY_CHALLENGE_ANSWER = "it had no words of its own to pass on"
    THREAD_CLOSED = "{other} and you are no longer partners"
    UNKNOWN_OWNER = "that reply address belongs to no one we know"
    NO_SUCH_DIGEST = "that digest no longer exists"
    NO_SUCH_COMMITMENT = "that commitment no longer exists"
    NO_SUCH_CHALLENGE = "that challenge no longer exists"
    NO_SUCH_INVITATION = "that invitation no longer exists"
    NO_SUCH_NOTE = "that coaching note is no longer kept"
    NO_COACH_ADDRESS = "that note names no coach address we could invite"
    NOT_PARTNER_ANY_MORE = "you are no longer {member}'s partner"
    INVITATION_CLOSED = (
        "that invitation is no longer open{expired}; {member} can invite you again by "
        "writing to {commit_address} with you in Cc"
    )
    CONFIRMATION_FOR_ANOTHER = "that confirmation was meant for another address"
    HELD_GONE = "that message is no longer kept"
    HELD_DELETED = "that message is no longer kept (we delete mail {days} days after reading it)"
    HELD_NOT_OURS = "that message was not to one of our addresses"
    TOKEN_EXPIRED = "the reply address of that email has expired"  # noqa: S105 (words)
    UNPROVEN = "we could not tell that the message came from you"
    NOT_THE_OWNER = (
        "that reply address belongs to someone else, so we have asked them to confirm "
        "your reply; nothing changes until they do"
    )
    SENDER_OVER_LIMIT = "we act on at most {rate} from one address"
    # {what}: "it has more than 10,000 lines" (mailer/parsing/caps.py).
    TOO_MUCH = "{what}: more than we read in one message. Send what matters in a shorter one"
    # Why someone a member named was not invited (listed in their confirmation).
    CANNOT_INVITE = "we cannot invite them through pactmail now"
    DECLINED_RECENTLY = "they declined your invitation less than {days} days ago"
    DAILY_INVITATIONS = "you have sent {count} invitations today, the most a day"
    SUSPENDED = "their address has stopped accepting mail: our last emails to it came back"


class Refused(Exception):
    """Processing stopped on purpose; the sender gets ``answer()``, saying ``reason``."""

    def __init__(self, why: Why, *, quoted: Sequence[str] = (), **values: str) -> None:
        self.reason = why.format(**values) if values else str(why)
        super().__init__(self.reason)
        self.why = why
        # The lines of the message that were not understood, to quote back.
        self.quoted = [" ".join(line.split())[:200] for line in quoted if line.strip()][:5]

    def answer(self, subject: str) -> emails.Email:
        """The email that tells the sender, answering the message with this ``subject``."""
        return emails.NotUnderstood(reason=self.reason, quoted=self.quoted, subject=subject)


class NotUnderstood(Refused):
    """A message we could not act on: the sender is told why, with the lines not understood."""


class TokenExpired(Refused):
    def __init__(self) -> None:
        super().__init__(Why.TOKEN_EXPIRED)

    def answer(self, subject: str) -> emails.Email:
        return emails.TokenExpired(subject=subject)


class Unproven(Refused):
    """The sender is not proven to be who the From: line says (SPEC §7).

    Nothing happens yet: the address gets one "Was this you?" email listing
    what the message ``would`` do (flows/confirm.py, which quotes the
    message), and a confirmation applies it once.
    """

    def __init__(self, would: list[str]) -> None:
        super().__init__(Why.UNPROVEN)
        self.would = would


class NotTheOwner(Refused):
    """A reply address used from another address: its owner is asked to confirm."""

    def __init__(self, owner: str) -> None:
        super().__init__(Why.NOT_THE_OWNER)
        self.owner = owner

    def answer(self, subject: str) -> emails.Email:
        return emails.OwnerAsked(subject=subject)


class SenderOverLimit(Refused):
    """More messages from one address than the service acts on (SPEC §7).

    The message is kept and not acted on; the address is told at most once a
    day. ``rate`` says the limit in words ("20 messages an hour").
    """

    def __init__(self, rate: str) -> None:
        super().__init__(Why.SENDER_OVER_LIMIT, rate=rate)
        self.rate = rate

    def answer(self, subject: str) -> emails.Email:
        return emails.RateLimited(reason=self.reason, subject=subject)
