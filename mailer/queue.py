"""Putting work on the arq queue: batches of ids, deterministic job ids, one round trip.

A job carries up to BATCH ids. Per-job costs (arq's bookkeeping, a relay
connection) are then paid once per batch, not once per message. The job id
names the ids it carries, so queueing the same batch twice queues it once; two
batches that share an id are harmless, as every job skips work already done.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Awaitable, Sequence
from typing import Any, cast
from urllib.parse import parse_qs, unquote, urlsplit

from arq.connections import ArqRedis, RedisSettings, create_pool
from arq.constants import expires_extra_ms, job_key_prefix, result_key_prefix
from arq.jobs import serialize_job

PROCESS_INBOUND = "process_inbound"
SEND_EMAIL = "send_email"
DIGESTS_NOW = "digests_now"
RETRY_INBOUND = "retry_inbound"

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
        arguments.append(serialize_job(function, (batch,), {}, None, now_ms, serializer=dump_job))
    # redis-py types eval() for its sync and async clients at once.
    reply = redis.eval(
        _ENQUEUE_IF_NEW, 3, queue_name, job_key_prefix, result_key_prefix, *arguments
    )
    await cast(Awaitable[object], reply)


def dump_job(data: dict[str, Any]) -> bytes:
    """A job (or its result) as JSON for Redis: reading it back runs no code, as pickle would."""
    if "r" in data:  # a result: what the job returned or raised, as text if it is not JSON
        result = data["r"]
        if not (_is_plain(result) or (isinstance(result, dict) and _is_flat(result))):
            data = {**data, "r": repr(result)}
    return json.dumps(data, separators=(",", ":")).encode()


def load_job(raw: bytes) -> dict[str, Any]:
    """A job (or result) read back; anything not shaped like arq's is refused.

    arq catches what this raises, logs it and drops the job. Checking the
    shape here keeps a crafted job from failing later, outside that guard.

    >>> load_job(dump_job({"t": None, "f": "send_email", "a": ([3, 4],), "k": {}, "et": 5}))
    {'t': None, 'f': 'send_email', 'a': [[3, 4]], 'k': {}, 'et': 5}
    >>> load_job(b"\\x80\\x05\\x95...")
    Traceback (most recent call last):
    ...
    UnicodeDecodeError: 'utf-8' codec can't decode byte 0x80 in position 0: invalid start byte
    >>> load_job(b'{"f": "send_email", "a": [], "k": {}, "t": "1", "et": 5}')
    Traceback (most recent call last):
    ...
    ValueError: not an arq job
    """
    data = json.loads(raw)
    if not (
        isinstance(data, dict)
        and isinstance(data.get("f"), str)
        and isinstance(data.get("a"), list)
        and isinstance(data.get("k"), dict)
        and (data.get("t") is None or _is_int(data["t"]))
        and _is_int(data.get("et"))
    ):
        raise ValueError("not an arq job")
    return data


def _is_plain(value: object) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _is_flat(result: dict[Any, Any]) -> bool:
    """A report a command waits for: text keys, plain values."""
    return all(isinstance(key, str) and _is_plain(value) for key, value in result.items())


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


async def open_queue(settings: RedisSettings) -> ArqRedis:
    """A Redis pool that enqueues and reads jobs as JSON."""
    return await create_pool(settings, job_serializer=dump_job, job_deserializer=load_job)


class RedisUrlError(ValueError):
    """PACTMAIL_REDIS_URL cannot be used; the message never repeats it (it may hold a password)."""


class _RedisSettings(RedisSettings):
    """arq's settings, shown without their password."""

    def __repr__(self) -> str:
        shown = {**self.__dict__, "password": "***" if self.password else None}
        return "RedisSettings({})".format(", ".join(f"{k}={v!r}" for k, v in shown.items()))


def redis_settings(url: str) -> RedisSettings:
    """arq settings for a redis://, rediss:// or unix:// URL; fail fast rather than hang.

    Unlike arq's ``from_dsn``, %-escapes in the user name and password are
    decoded, rediss:// checks the server's name against its certificate, and a
    URL that cannot be used is refused without being repeated.

    >>> s = redis_settings("redis://:p%40ss@cache.internal:6380/2")
    >>> (s.host, s.port, s.database, s.username, s.password, s.ssl)
    ('cache.internal', 6380, 2, None, 'p@ss', False)
    >>> "p@ss" in repr(s)
    False
    >>> s = redis_settings("unix://:secret@/run/redis/redis.sock?db=3")
    >>> (s.unix_socket_path, s.database, s.password)
    ('/run/redis/redis.sock', 3, 'secret')
    >>> redis_settings("rediss://pactmail:secret@redis.example").ssl_check_hostname
    True
    >>> redis_settings("redis://:pa/ss@host:6379")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    mailer.queue.RedisUrlError: PACTMAIL_REDIS_URL must be redis://[[user]:password@]host...
    """
    try:
        return _parse_redis_url(url.strip())
    except ValueError:
        # Not chained: a parse error may quote part of the URL, hence of the password.
        raise RedisUrlError(
            "PACTMAIL_REDIS_URL must be redis://[[user]:password@]host[:port][/db], "
            "rediss://… or unix://[[user]:password@]/path/to/socket[?db=N] "
            "(%-escape any % / # ? in the password)"
        ) from None


def _parse_redis_url(url: str) -> RedisSettings:
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    port = parts.port or 6379
    password = unquote(parts.password) if parts.password is not None else None
    if parts.scheme == "unix":
        path = unquote(parts.path)
        if not path.startswith("/"):
            raise ValueError("no socket path")
        database = int(query.get("db", ["0"])[0])
    elif parts.scheme in {"redis", "rediss"}:
        if not parts.hostname:
            raise ValueError("no host")
        path = ""
        database = int(query["db"][0]) if "db" in query else int(parts.path.lstrip("/") or "0")
    else:
        raise ValueError("not a Redis URL")
    settings = _RedisSettings(
        host=parts.hostname or "localhost",
        port=port,
        unix_socket_path=path or None,
        database=database,
        username=unquote(parts.username) if parts.username else None,
        password=password or query.get("password", [None])[0],
        ssl=parts.scheme == "rediss",
        ssl_check_hostname=parts.scheme == "rediss",
    )
    settings.conn_timeout = 2
    settings.conn_retries = 2
    settings.conn_retry_delay = 1
    return settings
