"""What becomes of a message that cannot be processed: kept with its error, its sender told once.

Two ways (SPEC §5). A fault in a flow (our code, on this message) is final
at once: the row is ``failed``. A parse that raises, overruns or never
ends (its process killed, the worker killed, the job past its timeout) is a
failed try: the row keeps its error and stays ``received`` for the sweep to
queue again, until MAX_TRIES; then it is ``quarantined``, set aside for an
operator (``pactmail inbound``), never queued again. Either way the sender
hears once, in plain words, that something went wrong on our side.
"""

from __future__ import annotations

import logging
import traceback
from datetime import datetime

from tortoise.transactions import in_transaction

from mailer import emails
from mailer.addresses import Route
from mailer.models import InboundMessage, InboundStatus, OutboundMessage
from mailer.outbound import queue_email
from mailer.parsing.mime import ParsedMessage
from mailer.reading import Reader, job_for
from mailer.settings import Settings

log = logging.getLogger(__name__)

# Tries of a message whose parsing fails, overruns or never ends before it
# is quarantined.
MAX_TRIES = 5
UNFINISHED = "its processing never finished (a process or worker killed, or a job timeout)"
# Flows that never send an answer, so RFC 3834 does not stop them. An
# unsubscribe is one: a mail provider's own unsubscribe message may well be
# marked automatic, and its one acknowledgement goes to the token's owner,
# once per kind of mail stopped, so no loop can come of it.
NEVER_ANSWERING = frozenset({"bounce", "postmaster", "unsubscribe"})


async def record_failure(
    inbound: InboundMessage,
    message: ParsedMessage | None,
    route: Route | None,
    settings: Settings,
    now: datetime,
    exc: Exception,
) -> None:
    """A flow's fault: keep the error, status ``failed``; tell the sender when they may be told."""
    error = "".join(traceback.format_exception(exc))[-8000:]
    await _set_aside(
        inbound, InboundStatus.FAILED, "processing failed", error, message, route, settings, now
    )


async def failed_try(
    inbound: InboundMessage,
    exc: Exception,
    route: Route | None,
    settings: Settings,
    now: datetime,
    reader: Reader,
) -> None:
    """A parse that raised or overran: kept for the next try, or quarantined after the last."""
    error = str(exc)[-8000:]
    if inbound.attempts >= MAX_TRIES:
        await quarantine(inbound, route, settings, now, reader, error)
        return
    log.warning("inbound %s: try %d failed: %s", inbound.id, inbound.attempts, error[-300:])
    await InboundMessage.filter(id=inbound.id, status=InboundStatus.RECEIVED.value).update(
        reason=f"try {inbound.attempts} of {MAX_TRIES} failed; to be tried again", error=error
    )


async def quarantine(
    inbound: InboundMessage,
    route: Route | None,
    settings: Settings,
    now: datetime,
    reader: Reader,
    error: str,
) -> None:
    """Set the message aside for an operator, with its error, and tell its sender once.

    Only its headers are read, to find whom to tell (and whether it may be
    answered at all, RFC 3834): within the parse step's time bound too.
    """
    log.error(
        "inbound %s quarantined after %d tries: %s", inbound.id, inbound.attempts, error[-300:]
    )
    message: ParsedMessage | None = None
    if route is not None and route.kind not in NEVER_ANSWERING:
        try:
            job = job_for(inbound, settings.domain, route.kind.value, now, headers_only=True)
            message = (await reader.read_one(job)).message
        except Exception as exc:  # unreadable even so: no answer (RFC 3834 cannot be checked)
            log.warning("inbound %s: headers unreadable (%r); sender not told", inbound.id, exc)
    reason = f"quarantined after {inbound.attempts} tries"
    await _set_aside(
        inbound, InboundStatus.QUARANTINED, reason, error, message, route, settings, now
    )


async def _set_aside(
    inbound: InboundMessage,
    status: InboundStatus,
    reason: str,
    error: str,
    message: ParsedMessage | None,
    route: Route | None,
    settings: Settings,
    now: datetime,
) -> None:
    async with in_transaction() as connection:
        changed = (
            await InboundMessage.filter(id=inbound.id, status=InboundStatus.RECEIVED.value)
            .using_db(connection)
            .update(status=status.value, reason=reason, error=error, processed_at=now)
        )
        if (
            not changed  # another run settled it meanwhile
            or message is None  # unread: RFC 3834 cannot be checked, so no answer
            or message.auto_reply_reason is not None
            or route is None
            or route.kind in NEVER_ANSWERING
        ):
            return
        # One key for the message, whatever became of it: told once, even if
        # an operator runs it again and it fails again.
        key = f"failed:{inbound.id}"
        told = await OutboundMessage.filter(idempotency_key=key).using_db(connection).exists()
        recipient = message.from_address or inbound.mail_from.strip().strip("<>").lower()
        if recipient and not told:
            await queue_email(
                key=key,
                email=emails.ProcessingFailed(),
                to=recipient,
                domain=settings.domain,
                answering=inbound,
                answering_message_id=message.message_id,
                answering_references=message.references,
                connection=connection,
            )
