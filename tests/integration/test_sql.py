"""The hand-written statements of mailer/sql.py, on the real database (SQLite or PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

from mailer.models import InboundMessage, OutboundMessage
from mailer.sql import insert_returning_ids, update_each, update_row_if


def _outbound(key: str) -> OutboundMessage:
    return OutboundMessage(
        idempotency_key=key,
        template="help",
        to_address=f"{key}@example.com",
        context={"n": key},
        message_id=f"{key}@pactmail.localhost",
    )


async def test_rows_inserted_together_get_their_own_ids_in_order(db: None) -> None:
    rows = [_outbound(f"k{number}") for number in range(5)]
    ids = await insert_returning_ids(OutboundMessage._meta.db, rows)
    assert [row.id for row in rows] == ids
    for row in rows:
        stored = await OutboundMessage.get(id=row.id)
        assert stored.idempotency_key == row.idempotency_key
        assert stored.context == row.context
        assert stored.created_at is not None


async def test_several_rows_each_get_their_own_values(db: None) -> None:
    first, second = [
        await InboundMessage.create(mail_from="a@x", rcpt_tos=["b@y"], content=b"x", size=1)
        for _ in range(2)
    ]
    now = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
    await update_each(
        InboundMessage,
        ["status", "reason", "processed_at"],
        [(first.id, ("processed", "one", now)), (second.id, ("ignored", "two", now))],
    )
    assert (await InboundMessage.get(id=first.id)).reason == "one"
    again = await InboundMessage.get(id=second.id)
    assert (again.status, again.reason, again.processed_at) == ("ignored", "two", now)


async def test_a_conditional_update_changes_a_row_once(db: None) -> None:
    row = _outbound("once")
    await row.save()
    claim = {"status": "data_sent", "attempts": 1}
    assert await update_row_if(OutboundMessage, row.id, claim, {"status": "pending"}) == 1
    assert await update_row_if(OutboundMessage, row.id, claim, {"status": "pending"}) == 0
    stored = await OutboundMessage.get(id=row.id)
    assert (stored.status, stored.attempts) == ("data_sent", 1)
