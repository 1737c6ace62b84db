"""``pactmail digest --now``: this period's digests at once, and a report of what was done.

The same function runs in the service's worker (asked through its queue, so
that a second process never writes the service's SQLite file, SPEC §6) and in
the command itself when no service runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from mailer.digests import digest_standing, send_due_digests
from mailer.sending import send_batch
from mailer.settings import Settings


@dataclass(frozen=True)
class DigestsSent:
    report: str  # "3 sent; 12 already sent this period; 0 paused or stopped"
    known_partner: bool  # False: --partner named no one with an active partnership

    def as_result(self) -> dict[str, object]:
        """As a job's result (JSON in Redis)."""
        return {"report": self.report, "known_partner": self.known_partner}

    @classmethod
    def from_result(cls, result: object) -> DigestsSent:
        if not (isinstance(result, dict) and isinstance(result.get("report"), str)):
            raise ValueError(f"not a digest report: {result!r}"[:200])
        return cls(result["report"], bool(result.get("known_partner")))


async def send_digests_now(settings: Settings, now: datetime, partner: str | None) -> DigestsSent:
    """Write and send this period's digests (of one partner, or all) not sent yet.

    A digest already sent for the period is not sent again, here or by cron.
    """
    before = await digest_standing(now, partner)
    if partner is not None and before.partners == 0:
        return DigestsSent(f"{partner} partners no one (no active partnership): no digest", False)
    ids = await send_due_digests(settings, now, partner_email=partner, now_not_monday=True)
    await send_batch(ids, settings, now, seconds=max(60.0, 2.0 * len(ids)))
    return DigestsSent(before.report(sent=len(ids)), True)
