"""Raw mail is deleted PACTMAIL_RETENTION_DAYS after it was processed; its row stays (SPEC §7)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mailer.models import Commitment, InboundMessage, InboundStatus
from mailer.retention import delete_old_raw_mail
from mailer.settings import Settings
from tests.integration.test_commit_flow import wait_until_settled
from tests.integration.test_member_updates import _confirmation_reply_address
from tests.support.capture import CaptureHandler
from tests.support.settle import all_settled
from tests.support.smtpclient import message, send
from workers.jobs import retention_job
from workers.service import Service

NOW = datetime(2026, 12, 31, 12, 0, tzinfo=UTC)
RAW = b"From: anna@example.com\r\nSubject: My week\r\n\r\nFinish the report\r\n"


async def stored(status: InboundStatus, processed_days_ago: float | None, n: int) -> InboundMessage:
    return await InboundMessage.create(
        mail_from="anna@example.com",
        rcpt_tos=["commit@pactmail.localhost"],
        content=RAW,
        size=len(RAW),
        status=status.value,
        reason=f"reason {n}",
        message_id=f"<m{n}@example.com>",
        dedup_key=f"key{n}",
        processed_at=None if processed_days_ago is None else NOW - timedelta(processed_days_ago),
    )


def job_context(settings: Settings, now: datetime) -> dict[str, object]:
    return {"settings": settings, "clock": lambda: now}


async def test_mail_processed_before_the_period_loses_its_bytes_and_keeps_its_row(
    settings: Settings, db: None
) -> None:
    old = [
        await stored(InboundStatus.PROCESSED, 31, 1),
        await stored(InboundStatus.FAILED, 45, 2),
        await stored(InboundStatus.IGNORED, 30.01, 3),
        await stored(InboundStatus.DUPLICATE, 400, 4),
    ]
    kept = [
        await stored(InboundStatus.PROCESSED, 29.99, 5),  # inside the period
        await stored(InboundStatus.RECEIVED, None, 6),  # waiting to be processed
        await stored(InboundStatus.RECEIVED, 60, 7),  # sent back to be processed again
    ]
    empty = await InboundMessage.create(
        mail_from="x@example.com", rcpt_tos=[], content=b"", size=0, processed_at=NOW
    )
    await InboundMessage.filter(id=empty.id).update(
        status=InboundStatus.IGNORED.value, processed_at=NOW - timedelta(days=90)
    )

    ctx = job_context(settings, NOW)
    assert await retention_job(ctx) == "4 raw message(s) deleted"
    assert await retention_job(ctx) == "0 raw message(s) deleted"  # twice is harmless

    for before in old:
        after = await InboundMessage.get(id=before.id)
        assert bytes(after.content) == b""
        assert (after.status, after.reason, after.size) == (before.status, before.reason, len(RAW))
        assert (after.message_id, after.dedup_key) == (before.message_id, before.dedup_key)
        assert after.processed_at == before.processed_at
    for before in kept:
        assert bytes((await InboundMessage.get(id=before.id)).content) == RAW


async def test_a_backlog_goes_in_batches_and_what_is_left_waits(
    settings: Settings, db: None
) -> None:
    rows = [await stored(InboundStatus.PROCESSED, 40 + n, n) for n in range(5)]
    # Out of time after the first statement: two rows now, the rest next run.
    assert await delete_old_raw_mail(settings, NOW, seconds=0, batch=2) == 2
    assert await delete_old_raw_mail(settings, NOW, seconds=60, batch=2) == 3
    assert await delete_old_raw_mail(settings, NOW, seconds=60, batch=2) == 0
    contents = await InboundMessage.filter(id__in=[row.id for row in rows]).values_list(
        "content", flat=True
    )
    assert [bytes(content) for content in contents] == [b""] * 5


async def test_confirming_a_reply_whose_mail_was_deleted_says_so(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    address = await _confirmation_reply_address(service, capture)
    await send(
        service.smtp_port,
        "mallory@example.com",
        [address],
        message(sender="mallory@example.com", to=address, body="drop 1\n", message_id="<m@x>"),
    )
    await wait_until_settled(2)
    arrived = await capture.wait_for(3)
    [question] = [m for m in arrived[1:] if m.rcpt_tos == ["anna@example.com"]]
    # Long after: the held reply's bytes are gone, its row is not.
    later = datetime.now(UTC) + timedelta(days=service.settings.retention_days + 1)
    deleted = await retention_job(job_context(service.settings, later))
    assert deleted == "2 raw message(s) deleted"

    confirm_address = question.message["Reply-To"]
    await send(
        service.smtp_port,
        "anna@example.com",
        [confirm_address],
        message(to=confirm_address, body="Confirm\n", message_id="<confirm@x>"),
    )
    [answer] = (await capture.wait_for(4))[3:]
    assert answer.rcpt_tos == ["anna@example.com"]
    text = " ".join(answer.text().split())
    assert "that message is no longer kept (we delete mail 30 days after reading it)" in text
    assert {c.state for c in await Commitment.all()} == {"open"}  # "drop 1" was not applied
    confirm = await InboundMessage.get(message_id="confirm@x")
    assert confirm.status == InboundStatus.PROCESSED.value
    await all_settled()
    assert len(capture.messages) == 4
