"""Faults, reconciled (issue 11, item 9): each test makes one fault happen, lets the
service recover as it would in production, and ends with the line

    sent N · answered 250 N · stored N · confirmed N · lost 0 · doubled 0

(tests/support/reconcile.py says what each figure counts). Every message is
genuine mail from a member, as the border MTA hands it on, so each one is
answered with a confirmation.
"""

from __future__ import annotations

import asyncio
import gc
import signal
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

import asyncpg
import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from tortoise.queryset import QuerySet

from mailer.db import migrate_database, open_database
from mailer.models import InboundMessage, OutboundMessage
from mailer.sending import send_batch
from mailer.settings import Settings
from tests.conftest import running_service
from tests.integration.test_outbound import operator
from tests.support.capture import CaptureHandler
from tests.support.database import empty_all_tables
from tests.support.outage import database_outage
from tests.support.postgres import PrivateCluster, server_binaries
from tests.support.processes import (
    free_port,
    service_env,
    start_process,
    wait_exit,
    wait_listening,
    wait_while_running,
)
from tests.support.reconcile import LOST_CONNECTION, Ledger, Reconciliation, reconcile
from tests.support.redis import RestartableRedis
from tests.support.settle import all_settled, until
from workers.jobs import sweep_job
from workers.service import Service
from workers.worker import utc_now


def report(capsys: pytest.CaptureFixture[str], fault: str, result: Reconciliation) -> None:
    """Print the line where the run's output shows it, then hold the service to it."""
    if result.listed:
        fault += f" ({result.listed} possibly sent, listed by `pactmail outbound`)"
    with capsys.disabled():
        print(f"\n{fault}: {result.line()}")
    assert result.lost == []
    assert result.doubled == []


async def sweep_later(service: Service, minutes: float = 1) -> str:
    """Run the sweep as its cron would, ``minutes`` from now: the 15-s ticks need no waiting."""
    later = datetime.now(UTC) + timedelta(minutes=minutes)
    ctx = {"settings": service.settings, "clock": lambda: later, "redis": service.redis}
    return await sweep_job(ctx)


async def test_smtp_killed_after_the_commit_and_before_the_250(
    settings: Settings,
    db: None,
    relay: tuple[CaptureHandler, int],
    capsys: pytest.CaptureFixture[str],
) -> None:
    capture, relay_port = relay
    at = replace(settings, listen_port=free_port())
    ledger = Ledger("killed-smtp")
    sender, data = ledger.new_message(1)

    dying = start_process("tests.support.dying_smtp", service_env(at, relay_port))
    try:
        await wait_listening(at.listen_port, dying)
        first = await ledger.send(at.listen_port, sender, data)
    finally:
        dying.kill()  # already dead, unless something went wrong
    assert await wait_exit(dying) == -signal.SIGKILL
    assert first.code == LOST_CONNECTION  # no 250: the sending MTA keeps the message
    assert await InboundMessage.all().count() == 1  # and so do we: committed before the kill

    # The MTA tries again later, to the service back on the same address.
    async with running_service(at, relay_port, clock=utc_now) as service:
        again = await ledger.send(at.listen_port, sender, data)
        assert again.code == 250
        await capture.wait_for(1)  # the resend is processed and confirmed
        # The first copy was never queued; the sweep finds it, a duplicate now.
        assert "swept 1 inbound" in await sweep_later(service)
        await all_settled()
        report(
            capsys,
            "SMTP process killed after the commit, before its 250",
            await reconcile(ledger, capture),
        )
    await open_database(settings)
    statuses = sorted(row.status for row in await InboundMessage.all())
    assert statuses == ["duplicate", "processed"]


async def send_all(ledger: Ledger, port: int, count: int, first: int = 0) -> None:
    """``count`` members (from number ``first``) send one message each; all are answered 250."""
    for number in range(first, first + count):
        reply = await ledger.send(port, *ledger.new_message(number))
        assert reply.code == 250, reply


# How the relay fails the first confirmation: 421 at its greeting; 421 to the
# final dot, closing the connection; 451 to the final dot; or no answer to
# the final dot at all, the connection cut.
RELAY_FAULTS = {
    "busy": "answering 421 at its greeting",
    "421": "answering 421 to the final dot",
    "451": "answering 451 to the final dot",
    "drop": "hanging up after the final dot",
}


@pytest.mark.parametrize("fault", RELAY_FAULTS)
async def test_the_relay_fails_a_send(
    fault: str,
    service: Service,
    relay: tuple[CaptureHandler, int],
    capsys: pytest.CaptureFixture[str],
) -> None:
    capture, relay_port = relay
    if fault == "busy":
        capture.busy_next = 1
    elif fault == "drop":
        capture.drop_next = 1
    else:
        capture.fail_next = [f"{fault} 4.3.0 try again later"]
    ledger = Ledger(f"relay-{fault}")
    await send_all(ledger, service.smtp_port, 3)
    await all_settled(timeout=20)  # a 4xx is retried after 2 s
    rows = await OutboundMessage.all().order_by("id")
    if fault == "drop":  # the relay may have it: never sent again on the service's own
        assert Counter(row.status for row in rows) == {"sent": 2, "possibly_sent": 1}
    elif fault == "busy":  # refused before any message: each row sent on its first attempt
        assert capture.busy_next == 0  # the relay did turn one session away
        assert [(row.status, row.attempts) for row in rows] == [("sent", 1)] * 3
    else:  # refused for now: sent again later, once
        assert [(row.status, row.attempts) for row in rows].count(("sent", 2)) == 1
        assert {row.status for row in rows} == {"sent"}

    # Every send job may run twice: nothing goes a second time, the unsure one included.
    await send_batch([row.id for row in rows], service.settings, datetime.now(UTC), seconds=10)
    assert "1 settled" not in await sweep_later(service, minutes=5)
    if fault == "drop":  # the operator sees it, checks the relay's log, and decides
        listing = await operator(service.settings, relay_port)
        [unsure] = [row for row in rows if row.status == "possibly_sent"]
        assert f"{unsure.id}  possibly_sent" in listing
        assert not capture.messages[0].answered
    result = await reconcile(ledger, capture)
    assert result.confirmed == 3
    report(capsys, f"relay {RELAY_FAULTS[fault]}", result)


async def test_a_worker_killed_while_the_relay_has_the_data_and_has_not_answered(
    settings: Settings,
    db: None,
    relay: tuple[CaptureHandler, int],
    capsys: pytest.CaptureFixture[str],
) -> None:
    capture, relay_port = relay
    ledger = Ledger("killed-worker")
    smtp_only = Service(settings, worker=False, migrate=False)
    await smtp_only.start()
    try:
        await send_all(ledger, smtp_only.smtp_port, 3)
    finally:
        await smtp_only.stop()

    capture.hold_next = 1  # the first confirmation's final dot is taken, never answered
    worker = start_process("workers.cli", service_env(settings, relay_port), "worker")
    try:
        await wait_while_running(capture.unanswered, worker)
    finally:
        worker.kill()  # kill -9, while it waits for the relay's answer
    assert await wait_exit(worker) == -signal.SIGKILL
    await open_database(settings)
    [held] = await OutboundMessage.filter(status="data_sent")  # the final dot was recorded

    async with running_service(settings, relay_port, clock=utc_now) as service:
        # arq runs the killed job again: what it had not reached goes now; the
        # held row does not (its final dot is recent: another send may be at it).
        every = cast(list[int], await OutboundMessage.all().values_list("id", flat=True))
        await send_batch(every, service.settings, datetime.now(UTC), seconds=10)
        assert len(capture.messages) == 3
        # Once no send can still be under way, the sweep calls it possibly sent.
        assert "1 settled" in await sweep_later(service, minutes=2)
        await all_settled()
        assert (await OutboundMessage.get(id=held.id)).status == "possibly_sent"
        listing = await operator(settings, relay_port)
        assert f"{held.id}  possibly_sent" in listing
        await send_batch(every, service.settings, datetime.now(UTC), seconds=10)
        assert [captured.answered for captured in capture.messages] == [False, True, True]
        report(capsys, "worker killed mid-send", await reconcile(ledger, capture))


async def test_redis_restarted_and_flushed(
    settings: Settings,
    db: None,
    relay: tuple[CaptureHandler, int],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    capture, relay_port = relay
    redis = RestartableRedis(tmp_path)
    await redis.start()
    ledger = Ledger("redis-flushed")
    own_redis = replace(settings, redis_url=redis.url)
    try:
        async with running_service(own_redis, relay_port, clock=utc_now) as service:
            # Confirmations wait in Redis for their next try: the relay says "later".
            capture.fail_next = ["451 4.3.0 try again later"] * 1000
            await send_all(ledger, service.smtp_port, 3)
            refused = OutboundMessage.filter(attempts__gte=1, status="pending")
            await until(lambda: _count_is(refused, 3))
            redis.kill()
            # Mail keeps coming while Redis is away: stored and answered 250, queued nowhere.
            await send_all(ledger, service.smtp_port, 2, first=3)
            await redis.start()  # back, and empty: every job and retry is gone
            capture.fail_next = []
            swept = await _once_redis_answers(lambda: sweep_later(service))
            assert swept.startswith("swept 2 inbound, 3 outbound"), swept
            await all_settled(timeout=30)
            report(capsys, "Redis restarted and flushed", await reconcile(ledger, capture))
    finally:
        redis.kill()
    # Workers that Redis took down were replaced; none left its connections open
    # (pytest turns the ResourceWarning of one collected here into a failure).
    gc.collect()


async def _count_is(rows: QuerySet[OutboundMessage], count: int) -> bool:
    return await rows.count() == count


async def _once_redis_answers(call: Callable[[], Awaitable[str]]) -> str:
    """``call()``'s result, tried again while the pool's connections from before fail."""
    async with asyncio.timeout(15):
        while True:
            try:
                return await call()
            except RedisConnectionError:
                await asyncio.sleep(0.1)


Outage = Callable[[], AbstractAsyncContextManager[None]]
# A message that names a partner is processed alone, in a transaction of its own.
PARTNER_LINE = "- Ask my partner to check it\n"


@pytest.fixture
async def stoppable_database(
    settings: Settings, database_url: str
) -> AsyncIterator[tuple[Settings, Outage, str]]:
    """Settings on a database the test may take away: what that means, and its name.

    PostgreSQL: a private cluster, stopped and started. SQLite has no server
    to stop; its outage is another process holding the write lock.
    """
    if database_url.startswith("sqlite"):
        yield settings, lambda: database_outage(database_url), "SQLite locked"
        return
    binaries = server_binaries()
    assert binaries is not None, "the PostgreSQL server (initdb, pg_ctl) is not installed"
    cluster = PrivateCluster(binaries)
    try:
        await cluster.create()
        private = replace(settings, database_url=cluster.url)
        await migrate_database(private)
        yield private, cluster.stopped, "PostgreSQL stopped and started"
    finally:
        cluster.remove()


async def test_the_database_goes_away_and_comes_back(
    stoppable_database: tuple[Settings, Outage, str],
    relay: tuple[CaptureHandler, int],
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings, outage, fault = stoppable_database
    capture, relay_port = relay
    ledger = Ledger("database-away")
    async with running_service(settings, relay_port, clock=utc_now) as service:
        await empty_all_tables()  # SQLite's file is the whole session's
        port = service.smtp_port
        # Three confirmations wait for their second try, 2 s on: the relay said "later".
        capture.fail_next = ["451 4.3.0 try again later"] * 3
        await send_all(ledger, port, 3)
        await until(lambda: _count_is(OutboundMessage.filter(attempts=1, status="pending"), 3))
        assert service.worker is not None
        retried = service.worker.jobs_retried
        async with AsyncExitStack() as in_flight:
            if settings.database_url.startswith("postgres"):
                # A message's transaction waits inside PostgreSQL when it stops
                # (SQLite's lock-holder is another process: nothing in flight).
                admin = await in_flight.enter_async_context(
                    _row_held(settings.database_url, "member0@example.com")
                )
                await ledger.send(port, *ledger.new_message(6, by=0, also=PARTNER_LINE))
                await _waiting_for_a_lock(admin)
            await in_flight.enter_async_context(outage())
            # One message: a locked SQLite answers after its 5-s busy timeout.
            sender, data = ledger.new_message(3)
            reply = await ledger.send(port, sender, data)
            assert (reply.code, reply.text[:5]) == (451, "4.3.0"), reply
            # A send job's retry meets the outage, and is put off to a later try.
            await until(lambda: _more_retried(service, retried), timeout=20)
        # The sending MTA tries again; the jobs try again (and the sweep is there too).
        await until(lambda: _accepted(ledger, port, sender, data), timeout=30)
        await sweep_later(service)
        await all_settled(timeout=30)
        report(capsys, fault, await reconcile(ledger, capture))


async def _more_retried(service: Service, than: int) -> bool:
    return service.worker is not None and service.worker.jobs_retried > than


async def _accepted(ledger: Ledger, port: int, sender: str, data: bytes) -> bool:
    return (await ledger.send(port, sender, data)).code == 250


async def test_a_processing_transaction_cut_off_by_the_database(
    settings: Settings,
    db: None,
    relay: tuple[CaptureHandler, int],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The database fails a message's transaction midway, then answers again at once.

    PostgreSQL: the session is ended while the transaction waits for a row
    (what a failover, a pooler's restart or pg_terminate_backend does);
    SQLite: another process holds the write lock. Either is our fault, not
    the message's: it is processed later, never recorded as failed.
    """
    capture, relay_port = relay
    ledger = Ledger("cut-off")
    async with running_service(settings, relay_port, clock=utc_now) as service:
        await ledger.send(service.smtp_port, *ledger.new_message(0))
        await all_settled()
    smtp_only = Service(settings, worker=False, migrate=False)
    await smtp_only.start()
    try:
        again = ledger.new_message(1, by=0, also=PARTNER_LINE)
        assert (await ledger.send(smtp_only.smtp_port, *again)).code == 250
    finally:
        await smtp_only.stop()

    if settings.database_url.startswith("postgres"):
        async with (
            _row_held(settings.database_url, "member0@example.com") as admin,
            running_service(settings, relay_port, clock=utc_now),
        ):
            waiting = await _waiting_for_a_lock(admin)
            await admin.execute("SELECT pg_terminate_backend($1)", waiting)
            await admin.execute("ROLLBACK")  # the row is free for the next try
            await all_settled(timeout=30)
            report(capsys, "PostgreSQL ending a session", await reconcile(ledger, capture))
    else:
        async with running_service(settings, relay_port, clock=utc_now) as service:
            async with database_outage(settings.database_url):
                await until(lambda: _retried(service), timeout=20)
            await all_settled(timeout=30)
            report(capsys, "SQLite locked mid-processing", await reconcile(ledger, capture))


@asynccontextmanager
async def _row_held(url: str, email: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection in a transaction that holds the person row of ``email`` locked."""
    admin = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        await admin.execute("BEGIN")
        await admin.execute("SELECT 1 FROM person WHERE email = $1 FOR UPDATE", email)
        yield admin
    finally:
        admin.terminate()  # whether or not the server is still there


async def _waiting_for_a_lock(admin: asyncpg.Connection) -> int:
    """The process id of the first session (other than ``admin``) that waits for a lock."""
    async with asyncio.timeout(15):
        while True:
            # Inside a transaction the activity view is a snapshot: taken afresh each time.
            await admin.execute("SELECT pg_stat_clear_snapshot()")
            pid = await admin.fetchval(
                "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = current_database() AND pid <> pg_backend_pid()"
            )
            if pid is not None:
                return int(pid)
            await asyncio.sleep(0.05)


async def _retried(service: Service) -> bool:
    return service.worker is not None and service.worker.jobs_retried > 0
