"""An address suspended for bouncing gets no regular mail: not as a partner, not as a member.

mailer/bounce_scores.py: a held address gets "no digest, reminder, summary
or invitation"; Standing.held: "mail other than answers is withheld". The
member's own regular mail (Stop.NUDGE: news of a reminder sent, of an
invitation run out, of a quiet partner) is regular mail too: it carries a
List-Unsubscribe and goes by itself, and to a dead address it only bounces.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mailer.models import AddressBounces, OutboundMessage
from mailer.unanswered import remind_and_expire
from tests.integration.test_bounce_scores import (
    PERMANENT,
    ROBIN,
    Clock,
    clock,
    comes_back,
    report,
    standing,
    status_of,
    weekly_digest,
    world,
)
from tests.integration.test_invitations import to
from tests.support.capture import CaptureHandler
from tests.support.people import COMMIT, World
from workers.service import Service

ANNA = "anna@example.com"
__all__ = ["clock", "world"]  # fixtures, imported for pytest


async def test_a_suspended_member_gets_no_news_of_reminders_or_expiries(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    world = World(service, relay[0])
    await world.write(ANNA, COMMIT, "- Ship the release by Friday\n", extra="Cc: dan@example.org")
    now = datetime.now(UTC)
    await AddressBounces.create(address=ANNA, score=3, last_bounce_on=now, suspended_at=now)

    await remind_and_expire(service.settings, now + timedelta(days=4))  # Dan reminded
    await remind_and_expire(service.settings, now + timedelta(days=15))  # and run out
    news = await OutboundMessage.filter(template="partner_news", to_address=ANNA).values_list(
        "idempotency_key", flat=True
    )
    assert news == []  # today: ["invite-reminded:...", "invite-expired:..."]


# The partner's own mailbox (or anyone holding three of its emails with their
# Return-Path) writes the "remote server's words" the member then reads in
# pactmail's voice.
LURE = "Account locked: confirm your pactmail password at https://pactmail-login.example/now"


async def test_the_member_is_not_told_words_the_partner_s_mailbox_wrote(
    world: World, clock: Clock
) -> None:
    await world.publish(ANNA, ["Send the board report by Friday"], [ROBIN])
    for week in range(3):
        [digest] = to(await weekly_digest(world, clock, week), ROBIN)
        forged = report(*PERMANENT[0], ROBIN).replace(
            b"550 5.1.1 Address rejected", f"550 5.1.1 {LURE}".encode()
        )
        await comes_back(world.service, digest.mail_from, forged)
    [told] = to(world.capture.messages, ANNA)[-1:]
    assert "has stopped accepting mail" in told.words()
    assert "pactmail-login.example" not in told.words()


async def test_an_expired_bounce_token_counts_for_nothing(world: World, clock: Clock) -> None:
    """BOUNCE_TOKEN_LIFETIME (30 days, mailer/sending.py) holds at the flow, as reply+'s does."""
    await world.publish(ANNA, ["Send the board report by Friday"], [ROBIN])
    [digest] = to(await weekly_digest(world, clock, 0), ROBIN)
    clock.now += timedelta(days=45)  # the return path's token ran out 15 days ago
    await comes_back(world.service, digest.mail_from, report(*PERMANENT[0], ROBIN))
    assert (await status_of(digest), await standing()) == ("sent", (0, False))


def returned_in_full(digest_bytes: bytes) -> bytes:
    """A delivery report that returns the whole email, as Postfix and Exim do."""
    head = (
        b"From: MAILER-DAEMON@mx.example.net\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status;"
        b" boundary=RR\r\n\r\n--RR\r\nContent-Type: text/plain\r\n\r\nNot delivered.\r\n"
        b"--RR\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
        b"Final-Recipient: rfc822; " + ROBIN.encode() + b"\r\nAction: failed\r\n"
        b"Status: 5.1.1\r\n\r\n--RR\r\nContent-Type: message/rfc822\r\n\r\n"
    )
    return head + digest_bytes + b"\r\n--RR--\r\n"


async def test_forget_me_leaves_no_commitment_in_a_stored_delivery_report(
    world: World, clock: Clock
) -> None:
    import email
    from email import policy

    from mailer.models import InboundMessage, Person

    await world.publish(ANNA, ["Send the board report by Friday"], [ROBIN])
    [digest] = to(await weekly_digest(world, clock, 0), ROBIN)
    await comes_back(world.service, digest.mail_from, returned_in_full(digest.data))
    await world.write(ANNA, "help@pactmail.localhost", "forget me\n", subject="forget me")
    assert not await Person.filter(email=ANNA).exists()  # forgotten

    for row in await InboundMessage.all():
        parsed = email.message_from_bytes(bytes(row.content), policy=policy.default)
        for part in parsed.walk():
            if part.get_content_maintype() == "text":
                text = part.get_content()
                assert "board report" not in text, (row.id, row.reason)
