"""One realistic email of each kind, built from its mailer/emails dataclass as the flows build it.

Each sample is filled with what real people send: accented names, long
commitments, words and addresses too long for a phone's width, several
members and commitments where the email lists them. ``variants`` are the
template's other branches. Being instances of the same dataclasses the
flows build, they cannot drift from the flows: a field renamed or added
there fails to type-check here.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime

from mailer import emails
from mailer.addresses import UNSUBSCRIBE_PREFIX
from mailer.digests import _GROUPS as DIGEST_GROUPS  # the digest's sections, in order
from mailer.emails.kinds import STOP_CODES, mail_kind
from mailer.names import first_name
from mailer.refusals import Why
from mailer.render import Rendered, render_parts
from mailer.tokens import Purpose, make_token

DOMAIN = "pactmail.example.com"
KEY = b"sample-secret-key-0123456789"  # signs the tokens of the samples
_KEY = KEY
_NOW = datetime(2026, 11, 30, 8, tzinfo=UTC)
_TODAY = _NOW.date()
_WRITTEN = date(2026, 11, 27)  # when the commitments were published


def token(purpose: Purpose, *ids: int, to: str) -> str:
    """A real token, as long as the ones people get."""
    return make_token(_KEY, purpose, ids, to=to, now=_NOW)


def reply_address(purpose: Purpose, *ids: int, to: str) -> str:
    return f"reply+{token(purpose, *ids, to=to)}@{DOMAIN}"


def stored(email: emails.Email) -> dict[str, object]:
    """The email's context as its row gives it back from the database: JSON."""
    context: dict[str, object] = json.loads(json.dumps(email.context()))
    return context


def as_queued(email: emails.Email) -> dict[str, object]:
    """The context of the email's row: with its unsubscribe address when it is regular mail.

    The address as mailer/stops.py makes it, for the kind the one table says.
    """
    context = stored(email)
    stop = mail_kind(email.template, context).stop
    if stop is not None:
        unsubscribe = token(Purpose.UNSUBSCRIBE, UNSUBSCRIBED_ID, STOP_CODES[stop], to=ZOE[1])
        context["unsubscribe"] = f"{UNSUBSCRIBE_PREFIX}+{unsubscribe}@{DOMAIN}"
    return context


UNSUBSCRIBED_ID = 7  # the person an unsubscribe address in a sample is for


@dataclass(frozen=True)
class Sample:
    """An email as its flow queues it, with its reply token and the template's other branches."""

    email: emails.Email
    flow: str  # where the email is built
    reply_token: str | None = None
    variants: dict[str, emails.Email] = field(default_factory=dict)

    @property
    def template(self) -> str:
        return self.email.template

    def emails(self) -> list[tuple[str, emails.Email]]:
        """(name, email) of the main case ("") and of each variant."""
        return [("", self.email), *self.variants.items()]

    def contexts(self) -> list[tuple[str, dict[str, object]]]:
        """(name, context as its row stores it) of the main case and of each variant."""
        return [(name, as_queued(email)) for name, email in self.emails()]

    def render(self, context: dict[str, object] | None = None) -> Rendered:
        """The email's words for ``context`` (the main one by default), as sent."""
        token = self.reply_token
        return render_parts(
            self.template,
            as_queued(self.email) if context is None else context,
            domain=DOMAIN,
            reply_address=f"reply+{token}@{DOMAIN}" if token else f"help@{DOMAIN}",
            today=_TODAY,
        )


# People: names with accents, hyphens and apostrophes; one without a name.
ZOE = ("Zoë Müller-Łukasiewicz", "zoe.mueller-lukasiewicz@beispiel-gesellschaft.example")
ANA = ("Ana María Núñez-Villalobos", "ana.maria.nunez@consultoria-iberica.example")
SIOBHAN = ("Siobhán Ó Briain-D'Arcy", "siobhan.obriain@coaching.example")
FRANCOIS = ("François-Xavier Lefèvre", "fx.lefevre@exemple.example")
NAMELESS = "k.tanaka@very-long-subdomain.research-institute.example"


def named(person: tuple[str, str]) -> str:
    return f"{person[0]} <{person[1]}>"  # as mailer.flows.invitations.named


LONG_URL = (
    "https://intranet.beispiel-gesellschaft.example/projects/2027/planning/"
    "quarterly-review-documents/final-version-approved-by-finance.pdf?download=1&ref=pactmail"
)
LONG_WORD = "Donaudampfschifffahrtsgesellschaftskapitänsmützenbestellungsformular"
_TEXTS = {
    12: "Finish the quarterly planning document for the Zürich office, with the hiring plan, "
    "the budget review with finance and the risks we discussed on Tuesday",
    13: f"Send the final review to legal: {LONG_URL}",
    14: "Call my mentor about the Lisbon offer",
    15: f"File the {LONG_WORD} before the deadline",
}


def _lines(today: date) -> list[emails.CommitmentLine]:
    """Zoë's four commitments as emails list them on ``today``."""
    return [
        emails.commitment_line(12, _TEXTS[12], date(2026, 12, 4), None, today=today),
        emails.commitment_line(13, _TEXTS[13], None, None, today=today),
        emails.commitment_line(14, _TEXTS[14], date(2026, 12, 7), "every Monday", today=today),
        emails.commitment_line(15, _TEXTS[15], date(2026, 11, 28), None, today=today),
    ]


COMMITMENTS = _lines(_WRITTEN)  # as published: none passed yet


def _item(line: emails.CommitmentLine, when: str) -> emails.DigestItem:
    """A commitment as mailer.digests._Draft._item lists it, links signed for François."""
    commitment_id = 100 + line.number
    return emails.DigestItem(
        number=line.number,
        text=line.text,
        when=when,
        recurrence=line.recurrence,
        news=[],
        last_verdict=None,
        new=False,
        token=token(Purpose.VERDICT, 7, commitment_id, to=FRANCOIS[1]),
    )


def _member(
    person: tuple[str, str], grouped: list[tuple[str, emails.DigestItem]]
) -> emails.DigestMember:
    """One member's part of a digest, as mailer.digests._Draft._member makes it."""
    return emails.DigestMember(
        name=person[0] or person[1],
        full_name=person[0],
        first_name=first_name(person[0]) or person[1],
        away_until=None,
        quiet=False,
        open_count=len(grouped),
        groups=[
            emails.DigestGroup(title, [item for group, item in grouped if group == key])
            for key, title in DIGEST_GROUPS
            if any(group == key for group, _ in grouped)
        ],
        closed=[],
        your_answers=[],
        replies=[],
        notes=[],
    )


_SHARED_NOTE = emails.SharedNote(  # as mailer.digests._shared_note
    note_id=31,
    coach=SIOBHAN[0],
    subject="Après notre séance: what to try before the offsite",
    date=date(2026, 11, 26),
    body="Zoë, two things from today.\n\nFirst, say no to one meeting a day this week and "
    f"write down what you did with the hour.\n\nSecond, read {LONG_URL} before Friday.",
)
_ZOE_ITEMS = [
    (
        "overdue",
        replace(_item(COMMITMENTS[3], "was due Sat 28 Nov"), news=["moved to Sat 28 Nov"]),
    ),
    (
        "soon",
        replace(_item(COMMITMENTS[0], "due Fri 4 Dec"), news=["note: first draft is with Jürgen"]),
    ),
    (
        "undated",
        replace(_item(COMMITMENTS[1], "no due date"), last_verdict="challenge, Mon 23 Nov"),
    ),
]
_ZOE_WITH_NEWS = replace(
    _member(ZOE, _ZOE_ITEMS),
    closed=[
        emails.Closed(11, "Book the venue for the Zürich offsite", "done"),
        emails.Closed(9, f"Translate the {LONG_WORD}", "dropped"),
    ],
    your_answers=[
        emails.YourAnswer(
            13, True, "Is this really the final version? Legal saw another one last week."
        ),
        emails.YourAnswer(12, False, ""),
    ],
    replies=[
        emails.MemberReply(
            13,
            _TEXTS[13],
            f"You were right: legal had an older draft.\n\nThe final one is {LONG_URL}",
        )
    ],
    notes=[_SHARED_NOTE],
)
_DIGEST_MEMBERS = [
    _ZOE_WITH_NEWS,
    _member(("", NAMELESS), [("later", replace(_item(COMMITMENTS[2], "due Mon 7 Dec"), new=True))]),
]
_AWAY = replace(_member(FRANCOIS, []), away_until="Sun 20 Dec")
_QUIET = replace(_member(ZOE, []), quiet=True, open_count=3)

_NOTES = [  # as mailer.flows.note_commands.recent_notes
    emails.NoteLine(
        3,
        SIOBHAN[0],
        "Après notre séance: what to try before the offsite",
        date(2026, 11, 26),
        True,
    ),
    emails.NoteLine(2, NAMELESS, "", date(2026, 11, 12), False),
    emails.NoteLine(1, SIOBHAN[0], f"Re: {LONG_WORD}", date(2026, 10, 30), False),
]

_QUOTED = (  # what a member writes, inert as mailer.flows.confirm._excerpt makes it
    "done 12\nmove 14 to Friday\n14: spoke to Siobhán, she thinks the Lisbon offer is worth"
    " a second look before I say no\nsee https[:]//intranet[.]beispiel-gesellschaft[.]example/"
    "projects/2027/planning/quarterly-review-documents/final[.]pdf"
)

_CONFIRMATION = emails.Confirmation(
    name=first_name(ZOE[0]),
    subject="My commitments for the week before the Zürich offsite",
    commitments=COMMITMENTS,
    partners=[named(ANA), named(FRANCOIS)],
    not_invited=[
        emails.HeldBack(NAMELESS, Why.DECLINED_RECENTLY.format(days=90)),
        emails.HeldBack(SIOBHAN[1], str(Why.CANNOT_INVITE)),
    ],
    partnered=True,
)
_INVITATION = emails.Invitation(
    member=named(ZOE),
    member_name=ZOE[0],
    member_display=ZOE[0],  # display_name: the name, else the mailbox's
    partner_name=first_name(ANA[0]),
    same_organisation=True,
    organisation=ZOE[1].rpartition("@")[2],
    commitments=COMMITMENTS,
    reminder=False,
)
_NEWS = emails.PartnerNews(
    partner=named(ANA),
    state="active",
    answer="outside",
    subject=f"{ANA[0]} answered your invitation",
)
_WELCOME = emails.PartnerWelcome(
    member_name=ZOE[0],
    state="active",
    answer="peer",
    subject="Re: Zoë Müller-Łukasiewicz asks you to be their accountability partner",
)
_DIGEST = emails.Digest(
    name=first_name(FRANCOIS[0]),
    members=_DIGEST_MEMBERS,
    cadence="weekly",
    next="Mon 7 Dec",
    count=4,
    note_count=1,
    example=emails.Example("Zoë ", 15),
    nudge=False,
)
_SUMMARY = emails.Summary(
    name=first_name(ZOE[0]),
    commitments=_lines(_TODAY),
    missed=[emails.Missed(14, "Weekly 1:1 prep for the Zürich team", "Mon 23 Nov")],
    heard=[
        emails.Heard(12, ANA[0], True, ""),
        emails.Heard(
            13,
            FRANCOIS[0],
            False,
            f"Is {LONG_URL} really the final version? Legal saw another one last week.",
        ),
    ],
    waiting=[
        emails.Waiting(
            13,
            FRANCOIS[0],
            "Legal saw another version last week.",
            date(2026, 11, 24),
            reply_address(Purpose.CHALLENGE, 61, to=ZOE[1]),
        ),
        emails.Waiting(
            15, "a partner", "", date(2026, 11, 25), reply_address(Purpose.CHALLENGE, 62, to=ZOE[1])
        ),
    ],
    partnered=True,
)
_CHALLENGE = emails.Challenge(
    name=first_name(ZOE[0]),
    partner=first_name(ANA[0]),
    partner_name=first_name(ANA[0]),
    number=12,
    text=_TEXTS[12],
    due=date(2026, 12, 4),
    note="The deadline has moved twice already, and the budget review with finance "
    f"has not been booked. What is different this time? {LONG_URL}",
)
_CHALLENGE_ANSWER = emails.ChallengeAnswer(
    name=first_name(ANA[0]),
    member_name=first_name(ZOE[0]),
    number=12,
    text=_TEXTS[12],
    challenge="The deadline has moved twice already. What is different this time?",
    answer="You are right, and thank you for asking.\n\nFinance has now booked the "
    "budget review for Thursday, and the hiring plan is done. The one risk left is "
    f"the Lisbon offer; I will decide by Friday.\n\nDraft: {LONG_URL}",
    subject=f"Re: your challenge on #12: {_TEXTS[12][:60]}",
)
_CHALLENGE_REPLY = emails.ChallengeReply(
    name=first_name(ZOE[0]),
    partner_name=first_name(ANA[0]),
    number=12,
    text=_TEXTS[12],
    message="Thank you, that helps. One more thing: who signs off the hiring plan?"
    f"\n\nThe template is at {LONG_URL}",
    subject=f"Re: Ana challenges you on #12: {_TEXTS[12]}",
)
_THANKS = emails.VerdictThanks(
    subject="Re: 2 people: 4 commitments to look at",
    answers=[
        emails.Receipt(12, _TEXTS[12], first_name(ZOE[0]), True),
        emails.Receipt(14, _TEXTS[14], NAMELESS, False),
    ],
    unread=["Zoë 15 challenege: typo in the verdict", f"see {LONG_URL}"],
    cadence="daily",
    zone="Your time zone is now America/Argentina/ComodRivadavia: due dates, digests "
    "and summaries follow it.",
)
_NOTE_KEPT = emails.NoteKept(
    subject="Fwd: Après notre séance: what to try before the offsite",
    number=3,
    coach=SIOBHAN[0],
    original_subject="Après notre séance: what to try before the offsite",
    date=date(2026, 11, 26),
    actions=[
        emails.commitment_line(
            1,
            "Say no to one meeting a day this week and write down what I did with the hour",
            date(2026, 12, 4),
            None,
            today=_TODAY,
        ),
        # The coach wrote last week: the date has passed, a new one is offered.
        emails.commitment_line(
            2,
            "Send the offsite agenda to the team by Friday",
            date(2026, 11, 27),
            None,
            today=_TODAY,
        ),
        emails.commitment_line(3, f"Read {LONG_URL}", None, None, today=_TODAY),
    ],
    coach_invitable=True,
)
_COACH_INVITED = emails.CoachInvited(
    subject="Re: Your note 3 is kept", coach=SIOBHAN[0], invited=True, why_not=None
)
_NOTES_LIST = emails.NotesList(
    subject="Re: Your commitments are published",
    results=[
        f"Note 3 ({SIOBHAN[0]}: \u201cAprès notre séance: what to try before the "
        "offsite\u201d) is shared: each of your partners sees it in their next "
        "digest, once."
    ],
    notes=_NOTES,
    unread=[],
)
_WAS_THIS_YOU = emails.WasThisYou(
    address=ZOE[1],
    to=f"commit@{DOMAIN}",
    subject="My commitments for the week before the Zürich offsite",
    excerpt=_QUOTED,
    would=[
        f"publish \u201c{_TEXTS[12]}\u201d (due Fri 4 Dec)",
        "invite an***@consultoria-iberica.example to be your partner",
    ],
    days=3,
)
_CONFIRM_REPLY = emails.ConfirmReply(
    sender="zoe.privat.mailbox.with.a.long.name@freemail-provider.example",
    excerpt=_QUOTED,
    days=3,
)
_NOT_UNDERSTOOD = emails.NotUnderstood(
    reason=Why.INVITATION_CLOSED.format(
        expired=" (it expired unanswered)", member=ZOE[1], commit_address=f"commit@{DOMAIN}"
    ),
    quoted=[
        "peer, of course! Zoë and I have worked together at the Zürich office",
        f"see {LONG_URL}",
    ],
    subject="Re: Zoë Müller-Łukasiewicz asks you to be their accountability partner",
)
_RATE_LIMITED = emails.RateLimited(
    reason=Why.SENDER_OVER_LIMIT.format(rate="20 messages an hour"), subject="done 12"
)
_TOKEN_EXPIRED = emails.TokenExpired(subject="Re: Zoë Müller-Łukasiewicz: 4 commitments to look at")

_ALL = [
    Sample(
        _CONFIRMATION,
        "mailer/flows/commit.py publish_commitments (and notes.py add_actions)",
        reply_token=token(Purpose.MEMBER, 5, to=ZOE[1]),
        variants={
            "no_partner": replace(
                _CONFIRMATION, partners=[], not_invited=[], partnered=False, name=""
            ),
            "none_found": replace(_CONFIRMATION, commitments=[], subject=""),
            "one": replace(_CONFIRMATION, commitments=COMMITMENTS[:1]),
            # A coach's "by Friday" from last week: the date has passed, a new one offered.
            "passed": replace(
                _CONFIRMATION,
                commitments=[
                    emails.commitment_line(12, _TEXTS[12], date(2026, 11, 27), None, today=_TODAY)
                ],
            ),
        },
    ),
    Sample(
        _INVITATION,
        "mailer/flows/invitations.py invitation (unanswered.py for the reminder)",
        reply_token=token(Purpose.INVITE, 41, to=ANA[1]),
        variants={
            "reminder": replace(
                _INVITATION, reminder=True, same_organisation=False, partner_name=""
            ),
            "no_commitments": replace(_INVITATION, commitments=[]),
        },
    ),
    Sample(
        _NEWS,
        "mailer/flows/invitations.py answer_invitation (digests.py, unanswered.py)",
        reply_token=token(Purpose.MEMBER, 5, to=ZOE[1]),
        variants={
            "peer": replace(_NEWS, answer="peer"),
            "coach": replace(_NEWS, answer="coach"),
            "manager": replace(_NEWS, state="unsuitable", answer="manager"),
            "report": replace(_NEWS, state="unsuitable", answer="report"),
            "competitor": replace(_NEWS, state="unsuitable", answer="competitor"),
            "declined": replace(_NEWS, state="declined", answer="decline"),
            "reminded": replace(
                _NEWS, state="reminded", answer="", subject=f"A reminder went to {named(ANA)}"
            ),
            "expired": replace(
                _NEWS,
                state="expired",
                answer="",
                subject=f"Your invitation to {named(ANA)} has expired",
            ),
            "silent": replace(
                _NEWS, state="silent", answer="", subject=f"{named(ANA)} has been quiet"
            ),
        },
    ),
    Sample(
        _WELCOME,
        "mailer/flows/invitations.py answer_invitation",
        variants={
            "manager": replace(_WELCOME, state="unsuitable", answer="manager"),
            "report": replace(_WELCOME, state="unsuitable", answer="report"),
            "competitor": replace(_WELCOME, state="unsuitable", answer="competitor"),
            "declined": replace(_WELCOME, state="declined", answer="decline"),
        },
    ),
    Sample(
        _DIGEST,
        "mailer/digests.py _Draft.email",
        reply_token=token(Purpose.DIGEST, 88, to=FRANCOIS[1]),
        variants={
            "daily_nudge": replace(_DIGEST, cadence="daily", nudge=True, name=""),
            "one_member": replace(
                _DIGEST,
                members=[_member(ZOE, _ZOE_ITEMS)],
                count=3,
                note_count=0,
                example=emails.Example("", 15),
            ),
            "away_and_quiet": replace(
                _DIGEST, members=[_AWAY, _QUIET], count=0, note_count=0, example=None
            ),
            "notes_only": replace(
                _DIGEST,
                members=[replace(_member(ZOE, []), notes=[_SHARED_NOTE] * 2)],
                count=0,
                note_count=2,
                example=None,
            ),
        },
    ),
    Sample(
        _SUMMARY,
        "mailer/summaries.py _send_batch",
        reply_token=token(Purpose.MEMBER, 5, to=ZOE[1]),
        variants={
            "alone": replace(_SUMMARY, heard=[], waiting=[], partnered=False, name=""),
            "one": replace(_SUMMARY, commitments=_lines(_TODAY)[:1]),
        },
    ),
    Sample(
        _CHALLENGE,
        "mailer/flows/verdicts.py _record",
        reply_token=token(Purpose.CHALLENGE, 61, to=ZOE[1]),
        variants={
            "no_note": replace(_CHALLENGE, note="", due=None, partner="Your partner", name=""),
        },
    ),
    Sample(
        _CHALLENGE_ANSWER,
        "mailer/flows/threads.py member_writes",
        reply_token=token(Purpose.THREAD, 61, to=ANA[1]),
        variants={"no_note": replace(_CHALLENGE_ANSWER, challenge="", name="")},
    ),
    Sample(
        _CHALLENGE_REPLY,
        "mailer/flows/threads.py partner_writes",
        reply_token=token(Purpose.CHALLENGE, 61, to=ZOE[1]),
        variants={"unnamed": replace(_CHALLENGE_REPLY, name="", partner_name="Your partner")},
    ),
    Sample(
        _THANKS,
        "mailer/flows/verdicts.py answer_verdict_link, answer_digest (receipts from _record)",
        reply_token=token(Purpose.DIGEST, 88, to=FRANCOIS[1]),
        variants={
            "click": replace(_THANKS, cadence=None, zone=None, unread=[]),
            "unread_only": replace(_THANKS, answers=[], cadence=None, zone=None),
            "stopped": replace(_THANKS, answers=[], unread=[], cadence="stopped", zone=None),
            "paused": replace(_THANKS, answers=[], unread=[], cadence="paused", zone=None),
        },
    ),
    Sample(
        _NOTE_KEPT,
        "mailer/flows/notes.py _keep",
        reply_token=token(Purpose.NOTE, 31, to=ZOE[1]),
        variants={
            "nothing": replace(
                _NOTE_KEPT, actions=[], coach_invitable=False, original_subject="", date=None
            ),
            "no_date": replace(_NOTE_KEPT, date=None),
        },
    ),
    Sample(
        _COACH_INVITED,
        "mailer/flows/notes.py invite_coach",
        variants={
            "held": replace(
                _COACH_INVITED, invited=False, why_not=Why.DECLINED_RECENTLY.format(days=90)
            ),
            "already": replace(_COACH_INVITED, invited=False),
        },
    ),
    Sample(
        _NOTES_LIST,
        "mailer/flows/updates.py apply_member_updates",
        reply_token=token(Purpose.MEMBER, 5, to=ZOE[1]),
        variants={
            "none": replace(_NOTES_LIST, notes=[], results=[]),
            "unread": replace(
                _NOTES_LIST, unread=["pls share the one from Siobhán, the Zürich one"]
            ),
        },
    ),
    Sample(
        _UPDATES_CONFIRMED := emails.UpdatesConfirmed(
            subject="Re: Your commitments are published",
            results=[
                f"#12 is done: {_TEXTS[12]}",
                f"#14 is now due Fri 11 Dec: {_TEXTS[14]}",
                f"#13 noted: sent to legal, see {LONG_URL}",
                "We could not read a date for #15 in \u201csometime after the "
                "Weihnachtsmarkt\u201d.",
                f"{NAMELESS} is no longer your partner; we have thanked them.",
            ],
            unread=[],
        ),
        "mailer/flows/updates.py apply_member_updates",
        reply_token=token(Purpose.MEMBER, 5, to=ZOE[1]),
        variants={
            "unread": replace(
                _UPDATES_CONFIRMED,
                unread=[
                    "finished 12 and 13 over the weekend",
                    f"could you push 14 to after {LONG_URL} goes live",
                ],
            )
        },
    ),
    Sample(
        emails.PartnershipEnded(member_name=ZOE[0]),
        "mailer/flows/updates.py _end_partnership (own_data.py for forget me)",
    ),
    Sample(emails.PartnerLeft(partner=ANA[0]), "mailer/flows/own_data.py _tell_partners"),
    Sample(
        _UNREACHABLE := emails.PartnerUnreachable(
            partner_name=first_name(ANA[0]),
            partner_address=ANA[1],
            reason="no mailbox by that address",
        ),
        "mailer/flows/bounce.py _tell_members",
        reply_token=token(Purpose.MEMBER, 5, to=ZOE[1]),
        variants={
            "nameless_silent": replace(
                _UNREACHABLE, partner_name="Your partner", partner_address=NAMELESS, reason=""
            )
        },
    ),
    Sample(
        emails.Forgotten(
            deleted={
                "messages": 214,
                "commitments": 57,
                "commitment updates": 131,
                "verdicts given": 48,
                "coaching notes": 6,
                "partnerships": 3,
                "emails": 402,
            }
        ),
        "mailer/flows/own_data.py forget",
    ),
    Sample(
        emails.MyData(
            known=True,
            attachment=emails.Attachment(
                filename="pactmail-data.json",
                json=json.dumps(
                    {"commitments": [asdict(line) for line in COMMITMENTS]},
                    ensure_ascii=False,
                    default=str,
                ),
            ),
        ),
        "mailer/flows/own_data.py export",
        variants={"unknown": emails.MyData(known=False, attachment=emails.Attachment("x", "{}"))},
    ),
    Sample(
        _WAS_THIS_YOU,
        "mailer/flows/confirm.py ask_sender_to_confirm",
        reply_token=make_token(_KEY, Purpose.CONFIRM, (9001,), to=ZOE[1], now=_NOW),
        variants={"short": replace(_WAS_THIS_YOU, excerpt="", would=[])},
    ),
    Sample(
        _CONFIRM_REPLY,
        "mailer/flows/confirm.py ask_owner_to_confirm",
        reply_token=make_token(_KEY, Purpose.CONFIRM, (9002,), to=ZOE[1], now=_NOW),
        variants={"no_excerpt": replace(_CONFIRM_REPLY, excerpt="")},
    ),
    Sample(
        emails.OwnerAsked(subject="Re: Your commitments are published"),
        "mailer/processing.py _decide (NotTheOwner)",
    ),
    Sample(emails.Help(), "mailer/flows/help.py"),
    Sample(
        _NOT_UNDERSTOOD,
        "mailer/processing.py _decide (Refused)",
        variants={
            "no_subject": replace(
                _NOT_UNDERSTOOD, subject="", reason=str(Why.NO_COMMITMENTS), quoted=[]
            ),
        },
    ),
    Sample(
        _TOKEN_EXPIRED,
        "mailer/processing.py _decide (TokenExpired)",
        variants={"no_subject": replace(_TOKEN_EXPIRED, subject="")},
    ),
    Sample(
        _RATE_LIMITED,
        "mailer/processing.py _decide (SenderOverLimit)",
        variants={"no_subject": replace(_RATE_LIMITED, subject="")},
    ),
    Sample(emails.ProcessingFailed(), "mailer/failures.py _set_aside"),
    Sample(
        emails.Unsubscribed(stopped="digest"),
        "mailer/flows/unsubscribe.py unsubscribe",
        variants={
            stop: emails.Unsubscribed(stopped=stop)
            for stop in ("summary", "nudge", "reminder", "invitation")
        },
    ),
]

SAMPLES: dict[str, Sample] = {sample.template: sample for sample in _ALL}
