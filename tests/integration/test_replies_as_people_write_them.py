"""Replies as partners and members write them, and as an attacker would: digests answered
with names and numbers, HTML-only replies quoting history, threads, "away" in passing.

Each test names what it shows (tests/support/people.py has the people).
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

import pytest

from mailer.models import InboundMessage, InboundStatus, Person, Verdict
from tests.integration.test_digests import link
from tests.integration.test_invitations import html, to
from tests.support.capture import CaptureHandler
from tests.support.people import COMMIT, World
from tests.support.settle import all_settled
from workers.service import Service

ALICE, BOB, DORA = "alice@example.com", "bob@example.org", "dora@example.com"
NAMES = {ALICE: "Alice Example", BOB: "Bob Stone", DORA: "Dora Lind"}
ALICES = ["Send the board report", "Book the venue", "Review the pull request"]
DORAS = ["Finish the grant application", "Call the printer"]


async def statuses_within(seconds: float) -> list[str]:
    """The inbound rows' statuses once none is waiting, or as they are after ``seconds``."""
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        rows = await InboundMessage.all().order_by("id")
        if all(row.status != InboundStatus.RECEIVED.value for row in rows):
            break
        await asyncio.sleep(0.1)
    return [row.status for row in await InboundMessage.all().order_by("id")]


def world(service: Service, relay: tuple[CaptureHandler, int], **names: str) -> World:
    w = World(service, relay[0])
    w.names = {**NAMES, **names}
    return w


async def test_one_commitment_named_two_ways_in_a_digest_reply_is_answered(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    """Lines "2 on track" and "Alice 2 challenge" are one commitment: one verdict, the last,
    and an answer at once (two verdicts for one message and commitment would break the
    database's unique key, and the message would be retried without end)."""
    w = world(service, relay)
    await w.publish(ALICE, ALICES, [BOB])
    [digest] = await w.digests()
    before = len(w.capture.messages)
    await w.write(
        BOB, digest.message["Reply-To"], "2 on track\nAlice 2 challenge: really booked?",
        subject="Re: digest", settle=False,
    )  # fmt: skip
    statuses = await statuses_within(8)
    assert statuses[-1] == InboundStatus.PROCESSED.value, statuses
    await all_settled()
    [receipt] = to(w.capture.messages[before:], BOB)
    assert "Your challenge on #2" in receipt.words()
    [verdict] = await Verdict.all()
    assert (verdict.kind, verdict.note) == ("challenge", "really booked?")


async def test_a_reply_to_the_receipt_of_a_typed_challenge_goes_on_in_the_thread(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    """A typed challenge's receipt leads into its thread, as a clicked one's does: the
    partner writing on reaches the member, not the help text (SPEC §4.4)."""
    w = world(service, relay)
    await w.publish(ALICE, ALICES, [BOB])
    [digest] = await w.digests()
    arrived = await w.write(BOB, digest.message["Reply-To"], "2 challenge: is it booked?")
    [receipt] = to(arrived, BOB)
    arrived = await w.write(BOB, receipt.message["Reply-To"], "And did you ask for a quote?")
    [relayed] = to(arrived, ALICE)
    assert "And did you ask for a quote?" in relayed.text()


PRIVATE = "between us: my divorce hearing is on Friday"


async def test_an_html_only_reply_in_a_thread_does_not_relay_what_it_quotes(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    """An HTML-only reply's <blockquote> is quoted history, as '>' lines are: it is not
    passed on, even with no "On … wrote:" line above it."""
    w = world(service, relay)
    await w.publish(ALICE, ALICES, [BOB])
    [digest] = await w.digests()
    arrived = await w.write(BOB, link(digest, 2, "challenge"), "Is it booked?", subject="challenge")
    [notice] = to(arrived, ALICE)
    [relay1] = await w.write(ALICE, notice.message["Reply-To"], "Not yet.")
    body = (
        "<html><body><div>Then do it today.</div>"
        f'<blockquote class="gmail_quote">Dora wrote to me: {PRIVATE}</blockquote></body></html>'
    )
    arrived = await w.write(
        BOB, relay1.message["Reply-To"], body, content_type="text/html; charset=utf-8"
    )
    [relayed] = to(arrived, ALICE)
    assert "Then do it today." in relayed.text()
    assert "divorce" not in relayed.text()


async def test_an_html_only_digest_reply_does_not_put_another_members_list_in_a_challenge(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    """The same with a digest: the quoted digest is no part of the challenge's note, so
    Dora's challenge email shows none of Alice's commitments."""
    w = world(service, relay)
    await w.publish(ALICE, ALICES, [BOB])
    await w.publish(DORA, DORAS, [BOB])
    [digest] = await w.digests()
    quoted = re.search(r"<body[^>]*>(.*)</body>", html(digest), re.DOTALL)
    assert quoted is not None
    body = (
        "<html><body><div>Dora 1 challenge: when is it due?</div>"
        f"<blockquote>{quoted[1]}</blockquote></body></html>"
    )
    arrived = await w.write(
        BOB, digest.message["Reply-To"], body, content_type="text/html; charset=utf-8"
    )
    [challenge] = to(arrived, DORA)
    assert "when is it due?" in challenge.text()
    assert "Send the board report" not in challenge.text()


@pytest.mark.parametrize(
    "alice_name",
    [
        "",  # From: alice@example.com: the example is "alice@example.com 1 on track"
        "\U0001f984 Unicorn",  # first name "🦄"
        "D'Arcy Smith",  # first name with an apostrophe
        "Dora Other",  # the same first name as the other member
    ],
)
async def test_the_digests_own_example_line_is_understood(
    service: Service, relay: tuple[CaptureHandler, int], alice_name: str
) -> None:
    """With several members the digest suggests "<name> 1 on track": for any name (none,
    an emoji, an apostrophe, one two members share) the line it suggests is read."""
    w = world(service, relay, **{ALICE: alice_name})
    await w.publish(ALICE, ALICES, [BOB])
    await w.publish(DORA, DORAS, [BOB])
    [digest] = await w.digests()
    [example] = [
        line.strip() for line in digest.text().splitlines() if line.strip().endswith("on track")
    ]
    await w.write(BOB, digest.message["Reply-To"], example.replace("on track", "challenge: when?"))
    assert await Verdict.all().count() == 1, example


async def test_answers_past_the_fiftieth_are_recorded_or_quoted_back(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    """A member with 60 commitments; the partner answers each in one reply: past the most
    one reply may carry, the lines are quoted back, not dropped."""
    w = world(service, relay)
    await w.publish(ALICE, [f"Task number {n}" for n in range(1, 31)], [BOB])
    await w.write(ALICE, COMMIT, "".join(f"- Task number {n}\n" for n in range(31, 61)))
    [digest] = await w.digests()
    typed = "".join(f"{n} on track\n" for n in range(1, 61))
    [receipt] = await w.write(BOB, digest.message["Reply-To"], typed)
    recorded = await Verdict.all().count()
    assert recorded == 60 or "60 on track" in receipt.text(), recorded


async def test_a_digest_for_one_member_is_still_answered_after_a_second_partnership(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    """Bob's digest lists Alice alone. Before he answers, he accepts Dora's invitation:
    "2 on track" to that digest still means the #2 it listed, Alice's."""
    w = world(service, relay)
    await w.publish(ALICE, ALICES, [BOB])
    [digest] = await w.digests()
    assert "  1 on track" in digest.text()
    await w.publish(DORA, DORAS, [BOB])
    await w.write(BOB, digest.message["Reply-To"], "2 on track")
    [verdict] = await Verdict.all().prefetch_related("commitment__member")
    assert verdict.commitment.member.email == ALICE


@pytest.mark.parametrize(
    ("said", "away"),
    [
        # Chat, not a command: the AWAY row takes "off to … on Friday" as "off until Friday".
        ("Thanks!\nI'm off to the dentist on Friday, so #2 may slip.", False),
        # Said so: away until that day.
        ("away until the day after tomorrow", True),
    ],
)
async def test_away_reads_only_what_means_away(
    service: Service, relay: tuple[CaptureHandler, int], said: str, away: bool
) -> None:
    w = world(service, relay)
    confirmation, _ = await w.publish(ALICE, ALICES, [BOB])
    [answer] = await w.write(ALICE, confirmation.message["Reply-To"], said)
    until = (await Person.get(email=ALICE)).away_until
    assert (until is not None) == away, (until, answer.text())
    if until is not None:
        assert until == (datetime.now(UTC) + timedelta(days=2)).date()
