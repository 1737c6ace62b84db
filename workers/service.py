"""The running service: SMTP server, worker and scheduler in one event loop (SPEC §6)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from arq.connections import ArqRedis
from arq.worker import Worker

from mailer.db import close_database, migrate_database, open_database
from mailer.embedded_redis import EmbeddedRedis
from mailer.health import Health, queue_depth, read_health
from mailer.intake import Intake
from mailer.metrics import start_metrics_server
from mailer.priority import (
    LINGER_SECONDS,
    AnnounceIntakeBusy,
    IntakeFirst,
    IntakeSignal,
    follow_intake_busy,
)
from mailer.queue import enqueue_inbound, open_queue, redis_settings
from mailer.ratelimit import Limiter
from mailer.reading import Reader
from mailer.settings import Settings
from mailer.smtp import start_smtp_server
from mailer.trust.resolver import TxtResolver
from workers.worker import build_worker, release_clients, utc_now

log = logging.getLogger(__name__)

WORKER_RESTART_DELAY = 2.0
JOB_FINISH_SECONDS = 5.0


class Service:
    """Starts and stops the parts a command asked for, in order."""

    def __init__(
        self,
        settings: Settings,
        *,
        smtp: bool = True,
        worker: bool = True,
        migrate: bool = True,
        clock: Callable[[], datetime] = utc_now,
        worker_options: dict[str, object] | None = None,
        resolver: TxtResolver | None = None,
        intake_linger: float = LINGER_SECONDS,
    ) -> None:
        self.settings = settings
        # How long after the last message jobs still wait (mailer/priority.py);
        # tests that send one message at a time shorten it.
        self._intake_linger = intake_linger
        self._want_smtp = smtp
        self._want_worker = worker
        self._migrate = migrate
        self._clock = clock
        self._worker_options = worker_options or {}
        self._resolver = resolver
        self._embedded: EmbeddedRedis | None = None
        self._priority: IntakeFirst | None = None
        self._follow_task: asyncio.Task[None] | None = None
        self._announcer: AnnounceIntakeBusy | None = None
        self._redis_url = ""
        self.redis: ArqRedis | None = None
        self._intake: Intake | None = None
        self._limiter: Limiter | None = None
        self._server: asyncio.Server | None = None
        self.worker: Worker | None = None
        self._worker_task: asyncio.Task[None] | None = None
        self._metrics: asyncio.Server | None = None

    @property
    def smtp_port(self) -> int:
        """The port actually bound (useful when the settings asked for port 0)."""
        assert self._server is not None
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    @property
    def metrics_port(self) -> int:
        """The port the metrics are served on (PACTMAIL_METRICS_LISTEN may ask for port 0)."""
        assert self._metrics is not None
        port: int = self._metrics.sockets[0].getsockname()[1]
        return port

    async def _health(self) -> Health:
        assert self.redis is not None
        queue = await queue_depth(self.redis, self.settings.queue_name)
        return await read_health(datetime.now(UTC), queue)

    async def _start_metrics(self, host: str, port: int) -> None:
        """Serve the metrics; a port taken costs the metrics, never the mail."""
        try:
            self._metrics = await start_metrics_server(host, port, self._health)
        except OSError as exc:
            log.error(
                "metrics not served: cannot listen on %s:%s (%s); give each process its own "
                "PACTMAIL_METRICS_LISTEN",
                host,
                port,
                exc.strerror or exc,
            )
            return
        log.info("metrics on port %s", self.metrics_port)

    async def start(self) -> None:
        if self._migrate:
            await migrate_database(self.settings)
        await open_database(self.settings)
        url = self.settings.redis_url
        if url is None:
            self._embedded = EmbeddedRedis(self.settings.data_dir)
            url = await self._embedded.start()
        self._redis_url = url
        self.redis = await open_queue(redis_settings(url))
        if self.settings.metrics_listen is not None:
            await self._start_metrics(*self.settings.metrics_listen)
        if self._want_smtp:
            redis = self.redis

            async def enqueue(ids: Sequence[int]) -> None:
                await enqueue_inbound(redis, self.settings.queue_name, ids)

            # Taking mail goes first: directly when the worker shares this
            # event loop, through Redis when workers are processes of their own.
            signal: IntakeSignal
            if self._want_worker:
                self._priority = IntakeFirst(linger=self._intake_linger)
                signal = self._priority
            else:
                self._announcer = AnnounceIntakeBusy(self.redis, self.settings.queue_name)
                signal = self._announcer
            self._intake = Intake(enqueue, signal)
            self._intake.start()
            if self.settings.rate_limits.client is not None:
                self._limiter = Limiter(url, f"{self.settings.queue_name}:limits")
            self._server = await start_smtp_server(
                self.settings, self._intake, self._clock, limiter=self._limiter
            )
            log.info("SMTP listening on port %s for %s", self.smtp_port, self.settings.domain)
        if self._want_worker:
            if self._priority is None:
                self._priority = IntakeFirst(linger=0)  # the Redis key lingers already
                self._follow_task = asyncio.create_task(
                    follow_intake_busy(self._priority, self.redis, self.settings.queue_name),
                    name="follow-intake",
                )
            self._worker_task = asyncio.create_task(self._supervise_worker(), name="worker")

    async def _supervise_worker(self) -> None:
        """Run the worker; if it dies (a Redis outage can kill it, arq #435), start anew."""
        while True:
            options: dict[str, object] = {**self._worker_options}
            if not self._want_smtp and "reader" not in options:
                # `pactmail worker`: one parse process each. More parsing is
                # more workers; a pool per worker only crowds the cores (on
                # 2 cores, 2 workers with 2 parse processes each processed
                # 0.14-0.15x bare aiosmtpd, with 1 each 0.15-0.16x).
                options["reader"] = Reader(processes=1)
            self.worker = worker = build_worker(
                self.settings,
                self._redis_url,
                clock=self._clock,
                intake_first=self._priority,
                handle_signals=False,
                resolver=self._resolver,
                **options,  # type: ignore[arg-type]
            )
            try:
                await worker.async_run()
                return  # a burst worker ran out of work
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("worker stopped; starting a new one in %s s", WORKER_RESTART_DELAY)
            # arq's async_run leaves its Redis pool open when it fails: closed
            # here, or each outage would leave a pool of broken connections.
            await _retire(worker)
            await asyncio.sleep(WORKER_RESTART_DELAY)

    async def _stop_worker(self) -> None:
        # Not Worker.close(): it cancels running jobs and then fails on them.
        worker, self.worker = self.worker, None
        if self._worker_task is not None:
            self._worker_task.cancel()  # stops polling for new jobs
            await asyncio.gather(self._worker_task, return_exceptions=True)
            self._worker_task = None
        if worker is not None:
            await _retire(worker)

    async def stop(self) -> None:
        """Stop taking mail first, then finish: nothing half-stored is left behind."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        if self._limiter is not None:
            await self._limiter.aclose()
            self._limiter = None
        if self._intake is not None:
            await self._intake.stop()
            self._intake = None
        if self._announcer is not None:
            await self._announcer.close()
            self._announcer = None
        await self._stop_worker()
        if self._metrics is not None:
            self._metrics.close()
            await self._metrics.wait_closed()
            self._metrics = None
        if self._follow_task is not None:
            self._follow_task.cancel()
            await asyncio.gather(self._follow_task, return_exceptions=True)
            self._follow_task = None
        if self.redis is not None:
            await self.redis.aclose()
            self.redis = None
        await close_database()
        if self._embedded is not None:
            self._embedded.stop()
            self._embedded = None


async def _retire(worker: Worker) -> None:
    """Let a worker's jobs end, then close what it opened (its clients, its Redis pool)."""
    await _finish_jobs(worker)
    await release_clients(worker.ctx)
    with contextlib.suppress(Exception):  # never started: no pool to close
        await worker.pool.aclose()


async def _finish_jobs(worker: Worker) -> None:
    """Let running jobs end (they are short); cancel what is left after a while.

    A cancelled job is not lost: arq runs it again, and it is idempotent.
    """
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(JOB_FINISH_SECONDS):
            while any(not task.done() for task in worker.tasks.values()):
                await asyncio.sleep(0.05)
    running = [task for task in worker.tasks.values() if not task.done()]
    for task in running:
        task.cancel()
    # All of them: one whose bookkeeping in Redis failed (Redis went away)
    # would otherwise be logged again as "Task exception was never retrieved".
    await asyncio.gather(*worker.tasks.values(), return_exceptions=True)


async def serve(service: Service) -> None:
    """Run until SIGINT or SIGTERM."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    try:
        await service.start()
        await stopping.wait()
    finally:
        log.info("stopping")
        await service.stop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(Exception):
                loop.remove_signal_handler(signum)
