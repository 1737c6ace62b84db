"""notes@: a coach's email forwarded by a member, kept privately; its action items proposed.

The note itself is the member's alone (SPEC §4.6) until they say ``share``.
Action items become proposed commitments, numbered in the confirmation; the
member publishes them with ``add all`` or ``add 1 3`` by reply, and only then
do they become commitments that partners see.
"""

from __future__ import annotations

import re
from datetime import date

from mailer import emails
from mailer.flows.base import FlowContext, Outcome
from mailer.flows.commit import publish_commitments, sent_at_or_now
from mailer.flows.invitations import invite_partners
from mailer.flows.updates import apply_member_updates
from mailer.models import CoachingNote, Commitment, InboundStatus, Person
from mailer.names import first_name
from mailer.parsing.commands import Action, Audience, Command, Reading, read
from mailer.parsing.forwards import Forward
from mailer.parsing.partners import Nominee, nominees
from mailer.redact import mask_address
from mailer.refusals import NotUnderstood, Unproven, Why
from mailer.sql import insert_returning_ids, raise_counter
from mailer.timezones import offset_name, zone_from_name
from mailer.tokens import Purpose, token_for


async def commit_or_note(ctx: FlowContext) -> Outcome:
    """commit@: a forwarded email is a coaching note (SPEC §4.6), anything else commitments."""
    # The parse step looked for a forward (mailer/parsing/prepare.py).
    forward = ctx.reading.forward
    if forward is not None:
        return await _keep(ctx, forward)
    return await publish_commitments(ctx)


async def keep_coaching_note(ctx: FlowContext) -> Outcome:
    """notes@: the forwarded email kept as a note, or the member told none was found."""
    forward = ctx.reading.forward
    if forward is None:
        raise NotUnderstood(Why.NO_FORWARD)
    return await _keep(ctx, forward)


async def _keep(ctx: FlowContext, forward: Forward) -> Outcome:
    if not ctx.proven:
        coach = forward.coach_name or mask_address(forward.coach_address) or "a coach"
        raise Unproven([f"keep a coaching note from {coach} privately for you"])
    member = await ctx.person(ctx.sender)
    if member is None:
        member = await Person.create(
            using_db=ctx.connection,
            email=ctx.sender,
            name=ctx.message.from_name[:200],
            timezone=offset_name(sent_at_or_now(ctx)),
            note_count=1,
        )
        ctx.people[member.email] = member
        number = 1
    else:
        number = await raise_counter(ctx.connection, member, "note_count", 1)
    # The member's own lines above the forward ("I will call Ana by Friday")
    # are proposed too, before the coach's: read by the parse step, in the
    # member's zone (mailer/parsing/prepare.py note_actions).
    zone = zone_from_name(member.timezone)
    items = (await ctx.reading_in_zone(member.timezone)).actions
    today = ctx.now.astimezone(zone).date()
    note = await CoachingNote.create(
        using_db=ctx.connection,
        member=member,
        number=number,
        source=ctx.inbound,
        coach_name=forward.coach_name[:200],
        coach_email=forward.coach_address[:320],
        original_date=forward.date,
        subject=forward.subject[:998],
        body=forward.body,
        member_note=forward.note,
        actions=[{"text": item.text, "due": item.due, "added": False} for item in items],
    )
    await ctx.answer(
        emails.NoteKept(
            subject=ctx.message.subject,
            number=number,
            coach=forward.coach_name or forward.coach_address or "your coach",
            original_subject=forward.subject,
            date=forward.date.date() if forward.date else None,
            actions=[
                emails.commitment_line(n, item.text, _date(item.due), None, today=today)
                for n, item in enumerate(items, 1)
            ],
            coach_invitable=bool(
                _invitable(ctx, member.email, forward.coach_name, forward.coach_address)
            ),
        ),
        reply_token=token_for(
            ctx.settings.secret_key, Purpose.NOTE, (note.id,), member, now=ctx.now
        ),
    )
    return Outcome(InboundStatus.PROCESSED, f"coaching note kept, {len(items)} action item(s)")


async def answer_about_note(ctx: FlowContext, note_id: int) -> Outcome:
    """A reply to a note's confirmation: ``invite coach``, ``add …``, ``share``, and any
    member command (``share note 2``, ``notes``, ``done 3`` …); together if need be."""
    note = await _owned_note(ctx, note_id)
    reading = read(ctx.reading.text, Audience.NOTE)
    adding = bool(reading.of(Action.ADD))
    inviting = bool(reading.of(Action.INVITE_COACH))
    about_this = [
        Command(_THIS_NOTE[command.action], note.number, line=command.line)
        for command in reading.of(*_THIS_NOTE)
    ]
    # Beside an add line, "2: not yet" is about action item 2, not commitment
    # #2: only the commands about notes are read then.
    member_commands = [
        command
        for command in reading.commands
        if command.action not in _NOTE_ONLY and (not adding or command.action in _ABOUT_NOTES)
    ]
    commands = about_this + member_commands
    done: list[Outcome] = []
    if inviting:
        done.append(await invite_coach(ctx, note_id))
    if adding or not (commands or inviting):
        done.append(await add_actions(ctx, note_id))  # refuses a reply with nothing to do
    if commands:
        kept = Reading(commands=commands, unread=reading.unread)
        done.append(await apply_member_updates(ctx, note.member.id, kept))
    return Outcome(InboundStatus.PROCESSED, "; ".join(outcome.reason for outcome in done))


_ABOUT_NOTES = {Action.SHARE_NOTE, Action.UNSHARE_NOTE, Action.DELETE_NOTE, Action.LIST_NOTES}
# Said in reply to a note's own confirmation: about that note.
_THIS_NOTE = {
    Action.SHARE_THIS: Action.SHARE_NOTE,
    Action.UNSHARE_THIS: Action.UNSHARE_NOTE,
    Action.DELETE_THIS: Action.DELETE_NOTE,
}
_NOTE_ONLY = {Action.ADD, Action.INVITE_COACH, *_THIS_NOTE}


async def add_actions(ctx: FlowContext, note_id: int) -> Outcome:
    """``add all`` or ``add 1 3``: the chosen action items become commitments."""
    note = await _owned_note(ctx, note_id)
    member = note.member
    actions = list(note.actions or [])
    text = ctx.reading.text
    chosen = _chosen(text, len(actions))
    if chosen is None:
        raise NotUnderstood(Why.NO_ADD, quoted=text.splitlines())
    new = [n for n in chosen if not actions[n - 1].get("added")]
    # The coach's "by Friday" was read from the note's date, maybe last week's.
    today = ctx.now.astimezone(zone_from_name(member.timezone)).date()
    first = await raise_counter(ctx.connection, member, "commitment_count", len(new)) - len(new) + 1
    published = []
    commitments = []
    for offset, number in enumerate(new):
        action = actions[number - 1]
        action["added"] = True
        due = action.get("due")
        commitments.append(
            Commitment(
                member=member,
                number=first + offset,
                text=str(action["text"]),
                due_date=_date(due),
                source=ctx.inbound,
            )
        )
        published.append(
            emails.commitment_line(
                first + offset, str(action["text"]), _date(due), None, today=today
            )
        )
    await insert_returning_ids(ctx.connection, commitments)
    await CoachingNote.filter(id=note.id).using_db(ctx.connection).update(actions=actions)
    await ctx.answer(
        emails.Confirmation(
            name=first_name(member.name),
            subject=ctx.message.subject,
            commitments=published,
            partners=[],
            not_invited=[],
            partnered=True,  # the nudge belongs to the weekly summary here
        ),
        reply_token=token_for(
            ctx.settings.secret_key, Purpose.MEMBER, (member.id,), member, now=ctx.now
        ),
    )
    return Outcome(InboundStatus.PROCESSED, f"{len(published)} action item(s) published")


def _chosen(text: str, count: int) -> list[int] | None:
    """The action numbers asked for, in order, within 1..count; None if no add line.

    >>> _chosen("add 1 3\\n\\nthanks", 4), _chosen("Add all", 2), _chosen("hello", 2)
    ([1, 3], [1, 2], None)
    """
    for command in read(text, Audience.NOTE).of(Action.ADD):
        if command.text.lower() == "all":
            return list(range(1, count + 1))
        numbers = [int(n) for n in re.findall(r"\d+", command.text)]
        return [n for n in dict.fromkeys(numbers) if 1 <= n <= count]
    return None


def _date(value: object) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else None


async def invite_coach(ctx: FlowContext, note_id: int) -> Outcome:
    """The one-click offer in a note's confirmation: invite its coach as a partner."""
    note = await _owned_note(ctx, note_id)
    member = note.member
    coach = _invitable(ctx, member.email, note.coach_name, note.coach_email)
    if coach is None:
        raise NotUnderstood(Why.NO_COACH_ADDRESS)
    # The invitation shows no commitments: what the member published before
    # reaches a partner only once they have accepted (SPEC §7).
    invited = await invite_partners(ctx, member, [coach], [])
    await ctx.answer(
        emails.CoachInvited(
            subject=ctx.message.subject,
            coach=note.coach_name or note.coach_email,
            invited=bool(invited.names),
            why_not=invited.held_back[0].why if invited.held_back else None,
        )
    )
    return Outcome(InboundStatus.PROCESSED, f"coach invited: {bool(invited.names)}")


def _invitable(ctx: FlowContext, member: str, name: str, address: str) -> Nominee | None:
    """The note's coach as a partner to invite: a real address, not the member's, not ours.

    Read from forwarded text, the address is only what the text claims; the
    same checks as for a Cc apply.
    """
    found, _ = nominees([(name, address)], "", member=member, own_domain=ctx.settings.domain)
    return found[0] if found else None


async def _owned_note(ctx: FlowContext, note_id: int) -> CoachingNote:
    note = (
        await CoachingNote.filter(id=note_id)
        .using_db(ctx.connection)
        .select_related("member")
        .first()
    )
    if note is None:
        raise NotUnderstood(Why.NO_SUCH_NOTE)
    ctx.require_owner(note.member.email, "act on a coaching note as your reply asks")
    return note
