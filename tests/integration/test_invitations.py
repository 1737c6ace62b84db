"""Partners invited by Cc or a partner: line, asked how they know the member (SPEC §4.2)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from mailer.models import Commitment, Partnership
from tests.integration.test_commit_flow import THREE_COMMITMENTS
from tests.support.capture import Captured, CaptureHandler
from tests.support.settle import all_settled
from tests.support.smtpclient import message, send
from workers.jobs import invitations_job
from workers.service import Service

ANSWER_LINK = re.compile(r'href="mailto:([^"?]+)\?subject=(\w+)&amp;body=(\w+)"')


def to(messages: list[Captured], address: str) -> list[Captured]:
    return [captured for captured in messages if captured.rcpt_tos == [address]]


def html(captured: Captured) -> str:
    part = captured.message.get_body(preferencelist=("html",))
    assert part is not None
    content: str = part.get_content()
    return content


async def invite(
    service: Service,
    capture: CaptureHandler,
    *,
    sender: str = "anna@example.com",
    partner: str = "bob@example.org",
    body: str = THREE_COMMITMENTS,
    cc: bool = True,
) -> Captured:
    """Anna publishes commitments with a partner nominated; returns the invitation."""
    before = len(capture.messages)
    reply = await send(
        service.smtp_port,
        sender,
        ["commit@pactmail.localhost"],
        message(
            sender=sender,
            body=body,
            message_id=f"<plan{before}@example.com>",
            extra=f"Cc: Bob Stone <{partner}>" if cc else "",
        ),
    )
    assert reply.code == 250
    arrived = (await capture.wait_for(before + 2))[before:]
    [invitation] = to(arrived, partner)
    return invitation


async def answer(
    service: Service, capture: CaptureHandler, invitation: Captured, word: str, *, typed: str = ""
) -> list[Captured]:
    """Bob clicks the link for ``word`` (or types ``typed``); returns the two emails that follow."""
    links = {found[1]: found[0] for found in ANSWER_LINK.findall(html(invitation))}
    address = links[word]
    partner = invitation.rcpt_tos[0]
    before = len(capture.messages)
    await send(
        service.smtp_port,
        partner,
        [address],
        message(
            sender=partner,
            to=address,
            subject=word if not typed else f"Re: {invitation.message['Subject']}",
            body=typed or word,
            message_id=f"<answer{before}@example.org>",
        ),
    )
    return (await capture.wait_for(before + 2))[before:]


async def test_a_person_in_cc_is_invited_with_eight_one_click_answers(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    invitation = await invite(service, capture)
    [confirmation] = to(capture.messages, "anna@example.com")
    assert "Invited as accountability partners: Bob Stone <bob@example.org>" in (
        confirmation.text().replace("\n", " ")
    )
    assert (
        invitation.message["Subject"] == "Anna Keller asks you to be their accountability partner"
    )
    text = invitation.text()
    assert "#1  Finish the quarterly report by Friday" in text
    assert "courage" in text
    assert "Please challenge me" in text  # the member's explicit invitation to challenge
    links = ANSWER_LINK.findall(html(invitation))
    assert [word for _, word, _ in links] == [
        "peer", "outside", "coach", "manager", "report", "competitor", "decline", "never",
    ]  # fmt: skip
    reply_to = invitation.message["Reply-To"]
    assert {address for address, _, _ in links} == {reply_to}
    assert all(subject == body for _, subject, body in links)
    [partnership] = await Partnership.all()
    assert (partnership.state, partnership.same_organisation) == ("invited", False)


async def test_peer_accepts_and_the_member_is_told(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    invitation = await invite(service, capture)
    news, welcome = sorted(await answer(service, capture, invitation, "peer"), key=_anna_first)
    partnership = await Partnership.get()
    assert (partnership.state, partnership.relationship) == ("active", "peer")
    assert news.rcpt_tos == ["anna@example.com"]
    assert "Bob Stone <bob@example.org> accepted: they know you as a peer" in news.text()
    assert welcome.rcpt_tos == ["bob@example.org"]
    assert "You are now Anna Keller's accountability partner" in welcome.text()


@pytest.mark.parametrize("word", ["manager", "report", "competitor"])
async def test_a_manager_report_or_competitor_is_not_set_up_and_both_are_told_why(
    service: Service, relay: tuple[CaptureHandler, int], word: str
) -> None:
    capture, _ = relay
    invitation = await invite(service, capture)
    news, reply = sorted(await answer(service, capture, invitation, word), key=_anna_first)
    partnership = await Partnership.get()
    assert (partnership.state, partnership.answer, partnership.relationship) == (
        "unsuitable",
        word,
        None,
    )
    member_text = " ".join(news.text().split())
    assert "we have not set up the partnership" in member_text
    assert "Please pick someone else" in member_text
    partner_text = " ".join(reply.text().split())
    assert "not the partner this practice asks for" in partner_text
    assert "That says nothing about you" in partner_text


async def test_decline_is_accepted_kindly(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    invitation = await invite(service, capture)
    news, reply = sorted(await answer(service, capture, invitation, "decline"), key=_anna_first)
    assert (await Partnership.get()).state == "declined"
    assert "declined your invitation. That is all right" in news.text()
    assert "Thank you for letting us know" in reply.text()


async def test_a_typed_reply_starting_with_the_word_counts_the_same(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    invitation = await invite(service, capture)
    typed = (
        "Outside, and happy to help!\n\n"
        "On Wed, 25 Nov 2026 at 09:31, pactmail <commit@pactmail.localhost> wrote:\n"
        "> How do you know Anna Keller? Reply with one word:\n"
        ">   manager     you are their manager\n"
    )
    await answer(service, capture, invitation, "outside", typed=typed)
    partnership = await Partnership.get()
    assert (partnership.state, partnership.relationship) == ("active", "outside")


async def test_a_colleague_at_the_same_organisation_is_asked_with_that_noted(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    invitation = await invite(
        service, capture, sender="anna@acme.example", partner="bob@acme.example"
    )
    assert "You work at the same organisation (acme.example)" in invitation.text()
    assert (await Partnership.get()).same_organisation is True


async def test_a_partner_line_invites_and_is_not_a_commitment(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    body = "Run 5 km by Friday\npartner: Cleo Doe <cleo@example.net>\n"
    invitation = await invite(service, capture, partner="cleo@example.net", body=body, cc=False)
    assert [c.text for c in await Commitment.all()] == ["Run 5 km by Friday"]
    assert invitation.text().startswith("Hello Cleo,")


async def test_inviting_an_active_partner_again_does_nothing(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    invitation = await invite(service, capture)
    await answer(service, capture, invitation, "peer")
    before = len(capture.messages)
    await send(
        service.smtp_port,
        "anna@example.com",
        ["commit@pactmail.localhost"],
        message(
            body="Book the venue by Dec 15\n", message_id="<again@x>", extra="Cc: bob@example.org"
        ),
    )
    [confirmation] = (await capture.wait_for(before + 1))[before:]
    await all_settled()  # room for an invitation, were there one
    assert len(capture.messages) == before + 1
    assert confirmation.rcpt_tos == ["anna@example.com"]
    assert "no accountability partner yet" not in confirmation.text()
    assert (await Partnership.get()).state == "active"


async def test_an_answer_from_another_address_waits_for_the_owner_to_confirm(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    invitation = await invite(service, capture)
    address = invitation.message["Reply-To"]
    before = len(capture.messages)
    await send(
        service.smtp_port,
        "bob.stone@home.example",
        [address],
        message(sender="bob.stone@home.example", to=address, body="peer", message_id="<m@x>"),
    )
    arrived = (await capture.wait_for(before + 2))[before:]
    [told] = to(arrived, "bob.stone@home.example")
    [question] = to(arrived, "bob@example.org")
    assert "Nothing changes until they do" in " ".join(told.text().split())
    assert "bob@example.org" not in told.data.decode()  # the owner's address stays private
    assert "came from another address, bob.stone@home.example" in " ".join(question.text().split())
    assert (await Partnership.get()).state == "invited"
    # The owner confirms: the held answer counts as theirs, once.
    before = len(capture.messages)
    confirm_address = question.message["Reply-To"]
    for number in range(2):
        await send(
            service.smtp_port,
            "bob@example.org",
            [confirm_address],
            message(
                sender="bob@example.org",
                to=confirm_address,
                body="Confirm\n",
                message_id=f"<confirm{number}@x>",
            ),
        )
    arrived = (await capture.wait_for(before + 2))[before:]
    partnership = await Partnership.get()
    assert (partnership.state, partnership.relationship) == ("active", "peer")
    assert len(to(arrived, "anna@example.com")) == 1  # told once that Bob accepted
    await all_settled()
    assert len(capture.messages) == before + 2


async def test_one_reminder_after_three_days_and_expiry_after_fourteen(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    await invite(service, capture)
    invited_at = (await Partnership.get()).invited_at
    assert invited_at is not None
    assert service.redis is not None

    def at(moment: datetime) -> dict[str, object]:
        return {"settings": service.settings, "clock": lambda: moment, "redis": service.redis}

    before = len(capture.messages)
    assert await invitations_job(at(invited_at + timedelta(days=2))) == (
        "0 email(s) about unanswered invitations"
    )
    three_days = at(invited_at + timedelta(days=3, hours=1))
    assert await invitations_job(three_days) == "2 email(s) about unanswered invitations"
    assert await invitations_job(three_days) == "0 email(s) about unanswered invitations"
    news, reminder = sorted((await capture.wait_for(before + 2))[before:], key=_anna_first)
    assert reminder.message["Subject"].startswith("Reminder: Anna Keller asks you")
    assert "sent them a reminder" in " ".join(news.text().split())

    fourteen_days = at(invited_at + timedelta(days=14, hours=1))
    assert await invitations_job(fourteen_days) == "1 email(s) about unanswered invitations"
    assert await invitations_job(fourteen_days) == "0 email(s) about unanswered invitations"
    [expired] = (await capture.wait_for(before + 3))[before + 2 :]
    assert expired.rcpt_tos == ["anna@example.com"]
    assert "it has expired" in " ".join(expired.text().split())
    partnership = await Partnership.get()
    assert (partnership.state, partnership.answer) == ("ended", "expired")
    await all_settled()
    assert len(capture.messages) == before + 3


def _anna_first(captured: Captured) -> int:
    return 0 if captured.rcpt_tos == ["anna@example.com"] else 1


async def test_the_member_ends_a_partnership_by_reply(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    invitation = await invite(service, capture)
    await answer(service, capture, invitation, "peer")
    [confirmation] = [
        m for m in to(capture.messages, "anna@example.com") if "published" in m.text()
    ]
    address = confirmation.message["Reply-To"]
    before = len(capture.messages)
    await send(
        service.smtp_port,
        "anna@example.com",
        [address],
        message(to=address, body="end partner bob@example.org\n", message_id="<end@x>"),
    )
    arrived = (await capture.wait_for(before + 2))[before:]
    [thanks] = to(arrived, "bob@example.org")
    [receipt] = to(arrived, "anna@example.com")
    assert "you will get no more digests" in " ".join(thanks.text().split())
    assert "bob@example.org is no longer your partner" in receipt.text()
    assert (await Partnership.get()).state == "ended"
