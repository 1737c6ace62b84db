"""Parsing stored messages off the event loop, each within a time bound.

Crafted headers have sent the standard parser into loops before (bpo-37461),
so parsing runs in a thread, and a message the parser spends more than
PARSE_TIMEOUT_SECONDS on is given up (MessageTooHardToParse). A batch goes to
the thread in one hand-off (handing each message over on its own cost more
than parsing a small one), and the thread reports each message as it
finishes, so the bound is per message. A stuck thread cannot be stopped: it
is told to take no further message, and the rest go to a fresh one. Past
PARSE_BUDGET_SECONDS for the batch, the messages not yet read are left for
the next run, so that a job never runs into its own timeout here.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

from mailer.models import InboundMessage
from mailer.parsing.mime import ParsedMessage, read_message
from mailer.retention import content_deleted

PARSE_TIMEOUT_SECONDS = 20.0
PARSE_BUDGET_SECONDS = 20.0


class MessageTooHardToParse(Exception):
    """The parser did not finish in time on this message."""


class RawMailDeleted(Exception):
    """The message's bytes were deleted after the retention period: nothing to read."""


Reading = ParsedMessage | Exception


async def read_one(inbound: InboundMessage, domain: str) -> ParsedMessage:
    """One stored message, parsed; raises what parsing raised."""
    [reading] = await read_all([inbound], domain)
    if reading is None:
        raise MessageTooHardToParse("not read within the time for a batch")
    if isinstance(reading, Exception):
        raise reading
    return reading


async def read_all(rows: Sequence[InboundMessage], domain: str) -> list[Reading | None]:
    """Each message parsed, or the exception parsing raised, or None when not read in time."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    results: list[Reading | None] = []
    while len(results) < len(rows):
        if loop.time() - started > PARSE_BUDGET_SECONDS:
            return results + [None] * (len(rows) - len(results))
        results += await _read_until_stuck(rows[len(results) :], domain)
    return results


async def _read_until_stuck(rows: Sequence[InboundMessage], domain: str) -> list[Reading]:
    """Readings of ``rows`` in order, ending with MessageTooHardToParse if one stuck."""
    loop = asyncio.get_running_loop()
    done: list[Reading] = []  # appended to by the thread, in the rows' order
    stop = threading.Event()
    thread = asyncio.ensure_future(asyncio.to_thread(_read_in_order, rows, domain, done, stop))
    seen, progress_at = 0, loop.time()
    while not thread.done():
        await asyncio.wait(
            {thread}, timeout=max(0.0, progress_at + PARSE_TIMEOUT_SECONDS - loop.time())
        )
        if len(done) > seen:
            seen, progress_at = len(done), loop.time()
        elif not thread.done():
            stop.set()  # stuck on rows[seen]: it takes nothing after it
            return [
                *done[:seen],
                MessageTooHardToParse(f"parsing took over {PARSE_TIMEOUT_SECONDS:.0f} s"),
            ]
    await thread
    return done


def _read_in_order(
    rows: Sequence[InboundMessage], domain: str, done: list[Reading], stop: threading.Event
) -> None:
    for inbound in rows:
        if stop.is_set():
            return
        if content_deleted(inbound):
            done.append(RawMailDeleted(f"inbound {inbound.id} is no longer kept"))
            continue
        try:
            done.append(
                read_message(
                    bytes(inbound.content), own_domain=domain, envelope_sender=inbound.mail_from
                )
            )
        except Exception as exc:  # kept for the caller to record as this message's failure
            done.append(exc)
