"""One realistic context per email template, as the flows build it.

Each entry mirrors the dictionary its flow queues (the flow is named on the
entry), filled with what real people send: accented names, long commitments,
words and addresses too long for a phone's width, several members and
commitments where the email lists them. ``variants`` are the template's other
branches. These are the seed of typed template data: when the contexts become
types, these become their examples.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

from mailer.digests import _GROUPS as DIGEST_GROUPS  # the digest's sections, in order
from mailer.flows.verdicts import LINK_CODES
from mailer.models import VerdictKind
from mailer.names import first_name
from mailer.refusals import Why
from mailer.render import Rendered, render_parts
from mailer.tokens import Purpose, make_token

DOMAIN = "pactmail.example.com"
_KEY = b"sample-secret-key-0123456789"
_NOW = datetime(2026, 11, 30, 8, tzinfo=UTC)


def token(purpose: Purpose, *ids: int, to: str) -> str:
    """A real token, as long as the ones people get."""
    return make_token(_KEY, purpose, ids, to=to, now=_NOW)


def reply_address(purpose: Purpose, *ids: int, to: str) -> str:
    return f"reply+{token(purpose, *ids, to=to)}@{DOMAIN}"


@dataclass(frozen=True)
class Sample:
    """An email as its flow queues it: template, context, reply token, other branches."""

    template: str
    flow: str  # where the context is built
    context: dict[str, object]
    reply_token: str | None = None
    # The template's other branches: a name, and the keys that differ.
    variants: dict[str, dict[str, object]] = field(default_factory=dict)
    # Keys the flow passes that the template renders without: read by
    # render.py itself, kept for a later step, or given a default in the
    # template. Every other key, left out, must fail the rendering.
    not_required: frozenset[str] = frozenset()

    def contexts(self) -> list[tuple[str, dict[str, object]]]:
        """(name, context) of the main case ("") and of each variant."""
        return [("", self.context)] + [
            (name, {**self.context, **change}) for name, change in self.variants.items()
        ]

    def render(self, context: dict[str, object] | None = None) -> Rendered:
        """The email's words for ``context`` (the main one by default), as sent."""
        token = self.reply_token
        return render_parts(
            self.template,
            self.context if context is None else context,
            domain=DOMAIN,
            reply_address=f"reply+{token}@{DOMAIN}" if token else f"help@{DOMAIN}",
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
COMMITMENTS: list[dict[str, object]] = [  # as mailer.flows.commit._describe
    {
        "number": 12,
        "text": "Finish the quarterly planning document for the Zürich office, with the "
        "hiring plan, the budget review with finance and the risks we discussed on Tuesday",
        "due": "2026-12-04",
        "recurrence": None,
    },
    {
        "number": 13,
        "text": f"Send the final review to legal: {LONG_URL}",
        "due": None,
        "recurrence": None,
    },
    {
        "number": 14,
        "text": "Call my mentor about the Lisbon offer",
        "due": "2026-12-07",
        "recurrence": "every Monday",
    },
    {
        "number": 15,
        "text": f"File the {LONG_WORD} before the deadline",
        "due": "2026-11-28",
        "recurrence": None,
    },
]
# As confirmations show them (mailer.flows.commit.confirmed_due): none passed.
CONFIRMED: list[dict[str, object]] = [{**c, "passed": False, "move_to": None} for c in COMMITMENTS]


def _digest_entry(
    commitment: dict[str, object], group: str, when: str, **rest: object
) -> dict[str, object]:
    """A commitment as mailer.digests._entry, _Draft._member and _Draft.email make it."""
    commitment_id = 100 + int(str(commitment["number"]))
    entry: dict[str, object] = {
        "number": commitment["number"],
        "text": commitment["text"],
        "group": group,
        "when": when,
        "recurrence": commitment["recurrence"],
        "commitment_id": commitment_id,
        "news": [],
        "last_verdict": None,
        "new": False,
        **{
            f"{kind.value}_token": token(
                Purpose.VERDICT, 7, commitment_id, LINK_CODES[kind], to=FRANCOIS[1]
            )
            for kind in VerdictKind
        },
    }
    return {**entry, **rest}


def _digest_member(
    person: tuple[str, str], entries: list[dict[str, object]], *, several: bool, **rest: object
) -> dict[str, object]:
    """One member's part of a digest, as mailer.digests._Draft._member makes it."""
    called = first_name(person[0]) or person[1]
    member: dict[str, object] = {
        "name": person[0] or person[1],
        "full_name": person[0],
        "first_name": called,
        "prefix": f"{called} " if several else "",
        "away_until": None,
        "quiet": False,
        "open_count": len(entries),
        "groups": [
            {"title": title, "items": [e for e in entries if e["group"] == key]}
            for key, title in DIGEST_GROUPS
            if any(e["group"] == key for e in entries)
        ],
        "closed": [],
        "your_answers": [],
        "replies": [],
        "notes": [],
    }
    return {**member, **rest}


_SHARED_NOTE = {  # as mailer.digests._shared_note
    "note_id": 31,
    "coach": SIOBHAN[0],
    "subject": "Après notre séance: what to try before the offsite",
    "date": "2026-11-26",
    "body": "Zoë, two things from today.\n\nFirst, say no to one meeting a day this week and "
    f"write down what you did with the hour.\n\nSecond, read {LONG_URL} before Friday.",
}
_ZOE_ENTRIES = [
    _digest_entry(COMMITMENTS[3], "overdue", "was due Sat 28 Nov", news=["moved to Sat 28 Nov"]),
    _digest_entry(
        COMMITMENTS[0], "soon", "due Fri 4 Dec", news=["note: first draft is with Jürgen"]
    ),
    _digest_entry(COMMITMENTS[1], "undated", "no due date", last_verdict="challenge, Mon 23 Nov"),
]
_ZOE_NEWS: dict[str, object] = {
    "closed": [
        {"number": 11, "text": "Book the venue for the Zürich offsite", "state": "done"},
        {"number": 9, "text": f"Translate the {LONG_WORD}", "state": "dropped"},
    ],
    "your_answers": [
        {
            "number": 13,
            "text": COMMITMENTS[1]["text"],
            "challenge": True,
            "note": "Is this really the final version? Legal saw another one last week.",
        },
        {"number": 12, "text": COMMITMENTS[0]["text"], "challenge": False, "note": ""},
    ],
    "replies": [
        {
            "number": 13,
            "text": COMMITMENTS[1]["text"],
            "answer": f"You were right: legal had an older draft.\n\nThe final one is {LONG_URL}",
        }
    ],
    "notes": [_SHARED_NOTE],
}
_DIGEST_MEMBERS: list[dict[str, object]] = [
    _digest_member(ZOE, _ZOE_ENTRIES, several=True, **_ZOE_NEWS),
    _digest_member(
        ("", NAMELESS),
        [_digest_entry(COMMITMENTS[2], "later", "due Mon 7 Dec", new=True)],
        several=True,
    ),
]
_AWAY = _digest_member(FRANCOIS, [], several=True, away_until="Sun 20 Dec", open_count=0)
_QUIET = _digest_member(ZOE, [], several=True, quiet=True, open_count=3)

_NOTES = [  # as mailer.flows.note_commands.recent_notes
    {
        "number": 3,
        "coach": SIOBHAN[0],
        "subject": "Après notre séance: what to try before the offsite",
        "date": "2026-11-26",
        "shared": True,
    },
    {"number": 2, "coach": NAMELESS, "subject": "", "date": "2026-11-12", "shared": False},
    {
        "number": 1,
        "coach": SIOBHAN[0],
        "subject": f"Re: {LONG_WORD}",
        "date": "2026-10-30",
        "shared": False,
    },
]

_QUOTED = (  # what a member writes, inert as mailer.flows.confirm._excerpt makes it
    "done 12\nmove 14 to Friday\n14: spoke to Siobhán, she thinks the Lisbon offer is worth"
    " a second look before I say no\nsee https[:]//intranet[.]beispiel-gesellschaft[.]example/"
    "projects/2027/planning/quarterly-review-documents/final[.]pdf"
)


def _news(state: str, answer: str, subject: str) -> dict[str, object]:
    """As mailer.flows.invitations.news_context, with the answer and the subject."""
    return {
        "member": named(ZOE),
        "member_name": ZOE[0],
        "partner": named(ANA),
        "state": state,
        "answer": answer,
        "subject": subject,
    }


_ALL = [
    Sample(
        "confirmation",
        "mailer/flows/commit.py publish_commitments (and notes.py add_actions)",
        {
            "name": first_name(ZOE[0]),
            "subject": "My commitments for the week before the Zürich offsite",
            "commitments": CONFIRMED,
            "partners": [named(ANA), named(FRANCOIS)],
            "not_invited": [
                {"who": NAMELESS, "why": Why.DECLINED_RECENTLY.format(days=90)},
                {"who": SIOBHAN[1], "why": str(Why.CANNOT_INVITE)},
            ],
            "partnered": True,
        },
        reply_token=token(Purpose.MEMBER, 5, to=ZOE[1]),
        variants={
            "no_partner": {"partners": [], "not_invited": [], "partnered": False, "name": ""},
            "none_found": {"commitments": [], "subject": ""},
            "one": {"commitments": CONFIRMED[:1]},
            # A coach's "by Friday" from last week: the date has passed, a new one offered.
            "passed": {
                "commitments": [
                    {**CONFIRMED[0], "due": "2026-11-27", "passed": True, "move_to": "2026-12-04"}
                ]
            },
        },
        # notes.py add_actions leaves it out; the template defaults it to [].
        not_required=frozenset({"not_invited"}),
    ),
    Sample(
        "invitation",
        "mailer/flows/invitations.py invitation_context (unanswered.py for the reminder)",
        {
            "member": named(ZOE),
            "member_name": ZOE[0],
            "member_display": ZOE[0],  # display_name: the name, else the mailbox's
            "partner_name": first_name(ANA[0]),
            "same_organisation": True,
            "organisation": ZOE[1].rpartition("@")[2],
            "commitments": COMMITMENTS,
            "answers": [
                "peer",
                "outside",
                "coach",
                "manager",
                "report",
                "competitor",
                "decline",
                "never",
            ],
            "reminder": False,
        },
        reply_token=token(Purpose.INVITE, 41, to=ANA[1]),
        variants={
            "reminder": {"reminder": True, "same_organisation": False, "partner_name": ""},
            "no_commitments": {"commitments": []},
        },
        # answers: the words are in the template; member_display: defaulted in
        # the subject (rows queued before it existed).
        not_required=frozenset({"answers", "member_display"}),
    ),
    Sample(
        "partner_news",
        "mailer/flows/invitations.py answer_invitation (digests.py, unanswered.py)",
        _news("active", "outside", f"{ANA[0]} answered your invitation"),
        reply_token=token(Purpose.MEMBER, 5, to=ZOE[1]),
        variants={
            "peer": {"answer": "peer"},
            "coach": {"answer": "coach"},
            "manager": {"state": "unsuitable", "answer": "manager"},
            "report": {"state": "unsuitable", "answer": "report"},
            "competitor": {"state": "unsuitable", "answer": "competitor"},
            "declined": {"state": "declined", "answer": "decline"},
            "reminded": {
                "state": "reminded",
                "answer": "",
                "subject": f"A reminder went to {named(ANA)}",
            },
            "expired": {
                "state": "expired",
                "answer": "",
                "subject": f"Your invitation to {named(ANA)} has expired",
            },
            "silent": {"state": "silent", "answer": "", "subject": f"{named(ANA)} has been quiet"},
        },
        not_required=frozenset({"member", "member_name"}),  # news_context serves two emails
    ),
    Sample(
        "partner_welcome",
        "mailer/flows/invitations.py answer_invitation",
        _news(
            "active",
            "peer",
            "Re: Zoë Müller-Łukasiewicz asks you to be their accountability partner",
        ),
        variants={
            "manager": {"state": "unsuitable", "answer": "manager"},
            "report": {"state": "unsuitable", "answer": "report"},
            "competitor": {"state": "unsuitable", "answer": "competitor"},
            "declined": {"state": "declined", "answer": "decline"},
        },
        not_required=frozenset({"member", "partner"}),  # news_context serves two emails
    ),
    Sample(
        "digest",
        "mailer/digests.py _Draft.email",
        {
            "name": first_name(FRANCOIS[0]),
            "members": _DIGEST_MEMBERS,
            "cadence": "weekly",
            "period": "2026-11-30",
            "next": "Mon 7 Dec",
            "count": 4,
            "note_count": 1,
            "example": {"prefix": "Zoë ", "number": 15},
            "unsubscribe": reply_address(Purpose.DIGEST, 88, to=FRANCOIS[1]),
            "nudge": False,
        },
        reply_token=token(Purpose.DIGEST, 88, to=FRANCOIS[1]),
        variants={
            "daily_nudge": {"cadence": "daily", "nudge": True, "name": ""},
            "one_member": {
                "members": [_digest_member(ZOE, _ZOE_ENTRIES, several=False)],
                "count": 3,
                "note_count": 0,
                "example": {"prefix": "", "number": 15},
            },
            "away_and_quiet": {
                "members": [_AWAY, _QUIET],
                "count": 0,
                "note_count": 0,
                "example": None,
            },
            "notes_only": {
                "members": [_digest_member(ZOE, [], several=False, notes=[_SHARED_NOTE] * 2)],
                "count": 0,
                "note_count": 2,
                "example": None,
            },
        },
        # period: what the digest covers, for later use; unsubscribe: a header.
        not_required=frozenset({"period", "unsubscribe"}),
    ),
    Sample(
        "summary",
        "mailer/summaries.py _send_batch",
        {
            "name": first_name(ZOE[0]),
            "week": "2026-11-30",
            "commitments": COMMITMENTS,
            "missed": [
                {"number": 14, "text": "Weekly 1:1 prep for the Zürich team", "day": "Mon 23 Nov"}
            ],
            "heard": [
                {"number": 12, "partner": ANA[0], "on_track": True, "note": ""},
                {
                    "number": 13,
                    "partner": FRANCOIS[0],
                    "on_track": False,
                    "note": f"Is {LONG_URL} really the final version? Legal saw another one "
                    "last week.",
                },
            ],
            "waiting": [
                {
                    "number": 13,
                    "partner": FRANCOIS[0],
                    "on_track": False,
                    "note": "Legal saw another version last week.",
                    "date": "2026-11-24",
                    "answer_address": reply_address(Purpose.CHALLENGE, 61, to=ZOE[1]),
                },
                {
                    "number": 15,
                    "partner": "a partner",
                    "on_track": False,
                    "note": "",
                    "date": "2026-11-25",
                    "answer_address": reply_address(Purpose.CHALLENGE, 62, to=ZOE[1]),
                },
            ],
            "partnered": True,
        },
        reply_token=token(Purpose.MEMBER, 5, to=ZOE[1]),
        variants={
            "alone": {"heard": [], "waiting": [], "partnered": False, "name": ""},
            "one": {"commitments": COMMITMENTS[:1]},
        },
        not_required=frozenset({"week"}),  # which week it is: the row's own key
    ),
    Sample(
        "challenge",
        "mailer/flows/verdicts.py _record",
        {
            "name": first_name(ZOE[0]),
            "partner": first_name(ANA[0]),
            "partner_name": first_name(ANA[0]),
            "number": 12,
            "text": COMMITMENTS[0]["text"],
            "due": "2026-12-04",
            "note": "The deadline has moved twice already, and the budget review with finance "
            f"has not been booked. What is different this time? {LONG_URL}",
        },
        reply_token=token(Purpose.CHALLENGE, 61, to=ZOE[1]),
        variants={
            "no_note": {"note": "", "due": None, "partner": "Your partner", "name": ""},
        },
    ),
    Sample(
        "challenge_answer",
        "mailer/flows/threads.py member_writes",
        {
            "name": first_name(ANA[0]),
            "member_name": first_name(ZOE[0]),
            "number": 12,
            "text": COMMITMENTS[0]["text"],
            "challenge": "The deadline has moved twice already. What is different this time?",
            "answer": "You are right, and thank you for asking.\n\nFinance has now booked the "
            "budget review for Thursday, and the hiring plan is done. The one risk left is "
            f"the Lisbon offer; I will decide by Friday.\n\nDraft: {LONG_URL}",
            "subject": f"Re: your challenge on #12: {str(COMMITMENTS[0]['text'])[:60]}",
        },
        reply_token=token(Purpose.THREAD, 61, to=ANA[1]),
        variants={"no_note": {"challenge": "", "name": ""}},
    ),
    Sample(
        "challenge_reply",
        "mailer/flows/threads.py partner_writes",
        {
            "name": first_name(ZOE[0]),
            "partner_name": first_name(ANA[0]),
            "number": 12,
            "text": COMMITMENTS[0]["text"],
            "message": "Thank you, that helps. One more thing: who signs off the hiring plan?"
            f"\n\nThe template is at {LONG_URL}",
            "subject": f"Re: Ana challenges you on #12: {COMMITMENTS[0]['text']}",
        },
        reply_token=token(Purpose.CHALLENGE, 61, to=ZOE[1]),
        variants={"unnamed": {"name": "", "partner_name": "Your partner"}},
    ),
    Sample(
        "verdict_thanks",
        "mailer/flows/verdicts.py answer_verdict_link, answer_digest (receipts from _record)",
        {
            "subject": "Re: 2 people: 4 commitments to look at",
            "answers": [
                {
                    "number": 12,
                    "text": COMMITMENTS[0]["text"],
                    "member": first_name(ZOE[0]),
                    "challenge": True,
                    "note": "Who signs off the hiring plan?",
                },
                {
                    "number": 14,
                    "text": COMMITMENTS[2]["text"],
                    "member": NAMELESS,
                    "challenge": False,
                    "note": "",
                },
            ],
            "unread": [
                "Zoë 15 challenege: typo in the verdict",
                f"see {LONG_URL}",
            ],
            "cadence": "daily",
            "zone": "Your time zone is now America/Argentina/ComodRivadavia: due dates, digests "
            "and summaries follow it.",
        },
        reply_token=token(Purpose.DIGEST, 88, to=FRANCOIS[1]),
        variants={
            "click": {"cadence": None, "zone": None, "unread": []},
            "unread_only": {"answers": [], "cadence": None, "zone": None},
            "stopped": {"answers": [], "unread": [], "cadence": "stopped", "zone": None},
            "paused": {"answers": [], "unread": [], "cadence": "paused", "zone": None},
        },
    ),
    Sample(
        "note_kept",
        "mailer/flows/notes.py keep_note",
        {
            "subject": "Fwd: Après notre séance: what to try before the offsite",
            "number": 3,
            "coach": SIOBHAN[0],
            "original_subject": "Après notre séance: what to try before the offsite",
            "date": "2026-11-26",
            "actions": [
                {
                    "number": 1,
                    "text": "Say no to one meeting a day this week and write down what I did "
                    "with the hour",
                    "due": "2026-12-04",
                    "passed": False,
                    "move_to": None,
                },
                {
                    "number": 2,
                    "text": "Send the offsite agenda to the team by Friday",
                    "due": "2026-11-27",
                    "passed": True,  # the coach wrote last week
                    "move_to": "2026-12-04",
                },
                {
                    "number": 3,
                    "text": f"Read {LONG_URL}",
                    "due": None,
                    "passed": False,
                    "move_to": None,
                },
            ],
            "coach_invitable": True,
        },
        reply_token=token(Purpose.NOTE, 31, to=ZOE[1]),
        variants={
            "nothing": {
                "actions": [],
                "coach_invitable": False,
                "original_subject": "",
                "date": None,
            },
            "no_date": {"date": None},
        },
    ),
    Sample(
        "coach_invited",
        "mailer/flows/notes.py invite_coach",
        {
            "subject": "Re: Your note 3 is kept",
            "coach": SIOBHAN[0],
            "invited": True,
            "why_not": None,
        },
        variants={
            "held": {"invited": False, "why_not": Why.DECLINED_RECENTLY.format(days=90)},
            "already": {"invited": False},
        },
    ),
    Sample(
        "notes_list",
        "mailer/flows/updates.py apply_member_updates",
        {
            "subject": "Re: Your commitments are published",
            "results": [
                f"Note 3 ({SIOBHAN[0]}: \u201cAprès notre séance: what to try before the "
                "offsite\u201d) is shared: each of your partners sees it in their next "
                "digest, once."
            ],
            "notes": _NOTES,
            "unread": [],
        },
        reply_token=token(Purpose.MEMBER, 5, to=ZOE[1]),
        variants={
            "none": {"notes": [], "results": []},
            "unread": {"unread": ["pls share the one from Siobhán, the Zürich one"]},
        },
        # Rows queued before lines were quoted back have none: the template defaults it.
        not_required=frozenset({"unread"}),
    ),
    Sample(
        "updates_confirmed",
        "mailer/flows/updates.py apply_member_updates",
        {
            "subject": "Re: Your commitments are published",
            "results": [
                f"#12 is done: {COMMITMENTS[0]['text']}",
                f"#14 is now due 2026-12-11: {COMMITMENTS[2]['text']}",
                f"#13 noted: sent to legal, see {LONG_URL}",
                "We could not read a date for #15 in \u201csometime after the "
                "Weihnachtsmarkt\u201d.",
                f"{NAMELESS} is no longer your partner; we have thanked them.",
            ],
            "unread": [],
        },
        reply_token=token(Purpose.MEMBER, 5, to=ZOE[1]),
        variants={
            "unread": {
                "unread": [
                    "finished 12 and 13 over the weekend",
                    f"could you push 14 to after {LONG_URL} goes live",
                ]
            }
        },
        # Rows queued before lines were quoted back have none: the template defaults it.
        not_required=frozenset({"unread"}),
    ),
    Sample(
        "partnership_ended",
        "mailer/flows/updates.py _end_partnership (own_data.py for forget me)",
        {"member_name": ZOE[0]},
    ),
    Sample("partner_left", "mailer/flows/own_data.py _tell_partners", {"partner": ANA[0]}),
    Sample(
        "forgotten",
        "mailer/flows/own_data.py forget",
        {
            "subject": "forget me",
            "deleted": {
                "messages": 214,
                "commitments": 57,
                "commitment updates": 131,
                "verdicts given": 48,
                "coaching notes": 6,
                "partnerships": 3,
                "emails": 402,
            },
        },
        not_required=frozenset({"subject"}),  # its subject is its own
    ),
    Sample(
        "my_data",
        "mailer/flows/own_data.py export",
        {
            "subject": "my data",
            "known": True,
            "attachment": {
                "filename": "pactmail-data.json",
                "json": json.dumps({"commitments": COMMITMENTS}, ensure_ascii=False),
            },
        },
        variants={"unknown": {"known": False}},
        # Attached by render.py; the subject is the email's own.
        not_required=frozenset({"attachment", "subject"}),
    ),
    Sample(
        "was_this_you",
        "mailer/flows/confirm.py ask_sender_to_confirm",
        {
            "address": ZOE[1],
            "to": f"commit@{DOMAIN}",
            "subject": "My commitments for the week before the Zürich offsite",
            "excerpt": _QUOTED,
            "would": [
                f"publish \u201c{COMMITMENTS[0]['text']}\u201d (due 2026-12-04)",
                "invite an***@consultoria-iberica.example to be your partner",
            ],
            "days": 3,
        },
        reply_token=make_token(_KEY, Purpose.CONFIRM, (9001,), to=ZOE[1], now=_NOW),
        variants={"short": {"excerpt": "", "would": []}},
    ),
    Sample(
        "confirm_reply",
        "mailer/flows/confirm.py ask_owner_to_confirm",
        {
            "sender": "zoe.privat.mailbox.with.a.long.name@freemail-provider.example",
            "subject": "Re: Your commitments are published",
            "excerpt": _QUOTED,
            "days": 3,
        },
        reply_token=make_token(_KEY, Purpose.CONFIRM, (9002,), to=ZOE[1], now=_NOW),
        variants={"no_excerpt": {"excerpt": ""}},
        not_required=frozenset({"subject"}),  # its subject is its own
    ),
    Sample(
        "owner_asked",
        "mailer/processing.py _decide (NotTheOwner)",
        {"subject": "Re: Your commitments are published"},
    ),
    Sample(
        "help",
        "mailer/flows/help.py",
        {"subject": "How does this work? Wie funktioniert das?"},
        not_required=frozenset({"subject"}),  # its subject is its own
    ),
    Sample(
        "not_understood",
        "mailer/processing.py _decide (Refused)",
        {
            "reason": Why.INVITATION_CLOSED.format(
                expired=" (it expired unanswered)",
                member=ZOE[1],
                commit_address=f"commit@{DOMAIN}",
            ),
            "quoted": [
                "peer, of course! Zoë and I have worked together at the Zürich office",
                f"see {LONG_URL}",
            ],
            "subject": "Re: Zoë Müller-Łukasiewicz asks you to be their accountability partner",
        },
        variants={
            "no_subject": {"subject": "", "reason": str(Why.NO_COMMITMENTS), "quoted": []},
        },
        not_required=frozenset({"quoted"}),  # defaulted: rows queued before it existed
    ),
    Sample(
        "token_expired",
        "mailer/processing.py _decide (TokenExpired)",
        {
            "reason": str(Why.TOKEN_EXPIRED),
            "quoted": [],
            "subject": "Re: Zoë Müller-Łukasiewicz: 4 commitments to look at",
        },
        variants={"no_subject": {"subject": ""}},
        not_required=frozenset({"reason", "quoted"}),  # the words say it
    ),
    Sample(
        "rate_limited",
        "mailer/processing.py _decide (SenderOverLimit)",
        {"reason": Why.SENDER_OVER_LIMIT.format(rate="20 messages an hour"), "subject": "done 12"},
        variants={"no_subject": {"subject": ""}},
    ),
    Sample("processing_failed", "mailer/processing.py _record_failure", {}),
]

SAMPLES: dict[str, Sample] = {sample.template: sample for sample in _ALL}
