"""Inbound mail no job will process: what an operator lists and runs again (``pactmail inbound``).

A message whose parsing failed, overran or never finished MAX_TRIES times is
``quarantined``; one a flow failed on is ``failed`` (mailer/failures.py).
Neither is queued again on its own. Once the cause is fixed (a parser
upgraded, a bug mended), the operator runs them again: back to
``received`` with their tries cleared, as if just taken.
"""

from __future__ import annotations

from collections.abc import Sequence

from mailer.models import InboundMessage, InboundStatus

SET_ASIDE = [InboundStatus.QUARANTINED.value, InboundStatus.FAILED.value]
LISTED = 100


async def set_aside() -> list[InboundMessage]:
    """The newest messages waiting for an operator, newest first (without their bytes)."""
    return (
        await InboundMessage.filter(status__in=SET_ASIDE)
        .order_by("-id")
        .limit(LISTED)
        .only("id", "received_at", "status", "attempts", "mail_from", "error")
    )


async def release_for_retry(inbound_ids: Sequence[int]) -> list[int]:
    """Put the set-aside ones of ``inbound_ids`` back to be processed; the ids released."""
    chosen = await InboundMessage.filter(
        id__in=list(inbound_ids), status__in=SET_ASIDE
    ).values_list("id", flat=True)
    released = sorted(int(row_id) for row_id in chosen)  # type: ignore[call-overload]
    await InboundMessage.filter(id__in=released, status__in=SET_ASIDE).update(
        status=InboundStatus.RECEIVED.value,
        attempts=0,
        reason="run again by an operator",
        error="",
        processed_at=None,
    )
    return released


def headline(error: str) -> str:
    """The line of an error that says what went wrong: a traceback's last, else the first.

    >>> headline("Traceback (most recent call last):\\n  File x\\nValueError: bad\\n")
    'ValueError: bad'
    >>> headline("parsing took over 20 s; stopped")
    'parsing took over 20 s; stopped'
    """
    lines = [line.strip() for line in error.splitlines() if line.strip()]
    if not lines:
        return ""
    return lines[-1] if lines[0].startswith("Traceback") else lines[0]
