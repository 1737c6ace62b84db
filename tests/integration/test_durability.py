"""Nothing lost, nothing doubled: database and Redis outages, killed workers."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from mailer.db import open_database
from mailer.embedded_redis import EmbeddedRedis
from mailer.models import Commitment, InboundMessage, InboundStatus, OutboundMessage
from mailer.settings import Settings
from tests.integration.test_commit_flow import THREE_COMMITMENTS, wait_until_settled
from tests.support.capture import CaptureHandler
from tests.support.outage import database_outage
from tests.support.processes import service_env, start_process
from tests.support.settle import queue_drained
from tests.support.smtpclient import message, send
from workers.jobs import sweep_job
from workers.service import Service


async def test_database_down_answers_451_and_a_resend_is_processed(
    service: Service, relay: tuple[CaptureHandler, int], settings: Settings
) -> None:
    capture, _ = relay
    data = message(body=THREE_COMMITMENTS, message_id="<outage@example.com>")
    async with database_outage(settings.database_url):
        during = await send(
            service.smtp_port, "anna@example.com", ["commit@pactmail.localhost"], data
        )
    assert during.code == 451
    assert "4.3.0" in during.text

    # The sending server tries again later, as a 4xx tells it to.
    after = await send(service.smtp_port, "anna@example.com", ["commit@pactmail.localhost"], data)
    assert after.code == 250
    await capture.wait_for(1)
    [row] = await wait_until_settled(1)
    assert row.status == InboundStatus.PROCESSED.value
    assert await Commitment.all().count() == 3


async def test_redis_down_at_data_time_is_stored_then_swept(
    settings: Settings, db: None, relay: tuple[CaptureHandler, int], tmp_path: Path
) -> None:
    capture, port = relay
    own_redis = EmbeddedRedis(tmp_path)
    url = await own_redis.start()
    smtp_only = Service(
        replace(settings, redis_url=url, relay=("127.0.0.1", port)), worker=False, migrate=False
    )
    await smtp_only.start()
    try:
        own_redis.stop()  # Redis goes away with the service running
        reply = await send(
            smtp_only.smtp_port, "anna@example.com", ["commit@pactmail.localhost"], message()
        )
        assert reply.code == 250  # stored: the queue is not what makes it safe
    finally:
        await smtp_only.stop()
    await open_database(settings)
    [row] = await InboundMessage.all()
    assert row.status == InboundStatus.RECEIVED.value

    # Redis is back (a new, empty one); a worker's sweep finds the message.
    later = datetime.now(UTC) + timedelta(minutes=1)
    worker = Service(
        replace(settings, relay=("127.0.0.1", port)),
        smtp=False,
        migrate=False,
        clock=lambda: later,
        worker_options={"poll_delay": 0.01},
    )
    await worker.start()
    try:
        await capture.wait_for(1, timeout=20)
    finally:
        await worker.stop()
    await open_database(settings)
    await InboundMessage.get(id=row.id)
    assert (await InboundMessage.get(id=row.id)).status == InboundStatus.PROCESSED.value
    assert len(capture.messages) == 1


def _worker_process(settings: Settings, relay_port: int) -> subprocess.Popen[bytes]:
    env = service_env(settings, relay_port, PACTMAIL_JOB_TIMEOUT="2")
    return start_process("workers.cli", env, "worker")


async def test_a_worker_killed_mid_job_leaves_nothing_doubled(
    settings: Settings, db: None, relay: tuple[CaptureHandler, int]
) -> None:
    capture, relay_port = relay
    count = 40
    smtp_only = Service(settings, worker=False, migrate=False)
    await smtp_only.start()
    try:
        for number in range(count):
            data = message(
                body=f"Task {number} by Friday\n",
                message_id=f"<kill{number}@x>",
                sender=f"member{number}@example.com",
            )
            reply = await send(
                smtp_only.smtp_port,
                f"member{number}@example.com",
                ["commit@pactmail.localhost"],
                data,
            )
            assert reply.code == 250
    finally:
        await smtp_only.stop()
    await open_database(settings)

    first = _worker_process(settings, relay_port)
    try:
        await capture.wait_for(3, timeout=30)  # it is in the middle of the batch
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    killed_at = len(capture.messages)

    second = _worker_process(settings, relay_port)
    try:
        await _wait_all_sent(count)
        # A doubled confirmation would be sent by the time nothing is left queued.
        await queue_drained(settings)
    finally:
        second.terminate()
        second.wait(timeout=10)

    assert killed_at < count
    assert {row.status for row in await InboundMessage.all()} == {InboundStatus.PROCESSED.value}
    assert await Commitment.all().count() == count
    outbound = await OutboundMessage.all()
    assert len(outbound) == count
    recipients = [message.rcpt_tos[0] for message in capture.messages]
    assert len(recipients) == len(set(recipients)), "a confirmation was sent twice"
    # Every confirmation the database calls sent reached the relay, once. A
    # kill between recording "the final dot goes now" and hearing the relay's
    # answer leaves the row possibly sent: kept for an operator, never
    # repeated blindly (the relay usually has it, as here most of the time).
    sent = {row.to_address for row in outbound if row.status == "sent"}
    assert sent <= set(recipients)
    assert {row.status for row in outbound} <= {"sent", "possibly_sent"}
    unsure = {row.to_address for row in outbound if row.status == "possibly_sent"}
    assert set(recipients) | unsure == {f"member{number}@example.com" for number in range(count)}


async def _wait_all_sent(count: int) -> None:
    async with asyncio.timeout(90):
        while True:
            final = await OutboundMessage.filter(status__in=["sent", "possibly_sent"]).count()
            if final >= count:
                return
            await asyncio.sleep(0.2)


async def test_a_hung_redis_does_not_hold_mail_back(
    settings: Settings, db: None, tmp_path: Path
) -> None:
    own_redis = EmbeddedRedis(tmp_path)
    url = await own_redis.start()
    assert own_redis.pid is not None
    smtp_only = Service(replace(settings, redis_url=url), worker=False, migrate=False)
    await smtp_only.start()
    os.kill(own_redis.pid, signal.SIGSTOP)  # answers nothing, refuses nothing
    try:
        async with asyncio.timeout(15):
            replies = [
                await send(
                    smtp_only.smtp_port,
                    "anna@example.com",
                    ["commit@pactmail.localhost"],
                    message(message_id=f"<hung{n}@x>"),
                )
                for n in range(3)
            ]
    finally:
        os.kill(own_redis.pid, signal.SIGCONT)
        await smtp_only.stop()
        own_redis.stop()
    assert [reply.code for reply in replies] == [250, 250, 250]
    await open_database(settings)
    assert await InboundMessage.all().count() == 3  # stored; the sweep will queue them


async def test_a_send_cut_off_after_the_final_dot_is_settled_by_the_sweep(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    await send(service.smtp_port, "anna@example.com", ["help@pactmail.localhost"], message())
    [_] = await capture.wait_for(1)
    async with asyncio.timeout(10):
        while not await OutboundMessage.filter(status="sent").exists():
            await asyncio.sleep(0.05)
    row = await OutboundMessage.get()
    # As a worker killed between the final dot and the relay's answer leaves it:
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    await OutboundMessage.filter(id=row.id).update(status="data_sent", final_dot_at=long_ago)
    assert service.redis is not None
    ctx = {"settings": service.settings, "clock": lambda: datetime.now(UTC), "redis": service.redis}
    assert "1 settled" in await sweep_job(ctx)
    assert (await OutboundMessage.get(id=row.id)).status == "possibly_sent"
    assert len(capture.messages) == 1
