"""Redis cannot be used to run code: jobs are JSON, and a Redis password stays secret."""

from __future__ import annotations

import asyncio
import logging
import pickle
import time
from dataclasses import replace
from pathlib import Path
from urllib.parse import quote

import pytest
from arq.constants import job_key_prefix
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from mailer.queue import PROCESS_INBOUND, open_queue, redis_settings
from mailer.settings import Settings
from tests.support.capture import CaptureHandler
from tests.support.redis import redis_on_socket
from tests.support.smtpclient import message, send
from workers.service import Service


class WritesAFile:
    """What an attacker pickles: unpickling it creates ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[Path]]:
        return (Path.touch, (self.path,))


def pickled_job(marker: Path) -> bytes:
    """A process_inbound job as arq's default serializer writes it, carrying the attack."""
    now_ms = int(time.time() * 1000)
    job: dict[str, object] = {
        "t": None,
        "f": PROCESS_INBOUND,
        "a": ([WritesAFile(marker)],),
        "k": {},
        "et": now_ms,
    }
    return pickle.dumps(job)


async def test_a_pickled_job_runs_nothing_and_mail_still_flows(
    service: Service,
    settings: Settings,
    relay: tuple[CaptureHandler, int],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    capture, _ = relay
    proof = tmp_path / "proof"
    pickle.loads(pickled_job(proof))  # where pickle reads jobs, this job writes a file
    assert proof.exists()

    marker = tmp_path / "pwned"
    assert settings.redis_url is not None
    redis = Redis.from_url(settings.redis_url)
    try:
        await redis.set(job_key_prefix + "evil", pickled_job(marker))
        await redis.zadd(settings.queue_name, {"evil": int(time.time() * 1000)})
        async with asyncio.timeout(10):  # the worker takes it, fails it and drops it
            while await redis.exists(job_key_prefix + "evil") or (
                await redis.zscore(settings.queue_name, "evil") is not None
            ):
                await asyncio.sleep(0.02)
    finally:
        await redis.aclose()
    worker = service.worker
    assert worker is not None
    assert worker.jobs_failed >= 1

    reply = await send(
        service.smtp_port, "anna@example.com", ["commit@pactmail.localhost"], message()
    )
    assert reply.code == 250
    [confirmation] = await capture.wait_for(1)
    assert confirmation.message["In-Reply-To"] == "<m1@example.com>"
    assert not marker.exists()
    assert service.worker is worker  # the same worker: its loop carried on
    assert "deserializing job evil failed" in caplog.text


async def test_an_operators_redis_on_a_socket_with_a_password(
    settings: Settings,
    db: None,
    relay: tuple[CaptureHandler, int],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    capture, port = relay
    password = "p@ss/w#rd%:?x"  # every character a URL needs escaped
    escaped = quote(password, safe="")
    async with redis_on_socket(password) as sock:
        url = f"unix://:{escaped}@{sock}"
        running = Service(
            replace(settings, redis_url=url, relay=("127.0.0.1", port)),
            migrate=False,
            worker_options={"poll_delay": 0.01},
        )
        await running.start()
        try:
            reply = await send(
                running.smtp_port, "anna@example.com", ["commit@pactmail.localhost"], message()
            )
            assert reply.code == 250
            await capture.wait_for(1)
        finally:
            await running.stop()

        wrong = redis_settings(f"unix://:not-the-password-42@{sock}")
        wrong.conn_retries = 0
        # redis-py reports a refused AUTH while connecting as a ConnectionError.
        with pytest.raises(RedisConnectionError, match="invalid username-password") as refused:
            await open_queue(wrong)
    assert "not-the-password-42" not in str(refused.value)
    assert "not-the-password-42" not in repr(wrong)
    for secret in (password, escaped, "not-the-password-42"):
        assert secret not in caplog.text


def test_settings_never_show_the_redis_url(settings: Settings) -> None:
    shown = repr(replace(settings, redis_url="redis://:hunter2-hunter2@redis.internal:6379/0"))
    assert "hunter2" not in shown
