"""Poison messages (issue 11, item 3): read within bounds, set aside, never queued for ever.

The service runs as ``pactmail run`` does, SMTP server and worker in one
event loop, while a prober opens SMTP sessions every few milliseconds and
times each greeting and EHLO: parsing happens in processes of its own, so
the server answers however hard a message is to read.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from mailer.db import open_database
from mailer.failures import MAX_TRIES
from mailer.models import InboundMessage, InboundStatus
from mailer.parsing.caps import MAX_LINES, MAX_MIME_PARTS
from mailer.reading import Reader
from mailer.settings import Settings
from mailer.trust.resolver import TableResolver
from tests.support import slow_parse
from tests.support.capture import CaptureHandler
from tests.support.crafted import forwarded_note_with_bullets, message_with_parts
from tests.support.smtpclient import message, send, through_border
from workers.jobs import sweep_job
from workers.service import Service

ANNA = "anna@example.com"
EHLO_BOUND = 0.1  # seconds: the bound for an EHLO answered during parsing


# An MTA elsewhere: the crafted mail must not be sent by a thread of the
# process under test, whose own work on 7 MB (smtplib's dot-stuffing, one
# call into C) would hold the interpreter and stall the server's loop.
_SENDER = """
import smtplib, sys
port, mail_from, to, path = sys.argv[1:]
with smtplib.SMTP("127.0.0.1", int(port), timeout=120) as client:
    client.ehlo("mta.example")
    client.mail(mail_from)
    client.rcpt(to)
    code, _ = client.data(open(path, "rb").read())
print(code)
"""


async def send_from_elsewhere(port: int, to: str, data: bytes, folder: Path) -> int:
    """Send as the border MTA would, from a process of its own; the reply code to DATA."""
    path = folder / f"{abs(hash(data))}.eml"
    path.write_bytes(through_border(data))
    sender = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _SENDER, str(port), ANNA, to, str(path),
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    output, _ = await sender.communicate()
    return int(output)


@dataclass
class MovingClock:
    """The service's clock, moved on by the test to run its sweeps as if later."""

    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __call__(self) -> datetime:
        return self.now

    def later(self, minutes: int = 1) -> None:
        self.now += timedelta(minutes=minutes)


@dataclass
class Prober:
    """Times an SMTP greeting and EHLO, again and again, until stopped."""

    port: int
    seconds: list[float] = field(default_factory=list)

    async def run(self) -> None:
        while True:
            started = time.perf_counter()
            reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
            try:
                await reader.readuntil(b"\r\n")  # 220 greeting
                writer.write(b"EHLO prober.example\r\n")
                await writer.drain()
                while not (await reader.readuntil(b"\r\n")).startswith(b"250 "):
                    pass
                self.seconds.append(time.perf_counter() - started)
                writer.write(b"QUIT\r\n")
                await writer.drain()
            finally:
                writer.close()
                with contextlib.suppress(Exception):  # cancelled, or the server went first
                    await writer.wait_closed()
            await asyncio.sleep(0.02)


@asynccontextmanager
async def probing(port: int) -> AsyncIterator[Prober]:
    prober = Prober(port)
    task = asyncio.create_task(prober.run())
    try:
        yield prober
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


@asynccontextmanager
async def run_service(
    settings: Settings, relay_port: int, clock: MovingClock, reader: Reader
) -> AsyncIterator[Service]:
    """``pactmail run``'s shape; no cron job runs: the test runs the sweep at its times.

    The objects the test process holds before the service starts (pytest's,
    some 100 ms for a full garbage collection here against some 25 ms in a
    ``pactmail`` process) are left out of the collector's passes while it
    runs: the EHLO times measured are the service's, not the harness's.
    """
    gc.freeze()
    service = Service(
        replace(settings, relay=("127.0.0.1", relay_port)),
        migrate=False,
        clock=clock,
        worker_options={"poll_delay": 0.01, "cron_jobs": False, "reader": reader},
        resolver=TableResolver(),
    )
    await service.start()
    try:
        yield service
    finally:
        await service.stop()
        gc.unfreeze()


async def sweep(service: Service, clock: MovingClock) -> str:
    """One run of the sweep, a minute after the last: every message waiting is old enough."""
    clock.later()
    assert service.redis is not None
    return await sweep_job({"settings": service.settings, "clock": clock, "redis": service.redis})


async def worker_idle(service: Service) -> bool:
    """No job running or queued: a job queued now runs anew (arq skips an id still known)."""
    assert service.worker is not None
    assert service.redis is not None
    running = any(not task.done() for task in service.worker.tasks.values())
    return not running and not await service.redis.zcard(service.settings.queue_name)


async def until(condition: Callable[[], object], timeout: float = 30.0) -> None:
    async with asyncio.timeout(timeout):
        while not await condition():  # type: ignore[misc]
            await asyncio.sleep(0.02)


async def the_row() -> InboundMessage:
    """The one message of the test (its Message-ID is stored only once it is processed)."""
    return await InboundMessage.get()


async def test_the_crafted_messages_are_answered_plainly_at_once_by_a_cap(
    settings: Settings, db: None, relay: tuple[CaptureHandler, int], tmp_path: Path
) -> None:
    capture, relay_port = relay
    clock = MovingClock()
    # Taken first, by the SMTP server alone: aiosmtpd reads the lines of a
    # DATA it has in its buffer without yielding, so taking 7 MB of short
    # lines holds the loop for a while; what is measured here is parsing.
    taking = Service(settings, worker=False, migrate=False)
    await taking.start()
    try:
        for data, to in (
            (forwarded_note_with_bullets(200_000), "notes@pactmail.localhost"),
            (message_with_parts(200_000), "commit@pactmail.localhost"),
        ):
            assert await send_from_elsewhere(taking.smtp_port, to, data, tmp_path) == 250
    finally:
        await taking.stop()
    await open_database(settings)
    reader = Reader()
    async with run_service(settings, relay_port, clock, reader) as service:
        # Their jobs were queued as they were taken: the worker is at them now.
        async with probing(service.smtp_port) as prober:
            answers = await capture.wait_for(2, timeout=60)
        rows = await InboundMessage.all().order_by("id")
        # Answered, once each, on the first try; nothing left for the sweep.
        for _ in range(3):
            assert (await sweep(service, clock)).startswith("swept 0 inbound")
    assert [(r.status, r.attempts) for r in rows] == [("processed", 1), ("processed", 1)]
    assert f"more than {MAX_LINES:,} lines" in rows[0].reason
    assert f"more than {MAX_MIME_PARTS:,} parts" in rows[1].reason
    assert len(capture.messages) == 2
    assert [a.rcpt_tos for a in answers] == [[ANNA], [ANNA]]
    assert "more than we read in one message" in answers[0].text()
    assert prober.seconds, "no EHLO answered while the messages were processed"
    assert max(prober.seconds) < EHLO_BOUND, sorted(prober.seconds)[-5:]


async def test_a_message_whose_parse_overruns_is_quarantined_after_five_tries(
    settings: Settings, db: None, relay: tuple[CaptureHandler, int]
) -> None:
    capture, relay_port = relay
    clock = MovingClock()
    # The real parser, made to loop for ever on this message (tests/support/slow_parse.py).
    reader = Reader(processes=1, timeout=0.5, parse=slow_parse.parse_or_misbehave)
    looping = message(
        message_id="<loops@example.com>",
        body=slow_parse.HANG.decode() + "\nRun 5 km by Friday\n",
    )
    async with run_service(settings, relay_port, clock, reader) as service:
        async with probing(service.smtp_port) as prober:
            reply = await send(service.smtp_port, ANNA, ["commit@pactmail.localhost"], looping)
            assert reply.code == 250
            for tries in range(1, MAX_TRIES + 1):
                if tries > 1:  # the first came from taking the message
                    assert (await sweep(service, clock)).startswith("swept 1 inbound")
                await until(lambda: _settled_try(tries))  # noqa: B023 (awaited here)
                assert (await the_row()).attempts == tries
                await until(lambda: worker_idle(service))
            [told] = await capture.wait_for(1)
        quarantined = await the_row()
        # Never queued again, however often the sweep runs.
        for _ in range(3):
            assert (await sweep(service, clock)).startswith("swept 0 inbound")
        assert (await the_row()).attempts == MAX_TRIES
    assert quarantined.status == InboundStatus.QUARANTINED.value
    assert quarantined.attempts == MAX_TRIES
    assert "parsing took over" in quarantined.error
    assert told.rcpt_tos == [ANNA]
    assert "Something went wrong on our side" in told.text()
    assert len(capture.messages) == 1  # told once
    assert reader.started >= MAX_TRIES  # each overrun killed its process
    assert len(prober.seconds) > 10
    assert max(prober.seconds) < EHLO_BOUND, sorted(prober.seconds)[-5:]


async def _settled_try(tries: int) -> bool:
    found = await the_row()
    if tries < MAX_TRIES:
        return found.reason.startswith(f"try {tries} of {MAX_TRIES} failed")
    return found.status == InboundStatus.QUARANTINED.value


async def test_tries_that_never_finished_count_and_the_sender_is_told_once(
    settings: Settings, db: None, relay: tuple[CaptureHandler, int]
) -> None:
    capture, relay_port = relay
    clock = MovingClock()
    reader = Reader(processes=1, timeout=5.0, parse=slow_parse.parse_or_misbehave)
    dying = message(message_id="<dies@example.com>", body=slow_parse.DIE.decode() + "\n")
    async with run_service(settings, relay_port, clock, reader) as service:
        reply = await send(service.smtp_port, ANNA, ["commit@pactmail.localhost"], dying)
        assert reply.code == 250

        async def first_try_failed() -> bool:
            return (await the_row()).reason.startswith("try 1 of")

        await until(first_try_failed)
        assert "parse process ended" in (await the_row()).error
        # As a worker killed mid-parse leaves it: the tries counted, no error kept.
        await InboundMessage.filter(id=(await the_row()).id).update(attempts=MAX_TRIES, error="")
        await until(lambda: worker_idle(service))
        assert (await sweep(service, clock)).startswith("swept 1 inbound")

        async def set_aside() -> bool:
            return (await the_row()).status == "quarantined"

        await until(set_aside)
        [told] = await capture.wait_for(1)
        for _ in range(2):
            assert (await sweep(service, clock)).startswith("swept 0 inbound")
        quarantined = await the_row()
    assert quarantined.attempts == MAX_TRIES
    assert "never finished" in quarantined.error
    assert told.rcpt_tos == [ANNA]
    assert len(capture.messages) == 1
