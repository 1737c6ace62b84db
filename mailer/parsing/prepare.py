"""Everything read from one message before its flow runs, by one pure function.

The parse step (mailer/reading.py) runs ``prepare`` in a process it can
stop; the flows take what it read from ``FlowContext.reading`` and parse
nothing costly themselves. What it reads depends on the address the message
came to: forwards, action items, partners and commitments with their due
dates for commit@ and notes@; the sender's own words (and a ``forget me``)
for every message.

Due dates need the member's time zone, which only the database knows: they
are read in the zone the message's Date header shows, which is the member's
unless they named another; a flow that finds another zone asks the parse
step again with it (``ParseJob.zone``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, tzinfo

from mailer.parsing.autoreplies import vacation_subject
from mailer.parsing.bounces import Report, read_report, report_alone
from mailer.parsing.caps import raw_over_cap, text_over_cap
from mailer.parsing.commands import Action, Audience, read, read_own_data_request
from mailer.parsing.commitments import CommitmentDraft, extract_commitments
from mailer.parsing.duedates import read_due
from mailer.parsing.forwards import FORWARD_SUBJECT, ActionItem, Forward, action_items, read_forward
from mailer.parsing.mime import ParsedMessage, read_headers, read_message
from mailer.parsing.newtext import new_text
from mailer.parsing.partners import Nominee, nominees
from mailer.timezones import offset_name, zone_from_name

# A Date header further ahead than this is a wrong clock, not a plan.
MAX_CLOCK_SKEW = timedelta(days=1)
# Words a forwarded block starts with in the corpus languages: only a hint
# for running the forward parser at all, which then decides.
_FORWARD_HINTS = (
    "forward", "original message", "weitergeleitet", "transféré", "reenviado",
    "encaminhad", "inoltrat", "doorgestuurd", "videresendt", "vidarebefordrat",
    "przekazan", "пересылаем", "转发",
)  # fmt: skip
# Route kinds (mailer/addresses.py RouteKind values) whose flows read
# forwards, and whose flows read commands with days in them.
COMMIT, NOTES, REPLY, BOUNCE = "commit", "notes", "reply", "bounce"
# Commands whose text is a day ("move 3 to Friday", "away until Dec 20"),
# in the replies of a member (to any of our emails, or to a note's).
_DATED = (Action.MOVE, Action.AWAY)
_MEMBER_AUDIENCES = (Audience.MEMBER, Audience.NOTE)


@dataclass(frozen=True)
class ParseJob:
    """What the parse step needs to read one stored message: plain values, sent to a process."""

    raw: bytes
    domain: str
    envelope_sender: str
    route: str | None  # the RouteKind value of the address it came to; None: none of ours
    now: datetime
    zone: str | None = None  # read due dates in this zone; None: the Date header's
    headers_only: bool = False  # only enough to answer the sender (RFC 3834 checks included)


@dataclass(frozen=True)
class Prepared:
    """One message as the flows use it: parsed, and its costly readings done."""

    message: ParsedMessage
    text: str = ""  # the sender's own words (new_text): no quote, no signature
    own_data: Action | None = None  # "forget me" or "my data", as the first line
    over_cap: str | None = None  # what was too much to read, in words; then nothing else is read
    zone: str = ""  # the zone the due dates below were read in
    forward: Forward | None = None  # commit@ and notes@: the email forwarded
    actions: tuple[ActionItem, ...] = ()  # the forward's action items
    nominated: tuple[Nominee, ...] = ()  # commit@ without a forward: partners named
    drafts: tuple[CommitmentDraft, ...] = ()  # and the commitments published
    # reply+: the day each "move"/"away" command names, by the command's text.
    days: dict[str, date | None] = field(default_factory=dict)
    # bounce+: the delivery report (or auto-reply) read from the raw bytes.
    report: Report | None = None
    # bounce+: the bytes to keep of it once read (report_alone): our returned email left out.
    report_kept: bytes | None = None


def prepare(job: ParseJob) -> Prepared:
    """Read ``job``'s message as its flow will need it; never raises for a message's content."""
    over_cap = raw_over_cap(job.raw)
    if over_cap is not None or job.headers_only:
        headers = read_headers(job.raw, own_domain=job.domain, envelope_sender=job.envelope_sender)
        return Prepared(headers, over_cap=over_cap)
    if job.route == BOUNCE:
        # Untrusted input like any other: read here, within the parse step's
        # time bound, and under the same caps. Its flow needs no body text.
        headers = read_headers(job.raw, own_domain=job.domain, envelope_sender=job.envelope_sender)
        return Prepared(headers, report=read_report(job.raw), report_kept=report_alone(job.raw))
    message = read_message(job.raw, own_domain=job.domain, envelope_sender=job.envelope_sender)
    over_cap = text_over_cap(message)
    if over_cap is not None:
        bare = replace(message, text="", html=None, attached_messages=())
        return Prepared(bare, over_cap=over_cap)
    if (
        job.route == REPLY
        and message.auto_reply_reason is None
        and vacation_subject(message.subject)
    ):
        # A vacation notice that carries none of RFC 3834's marks, sent to the
        # Reply-To of our email: its subject alone says what it is. Only on
        # reply+, where a person's mail answers ours ("Re: ..."); a member may
        # well title a message to commit@ "Out of office: what I will finish".
        message = replace(message, auto_reply_reason="auto-reply subject")
    text = new_text(message.text)
    found = Prepared(message, text=text, own_data=read_own_data_request(text, message.subject))
    if job.route not in (COMMIT, NOTES, REPLY):
        return found
    written = sent_at(message.date, job.now)
    zone_name = job.zone if job.zone is not None else offset_name(written)
    zone = zone_from_name(zone_name)
    if job.route == REPLY:
        return replace(found, zone=zone_name, days=days_named(text, written, zone))
    forward = read_forward(message) if job.route == NOTES or may_be_forward(message) else None
    if forward is not None:
        actions = note_actions(forward, written, zone)
        return replace(found, zone=zone_name, forward=forward, actions=tuple(actions))
    if job.route == NOTES:
        return replace(found, zone=zone_name)
    member = message.from_address or job.envelope_sender.strip().strip("<>").lower()
    nominated, drafts = read_publication(
        message, text, member=member, own_domain=job.domain, sent_at=written, zone=zone
    )
    return replace(found, zone=zone_name, nominated=tuple(nominated), drafts=tuple(drafts))


def sent_at(date: datetime | None, now: datetime) -> datetime:
    """When the member wrote: the Date header, unless missing or from a wrong clock."""
    if date is None or date - now > MAX_CLOCK_SKEW:
        return now
    return date


def may_be_forward(message: ParsedMessage) -> bool:
    """Whether a message to commit@ may forward an email (the forward parser then decides)."""
    if message.attached_messages or FORWARD_SUBJECT.match(message.subject):
        return True
    text = message.text[:20000].lower()
    return any(hint in text for hint in _FORWARD_HINTS)


def days_named(text: str, sent: datetime, zone: tzinfo) -> dict[str, date | None]:
    """The day each ``move``/``away`` command of a member's reply names, by its text."""
    phrases = {
        command.text
        for audience in _MEMBER_AUDIENCES
        for command in read(text, audience).of(*_DATED)
    }
    return {phrase: read_due(f"by {phrase}", sent, zone).due for phrase in sorted(phrases)}


def note_actions(forward: Forward, sent: datetime, zone: tzinfo) -> list[ActionItem]:
    """The action items of a forwarded note, the member's own lines above it first.

    Due dates are read from the day the coach wrote (else the forward's).
    """
    proposed_from = f"{forward.note}\n\n{forward.body}" if forward.note else forward.body
    return action_items(proposed_from, forward.date or sent, zone)


def read_publication(
    message: ParsedMessage,
    own_text: str,
    *,
    member: str,
    own_domain: str,
    sent_at: datetime,
    zone: tzinfo,
) -> tuple[list[Nominee], list[CommitmentDraft]]:
    """The partners a message to commit@ nominates and the commitments it publishes.

    ``own_text`` is the sender's own words in it (new_text of its text).
    """
    nominated, text = nominees(
        list(zip(message.cc_names, message.cc, strict=True)),
        own_text,
        member=member,
        own_domain=own_domain,
    )
    drafts = extract_commitments(
        text,
        message.subject,
        sent_at,
        zone,
        signer=message.from_name or member,
        # "Pat, I'm counting on you" speaks to a partner when Pat is one of them.
        addressees=[nominee.name or nominee.address for nominee in nominated],
    )
    return nominated, drafts
