"""Digests (SPEC §4.3): one email per partner and period, for every member they partner.

Work is done a batch of partners at a time with a fixed number of queries
per batch (not per partner or per commitment). The database decides who gets
a digest: a digest row per (partner, period) is unique, inserted with ON
CONFLICT DO NOTHING, and only the rows this run inserted get an email, so any
number of workers can run this at once.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from mailer import emails
from mailer.bounce_scores import held_people, not_held
from mailer.emails.kinds import Stop
from mailer.flows.invitations import named
from mailer.flows.note_commands import SHARED_NOTE_MEMORY
from mailer.flows.verdicts import verdict_link_token
from mailer.models import (
    CoachingNote,
    Commitment,
    CommitmentState,
    CommitmentUpdate,
    Digest,
    DigestCadence,
    OutboundMessage,
    Partnership,
    PartnershipState,
    Person,
    ThreadAuthor,
    ThreadMessage,
    Verdict,
    VerdictKind,
)
from mailer.names import called, first_name, names_of
from mailer.occurrences import day_in_words, day_words
from mailer.outbound import outbound_row
from mailer.parsing.newtext import new_text
from mailer.settings import Settings
from mailer.sql import insert_new, insert_returning_ids
from mailer.stops import regular_mail_to_member, unsubscribe_address, who_stopped
from mailer.timezones import zone_from_name
from mailer.tokens import Purpose, token_for

BATCH = 500
DIGEST_HOUR = 8  # local time of the partner
VERDICT_MEMORY = timedelta(days=60)  # earlier verdicts shown: the last within this
# After this many digests in a row without an answer, the next one nudges the
# partner gently and tells their members (once: a fourth is not a third).
SILENT_DIGESTS = 3
SHARED_NOTE_CHARS = 3000  # of a shared coaching note's text, in a digest
# SHARED_NOTE_MEMORY is within VERDICT_MEMORY: the digests read say who had a note.
_SENDING = (DigestCadence.WEEKLY.value, DigestCadence.DAILY.value)


@dataclass(frozen=True)
class Period:
    key: str
    start: datetime
    end: datetime  # when the next one starts


def current_period(cadence: str, zone: tzinfo, now: datetime) -> Period:
    """The period ``now`` falls in: weeks from Monday 08:00, days from 08:00, local time.

    >>> from datetime import UTC
    >>> p = current_period("weekly", UTC, datetime(2026, 12, 2, 9, tzinfo=UTC))
    >>> p.key, p.start.isoformat()
    ('2026-11-30', '2026-11-30T08:00:00+00:00')
    >>> current_period("daily", UTC, datetime(2026, 12, 2, 7, tzinfo=UTC)).key
    'd2026-12-01'
    """
    local = now.astimezone(zone)
    length = timedelta(days=7) if cadence == DigestCadence.WEEKLY.value else timedelta(days=1)
    day = local.date()
    if cadence == DigestCadence.WEEKLY.value:
        day -= timedelta(days=local.weekday())
    start = datetime.combine(day, time(DIGEST_HOUR), tzinfo=zone)
    if start > local:
        start = datetime.combine(day - length, time(DIGEST_HOUR), tzinfo=zone)
    prefix = "" if cadence == DigestCadence.WEEKLY.value else "d"
    return Period(f"{prefix}{start.date().isoformat()}", start, start + length)


@dataclass(frozen=True)
class Standing:
    """Where this period's digests stand, for ``pactmail digest --now`` to say what it did."""

    partners: int  # partners in an active partnership
    paused: int  # of them, with digests paused or stopped (or their address suspended)
    already: int  # of them, whose digest for this period went already

    def report(self, *, sent: int) -> str:
        """What a run that sent ``sent`` did, and why not more.

        >>> Standing(partners=16, paused=1, already=12).report(sent=3)
        '3 sent; 12 already sent this period; 1 paused or stopped'
        """
        said = [f"{sent} sent", f"{self.already} already sent this period"]
        said.append(f"{self.paused} paused or stopped")
        idle = self.partners - self.paused - self.already - sent
        if idle > 0:
            said.append(f"{idle} with nothing to send (no open commitment, no shared note)")
        return "; ".join(said)


async def digest_standing(now: datetime, partner_email: str | None = None) -> Standing:
    """How many partners there are, paused, and already sent this period (before a run)."""
    query = Person.filter(partnerships_as_partner__state=PartnershipState.ACTIVE.value)
    if partner_email is not None:
        query = query.filter(email=partner_email.strip().lower())
    partners = await query.distinct()
    held = {row["id"] for row in await query.filter(email__in=not_held()).distinct().values("id")}
    sending = [p for p in partners if p.digest_cadence in _SENDING and p.id not in held]
    keys = {
        p.id: current_period(p.digest_cadence, zone_from_name(p.timezone), now).key for p in sending
    }
    sent = await Digest.filter(
        partner_id__in=list(keys), period__in=set(keys.values())
    ).values_list("partner_id", "period")
    already = sum(1 for partner_id, period in sent if keys.get(partner_id) == period)
    return Standing(len(partners), len(partners) - len(sending), already)


async def send_due_digests(
    settings: Settings,
    now: datetime,
    *,
    partner_email: str | None = None,
    now_not_monday: bool = False,
) -> list[int]:
    """Queue the digests that are due; returns the outbound ids to send.

    ``now_not_monday`` sends each partner the current period's digest at once
    (``pactmail digest --now``), even if their partnership is newer than it.
    """
    queued: list[int] = []
    after = 0
    while True:
        query = Person.filter(
            id__gt=after,
            partnerships_as_partner__state=PartnershipState.ACTIVE.value,
            digest_cadence__in=_SENDING,
            # An address suspended after bouncing gets none (mailer/flows/bounce.py).
            email__not_in=not_held(),
        )
        if partner_email is not None:
            query = query.filter(email=partner_email.strip().lower())
        partners = await query.distinct().order_by("id").limit(BATCH)
        if not partners:
            return queued
        after = partners[-1].id
        queued += await _send_batch(partners, settings, now, now_not_monday)
        if len(partners) < BATCH:
            return queued


async def _send_batch(
    partners: Sequence[Person], settings: Settings, now: datetime, at_once: bool
) -> list[int]:
    periods = {
        partner.id: current_period(partner.digest_cadence, zone_from_name(partner.timezone), now)
        for partner in partners
    }
    # Those sent already are left out first: less to read, and a conflicting
    # insert would still use up an id (PostgreSQL sequences) on every run.
    sent = set(
        await Digest.filter(
            partner_id__in=list(periods), period__in=sorted({p.key for p in periods.values()})
        ).values_list("partner_id", "period")
    )
    periods = {key: period for key, period in periods.items() if (key, period.key) not in sent}
    if not periods:
        return []
    partnerships = [
        partnership
        for partnership in await Partnership.filter(
            partner_id__in=list(periods), state=PartnershipState.ACTIVE.value
        )
        .select_related("member")
        .order_by("member_id")
        if at_once
        or (partnership.answered_at or partnership.created_at)
        < periods[partnership.partner_id].start  # type: ignore[attr-defined]
    ]
    if not partnerships:
        return []
    member_ids = sorted({partnership.member.id for partnership in partnerships})
    history = await Digest.filter(
        partner_id__in=list(periods), created_at__gte=now - VERDICT_MEMORY
    ).values("partner_id", "created_at", "items", "notes")
    since = _since_last_digest(periods, history)
    last_shown = _shown_lately(history)
    earliest = min(since.values())
    commitments = (
        await Commitment.filter(member_id__in=member_ids, state=CommitmentState.OPEN.value)
        .order_by("member_id", "number")
        .values(*_OPEN_FIELDS)
    )
    # When the newer ones were written, for "new": only those, as reading every
    # commitment's timestamp costs more than this query.
    written = dict(
        await Commitment.filter(
            member_id__in=member_ids,
            state=CommitmentState.OPEN.value,
            created_at__gte=earliest,
            created_at__lt=now,
        ).values_list("id", "created_at")
    )
    # Up to ``now``: the next digest starts there (its ``since``), so what
    # comes in while this one is written is in that one, and once.
    updates = (
        await CommitmentUpdate.filter(
            commitment__member_id__in=member_ids, created_at__gte=earliest, created_at__lt=now
        )
        .order_by("created_at")
        .values("commitment_id", "kind", "note", "new_due_date", "occurrence", "created_at")
    )
    closing = {
        update["commitment_id"]
        for update in updates
        if update["kind"] in (CommitmentState.DONE.value, CommitmentState.DROPPED.value)
    }
    finished = [CommitmentState.DONE.value, CommitmentState.DROPPED.value]
    closed = await Commitment.filter(id__in=sorted(closing), state__in=finished).values(
        "id", "member_id", "number", "text", "state"
    )
    shared_notes = (
        await CoachingNote.filter(
            member_id__in=member_ids, shared_at__gte=now - SHARED_NOTE_MEMORY
        )
        .order_by("member_id", "number")
        .values(
            "id", "member_id", "number", "coach_name", "coach_email", "original_date",
            "subject", "body",
        )
    )  # fmt: skip
    verdicts = (
        await Verdict.filter(
            partner_id__in=list(periods),
            commitment__member_id__in=member_ids,
            created_at__gte=now - VERDICT_MEMORY,
        )
        .order_by("created_at")
        .values(
            "partner_id", "commitment_id", "kind", "note", "created_at",
            "commitment__member_id", "commitment__number", "commitment__text",
        )
    )  # fmt: skip
    replies = (
        await ThreadMessage.filter(
            verdict__partner_id__in=list(periods),
            verdict__commitment__member_id__in=member_ids,
            author=ThreadAuthor.MEMBER.value,
            created_at__gte=earliest,
            created_at__lt=now,
        )
        .order_by("created_at")
        .values(
            "verdict__partner_id", "verdict__commitment__member_id",
            "verdict__commitment__number", "verdict__commitment__text", "text", "created_at",
        )
    )  # fmt: skip
    news_of = _News.gather(commitments, updates, closed, shared_notes, verdicts, replies, written)
    held: dict[int, list[Partnership]] = defaultdict(list)
    for partnership in partnerships:
        held[partnership.partner_id].append(partnership)  # type: ignore[attr-defined]
    shown: dict[int, set[int]] = defaultdict(set)  # note ids each partner has had
    for digest in history:
        shown[digest["partner_id"]].update(digest["notes"] or [])
    drafts = [
        _Draft(
            partner, periods[partner.id], since[partner.id], shown[partner.id], held[partner.id],
            news_of, today=now.astimezone(zone_from_name(partner.timezone)).date(),
            last_shown=last_shown.get(partner.id, set()), key=settings.secret_key, now=now,
        )
        for partner in partners
        if held.get(partner.id)
    ]  # fmt: skip
    drafts = [draft for draft in drafts if draft.members]
    if not drafts:
        return []
    silent = _silent_streaks(history, verdicts)
    # Members who stopped news of quiet partners, or whose own address is suspended.
    no_nudges = await who_stopped(Stop.NUDGE, member_ids) | await held_people(member_ids)
    async with in_transaction() as connection:
        digest_ids = await _claim(connection, drafts, now)
        rows: list[OutboundMessage] = []
        for draft in drafts:
            if draft.partner.id not in digest_ids:
                continue  # another worker has this one
            nudge = bool(draft.items) and silent.get(draft.partner.id) == SILENT_DIGESTS
            rows.append(draft.email(digest_ids[draft.partner.id], settings, now, nudge=nudge))
            if nudge:
                rows += draft.members_told(
                    digest_ids[draft.partner.id], settings, now, unwanted=no_nudges
                )
        return await insert_returning_ids(connection, rows)


def _since_last_digest(
    periods: dict[int, Period], history: Sequence[dict[str, Any]]
) -> dict[int, datetime]:
    """From when each partner's news runs: their last digest, else one period back."""
    since = {key: period.start - (period.end - period.start) for key, period in periods.items()}
    last: dict[int, datetime] = {}
    for digest in history:
        partner_id = digest["partner_id"]
        if partner_id not in last or digest["created_at"] > last[partner_id]:
            last[partner_id] = digest["created_at"]
    return {**since, **{key: value for key, value in last.items() if key in since}}


def _shown_lately(history: Sequence[dict[str, Any]]) -> dict[int, set[int]]:
    """The commitment ids each partner's digests listed lately (VERDICT_MEMORY).

    A member is "nothing new" only to a partner who has seen their list:
    after one quiet digest the next stays quiet too, until something happens.
    """
    shown: dict[int, set[int]] = defaultdict(set)
    for digest in history:
        shown[digest["partner_id"]].update(digest["items"] or [])
    return shown


def _silent_streaks(
    history: Sequence[dict[str, Any]], verdicts: Sequence[dict[str, Any]]
) -> dict[int, int]:
    """How many digests in a row each partner has sent no verdict since.

    Only digests with commitments to answer count: a shared note asks nothing.
    """
    heard: dict[int, datetime] = {}
    for verdict in verdicts:  # oldest first: the last one kept is the latest
        heard[verdict["partner_id"]] = verdict["created_at"]
    streaks: dict[int, int] = defaultdict(int)
    for digest in history:
        if not digest["items"]:
            continue
        last = heard.get(digest["partner_id"])
        if last is None or digest["created_at"] > last:
            streaks[digest["partner_id"]] += 1
    return streaks


@dataclass(frozen=True)
class _News:
    """What a batch of digests draws on, read once for all its partners."""

    open_commitments: dict[int, list[_Open]]  # by member, in number order
    updates: dict[int, list[dict[str, Any]]]  # by commitment, oldest first
    closed: dict[int, list[dict[str, Any]]]  # done or dropped lately, by member
    shared_notes: dict[int, list[dict[str, Any]]]  # by member
    verdicts: dict[tuple[int, int], list[dict[str, Any]]]  # by (partner, member), oldest first
    replies: dict[tuple[int, int], list[dict[str, Any]]]  # the member's, by (partner, member)
    written: dict[int, datetime]  # when the open commitments written lately were, by id

    @classmethod
    def gather(
        cls,
        commitments: Sequence[dict[str, Any]],
        updates: Sequence[dict[str, Any]],
        closed: Sequence[dict[str, Any]],
        shared_notes: Sequence[dict[str, Any]],
        verdicts: Sequence[dict[str, Any]],
        replies: Sequence[dict[str, Any]],
        written: dict[int, datetime],
    ) -> _News:
        news = cls(
            defaultdict(list), defaultdict(list), defaultdict(list), defaultdict(list),
            defaultdict(list), defaultdict(list), written,
        )  # fmt: skip
        for commitment in commitments:
            news.open_commitments[commitment["member_id"]].append(_Open(**commitment))
        for update in updates:
            news.updates[update["commitment_id"]].append(update)
        for row in sorted(closed, key=lambda row: (row["member_id"], row["number"])):
            news.closed[row["member_id"]].append(row)
        for note in shared_notes:
            news.shared_notes[note["member_id"]].append(note)
        for verdict in verdicts:
            news.verdicts[(verdict["partner_id"], verdict["commitment__member_id"])].append(verdict)
        for reply in replies:
            key = (reply["verdict__partner_id"], reply["verdict__commitment__member_id"])
            news.replies[key].append(reply)
        return news


# The groups of a member's open commitments in a digest, in the order shown.
_GROUPS = (
    ("overdue", "Overdue"),
    ("soon", "Due before your next digest"),
    ("later", "Later"),
    ("undated", "No due date"),
)


class _Draft:
    """One partner's digest before it is claimed: what it will say."""

    def __init__(
        self,
        partner: Person,
        period: Period,
        since: datetime,
        notes_shown: set[int],
        partnerships: list[Partnership],
        news: _News,
        *,
        today: date,  # the partner's, as the digest is written
        last_shown: set[int],  # the commitments their digests listed lately
        key: bytes,  # signs the one-click links
        now: datetime,
    ) -> None:
        self.partner = partner
        self.period = period
        self.partnerships = partnerships
        self.items: list[int] = []  # the ids of the commitments shown, in order
        self.notes: list[int] = []  # the shared notes it shows
        self.members: list[emails.DigestMember] = []
        self.example: emails.Example | None = None  # the first commitment listed
        self.several = len(partnerships) > 1
        self.key, self.now = key, now
        for partnership in partnerships:
            member = self._member(partnership.member, since, notes_shown, news, today, last_shown)
            if member is not None:
                self.members.append(member)

    def _member(
        self,
        member: Person,
        since: datetime,
        notes_shown: set[int],
        news: _News,
        today: date,
        last_shown: set[int],
    ) -> emails.DigestMember | None:
        """One member's part of the digest, or None when it would say nothing."""
        open_ones = news.open_commitments.get(member.id, [])
        if member.away_until is not None and today < member.away_until and open_ones:
            # The partner's today: a day early or late across zones is as good as
            # the member could expect from "until Dec 20".
            return _away(member, today)
        answers = news.verdicts.get((self.partner.id, member.id), [])
        last_answer = {verdict["commitment_id"]: verdict for verdict in answers}
        entries = [
            _entry(
                commitment,
                today,
                self.period,
                news=[
                    _describe_update(update)
                    for update in news.updates.get(commitment.id, [])
                    if update["created_at"] >= since
                ],
                last_verdict=last_answer.get(commitment.id),
                new=news.written.get(commitment.id, since - _NEVER) >= since,
            )
            for commitment in open_ones
        ]
        # Only notes the member chose to share, each once to each partner.
        notes = [
            note for note in news.shared_notes.get(member.id, []) if note["id"] not in notes_shown
        ]
        closed = [
            emails.Closed(number=row["number"], text=row["text"], state=row["state"])
            for row in news.closed.get(member.id, [])
        ]
        your_answers = [_your_answer(v) for v in answers if v["created_at"] >= since]
        replies = [
            emails.MemberReply(
                number=reply["verdict__commitment__number"],
                text=reply["verdict__commitment__text"],
                answer=reply["text"],
            )
            for reply in news.replies.get((self.partner.id, member.id), [])
        ]
        if not (entries or notes or closed):
            return None
        self.notes += [note["id"] for note in notes]
        # Nothing has happened since the last digest and nothing is near:
        # one line says so instead of the same list again.
        seen = any(commitment.id in last_shown for commitment in open_ones)
        quiet = seen and not (
            notes or closed or your_answers or replies
            or any(e.news or e.new or e.group in ("overdue", "soon") for e in entries)
        )  # fmt: skip
        listed = [] if quiet else [(entry.group, self._item(entry)) for entry in entries]
        if not quiet:
            self.items += [commitment.id for commitment in open_ones]
        if listed and self.example is None:
            # With several members, a typed answer names whose number it is.
            others = [p.member for p in self.partnerships if p.member.id != member.id]
            name = _answer_name(member, others) if self.several else ""
            prefix = f"{name} " if name else ""
            self.example = emails.Example(prefix, listed[0][1].number)
        groups = [
            emails.DigestGroup(title, [item for group, item in listed if group == key])
            for key, title in _GROUPS
        ]
        return emails.DigestMember(
            name=member.name or member.email,
            full_name=member.name,
            first_name=first_name(member.name) or member.email,
            away_until=None,
            quiet=quiet,
            open_count=len(entries),
            groups=[group for group in groups if group.items],
            closed=closed,
            your_answers=your_answers,
            replies=replies,
            notes=[_shared_note(note) for note in notes],
        )

    def _item(self, entry: _Entry) -> emails.DigestItem:
        """A commitment as the digest lists it, with its two one-click links."""
        commitment = entry.commitment
        return emails.DigestItem(
            number=commitment.number,
            text=commitment.text,
            when=entry.when,
            recurrence=commitment.recurrence_label,
            news=entry.news,
            last_verdict=entry.last_verdict,
            new=entry.new,
            token=verdict_link_token(self.key, self.partner, commitment.id, now=self.now),
        )

    def members_told(
        self, digest_id: int, settings: Settings, now: datetime, *, unwanted: set[int]
    ) -> list[OutboundMessage]:
        """Each member told that this partner has been quiet for a while.

        Not those in ``unwanted``: they stopped such news (Stop.NUDGE).
        """
        told = []
        for partnership in self.partnerships:
            member = partnership.member
            if member.id in unwanted:
                continue
            email = emails.PartnerNews(
                partner=named(self.partner),
                state="silent",
                answer="",
                subject=f"{called(self.partner, 'Your partner')} has been quiet",
            )
            told.append(
                regular_mail_to_member(
                    email,
                    member,
                    key=f"silent-partner:{digest_id}:{member.id}",
                    settings=settings,
                    now=now,
                )
            )
        return told

    def email(
        self, digest_id: int, settings: Settings, now: datetime, *, nudge: bool = False
    ) -> OutboundMessage:
        digest_token = token_for(
            settings.secret_key, Purpose.DIGEST, (digest_id,), self.partner, now=now
        )
        email = emails.Digest(
            name=first_name(self.partner.name),
            members=self.members,
            cadence=self.partner.digest_cadence,
            next=day_in_words(self.period.end.date(), self.period.end.date()),
            count=len(self.items),
            note_count=len(self.notes),
            example=self.example,
            nudge=nudge,
        )
        return outbound_row(
            key=f"digest:{digest_id}",
            email=email,
            to=self.partner.email,
            domain=settings.domain,
            reply_token=digest_token,
            unsubscribe=unsubscribe_address(email, self.partner, settings, now),
        )


async def _claim(
    connection: BaseDBAsyncClient, drafts: Sequence[_Draft], now: datetime
) -> dict[int, int]:
    """Insert the digest rows no one inserted before; partner id -> digest id of those."""
    rows = [
        Digest(
            partner_id=draft.partner.id,
            period=draft.period.key,
            items=draft.items,
            notes=draft.notes,
            created_at=now,
        )
        for draft in drafts
    ]
    claimed = await insert_new(connection, rows, ["partner_id", "period"])
    return {int(partner_id): digest_id for (partner_id, _), digest_id in claimed.items()}


@dataclass(frozen=True, slots=True)
class _Open:
    """An open commitment as a digest reads it: a plain row, not a model (a batch reads
    thousands, and building a model for each costs more than the query)."""

    id: int
    member_id: int
    number: int
    text: str
    due_date: date | None
    recurrence_label: str | None


_OPEN_FIELDS = ("id", "member_id", "number", "text", "due_date", "recurrence_label")
_NEVER = timedelta(days=1)  # before any "since": not new


@dataclass(frozen=True)
class _Entry:
    """An open commitment in a member's part, before it is known whether it is listed."""

    commitment: _Open
    group: str  # one of _GROUPS
    when: str
    news: list[str]
    last_verdict: str | None
    new: bool


def _entry(
    commitment: _Open,
    today: date,
    period: Period,
    *,
    news: list[str],
    last_verdict: dict[str, Any] | None,
    new: bool,
) -> _Entry:
    """One commitment as a digest item: overdue and due-soon as of the day it is written
    (a digest sent late in its period, by ``digest --now``, is not behind the times)."""
    due = commitment.due_date
    if due is None:
        group, when = "undated", "no due date"
    elif due < today:
        group, when = "overdue", f"was due {day_in_words(due, today)}"
    elif due == today:
        group, when = "soon", "due today"
    elif due == today + timedelta(days=1):
        group, when = "soon", "due tomorrow"
    elif due < period.end.date():
        group, when = "soon", f"due {day_in_words(due, today)}"
    else:
        group, when = "later", f"due {day_in_words(due, today)}"
    verdict = _describe_verdict(last_verdict) if last_verdict else None
    return _Entry(commitment, group, when, news, verdict, new)


def _away(member: Person, today: date) -> emails.DigestMember:
    """A member who said "away until …": one line instead of their commitments."""
    assert member.away_until is not None
    return emails.DigestMember(
        name=member.name or member.email,
        full_name=member.name,
        first_name=first_name(member.name) or member.email,
        away_until=day_in_words(member.away_until, today),
        quiet=False,
        open_count=0,
        groups=[],
        closed=[],
        your_answers=[],
        replies=[],
        notes=[],
    )


_WRITABLE_NAME = re.compile(r"[^\W\d_][\w.-]{0,39}")  # what a typed answer may start with


def _answer_name(member: Person, others: list[Person]) -> str:
    """The name a typed answer can give for this member's numbers: their first name, else
    their mailbox's name, one that the reply reader takes and no other member goes by."""
    taken = {name for other in others for name in names_of(other)}
    for name in (first_name(member.name), member.email.partition("@")[0]):
        if _WRITABLE_NAME.fullmatch(name) and name.casefold() not in taken:
            return name
    return ""


def _your_answer(verdict: dict[str, Any]) -> emails.YourAnswer:
    return emails.YourAnswer(
        number=verdict["commitment__number"],
        challenge=verdict["kind"] == VerdictKind.CHALLENGE.value,
        note=verdict["note"],
    )


def _shared_note(note: dict[str, Any]) -> emails.SharedNote:
    # The coach's own words: the history quoted under them is often the
    # member's earlier, private mail to the coach.
    body = new_text(str(note["body"])) or str(note["body"]).strip()
    if len(body) > SHARED_NOTE_CHARS:
        body = body[:SHARED_NOTE_CHARS].rstrip() + " [\u2026]"
    written = note["original_date"]
    return emails.SharedNote(
        note_id=note["id"],
        coach=note["coach_name"] or note["coach_email"] or "their coach",
        subject=note["subject"],
        date=written.date() if isinstance(written, datetime) else None,
        body=body,
    )


def _describe_update(update: dict[str, object]) -> str:
    kind = str(update["kind"])
    moved_to = update["new_due_date"]
    if kind == "moved" and isinstance(moved_to, date):
        return f"moved to {day_words(moved_to)}"
    if kind == "note":
        return f"note: {update['note']}"
    occurrence = update["occurrence"]
    if kind in ("done", "missed") and isinstance(occurrence, date):
        # An occurrence of a recurring commitment (mailer/recurring.py): "missed Mon 7 Dec".
        return f"{kind} {day_words(occurrence)}"
    return kind


def _describe_verdict(verdict: dict[str, object]) -> str:
    kind = "on track" if verdict["kind"] == "on_track" else "challenge"
    when = verdict["created_at"]
    return f"{kind}, {day_words(when.date())}" if isinstance(when, datetime) else kind
