"""The same flows act at once for mail that proves its sender, and once after a confirmation."""

from __future__ import annotations

import re

import pytest

from mailer.models import Commitment, InboundMessage, InboundStatus, Partnership
from mailer.trust.resolver import TableResolver
from tests.integration.test_commit_flow import THREE_COMMITMENTS, wait_until_settled
from tests.security.test_forged_sender import ANNA, COMMIT, STRANGER, quiet
from tests.support.capture import CaptureHandler
from tests.support.dkimkeys import DkimKey, ed25519_key, rsa_key
from tests.support.smtpclient import message, send
from workers.service import Service

CONFIRM_LINK = re.compile(r'href="mailto:(reply\+[^"?]+)\?subject=confirm')


@pytest.fixture(scope="module")
def rsa() -> DkimKey:
    return rsa_key()


def signed(key: DkimKey, dns: TableResolver, *, domain: str = "example.com") -> bytes:
    dns.table[f"test._domainkey.{domain}"] = [key.record]
    data = message(body=THREE_COMMITMENTS, extra=f"Cc: Stranger <{STRANGER}>")
    return key.sign(data, domain)


@pytest.mark.parametrize("kind", ["rsa", "ed25519"])
async def test_a_valid_dkim_signature_checked_by_pactmail_acts_at_once(
    service: Service, relay: tuple[CaptureHandler, int], dns: TableResolver, rsa: DkimKey, kind: str
) -> None:
    capture, _ = relay
    key = rsa if kind == "rsa" else ed25519_key()
    data = signed(key, dns)
    assert (await send(service.smtp_port, ANNA, [COMMIT], data, border=None)).code == 250
    [row] = await wait_until_settled(1)
    sent = await quiet(capture, 0)
    assert sorted(m.rcpt_tos[0] for m in sent) == [ANNA, STRANGER]  # confirmation, invitation
    assert (row.status, row.sender_auth) == ("processed", "authenticated")
    assert "dkim=pass d=example.com aligned" in row.sender_evidence
    assert await Commitment.all().count() == 3
    assert "test._domainkey.example.com" in dns.asked


async def test_a_signature_broken_by_one_body_byte_proves_nothing(
    service: Service, relay: tuple[CaptureHandler, int], dns: TableResolver
) -> None:
    capture, _ = relay
    data = signed(ed25519_key(), dns).replace(b"quarterly", b"Quarterly")
    assert (await send(service.smtp_port, ANNA, [COMMIT], data, border=None)).code == 250
    [row] = await wait_until_settled(1)
    assert [m.rcpt_tos for m in await quiet(capture, 0)] == [[ANNA]]
    assert (row.status, row.sender_auth) == ("held", "unauthenticated")
    assert "dkim=fail d=example.com" in row.sender_evidence
    assert await Commitment.all().count() == 0


async def test_a_valid_signature_of_another_domain_proves_nothing(
    service: Service, relay: tuple[CaptureHandler, int], dns: TableResolver
) -> None:
    capture, _ = relay
    data = signed(ed25519_key(), dns, domain="attacker.example")
    assert (await send(service.smtp_port, ANNA, [COMMIT], data, border=None)).code == 250
    [row] = await wait_until_settled(1)
    assert [m.rcpt_tos for m in await quiet(capture, 0)] == [[ANNA]]
    assert row.sender_auth == "unauthenticated"
    assert "d=attacker.example" in row.sender_evidence
    assert "test._domainkey.attacker.example" not in dns.asked  # not even looked up
    assert await Commitment.all().count() == 0


async def test_a_strict_dmarc_record_refuses_a_subdomain_signature(
    service: Service, relay: tuple[CaptureHandler, int], dns: TableResolver
) -> None:
    capture, _ = relay
    dns.table["_dmarc.example.com"] = [b"v=DMARC1; p=reject; adkim=s"]
    data = signed(ed25519_key(), dns, domain="mail.example.com")
    assert (await send(service.smtp_port, ANNA, [COMMIT], data, border=None)).code == 250
    [row] = await wait_until_settled(1)
    assert row.sender_auth == "unauthenticated"
    assert "p=reject" in row.sender_evidence
    assert [m.rcpt_tos for m in await quiet(capture, 0)] == [[ANNA]]


async def test_was_this_you_confirmed_applies_the_message_once(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    data = message(body=THREE_COMMITMENTS, extra=f"Cc: Stranger <{STRANGER}>")
    assert (await send(service.smtp_port, ANNA, [COMMIT], data, border=None)).code == 250
    [question] = await capture.wait_for(1)
    text = " ".join(question.text().split())
    assert "publish \u201cFinish the quarterly report by Friday\u201d" in text
    assert "invite s***@elsewhere[.]example to be your partner" in text
    html = question.message.get_body(preferencelist=("html",))
    assert html is not None
    [address] = CONFIRM_LINK.findall(html.get_content())
    assert address == question.message["Reply-To"]
    for n in range(2):  # a second click confirms nothing more
        answer = message(to=address, subject="confirm", body="confirm", message_id=f"<ok{n}@x>")
        # Unauthenticated still: the token, sent only to Anna's mailbox, is the proof.
        assert (await send(service.smtp_port, ANNA, [address], answer, border=None)).code == 250
    await wait_until_settled(3)
    sent = await quiet(capture, 1)
    assert sorted(m.rcpt_tos[0] for m in sent) == [ANNA, STRANGER]
    assert await Commitment.all().count() == 3
    assert await Partnership.all().count() == 1
    held = await InboundMessage.get(message_id="m1@example.com")
    assert (held.status, held.reason) == (InboundStatus.PROCESSED.value, "confirmed")
    # The confirmation made nothing after it trusted: the next forged message is held again.
    again = message(body="- Something else\n", message_id="<m2@example.com>")
    assert (await send(service.smtp_port, ANNA, [COMMIT], again, border=None)).code == 250
    await wait_until_settled(4)
    assert await Commitment.all().count() == 3


async def test_a_confirmation_from_another_address_confirms_nothing(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    data = message(body=THREE_COMMITMENTS)
    assert (await send(service.smtp_port, ANNA, [COMMIT], data, border=None)).code == 250
    [question] = await capture.wait_for(1)
    address = question.message["Reply-To"]
    mallory = "mallory@attacker.example"
    answer = message(sender=mallory, to=address, subject="confirm", body="confirm")
    assert (await send(service.smtp_port, mallory, [address], answer)).code == 250
    await wait_until_settled(2)
    assert await Commitment.all().count() == 0
    assert all(m.rcpt_tos == [mallory] for m in (await quiet(capture, 1)))
