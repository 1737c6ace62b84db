"""Redis cannot be used to run code: the embedded one asks for a password; jobs are JSON."""

from __future__ import annotations

import asyncio
import logging
import pickle
import stat
import time
from dataclasses import replace
from pathlib import Path
from urllib.parse import quote

import pytest
from arq.constants import job_key_prefix
from redis.asyncio import Redis
from redis.exceptions import AuthenticationError
from redis.exceptions import ConnectionError as RedisConnectionError

from mailer.embedded_redis import AUTH_FILE, REDIS_DIR, URL_FILE, EmbeddedRedis
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


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


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


async def test_the_embedded_redis_refuses_whoever_lacks_its_password(tmp_path: Path) -> None:
    embedded = EmbeddedRedis(tmp_path)
    url = await embedded.start()
    try:
        port = redis_settings(url).port
        for password in (None, "a-guess"):
            attacker = Redis(host="127.0.0.1", port=port, password=password)
            try:
                with pytest.raises(AuthenticationError):
                    await attacker.set(job_key_prefix + "evil", b"anything")
            finally:
                await attacker.aclose()
        service_side = Redis.from_url(url)
        try:
            assert await service_side.ping()
            assert await service_side.exists(job_key_prefix + "evil") == 0
        finally:
            await service_side.aclose()
    finally:
        embedded.stop()


async def test_the_password_is_made_once_and_only_its_owner_reads_it(tmp_path: Path) -> None:
    old_url_file = tmp_path / URL_FILE
    old_url_file.write_text("redis://127.0.0.1:6379/0\n")  # as older versions left it: 0644
    old_url_file.chmod(0o644)
    embedded = EmbeddedRedis(tmp_path)
    first = await embedded.start()
    try:
        password_file = tmp_path / REDIS_DIR / AUTH_FILE
        assert mode(tmp_path / REDIS_DIR) == 0o700
        assert mode(password_file) == 0o600
        assert mode(tmp_path / URL_FILE) == 0o600
        assert (tmp_path / URL_FILE).read_text() == first + "\n"
        password = password_file.read_text().strip()
        assert len(password) >= 32
        assert redis_settings(first).password == password
    finally:
        embedded.stop()
    second = await embedded.start()
    embedded.stop()
    assert redis_settings(second).password == password
    assert sorted(path.name for path in (tmp_path / REDIS_DIR).iterdir()) == [
        AUTH_FILE,
        "redis.log",
    ]


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
