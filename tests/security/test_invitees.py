"""People who never signed up are protected (SPEC §7): what they see, "never", and limits."""

from __future__ import annotations

from dataclasses import replace

from mailer.models import NeverInvite, Partnership
from mailer.settings import Settings
from tests.conftest import running_service
from tests.integration.test_commit_flow import THREE_COMMITMENTS
from tests.integration.test_invitations import answer, invite, to
from tests.security.test_forged_sender import ANNA, COMMIT, quiet
from tests.support.capture import CaptureHandler
from tests.support.smtpclient import message, send
from workers.service import Service

BOB = "bob@example.org"


async def test_an_invitation_shows_only_the_commitments_of_its_own_message(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    earlier = message(body="- A private plan nobody else should see\n", message_id="<e@x>")
    assert (await send(service.smtp_port, ANNA, [COMMIT], earlier)).code == 250
    await capture.wait_for(1)
    invitation = await invite(service, capture)
    text = invitation.text()
    assert "private plan" not in text
    assert "#2  Finish the quarterly report by Friday" in text


async def test_never_means_nobody_invites_that_address_again(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    invitation = await invite(service, capture)
    await answer(service, capture, invitation, "never")
    [kept] = await NeverInvite.all()
    assert BOB not in kept.address_hash  # a keyed hash, not the address
    before = len(capture.messages)
    for n, member in enumerate(["carl@example.net", ANNA]):
        data = message(
            sender=member, body=THREE_COMMITMENTS, message_id=f"<again{n}@x>", extra=f"Cc: <{BOB}>"
        )
        assert (await send(service.smtp_port, member, [COMMIT], data)).code == 250
    after = await quiet(capture, before)
    assert to(after, BOB) == []
    [confirmation] = to(after, "carl@example.net")
    assert f"Not invited: {BOB}, because we cannot invite them through pactmail now" in " ".join(
        confirmation.text().split()
    )


async def test_a_declined_invitee_is_not_asked_again_by_the_same_member_for_90_days(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    invitation = await invite(service, capture)
    await answer(service, capture, invitation, "decline")
    before = len(capture.messages)
    again = message(body="- One more\n", message_id="<again@x>", extra=f"Cc: <{BOB}>")
    assert (await send(service.smtp_port, ANNA, [COMMIT], again)).code == 250
    after = await quiet(capture, before)
    assert to(after, BOB) == []
    [confirmation] = to(after, ANNA)
    assert "declined your invitation less than 90 days ago" in confirmation.words()


async def test_limits_per_member_a_day_and_per_address_a_month(
    settings: Settings, db: None, relay: tuple[CaptureHandler, int]
) -> None:
    capture, port = relay
    limited = replace(settings, invitations_per_member_day=3, invitations_per_address_month=2)
    async with running_service(limited, port) as service:
        many = "\n".join(f"partner: P{n} <p{n}@example.org>" for n in range(5))
        data = message(body=f"- Ship it\n{many}\n", message_id="<many@x>")
        assert (await send(service.smtp_port, ANNA, [COMMIT], data)).code == 250
        sent = await quiet(capture, 0)
        invited = sorted(m.rcpt_tos[0] for m in sent if m.rcpt_tos != [ANNA])
        assert invited == ["p0@example.org", "p1@example.org", "p2@example.org"]
        [confirmation] = to(sent, ANNA)
        assert confirmation.words().count("invitations today, the most a day") == 2
        # One address, asked by three members: the third is held back.
        for n, member in enumerate(["m1@example.net", "m2@example.net", "m3@example.net"]):
            data = message(
                sender=member, body="- x\n", message_id=f"<m{n}@x>", extra=f"Cc: <{BOB}>"
            )
            assert (await send(service.smtp_port, member, [COMMIT], data)).code == 250
        sent = await quiet(capture, 0)
        assert len(to(sent, BOB)) == 2
        assert await Partnership.filter(partner__email=BOB).count() == 2
