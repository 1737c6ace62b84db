"""What kind of mail each template is: an answer, a notice, or regular mail one can stop.

One table, read by the code that writes the headers (render.py), by the
code that mints an email's unsubscribe address (mailer/stops.py) and by
the header lint (tests/unit/test_mail_headers.py), so the three cannot
disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class Stop(StrEnum):
    """A kind of regular mail a person can stop by its List-Unsubscribe; the value is stored."""

    DIGEST = "digest"  # a partner's digests (Person.digest_cadence "stopped")
    SUMMARY = "summary"  # a member's weekly summaries
    # News to a member that nobody's answer caused: a partner quiet for three
    # digests, an invitation reminded or run out unanswered; and the summary's
    # nudge to find a partner (SPEC §4.7), which is a paragraph, not an email.
    NUDGE = "nudge"
    REMINDER = "reminder"  # an invited person's reminders of an unanswered invitation
    INVITATION = "invitation"  # invitations from anyone (NeverInvite, as the "never" answer)


# Each kind's number in an unsubscribe token's ids: never renumbered or reused,
# tokens already in mailboxes carry them.
STOP_CODES: Mapping[Stop, int] = {
    Stop.DIGEST: 1,
    Stop.SUMMARY: 2,
    Stop.NUDGE: 3,
    Stop.REMINDER: 4,
    Stop.INVITATION: 5,
}
STOPS_BY_CODE: Mapping[int, Stop] = {code: stop for stop, code in STOP_CODES.items()}
# What a kind's List-Unsubscribe stops, in the words of the sentence every
# such email ends with (templates/base.*): "To get no more ..., write to ...".
STOP_WORDS: Mapping[Stop, str] = {
    Stop.DIGEST: "digests",
    Stop.SUMMARY: "weekly summaries",
    Stop.NUDGE: "news of quiet partners and unanswered invitations",
    Stop.REMINDER: "reminders of invitations",
    Stop.INVITATION: "invitations from anyone",
}


class Class(StrEnum):
    """Why an email is sent, which decides the headers a mailbox provider reads."""

    # An answer to the recipient's own mail (a confirmation, a receipt, help):
    # nothing to unsubscribe from, it comes only when they write.
    ANSWER = "answer"
    # Once, because of what someone else did: a challenge relayed, a partner
    # gone. Part of an accountability the recipient chose, not a subscription.
    NOTICE = "notice"
    REGULAR = "regular"  # comes by itself until stopped: List-Unsubscribe


@dataclass(frozen=True)
class MailKind:
    """How one email goes out."""

    why: Class
    stop: Stop | None = None  # what its List-Unsubscribe stops (regular mail only)
    bulk: bool = False  # Precedence: bulk: the scheduled mail sent to everyone at once

    def __post_init__(self) -> None:
        if (self.why is Class.REGULAR) != (self.stop is not None):
            raise ValueError("regular mail, and only regular mail, can be stopped")


ANSWER = MailKind(Class.ANSWER)
NOTICE = MailKind(Class.NOTICE)

MAIL_KINDS: Mapping[str, MailKind] = {
    "digest": MailKind(Class.REGULAR, Stop.DIGEST, bulk=True),
    "summary": MailKind(Class.REGULAR, Stop.SUMMARY, bulk=True),
    "invitation": MailKind(Class.REGULAR, Stop.INVITATION),
    "partner_news": NOTICE,  # an answer to the member's invitation: see VARIANTS
    "challenge": NOTICE,
    "challenge_answer": NOTICE,
    "challenge_reply": NOTICE,
    "partnership_ended": NOTICE,
    "partner_left": NOTICE,
    "partner_unreachable": NOTICE,  # the partner's address stopped taking mail: once a suspension
    "confirm_reply": NOTICE,  # the owner asked about mail sent in their name
    "confirmation": ANSWER,
    "updates_confirmed": ANSWER,
    "notes_list": ANSWER,
    "note_kept": ANSWER,
    "coach_invited": ANSWER,
    "partner_welcome": ANSWER,
    "verdict_thanks": ANSWER,
    "not_understood": ANSWER,
    "token_expired": ANSWER,
    "rate_limited": ANSWER,
    "was_this_you": ANSWER,
    "owner_asked": ANSWER,
    "help": ANSWER,
    "processing_failed": ANSWER,
    "forgotten": ANSWER,
    "my_data": ANSWER,
    "unsubscribed": ANSWER,
}

# One template, two kinds: (template, context key, value) -> the kind of
# those rows. A reminder is stopped apart from invitations themselves; news
# the schedule sends (no one answered) apart from news of an answer.
VARIANTS: Mapping[tuple[str, str, object], MailKind] = {
    ("invitation", "reminder", True): MailKind(Class.REGULAR, Stop.REMINDER),
    ("partner_news", "state", "reminded"): MailKind(Class.REGULAR, Stop.NUDGE),
    ("partner_news", "state", "expired"): MailKind(Class.REGULAR, Stop.NUDGE),
    ("partner_news", "state", "silent"): MailKind(Class.REGULAR, Stop.NUDGE),
}


def mail_kind(template: str, context: Mapping[str, object]) -> MailKind:
    """The kind of an email with this template and stored context.

    >>> mail_kind("invitation", {"reminder": True}).stop
    <Stop.REMINDER: 'reminder'>
    >>> mail_kind("partner_news", {"state": "active"}).why
    <Class.NOTICE: 'notice'>
    """
    for (name, key, value), kind in VARIANTS.items():
        if name == template and context.get(key) == value:
            return kind
    return MAIL_KINDS[template]
