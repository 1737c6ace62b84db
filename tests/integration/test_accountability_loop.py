"""The whole loop as a member and two partners live it, from a fresh service (issue 10).

Alice publishes 17 commitments with Bob and Carl in Cc; both accept; she
finishes two and drops one; each partner gets a digest. Bob challenges by
link three ways (typed above the prefilled line, below it, over it) and
clicks On track once; Carl types two answers in a reply; Alice and Bob talk
on in one challenge's thread. Every email about a commitment names it by
Alice's own number, every note arrives whole, nothing goes to help@, and a
partner gets one receipt per challenge and none for On track.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

from mailer.models import (
    Commitment,
    Digest,
    InboundMessage,
    OutboundMessage,
    Person,
    Verdict,
)
from mailer.summaries import send_due_summaries
from mailer.tokens import Purpose, token_for
from tests.integration.test_digests import ITEM, LINK
from tests.integration.test_invitations import ANSWER_LINK, html, to
from tests.support.capture import Captured, CaptureHandler
from tests.support.people import COMMIT, World
from workers.service import Service

ALICE = "alice@example.com"
BOB = "bob@example.org"
CARL = "carl@example.net"
DORA = "dora@example.com"
NAMES = {ALICE: "Alice Example", BOB: "Bob Stone", CARL: "Carl Diaz", DORA: "Dora Lind"}
SEVENTEEN = [
    "Send the board report",
    "Book the venue for the offsite",
    "Review Sam's pull request",
    "Draft the hiring plan",
    "Call the insurance broker",
    "Renew the domain names",
    "Write the onboarding guide",
    "Run the customer interviews",
    "Migrate the wiki",
    "Plan the spring budget",
    "Fix the invoice export",
    "Prepare the all-hands slides",
    "Update the security policy",
    "Clean up the backlog",
    "Send the partner newsletter",
    "Order the new laptops",
    "Write the quarterly OKRs",
]


def words(text: str) -> str:
    return " ".join(text.split())


def people(service: Service, capture: CaptureHandler) -> World:
    world = World(service, capture)
    world.names = dict(NAMES)
    return world


async def test_numbers_notes_and_threads_hold_across_the_whole_loop(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    loop = people(service, capture)
    body = "This week:\n" + "".join(f"- {text}\n" for text in SEVENTEEN) + "\nThanks!\nAlice\n"
    arrived = await loop.write(
        ALICE,
        COMMIT,
        body,
        subject="My commitments",
        extra="Cc: Bob Stone <bob@example.org>, Carl Diaz <carl@example.net>",
    )
    [confirmation] = to(arrived, ALICE)
    numbers = {c.number: c.text for c in await Commitment.all()}
    assert numbers == dict(enumerate(SEVENTEEN, start=1))
    for partner in (BOB, CARL):
        [invitation] = to(arrived, partner)
        links = {word: address for address, word, _ in ANSWER_LINK.findall(html(invitation))}
        await loop.write(partner, links["peer"], "peer", subject="peer")
    await loop.write(
        ALICE, confirmation.message["Reply-To"], "done 2\ndone 5\ndrop 9", subject="Re: updates"
    )

    # One digest each, numbered as Alice numbers them, with what closed.
    first = datetime.now(UTC)
    from_the_digests_on = len(capture.messages)
    digests = await loop.digests(first)
    [bobs], [carls] = to(digests, BOB), to(digests, CARL)
    for digest in (bobs, carls):
        text = digest.text()
        shown = {int(item[1]) for item in ITEM.finditer(html(digest))}
        assert shown == set(numbers)  # the open ones, and the closed ones listed
        assert "#2  Book the venue for the offsite (done)" in text
        assert "#9  Migrate the wiki (dropped)" in text
        assert "#17  Write the quarterly OKRs" in text

    def link(digest: Captured, number: int, verdict: str) -> str:
        for item in ITEM.finditer(html(digest)):
            if int(item[1]) == number:
                found: dict[str, str] = {w: address for address, w, _ in LINK.findall(item[0])}
                return found[verdict]
        raise AssertionError(number)

    # Bob challenges by link three ways, and clicks On track once.
    ways = {
        3: ("Sam is away until Monday.\nchallenge: ", "Sam is away until Monday."),
        4: ("challenge: \nWho reviews the plan?\nAnd when?", "Who reviews the plan?\nAnd when?"),
        6: ("Did the registrar reply?", "Did the registrar reply?"),
    }
    notices: dict[int, Captured] = {}
    for number, (typed, note) in ways.items():
        arrived = await loop.write(BOB, link(bobs, number, "challenge"), typed, subject="challenge")
        [notice], [receipt] = to(arrived, ALICE), to(arrived, BOB)
        assert len(arrived) == 2
        assert notice.message["Subject"] == f"Bob challenges you on #{number}: {numbers[number]}"
        assert words(note) in words(notice.text())
        assert f'Your challenge on #{number} "{numbers[number]}" reached Alice.' in receipt.text()
        notices[number] = notice
    assert await loop.write(BOB, link(bobs, 7, "on%20track"), "on track", subject="on track") == []

    # Carl types two answers, one with a note over two lines.
    typed = "11 challenge: the export still drops VAT\nand finance has noticed\n12 on track\n\nCarl"
    arrived = await loop.write(CARL, carls.message["Reply-To"], typed, subject="Re: digest")
    [notice], [receipt] = to(arrived, ALICE), to(arrived, CARL)
    assert notice.message["Subject"] == f"Carl challenges you on #11: {numbers[11]}"
    assert words("the export still drops VAT and finance has noticed") in words(notice.text())
    assert f'Your challenge on #11 "{numbers[11]}" reached Alice.' in receipt.text()
    assert f'On track on #12 "{numbers[12]}" is noted for Alice.' in receipt.text()
    notes = {
        v.commitment.number: v.note for v in await Verdict.all().prefetch_related("commitment")
    }
    assert notes == {
        3: "Sam is away until Monday.",
        4: "Who reviews the plan?\nAnd when?",
        6: "Did the registrar reply?",
        7: "",
        11: "the export still drops VAT\nand finance has noticed",
        12: "",
    }

    # A thread three relays long on #3.
    [relay1] = await loop.write(
        ALICE, notices[3].message["Reply-To"], "He is back Monday; I'll ask then.",
        subject=f"Re: {notices[3].message['Subject']}", answering=notices[3],
    )  # fmt: skip
    [relay2] = await loop.write(
        BOB, relay1.message["Reply-To"], "OK, ping me when it's merged.\n\nBob",
        subject=f"Re: {relay1.message['Subject']}", answering=relay1,
    )  # fmt: skip
    [relay3] = await loop.write(
        ALICE, relay2.message["Reply-To"], "Merged this morning.",
        subject=f"Re: {relay2.message['Subject']}", answering=relay2,
    )  # fmt: skip
    assert (relay1.rcpt_tos, relay2.rcpt_tos, relay3.rcpt_tos) == ([BOB], [ALICE], [BOB])
    for relayed, said in (
        (relay1, "He is back Monday; I'll ask then."),
        (relay2, "OK, ping me when it's merged."),
        (relay3, "Merged this morning."),
    ):
        assert f"#3  {numbers[3]}" in relayed.text()
        assert said in relayed.text()

    # Every number in every email names the commitment it means.
    everything = capture.messages
    for email in everything:
        # As lists show them ("#3  Review…"), receipts ('#3 "Review…"') and subjects ("#3: …").
        written = f"{email.message['Subject']}\n{email.text()}"
        for number, text in re.findall(r"#(\d+)(?:  |: | \")([^\n\"]+)", written):
            assert text.startswith(numbers[int(number)][:20]), (number, text)
    # Nothing reached help@, and from the digests on, every reply address leads
    # back to the loop.
    assert not [m for m in await InboundMessage.all() if any("help@" in r for r in m.rcpt_tos)]
    for email in everything[from_the_digests_on:]:
        assert email.message["Reply-To"].startswith("reply+"), email.message["Subject"]
    # Receipts: one per challenge (3 for Bob, 1 for Carl's typed reply), none for On track.
    receipts = await OutboundMessage.filter(template="verdict_thanks")
    assert sorted(r.to_address for r in receipts) == [BOB, BOB, BOB, CARL]

    # The next digest shows each partner their own answers and Alice's replies.
    [bobs] = to(await loop.digests(first + timedelta(days=7), at_once=False), BOB)
    text = words(bobs.text())
    assert "Your answers since the last digest #3 challenge: Sam is away until Monday." in text
    assert "#7 on track" in text
    assert "#11" not in text.split("Your answers")[1]  # Carl's, not Bob's
    assert "Alice's answers to your challenges #3 Review Sam's pull request" in text
    assert "He is back Monday; I'll ask then." in text
    assert "Merged this morning." in text
    # A week with nothing new and nothing due: one line instead of the list again.
    [bobs] = to(await loop.digests(first + timedelta(days=14), at_once=False), BOB)
    assert bobs.message["Subject"] == "Alice Example: nothing new this week"
    assert "Nothing new since your last digest: 14 open commitments" in words(bobs.text())
    assert "#17" not in bobs.text()


async def test_with_two_members_the_first_name_says_whose_number_it_is(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    loop = people(service, capture)
    for member, texts in ((ALICE, SEVENTEEN[:2]), (DORA, ["Finish the grant application"])):
        arrived = await loop.write(
            member, COMMIT, "".join(f"- {t}\n" for t in texts),
            subject="This week", extra="Cc: Bob Stone <bob@example.org>",
        )  # fmt: skip
        [invitation] = to(arrived, BOB)
        links = {word: address for address, word, _ in ANSWER_LINK.findall(html(invitation))}
        await loop.write(BOB, links["peer"], "peer", subject="peer")
    [digest] = await loop.digests(datetime.now(UTC))
    assert digest.message["Subject"] == "2 people: 3 commitments to look at"
    assert "Alice 1 on track" in digest.text()  # the example names whose #1

    typed = "1 challenge: which one?\nDora 1 challenge: the deadline is Friday\nalice 2 on track"
    arrived = await loop.write(BOB, digest.message["Reply-To"], typed, subject="Re: digest")
    [notice], [receipt] = to(arrived, DORA), to(arrived, BOB)
    assert notice.message["Subject"] == "Bob challenges you on #1: Finish the grant application"
    receipt_text = words(receipt.text())
    assert 'On track on #2 "Book the venue for the offsite" is noted for Alice.' in receipt_text
    # Both have a #1: the line without a name is quoted back, not guessed.
    assert (
        'We did not understand these lines, so nothing came of them: "1 challenge: which one?"'
        in (receipt_text)
    )
    verdicts = await Verdict.all().prefetch_related("commitment__member")
    assert sorted((v.commitment.member.email, v.commitment.number, v.kind) for v in verdicts) == [
        (ALICE, 2, "on_track"),
        (DORA, 1, "challenge"),
    ]


async def test_a_digest_sent_before_member_numbers_still_reads_its_own_numbering(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    loop = people(service, capture)
    arrived = await loop.write(
        ALICE, COMMIT, "".join(f"- {t}\n" for t in SEVENTEEN[:3]),
        subject="This week", extra="Cc: Bob Stone <bob@example.org>",
    )  # fmt: skip
    [invitation] = to(arrived, BOB)
    links = {word: address for address, word, _ in ANSWER_LINK.findall(html(invitation))}
    await loop.write(BOB, links["peer"], "peer", subject="peer")
    # As digests were written before: item 1 was #3, item 2 was #1.
    bob = await Person.get(email=BOB)
    ids = {c.number: c.id for c in await Commitment.all()}
    old = await Digest.create(
        partner=bob, period="2026-11-23", items=[ids[3], ids[1]], by_member_number=False
    )
    token = token_for(
        service.settings.secret_key, Purpose.DIGEST, (old.id,), bob, now=datetime.now(UTC)
    )
    await loop.write(
        BOB, f"reply+{token}@pactmail.localhost", "1 challenge: late", subject="Re: digest"
    )
    [verdict] = await Verdict.all().prefetch_related("commitment")
    assert verdict.commitment.number == 3


async def test_a_member_away_shows_as_away_and_comes_back_by_herself(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    loop = people(service, capture)
    arrived = await loop.write(
        ALICE, COMMIT, "- Send the board report\n- Renew the domain names\n",
        subject="This week", extra="Cc: Bob Stone <bob@example.org>",
    )  # fmt: skip
    [confirmation], [invitation] = to(arrived, ALICE), to(arrived, BOB)
    links = {word: address for address, word, _ in ANSWER_LINK.findall(html(invitation))}
    await loop.write(BOB, links["peer"], "peer", subject="peer")
    now = datetime.now(UTC)
    back_on = (now + timedelta(days=10)).date()
    [answer] = await loop.write(
        ALICE, confirmation.message["Reply-To"], f"away until {back_on:%b} {back_on.day}",
        subject="Re: updates",
    )  # fmt: skip
    shown = f"{back_on:%a} {back_on.day} {back_on:%b}"
    assert f"You are away until {shown}" in words(answer.text())
    assert (await Person.get(email=ALICE)).away_until == back_on

    [digest] = await loop.digests(now)
    assert f"Alice is away until {shown}" in words(digest.text())
    assert "Send the board report" not in digest.text()
    assert "away until" in digest.message["Subject"]
    summaries_then = await send_due_summaries(service.settings, now + timedelta(days=7))
    assert summaries_then == []  # nothing nags her while she is away
    # The day she named: her commitments are back, with nothing to do for anyone.
    [digest] = await loop.digests(datetime.combine(back_on, time(12), tzinfo=UTC), at_once=False)
    assert "Send the board report" in digest.text()
    assert "is away" not in digest.text()

    # "back" ends it sooner.
    await loop.write(
        ALICE, confirmation.message["Reply-To"], "away until the 28th", subject="Re: updates"
    )
    [answer] = await loop.write(ALICE, confirmation.message["Reply-To"], "back", subject="Re: x")
    assert "Welcome back" in answer.text()
    assert (await Person.get(email=ALICE)).away_until is None
