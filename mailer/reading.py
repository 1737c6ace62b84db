"""Parsing stored messages off the event loop, each within a time bound.

Crafted headers have sent the standard parser into loops before (bpo-37461),
so parsing runs in a thread that the worker stops waiting for after
PARSE_TIMEOUT_SECONDS. A batch goes to the thread in one hand-off: handing
each message over on its own cost more than parsing a small one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from mailer.models import InboundMessage
from mailer.parsing.mime import ParsedMessage, read_message

PARSE_TIMEOUT_SECONDS = 20.0


class MessageTooHardToParse(Exception):
    """The parser did not finish in time on this message."""


Reading = ParsedMessage | Exception


async def read_one(inbound: InboundMessage, domain: str) -> ParsedMessage:
    """One stored message, parsed; raises what parsing raised."""
    [reading] = await read_all([inbound], domain)
    if isinstance(reading, Exception):
        raise reading
    return reading


async def read_all(rows: Sequence[InboundMessage], domain: str) -> list[Reading]:
    """Each stored message parsed, or the exception that parsing it raised.

    A message the parser is still on after PARSE_TIMEOUT_SECONDS is given up
    (MessageTooHardToParse) and the ones after it are parsed afresh.
    """
    if not rows:
        return []
    done: list[Reading] = []  # appended to by the thread: the order is the rows'
    thread = asyncio.to_thread(_read_in_order, rows, domain, done)
    try:
        await asyncio.wait_for(thread, PARSE_TIMEOUT_SECONDS)
    except TimeoutError:  # not an outage (TimeoutError is an OSError): a bad message
        stuck = len(done)
        # The thread cannot be stopped; it will append to ``done`` no more
        # that matters, as only the first ``stuck`` results are kept.
        return [
            *done[:stuck],
            MessageTooHardToParse(f"parsing took over {PARSE_TIMEOUT_SECONDS:.0f} s"),
            *await read_all(rows[stuck + 1 :], domain),
        ]
    return done


def _read_in_order(rows: Sequence[InboundMessage], domain: str, done: list[Reading]) -> None:
    for inbound in rows:
        try:
            done.append(
                read_message(
                    bytes(inbound.content), own_domain=domain, envelope_sender=inbound.mail_from
                )
            )
        except Exception as exc:  # kept for the caller to record as this message's failure
            done.append(exc)
