"""bounce+TOKEN@: a delivery report about one of our emails (VERP), read and scored.

The token names the outbound row, and so the one address that email went
to: that address, never one the report names, is the one scored. A report
names the address its writer saw, which after a forward or an alias is not
ours (robin@old.example forwarding to robin@new.example, which bounces):
one recipient in a report for our one-recipient envelope is our recipient
however it is spelt, and a mismatch is noted. A report naming several
others and not ours (an alias or list expanded further on) does not say
that ours failed, so it counts for nothing.

What a report changes (the rule itself: mailer/bounce_scores.py):

- ``delayed`` (still trying), or a temporary failure: a note on the row;
  its state stays as it is (``sent`` stays ``sent``);
- a permanent failure: the row becomes ``bounced``, never offered to be
  sent again, and, when its status speaks of the address, the address's
  score rises; at the threshold the address is suspended, and each member
  it partners is told once;
- an auto-reply (out of office, challenge-response robot), mail we cannot
  read, or a token naming no row: nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from mailer import emails
from mailer.bounce_scores import counts_against_address, note_failure, record_bounce
from mailer.flows.base import FlowContext, Outcome
from mailer.models import (
    InboundMessage,
    InboundStatus,
    OutboundMessage,
    OutboundStatus,
    Partnership,
    PartnershipState,
)
from mailer.names import called
from mailer.parsing.bounces import Kind, Recipient, Report, Verdict
from mailer.redact import mask_address
from mailer.tokens import Purpose, token_for

# Rows a permanent failure turns ``bounced``: those that went, or may have.
_WENT = [
    OutboundStatus.SENT.value,
    OutboundStatus.DATA_SENT.value,
    OutboundStatus.POSSIBLY_SENT.value,
    OutboundStatus.FAILED.value,
]
# Partnerships whose member hears that their partner's address is suspended.
_TOLD = [PartnershipState.ACTIVE.value, PartnershipState.PAUSED.value]


@dataclass(frozen=True)
class Failure:
    """What a report says about the address one email went to."""

    recipient: Recipient
    named_otherwise: bool  # the report names another address (a forward, an alias)

    def words(self) -> str:
        """One line for the row and the operator: verdict, status, the remote words."""
        found = self.recipient
        said = " ".join(part for part in (found.status or "", found.diagnostic) if part)
        line = f"{found.verdict.value} ({found.action or 'failed'}): {said or 'no reason given'}"
        if self.named_otherwise:
            line += f" [report names {mask_address(found.address)}]"
        return line


# RFC 3463 status codes, most precise first ("X" any digit), in the words a
# member is told. The remote server's own words are for the operator only.
_STATUS_WORDS: tuple[tuple[str, str], ...] = (
    ("X.1.1", "no mailbox by that address"),
    ("X.1.2", "no mail server for that domain"),
    ("X.1.6", "the mailbox has moved"),
    ("X.1.X", "the address is not accepted"),
    ("X.2.1", "the mailbox is disabled"),
    ("X.2.2", "the mailbox is full"),
    ("X.2.X", "the mailbox is not taking mail"),
    ("X.4.X", "their mail server cannot be reached"),
)


def status_in_words(status: str) -> str:
    """What a permanent failure's status means, for the member; "" for one we cannot say.

    >>> status_in_words("5.2.2"), status_in_words("5.4.4"), status_in_words("5.7.1")
    ('the mailbox is full', 'their mail server cannot be reached', '')
    """
    digits = status.split(".")
    if len(digits) != 3:
        return ""
    for pattern, words in _STATUS_WORDS:
        if all(want in ("X", have) for want, have in zip(pattern.split("."), digits, strict=True)):
            return words
    return ""


def failure_for(report: Report, address: str) -> Failure | None:
    """The report's word on ``address``, the one our email went to; None if it has none."""
    address = address.lower()
    for recipient in report.recipients:
        if recipient.address.lower() == address:
            return Failure(recipient, named_otherwise=False)
    if len(report.recipients) == 1:
        return Failure(report.recipients[0], named_otherwise=True)
    return None


async def record_bounce_report(ctx: FlowContext) -> Outcome:
    await _keep_report_alone(ctx)
    token = ctx.route.token
    if token is None or token.purpose is not Purpose.BOUNCE or not token.ids:
        return Outcome(InboundStatus.IGNORED, "bounce without a usable token")
    if ctx.route.token_expired:
        # A return path lives as long as a report of its email can come
        # (BOUNCE_TOKEN_LIFETIME); later ones are not about that sending.
        return Outcome(InboundStatus.IGNORED, "return path expired; nothing changed")
    report = ctx.reading.report
    if report is None:  # over the caps: not read
        return Outcome(InboundStatus.IGNORED, "report too large to read; nothing changed")
    if report.kind is Kind.AUTO_REPLY:
        return Outcome(InboundStatus.IGNORED, f"auto-reply to a return path: {report.auto_reply}")
    outbound_id = token.ids[0]
    row = (
        await OutboundMessage.filter(id=outbound_id)
        .using_db(ctx.connection)
        .only("id", "to_address", "status")
        .first()
    )
    if row is None:
        return Outcome(InboundStatus.IGNORED, "bounce for unknown mail")
    failure = failure_for(report, row.to_address) if row.to_address else None
    if failure is None:
        if report.kind is Kind.BOUNCE:
            # Shaped like a report, but saying nothing we can read of this
            # address: whether it failed for good is unknown, so nothing is
            # counted (a delay warning no reader knows must not suspend
            # anyone); the note tells an operator it came.
            await _note(ctx, outbound_id, "delivery report: no failure of this address read")
        return Outcome(InboundStatus.IGNORED, f"outbound {outbound_id}: no failure read")
    words = failure.words()
    if failure.recipient.verdict is not Verdict.PERMANENT:
        await _note(ctx, outbound_id, f"delivery report: {words}")
        return Outcome(InboundStatus.IGNORED, f"outbound {outbound_id}: noted, {words}"[:200])
    bounced = (
        await OutboundMessage.filter(id=outbound_id, status__in=_WENT)
        .using_db(ctx.connection)
        .update(status=OutboundStatus.BOUNCED.value, last_error=f"bounced: {words}"[:2000])
    )
    if not bounced:  # bounced already (a second report), or never sent: counted once
        return Outcome(InboundStatus.IGNORED, f"outbound {outbound_id}: bounced already")
    if not counts_against_address(failure.recipient.status):
        await note_failure(row.to_address, words, ctx.connection)
        return Outcome(InboundStatus.PROCESSED, f"outbound {outbound_id} bounced; not scored")
    threshold = ctx.settings.bounce_threshold
    before, after = await record_bounce(row.to_address, words, ctx.now, threshold, ctx.connection)
    if after.held and not before.held:
        told = await _tell_members(ctx, row.to_address, failure)
        return Outcome(
            InboundStatus.PROCESSED,
            f"outbound {outbound_id} bounced; address suspended, {told} member(s) told",
        )
    return Outcome(InboundStatus.PROCESSED, f"outbound {outbound_id} bounced; score {after.score}")


async def _keep_report_alone(ctx: FlowContext) -> None:
    """Keep the report, not the copy of our email it returns (names, commitments).

    Whatever the report says, and before anything else: nothing needs the
    copy, and "forget me" could not find the people in it.
    """
    kept = ctx.reading.report_kept
    if kept is not None and kept != bytes(ctx.inbound.content):
        await InboundMessage.filter(id=ctx.inbound.id).using_db(ctx.connection).update(content=kept)


async def _note(ctx: FlowContext, outbound_id: int, note: str) -> None:
    await (
        OutboundMessage.filter(id=outbound_id)
        .using_db(ctx.connection)
        .update(last_error=note[:2000])
    )


async def _tell_members(ctx: FlowContext, address: str, failure: Failure) -> int:
    """Each member this address partners, told once for this suspension; how many."""
    partnerships = (
        await Partnership.filter(partner__email=address.lower(), state__in=_TOLD)
        .using_db(ctx.connection)
        .select_related("member", "partner")
    )
    for partnership in partnerships:
        member, partner = partnership.member, partnership.partner
        email = emails.PartnerUnreachable(
            partner_name=called(partner, "Your partner"),
            partner_address=partner.email,
            reason=status_in_words(failure.recipient.status or ""),
        )
        await ctx.tell(
            member.email,
            email,
            # This bounce's message: one suspension, one email per member.
            key=f"unreachable:{partnership.id}:{ctx.inbound.id}",
            reply_token=token_for(
                ctx.settings.secret_key, Purpose.MEMBER, (member.id,), member, now=ctx.now
            ),
        )
    return len(partnerships)
