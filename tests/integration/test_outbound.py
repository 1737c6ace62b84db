"""Outbound mail through a relay: retries, refusals, and never a second copy."""

from __future__ import annotations

import asyncio
import socket
import subprocess
from datetime import UTC, datetime

import pytest

from mailer import emails
from mailer.delivery import RelaySession, TransientDeliveryError
from mailer.models import OutboundMessage
from mailer.outbound import queue_email
from mailer.queue import enqueue_outbound
from mailer.sending import _send_one
from mailer.settings import Settings
from tests.support.capture import CaptureHandler
from tests.support.cli import ROOT, cli_command, cli_env
from tests.support.settle import queue_drained
from tests.support.smtpclient import message, send
from workers.service import Service


async def wait_for_status(status: str, timeout: float = 20.0) -> OutboundMessage:
    async with asyncio.timeout(timeout):
        while True:
            row = await OutboundMessage.filter(status=status).first()
            if row is not None:
                return row
            await asyncio.sleep(0.05)


async def test_a_temporary_refusal_is_retried(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    capture.fail_next = ["451 4.3.0 try again later"]
    await send(service.smtp_port, "anna@example.com", ["help@pactmail.localhost"], message())
    [delivered] = await capture.wait_for(1, timeout=20)
    row = await wait_for_status("sent")
    assert row.attempts == 2
    assert delivered.rcpt_tos == ["anna@example.com"]


async def test_a_permanent_refusal_is_recorded_not_retried(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    capture.fail_next = ["550 5.1.1 no such user"]
    await send(service.smtp_port, "anna@example.com", ["help@pactmail.localhost"], message())
    row = await wait_for_status("failed")
    assert "550 5.1.1" in row.last_error
    await queue_drained(service.settings)
    assert capture.messages == []  # no retry was queued, nor sent


async def test_a_sent_message_is_never_sent_again(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    await send(service.smtp_port, "anna@example.com", ["help@pactmail.localhost"], message())
    await capture.wait_for(1)
    row = await wait_for_status("sent")
    assert service.redis is not None
    # The job runs again, as arq may run any job twice.
    await enqueue_outbound(service.redis, service.settings.queue_name, [row.id])
    await queue_drained(service.settings)
    assert len(capture.messages) == 1


async def test_outgoing_mail_carries_the_headers_a_mail_system_expects(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    await send(
        service.smtp_port,
        "anna@example.com",
        ["help@pactmail.localhost"],
        message(message_id="<asked@example.com>"),
    )
    [sent] = await capture.wait_for(1)
    headers = sent.message
    assert headers["Message-ID"].endswith("@pactmail.localhost>")
    assert headers["Date"]
    assert headers["Auto-Submitted"] == "auto-replied"
    assert headers["In-Reply-To"] == "<asked@example.com>"
    assert headers.get_content_type() == "multipart/alternative"
    html = headers.get_body(preferencelist=("html",))
    assert html is not None
    assert "<html" in html.get_content()


async def test_a_failed_attempt_never_reverts_a_row_another_job_has_at_the_relay(
    settings: Settings, db: None
) -> None:
    row = await queue_email(
        key="raced", email=emails.Help(), to="anna@example.com", domain=settings.domain
    )
    stale = await OutboundMessage.get(id=row.id)  # as a second job loaded it: pending
    now = datetime.now(UTC)
    # The first job marked its final dot and the relay took it; its "sent"
    # is recorded at the end of its batch.
    await OutboundMessage.filter(id=row.id).update(status="data_sent", final_dot_at=now)
    with socket.socket() as probe:  # a relay that is down for the second job
        probe.bind(("127.0.0.1", 0))
        down = ("127.0.0.1", probe.getsockname()[1])
    async with RelaySession(down, local_hostname=settings.domain) as session:
        with pytest.raises(TransientDeliveryError):
            await _send_one(session, stale, b"Subject: x\r\n\r\nx\r\n", settings, now, 5.0)
    after = await OutboundMessage.get(id=row.id)
    assert after.status == "data_sent"  # not pending: a retry would send it again
    assert after.last_error == ""


async def operator(settings: Settings, relay_port: int, *args: str, ok: bool = True) -> str:
    """``pactmail outbound ARGS`` as an operator runs it, beside the service."""
    process = await asyncio.create_subprocess_exec(
        *cli_command("outbound", *args),
        env=cli_env(settings, relay_port),
        cwd=ROOT,
        stdout=subprocess.PIPE,
    )
    output, _ = await process.communicate()
    assert process.returncode == (0 if ok else 1)  # 1: not all done as asked
    return output.decode()


async def test_an_operator_lists_unsettled_mail_and_sends_or_settles_each_once(
    db: None, relay: tuple[CaptureHandler, int], settings: Settings
) -> None:
    capture, relay_port = relay
    rows = {}
    for status in ("possibly_sent", "failed", "sent"):
        rows[status] = await queue_email(
            key=f"help:{status}", email=emails.Help(), to=f"{status}@example.com",
            domain=settings.domain,
        )  # fmt: skip
        await OutboundMessage.filter(id=rows[status].id).update(
            status=status, last_error=f"was {status}"
        )
    listing = await operator(settings, relay_port)
    assert f"{rows['possibly_sent'].id}  possibly_sent" in listing
    assert f"{rows['failed'].id}  failed" in listing
    assert " sent@example.com" not in listing

    maybe, sent = rows["possibly_sent"].id, rows["sent"].id
    resent = await operator(settings, relay_port, "--resend", str(maybe), str(sent), ok=False)
    assert f"{maybe}: sent to the relay" in resent
    assert f"{sent}: not possibly sent or failed; left alone" in resent  # never twice
    [delivered] = await capture.wait_for(1)
    assert delivered.rcpt_tos == ["possibly_sent@example.com"]

    failed = rows["failed"].id
    assert (
        await operator(settings, relay_port, "--mark-sent", str(failed)) == "1 marked delivered\n"
    )
    assert (await OutboundMessage.get(id=failed)).status == "sent"
    again = await operator(settings, relay_port, "--resend", str(maybe), ok=False)
    assert f"{maybe}: not possibly sent or failed; left alone" in again
    assert await operator(settings, relay_port) == "no outbound mail waits for an operator\n"
    assert len(capture.messages) == 1
