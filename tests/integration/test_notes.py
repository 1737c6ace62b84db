"""Coaching notes forwarded to notes@: kept privately, action items proposed, added by reply."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from mailer.models import CoachingNote, Commitment, Partnership
from tests.integration.test_invitations import answer, html, to
from tests.support.capture import CaptureHandler
from tests.support.smtpclient import message, send
from workers.service import Service

DATA = Path(__file__).resolve().parents[1] / "data"
NOTES = "notes@pactmail.localhost"

COACH_EMAIL = (
    "From: Dana Coach <dana@coach.example>\r\n"
    "To: Anna Keller <anna@example.com>\r\n"
    "Subject: Our session on Tuesday\r\n"
    "Date: Tue, 24 Nov 2026 17:00:00 +0100\r\n"
    "Message-ID: <session@coach.example>\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "Good session today. What we agreed:\r\n"
    "- Draft the budget by Friday\r\n"
    "Next step: call the bank by Dec 15\r\n"
    "\r\n"
    "Dana\r\n"
)


def attached_forward() -> bytes:
    """As Apple Mail or Thunderbird send "forward as attachment"."""
    return (
        "From: Anna Keller <anna@example.com>\r\n"
        f"To: {NOTES}\r\n"
        "Subject: Fwd: Our session on Tuesday\r\n"
        "Date: Wed, 25 Nov 2026 09:00:00 +0100\r\n"
        "Message-ID: <fwd1@example.com>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b1"\r\n'
        "\r\n"
        "--b1\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n"
        "From my coach, for the record.\r\n"
        "--b1\r\n"
        "Content-Type: message/rfc822\r\n"
        "\r\n" + COACH_EMAIL + "--b1--\r\n"
    ).encode()


async def test_an_attached_forward_is_kept_and_its_action_items_added_by_reply(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    reply = await send(service.smtp_port, "anna@example.com", [NOTES], attached_forward())
    assert reply.code == 250
    [kept] = await capture.wait_for(1)
    note = await CoachingNote.get()
    assert (note.coach_name, note.coach_email, note.subject) == (
        "Dana Coach",
        "dana@coach.example",
        "Our session on Tuesday",
    )
    assert note.original_date is not None
    assert note.original_date.date() == date(2026, 11, 24)
    assert "Good session today" in note.body
    assert note.member_note == "From my coach, for the record."
    text = " ".join(kept.text().split())
    assert "We have kept the note from Dana Coach" in text
    assert "1. Draft the budget by Friday due: Fri 27 Nov" in text  # Friday after the session
    assert "2. call the bank by Dec 15 due: Tue 15 Dec" in text
    assert await Commitment.all().count() == 0  # proposed, not published
    address = kept.message["Reply-To"]
    await send(
        service.smtp_port,
        "anna@example.com",
        [address],
        message(to=address, subject="Re: notes", body="add 2\n", message_id="<add2@x>"),
    )
    await capture.wait_for(2)
    [published] = await Commitment.all()
    assert (published.number, published.text, published.due_date) == (
        1,
        "call the bank by Dec 15",
        date(2026, 12, 15),
    )
    await send(
        service.smtp_port,
        "anna@example.com",
        [address],
        message(to=address, subject="Re: notes", body="add all\n", message_id="<all@x>"),
    )
    await capture.wait_for(3)
    texts = [c.text for c in await Commitment.all().order_by("number")]
    assert texts == ["call the bank by Dec 15", "Draft the budget by Friday"]  # 2 not twice


async def test_an_inline_gmail_forward_gives_coach_subject_and_the_members_note(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    body = (DATA / "fwd_crisp_gmail_en_with_message.txt").read_text()
    data = message(to=NOTES, subject="Fwd: Integer consequat non purus", body=body)
    assert (await send(service.smtp_port, "anna@example.com", [NOTES], data)).code == 250
    await capture.wait_for(1)
    note = await CoachingNote.get()
    assert (note.coach_name, note.coach_email) == ("John Doe", "john.doe@acme.com")
    assert note.subject == "Integer consequat non purus"
    assert note.body.startswith("Aenean quis diam urna.")
    assert note.member_note == "Praesent suscipit egestas hendrerit.\n\nAliquam eget dui dui."
    assert note.original_date is not None


async def test_a_reply_that_is_not_a_forward_is_not_taken_for_one(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    body = (DATA / "fwd_crisp_outlook_2019_NOT_a_forward.txt").read_text()
    data = message(to=NOTES, subject="Re: Integer consequat non purus", body=body)
    assert (await send(service.smtp_port, "anna@example.com", [NOTES], data)).code == 250
    [answer] = await capture.wait_for(1)
    assert "we found no forwarded email" in " ".join(answer.text().split())
    assert await CoachingNote.all().count() == 0


async def test_a_forward_to_commit_is_a_coaching_note_not_commitments(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    body = (DATA / "fwd_crisp_apple_mail_fr.txt").read_text()
    data = message(subject="Fwd: Integer consequat non purus", body=body)
    commit = "commit@pactmail.localhost"
    assert (await send(service.smtp_port, "anna@example.com", [commit], data)).code == 250
    [kept] = await capture.wait_for(1)
    assert "We have kept the note from John Doe" in " ".join(kept.text().split())
    assert await Commitment.all().count() == 0
    note = await CoachingNote.get()
    assert note.original_date is not None  # "26 octobre 2021 à 14:25:08 UTC+3"
    assert (note.original_date.year, note.original_date.month, note.original_date.day) == (
        2021,
        10,
        26,
    )


async def test_the_coach_is_invited_by_one_click_and_notes_are_listed(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    await send(service.smtp_port, "anna@example.com", [NOTES], attached_forward())
    [kept] = await capture.wait_for(1)
    invite = re.search(r'href="mailto:([^"?]+)\?subject=invite%20coach', html(kept))
    assert invite is not None
    await send(
        service.smtp_port,
        "anna@example.com",
        [invite[1]],
        message(to=invite[1], subject="invite coach", body="invite coach", message_id="<ic@x>"),
    )
    arrived = (await capture.wait_for(3))[1:]
    [invitation] = to(arrived, "dana@coach.example")
    [receipt] = to(arrived, "anna@example.com")
    assert "We have invited Dana Coach" in " ".join(receipt.text().split())
    await answer(service, capture, invitation, "coach")
    partnership = await Partnership.get()
    assert (partnership.state, partnership.relationship) == ("active", "coach")
    before = len(capture.messages)
    address = kept.message["Reply-To"]
    await send(
        service.smtp_port,
        "anna@example.com",
        [address],
        message(to=address, subject="Re: notes", body="notes\n", message_id="<list@x>"),
    )
    [listing] = (await capture.wait_for(before + 1))[before:]
    assert "2026-11-24  Dana Coach: Our session on Tuesday" in listing.text()


async def test_the_members_own_i_will_lines_above_a_forward_are_proposed_first(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    body = (
        "I will book the next session by Dec 4.\n\n"
        "---------- Forwarded message ---------\n"
        "From: Dana Coach <dana@coach.example>\n"
        "Date: Tue, Nov 24, 2026 at 5:02 PM\n"
        "Subject: Our session\n"
        "To: Anna Keller <anna@example.com>\n\n"
        "Good session.\n- Draft the budget by Friday\n"
    )
    data = message(to=NOTES, subject="Fwd: Our session", body=body)
    assert (await send(service.smtp_port, "anna@example.com", [NOTES], data)).code == 250
    [kept] = await capture.wait_for(1)
    text = " ".join(kept.text().split())
    assert "1. I will book the next session by Dec 4 due: Fri 4 Dec" in text
    assert "2. Draft the budget by Friday due: Fri 27 Nov" in text
    note = await CoachingNote.get()
    assert note.member_note == "I will book the next session by Dec 4."
    assert note.body == "Good session.\n- Draft the budget by Friday"


async def test_a_note_from_the_members_own_address_offers_no_coach_to_invite(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    own = attached_forward().replace(b"Dana Coach <dana@coach.example>", b"Anna <anna@example.com>")
    assert (await send(service.smtp_port, "anna@example.com", [NOTES], own)).code == 250
    [kept] = await capture.wait_for(1)
    assert "invite coach" not in kept.text()
    address = kept.message["Reply-To"]
    data = message(to=address, subject="invite coach", body="invite coach", message_id="<ic@x>")
    await send(service.smtp_port, "anna@example.com", [address], data)
    [refused] = (await capture.wait_for(2))[1:]
    assert "that note names no coach address we could invite" in " ".join(refused.text().split())
    assert await Partnership.all().count() == 0
