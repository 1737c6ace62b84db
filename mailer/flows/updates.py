"""A member's reply with commands (SPEC §4.5, §4.6): each applied, each confirmed."""

from __future__ import annotations

import logging
from datetime import timedelta

from mailer import emails
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
from mailer.names import display_name
from mailer.occurrences import UnusableRule, day_words
from mailer.parsing.duedates import read_due
from mailer.parsing.newtext import new_text
from mailer.parsing.updates import Action, Command, read_commands
from mailer.recurring import settle_done
from mailer.refusals import NotUnderstood, Why
from mailer.timezones import zone_from_name
from mailer.tokens import Purpose, token_for

MAX_AWAY = timedelta(days=180)  # longer than this, end the partnership instead

log = logging.getLogger(__name__)

_STATES = {Action.DONE: CommitmentState.DONE, Action.DROP: CommitmentState.DROPPED}


async def apply_member_updates(
    ctx: FlowContext, member_id: int, commands: list[Command] | None = None
) -> Outcome:
    """Apply the commands in the reply (or ``commands``, read by the caller) and confirm them."""
    member = await Person.filter(id=member_id).using_db(ctx.connection).first()
    if member is None:
        raise NotUnderstood(Why.UNKNOWN_OWNER)
    ctx.require_owner(member.email, "apply the commands in your reply")
    text = new_text(ctx.message.text)
    if commands is None:
        commands = read_commands(text)
    if not commands:
        raise NotUnderstood(Why.NO_COMMAND, quoted=text.splitlines())
    results = [
        await apply_command(ctx, member, command)
        for command in commands
        if command.action is not Action.LIST_NOTES
    ]
    token = token_for(ctx.settings.secret_key, Purpose.MEMBER, (member.id,), member, now=ctx.now)
    if any(command.action is Action.LIST_NOTES for command in commands):
        notes = await recent_notes(ctx, member)
        listing = emails.NotesList(subject=ctx.message.subject, results=results, notes=notes)
        await ctx.answer(listing, reply_token=token)
    else:
        confirmed = emails.UpdatesConfirmed(subject=ctx.message.subject, results=results)
        await ctx.answer(confirmed, reply_token=token)
    return Outcome(InboundStatus.PROCESSED, f"{len(commands)} update(s) read")


async def apply_command(ctx: FlowContext, member: Person, command: Command) -> str:
    """Apply one command; returns the line that tells the member what happened."""
    if command.action is Action.END_PARTNER:
        return await _end_partnership(ctx, member, command.text.strip(".").lower())
    if command.action is Action.TIME_ZONE:
        return await name_zone(ctx, member, command.text)
    if command.action in (Action.AWAY, Action.BACK):
        return await _away(ctx, member, command)
    if command.action is Action.DELETE_NOTE:
        return await delete_note(ctx, member, command.number)
    if command.action in (Action.SHARE_NOTE, Action.UNSHARE_NOTE):
        share = command.action is Action.SHARE_NOTE
        return await share_note(ctx, member, command.number, share=share)
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
        zone = zone_from_name(member.timezone)
        reading = read_due(f"by {command.text}", sent_at_or_now(ctx), zone)
        if reading.due is None:
            return f"We could not read a date for #{command.number} in \u201c{command.text}\u201d."
        commitment.due_date = reading.due
        changed = ["due_date"]
        update.new_due_date = reading.due
        update.kind = "moved"
        result = f"#{command.number} is now due {reading.due.isoformat()}: {commitment.text}"
    else:
        update.note = command.text
        result = f"#{command.number} noted: {command.text}"
    if changed:
        await commitment.save(using_db=ctx.connection, update_fields=changed)
    await update.save(using_db=ctx.connection)
    return result


async def _away(ctx: FlowContext, member: Person, command: Command) -> str:
    """``away until Dec 20`` pauses what partners see until that day; ``back`` ends it."""
    if command.action is Action.BACK:
        await Person.filter(id=member.id).using_db(ctx.connection).update(away_until=None)
        return "Welcome back: your partners' next digests list your commitments again."
    zone = zone_from_name(member.timezone)
    written = sent_at_or_now(ctx)
    until = read_due(f"by {command.text}", written, zone).due
    today = written.astimezone(zone).date()
    quoted = f"\u201c{command.text}\u201d"
    if until is None or until <= today:
        return f"We could not read a day to come in {quoted}, so nothing is paused."
    if until > today + MAX_AWAY:
        return f"{quoted} is more than {MAX_AWAY.days} days away, so nothing is paused."
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
    then = f"next due {settled.due.isoformat()}" if settled.due else "that was the last one"
    if settled.before:
        return f"#{number} was already done for {words}; {then}: {text}"
    return f"#{number} is done for {words}; {then}: {text}"


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
    ctx.tell(
        address,
        emails.PartnershipEnded(member_name=display_name(member)),
        key=f"partnership-ended:{partnership.id}:{ctx.inbound.id}",
    )
    return f"{address} is no longer your partner; we have thanked them."
