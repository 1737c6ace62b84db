"""Digests (SPEC §4.3): one email per partner and period, for every member they partner.

Work is done a batch of partners at a time with a fixed number of queries
per batch (not per partner or per commitment). The database decides who gets
a digest: a digest row per (partner, period) is unique, inserted with ON
CONFLICT DO NOTHING, and only the rows this run inserted get an email, so any
number of workers can run this at once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from mailer.flows.invitations import named, news_context
from mailer.flows.note_commands import SHARED_NOTE_MEMORY
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
    Verdict,
)
from mailer.outbound import outbound_row
from mailer.parsing.newtext import new_text
from mailer.settings import Settings
from mailer.sql import insert_new, insert_returning_ids
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
    earliest = min(since.values())
    commitments = await Commitment.filter(
        member_id__in=member_ids, state=CommitmentState.OPEN.value
    ).order_by("member_id", "number")
    # Up to ``now``: the next digest starts there (its ``since``), so what
    # comes in while this one is written is in that one, and once.
    updates = (
        await CommitmentUpdate.filter(
            commitment__member_id__in=member_ids, created_at__gte=earliest, created_at__lt=now
        )
        .order_by("created_at")
        .values("commitment_id", "kind", "note", "new_due_date", "created_at")
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
        .values("partner_id", "commitment_id", "kind", "created_at")
    )
    by_member: dict[int, list[Commitment]] = defaultdict(list)
    for commitment in commitments:
        by_member[commitment.member_id].append(commitment)  # type: ignore[attr-defined]
    news: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for update in updates:
        news[update["commitment_id"]].append(update)
    notes: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for note in shared_notes:
        notes[note["member_id"]].append(note)
    last_verdict: dict[tuple[int, int], dict[str, object]] = {
        (verdict["partner_id"], verdict["commitment_id"]): verdict for verdict in verdicts
    }
    held: dict[int, list[Partnership]] = defaultdict(list)
    for partnership in partnerships:
        held[partnership.partner_id].append(partnership)  # type: ignore[attr-defined]
    shown: dict[int, set[int]] = defaultdict(set)  # note ids each partner has had
    for digest in history:
        shown[digest["partner_id"]].update(digest["notes"] or [])
    news_of = _News(by_member, news, notes, last_verdict)
    drafts = [
        _Draft(
            partner, periods[partner.id], since[partner.id], shown[partner.id], held[partner.id],
            news_of, today=now.astimezone(zone_from_name(partner.timezone)).date(),
        )
        for partner in partners
        if held.get(partner.id)
    ]  # fmt: skip
    drafts = [draft for draft in drafts if draft.members]
    if not drafts:
        return []
    silent = _silent_streaks(history, verdicts)
    async with in_transaction() as connection:
        digest_ids = await _claim(connection, drafts, now)
        rows: list[OutboundMessage] = []
        for draft in drafts:
            if draft.partner.id not in digest_ids:
                continue  # another worker has this one
            nudge = bool(draft.items) and silent.get(draft.partner.id) == SILENT_DIGESTS
            rows.append(draft.email(digest_ids[draft.partner.id], settings, now, nudge=nudge))
            if nudge:
                rows += draft.members_told(digest_ids[draft.partner.id], settings, now)
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

    open_commitments: dict[int, list[Commitment]]  # by member
    updates: dict[int, list[dict[str, Any]]]  # by commitment, oldest first
    shared_notes: dict[int, list[dict[str, Any]]]  # by member
    last_verdict: dict[tuple[int, int], dict[str, object]]  # by (partner, commitment)


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
    ) -> None:
        self.partner = partner
        self.period = period
        self.partnerships = partnerships
        self.items: list[Commitment] = []  # in digest order: item n is items[n - 1]
        self.notes: list[int] = []  # the shared notes it shows
        self.members: list[dict[str, object]] = []
        for partnership in partnerships:
            member = partnership.member
            entries = []
            for commitment in news.open_commitments.get(member.id, []):
                self.items.append(commitment)
                entry = _entry(commitment, len(self.items), today, period)
                entry["news"] = [
                    _describe_update(update)
                    for update in news.updates.get(commitment.id, [])
                    if update["created_at"] >= since
                ]
                verdict = news.last_verdict.get((partner.id, commitment.id))
                entry["last_verdict"] = _describe_verdict(verdict) if verdict else None
                entries.append(entry)
            # Only notes the member chose to share, each once to each partner.
            notes = [
                note
                for note in news.shared_notes.get(member.id, [])
                if note["id"] not in notes_shown
            ]
            self.notes += [note["id"] for note in notes]
            if entries or notes:
                self.members.append(
                    {
                        "name": named(member),
                        "first_name": member.name or member.email,
                        "items": entries,
                        "notes": [_shared_note(note) for note in notes],
                    }
                )

    def members_told(
        self, digest_id: int, settings: Settings, now: datetime
    ) -> list[OutboundMessage]:
        """Each member told, kindly, that this partner has been quiet for a while."""
        told = []
        for partnership in self.partnerships:
            member = partnership.member
            told.append(
                outbound_row(
                    key=f"silent-partner:{digest_id}:{member.id}",
                    template="partner_news",
                    to=member.email,
                    context={
                        **news_context(member, self.partner, "silent"),
                        "answer": "",
                        "subject": f"{named(self.partner)} has been quiet",
                    },
                    domain=settings.domain,
                    reply_token=token_for(
                        settings.secret_key, Purpose.MEMBER, (member.id,), member, now=now
                    ),
                )
            )
        return told

    def email(
        self, digest_id: int, settings: Settings, now: datetime, *, nudge: bool = False
    ) -> OutboundMessage:
        key = settings.secret_key
        for member in self.members:
            for entry in member["items"]:  # type: ignore[attr-defined]
                entry["token"] = token_for(
                    key,
                    Purpose.VERDICT,
                    (self.partner.id, entry["commitment_id"]),
                    self.partner,
                    now=now,
                )
        digest_token = token_for(key, Purpose.DIGEST, (digest_id,), self.partner, now=now)
        return outbound_row(
            key=f"digest:{digest_id}",
            template="digest",
            to=self.partner.email,
            context={
                "members": self.members,
                "cadence": self.partner.digest_cadence,
                "period": self.period.start.date().isoformat(),
                "next": self.period.end.date().isoformat(),
                "count": len(self.items),
                "note_count": len(self.notes),
                "first_item": 1 if self.items else None,
                "unsubscribe": f"reply+{digest_token}@{settings.domain}",
                "nudge": nudge,
            },
            domain=settings.domain,
            reply_token=digest_token,
        )


async def _claim(
    connection: BaseDBAsyncClient, drafts: Sequence[_Draft], now: datetime
) -> dict[int, int]:
    """Insert the digest rows no one inserted before; partner id -> digest id of those."""
    rows = [
        Digest(
            partner_id=draft.partner.id,
            period=draft.period.key,
            items=[commitment.id for commitment in draft.items],
            notes=draft.notes,
            created_at=now,
        )
        for draft in drafts
    ]
    claimed = await insert_new(connection, rows, ["partner_id", "period"])
    return {int(partner_id): digest_id for (partner_id, _), digest_id in claimed.items()}


def _entry(commitment: Commitment, item: int, today: date, period: Period) -> dict[str, object]:
    """One commitment as a digest item: overdue and due-soon as of the day it is written
    (a digest sent late in its period, by ``digest --now``, is not behind the times)."""
    due = commitment.due_date
    return {
        "item": item,
        "number": commitment.number,
        "text": commitment.text,
        "due": due.isoformat() if due else None,
        "recurrence": commitment.recurrence_label,
        "overdue": bool(due and due < today),
        "due_soon": bool(due and today <= due < period.end.date()),
        "commitment_id": commitment.id,
    }


def _shared_note(note: dict[str, Any]) -> dict[str, object]:
    # The coach's own words: the history quoted under them is often the
    # member's earlier, private mail to the coach.
    body = new_text(str(note["body"])) or str(note["body"]).strip()
    if len(body) > SHARED_NOTE_CHARS:
        body = body[:SHARED_NOTE_CHARS].rstrip() + " [\u2026]"
    written = note["original_date"]
    return {
        "note_id": note["id"],  # to take it out again before sending (note_commands.py)
        "coach": note["coach_name"] or note["coach_email"] or "their coach",
        "subject": note["subject"],
        "date": written.date().isoformat() if isinstance(written, datetime) else None,
        "body": body,
    }


def _describe_update(update: dict[str, object]) -> str:
    # Imported here, not above: this change stays within this function
    # while the rest of the module is rewritten (issue 10); move it up then.
    from mailer.occurrences import day_words

    kind = str(update["kind"])
    if kind == "moved":
        return f"moved to {update['new_due_date']}"
    if kind == "note":
        return f"note: {update['note']}"
    if kind in ("done", "missed") and update["note"]:
        # An occurrence of a recurring commitment: the note holds its day
        # (mailer/recurring.py), e.g. "missed Mon 7 Dec".
        try:
            return f"{kind} {day_words(date.fromisoformat(str(update['note'])))}"
        except ValueError:
            return kind
    return kind


def _describe_verdict(verdict: dict[str, object]) -> str:
    kind = "on track" if verdict["kind"] == "on_track" else "challenge"
    when = verdict["created_at"]
    day = when.date().isoformat() if isinstance(when, datetime) else str(when)[:10]
    return f"{kind} ({day})"
