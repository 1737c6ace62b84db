"""A person's own data (SPEC §4.9): ``forget me`` deletes it, ``my data`` mails it to them.

Both act only for a proven sender (authenticated, a reply to a token bound
to them, or confirmed "Was this you?"), and only on the sender's own data.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from mailer import emails
from mailer.flows.base import FlowContext, Outcome, Proof
from mailer.models import (
    AddressBounces,
    CoachingNote,
    Commitment,
    CommitmentUpdate,
    Digest,
    InboundMessage,
    InboundStatus,
    MailStop,
    OutboundMessage,
    OutboundStatus,
    Partnership,
    PartnershipState,
    Person,
    Summary,
    ThreadMessage,
    Verdict,
)
from mailer.parsing.commands import Action
from mailer.redact import mask_address
from mailer.refusals import Unproven
from mailer.sql import placeholders
from mailer.tokens import address_key

_ONGOING = [PartnershipState.ACTIVE.value, PartnershipState.PAUSED.value]
_UNSENT = [OutboundStatus.PENDING.value, OutboundStatus.DATA_SENT.value]
FORGOTTEN = "forgotten"


async def act_on_own_data(ctx: FlowContext, request: Action) -> Outcome:
    """``forget me`` or ``my data`` for the sender, once they are proven."""
    if request is Action.FORGET_ME:
        would = "delete everything pactmail keeps about you"
        ctx.require_owner(ctx.sender, would)
        if ctx.proof is Proof.TOKEN:
            # A reply address travels with every forwarded email: for what
            # cannot be undone, its mailbox is asked first.
            raise Unproven([would])
        return await forget(ctx)
    ctx.require_owner(ctx.sender, "mail you everything pactmail keeps about you")
    return await export(ctx)


async def forget(ctx: FlowContext) -> Outcome:
    """Delete everything stored about the sender; tell their partners; say what went."""
    person = await ctx.person(ctx.sender)
    db = ctx.connection
    inbound_ids = await _their_inbound(ctx, person)
    deleted: dict[str, int] = {"messages": len(inbound_ids)}
    if person is not None:
        await _tell_partners(ctx, person)
        deleted |= await _delete_person(db, person)
        ctx.people.pop(person.email, None)
    deleted["emails"] = await _forget_outbound(db, ctx.sender, inbound_ids)
    await InboundMessage.filter(id__in=inbound_ids).using_db(db).delete()
    # Other people's mail that names them (a Cc, a partner: line) keeps its
    # row, as after the retention period, but not its bytes.
    await _empty_raw_naming(db, ctx.sender)
    # This message itself: its row is answered and claimed in this
    # transaction, so it stays, with nothing in it that names them.
    await (
        InboundMessage.filter(id=ctx.inbound.id)
        .using_db(db)
        .update(content=b"", mail_from="", sender_key=None)
    )
    # Coaching notes of other members that name them as the coach.
    await CoachingNote.filter(coach_email__iexact=ctx.sender).using_db(db).update(coach_email="")
    await ctx.answer(emails.Forgotten(deleted=deleted))
    return Outcome(InboundStatus.PROCESSED, "forgotten: everything about the sender deleted", True)


async def _their_inbound(ctx: FlowContext, person: Person | None) -> list[int]:
    """Every stored message they sent, but this one."""
    db = ctx.connection
    key = address_key(ctx.settings.secret_key, ctx.sender)
    queries = [
        InboundMessage.filter(sender_key=key).using_db(db).values_list("id", flat=True),
        InboundMessage.filter(mail_from__iexact=ctx.sender)
        .using_db(db)
        .values_list("id", flat=True),
    ]
    if person is not None:
        queries += [
            model.filter(member_id=person.id).using_db(db).values_list("source_id", flat=True)
            for model in (Commitment, CoachingNote)
        ]
        queries.append(
            Verdict.filter(partner_id=person.id).using_db(db).values_list("source_id", flat=True)
        )
    found: set[int] = set()
    for query in queries:
        found |= {int(str(value)) for value in await query if value is not None}
    found.discard(ctx.inbound.id)
    return sorted(found)


async def _tell_partners(ctx: FlowContext, person: Person) -> None:
    """One email to each person they were in an active partnership with."""
    who = person.name or mask_address(person.email)
    for partnership in (
        await Partnership.filter(member_id=person.id, state__in=_ONGOING)
        .using_db(ctx.connection)
        .select_related("partner")
    ):
        await ctx.tell(
            partnership.partner.email,
            emails.PartnershipEnded(member_name=who),
            key=f"forgotten:{partnership.id}",
        )
    for partnership in (
        await Partnership.filter(partner_id=person.id, state__in=_ONGOING)
        .using_db(ctx.connection)
        .select_related("member")
    ):
        await ctx.tell(
            partnership.member.email,
            emails.PartnerLeft(partner=who),
            key=f"forgotten:{partnership.id}",
        )


async def _delete_person(db: BaseDBAsyncClient, person: Person) -> dict[str, int]:
    """The person and every row that is theirs, children first."""
    commitments = Commitment.filter(member_id=person.id).using_db(db)
    commitment_ids = list(await commitments.values_list("id", flat=True))
    counts = {
        "commitments": len(commitment_ids),
        "coaching notes": await CoachingNote.filter(member_id=person.id).using_db(db).count(),
        "partnerships": await Partnership.filter(member_id=person.id).using_db(db).count()
        + await Partnership.filter(partner_id=person.id).using_db(db).count(),
    }
    # Threads by hand: SQLite enforces ON DELETE CASCADE only when asked to.
    await ThreadMessage.filter(verdict__commitment_id__in=commitment_ids).using_db(db).delete()
    await ThreadMessage.filter(verdict__partner_id=person.id).using_db(db).delete()
    await Verdict.filter(commitment_id__in=commitment_ids).using_db(db).delete()
    await Verdict.filter(partner_id=person.id).using_db(db).delete()
    await CommitmentUpdate.filter(commitment_id__in=commitment_ids).using_db(db).delete()
    await CoachingNote.filter(member_id=person.id).using_db(db).delete()
    await commitments.delete()
    await Digest.filter(partner_id=person.id).using_db(db).delete()
    await Summary.filter(member_id=person.id).using_db(db).delete()
    await MailStop.filter(person_id=person.id).using_db(db).delete()
    await Partnership.filter(member_id=person.id).using_db(db).delete()
    await Partnership.filter(partner_id=person.id).using_db(db).delete()
    await AddressBounces.filter(address=person.email.lower()).using_db(db).delete()
    await Person.filter(id=person.id).using_db(db).delete()
    return counts


async def _forget_outbound(db: BaseDBAsyncClient, address: str, inbound_ids: list[int]) -> int:
    """Mail to them goes; mail to others that names them goes unsent or loses its context."""
    to_them = OutboundMessage.filter(to_address__iexact=address).using_db(db)
    count = await to_them.count()
    await to_them.delete()
    if inbound_ids:
        await (
            OutboundMessage.filter(inbound_id__in=inbound_ids).using_db(db).update(inbound_id=None)
        )
    for row_id, status in await _naming(db, address):
        if status in _UNSENT:
            await OutboundMessage.filter(id=row_id).using_db(db).delete()
        else:
            await OutboundMessage.filter(id=row_id).using_db(db).update(context={FORGOTTEN: True})
    return count


async def _naming(db: BaseDBAsyncClient, address: str) -> list[tuple[int, str]]:
    """Outbound rows whose stored context names the address (as written, or JSON-escaped)."""
    spellings = sorted({address.lower(), json.dumps(address.lower())[1:-1]})
    marks = placeholders(db, len(spellings))
    condition = " OR ".join(
        f"LOWER(CAST(\"context\" AS TEXT)) LIKE {mark} ESCAPE '\\'" for mark in marks
    )
    candidates = await db.execute_query_dict(
        # Only parameter markers are formatted in; the values are parameters.
        f'SELECT "id", "status", "context" FROM "outbound_message" WHERE {condition}',  # noqa: S608
        [f"%{_like_literal(spelling)}%" for spelling in spellings],
    )
    # LIKE finds "anna@example.com" inside "joanna@example.com" too: only
    # the address standing on its own counts.
    exact = _standing_alone(address)
    return [
        (int(row["id"]), str(row["status"]))
        for row in candidates
        if exact.search(_text(row["context"]).encode())
    ]


async def _empty_raw_naming(db: BaseDBAsyncClient, address: str) -> None:
    """Empty the raw bytes of stored messages that name the address, in any case.

    Not of messages still waiting to be processed: they would fail for want
    of their bytes. Those are read before long, and "forget me" can be sent again.
    """
    [mark] = placeholders(db, 1)
    wanted = address.lower()
    if db.capabilities.dialect == "postgres":
        # Bytes read one character each, so that no byte sequence fails to decode.
        holds = f"position({mark} in lower(convert_from(\"content\", 'LATIN1'))) > 0"
        wanted = wanted.encode("utf-8").decode("latin-1")
    else:
        holds = f'instr(lower("content"), {mark}) > 0'
    candidates = await db.execute_query_dict(
        # Only a parameter marker is formatted in; the address is a parameter.
        f'SELECT "id", "content" FROM "inbound_message" WHERE {holds} '  # noqa: S608
        f"AND \"status\" <> '{InboundStatus.RECEIVED.value}'",
        [wanted],
    )
    exact = _standing_alone(address)
    named = [int(row["id"]) for row in candidates if exact.search(bytes(row["content"]))]
    if named:
        await InboundMessage.filter(id__in=named).using_db(db).update(content=b"")


def _standing_alone(address: str) -> re.Pattern[bytes]:
    """The address, in any case, not inside a longer one.

    >>> bool(_standing_alone("anna@example.com").search(b"Cc: <Anna@Example.COM>"))
    True
    >>> bool(_standing_alone("anna@example.com").search(b"joanna@example.com, anna@example.co"))
    False
    """
    escaped = re.escape(address.lower().encode("utf-8"))
    return re.compile(rb"(?<![\w.+%-])" + escaped + rb"(?![\w.-])", re.IGNORECASE)


def _like_literal(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _text(value: object) -> str:
    """A stored JSON context as text, non-ASCII written as itself."""
    if isinstance(value, str):
        try:
            return json.dumps(json.loads(value), ensure_ascii=False)
        except ValueError:
            return value
    return json.dumps(value, ensure_ascii=False)


async def export(ctx: FlowContext) -> Outcome:
    """Mail the sender a JSON file of everything stored about them."""
    person = await ctx.person(ctx.sender)
    data = await _gather(ctx.connection, person) if person is not None else {}
    await ctx.answer(
        emails.MyData(
            known=person is not None,
            attachment=emails.Attachment(
                filename="pactmail-data.json",
                json=json.dumps(data, indent=2, ensure_ascii=False, default=str),
            ),
        )
    )
    return Outcome(InboundStatus.PROCESSED, "their data mailed to them")


def _thread(messages: list[dict[str, Any]], verdict_id: int) -> list[dict[str, object]]:
    """What member and partner wrote after a challenge, in order."""
    return [
        {"from": m["author"], "text": m["text"], "date": m["created_at"]}
        for m in messages
        if m["verdict_id"] == verdict_id
    ]


async def _gather(db: BaseDBAsyncClient, person: Person) -> dict[str, object]:
    commitments = await Commitment.filter(member_id=person.id).using_db(db).order_by("number")
    ids = [c.id for c in commitments]
    updates = await CommitmentUpdate.filter(commitment_id__in=ids).using_db(db).order_by("id")
    received = (
        await Verdict.filter(commitment_id__in=ids)
        .using_db(db)
        .select_related("partner")
        .order_by("id")
    )
    given = (
        await Verdict.filter(partner_id=person.id)
        .using_db(db)
        .select_related("commitment__member")
        .order_by("id")
    )
    threads = (
        await ThreadMessage.filter(verdict_id__in=[v.id for v in [*received, *given]])
        .using_db(db)
        .order_by("id")
        .values("verdict_id", "author", "text", "created_at")
    )
    as_member = await Partnership.filter(member_id=person.id).using_db(db).select_related("partner")
    as_partner = (
        await Partnership.filter(partner_id=person.id).using_db(db).select_related("member")
    )
    notes = await CoachingNote.filter(member_id=person.id).using_db(db).order_by("number")
    stopped = await MailStop.filter(person_id=person.id).using_db(db).order_by("kind")
    return {
        "person": {
            "email": person.email,
            "name": person.name,
            "time_zone": person.timezone,
            "digest_cadence": person.digest_cadence,
            # Kinds of mail stopped by their List-Unsubscribe (emails/kinds.py Stop).
            "mail_stopped": [stop.kind for stop in stopped],
            "since": person.created_at,
        },
        "commitments": [
            {
                "number": c.number,
                "text": c.text,
                "due": c.due_date,
                "recurrence": c.recurrence_label,
                "state": c.state,
                "created": c.created_at,
                "updates": _rows(
                    updates, c.id, ("kind", "occurrence", "note", "new_due_date", "created_at")
                ),
                "verdicts": [
                    {
                        "partner": v.partner.name or v.partner.email,
                        "verdict": v.kind,
                        "note": v.note,
                        "date": v.created_at,
                        "thread": _thread(threads, v.id),
                    }
                    for v in received
                    if v.commitment_id == c.id  # type: ignore[attr-defined]
                ],
            }
            for c in commitments
        ],
        "partners": [
            {
                "email": p.partner.email,
                "name": p.partner.name,
                "state": p.state,
                "as": p.relationship,
            }
            for p in as_member
        ],
        "partner_of": [_partnership(p.member, p) for p in as_partner],
        "verdicts_given": [
            {
                "member": v.commitment.member.email,
                "commitment": v.commitment.number,
                "verdict": v.kind,
                "note": v.note,
                "date": v.created_at,
                "thread": _thread(threads, v.id),
            }
            for v in given
        ],
        "coaching_notes": [
            {
                "number": n.number,
                "coach": n.coach_name or n.coach_email,
                "subject": n.subject,
                "date": n.original_date,
                "body": n.body,
                "shared": n.shared_at is not None,
            }
            for n in notes
        ],
    }


def _partnership(other: Person, partnership: Partnership) -> dict[str, object]:
    return {
        "email": other.email,
        "name": other.name,
        "state": partnership.state,
        "as": partnership.relationship,
    }


def _rows(
    updates: Iterable[CommitmentUpdate], commitment_id: int, columns: tuple[str, ...]
) -> list[dict[str, object]]:
    return [
        {column: getattr(update, column) for column in columns}
        for update in updates
        if update.commitment_id == commitment_id  # type: ignore[attr-defined]
    ]
