"""A way out of every regular email (issue 12, part 3): each kind's List-Unsubscribe,
written to through SMTP as a mail provider does, stops that kind, only that kind, once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mailer.models import NeverInvite, Partnership, Person
from mailer.tokens import Purpose, read_token
from tests.integration.test_digests import at, digest_for_bob, link, partnered
from tests.integration.test_invitations import invite, to
from tests.support.capture import Captured, CaptureHandler
from tests.support.settle import all_settled
from tests.support.smtpclient import message, send
from workers.jobs import digests_job, invitations_job, summaries_job
from workers.service import Service

ANNA, BOB = "anna@example.com", "bob@example.org"


def way_out(email: Captured) -> str:
    """The address of the email's List-Unsubscribe mailto:."""
    [header] = email.message.get_all("List-Unsubscribe", [])
    mailto = str(header).strip().strip("<>")
    assert mailto.startswith("mailto:unsubscribe+"), mailto
    return mailto.removeprefix("mailto:").partition("?")[0]


async def write_to(
    service: Service, address: str, *, sender: str, mid: str, extra: str = ""
) -> int:
    """``sender``'s mail provider acts on a List-Unsubscribe: no border's results, any body."""
    data = message(
        sender=sender, to=address, subject="unsubscribe", body="", message_id=mid, extra=extra
    )
    reply = await send(service.smtp_port, sender, [address], data, border=None)
    await all_settled()
    return reply.code


async def unsubscribe_once(
    service: Service, capture: CaptureHandler, email: Captured, *, sender: str = "", extra: str = ""
) -> Captured:
    """Unsubscribe by ``email``'s header, twice: one acknowledgement, to its recipient."""
    [owner] = email.rcpt_tos
    address = way_out(email)
    before = len(capture.messages)
    key = address.rpartition("@")[0]
    first = await write_to(
        service, address, sender=sender or owner, mid=f"<u1-{key}@x>", extra=extra
    )
    assert first == 250
    [acknowledged] = capture.messages[before:]
    assert acknowledged.rcpt_tos == [owner]
    assert acknowledged.message["Subject"].startswith("No more ")
    assert "List-Unsubscribe" not in acknowledged.message
    # The same again, as a provider retries or a person clicks twice: nothing more.
    again = await write_to(
        service, address, sender=sender or owner, mid=f"<u2-{key}@x>", extra=extra
    )
    assert again == 250
    assert len(capture.messages) == before + 1
    return acknowledged


async def test_a_digest_s_way_out_stops_digests_only_and_once(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    await partnered(service, capture)
    digest = await digest_for_bob(service, capture)
    assert digest.message["Precedence"] == "bulk"
    token_text = way_out(digest).partition("+")[2].partition("@")[0]
    token = read_token(service.settings.secret_key, token_text, now=datetime.now(UTC))
    assert token.purpose is Purpose.UNSUBSCRIBE

    # Tokens meant for something else are no way out: refused at RCPT.
    for address in (str(digest.message["Reply-To"]), link(digest, 1)):
        token_text = address.partition("+")[2].partition("@")[0].partition(".")[0]
        wrong = f"unsubscribe+{token_text}@pactmail.localhost"
        assert await write_to(service, wrong, sender=BOB, mid="<wrong@x>") == 550
    assert (await Person.get(email=BOB)).digest_cadence == "weekly"

    # Marked automatic, as a provider's own message may be: still applied (RFC 3834
    # stops answers, and the acknowledgement is the person's, once).
    acknowledged = await unsubscribe_once(
        service, capture, digest, extra="Auto-Submitted: auto-generated"
    )
    assert "no more digests" in " ".join(acknowledged.text().split())
    assert (await Person.get(email=BOB)).digest_cadence == "stopped"
    partnership = await Partnership.get()
    assert partnership.answered_at is not None
    later = at(service, partnership.answered_at + timedelta(days=15))
    assert await digests_job(later) == "0 email(s) for digests"
    # Anna's own mail goes on: her summary.
    assert await summaries_job(at(service, datetime.now(UTC) + timedelta(days=7))) == "1 summaries"


async def test_a_summary_s_way_out_works_from_any_address_and_tells_only_its_owner(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    await invite(service, capture)  # Anna: three commitments, Bob invited
    week = datetime.now(UTC) + timedelta(days=7)
    assert await summaries_job(at(service, week)) == "1 summaries"
    await all_settled()
    [summary] = to(capture.messages, ANNA)[-1:]
    assert summary.message["Precedence"] == "bulk"
    assert "To get no more weekly summaries" in " ".join(summary.text().split())
    # The address came to Anna alone; whoever writes to it (a forward, a
    # provider writing in its own name) stops her summaries: that is all it can do.
    await unsubscribe_once(service, capture, summary, sender="eve@elsewhere.example")
    assert await summaries_job(at(service, week + timedelta(days=7))) == "0 summaries"


async def test_reminders_nudges_and_invitations_each_stop_alone(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    invitation = await invite(service, capture)
    assert "Precedence" not in invitation.message
    invited_at = (await Partnership.get()).invited_at
    assert invited_at is not None
    three_days = at(service, invited_at + timedelta(days=3, hours=1))
    before = len(capture.messages)
    assert await invitations_job(three_days) == "2 email(s) about unanswered invitations"
    await all_settled()
    [news] = to(capture.messages[before:], ANNA)
    [reminder] = to(capture.messages[before:], BOB)

    await unsubscribe_once(service, capture, news)  # Anna: no more nudges
    await unsubscribe_once(service, capture, reminder)  # Bob: no more reminders

    # Bob is still invited (invitations go on), by Carl, and not reminded,
    # so Carl is told of no reminder; summaries go on, Anna's too.
    carls = await invite(service, capture, sender="carl@example.net")
    carl_invited = (await Partnership.get(member__email="carl@example.net")).invited_at
    assert carl_invited is not None
    before = len(capture.messages)
    assert await invitations_job(at(service, carl_invited + timedelta(days=3, hours=1))) == (
        "0 email(s) about unanswered invitations"
    )
    week = datetime.now(UTC) + timedelta(days=7)
    assert await summaries_job(at(service, week)) == "2 summaries"
    await all_settled()
    assert {captured.rcpt_tos[0] for captured in capture.messages[before:]} == {
        ANNA,
        "carl@example.net",
    }
    # Anna has no partner yet, and is not nudged to find one; Carl is.
    [annas] = to(capture.messages[before:], ANNA)
    [carls_summary] = to(capture.messages[before:], "carl@example.net")
    assert "Nobody holds you to account yet" not in " ".join(annas.text().split())
    assert "Nobody holds you to account yet" in " ".join(carls_summary.text().split())

    # Bob's invitation's way out: nobody invites him again.
    await unsubscribe_once(service, capture, carls)
    assert await NeverInvite.all().count() == 1
    before = len(capture.messages)
    await invite_held_back(service, capture, "dora@example.net")
    assert to(capture.messages[before:], BOB) == []


async def invite_held_back(service: Service, capture: CaptureHandler, sender: str) -> None:
    before = len(capture.messages)
    data = message(sender=sender, body="Write the plan by Friday\n", message_id="<d1@x>",
                   extra=f"Cc: Bob Stone <{BOB}>")  # fmt: skip
    assert (await send(service.smtp_port, sender, ["commit@pactmail.localhost"], data)).code == 250
    await all_settled()
    [confirmation] = capture.messages[before:]
    assert confirmation.rcpt_tos == [sender]
    assert "we cannot invite them through pactmail now" in " ".join(confirmation.text().split())


async def test_an_unsubscribe_token_is_no_reply_token(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    invitation = await invite(service, capture)
    # Written to reply+ instead, it is refused at RCPT (it would prove its
    # sender there for 400 days): nothing is stored, nothing stopped.
    as_reply = way_out(invitation).replace("unsubscribe+", "reply+")
    assert await write_to(service, as_reply, sender=BOB, mid="<r1@x>") == 550
    assert await NeverInvite.all().count() == 0
