"""Putting work on the arq queue, with deterministic job ids."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from arq.connections import ArqRedis, RedisSettings

PROCESS_INBOUND = "process_inbound"
SEND_EMAIL = "send_email"


def inbound_job_id(inbound_id: int) -> str:
    return f"inbound:{inbound_id}"


def outbound_job_id(outbound_id: int) -> str:
    return f"outbound:{outbound_id}"


async def enqueue_inbound(redis: ArqRedis, queue_name: str, inbound_ids: Sequence[int]) -> None:
    """Queue processing; a message already queued or running is not queued twice."""
    await asyncio.gather(
        *(
            redis.enqueue_job(
                PROCESS_INBOUND,
                inbound_id,
                _job_id=inbound_job_id(inbound_id),
                _queue_name=queue_name,
            )
            for inbound_id in inbound_ids
        )
    )


async def enqueue_outbound(redis: ArqRedis, queue_name: str, outbound_ids: Sequence[int]) -> None:
    await asyncio.gather(
        *(
            redis.enqueue_job(
                SEND_EMAIL,
                outbound_id,
                _job_id=outbound_job_id(outbound_id),
                _queue_name=queue_name,
            )
            for outbound_id in outbound_ids
        )
    )


def redis_settings(url: str) -> RedisSettings:
    """arq settings for a redis:// or unix:// URL; fail fast rather than hang."""
    settings = RedisSettings.from_dsn(url)
    settings.conn_timeout = 2
    settings.conn_retries = 2
    settings.conn_retry_delay = 1
    return settings
