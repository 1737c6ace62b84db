"""Invitations nobody answered: one reminder after 3 days, expiry after 14 (SPEC §4.2).

Run by a cron job, possibly by several workers at once and more than once:
each change is claimed with a conditional UPDATE in the transaction that
writes its emails, so a reminder or an expiry happens once.
"""

from __future__ import annotations

from datetime import datetime

from tortoise.transactions import in_transaction

from mailer import emails
from mailer.bounce_scores import is_held, not_held
from mailer.emails.kinds import Stop
from mailer.flows.invitations import EXPIRE_AFTER, REMIND_AFTER, invitation, invitation_token, named
from mailer.models import NeverInvite, OutboundMessage, Partnership, Person
from mailer.models import PartnershipState as State
from mailer.outbound import outbound_row
from mailer.settings import Settings
from mailer.stops import regular_mail_to_member, unsubscribe_address, who_stopped
from mailer.tokens import address_key

BATCH = 500


async def remind_and_expire(settings: Settings, now: datetime) -> list[int]:
    """Send what is due; returns the outbound ids to queue."""
    queued: list[int] = []
    to_remind = (
        await Partnership.filter(
            state=State.INVITED.value,
            reminded_at=None,
            invited_at__lte=now - REMIND_AFTER,
            invited_at__gt=now - EXPIRE_AFTER,
            # A reminder to an address that bounces would bounce too; the
            # invitation just expires, and the member is told that.
            partner__email__not_in=not_held(),
        )
        .select_related("member", "partner")
        .limit(BATCH)
    )
    for partnership in to_remind:
        queued += await _remind(partnership, settings, now)
    to_expire = (
        await Partnership.filter(state=State.INVITED.value, invited_at__lte=now - EXPIRE_AFTER)
        .select_related("member", "partner")
        .limit(BATCH)
    )
    for partnership in to_expire:
        queued += await _expire(partnership, settings, now)
    return queued


async def _remind(partnership: Partnership, settings: Settings, now: datetime) -> list[int]:
    member, partner = partnership.member, partnership.partner
    shown = await _invited_with(partnership)
    # One reminder per invitation round: a re-invitation starts a new one.
    round_key = f"{partnership.id}:{_stamp(partnership.invited_at)}"
    reminder = invitation(member, partner, partnership, shown, reminder=True)
    rows: list[OutboundMessage] = []
    # Someone who stopped reminders, or invitations altogether, is not
    # reminded, and the member is not told of a reminder that never went;
    # the round is claimed all the same, so it is not looked at again.
    if not await _no_reminders(partner, settings):
        rows.append(
            outbound_row(
                key=f"invite-reminder:{round_key}",
                email=reminder,
                to=partner.email,
                domain=settings.domain,
                reply_token=invitation_token(settings.secret_key, partnership.id, partner, now),
                unsubscribe=unsubscribe_address(reminder, partner, settings, now),
            )
        )
        rows += await _news_rows(
            partnership, "reminded", f"invite-reminded:{round_key}", settings, now
        )
    async with in_transaction() as connection:
        claimed = (
            await Partnership.filter(id=partnership.id, state=State.INVITED.value, reminded_at=None)
            .using_db(connection)
            .update(reminded_at=now)
        )
        if not claimed:
            return []
        for row in rows:
            await row.save(using_db=connection)
    return [row.id for row in rows]


async def _expire(partnership: Partnership, settings: Settings, now: datetime) -> list[int]:
    round_key = f"{partnership.id}:{_stamp(partnership.invited_at)}"
    rows = await _news_rows(partnership, "expired", f"invite-expired:{round_key}", settings, now)
    async with in_transaction() as connection:
        claimed = (
            await Partnership.filter(
                id=partnership.id, state=State.INVITED.value, invited_at=partnership.invited_at
            )
            .using_db(connection)
            .update(state=State.ENDED.value, answer="expired", answered_at=now)
        )
        if not claimed:
            return []
        for row in rows:
            await row.save(using_db=connection)
    return [row.id for row in rows]


async def _no_reminders(partner: Person, settings: Settings) -> bool:
    """Whether the invited person stopped reminders, or asked never to be invited."""
    if await who_stopped(Stop.REMINDER, [partner.id]):
        return True
    never = address_key(settings.secret_key, partner.email)
    return await NeverInvite.filter(address_hash=never).exists()


async def _news_rows(
    partnership: Partnership, state: str, key: str, settings: Settings, now: datetime
) -> list[OutboundMessage]:
    """The member's news of an unanswered invitation; none if they stopped such news."""
    member, partner = partnership.member, partnership.partner
    if await who_stopped(Stop.NUDGE, [member.id]) or await is_held(member.email):
        return []  # stopped, or their own address is suspended
    subject = (
        f"A reminder went to {named(partner)}"
        if state == "reminded"
        else f"Your invitation to {named(partner)} has expired"
    )
    email = emails.PartnerNews(partner=named(partner), state=state, answer="", subject=subject)
    return [regular_mail_to_member(email, member, key=key, settings=settings, now=now)]


async def _invited_with(partnership: Partnership) -> list[emails.CommitmentLine]:
    """The commitments the latest invitation showed: a reminder shows no others.

    Someone who has not accepted sees only what the member chose to show them
    in the message that invited them (SPEC §7).
    """
    sent = (
        await OutboundMessage.filter(
            template=emails.Invitation.template,
            idempotency_key__startswith=f"invite:{partnership.id}:",
        )
        .order_by("-id")
        .first()
    )
    shown = sent.context.get("commitments") if sent is not None else None
    if not isinstance(shown, list):
        return []
    return [emails.CommitmentLine.from_context(line) for line in shown]


def _stamp(moment: datetime | None) -> int:
    return int(moment.timestamp()) if moment else 0
