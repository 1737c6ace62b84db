"""Putting work on the arq queue: batches of ids, deterministic job ids, one round trip.

A job carries up to BATCH ids. Per-job costs (arq's bookkeeping, a relay
connection) are then paid once per batch, not once per message. The job id
names the ids it carries, so queueing the same batch twice queues it once; two
batches that share an id are harmless, as every job skips work already done.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Awaitable, Sequence
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


BATCH = 32


def job_id(kind: str, ids: Sequence[int]) -> str:
    """``inbound:7`` for one id; for a batch, its range and a digest of exactly its ids.

    >>> job_id("outbound", [7])
    'outbound:7'
    >>> job_id("inbound", [7, 9, 12]) != job_id("inbound", [7, 10, 12])
    True
    >>> job_id("inbound", [7, 9, 12])[:19]
    'inbound:7-12+3.13d4'
    """
    if len(ids) == 1:
        return f"{kind}:{ids[0]}"
    digest = hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()[:12]
    return f"{kind}:{ids[0]}-{ids[-1]}+{len(ids)}.{digest}"


async def enqueue_inbound(redis: ArqRedis, queue_name: str, inbound_ids: Sequence[int]) -> None:
    """Queue processing; a message already queued or running is not queued twice."""
    await _enqueue_batches(redis, queue_name, PROCESS_INBOUND, "inbound", inbound_ids)


async def enqueue_outbound(redis: ArqRedis, queue_name: str, outbound_ids: Sequence[int]) -> None:
    await _enqueue_batches(redis, queue_name, SEND_EMAIL, "outbound", outbound_ids)


async def _enqueue_batches(
    redis: ArqRedis, queue_name: str, function: str, kind: str, ids: Sequence[int]
) -> None:
    if not ids:
        return
    ordered = sorted(set(ids))
    now_ms = int(time.time() * 1000)
    arguments: list[Any] = [now_ms, expires_extra_ms]
    for start in range(0, len(ordered), BATCH):
        batch = ordered[start : start + BATCH]
        arguments.append(job_id(kind, batch))
        arguments.append(serialize_job(function, (batch,), {}, None, now_ms))
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
