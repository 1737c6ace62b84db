"""Partners: invited by a member, asked how they know them, set up only if suitable (SPEC §4.2).

The product encodes the rule rather than printing it: a peer, someone outside
the organisation or a coach becomes a partner; a manager, a direct report or a
competitor does not, and both people are told why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from mailer import emails
from mailer.bounce_scores import is_held
from mailer.flows.base import FlowContext, Outcome
from mailer.models import (
    InboundStatus,
    NeverInvite,
    OutboundMessage,
    Partnership,
    Person,
)
from mailer.models import PartnershipState as State
from mailer.names import display_name, first_name
from mailer.parsing.partners import Answer, Nominee, read_answer, same_organisation
from mailer.refusals import NotUnderstood, Why
from mailer.stops import unsubscribe_address
from mailer.timezones import offset_name
from mailer.tokens import Purpose, address_key, token_for

# A click on an invitation weeks old still finds its partnership (and is told
# the invitation is no longer open): the token outlives the invitation.
INVITATION_TOKEN_LIFETIME = timedelta(days=30)
REMIND_AFTER = timedelta(days=3)
# A member whose invitation was declined may not ask the same person again before this.
DECLINED_QUIET = timedelta(days=90)
EXPIRE_AFTER = timedelta(days=14)
# States a new nomination may invite again: not one already pending or set up.
_INVITABLE_AGAIN = {State.DECLINED.value, State.UNSUITABLE.value, State.ENDED.value}


@dataclass(frozen=True)
class Invited:
    """Who was invited, and who was not, with why (the member is told both)."""

    names: list[str]
    held_back: list[emails.HeldBack]


async def invite_partners(
    ctx: FlowContext,
    member: Person,
    nominees: list[Nominee],
    commitments: list[emails.CommitmentLine],
) -> Invited:
    """Invite each nominee not already a partner or invited, within the limits (SPEC §7)."""
    invited: list[str] = []
    held_back: list[emails.HeldBack] = []
    for nominee in nominees:
        why = await _not_invitable(ctx, member, nominee.address)
        if why is not None:
            held_back.append(emails.HeldBack(who=nominee.address, why=why))
            continue
        partner = await ctx.person(nominee.address)
        if partner is None:
            partner = await Person.create(
                using_db=ctx.connection, email=nominee.address, name=nominee.name
            )
            ctx.people[partner.email] = partner
        partnership = (
            await Partnership.filter(member_id=member.id, partner_id=partner.id)
            .using_db(ctx.connection)
            .first()
        )
        if partnership is None:
            partnership = await Partnership.create(
                using_db=ctx.connection,
                member_id=member.id,
                partner_id=partner.id,
                same_organisation=same_organisation(member.email, partner.email),
                invited_at=ctx.now,
            )
        elif partnership.state in _INVITABLE_AGAIN:
            partnership.state = State.INVITED.value
            partnership.answer = None
            partnership.invited_at = ctx.now
            partnership.reminded_at = partnership.answered_at = None
            await partnership.save(using_db=ctx.connection)
        else:
            continue  # active, paused or already invited: nothing to do
        email = invitation(member, partner, partnership, commitments)
        await ctx.tell(
            partner.email,
            email,
            key=f"invite:{partnership.id}:{ctx.inbound.id}",
            reply_token=invitation_token(ctx.settings.secret_key, partnership.id, partner, ctx.now),
            unsubscribe=unsubscribe_address(email, partner, ctx.settings, ctx.now),
        )
        invited.append(named(partner))
    return Invited(invited, held_back)


async def _not_invitable(ctx: FlowContext, member: Person, address: str) -> str | None:
    """Why this address may not be invited now, or None when it may."""
    settings, db = ctx.settings, ctx.connection
    if (
        await NeverInvite.filter(address_hash=address_key(settings.secret_key, address))
        .using_db(db)
        .exists()
    ):
        return Why.CANNOT_INVITE  # their choice is theirs: not told to the member
    if await is_held(address, db):
        # An invitation would bounce too; the member learns why, and how to fix it.
        return Why.SUSPENDED
    if (
        await Partnership.filter(
            member_id=member.id,
            partner__email=address,
            state=State.DECLINED.value,
            answered_at__gt=ctx.now - DECLINED_QUIET,
        )
        .using_db(db)
        .exists()
    ):
        return Why.DECLINED_RECENTLY.format(days=DECLINED_QUIET.days)
    today = (
        await Partnership.filter(member_id=member.id, invited_at__gt=ctx.now - timedelta(days=1))
        .using_db(db)
        .count()
    )
    if today >= settings.invitations_per_member_day:
        return Why.DAILY_INVITATIONS.format(count=today)
    month = (
        await OutboundMessage.filter(
            template="invitation",
            to_address=address,
            idempotency_key__startswith="invite:",
            created_at__gt=ctx.now - timedelta(days=30),
        )
        .using_db(db)
        .count()
    )
    if month >= settings.invitations_per_address_month:
        return Why.CANNOT_INVITE
    return None


def invitation_token(key: bytes, partnership_id: int, partner: Person, now: datetime) -> str:
    return token_for(
        key, Purpose.INVITE, (partnership_id,), partner, now=now, lifetime=INVITATION_TOKEN_LIFETIME
    )


def invitation(
    member: Person,
    partner: Person,
    partnership: Partnership,
    commitments: list[emails.CommitmentLine],
    *,
    reminder: bool = False,
) -> emails.Invitation:
    """The invitation to ``partner``, or the reminder of it."""
    return emails.Invitation(
        member=named(member),
        member_name=member.name or member.email,
        member_display=display_name(member),
        partner_name=first_name(partner.name),
        same_organisation=partnership.same_organisation,
        organisation=member.email.rpartition("@")[2],
        commitments=commitments,
        reminder=reminder,
    )


async def answer_invitation(ctx: FlowContext, partnership_id: int) -> Outcome:
    """An invited partner's answer, by click or by a reply starting with the word."""
    partnership = (
        await Partnership.filter(id=partnership_id)
        .using_db(ctx.connection)
        .select_related("member", "partner")
        .first()
    )
    if partnership is None:
        raise NotUnderstood(Why.NO_SUCH_INVITATION)
    member, partner = partnership.member, partnership.partner
    ctx.require_owner(partner.email, "record your answer to an invitation")
    text = ctx.reading.text
    answer = read_answer(text, ctx.message.subject)
    if answer is None:
        answers = ", ".join(a.value for a in Answer)
        raise NotUnderstood(Why.NO_INVITATION_ANSWER, quoted=text.splitlines(), answers=answers)
    if answer is Answer.NEVER:
        # Kept as a keyed hash: the address itself is not kept for this. It
        # holds whatever became of this invitation, expired or answered.
        never = address_key(ctx.settings.secret_key, partner.email)
        if not await NeverInvite.filter(address_hash=never).using_db(ctx.connection).exists():
            await NeverInvite.create(using_db=ctx.connection, address_hash=never)
    if partnership.state != State.INVITED.value:
        return await _answered_before(ctx, partnership, answer)
    partnership.answer = answer.value
    partnership.answered_at = ctx.now
    if answer.accepts:
        partnership.state = State.ACTIVE.value
        partnership.relationship = answer.value
    elif answer.unsuitable:
        partnership.state = State.UNSUITABLE.value
    else:
        partnership.state = State.DECLINED.value
    await partnership.save(using_db=ctx.connection)
    if answer.accepts and ctx.message.date is not None:
        # Digests come at 08:00 in the partner's zone: until they name one,
        # the offset their own mail carries is the best guess we have.
        await (
            Person.filter(id=partner.id, timezone_confirmed=False)
            .using_db(ctx.connection)
            .update(timezone=offset_name(ctx.message.date))
        )
    await ctx.tell(
        member.email,
        emails.PartnerNews(
            partner=named(partner),
            state=partnership.state,
            answer=answer.value,
            subject=f"{display_name(partner)} answered your invitation",
        ),
        key=f"partner-news:{partnership.id}:{ctx.inbound.id}",
        reply_token=token_for(
            ctx.settings.secret_key, Purpose.MEMBER, (member.id,), member, now=ctx.now
        ),
    )
    await ctx.answer(
        emails.PartnerWelcome(
            member_name=member.name or member.email,
            state=partnership.state,
            answer=answer.value,
            subject=ctx.message.subject,
        )
    )
    return Outcome(InboundStatus.PROCESSED, f"invitation answered: {answer.value}")


async def _answered_before(ctx: FlowContext, partnership: Partnership, answer: Answer) -> Outcome:
    if partnership.state == State.ACTIVE.value and answer.accepts:
        return Outcome(InboundStatus.IGNORED, "invitation already accepted")
    if answer is Answer.NEVER:
        return Outcome(InboundStatus.PROCESSED, "never to be invited again (a closed invitation)")
    raise NotUnderstood(
        Why.INVITATION_CLOSED,
        expired=" (it expired unanswered)" if partnership.answer == "expired" else "",
        member=partnership.member.email,
        commit_address=f"commit@{ctx.settings.domain}",
    )


def named(person: Person) -> str:
    return f"{person.name} <{person.email}>" if person.name else person.email
