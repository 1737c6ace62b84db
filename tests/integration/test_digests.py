"""Digests with one-click verdicts, and the challenge reaching the member (SPEC §4.3, §4.4)."""

from __future__ import annotations

import asyncio
import re
import subprocess
from datetime import UTC, datetime, time, timedelta

from mailer.models import Digest, Partnership, Person, ThreadMessage, Verdict
from mailer.settings import Settings
from tests.integration.test_invitations import answer, html, invite, to
from tests.support.capture import Captured, CaptureHandler
from tests.support.cli import ROOT, beside_service_env, cli_command, cli_env
from tests.support.settle import all_settled
from tests.support.smtpclient import message, send
from workers.jobs import digests_job
from workers.service import Service

LINK = re.compile(r'href="mailto:([^"?]+)\?subject=([^&"]+)&amp;body=([^"]*)"')
ITEM = re.compile(r"<strong>#(\d+)</strong>.*?(?=<strong>#|\Z)", re.DOTALL)


def link(digest: Captured, number: int, verdict: str = "challenge") -> str:
    """The address of the digest's On track or Challenge link for the member's #number."""
    for item in ITEM.finditer(html(digest)):
        if int(item[1]) == number:
            links: dict[str, str] = {s: address for address, s, _ in LINK.findall(item[0])}
            return links[verdict]
    raise AssertionError(f"no #{number} in the digest")


async def partnered(service: Service, capture: CaptureHandler) -> None:
    """Anna with three commitments; Bob accepted as a peer."""
    invitation = await invite(service, capture)
    await answer(service, capture, invitation, "peer")


def at(service: Service, moment: datetime) -> dict[str, object]:
    return {"settings": service.settings, "clock": lambda: moment, "redis": service.redis}


async def digest_for_bob(service: Service, capture: CaptureHandler) -> Captured:
    partnership = await Partnership.get()
    assert partnership.answered_at is not None
    next_week = partnership.answered_at + timedelta(days=8)
    before = len(capture.messages)
    assert await digests_job(at(service, next_week)) == "1 email(s) for digests"
    [digest] = (await capture.wait_for(before + 1))[before:]
    assert digest.rcpt_tos == ["bob@example.org"]
    return digest


async def reply(
    service: Service, address: str, body: str, *, subject: str = "Re: digest", mid: str = "<r@x>"
) -> None:
    sent = await send(
        service.smtp_port,
        "bob@example.org",
        [address],
        message(sender="bob@example.org", to=address, subject=subject, body=body, message_id=mid),
    )
    assert sent.code == 250


async def bob_says(
    service: Service,
    capture: CaptureHandler,
    address: str,
    body: str,
    *,
    mid: str,
    count: int = 2,
    subject: str = "Re: digest",
) -> list[Captured]:
    """Bob writes ``body`` to ``address``; returns the ``count`` emails that follow."""
    before = len(capture.messages)
    await reply(service, address, body, subject=subject, mid=mid)
    return (await capture.wait_for(before + count))[before:]


async def test_an_active_partner_gets_one_digest_with_one_click_answers(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    await partnered(service, capture)
    digest = await digest_for_bob(service, capture)
    assert digest.message["Subject"] == "Anna Keller: 3 commitments to look at"
    text = digest.text()
    assert "Anna Keller" in text
    assert "#1  Finish the quarterly report by Friday" in text
    links = LINK.findall(html(digest))
    assert [subject for _, subject, _ in links] == ["on%20track", "challenge"] * 3
    assert len({address for address, _, _ in links}) == 6  # each names its commitment and verdict
    assert all(address.startswith("reply+v-") for address, _, _ in links)
    unsubscribe = str(digest.message["List-Unsubscribe"]).strip()
    assert unsubscribe.startswith("<mailto:unsubscribe+u-")
    assert unsubscribe.endswith("?subject=unsubscribe>")
    assert digest.message["Precedence"] == "bulk"
    # The same period again: nothing more.
    partnership = await Partnership.get()
    assert partnership.answered_at is not None
    again = at(service, partnership.answered_at + timedelta(days=8, seconds=1))
    assert await digests_job(again) == "0 email(s) for digests"
    assert await Digest.all().count() == 1


async def test_two_processes_sending_digests_at_once_send_one_per_partner(
    service: Service, relay: tuple[CaptureHandler, int], settings: Settings
) -> None:
    capture, relay_port = relay
    await partnered(service, capture)
    carl = await invite(service, capture, partner="carl@example.net")
    await answer(service, capture, carl, "coach")
    before = len(capture.messages)
    env = cli_env(settings, relay_port)
    command = cli_command("digest", "--now")
    processes = [
        await asyncio.create_subprocess_exec(*command, env=env, cwd=ROOT, stdout=subprocess.PIPE)
        for _ in range(2)
    ]
    outputs = [(await process.communicate())[0].decode() for process in processes]
    assert all(process.returncode == 0 for process in processes)
    # Between them, the two processes sent each partner's digest once.
    sent = [int(output.split(" sent;")[0]) for output in outputs]
    assert sum(sent) == 2, outputs
    digests = (await capture.wait_for(before + 2))[before:]
    await asyncio.sleep(0.5)
    assert len(capture.messages) == before + 2
    assert sorted(d.rcpt_tos[0] for d in digests) == ["bob@example.org", "carl@example.net"]
    assert await Digest.all().count() == 2


async def test_digest_now_beside_a_running_service_is_done_by_the_service(
    service: Service, relay: tuple[CaptureHandler, int], settings: Settings
) -> None:
    """SPEC §6: the command asks the service through its queue; its worker writes and sends."""
    capture, relay_port = relay
    await partnered(service, capture)
    before = len(capture.messages)
    env = beside_service_env(settings, relay_port)
    unknown = await run_cli(env, "digest", "--now", "--partner", "nobody@example.org")
    assert unknown == (1, "nobody@example.org partners no one (no active partnership): no digest"
                       " (by the running service)")  # fmt: skip
    assert await run_cli(env, "digest", "--now") == (
        0,
        "1 sent; 0 already sent this period; 0 paused or stopped (by the running service)",
    )
    [digest] = (await capture.wait_for(before + 1))[before:]
    assert digest.rcpt_tos == ["bob@example.org"]
    assert await run_cli(env, "digest", "--now") == (
        0,
        "0 sent; 1 already sent this period; 0 paused or stopped (by the running service)",
    )
    await all_settled()
    assert len(capture.messages) == before + 1


async def test_digest_now_with_the_service_stopped_does_the_work_itself(
    settings: Settings, relay: tuple[CaptureHandler, int], db: None
) -> None:
    """No worker has said it is alive lately: the command writes and sends the digests."""
    _, relay_port = relay
    env = beside_service_env(settings, relay_port)  # the queue is there, no worker reads it
    assert await run_cli(env, "digest", "--now") == (
        0,
        "0 sent; 0 already sent this period; 0 paused or stopped",
    )


async def run_cli(env: dict[str, str], *args: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        *cli_command(*args), env=env, cwd=ROOT, stdout=subprocess.PIPE
    )
    output, _ = await process.communicate()
    assert process.returncode is not None
    return process.returncode, output.decode().strip()


async def test_a_challenge_click_reaches_the_member_once_with_thanks(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    await partnered(service, capture)
    digest = await digest_for_bob(service, capture)
    challenge_address = link(digest, 2)
    before = len(capture.messages)
    for _ in range(2):  # the same reply delivered twice
        await reply(service, challenge_address, "challenge: the deadline moved twice", mid="<c@x>")
    arrived = (await capture.wait_for(before + 2))[before:]
    [notice] = to(arrived, "anna@example.com")
    [thanks] = to(arrived, "bob@example.org")
    assert notice.message["Subject"] == (
        "Bob challenges you on #2: Call the supplier about the contract by Dec 15"
    )
    text = " ".join(notice.text().split())
    assert "the deadline moved twice" in text
    assert "It took some courage" in text
    assert "Your challenge on #2" in thanks.text()
    assert "Call the supplier about the contract by Dec 15" in thanks.text()
    assert "reached Anna." in thanks.text()
    await all_settled()  # both copies processed, and all they caused sent
    assert len(capture.messages) == before + 2
    [verdict] = await Verdict.all()
    assert (verdict.kind, verdict.note) == ("challenge", "the deadline moved twice")


async def test_a_reply_to_the_digest_answers_several_at_once(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    await partnered(service, capture)
    digest = await digest_for_bob(service, capture)
    body = "1 on track\n3 challenge: not started yet\n\nBob\n"
    arrived = await bob_says(service, capture, digest.message["Reply-To"], body, mid="<several@x>")
    assert len(to(arrived, "anna@example.com")) == 1  # the one challenge
    verdicts = await Verdict.all().order_by("id").prefetch_related("commitment")
    assert [(v.commitment.number, v.kind, v.note) for v in verdicts] == [
        (1, "on_track", ""),
        (3, "challenge", "not started yet"),
    ]


async def test_stop_by_list_unsubscribe_ends_digests(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    await partnered(service, capture)
    digest = await digest_for_bob(service, capture)
    header = str(digest.message["List-Unsubscribe"]).strip()
    unsubscribe = header.strip("<>").split("?")[0].removeprefix("mailto:")
    [confirmation] = await bob_says(
        service, capture, unsubscribe, "", subject="stop", mid="<stop@x>", count=1
    )
    assert "no more digests" in confirmation.text()
    assert (await Person.get(email="bob@example.org")).digest_cadence == "stopped"
    partnership = await Partnership.get()
    assert partnership.answered_at is not None
    in_two_weeks = at(service, partnership.answered_at + timedelta(days=15))
    assert await digests_job(in_two_weeks) == "0 email(s) for digests"


async def test_a_challenge_thread_goes_on_both_ways_each_in_its_own_thread(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    await partnered(service, capture)
    digest = await digest_for_bob(service, capture)
    challenged = await bob_says(
        service, capture, link(digest, 1), "challenge: is Friday still real?", mid="<ch@x>"
    )
    [notice] = to(challenged, "anna@example.com")
    [receipt] = to(challenged, "bob@example.org")
    assert "bob@example.org" not in notice.data.decode()  # the thread stays with us

    # Anna answers: one email, to Bob, answering his challenge; none to her.
    [relayed] = await writes(
        service, capture, "anna@example.com", notice,
        "Fair point. The draft is half done; Monday is realistic.\n\nAnna\n", "<a1@example.com>",
    )  # fmt: skip
    assert relayed.rcpt_tos == ["bob@example.org"]
    assert relayed.message["In-Reply-To"] == "<ch@x>"
    text = " ".join(relayed.text().split())
    assert "Fair point. The draft is half done; Monday is realistic." in text
    assert "You wrote: is Friday still real?" in text
    assert "help@" not in relayed.message["Reply-To"]
    assert relayed.message["Reply-To"].startswith("reply+t-")

    # Bob writes back to that relay: it reaches Anna, in her thread, quotes left out.
    [back] = await writes(
        service, capture, "bob@example.org", relayed,
        "Good luck, tell me how it went.\n\nOn Mon, Anna wrote:\n> Fair point.", "<b1@x>",
    )  # fmt: skip
    assert back.rcpt_tos == ["anna@example.com"]
    assert back.message["In-Reply-To"] == "<a1@example.com>"
    assert "Good luck, tell me how it went." in back.text()
    assert "Fair point" not in back.text()
    assert back.message["Reply-To"].startswith("reply+c-")

    # And Anna's answer to that reaches Bob, after his own last message.
    [third] = await writes(
        service, capture, "anna@example.com", back, "Will do: it went out Monday.", "<a2@x>"
    )
    assert third.rcpt_tos == ["bob@example.org"]
    assert third.message["In-Reply-To"] == "<b1@x>"
    assert "Will do: it went out Monday." in third.text()
    # Bob's receipt for the challenge goes on in the thread as well.
    assert receipt.message["Reply-To"].startswith("reply+t-")
    assert await ThreadMessage.all().count() == 3


async def writes(
    service: Service, capture: CaptureHandler, sender: str, answering: Captured, body: str, mid: str
) -> list[Captured]:
    """``sender`` replies to the email ``answering``; the one email that follows."""
    before = len(capture.messages)
    address = answering.message["Reply-To"]
    sent = await send(
        service.smtp_port,
        sender,
        [address],
        message(
            sender=sender,
            to=address,
            subject=f"Re: {answering.message['Subject']}",
            body=body,
            message_id=mid,
            extra=f"In-Reply-To: {answering.message['Message-ID']}",
        ),
    )
    assert sent.code == 250
    arrived = (await capture.wait_for(before + 1))[before:]
    await all_settled()
    assert len(capture.messages) == before + 1  # one relay, nothing else
    return arrived


async def test_a_partner_quiet_for_three_digests_is_nudged_and_the_member_told(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    await partnered(service, capture)
    partnership = await Partnership.get()
    assert partnership.answered_at is not None
    bob = await Person.get(email="bob@example.org")
    start = partnership.answered_at
    for week in range(1, 4):  # three digests, no answer to any
        await Digest.create(
            partner=bob, period=f"past-{week}", items=[1], created_at=start + timedelta(days=week)
        )
    before = len(capture.messages)
    assert await digests_job(at(service, start + timedelta(days=8))) == "2 email(s) for digests"
    arrived = (await capture.wait_for(before + 2))[before:]
    [digest] = to(arrived, "bob@example.org")
    [told] = to(arrived, "anna@example.com")
    assert "We have not heard from you for the last three digests" in " ".join(
        digest.text().split()
    )
    assert "has not answered the last three digests" in " ".join(told.text().split())
    # The next one, a fourth in a row, tells no one again.
    before = len(capture.messages)
    assert await digests_job(at(service, start + timedelta(days=15))) == "1 email(s) for digests"
    [next_digest] = (await capture.wait_for(before + 1))[before:]
    assert "We have not heard from you" not in next_digest.text()


async def test_two_lines_about_one_item_give_one_verdict_the_last(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    await partnered(service, capture)
    digest = await digest_for_bob(service, capture)
    body = "2 on track\n2 challenge: on second thought, no\n"
    arrived = await bob_says(service, capture, digest.message["Reply-To"], body, mid="<twice@x>")
    receipt = " ".join(to(arrived, "bob@example.org")[0].text().split())
    assert 'Your challenge on #2 "Call the supplier about the contract by Dec 15"' in receipt
    [verdict] = await Verdict.all()
    assert (verdict.kind, verdict.note) == ("challenge", "on second thought, no")


async def test_a_partners_digest_comes_at_0800_in_the_zone_their_answer_was_written_in(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    invitation = await invite(service, capture)
    links = {found[1]: found[0] for found in LINK.findall(html(invitation))}
    before = len(capture.messages)
    written_in_new_york = message(
        sender="bob@example.org",
        to=links["peer"],
        subject="peer",
        body="peer",
        message_id="<ny@x>",
        date="Wed, 25 Nov 2026 09:30:00 -0500",
    )
    await send(service.smtp_port, "bob@example.org", [links["peer"]], written_in_new_york)
    await capture.wait_for(before + 2)
    bob = await Person.get(email="bob@example.org")
    assert bob.timezone == "-05:00"
    today = datetime.now(UTC).date()
    monday = today + timedelta(days=7 - today.weekday())  # the next Monday, never today
    eight_in_new_york = datetime.combine(monday, time(13), tzinfo=UTC)
    assert await digests_job(at(service, eight_in_new_york - timedelta(minutes=1))) == (
        "0 email(s) for digests"
    )
    assert await digests_job(at(service, eight_in_new_york)) == "1 email(s) for digests"


async def test_a_partner_names_a_time_zone_by_replying_to_a_digest(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    await partnered(service, capture)
    digest = await digest_for_bob(service, capture)
    [thanks] = await bob_says(
        service, capture, digest.message["Reply-To"], "timezone: asia/tokyo", mid="<tz@x>", count=1
    )
    assert "Your time zone is now Asia/Tokyo" in " ".join(thanks.text().split())
    bob = await Person.get(email="bob@example.org")
    assert (bob.timezone, bob.timezone_confirmed) == ("Asia/Tokyo", True)
    # The next digest comes at 08:00 in Tokyo: Sunday 23:00 UTC.
    partnership = await Partnership.get()
    assert partnership.answered_at is not None
    day = partnership.answered_at.date() + timedelta(days=8)
    sunday = day + timedelta(days=6 - day.weekday())
    eight_in_tokyo = datetime.combine(sunday, time(23), tzinfo=UTC)
    assert await digests_job(at(service, eight_in_tokyo - timedelta(minutes=1))) == (
        "0 email(s) for digests"
    )
    assert await digests_job(at(service, eight_in_tokyo)) == "1 email(s) for digests"
