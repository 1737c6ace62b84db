"""Putting work on the arq queue, with deterministic job ids, many jobs per round trip."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, cast

from arq.connections import ArqRedis, RedisSettings
from arq.constants import expires_extra_ms, job_key_prefix, result_key_prefix
from arq.jobs import serialize_job

PROCESS_INBOUND = "process_inbound"
SEND_EMAIL = "send_email"

# arq's enqueue_job, for a whole batch in one round trip: store the job and
# add it to the queue unless a job of that id is queued, running or has a
# result (the same rule as arq's, done atomically in Redis).
_ENQUEUE_IF_NEW = """
for i = 3, #ARGV, 2 do
  local job_id = ARGV[i]
  local job_key = KEYS[2] .. job_id
  if redis.call('EXISTS', job_key, KEYS[3] .. job_id) == 0 then
    redis.call('SET', job_key, ARGV[i + 1], 'PX', ARGV[2])
    redis.call('ZADD', KEYS[1], ARGV[1], job_id)
  end
end
return 0
"""


def inbound_job_id(inbound_id: int) -> str:
    return f"inbound:{inbound_id}"


def outbound_job_id(outbound_id: int) -> str:
    return f"outbound:{outbound_id}"


async def enqueue_inbound(redis: ArqRedis, queue_name: str, inbound_ids: Sequence[int]) -> None:
    """Queue processing; a message already queued or running is not queued twice."""
    await _enqueue_many(redis, queue_name, PROCESS_INBOUND, inbound_ids, inbound_job_id)


async def enqueue_outbound(redis: ArqRedis, queue_name: str, outbound_ids: Sequence[int]) -> None:
    await _enqueue_many(redis, queue_name, SEND_EMAIL, outbound_ids, outbound_job_id)


async def _enqueue_many(
    redis: ArqRedis,
    queue_name: str,
    function: str,
    ids: Sequence[int],
    job_id: Callable[[int], str],
) -> None:
    if not ids:
        return
    now_ms = int(time.time() * 1000)
    arguments: list[Any] = [now_ms, expires_extra_ms]
    for item in ids:
        arguments.append(job_id(item))
        arguments.append(serialize_job(function, (item,), {}, None, now_ms))
    # redis-py types eval() for its sync and async clients at once.
    reply = redis.eval(
        _ENQUEUE_IF_NEW, 3, queue_name, job_key_prefix, result_key_prefix, *arguments
    )
    await cast(Awaitable[object], reply)


def redis_settings(url: str) -> RedisSettings:
    """arq settings for a redis:// URL; fail fast rather than hang."""
    settings = RedisSettings.from_dsn(url)
    settings.conn_timeout = 2
    settings.conn_retries = 2
    settings.conn_retry_delay = 1
    return settings
