"""A member's commands about their coaching notes: share, unshare, delete note N; notes.

A note is the member's alone (SPEC §4.6). ``share note N`` puts it, the
coach's email and not what the member wrote above it, in the next digest of
each partner who has not had it (one who accepts within 30 days included);
``unshare note N`` takes it back from digests not yet sent.
"""

from __future__ import annotations

from datetime import timedelta

from mailer import emails
from mailer.flows.base import FlowContext
from mailer.models import (
    CoachingNote,
    Digest,
    OutboundMessage,
    OutboundStatus,
    Partnership,
    PartnershipState,
    Person,
)

RECENT_NOTES = 10
# A note shared this long ago is no longer news: a partner who accepts later
# does not get it in their first digest.
SHARED_NOTE_MEMORY = timedelta(days=30)
# Digests still unsent are young: retries give up within hours, not days.
UNSENT_DIGEST_AGE = timedelta(days=7)


async def share_note(ctx: FlowContext, member: Person, number: int, *, share: bool) -> str:
    """Share or unshare one of the member's notes; the line that tells them what happened."""
    note = await _numbered_note(ctx, member, number)
    if note is None:
        return f"You have no coaching note numbered {number}."
    title = _title(note)
    if share:
        if note.shared_at is not None:
            return f"Note {number} ({title}) is already shared with your partners."
        note.shared_at = ctx.now
        await note.save(using_db=ctx.connection, update_fields=["shared_at"])
        partnered = (
            await Partnership.filter(member_id=member.id, state=PartnershipState.ACTIVE.value)
            .using_db(ctx.connection)
            .exists()
        )
        if not partnered:
            return (
                f"Note {number} ({title}) is shared, but you have no active partner yet: "
                "it goes into the first digest of each partner who accepts within "
                f"{SHARED_NOTE_MEMORY.days} days."
            )
        return (
            f"Note {number} ({title}) is shared: each of your partners sees it in their next "
            "digest, once."
        )
    if note.shared_at is None:
        return f"Note {number} ({title}) was not shared; it stays yours alone."
    note.shared_at = None
    await note.save(using_db=ctx.connection, update_fields=["shared_at"])
    await _withdraw_from_unsent_digests(ctx, member, note.id)
    return (
        f"Note {number} ({title}) is private again. A digest that already went out with it "
        "cannot be taken back."
    )


async def delete_note(ctx: FlowContext, member: Person, number: int) -> str:
    """Delete one of the member's notes; the line that tells them what happened.

    Its number is not given out again, and commitments added from it stay.
    """
    note = await _numbered_note(ctx, member, number)
    if note is None:
        return f"You have no coaching note numbered {number}."
    await note.delete(using_db=ctx.connection)
    await _withdraw_from_unsent_digests(ctx, member, note.id)
    shown = (
        " A digest that already went out with it cannot be taken back." if note.shared_at else ""
    )
    return (
        f"Note {number} ({_title(note)}) is deleted: it is no longer in your notes and no "
        f"partner will see it. Commitments you added from it stay.{shown}"
    )


async def _withdraw_from_unsent_digests(ctx: FlowContext, member: Person, note_id: int) -> None:
    """Take the note out of digests written with it but not sent yet (a slow relay)."""
    partner_ids = (
        await Partnership.filter(member_id=member.id)
        .using_db(ctx.connection)
        .values_list("partner_id", flat=True)
    )
    digests = (
        await Digest.filter(partner_id__in=partner_ids, created_at__gte=ctx.now - UNSENT_DIGEST_AGE)
        .using_db(ctx.connection)
        .values("id", "notes")
    )
    keys = [f"digest:{digest['id']}" for digest in digests if note_id in (digest["notes"] or [])]
    pending = OutboundStatus.PENDING.value
    for row in await OutboundMessage.filter(idempotency_key__in=keys, status=pending).using_db(
        ctx.connection
    ):
        members = [
            {**entry, "notes": [n for n in entry["notes"] if n.get("note_id") != note_id]}
            for entry in row.context["members"]  # type: ignore[attr-defined]
        ]
        members = [entry for entry in members if _says_something(entry)]
        note_count = sum(len(entry["notes"]) for entry in members)
        change: dict[str, object] = {
            "context": {**row.context, "members": members, "note_count": note_count}
        }
        if not members:  # the note was all it had to say
            change = {"status": OutboundStatus.FAILED.value, "last_error": "withdrawn: " + _GONE}
        # Only while still unsent: a send that has begun goes out as written.
        await (
            OutboundMessage.filter(id=row.id, status=pending)
            .using_db(ctx.connection)
            .update(**change)
        )


_GONE = "the only coaching note in it was unshared or deleted"


def _says_something(member: dict[str, object]) -> bool:
    """Whether a member's part of a digest has more to say than the note taken out."""
    # "items": what a member's part held in digests written before it had groups.
    parts = ("groups", "items", "notes", "closed", "your_answers", "replies", "quiet", "away_until")
    return any(member.get(part) for part in parts)


async def recent_notes(ctx: FlowContext, member: Person) -> list[emails.NoteLine]:
    """The member's last notes, newest first, as the notes list shows them."""
    notes = (
        await CoachingNote.filter(member_id=member.id)
        .using_db(ctx.connection)
        .order_by("-number")
        .limit(RECENT_NOTES)
    )
    return [
        emails.NoteLine(
            number=note.number,
            coach=note.coach_name or note.coach_email or "your coach",
            subject=note.subject,
            date=(note.original_date or note.created_at).date(),
            shared=note.shared_at is not None,
        )
        for note in notes
    ]


async def _numbered_note(ctx: FlowContext, member: Person, number: int) -> CoachingNote | None:
    return (
        await CoachingNote.filter(member_id=member.id, number=number)
        .using_db(ctx.connection)
        .first()
    )


def _title(note: CoachingNote) -> str:
    coach = note.coach_name or note.coach_email or "your coach"
    return f"{coach}: \u201c{note.subject}\u201d" if note.subject else coach
