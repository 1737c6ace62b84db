"""Processing one stored inbound message: parse, decide, act, record (SPEC §5).

Run as a job, possibly more than once: the first run that commits claims the
message by its deduplication key, so a second run, or a second copy of the
same message, changes nothing.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from mailer.activity import log_handled
from mailer.addresses import Route, RouteKind, parse_recipient
from mailer.bounce_scores import clear
from mailer.db import DATABASE_UNAVAILABLE
from mailer.failures import (
    MAX_TRIES,
    NEVER_ANSWERING,
    UNFINISHED,
    failed_try,
    quarantine,
    record_failure,
)
from mailer.flows import FLOWS, PRIORITY, FlowContext, Outcome
from mailer.flows.base import Proof
from mailer.flows.confirm import ask_owner_to_confirm, ask_sender_to_confirm
from mailer.models import InboundMessage, InboundStatus, OutboundMessage, OutboundStatus, Person
from mailer.parsing.mime import ParsedMessage
from mailer.parsing.prepare import Prepared
from mailer.ratelimit import Limiter, rate_words
from mailer.reading import (
    MessageTooHardToParse,
    ParseFailed,
    RawMailDeleted,
    Reader,
    Reading,
    job_for,
)
from mailer.refusals import (
    NotTheOwner,
    NotUnderstood,
    RecipientRefused,
    Refused,
    SenderOverLimit,
    Unproven,
    Why,
)
from mailer.settings import Settings
from mailer.sql import insert_returning_ids, placeholders, update_each
from mailer.tokens import address_key
from mailer.trust.judge import Delivery, SenderJudge, SenderVerdict

log = logging.getLogger(__name__)

# Few enough that a failure (each then redone alone) stays cheap, and that a
# transaction holding members' rows (and, on SQLite, the database) ends soon.
MESSAGES_PER_TRANSACTION = 8
# Tries of a job before a DNS look-up that keeps failing counts as no proof.
DNS_TRIES = 4


class TransientProcessingError(Exception):
    """Processing could not finish for a reason that may pass (database, race)."""


_TRY_AGAIN: tuple[type[Exception], ...] = (TransientProcessingError, *DATABASE_UNAVAILABLE)


@dataclass
class BatchResult:
    """What processing a batch left to do."""

    to_send: list[int] = field(default_factory=list)  # outbound rows waiting to be sent
    to_retry: list[int] = field(default_factory=list)  # inbound rows that met a passing fault
    errors: list[str] = field(default_factory=list)


async def process_batch(
    inbound_ids: Sequence[int],
    settings: Settings,
    now: datetime,
    judge: SenderJudge,
    reader: Reader,
    attempt: int = 1,
    limiter: Limiter | None = None,
) -> BatchResult:
    """Process several stored messages, several per transaction where all goes well.

    A transaction costs round trips (BEGIN, COMMIT) and a commit; sharing one
    among a few messages halves the database work of the common case. When
    anything in a shared transaction fails (a duplicate, a race, a message's
    own fault, an outage), it is rolled back and each of its messages is
    processed again on its own, exactly as if it had come alone. One
    message's passing fault does not hold the others back: it is listed to be
    tried again. ``limiter`` counts messages per sender (None: no limit);
    ``reader`` is the parse step, where all of a message's parsing happens.
    """
    result = BatchResult()
    rows = await InboundMessage.filter(id__in=list(inbound_ids)).order_by("id")
    alone: list[tuple[InboundMessage, Reading | None, SenderVerdict | None, bool]] = [
        (inbound, None, None, False)  # done before: only its mail may wait
        for inbound in rows
        if inbound.status != InboundStatus.RECEIVED.value
    ]
    received = [inbound for inbound in rows if inbound.status == InboundStatus.RECEIVED.value]
    waiting = await _to_try(received, settings, now, reader, result)
    routes = {inbound.id: _main_route(inbound, settings, now) for inbound in waiting}
    readings = await _read_all(reader, waiting, routes, settings, now)
    read = [
        (inbound, reading)
        for inbound, reading in zip(waiting, readings, strict=True)
        if isinstance(reading, Prepared)
    ]
    verdicts = dict(
        zip(
            [inbound.id for inbound, _ in read],
            await judge.judge_all(
                [_delivery(inbound, reading.message) for inbound, reading in read]
            ),
            strict=True,
        )
    )
    ready: list[_Ready] = []
    unread: list[int] = []
    for inbound, reading in zip(waiting, readings, strict=True):
        if reading is None:  # not read in this run's time: the next run reads it
            result.to_retry.append(inbound.id)
            unread.append(inbound.id)
            continue
        if isinstance(reading, (MessageTooHardToParse, ParseFailed)):
            # A failed try: the sweep queues it again, until MAX_TRIES.
            route = routes[inbound.id]
            await failed_try(inbound, reading, route, settings, now, reader)
            result.to_send += await pending_outbound(inbound.id)
            continue
        if isinstance(reading, Exception):
            alone.append((inbound, reading, None, False))  # its failure is recorded alone
            continue
        message = reading.message
        route = routes[inbound.id]
        sender = message.from_address or _bare(inbound.mail_from)
        verdict = verdicts[inbound.id]
        if verdict.temporary and attempt < DNS_TRIES:
            # The signer's DNS did not answer: ask again later rather than
            # hold genuine mail as unproven.
            result.to_retry.append(inbound.id)
            result.errors.append(f"inbound {inbound.id}: {verdict.evidence}")
            continue
        limited = await _over_sender_limit(limiter, settings, route, sender, message, verdict)
        if (
            route is None
            or not sender
            or route.kind is not RouteKind.COMMIT
            or _invites(message)
            or limited
        ):
            # Only new commitments share transactions: their flow reads
            # nothing that another message of the group writes. Invitations
            # do: the limits count the invitations already sent. A limited
            # message's answer, once a day, is looked for in the database.
            alone.append((inbound, reading, verdict, limited))
        else:
            ready.append(_Ready(inbound, reading, route, sender, verdict))
    if unread:  # not tried after all
        await InboundMessage.filter(id__in=unread).update(attempts=F("attempts") - 1)
    # By sender, so that two transactions lock members' rows in the same order.
    ready.sort(key=lambda item: (item.sender, item.inbound.id))
    for start in range(0, len(ready), MESSAGES_PER_TRANSACTION):
        group = ready[start : start + MESSAGES_PER_TRANSACTION]
        try:
            result.to_send += await _process_together(group, settings, now, reader)
        except Exception as exc:
            log.info("%d message(s) go one by one after: %r", len(group), exc)
            alone += [(item.inbound, item.reading, item.verdict, item.limited) for item in group]
    for inbound, parsed, verdict, limited in sorted(alone, key=lambda each: each[0].id):
        try:
            result.to_send += await process_inbound(
                inbound, settings, now, judge, reader, attempt, parsed, verdict, limited
            )
        except _TRY_AGAIN as exc:
            result.to_retry.append(inbound.id)
            result.errors.append(f"inbound {inbound.id}: {exc}")
    retrying = set(result.to_retry)
    await log_handled([inbound.id for inbound in waiting if inbound.id not in retrying])
    return result


async def _to_try(
    received: list[InboundMessage],
    settings: Settings,
    now: datetime,
    reader: Reader,
    result: BatchResult,
) -> list[InboundMessage]:
    """The messages to try now, with one more try each, committed before any parsing.

    Counted first, so that a try that never ends (a parse process or the
    whole worker killed, a job past its timeout) counts all the same. A
    message whose tries are used up that way is quarantined instead.
    """
    for inbound in [inbound for inbound in received if inbound.attempts >= MAX_TRIES]:
        route = _main_route(inbound, settings, now)
        await quarantine(inbound, route, settings, now, reader, inbound.error or UNFINISHED)
        result.to_send += await pending_outbound(inbound.id)
    rows = [inbound for inbound in received if inbound.attempts < MAX_TRIES]
    if not rows:
        return rows
    ids = [inbound.id for inbound in rows]
    connection = InboundMessage._meta.db
    status, *each = placeholders(connection, 1 + len(ids))
    # One round trip: the new counts come back with the update.
    counted = await connection.execute_query_dict(
        # Only parameter markers are formatted in; the values are parameters.
        f'UPDATE "inbound_message" SET "attempts" = "attempts" + 1 '  # noqa: S608
        f'WHERE "status" = {status} AND "id" IN ({", ".join(each)}) RETURNING "id", "attempts"',
        [InboundStatus.RECEIVED.value, *ids],
    )
    tries = {int(row["id"]): int(row["attempts"]) for row in counted}
    for inbound in rows:
        inbound.attempts = tries.get(inbound.id, inbound.attempts)
    return rows


async def _read_all(
    reader: Reader,
    rows: Sequence[InboundMessage],
    routes: dict[int, Route | None],
    settings: Settings,
    now: datetime,
) -> list[Reading | None]:
    """Each message read by the parse step for the flow of its address, in ``rows``' order."""
    jobs, deleted = [], {}
    for index, inbound in enumerate(rows):
        route = routes[inbound.id]
        try:
            jobs.append(job_for(inbound, settings.domain, route.kind.value if route else None, now))
        except RawMailDeleted as gone:
            deleted[index] = gone
    readings = iter(await reader.read_all(jobs))
    return [deleted[index] if index in deleted else next(readings) for index in range(len(rows))]


async def _over_sender_limit(
    limiter: Limiter | None,
    settings: Settings,
    route: Route | None,
    sender: str,
    message: ParsedMessage,
    verdict: SenderVerdict,
) -> bool:
    """Count a message that would act against its sender's rate; True once that is used up.

    Counted here, for messages still waiting, outside any transaction: a run
    that commits leaves the message done, so no later run counts it again.
    A run that counts and then fails before committing (an outage, a race)
    does leave its hit behind, and the next try counts the message once
    more: at worst a sender is limited a message early, never let past.
    """
    if limiter is None or route is None or not sender:
        return False
    if route.kind in NEVER_ANSWERING or message.auto_reply_reason is not None:
        return False  # never acts on a sender's behalf: nothing to limit
    # A keyed hash: Redis need not hold people's addresses. Proven and
    # unproven mail count apart, so that forgeries in someone's name cannot
    # use up the rate of their own, authenticated mail.
    key = address_key(settings.secret_key, sender) + (":a" if verdict.authenticated else ":u")
    return not await limiter.allow(settings.rate_limits.sender, "sender", key)


def _delivery(inbound: InboundMessage, message: ParsedMessage) -> Delivery:
    return Delivery(bytes(inbound.content), message.from_address, inbound.peer)


def _invites(message: ParsedMessage) -> bool:
    """Whether a message to commit@ may nominate partners (by Cc or a partner: line)."""
    return bool(message.cc) or "partner" in message.text.lower()


@dataclass(frozen=True)
class _Ready:
    """A parsed message with somewhere to go and someone to answer."""

    inbound: InboundMessage
    reading: Prepared
    route: Route
    sender: str
    verdict: SenderVerdict
    limited: bool = False  # over its sender's hourly rate: not acted on


async def _process_together(
    group: Sequence[_Ready], settings: Settings, now: datetime, reader: Reader
) -> list[int]:
    """All of ``group`` in one transaction, or (by raising) none of it.

    The group's messages are held first, with one statement, and their
    outcomes written at the end with one more; each flow writes its own rows
    as it goes (flows/base.py). One commit for several messages is what the
    sharing saves: on PostgreSQL 2,000 signed messages were processed at
    142-156 msg/s in groups of 8 against 64-90 msg/s one per transaction
    (bench/inbound.py, 1 smtp + 2 workers; on SQLite 135-152 against 109-111).
    """
    ids = [item.inbound.id for item in group]
    async with in_transaction() as connection:
        # Holding: only messages still waiting count, and from here on no
        # other run can take them (the rows are locked on PostgreSQL; SQLite
        # has one writer). Fewer than all: another run took some.
        held = (
            await InboundMessage.filter(id__in=ids, status=InboundStatus.RECEIVED.value)
            .using_db(connection)
            .update(status=InboundStatus.RECEIVED.value)  # no change: a lock and a count
        )
        if held != len(group):
            raise _AlreadyDone
        senders = sorted({item.sender for item in group})
        people = {
            person.email: person
            for person in await Person.filter(email__in=senders).using_db(connection)
        }
        outbox: list[OutboundMessage] = []
        outcomes: list[tuple[int, Sequence[object]]] = []
        working: set[str] = set()  # addresses shown to take mail: their bounce scores go
        for item in group:
            ctx = FlowContext(
                item.inbound,
                item.reading,
                item.route,
                item.sender,
                settings,
                now,
                connection,
                reader,
                people=people,
                proof=Proof.AUTHENTICATED if item.verdict.authenticated else Proof.NONE,
            )
            outcome = await _decide(ctx, item.limited)
            outbox += ctx.outbox
            if item.verdict.authenticated and _written_by_a_person(ctx, outcome):
                working.add(item.sender)
            outcomes.append((item.inbound.id, _claim_values(ctx, outcome, item.verdict)))
        await clear(sorted(working), connection)
        queued = await insert_returning_ids(connection, outbox)
        # The claim: the dedup key is unique, so of two copies of one message
        # only one transaction commits.
        await update_each(InboundMessage, _CLAIM_COLUMNS, outcomes, connection=connection)
    return queued


def _written_by_a_person(ctx: FlowContext, outcome: Outcome) -> bool:
    """Mail a person wrote from their address: what shows the address works (not a robot's)."""
    return (
        ctx.route.kind not in NEVER_ANSWERING
        and ctx.message.auto_reply_reason is None
        and outcome.status is not InboundStatus.LIMITED
    )


_CLAIM_COLUMNS = (
    "dedup_key",
    "message_id",
    "status",
    "reason",
    "processed_at",
    "sender_auth",
    "sender_evidence",
    "sender_key",
)


def _claim_values(ctx: FlowContext, outcome: Outcome, verdict: SenderVerdict) -> Sequence[object]:
    # A limited message claims no key: it was not acted on, so a copy of it
    # arriving later, within its sender's rate, is not a duplicate.
    acted = outcome.status is not InboundStatus.LIMITED
    return (
        dedup_key(ctx.message, ctx.inbound) if acted else None,
        (ctx.message.message_id or "")[:998] or None,
        outcome.status.value,
        outcome.reason[:200],
        ctx.now,
        verdict.label,
        verdict.evidence[:300],
        None if outcome.forgets_sender else address_key(ctx.settings.secret_key, ctx.sender),
    )


async def process_inbound(
    inbound: InboundMessage,
    settings: Settings,
    now: datetime,
    judge: SenderJudge,
    reader: Reader,
    attempt: int = 1,
    reading: Reading | None = None,
    verdict: SenderVerdict | None = None,
    limited: bool = False,
) -> list[int]:
    """Process one message in its own transaction; returns outbound ids waiting to be sent.

    ``reading`` is what the parse step read, and ``verdict`` who sent it,
    if they are known already; ``limited``: its sender is over their rate.
    """
    if inbound.status == InboundStatus.RECEIVED.value:
        message: ParsedMessage | None = None
        try:
            if isinstance(reading, Exception):
                raise reading
            if reading is None:
                route = _main_route(inbound, settings, now)
                job = job_for(inbound, settings.domain, route.kind.value if route else None, now)
                reading = await reader.read_one(job)
            message = reading.message
            if verdict is None:
                [verdict] = await judge.judge_all([_delivery(inbound, message)])
            return await _process(inbound, reading, verdict, settings, now, reader, limited)
        except DATABASE_UNAVAILABLE as exc:
            raise TransientProcessingError(str(exc)) from exc
        except IntegrityError as exc:
            # A race on a unique key with another message of the same member.
            raise TransientProcessingError(str(exc)) from exc
        except Exception as exc:  # this message's fault: retrying will not help
            log.exception("inbound %s failed", inbound.id)
            await record_failure(
                inbound, message, _main_route(inbound, settings, now), settings, now, exc
            )
    # Done before (a re-run, or a failure just recorded): its mail may still wait.
    return await pending_outbound(inbound.id)


async def pending_outbound(inbound_id: int) -> list[int]:
    """Outbound rows caused by this message that are not sent yet."""
    ids = await OutboundMessage.filter(
        inbound_id=inbound_id, status=OutboundStatus.PENDING.value
    ).values_list("id", flat=True)
    return cast(list[int], ids)


class _AlreadyDone(Exception):
    """Raised inside the transaction to roll back work another run already did."""


async def _process(
    inbound: InboundMessage,
    reading: Prepared,
    verdict: SenderVerdict,
    settings: Settings,
    now: datetime,
    reader: Reader,
    limited: bool = False,
) -> list[int]:
    route = _main_route(inbound, settings, now)
    if route is None:
        return await _finish_without_route(inbound, now)
    message = reading.message
    sender = message.from_address or _bare(inbound.mail_from)
    try:
        return await _process_together(
            [_Ready(inbound, reading, route, sender, verdict, limited)], settings, now, reader
        )
    except _AlreadyDone:
        return []  # another run finished it meanwhile; its sends are its own
    except IntegrityError:
        key = dedup_key(message, inbound)
        if not await _is_duplicate(key, inbound.id):
            raise
        await InboundMessage.filter(id=inbound.id).update(
            status=InboundStatus.DUPLICATE.value,
            reason="the same message was already processed",
            processed_at=now,
        )
        return []


async def _finish_without_route(inbound: InboundMessage, now: datetime) -> list[int]:
    await InboundMessage.filter(id=inbound.id, status=InboundStatus.RECEIVED.value).update(
        status=InboundStatus.IGNORED.value,
        reason="no recipient of ours",
        processed_at=now,
    )
    return []


async def _decide(ctx: FlowContext, limited: bool = False) -> Outcome:
    automatic = ctx.message.auto_reply_reason
    if automatic is not None and ctx.route.kind not in NEVER_ANSWERING:
        return Outcome(InboundStatus.IGNORED, f"not answered (RFC 3834): {automatic}")
    if not ctx.sender and ctx.route.kind not in NEVER_ANSWERING:
        # A report to a return path may come with no From at all: it is read all the same.
        return Outcome(InboundStatus.IGNORED, "no address to answer")
    try:
        if ctx.reading.over_cap is not None and ctx.route.kind not in NEVER_ANSWERING:
            raise NotUnderstood(Why.TOO_MUCH, what=ctx.reading.over_cap)
        if limited:
            rate = ctx.settings.rate_limits.sender
            raise SenderOverLimit(rate_words(rate) if rate is not None else "a few messages")
        return await FLOWS[ctx.route.kind](ctx)
    except SenderOverLimit as refusal:
        # Once a day however proven the sender: the answer must not become
        # a flood of its own.
        await ctx.answer(refusal.answer(ctx.message.subject), once_a_day=True)
        return Outcome(InboundStatus.LIMITED, f"limited: {refusal.reason}")
    except Unproven as held:
        if await ask_sender_to_confirm(ctx, held):
            return Outcome(InboundStatus.HELD, "held: sender not proven; asked them to confirm")
        return Outcome(InboundStatus.HELD, "held: sender not proven; asked already today")
    except NotTheOwner as refusal:
        if not await ask_owner_to_confirm(ctx, refusal.owner):
            return Outcome(InboundStatus.HELD, "held: another's address; its owner asked today")
        await ctx.answer(refusal.answer(ctx.message.subject))
        return Outcome(InboundStatus.HELD, "held: sent from another address; asked its owner")
    except Refused as refusal:
        await ctx.answer(refusal.answer(ctx.message.subject))
        return Outcome(InboundStatus.PROCESSED, f"answered: {refusal.reason}")


def _main_route(inbound: InboundMessage, settings: Settings, now: datetime) -> Route | None:
    routes: list[Route] = []
    for address in inbound.rcpt_tos:
        try:
            routes.append(
                parse_recipient(address, domain=settings.domain, key=settings.secret_key, now=now)
            )
        except RecipientRefused:
            continue  # accepted at RCPT, but e.g. the key changed since
    if not routes:
        return None
    return min(routes, key=lambda route: PRIORITY.index(route.kind))


def dedup_key(message: ParsedMessage, inbound: InboundMessage) -> str:
    """Equal for two copies of one message to the same recipients."""
    identity = (
        f"mid:{message.message_id}"
        if message.message_id
        else "sha:" + hashlib.sha256(bytes(inbound.content)).hexdigest()
    )
    recipients = ",".join(sorted({address.lower() for address in inbound.rcpt_tos}))
    # The sender too: another sender reusing a Message-ID is not a resend.
    sender = message.from_address or _bare(inbound.mail_from)
    return hashlib.sha256(f"{identity}\n{recipients}\n{sender}".encode()).hexdigest()


async def _is_duplicate(key: str, inbound_id: int) -> bool:
    return await InboundMessage.filter(dedup_key=key).exclude(id=inbound_id).exists()


def _bare(address: str) -> str:
    return address.strip().strip("<>").lower()
