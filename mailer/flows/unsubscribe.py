"""unsubscribe+TOKEN@: a List-Unsubscribe mailto: stops one kind of mail for one person.

The token alone is the authority (RFC 2369, RFC 8058). The message comes
from the recipient's mail provider, in their name or in its own, often
unauthenticated; an unsubscribe only ever means less mail, so no sender
proof (SPEC §7) is asked for. What must hold is the token: signed, of the
unsubscribe purpose (the SMTP server refuses any other at RCPT, and this
flow again), naming a kind, and bound to the address and key epoch of the
person it names — so it acts only for the mailbox it was sent to, and not
after "forget me". Whoever sends it, the one acknowledgement goes to that
person, never to the sender: the address is no way to mail third parties.
Expired tokens still act: the signature shows we made it, and a way out
must not stop working.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from mailer import emails
from mailer.emails.kinds import STOPS_BY_CODE, Stop
from mailer.flows.base import FlowContext, Outcome
from mailer.models import DigestCadence, InboundStatus, MailStop, NeverInvite, Person
from mailer.sql import insert_new
from mailer.tokens import Purpose, address_key


async def unsubscribe(ctx: FlowContext) -> Outcome:
    token = ctx.route.token
    if token is None or token.purpose is not Purpose.UNSUBSCRIBE or len(token.ids) != 2:
        return Outcome(InboundStatus.IGNORED, "unsubscribe: not an unsubscribe token")
    person_id, code = token.ids
    stop = STOPS_BY_CODE.get(code)
    person = await Person.filter(id=person_id).using_db(ctx.connection).first()
    if (
        stop is None
        or person is None
        or not token.is_bound_to(ctx.settings.secret_key, person.email, person.token_epoch)
    ):
        # Forgotten since, or a token of an earlier epoch: nothing of theirs to stop.
        return Outcome(InboundStatus.IGNORED, "unsubscribe: no one it is for")
    if not await _APPLY[stop](ctx, person):
        return Outcome(InboundStatus.PROCESSED, f"unsubscribe: {stop.value} stopped already")
    # In the owner's thread when the owner wrote; else a new one, to them alone.
    asked = ctx.message.message_id
    own = ctx.sender.lower() == person.email.lower()
    await ctx.tell(
        person.email,
        emails.Unsubscribed(stopped=stop.value),
        key=f"unsubscribed:{ctx.inbound.id}:{stop.value}",
        thread=(asked,) if asked and own else (),
    )
    return Outcome(InboundStatus.PROCESSED, f"unsubscribe: {stop.value} stopped")


async def _stop_digests(ctx: FlowContext, person: Person) -> bool:
    # Where a typed "stop" puts it too: "weekly" in a reply to a digest undoes either.
    changed = (
        await Person.filter(id=person.id)
        .exclude(digest_cadence=DigestCadence.STOPPED.value)
        .using_db(ctx.connection)
        .update(digest_cadence=DigestCadence.STOPPED.value)
    )
    return changed > 0


async def _never_invite(ctx: FlowContext, person: Person) -> bool:
    # The "never" answer's own record: a keyed hash, which outlives "forget me".
    row = NeverInvite(
        address_hash=address_key(ctx.settings.secret_key, person.email), created_at=ctx.now
    )
    return bool(await insert_new(ctx.connection, [row], ["address_hash"]))


def _stopping(stop: Stop) -> Callable[[FlowContext, Person], Awaitable[bool]]:
    async def record(ctx: FlowContext, person: Person) -> bool:
        # Unique per person and kind: of two at once, one inserts and is acknowledged.
        row = MailStop(person_id=person.id, kind=stop.value, created_at=ctx.now)
        return bool(await insert_new(ctx.connection, [row], ["person_id", "kind"]))

    return record


# How each kind is stopped: True when this message stopped it, False when it was already.
_APPLY: dict[Stop, Callable[[FlowContext, Person], Awaitable[bool]]] = {
    Stop.DIGEST: _stop_digests,
    Stop.INVITATION: _never_invite,
    Stop.SUMMARY: _stopping(Stop.SUMMARY),
    Stop.NUDGE: _stopping(Stop.NUDGE),
    Stop.REMINDER: _stopping(Stop.REMINDER),
}
