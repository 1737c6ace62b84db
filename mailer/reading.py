"""The parse step: stored messages read in worker processes, each within a time bound.

Crafted headers have sent the standard parser into loops (bpo-37461), and
crafted bodies the flows' readers into minutes of work. A thread that
overruns cannot be stopped, and work on the event loop stalls the SMTP
server that shares it. So all of a message's parsing
(mailer/parsing/prepare.py) runs in a process of a small pool: a process
that spends more than ``timeout`` seconds on one message is killed, a fresh
one takes the rest, and that message gets MessageTooHardToParse (its caller
counts a failed try).

The pool starts with the first message that needs it, under forkserver:
fork is unsafe in a process with threads and an event loop, and a new
process is then a fork of a server that has imported the parsers already,
not an interpreter start (it still imports the main module, as
multiprocessing does: a few hundred milliseconds, before it says it is
ready). Processes are kept for the next batches. A batch
goes to one process in one hand-off (handing each message over on its own
costs more than parsing a small one), and the process sends each message's
reading as it finishes, so the bound is per message. Past ``budget``
seconds for the batch, messages not yet read are left for the next run, so
that a job never runs into its own timeout here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import signal
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from mailer.models import InboundMessage
from mailer.parsing.prepare import ParseJob, Prepared, prepare
from mailer.retention import content_deleted

log = logging.getLogger(__name__)

PARSE_TIMEOUT_SECONDS = 20.0
PARSE_BUDGET_SECONDS = 20.0
# A new process imports the main module again (multiprocessing's rule for
# forkserver and spawn) before it says it is ready: not counted as parsing.
START_TIMEOUT_SECONDS = 60.0
_READY = "ready"
# Messages and readings up to this size cross the pipe in one write, and are
# sent or received on the event loop; larger ones in a thread.
INLINE_BYTES = 16_384
PARSE_NICENESS = 5
# Enough to keep both cores of a small server busy; each process holds its
# own copy of the parsers (about 60 MB).
DEFAULT_PROCESSES = max(1, min(4, os.cpu_count() or 1))

Parse = Callable[[ParseJob], Prepared]
Reading = Prepared | Exception


class MessageTooHardToParse(Exception):
    """The parser did not finish in time on this message."""


class ParseFailed(Exception):
    """The parse step raised, or its process died; the error as text (it crossed processes)."""


class RawMailDeleted(Exception):
    """The message's bytes were deleted after the retention period: nothing to read."""


def job_for(
    inbound: InboundMessage,
    domain: str,
    route: str | None,
    now: datetime,
    *,
    zone: str | None = None,
    headers_only: bool = False,
) -> ParseJob:
    """What the parse step needs to read a stored message that came to ``route``."""
    if content_deleted(inbound):
        raise RawMailDeleted(f"inbound {inbound.id} is no longer kept")
    return ParseJob(
        bytes(inbound.content), domain, inbound.mail_from, route, now, zone, headers_only
    )


@dataclass(eq=False)  # kept in sets, by identity
class _Worker:
    """One process of the pool and our end of its pipe."""

    process: BaseProcess
    connection: Connection

    def kill(self) -> None:
        with contextlib.suppress(Exception):  # gone already
            self.process.kill()
        self.connection.close()


class Reader:
    """A lazily started pool of parse processes; ``parse`` is what they run (tests slow it)."""

    def __init__(
        self,
        *,
        processes: int = DEFAULT_PROCESSES,
        timeout: float = PARSE_TIMEOUT_SECONDS,
        budget: float = PARSE_BUDGET_SECONDS,
        parse: Parse = prepare,
    ) -> None:
        self.timeout = timeout
        self.budget = budget
        self._parse = parse
        self._size = processes
        self._slots: asyncio.Semaphore | None = None
        self._idle: list[_Worker] = []
        self._busy: set[_Worker] = set()
        self.started = 0  # processes started so far: one per kill, beyond the first few

    async def read_one(self, job: ParseJob) -> Prepared:
        """One message read; raises what reading it raised."""
        [reading] = await self.read_all([job])
        if reading is None:
            raise MessageTooHardToParse("not read within the time for a batch")
        if isinstance(reading, Exception):
            raise reading
        return reading

    async def read_all(self, jobs: Sequence[ParseJob]) -> list[Reading | None]:
        """Each message read, or the exception reading it gave, or None when not read in time."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.budget
        results: list[Reading | None] = []
        while len(results) < len(jobs):
            done = None
            if loop.time() < deadline:
                done = await self._read_until_stuck(jobs[len(results) :], deadline)
            if done is None:  # out of time, or no process would start
                return results + [None] * (len(jobs) - len(results))
            results += done
        return results

    async def start(self) -> None:
        """Start the pool's processes now, rather than with the first message.

        A long-running service does this as it starts: its first message
        then waits for no interpreter, and a process that cannot start is
        logged at once. Tests leave the pool to start with its first use.
        """
        if self._slots is None:
            self._slots = asyncio.Semaphore(self._size)
        for _ in range(self._size):
            async with self._slots:
                if len(self._idle) + len(self._busy) >= self._size:
                    return  # a read started the rest meanwhile
                worker = await self._start()
                if worker is None:
                    return  # logged; reads try again
                self._idle.append(worker)

    async def close(self) -> None:
        """Stop every process; the pool starts again if asked to read."""
        workers = [*self._idle, *self._busy]
        self._idle.clear()
        self._busy.clear()
        for worker in workers:
            worker.kill()
        for worker in workers:
            await asyncio.to_thread(worker.process.join, 5)

    async def _read_until_stuck(
        self, jobs: Sequence[ParseJob], deadline: float
    ) -> list[Reading] | None:
        """Readings of ``jobs`` in order, ending with the failure of one that overran or crashed.

        None when no process came free before ``deadline``, or none would start.
        """
        if self._slots is None:
            self._slots = asyncio.Semaphore(self._size)
        try:
            async with asyncio.timeout_at(deadline):
                await self._slots.acquire()
        except TimeoutError:
            return None
        worker: _Worker | None = None
        try:
            worker = self._idle.pop() if self._idle else await self._start()
            if worker is None:
                return None
            self._busy.add(worker)
            done, sound = await self._read_in(worker, jobs)
            if sound:
                self._busy.discard(worker)
                self._idle.append(worker)
                worker = None
            return done
        finally:
            if worker is not None:  # overran, died, or we were cancelled: it cannot be trusted
                self._busy.discard(worker)
                worker.kill()
            self._slots.release()

    async def _read_in(
        self, worker: _Worker, jobs: Sequence[ParseJob]
    ) -> tuple[list[Reading], bool]:
        """The readings, up to the first that overran or killed its process; and whether the
        process can be trusted with more."""
        connection = worker.connection
        if sum(len(job.raw) for job in jobs) > INLINE_BYTES:
            # The pipe takes a few hundred kilobytes at a time: the rest
            # waits for the process to read, which must not hold the loop.
            await asyncio.to_thread(connection.send, list(jobs))
        else:
            connection.send(list(jobs))
        done: list[Reading] = []
        for job in jobs:
            # Often there already: no need to wait on the event loop for it.
            if not connection.poll() and not await _readable(connection, self.timeout):
                done.append(MessageTooHardToParse(f"parsing took over {self.timeout:g} s; stopped"))
                return done, False
            try:
                if len(job.raw) > INLINE_BYTES:  # its reading may come in many writes
                    done.append(await asyncio.to_thread(connection.recv))
                else:
                    done.append(connection.recv())
            except (EOFError, OSError) as exc:
                code = worker.process.exitcode
                done.append(ParseFailed(f"the parse process ended (exit {code}): {exc!r}"))
                return done, False
        return done, True

    async def _start(self) -> _Worker | None:
        """A new process, once it says it is ready; None if it does not."""
        context = multiprocessing.get_context("forkserver")
        # Loaded once in the server that forks the processes, not in each of them.
        context.set_forkserver_preload(["mailer.parsing.prepare"])
        ours, theirs = context.Pipe()
        process = context.Process(
            target=_serve, args=(theirs, self._parse), name="pactmail-parse", daemon=True
        )
        # In a thread: the first start also starts the fork server (an
        # interpreter and its imports), which must not hold the event loop.
        await asyncio.to_thread(process.start)
        theirs.close()
        self.started += 1
        worker = _Worker(process, ours)
        try:
            if await _readable(ours, START_TIMEOUT_SECONDS) and ours.recv() == _READY:
                return worker
        except (EOFError, OSError):
            pass
        log.error("a parse process did not start (exit %s)", process.exitcode)
        worker.kill()
        return None


async def _readable(connection: Connection, timeout: float) -> bool:
    """Wait until the pipe has something to read (or is closed); False after ``timeout``."""
    loop = asyncio.get_running_loop()
    ready = loop.create_future()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    descriptor = connection.fileno()
    loop.add_reader(descriptor, wake)
    try:
        async with asyncio.timeout(timeout):
            await ready
        return True
    except TimeoutError:
        return False
    finally:
        loop.remove_reader(descriptor)


def _serve(connection: Connection, parse: Parse) -> None:
    """A pool process: batches of jobs in, one reading out per job, in order, until closed."""
    # Ctrl-C reaches the whole process group: the service stops us itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Taking mail comes first: a message that keeps a parse process busy must
    # not take the CPU from the SMTP server beside it.
    os.nice(PARSE_NICENESS)
    connection.send(_READY)
    while True:
        try:
            jobs: list[ParseJob] = connection.recv()
        except EOFError:
            return
        for job in jobs:
            reading: Reading
            try:
                reading = parse(job)
            except Exception as exc:  # sent as text: not every exception survives pickling
                reading = ParseFailed("".join(traceback.format_exception(exc))[-4000:])
            connection.send(reading)
