"""Replying to a confirmation with commands updates commitments (SPEC §4.5)."""

from __future__ import annotations

from datetime import date

from mailer.models import Commitment, CommitmentUpdate, Person
from tests.integration.test_commit_flow import THREE_COMMITMENTS, wait_until_settled
from tests.support.capture import CaptureHandler
from tests.support.smtpclient import message, send
from workers.service import Service


async def _confirmation_reply_address(service: Service, capture: CaptureHandler) -> str:
    await send(
        service.smtp_port,
        "anna@example.com",
        ["commit@pactmail.localhost"],
        message(body=THREE_COMMITMENTS, message_id="<plan@example.com>"),
    )
    [confirmation] = await capture.wait_for(1)
    reply_to: str = confirmation.message["Reply-To"]
    return reply_to


async def test_done_drop_note_and_move_by_reply(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    address = await _confirmation_reply_address(service, capture)
    body = (
        "done 1\n"
        "move 2 to Dec 20\n"
        "3: first run this morning\n"
        "drop 9\n"
        "\n"
        "On Wed, 25 Nov 2026 at 09:31, pactmail <commit@pactmail.localhost> wrote:\n"
        "> #1  Finish the quarterly report by Friday\n"
        "> done 2            (commitment #2 is done)\n"
    )
    reply = await send(
        service.smtp_port,
        "anna@example.com",
        [address],
        message(to=address, subject="Re: My week", body=body, message_id="<updates@example.com>"),
    )
    assert reply.code == 250
    [_, answer] = await capture.wait_for(2)
    first, second, third = await Commitment.all().order_by("number")
    assert first.state == "done"
    assert second.due_date == date(2026, 12, 20)
    assert third.state == "open"
    notes = await CommitmentUpdate.filter(commitment=third)
    assert [update.note for update in notes] == ["first run this morning"]
    text = answer.text()
    assert "#1 is done" in text
    assert "#2 is now due Sun 20 Dec" in text
    assert "#3 noted: first run this morning" in text
    assert "You have no commitment numbered 9." in text
    assert answer.message["In-Reply-To"] == "<updates@example.com>"


async def test_someone_else_using_the_reply_address_changes_nothing_unconfirmed(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    address = await _confirmation_reply_address(service, capture)
    await send(
        service.smtp_port,
        "mallory@example.com",
        [address],
        message(
            sender="mallory@example.com", to=address, body="drop 1\n", message_id="<m@example.com>"
        ),
    )
    await wait_until_settled(2)
    _, *answers = await capture.wait_for(3)
    [answer] = [m for m in answers if m.rcpt_tos == ["mallory@example.com"]]
    [question] = [m for m in answers if m.rcpt_tos == ["anna@example.com"]]
    assert "Nothing changes until they do" in " ".join(answer.text().split())
    assert "anna@example.com" not in answer.data.decode()
    assert question.message["Subject"].startswith("Was this reply yours?")
    assert {c.state for c in await Commitment.all()} == {"open"}


async def test_a_reply_whose_plus_address_was_rewritten_is_still_read(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    await _confirmation_reply_address(service, capture)
    confirmation_id = capture.messages[0].message["Message-ID"]
    reply = await send(
        service.smtp_port,
        "anna@example.com",
        ["reply@pactmail.localhost"],
        message(
            to="reply@pactmail.localhost",
            body="done 2\n",
            message_id="<rw@example.com>",
            extra=f"In-Reply-To: {confirmation_id}\r\nReferences: {confirmation_id}",
        ),
    )
    assert reply.code == 250
    await capture.wait_for(2)
    assert (await Commitment.get(number=2)).state == "done"


async def test_a_member_names_a_time_zone_and_later_mail_keeps_it(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    address = await _confirmation_reply_address(service, capture)
    body = "time zone america/new_york\ntz Atlantis/Nowhere\n"
    data = message(to=address, subject="Re: My week", body=body, message_id="<tz@x>")
    await send(service.smtp_port, "anna@example.com", [address], data)
    [answer] = (await capture.wait_for(2))[1:]
    text = " ".join(answer.text().split())
    assert "Your time zone is now America/New_York" in text
    assert "We do not know the time zone \u201cAtlantis/Nowhere\u201d" in text
    anna = await Person.get(email="anna@example.com")
    assert (anna.timezone, anna.timezone_confirmed) == ("America/New_York", True)
    # Mail from a +01:00 clock does not move a named zone: early on Saturday in
    # Berlin is still Friday in New York, where "tomorrow" is Saturday.
    later = message(
        body="Call the bank tomorrow\n",
        message_id="<later@x>",
        date="Sat, 28 Nov 2026 01:30:00 +0100",
    )
    await send(service.smtp_port, "anna@example.com", ["commit@pactmail.localhost"], later)
    await capture.wait_for(3)
    assert (await Person.get(email="anna@example.com")).timezone == "America/New_York"
    call = await Commitment.get(text="Call the bank tomorrow")
    assert call.due_date == date(2026, 11, 28)


async def test_a_line_not_understood_is_quoted_back_and_pleasantries_are_not(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    address = await _confirmation_reply_address(service, capture)
    body = "Hi there,\ndone 1\nfinished the second one over the weekend\n\nThanks!\nAnna\n"
    reply = await send(
        service.smtp_port,
        "anna@example.com",
        [address],
        message(to=address, subject="Re: My week", body=body, message_id="<unread@example.com>"),
    )
    assert reply.code == 250
    [_, answer] = await capture.wait_for(2)
    text = answer.words()
    assert "#1 is done" in text
    assert (
        'We did not understand these lines, so nothing came of them: "finished the second one '
        'over the weekend"'
    ) in text
    assert '"Thanks!"' not in text
    assert '"Hi there,"' not in text
    assert '"Anna"' not in text
