"""One log line per message handled and per email sent or failed, and the counters behind them.

The lines an operator follows a message by: which message, from whom
(masked), to which of our addresses, what became of it, how long it took.
In JSON (PACTMAIL_LOG_FORMAT=json) the same facts come as fields.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from mailer.addresses import FIXED_LOCAL_PARTS, TOKEN_PREFIXES, split_address
from mailer.flows import PRIORITY
from mailer.logs import fields
from mailer.metrics import EMAILS, HANDLED
from mailer.models import InboundMessage, InboundStatus, OutboundMessage
from mailer.redact import HIDDEN, mask_address

log = logging.getLogger(__name__)

# Outcomes an operator should look at: logged as warnings.
_TROUBLE = frozenset({InboundStatus.FAILED.value, "quarantined"})
_ANSWER_LENGTH = 200


async def log_handled(inbound_ids: Sequence[int]) -> None:
    """A line for each of these messages that is done, as its row now records it.

    Called at the end of a processing run with the messages it took on; one
    still waiting (to be tried again) gets its line when it is done.
    """
    if not inbound_ids:
        return
    rows = (
        await InboundMessage.filter(id__in=list(inbound_ids))
        .exclude(status=InboundStatus.RECEIVED.value)
        .order_by("id")
        .values("id", "status", "reason", "mail_from", "rcpt_tos", "received_at")
    )
    now = datetime.now(UTC)
    for row in rows:
        status, kind = str(row["status"]), address_kind(row["rcpt_tos"] or [])
        sender = _printable(mask_address(str(row["mail_from"]).strip("<>"))) or "<>"
        words = outcome_words(status, str(row["reason"]))
        taken = _milliseconds(now - row["received_at"]) if row["received_at"] else 0
        HANDLED.labels(status=status).inc()
        log.log(
            logging.WARNING if status in _TROUBLE else logging.INFO,
            "inbound %d %s \u2192 %s: %s, %s",
            row["id"],
            sender,
            kind,
            words,
            duration_words(taken),
            extra=fields(
                event="inbound",
                inbound_id=row["id"],
                sender=sender,
                address=kind,
                status=status,
                outcome=words,
                ms_since_received=taken,
            ),
        )


def email_sent(row: OutboundMessage, answer: str, started: float) -> None:
    """The relay (or the outbox) took this email; ``answer`` is what it said."""
    _email_line(row, "sent", answer, started, logging.INFO)


def email_failed(row: OutboundMessage, result: str, error: str, started: float | None) -> None:
    """This email will not be sent again by itself: ``result`` is failed or possibly sent."""
    _email_line(row, result, error, started, logging.WARNING)


def _email_line(
    row: OutboundMessage, result: str, answer: str, started: float | None, level: int
) -> None:
    recipient = mask_address(row.to_address) or "(address forgotten)"
    said = " ".join(answer.split())[:_ANSWER_LENGTH]
    taken = _milliseconds_since(started)
    EMAILS.labels(result=result.replace(" ", "_")).inc()
    log.log(
        level,
        "outbound %d \u2192 %s %s: %s%s%s",
        row.id,
        recipient,
        row.template,
        result,
        f", {said}" if said else "",
        f", {duration_words(taken)}" if taken is not None else "",
        extra=fields(
            event="outbound",
            outbound_id=row.id,
            recipient=recipient,
            template=row.template,
            result=result,
            answer=said,
            ms=taken,
        ),
    )


def address_kind(recipients: Sequence[str]) -> str:
    """The address of ours a message was for, as logs show it: never a token.

    >>> address_kind(["Reply+m-1-1ceo-5kmpvcznwwx6i7mj-6vqarqokigz3q@pactmail.localhost"])
    'reply+…@'
    >>> address_kind(["notes@pactmail.localhost", "Commit@PactMail.localhost"])
    'commit@'
    >>> address_kind(["someone@elsewhere.example"])
    '(none of ours)'
    """
    found: list[tuple[int, str]] = []  # the one whose flow runs wins, as in processing
    for address in recipients:
        local, _ = split_address(address)
        prefix = local.partition("+")[0]
        if prefix in TOKEN_PREFIXES and "+" in local:
            found.append((PRIORITY.index(TOKEN_PREFIXES[prefix]), f"{prefix}+{HIDDEN}@"))
        elif local in FIXED_LOCAL_PARTS:
            found.append((PRIORITY.index(FIXED_LOCAL_PARTS[local]), f"{local}@"))
    return min(found)[1] if found else "(none of ours)"


def outcome_words(status: str, reason: str) -> str:
    """What became of a message, as a person reads it: the reason, and the status if it adds.

    >>> outcome_words("processed", "3 commitment(s) published, 1 partner(s) invited")
    '3 commitment(s) published, 1 partner(s) invited'
    >>> outcome_words("held", "held: sender not proven; asked them to confirm")
    'held: sender not proven; asked them to confirm'
    >>> outcome_words("ignored", "bounce without a usable token")
    'ignored: bounce without a usable token'
    """
    if not reason:
        return status
    if status == InboundStatus.PROCESSED.value or reason.lower().startswith(status):
        return reason
    return f"{status}: {reason}"


def duration_words(milliseconds: int) -> str:
    """A time taken, in the unit that reads best.

    >>> duration_words(180), duration_words(12_345), duration_words(3_600_000)
    ('180 ms', '12.3 s', '60 min')
    """
    if milliseconds < 10_000:
        return f"{milliseconds} ms"
    if milliseconds < 120_000:
        return f"{milliseconds / 1000:.1f} s"
    return f"{milliseconds // 60_000} min"


def _printable(text: str) -> str:
    """``text`` on one line whatever it holds: the envelope sender is the sender's to write.

    >>> _printable("x\u2028INFO mailer.activity: inbound 9 forged\x0b")
    'x?INFO mailer.activity: inbound 9 forged?'
    """
    return "".join(char if char.isprintable() else "?" for char in text)[:_ANSWER_LENGTH]


def _milliseconds(delta: timedelta) -> int:
    return max(0, round(delta.total_seconds() * 1000))


def _milliseconds_since(started: float | None) -> int | None:
    if started is None:
        return None
    return max(0, round((time.monotonic() - started) * 1000))
