"""Bounce scores: when an address that keeps refusing our mail is suspended, and when not.

Mailman's rule, which its operators trust: a permanent failure adds one to
the address's score, at most once a day (a digest and a reminder bouncing
the same morning are one bad day, not two); after more than ``QUIET`` days
without one the score starts again from nothing; at the threshold
(PACTMAIL_BOUNCE_THRESHOLD, 3) the address is suspended. A weekly digest
that bounces three Mondays running is three days 7 days apart: suspended
after the third.

Not every permanent failure says the address is dead. Only those whose
RFC 3463 status is about the address or its mailbox (x.1.x, x.2.x), its
route (x.4.x: no such domain, no mail server), or says nothing finer
(x.0.x, or no status at all) count. Those about our message or about us do
not: x.3.x (too large for the system), x.5.x (protocol), x.6.x (content)
and x.7.x (policy: spam filters, DMARC, a blocklisted relay IP). Mailman
counts 5.7.x too; ESPs that send at volume do not, and neither do we: a
blocklisting of our relay would otherwise suspend every member at that
provider within three weeks, for a fault of ours. Such a failure still
marks its email ``bounced``, and is noted on the address's row.

A temporary failure (``Action: failed`` with a 4.x.x status: the remote MTA
gave up on a full mailbox or a server down for days) counts for nothing,
as in Mailman 3: the condition may pass, and the message's row keeps a note.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Subquery

from mailer.models import AddressBounces, Person

QUIET = timedelta(days=7)  # more than this without a bounce: the score starts again
# RFC 3463 subjects (the middle digit) that speak of the address, its mailbox
# or its route, or of nothing finer: these count towards suspension.
_ABOUT_THE_ADDRESS = frozenset({"0", "1", "2", "4"})


def counts_against_address(status: str | None) -> bool:
    """Whether a permanent failure with this RFC 3463 status counts towards the score.

    >>> [counts_against_address(s) for s in ("5.1.1", "5.2.2", "5.4.4", "5.0.0", None)]
    [True, True, True, True, True]
    >>> [counts_against_address(s) for s in ("5.7.1", "5.7.26", "5.6.0", "5.3.4", "5.5.0")]
    [False, False, False, False, False]
    """
    if status is None:
        return True  # the MTA gave up and said no more: Mailman counts these too
    parts = status.split(".")
    return len(parts) == 3 and parts[1] in _ABOUT_THE_ADDRESS


@dataclass(frozen=True)
class Standing:
    """An address's score as the rule sees it."""

    score: int = 0
    last_bounce_on: date | None = None
    suspended: bool = False
    retry_since: date | None = None  # "re-enable": mail goes again, on trial

    @property
    def held(self) -> bool:
        """Whether mail other than answers is withheld from the address now."""
        return self.suspended and self.retry_since is None


def after_bounce(before: Standing, today: date, threshold: int) -> Standing:
    """The standing after a permanent failure that counts, reported on ``today``.

    >>> day = date(2026, 12, 7)
    >>> s = after_bounce(Standing(), day, 3)
    >>> s.score, s.held
    (1, False)
    >>> after_bounce(s, day, 3) == s  # once a day
    True
    >>> s = after_bounce(after_bounce(s, day + QUIET, 3), day + 2 * QUIET, 3)
    >>> s.score, s.held  # three Mondays running
    (3, True)
    >>> after_bounce(Standing(2, day), day + QUIET + timedelta(days=1), 3).score  # quiet: anew
    1
    """
    if before.retry_since is not None:
        if today - before.retry_since <= QUIET:
            # Tried again on a member's word, and it failed again: suspended
            # at once, not after another three weeks of lost mail.
            return Standing(max(before.score, threshold), today, True, None)
        before = Standing()  # quiet days after the retry: it worked, start anew
    if before.last_bounce_on == today:
        return before
    stale = before.last_bounce_on is None or today - before.last_bounce_on > QUIET
    score = 1 if stale else before.score + 1
    return Standing(score, today, before.suspended or score >= threshold, None)


def retried(before: Standing, today: date) -> Standing:
    """The standing after a member's "re-enable": mail goes again, on trial.

    >>> retried(Standing(3, date(2026, 12, 7), True), date(2026, 12, 9)).held
    False
    """
    return replace(before, retry_since=today) if before.suspended else before


def standing_of(row: AddressBounces | None) -> Standing:
    if row is None:
        return Standing()
    return Standing(row.score, row.last_bounce_on, row.suspended_at is not None, row.retry_since)


def not_held() -> Subquery:
    """For ``email__not_in=``: the addresses no digest, reminder, summary or invitation goes to."""
    return Subquery(
        AddressBounces.filter(suspended_at__not_isnull=True, retry_since__isnull=True).values(
            "address"
        )
    )


async def held_people(person_ids: Sequence[int]) -> set[int]:
    """Of these people, those whose address is suspended: no regular mail goes to them."""
    held = Person.filter(id__in=list(person_ids), email__in=not_held())
    return {int(row["id"]) for row in await held.values("id")}


async def is_held(address: str, connection: BaseDBAsyncClient | None = None) -> bool:
    return (
        await AddressBounces.filter(
            address=address.lower(), suspended_at__not_isnull=True, retry_since__isnull=True
        )
        .using_db(connection)
        .exists()
    )


async def record_bounce(
    address: str,
    failure: str,
    now: datetime,
    threshold: int,
    connection: BaseDBAsyncClient,
) -> tuple[Standing, Standing]:
    """Count one permanent failure against ``address``: its standing before and after."""
    address = address.lower()
    row = (
        await AddressBounces.filter(address=address)
        .using_db(connection)
        .select_for_update()
        .first()
    )
    before = standing_of(row)
    after = after_bounce(before, now.date(), threshold)
    suspended_at = row.suspended_at if row is not None else None
    if after.held and not before.held:
        suspended_at = now  # a new suspension, or one after a failed retry
    values = {
        "score": after.score,
        "last_bounce_on": after.last_bounce_on,
        "retry_since": after.retry_since,
        "last_failure": failure[:500],
        "suspended_at": suspended_at if after.suspended else None,
    }
    if row is None:
        await AddressBounces.create(using_db=connection, address=address, **values)
    else:
        await AddressBounces.filter(id=row.id).using_db(connection).update(**values)
    return before, after


async def note_failure(address: str, failure: str, connection: BaseDBAsyncClient) -> None:
    """Keep the words of a failure that does not count, on a row that exists already."""
    await (
        AddressBounces.filter(address=address.lower())
        .using_db(connection)
        .update(last_failure=failure[:500])
    )


async def clear(addresses: list[str], connection: BaseDBAsyncClient | None = None) -> int:
    """Forget the scores of addresses shown to work (mail came from them): how many there were."""
    if not addresses:
        return 0
    return (
        await AddressBounces.filter(address__in=[a.lower() for a in addresses])
        .using_db(connection)
        .delete()
    )


async def retry(addresses: list[str], today: date, connection: BaseDBAsyncClient) -> list[str]:
    """A member's "re-enable": the suspended ones of ``addresses`` get mail again, on trial."""
    rows = (
        await AddressBounces.filter(
            address__in=[a.lower() for a in addresses],
            suspended_at__not_isnull=True,
            retry_since__isnull=True,
        )
        .using_db(connection)
        .values_list("address", flat=True)
    )
    found = [str(address) for address in rows]
    if found:
        await (
            AddressBounces.filter(address__in=found).using_db(connection).update(retry_since=today)
        )
    return found
