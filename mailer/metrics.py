"""Prometheus metrics: what this process did (counters) and how the service stands (gauges).

The counters live in prometheus-client's default registry, beside its own
process figures (CPU, memory, open files): one set per process, as
Prometheus expects of a service that runs as several. The gauges are the
figures of `pactmail status`, read from the database and Redis at each scrape.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime

from prometheus_client import REGISTRY, CollectorRegistry, Counter, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from mailer.health import INBOUND_COUNTED, OUTBOUND_COUNTED, Health, Queue

HANDLED = Counter(
    "pactmail_inbound_handled",
    "Inbound messages this process finished with, by the status they were left in",
    ["status"],
)
EMAILS = Counter(
    "pactmail_outbound_emails",
    "Emails this process sent (to the relay or the outbox), or settled as failed or possibly sent",
    ["result"],
)

# The text format generate_latest writes (names escaped to underscores): the
# one every Prometheus version reads.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# A scrape reads the database and Redis: bounded, so a stuck server makes a
# figure missing (and pactmail_needs_operator 1), not a scrape that hangs.
FIGURES_SECONDS = 10.0
REQUEST_SECONDS = 5.0
MAX_REQUEST_BYTES = 8192

Figures = Callable[[], Awaitable[Health]]


def health_metrics(health: Health) -> bytes:
    """The gauges of `pactmail status`, in the text format."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_HealthCollector(health))
    return generate_latest(registry)


class _HealthCollector(Collector):
    def __init__(self, health: Health) -> None:
        self._health = health

    def collect(self) -> Iterator[Metric]:
        health, now = self._health, self._health.checked_at
        problems = health.problems()
        yield _gauge(
            "pactmail_needs_operator", "1 when `pactmail status` would exit 1", int(bool(problems))
        )
        yield _gauge(
            "pactmail_problems",
            "How many things `pactmail status` says need an operator",
            len(problems),
        )
        yield _gauge(
            "pactmail_database_readable",
            "1 when the database answered this scrape",
            int(not health.database_problem),
        )
        yield _gauge(
            "pactmail_queue_readable",
            "1 when the queue in Redis answered this scrape",
            int(health.queue.depth is not None),
        )
        if health.queue.depth is not None:
            yield _gauge(
                "pactmail_queue_jobs",
                "Jobs in the arq queue (waiting, deferred, retrying)",
                health.queue.depth,
            )
        if health.database_problem:
            return
        inbound = GaugeMetricFamily(
            "pactmail_inbound_messages",
            "Inbound messages waiting, failed or quarantined",
            labels=["status"],
        )
        for status in INBOUND_COUNTED:
            inbound.add_metric([status], health.inbound.get(status, 0))
        yield inbound
        outbound = GaugeMetricFamily(
            "pactmail_outbound_messages", "Outbound emails not settled as sent", labels=["status"]
        )
        for status in OUTBOUND_COUNTED:
            outbound.add_metric([status], health.outbound.get(status, 0))
        yield outbound
        yield _gauge(
            "pactmail_suspended_addresses",
            "Addresses mail is suspended to after bouncing",
            health.suspended,
        )
        yield _gauge(
            "pactmail_inbound_oldest_waiting_seconds",
            "Age of the oldest inbound message not yet processed (0: none)",
            _seconds(now, health.oldest_waiting),
        )
        yield _gauge(
            "pactmail_outbound_oldest_pending_seconds",
            "Age of the oldest outbound email waiting to be sent (0: none)",
            _seconds(now, health.oldest_pending_outbound),
        )
        finished = GaugeMetricFamily(
            "pactmail_cron_last_success_timestamp_seconds",
            "When each cron job last finished (Unix time)",
            labels=["job"],
        )
        interval = GaugeMetricFamily(
            "pactmail_cron_interval_seconds",
            "The longest wait between two runs of each cron job",
            labels=["job"],
        )
        for cron in health.crons:
            if cron.last_finished_at is not None:
                finished.add_metric([cron.name], cron.last_finished_at.timestamp())
            interval.add_metric([cron.name], cron.interval.total_seconds())
        yield finished
        yield interval


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _seconds(now: datetime, then: datetime | None) -> float:
    return 0.0 if then is None else max(0.0, (now - then).total_seconds())


async def start_metrics_server(host: str, port: int, figures: Figures) -> asyncio.Server:
    """Serve ``GET /metrics`` on ``host:port`` from the running event loop.

    In the service's own loop, not prometheus-client's server thread: the
    gauges come from the database, and tortoise is used from one loop only.
    """

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(REQUEST_SECONDS):
                head = await reader.readuntil(b"\r\n\r\n")
            status, body = await _respond(head, figures)
            writer.write(
                f"HTTP/1.1 {status}\r\nContent-Type: {CONTENT_TYPE}\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                + body
            )
            await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError):
            pass  # a client that does not finish its request, or goes: nothing to answer
        finally:
            writer.close()

    return await asyncio.start_server(answer, host, port, limit=MAX_REQUEST_BYTES)


async def _respond(head: bytes, figures: Figures) -> tuple[str, bytes]:
    method, _, rest = head.partition(b" ")
    path = rest.partition(b" ")[0].partition(b"?")[0]
    if method != b"GET":
        return "405 Method Not Allowed", b"GET /metrics only\n"
    if path not in (b"/metrics", b"/"):
        return "404 Not Found", b"GET /metrics\n"
    try:
        async with asyncio.timeout(FIGURES_SECONDS):
            health = await figures()
    except TimeoutError:
        health = Health(datetime.now(UTC), Queue(None, "timed out"), database_problem="timed out")
    return "200 OK", generate_latest(REGISTRY) + health_metrics(health)
