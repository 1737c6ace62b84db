"""Asking the running service to do something, through its queue (SPEC §6).

A second process must not write the service's SQLite file, so a command such
as ``pactmail digest --now`` hands its work to the service's worker when one
runs, and waits for the answer. The queue is PACTMAIL_REDIS_URL, or the
embedded Redis that a running ``pactmail run`` names in DATA_DIR/redis.url.
A worker is running when it has renewed arq's health-check key lately.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from uuid import uuid4

from arq.connections import ArqRedis
from arq.constants import health_check_key_suffix

from mailer.embedded_redis import URL_FILE
from mailer.queue import open_queue, redis_settings
from mailer.settings import Settings


class ServiceDidNotAnswer(Exception):
    """The service took the request but gave no answer in time."""


def queue_url(settings: Settings) -> str | None:
    """Where the service's queue is: the configured Redis, or a running `pactmail run`'s."""
    if settings.redis_url is not None:
        return settings.redis_url
    path: Path = settings.data_dir / URL_FILE
    try:
        url = path.read_text().strip()
    except OSError:  # not running (the file goes when it stops)
        return None
    return url or None


@contextlib.asynccontextmanager
async def running_service(settings: Settings) -> AsyncIterator[ArqRedis | None]:
    """The queue of a running service with a live worker, or None: then do the work here."""
    url = queue_url(settings)
    if url is None:
        yield None
        return
    try:
        redis = await open_queue(redis_settings(url))
    except Exception:  # a stale redis.url after a crash: no service to ask
        yield None
        return
    try:
        alive = await redis.exists(settings.queue_name + health_check_key_suffix)
        yield redis if alive else None
    finally:
        await redis.aclose()


async def ask(redis: ArqRedis, settings: Settings, function: str, *args: object) -> object:
    """Queue ``function`` for the service's worker and wait for what it returns."""
    job = await redis.enqueue_job(
        function, *args, _job_id=f"{function}:{uuid4().hex}", _queue_name=settings.queue_name
    )
    assert job is not None  # a fresh id is never taken
    waited = settings.job_timeout_seconds + 30.0
    try:
        return await job.result(timeout=waited, poll_delay=0.2)
    except TimeoutError:
        raise ServiceDidNotAnswer(
            f"the service took the request but did not answer within {waited:.0f} s; "
            "it may still do it: look at its log"
        ) from None
