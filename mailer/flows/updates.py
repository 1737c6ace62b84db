"""A member's reply with commands (SPEC §4.5, §4.6): each applied, each confirmed."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from mailer import emails
from mailer.bounce_scores import retry
from mailer.flows.base import FlowContext, Outcome
from mailer.flows.commit import sent_at_or_now
from mailer.flows.note_commands import delete_note, recent_notes, share_note
from mailer.flows.zones import name_zone
from mailer.models import (
    Commitment,
    CommitmentState,
    CommitmentUpdate,
    InboundStatus,
    Partnership,
    PartnershipState,
    Person,
)
from mailer.names import display_name, first_name
from mailer.occurrences import UnusableRule, day_in_words, day_words
from mailer.parsing.commands import Action, Audience, Command, Reading, read, said_in_passing
from mailer.recurring import settle_done
from mailer.refusals import NotUnderstood, Why
from mailer.timezones import zone_from_name
from mailer.tokens import Purpose, token_for

MAX_AWAY = timedelta(days=180)  # longer than this, end the partnership instead

log = logging.getLogger(__name__)

_STATES = {Action.DONE: CommitmentState.DONE, Action.DROP: CommitmentState.DROPPED}


async def apply_member_updates(
    ctx: FlowContext, member_id: int, reading: Reading | None = None
) -> Outcome:
    """Apply the commands in the reply (or in ``reading``, the caller's) and confirm them."""
    member = await Person.filter(id=member_id).using_db(ctx.connection).first()
    if member is None:
        raise NotUnderstood(Why.UNKNOWN_OWNER)
    ctx.require_owner(member.email, "apply the commands in your reply")
    text = ctx.reading.text
    if reading is None:
        reading = read(text, Audience.MEMBER)
    commands = reading.commands
    if not commands:
        raise NotUnderstood(Why.NO_COMMAND, quoted=unread_lines(reading, member))
    results = [
        await apply_command(ctx, member, command)
        for command in commands
        if command.action is not Action.LIST_NOTES
    ]
    token = token_for(ctx.settings.secret_key, Purpose.MEMBER, (member.id,), member, now=ctx.now)
    unread = unread_lines(reading, member)
    if reading.of(Action.LIST_NOTES):
        notes = await recent_notes(ctx, member)
        listing = emails.NotesList(
            subject=ctx.message.subject, results=results, notes=notes, unread=unread
        )
        await ctx.answer(listing, reply_token=token)
    else:
        confirmed = emails.UpdatesConfirmed(
            subject=ctx.message.subject, results=results, unread=unread
        )
        await ctx.answer(confirmed, reply_token=token)
    return Outcome(InboundStatus.PROCESSED, f"{len(commands)} update(s) read")


def unread_lines(reading: Reading, member: Person) -> list[str]:
    """The lines to quote back as not understood: not the greetings, thanks or sign-off."""
    names = frozenset(n.casefold() for n in (member.name, first_name(member.name)) if n)
    return [line for line in reading.unread if not said_in_passing(line, names)]


async def apply_command(ctx: FlowContext, member: Person, command: Command) -> str:
    """Apply one command; returns the line that tells the member what happened."""
    handler = _HANDLERS.get(command.action)
    if handler is None:  # not a member's command: the registry gives none to members
        return f"\u201c{command.line}\u201d is not something we can do here."
    return await handler(ctx, member, command)


async def _on_commitment(ctx: FlowContext, member: Person, command: Command) -> str:
    """done, drop, move or a note on one of the member's commitments."""
    commitment = (
        await Commitment.filter(member=member, number=command.number)
        .using_db(ctx.connection)
        .first()
    )
    if commitment is None:
        return f"You have no commitment numbered {command.number}."
    if (
        command.action is Action.DONE
        and commitment.recurrence
        and commitment.state == CommitmentState.OPEN.value
    ):
        # "done" settles this occurrence; "drop" is what ends a recurring one.
        try:
            return await _done_occurrence(ctx, member, commitment.id)
        except UnusableRule:
            log.warning("commitment %s: recurrence unusable, done ends it", commitment.id)
    update = CommitmentUpdate(commitment=commitment, source=ctx.inbound, kind=command.action)
    # Only the column a command changes is written: two replies processed at
    # once must not put back each other's old values.
    changed: list[str] = []
    if command.action in _STATES:
        commitment.state = _STATES[command.action].value
        update.kind = commitment.state
        changed = ["state"]
        result = f"#{command.number} is {commitment.state}: {commitment.text}"
    elif command.action is Action.MOVE:
        due = await ctx.day_named(command.text, member.timezone)  # read by the parse step
        if due is None:
            return f"We could not read a date for #{command.number} in \u201c{command.text}\u201d."
        commitment.due_date = due
        changed = ["due_date"]
        update.new_due_date = due
        update.kind = "moved"
        result = (
            f"#{command.number} is now due {day_in_words(due, ctx.now.date())}: {commitment.text}"
        )
    else:
        update.note = command.text
        result = f"#{command.number} noted: {command.text}"
    if changed:
        await commitment.save(using_db=ctx.connection, update_fields=changed)
    await update.save(using_db=ctx.connection)
    return result


async def _zone(ctx: FlowContext, member: Person, command: Command) -> str:
    return await name_zone(ctx, member, command.text)


async def _end_partner(ctx: FlowContext, member: Person, command: Command) -> str:
    return await _end_partnership(ctx, member, command.text.strip(".").lower())


async def _delete_note(ctx: FlowContext, member: Person, command: Command) -> str:
    return await delete_note(ctx, member, command.number)


async def _share_note(ctx: FlowContext, member: Person, command: Command) -> str:
    share = command.action is Action.SHARE_NOTE
    return await share_note(ctx, member, command.number, share=share)


async def _away(ctx: FlowContext, member: Person, command: Command) -> str:
    """``away until Dec 20`` pauses what partners see until that day; ``back`` ends it."""
    if command.action is Action.BACK:
        await Person.filter(id=member.id).using_db(ctx.connection).update(away_until=None)
        return "Welcome back: your partners' next digests list your commitments again."
    zone = zone_from_name(member.timezone)
    written = sent_at_or_now(ctx)
    until = await ctx.day_named(command.text, member.timezone)  # read by the parse step
    today = written.astimezone(zone).date()
    quoted = f"\u201c{command.text}\u201d"
    if until is None or until <= today:
        return f"We could not read a day to come in {quoted}, so nothing is paused."
    if until > today + MAX_AWAY:
        when = f"{day_words(until)} {until.year}"
        return f"{quoted} reads as {when}, more than {MAX_AWAY.days} days away: nothing is paused."
    await Person.filter(id=member.id).using_db(ctx.connection).update(away_until=until)
    shown = day_words(until)
    return (
        f"You are away until {shown}. Your partners' digests say so instead of listing your "
        f"commitments, and everything resumes on {shown} by itself; reply \u201cback\u201d to "
        "end it sooner."
    )


async def _done_occurrence(ctx: FlowContext, member: Person, commitment_id: int) -> str:
    """``done N`` on a recurring commitment; the line that tells the member what happened."""
    # Locked (PostgreSQL) until commit: a roll running meanwhile waits, then
    # finds the due date moved and leaves it.
    commitment = (
        await Commitment.filter(id=commitment_id).using_db(ctx.connection).select_for_update().get()
    )
    settled = await settle_done(
        ctx.connection,
        commitment,
        zone_from_name(member.timezone),
        sent_at_or_now(ctx),
        ctx.now,
        ctx.inbound,
        away=member.away_until,
    )
    number, text = commitment.number, commitment.text
    if settled.occurrence is None:
        return f"#{number} has no occurrence left to be done: {text}"
    words = day_words(settled.occurrence)
    then = (
        f"next due {day_in_words(settled.due, ctx.now.date())}"
        if settled.due
        else "that was the last one"
    )
    if settled.before:
        return f"#{number} was already done for {words}; {then}: {text}"
    return f"#{number} is done for {words}; {then}: {text}"


async def _reenable(ctx: FlowContext, member: Person, command: Command) -> str:
    """``re-enable``: mail goes again to the member's partners whose address was suspended.

    On trial: the next digest is the try, and a permanent failure of it
    suspends the address again at once (mailer/bounce_scores.py).
    """
    addresses = (
        await Partnership.filter(
            member_id=member.id,
            state__in=[PartnershipState.ACTIVE.value, PartnershipState.PAUSED.value],
        )
        .using_db(ctx.connection)
        .values_list("partner__email", flat=True)
    )
    retried = await retry([str(a) for a in addresses], ctx.now.date(), ctx.connection)
    if not retried:
        return "None of your partners' addresses is paused, so there is nothing to try again."
    return (
        f"We will try {', '.join(sorted(retried))} again with the next digest; if it comes "
        "back again, we will tell you."
    )


Handler = Callable[[FlowContext, Person, Command], Awaitable[str]]
# What each member command does (the commands themselves: mailer/parsing/commands.py).
_HANDLERS: dict[Action, Handler] = {
    Action.DONE: _on_commitment,
    Action.DROP: _on_commitment,
    Action.MOVE: _on_commitment,
    Action.NOTE: _on_commitment,
    Action.END_PARTNER: _end_partner,
    Action.TIME_ZONE: _zone,
    Action.AWAY: _away,
    Action.BACK: _away,
    Action.REENABLE: _reenable,
    Action.DELETE_NOTE: _delete_note,
    Action.SHARE_NOTE: _share_note,
    Action.UNSHARE_NOTE: _share_note,
}


async def _end_partnership(ctx: FlowContext, member: Person, address: str) -> str:
    partnership = (
        await Partnership.filter(
            member_id=member.id,
            partner__email=address,
            state__in=[
                PartnershipState.ACTIVE.value,
                PartnershipState.INVITED.value,
                PartnershipState.PAUSED.value,
            ],
        )
        .using_db(ctx.connection)
        .select_related("partner")
        .first()
    )
    if partnership is None:
        return f"{address} is not your partner, so nothing was ended."
    was_invited = partnership.state == PartnershipState.INVITED.value
    partnership.state = PartnershipState.ENDED.value
    partnership.answer = "ended by member"
    await partnership.save(using_db=ctx.connection, update_fields=["state", "answer"])
    if was_invited:  # they never got a digest: no goodbye, their invitation just closes
        return f"Your invitation to {address} is withdrawn."
    await ctx.tell(
        address,
        emails.PartnershipEnded(member_name=display_name(member)),
        key=f"partnership-ended:{partnership.id}:{ctx.inbound.id}",
    )
    return f"{address} is no longer your partner; we have thanked them."
