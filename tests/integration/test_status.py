"""`pactmail status`: the service's figures, and exit 1 when an operator is needed."""

from __future__ import annotations

import asyncio
import re
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from arq import cron

from mailer.models import CronRun, InboundMessage, OutboundMessage
from mailer.queue import enqueue_inbound, open_queue, redis_settings
from mailer.settings import Settings
from tests.support.capture import CaptureHandler
from tests.support.cli import ROOT, cli_command, cli_env
from tests.support.service_process import pactmail_run, service_env
from workers.cron_runs import recorded

CRON_JOBS = ["digests", "invitations", "recurring", "retention", "summaries", "sweep"]


def status(env: dict[str, str], cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cli_command("status"), env=env, cwd=cwd, capture_output=True, text=True, timeout=60
    )


def status_env(settings: Settings, relay_port: int) -> dict[str, str]:
    """The command pointed at the test's database, Redis and queue."""
    assert settings.redis_url is not None
    return {
        **cli_env(settings, relay_port),
        "PACTMAIL_REDIS_URL": settings.redis_url,
        "PACTMAIL_QUEUE": settings.queue_name,
    }


async def recent_cron_runs(now: datetime) -> None:
    for name in CRON_JOBS:
        await CronRun.create(
            name=name, interval_seconds=900, last_finished_at=now, last_result="0 done"
        )


async def stored(
    status_value: str,
    *,
    received_at: datetime | None = None,
    processed_at: datetime | None = None,
) -> InboundMessage:
    row = await InboundMessage.create(
        mail_from="anna@example.com",
        rcpt_tos=["commit@pactmail.localhost"],
        content=b"Subject: x\r\n\r\nx\r\n",
        size=17,
        status=status_value,
        processed_at=processed_at,
    )
    if received_at is not None:
        await InboundMessage.filter(id=row.id).update(received_at=received_at)
    return row


async def outbound(status_value: str, key: str, *, created_at: datetime | None = None) -> None:
    row = await OutboundMessage.create(
        idempotency_key=key,
        template="confirmation",
        to_address="anna@example.com",
        context={},
        message_id=f"<{key}@pactmail.localhost>",
        status=status_value,
    )
    if created_at is not None:
        await OutboundMessage.filter(id=row.id).update(created_at=created_at)


async def test_all_well_is_exit_0_with_the_queue_and_every_figure(
    settings: Settings, relay: tuple[CaptureHandler, int], db: None
) -> None:
    now = datetime.now(UTC)
    await recent_cron_runs(now)
    waiting = await stored("received")
    assert settings.redis_url is not None
    queue = await open_queue(redis_settings(settings.redis_url))
    try:
        await enqueue_inbound(queue, settings.queue_name, [waiting.id])
    finally:
        await queue.aclose()

    shown = await asyncio.to_thread(status, status_env(settings, relay[1]))

    assert shown.returncode == 0, shown.stdout + shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[1] == "queue:     1 job(s) waiting"
    assert lines[2].startswith("inbound:   1 waiting (oldest unprocessed received ")
    assert lines[2].endswith("; 0 failed; 0 quarantined")
    assert lines[3] == "outbound:  0 pending; 0 being sent; 0 possibly sent; 0 failed"
    assert lines[4] == "bounces:   0 address(es) suspended"
    assert [line.split()[0] for line in lines[6:12]] == CRON_JOBS
    assert lines[12] == "signing:   unsigned (PACTMAIL_DKIM_SELECTOR is empty)"  # no problem
    assert lines[-1] == "all well"


async def test_what_needs_an_operator_is_said_in_words_and_exit_1(
    settings: Settings, relay: tuple[CaptureHandler, int], db: None
) -> None:
    now = datetime.now(UTC)
    await recent_cron_runs(now)
    await CronRun.filter(name="digests").update(last_finished_at=now - timedelta(minutes=31))
    await CronRun.filter(name="sweep").update(
        last_finished_at=now - timedelta(seconds=15),
        last_failed_at=now,
        last_error="ConnectionError('Redis went away')",
    )
    await stored("received", received_at=now - timedelta(minutes=6))
    await stored("failed", processed_at=now - timedelta(hours=1))
    await stored("quarantined", processed_at=now)
    # Failures two days old are figures, no longer news: nothing true clears them.
    await stored("failed", processed_at=now - timedelta(days=2))
    await outbound("failed", "old", created_at=now - timedelta(days=2))
    await outbound("possibly_sent", "a", created_at=now - timedelta(days=2))
    await outbound("failed", "b")
    await outbound("sent", "c")

    shown = await asyncio.to_thread(status, status_env(settings, relay[1]))

    assert shown.returncode == 1
    assert "outbound:  0 pending; 0 being sent; 1 possibly sent; 2 failed" in shown.stdout
    assert "; 2 failed; 1 quarantined" in shown.stdout
    problems = shown.stdout.split("needs an operator:\n")[1].splitlines()
    assert problems == [
        "  - the oldest unprocessed inbound message has waited 6 min (more than 5 min): "
        "are workers running?",
        "  - 1 inbound message(s) failed in the last 24 h: `pactmail inbound` lists them",
        "  - 1 inbound message(s) quarantined in the last 24 h: `pactmail inbound` lists them",
        "  - 1 outbound email(s) possibly sent: `pactmail outbound` lists them",
        "  - 1 outbound email(s) failed in the last 24 h: `pactmail outbound` lists them",
        "  - cron job digests last finished 31 min ago; it runs every 15 min",
        "  - cron job sweep failed at its last run: ConnectionError('Redis went away')",
    ]


@pytest.mark.parametrize(
    ("setting", "value", "says"),
    [
        ("PACTMAIL_REDIS_URL", "redis://127.0.0.1:1/0", "cannot read the queue in Redis"),
        (
            "PACTMAIL_DATABASE_URL",
            "postgres://nobody:pw@127.0.0.1:1/x",
            "cannot read the database (PACTMAIL_DATABASE_URL)",
        ),
    ],
)
def test_a_server_down_is_a_finding_exit_1_not_a_traceback(
    tmp_path: Path, setting: str, value: str, says: str
) -> None:
    shown = status(service_env(tmp_path, **{setting: value}), cwd=tmp_path)
    assert shown.returncode == 1
    assert says in shown.stdout
    assert "Traceback" not in shown.stdout + shown.stderr
    assert ":pw@" not in shown.stdout


async def test_beside_pactmail_run_it_reads_the_embedded_redis_and_never_starts_one(
    tmp_path: Path,
) -> None:
    async with pactmail_run(tmp_path) as service:
        # The cron jobs run as the worker starts; each records its run.
        async with asyncio.timeout(30):
            while (shown := await asyncio.to_thread(status, service.env, tmp_path)).returncode:
                await asyncio.sleep(0.2)
        # A number, read from the embedded Redis (a cron job may be queued just now).
        assert re.search(r"^queue:     \d+ job\(s\) waiting$", shown.stdout, re.MULTILINE)
        assert shown.stdout.endswith("all well\n")
    after = await asyncio.to_thread(status, service.env, tmp_path)
    assert after.returncode == 1
    assert "queue:     unknown" in after.stdout
    assert "no running `pactmail run` found" in after.stdout
    assert not (tmp_path / "var" / "redis.url").exists()  # status started no Redis


async def test_a_cron_job_records_its_run_and_its_failure(db: None) -> None:
    async def fine(ctx: dict[str, Any]) -> str:
        return "3 done"

    async def broken(ctx: dict[str, Any]) -> str:
        raise RuntimeError("the relay went away")

    [ok, bad] = recorded(
        [cron(fine, name="fine", minute={0, 30}), cron(broken, name="broken", second={0, 30})]
    )
    assert await ok.coroutine({}) == "3 done"
    with pytest.raises(RuntimeError):
        await bad.coroutine({})

    runs = {run.name: run for run in await CronRun.all()}
    assert (runs["fine"].last_result, runs["fine"].interval_seconds) == ("3 done", 1800)
    assert runs["fine"].last_finished_at is not None
    assert runs["broken"].last_finished_at is None
    assert runs["broken"].interval_seconds == 30
    assert runs["broken"].last_error == "RuntimeError('the relay went away')"


def test_a_url_file_it_cannot_read_is_said_so(tmp_path: Path) -> None:
    (tmp_path / "var" / "redis.url").mkdir(parents=True)  # as unreadable as a file can be to root
    shown = status(service_env(tmp_path), cwd=tmp_path)
    assert shown.returncode == 1
    assert f"queue unknown: cannot read {tmp_path / 'var' / 'redis.url'} (Is a directory)" in (
        shown.stdout
    )
