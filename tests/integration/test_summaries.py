"""Weekly member summaries: verdicts gathered, and a nudge to members without a partner."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from mailer.models import OutboundMessage, Summary, Verdict
from tests.integration.test_commit_flow import THREE_COMMITMENTS
from tests.integration.test_digests import bob_says, digest_for_bob, link, partnered, reply
from tests.integration.test_invitations import to
from tests.support.capture import CaptureHandler
from tests.support.smtpclient import message, send
from workers.jobs import summaries_job
from workers.service import Service


def at(service: Service, moment: datetime) -> dict[str, object]:
    return {"settings": service.settings, "clock": lambda: moment, "redis": service.redis}


async def test_a_member_without_a_partner_is_nudged_once_a_week(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    await send(
        service.smtp_port,
        "anna@example.com",
        ["commit@pactmail.localhost"],
        message(body=THREE_COMMITMENTS),
    )
    await capture.wait_for(1)
    monday = datetime.now(UTC) + timedelta(days=7)
    assert await summaries_job(at(service, monday)) == "1 summaries"
    assert await summaries_job(at(service, monday + timedelta(hours=2))) == "0 summaries"
    [summary] = (await capture.wait_for(2))[1:]
    assert summary.rcpt_tos == ["anna@example.com"]
    assert summary.message["Subject"] == "Your week: 3 open commitments"
    text = " ".join(summary.text().split())
    assert "#3 Go running three times a week" in text
    assert "Nobody holds you to account yet" in text
    assert await Summary.all().count() == 1


async def test_on_track_verdicts_are_gathered_into_the_summary(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    await partnered(service, capture)
    digest = await digest_for_bob(service, capture)
    on_track_1 = link(digest, 1, "on%20track")
    await reply(service, on_track_1, "on track, nice progress", subject="Re: digest", mid="<ot@x>")
    async with asyncio.timeout(10):  # an on-track click is answered by nothing: watch the row
        while (verdict := await Verdict.first()) is None:
            await asyncio.sleep(0.05)
    # One click, one trace: the verdict, and no email about it.
    assert not await OutboundMessage.filter(inbound_id=verdict.source_id).exists()  # type: ignore[attr-defined]
    before = len(capture.messages)
    assert await summaries_job(at(service, datetime.now(UTC))) == "0 summaries"  # joined this week
    assert await summaries_job(at(service, datetime.now(UTC) + timedelta(days=7))) == "1 summaries"
    [summary] = to((await capture.wait_for(before + 1))[before:], "anna@example.com")
    text = " ".join(summary.text().split())
    assert "#1: Bob Stone: on track (nice progress)" in text
    assert "Nobody holds you to account yet" not in text


async def test_a_challenge_waits_in_the_summary_until_the_member_answers_it(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    await partnered(service, capture)
    digest = await digest_for_bob(service, capture)
    challenge_2 = link(digest, 2)
    await bob_says(service, capture, challenge_2, "challenge: is Dec 15 realistic?", mid="<ch@x>")

    before = len(capture.messages)
    assert await summaries_job(at(service, datetime.now(UTC) + timedelta(days=7))) == "1 summaries"
    [summary] = to((await capture.wait_for(before + 1))[before:], "anna@example.com")
    text = " ".join(summary.text().split())
    today = datetime.now(UTC).date().isoformat()
    assert f"Challenges waiting for your answer: #2: Bob Stone, {today}: is Dec 15 realistic?" in (
        text
    )
    [address] = [word for word in text.split() if word.startswith("reply+c-")]

    before = len(capture.messages)
    answer = message(to=address, subject="Re: challenge", body="Yes: the call is booked.")
    assert (await send(service.smtp_port, "anna@example.com", [address], answer)).code == 250
    [relayed] = (await capture.wait_for(before + 1))[before:]  # to Bob, and nothing to Anna
    assert relayed.rcpt_tos == ["bob@example.org"]
    assert "Yes: the call is booked." in relayed.text()

    before = len(capture.messages)
    assert await summaries_job(at(service, datetime.now(UTC) + timedelta(days=14))) == "1 summaries"
    [later] = to((await capture.wait_for(before + 1))[before:], "anna@example.com")
    assert "waiting for your answer" not in later.text()


async def test_a_challenge_from_a_partnership_since_ended_is_not_waiting(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    await partnered(service, capture)
    [confirmation] = to(capture.messages, "anna@example.com")[:1]  # of her commitments
    digest = await digest_for_bob(service, capture)
    await bob_says(service, capture, link(digest, 2), "challenge: really?", mid="<c2@x>")
    before = len(capture.messages)
    member_address = confirmation.message["Reply-To"]
    ending = message(to=member_address, subject="Re: x", body="end partner bob@example.org")
    assert (await send(service.smtp_port, "anna@example.com", [member_address], ending)).code == 250
    await capture.wait_for(before + 2)  # Anna's receipt, Bob's thanks

    before = len(capture.messages)
    assert await summaries_job(at(service, datetime.now(UTC) + timedelta(days=7))) == "1 summaries"
    [summary] = to((await capture.wait_for(before + 1))[before:], "anna@example.com")
    assert "#2: Bob Stone: challenge (really?)" in " ".join(summary.text().split())
    assert "waiting for your answer" not in summary.text()
