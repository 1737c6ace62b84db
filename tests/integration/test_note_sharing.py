"""A coaching note stays the member's until "share note N"; shared, it is in one digest.

And what comes out of a note reaches partners like anything else: added
action items are in the next digest, and a coach invited from a note gets it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mailer.digests import send_due_digests
from mailer.models import CoachingNote, Commitment, CommitmentUpdate, Partnership
from mailer.queue import enqueue_outbound
from tests.integration.test_invitations import answer, html, invite, to
from tests.integration.test_notes import NOTES, attached_forward
from tests.support.capture import Captured, CaptureHandler
from tests.support.smtpclient import message, send
from workers.service import Service

NOTE_TEXT = "Good session today"  # in the coach's email
MEMBER_TEXT = "From my coach, for the record."  # what Anna wrote above it


async def digest_at(service: Service, capture: CaptureHandler, moment: datetime) -> Captured:
    """The one digest this period owes, written as ``pactmail digest --now`` would at ``moment``."""
    before = len(capture.messages)
    ids = await send_due_digests(service.settings, moment, now_not_monday=True)
    assert len(ids) == 1
    assert service.redis is not None
    await enqueue_outbound(service.redis, service.settings.queue_name, ids)
    [digest] = (await capture.wait_for(before + 1))[before:]
    return digest


async def say_all(
    service: Service, capture: CaptureHandler, address: str, body: str, mid: str, count: int
) -> list[Captured]:
    """Anna replies ``body`` to ``address``; returns the ``count`` emails that follow."""
    before = len(capture.messages)
    data = message(to=address, subject="Re: your note", body=body, message_id=mid)
    assert (await send(service.smtp_port, "anna@example.com", [address], data)).code == 250
    return (await capture.wait_for(before + count))[before:]


async def say(
    service: Service, capture: CaptureHandler, address: str, body: str, mid: str
) -> Captured:
    """Anna replies ``body`` to ``address``; returns our answer."""
    [answered] = await say_all(service, capture, address, body, mid, 1)
    return answered


async def keep_note(service: Service, capture: CaptureHandler, mid: str = "<fwd1@x>") -> Captured:
    before = len(capture.messages)
    data = attached_forward().replace(b"<fwd1@example.com>", mid.encode())
    assert (await send(service.smtp_port, "anna@example.com", [NOTES], data)).code == 250
    [kept] = (await capture.wait_for(before + 1))[before:]
    return kept


async def shared_with_bob(service: Service, capture: CaptureHandler) -> str:
    """Bob partners Anna, who keeps a note and shares it; the note's reply address."""
    await answer(service, capture, await invite(service, capture), "peer")
    kept = await keep_note(service, capture)
    address: str = kept.message["Reply-To"]
    await say(service, capture, address, "share\n", "<sh@x>")
    return address


def seen(digest: Captured) -> str:
    return digest.text() + html(digest)


async def test_a_partner_sees_a_note_only_once_it_is_shared_and_in_one_digest(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    await answer(service, capture, await invite(service, capture), "peer")
    kept = await keep_note(service, capture)
    assert "as your note 1" in " ".join(kept.text().split())
    now = datetime.now(UTC)

    private = await digest_at(service, capture, now)
    # Due dates as of the day it is written, even late in its period:
    assert "#1  Finish the quarterly report by Friday\n       was due Fri 27 Nov" in private.text()
    assert NOTE_TEXT not in seen(private)
    assert "coaching note" not in seen(private)

    shared = await say(service, capture, kept.message["Reply-To"], "share\n", "<share@x>")
    assert (
        "Note 1 (Dana Coach: \u201cOur session on Tuesday\u201d) is shared: "
        "each of your partners sees it in their next digest, once."
        in " ".join(shared.text().split())
    )
    assert (await CoachingNote.get()).shared_at is not None

    next_one = await digest_at(service, capture, now + timedelta(days=8))
    text = next_one.text()
    assert (
        "Anna shared a coaching note from Dana Coach, "
        '"Our session on Tuesday" (2026-11-24):' in next_one.words()
    )
    assert "    Good session today. What we agreed:" in text
    assert NOTE_TEXT in html(next_one)
    assert MEMBER_TEXT not in seen(next_one)  # the coach's email, not Anna's words above it
    assert "1 on track" in text  # the commitments are still there to answer

    after = await digest_at(service, capture, now + timedelta(days=15))
    assert NOTE_TEXT not in seen(after)


async def test_unshared_before_the_digest_it_stays_private_and_numbers_are_the_members_own(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    await answer(service, capture, await invite(service, capture), "peer")
    await keep_note(service, capture, "<fwd1@x>")
    second = await keep_note(service, capture, "<fwd2@x>")
    assert "as your note 2" in " ".join(second.text().split())
    before = len(capture.messages)
    other = attached_forward().replace(b"anna@example.com", b"carl@example.net")
    assert (await send(service.smtp_port, "carl@example.net", [NOTES], other)).code == 250
    [carls] = (await capture.wait_for(before + 1))[before:]
    assert "as your note 1" in " ".join(carls.text().split())  # Carl's own first

    # Anna asks for her notes from a service email, and works from the list.
    listing = await say(service, capture, second.message["Reply-To"], "notes\n", "<list@x>")
    assert "2. 2026-11-24  Dana Coach: Our session on Tuesday" in listing.text()
    assert "1. 2026-11-24  Dana Coach: Our session on Tuesday" in listing.text()
    address = listing.message["Reply-To"]
    answered = await say(service, capture, address, "share note 2\nshare note 7\nnotes\n", "<s2@x>")
    lines = " ".join(answered.text().split())
    assert "Note 2 (Dana Coach: \u201cOur session on Tuesday\u201d) is shared" in lines
    assert "You have no coaching note numbered 7." in lines
    assert "2. 2026-11-24  Dana Coach: Our session on Tuesday  (shared)" in answered.text()
    again = await say(service, capture, address, "unshare note 2\n", "<u2@x>")
    assert "Note 2 (Dana Coach: \u201cOur session on Tuesday\u201d) is private again" in " ".join(
        again.text().split()
    )
    assert await CoachingNote.filter(shared_at__isnull=False).count() == 0

    digest = await digest_at(service, capture, datetime.now(UTC) + timedelta(days=8))
    assert NOTE_TEXT not in seen(digest)


async def test_added_action_items_and_the_coach_from_a_note_reach_the_coachs_digest(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    kept = await keep_note(service, capture)
    before = len(capture.messages)
    invite_link = html(kept).split('href="mailto:')[1].split("?")[0]
    data = message(to=invite_link, subject="invite coach", body="invite coach", message_id="<i@x>")
    await send(service.smtp_port, "anna@example.com", [invite_link], data)
    [invitation] = to((await capture.wait_for(before + 2))[before:], "dana@coach.example")
    await answer(service, capture, invitation, "coach")
    partnership = await Partnership.get()
    assert (partnership.state, partnership.relationship) == ("active", "coach")

    added = await say(service, capture, kept.message["Reply-To"], "add all\n", "<all@x>")
    assert "#1  Draft the budget by Friday" in added.text()

    digest = await digest_at(service, capture, datetime.now(UTC) + timedelta(days=8))
    assert digest.rcpt_tos == ["dana@coach.example"]
    text = digest.text()
    assert "#1  Draft the budget by Friday\n       was due Fri 27 Nov" in text
    assert "#2  call the bank by Dec 15\n       due " in text
    assert NOTE_TEXT not in seen(digest)  # the coach wrote it, but it was never shared


async def test_a_note_shared_before_any_partner_accepts_is_in_the_first_ones_digest(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    kept = await keep_note(service, capture)
    shared = await say(service, capture, kept.message["Reply-To"], "share\n", "<early@x>")
    assert "you have no active partner yet" in " ".join(shared.text().split())
    await answer(service, capture, await invite(service, capture), "peer")

    # Their first digest, though not in the week the note was shared.
    first = await digest_at(service, capture, datetime.now(UTC) + timedelta(days=15))
    assert NOTE_TEXT in first.text()


async def test_a_note_shared_while_a_digest_is_being_written_is_shown_once(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    await answer(service, capture, await invite(service, capture), "peer")
    kept = await keep_note(service, capture)
    started = datetime.now(UTC)  # the run began before the share came in
    await say(service, capture, kept.message["Reply-To"], "share\n", "<during@x>")

    during = await digest_at(service, capture, started)
    assert NOTE_TEXT in during.text()
    after = await digest_at(service, capture, started + timedelta(days=8))
    assert NOTE_TEXT not in seen(after)


async def test_add_and_share_in_one_reply_are_both_done(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    kept = await keep_note(service, capture)
    address = kept.message["Reply-To"]
    arrived = await say_all(service, capture, address, "add all\nshare\n", "<as@x>", 2)
    answers = [" ".join(answer.text().split()) for answer in arrived]
    assert any("Your 2 commitments are published" in text for text in answers)
    assert any("Note 1 (Dana Coach" in text and "is shared" in text for text in answers)
    assert await Commitment.all().count() == 2
    assert (await CoachingNote.get()).shared_at is not None


async def test_add_and_invite_coach_in_one_reply_are_both_done(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    kept = await keep_note(service, capture)
    address = kept.message["Reply-To"]
    arrived = await say_all(service, capture, address, "add all\ninvite coach\n", "<ai@x>", 3)
    assert len(to(arrived, "dana@coach.example")) == 1  # the invitation
    assert await Commitment.all().count() == 2
    assert (await Partnership.get()).state == "invited"


async def test_beside_an_add_line_a_numbered_line_is_not_a_note_on_a_commitment(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    data = message(body="- Run 5k\n- Book the dentist\n", message_id="<c@x>")
    commit = "commit@pactmail.localhost"
    assert (await send(service.smtp_port, "anna@example.com", [commit], data)).code == 250
    await capture.wait_for(1)
    kept = await keep_note(service, capture)
    # "2" here is the note's action item 2, not the commitment numbered 2.
    added = await say(
        service, capture, kept.message["Reply-To"], "add 1\n2: not yet, after the budget\n", "<a@x>"
    )
    assert "#3  Draft the budget by Friday" in added.text()
    assert await Commitment.all().count() == 3
    assert await CommitmentUpdate.all().count() == 0


async def test_a_shown_date_with_an_impossible_offset_keeps_the_note(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    body = (
        "---------- Forwarded message ---------\nFrom: Dana Coach <dana@coach.example>\n"
        "Date: 24.11.2026 17:02 +2400\nSubject: Our session\nTo: Anna <anna@example.com>\n\nHi"
    )
    data = message(to=NOTES, subject="Fwd: Our session", body=body, message_id="<d@x>")
    assert (await send(service.smtp_port, "anna@example.com", [NOTES], data)).code == 250
    [kept] = await capture.wait_for(1)
    assert "We have kept the note from Dana Coach" in " ".join(kept.text().split())
    written = (await CoachingNote.get()).original_date
    assert written is not None
    assert written.isoformat() == "2026-11-24T16:02:00+00:00"  # in the member's +01:00


async def test_a_deleted_note_is_gone_from_the_list_and_from_digests(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    address = await shared_with_bob(service, capture)
    deleted = await say(service, capture, address, "delete note 1\nnotes\n", "<del@x>")
    text = " ".join(deleted.text().split())
    assert "Note 1 (Dana Coach: \u201cOur session on Tuesday\u201d) is deleted" in text
    assert "You have no coaching notes yet" in text
    assert await CoachingNote.all().count() == 0
    digest = await digest_at(service, capture, datetime.now(UTC) + timedelta(days=8))
    assert NOTE_TEXT not in seen(digest)
    again = await say(service, capture, address, "add all\n", "<late@x>")
    assert "that coaching note is no longer kept" in " ".join(again.text().split())


async def test_a_note_deleted_before_its_digest_goes_out_is_taken_out_of_it(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    address = await shared_with_bob(service, capture)
    # Written with the note, not yet sent (a slow relay, a send waiting to retry):
    moment = datetime.now(UTC) + timedelta(days=8)
    [written] = await send_due_digests(service.settings, moment, now_not_monday=True)
    deleted = await say(service, capture, address, "delete note 1\n", "<del@x>")
    assert "went out with it cannot be taken back" in " ".join(deleted.text().split())

    before = len(capture.messages)
    assert service.redis is not None
    await enqueue_outbound(service.redis, service.settings.queue_name, [written])
    [digest] = (await capture.wait_for(before + 1))[before:]
    assert digest.rcpt_tos == ["bob@example.org"]
    assert "Finish the quarterly report" in digest.text()
    assert NOTE_TEXT not in seen(digest)
