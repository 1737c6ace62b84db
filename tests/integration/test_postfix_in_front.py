"""A real Postfix in front of pactmail, configured by deploy/postfix-main.cf.example.

Mail from the Internet goes to Postfix, which asks pactmail about each
recipient before taking it, hands the message to pactmail over SMTP, and
takes pactmail's answers back out to the relay that stands for the
Internet (the capture server). Each test prints the log lines, Postfix's and
pactmail's, of the mail it follows.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import smtplib
from collections.abc import Iterator
from dataclasses import replace
from ipaddress import ip_network
from pathlib import Path

import pytest

from mailer.models import (
    Commitment,
    InboundMessage,
    InboundStatus,
    OutboundMessage,
    OutboundStatus,
)
from mailer.settings import RateLimits, Settings
from mailer.trust.resolver import TableResolver
from tests.conftest import running_service
from tests.integration.test_commit_flow import THREE_COMMITMENTS
from tests.support.capture import Captured, CaptureHandler
from tests.support.dkimkeys import DkimKey, ed25519_key
from tests.support.postfix import (
    DOMAIN,
    INTERNET_CLIENT,
    MX_HOSTNAME,
    QUEUED_AS,
    Postfix,
    Submission,
    free_port,
    postfix_in_front,
    require_postfix,
    submit,
)
from tests.support.settle import all_settled
from tests.support.smtpclient import Reply, message

ANNA = "anna@example.com"
COMMIT = f"commit@{DOMAIN}"
HELP = f"help@{DOMAIN}"
# Logs of the parts a message goes through, printed with Postfix's.
PACTMAIL_LOGGERS = ("mailer", "workers", "arq")
JOB_LINE = re.compile(r"\b(in|out)bound:\d")


@pytest.fixture
def pactmail_settings(settings: Settings) -> Settings:
    """pactmail as deploy/pactmail.env.example sets it up behind the example's Postfix.

    No border results are trusted: pactmail checks the senders' DKIM itself.
    """
    return replace(
        settings,
        domain=DOMAIN,
        trusted_authserv_ids=frozenset(),
        listen_port=free_port(),  # fixed: pactmail restarts on the port Postfix knows
        trusted_relays=(ip_network("127.0.0.1/32"),),
        rate_limits=RateLimits(),  # the defaults, as in production
    )


@pytest.fixture
def postfix(
    pactmail_settings: Settings, relay: tuple[CaptureHandler, int], tmp_path: Path
) -> Iterator[Postfix]:
    with postfix_in_front(
        tmp_path, pactmail_port=pactmail_settings.listen_port, relay_port=relay[1]
    ) as running:
        yield running


@pytest.fixture
def key(dns: TableResolver) -> DkimKey:
    """example.com signs its mail (DKIM), and its key is in the DNS pactmail reads."""
    made = ed25519_key()
    dns.table["test._domainkey.example.com"] = [made.record]
    return made


@pytest.fixture(autouse=True)
def pactmail_logs(caplog: pytest.LogCaptureFixture) -> None:
    for name in PACTMAIL_LOGGERS:
        caplog.set_level(logging.INFO, logger=name)


def signed(key: DkimKey, *, to: str, body: str, message_id: str, subject: str = "My week") -> bytes:
    data = message(to=to, body=body, message_id=message_id, subject=subject)
    return key.sign(data, "example.com")


def show_logs(
    title: str,
    postfix: Postfix,
    queue_ids: set[str],
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Print the mail's way through both logs, where the CI log shows it."""
    pactmail = [
        f"{record.name}: {record.getMessage()}"
        for record in caplog.records
        if record.name.startswith(PACTMAIL_LOGGERS)
        # of arq's lines, only the jobs of this mail: not the cron jobs that found nothing
        and (record.name != "arq.worker" or JOB_LINE.search(record.getMessage()) is not None)
    ]
    lines = [
        f"==== {title}",
        "---- Postfix (its maillog_file):",
        *postfix.lines_of(sorted(queue_ids), client=INTERNET_CLIENT),
        "---- pactmail:",
        *pactmail,
        "----",
    ]
    with capsys.disabled():
        print("\n" + "\n".join(lines))


def queue_ids_of(postfix: Postfix, pattern: str) -> set[str]:
    """The queue ids of log lines that match ``pattern``."""
    found = (
        re.search(r" ([0-9A-F]{6,}): ", line) for line in postfix.log() if re.search(pattern, line)
    )
    return {match.group(1) for match in found if match}


def delivered_to_pactmail(postfix: Postfix, queue_id: str) -> str:
    port = postfix.postconf("-h", "relay_transport").strip().rpartition(":")[2]
    return rf"{queue_id}: to=<[^>]+>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:{port}, .*status=sent"


async def confirmations(capture: CaptureHandler, count: int) -> list[Captured]:
    """The mail Postfix relayed out, once ``count`` arrived; each with Postfix's Received: line."""
    arrived = await capture.wait_for(count)
    for captured in arrived:
        assert f"by {MX_HOSTNAME} (Postfix)" in str(captured.message["Received"])
    return arrived


async def test_mail_through_postfix_becomes_commitments_and_the_answer_leaves_through_it(
    pactmail_settings: Settings,
    db: None,
    postfix: Postfix,
    relay: tuple[CaptureHandler, int],
    dns: TableResolver,
    key: DkimKey,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    capture, _ = relay
    # Postfix accepts the example as it is, with the test's paths and ports.
    assert postfix.check_output == ""
    data = signed(key, to=COMMIT, body=THREE_COMMITMENTS, message_id="<week49@example.com>")
    async with running_service(pactmail_settings, postfix.port, dns):
        sent = await submit(postfix, ANNA, [COMMIT], data)
        assert sent.rcpt[COMMIT].code == 250
        await postfix.wait_for_log(delivered_to_pactmail(postfix, sent.queue_id))
        await all_settled()
        [confirmation] = await confirmations(capture, 1)
        [row] = await InboundMessage.all()
        assert await Commitment.all().count() == 3

    # pactmail took it from Postfix, which names the client it had on its Received: line.
    assert row.peer.startswith("127.0.0.1:")
    assert bytes(row.content).startswith(b"Received: from mail.example.com (")
    assert f"[{INTERNET_CLIENT}])".encode() in bytes(row.content).split(b"\r\n", 1)[0]
    assert (row.status, row.sender_auth) == (InboundStatus.PROCESSED.value, "authenticated")
    assert "dkim=pass d=example.com" in row.sender_evidence

    # The confirmation left through Postfix, to the sender, from a bounce address.
    assert confirmation.rcpt_tos == [ANNA]
    assert confirmation.mail_from.startswith("bounce+")
    assert confirmation.mail_from.endswith(f"@{DOMAIN}")
    assert confirmation.message["In-Reply-To"] == "<week49@example.com>"
    assert "#1  Finish the quarterly report by Friday" in confirmation.text()
    assert postfix.queue() == []

    out_ids = queue_ids_of(postfix, re.escape(f"message-id={confirmation.message['Message-ID']}"))
    assert len(out_ids) == 1
    show_logs(
        "Postfix -> pactmail -> Postfix: one message to commit@",
        postfix,
        {sent.queue_id, *out_ids, *queue_ids_of(postfix, f"to=<{COMMIT}>.*status=deliverable")},
        caplog,
        capsys,
    )


async def test_what_postfix_refuses_at_rcpt_it_never_bounces(
    pactmail_settings: Settings,
    db: None,
    postfix: Postfix,
    relay: tuple[CaptureHandler, int],
    dns: TableResolver,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    capture, _ = relay
    unknown, forged = f"nobody@{DOMAIN}", f"reply+v-1-2-3-forgedmac@{DOMAIN}"
    elsewhere = "someone@elsewhere.example"
    async with running_service(pactmail_settings, postfix.port, dns):
        refused = await submit(postfix, ANNA, [unknown, forged, elsewhere], message(to=unknown))
        assert refused.data is None  # no recipient taken: no message at all

        # A message forging this border's results (and signed by no one) is
        # taken for commit@, but the results are dropped on the way in.
        forged_results = (
            f"Authentication-Results: {MX_HOSTNAME}; dmarc=pass header.from=example.com\r\n"
        ).encode() + message(to=COMMIT, body=THREE_COMMITMENTS, message_id="<forged@example.com>")
        taken = await submit(postfix, ANNA, [COMMIT], forged_results)
        await postfix.wait_for_log(delivered_to_pactmail(postfix, taken.queue_id))
        await all_settled()
        [asked] = await confirmations(capture, 1)
        [row] = await InboundMessage.all()
        commitments = await Commitment.all().count()

    # pactmail's own refusals, given by Postfix to the client: never queued, never bounced.
    assert refused.rcpt[unknown].code == 550
    assert "5.1.1" in refused.rcpt[unknown].text
    assert "No such address here" in refused.rcpt[unknown].text
    assert refused.rcpt[forged].code == 550
    assert refused.rcpt[elsewhere].code == 554  # no open relay
    assert "Relay access denied" in refused.rcpt[elsewhere].text
    log = "\n".join(postfix.log())
    assert log.count("NOQUEUE: reject: RCPT") == 3
    assert "non-delivery notification" not in log
    assert postfix.queue() == []
    assert [m.mail_from for m in capture.messages if m.mail_from == ""] == []  # no DSN

    # The forged results never reached pactmail: the sender is asked "Was this you?".
    assert b"Authentication-Results" not in bytes(row.content)
    assert (row.status, row.sender_auth) == (InboundStatus.HELD.value, "unauthenticated")
    assert asked.rcpt_tos == [ANNA]
    assert commitments == 0

    show_logs(
        "Refused at Postfix's RCPT after asking pactmail; forged results dropped",
        postfix,
        {taken.queue_id, *queue_ids_of(postfix, r"to=<(nobody|reply\+)")},
        caplog,
        capsys,
    )


async def test_pactmail_stopped_costs_nothing(
    pactmail_settings: Settings,
    db: None,
    postfix: Postfix,
    relay: tuple[CaptureHandler, int],
    dns: TableResolver,
    key: DkimKey,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    capture, _ = relay
    first = signed(key, to=COMMIT, body=THREE_COMMITMENTS, message_id="<before@example.com>")
    async with running_service(pactmail_settings, postfix.port, dns):
        before = await submit(postfix, ANNA, [COMMIT], first)
        await all_settled()
        await confirmations(capture, 1)

    # pactmail is down (a restart, an upgrade). commit@ was accepted before:
    # Postfix remembers it, takes the message and keeps it in its queue.
    during = signed(
        key, to=COMMIT, body="- Book the venue by Monday\n", message_id="<during@example.com>"
    )
    queued = await submit(postfix, ANNA, [COMMIT], during)
    assert queued.rcpt[COMMIT].code == 250
    await postfix.wait_for_log(rf"{queued.queue_id}: to=<{re.escape(COMMIT)}>.*status=deferred")
    assert [entry["queue_id"] for entry in postfix.queue()] == [queued.queue_id]
    # help@ was never asked about: Postfix cannot ask now, so it answers 450
    # and the sending server keeps the message and tries again.
    help_request = signed(
        key, to=HELP, body="How does this work?\n", message_id="<help@example.com>", subject="Help"
    )
    deferred = await submit(postfix, ANNA, [HELP], help_request)
    assert deferred.rcpt[HELP].code == 450
    assert "4.1.1" in deferred.rcpt[HELP].text

    async with running_service(pactmail_settings, postfix.port, dns):
        postfix.flush()
        await postfix.wait_for_log(delivered_to_pactmail(postfix, queued.queue_id))
        retried = await retry_until_taken(postfix, ANNA, [HELP], help_request)
        await postfix.wait_for_log(delivered_to_pactmail(postfix, retried.queue_id))
        await all_settled()
        answers = await confirmations(capture, 3)
        rows = await InboundMessage.all().order_by("id")
        commitments = [c.text for c in await Commitment.all().order_by("id")]

    # Each message processed once, each answered once; nothing left in Postfix.
    assert [row.message_id for row in rows] == [
        "before@example.com",
        "during@example.com",
        "help@example.com",
    ]
    assert {row.status for row in rows} == {InboundStatus.PROCESSED.value}
    assert len(commitments) == 4
    assert commitments[-1] == "Book the venue by Monday"
    assert sorted(str(m.message["In-Reply-To"]) for m in answers) == [
        "<before@example.com>",
        "<during@example.com>",
        "<help@example.com>",
    ]
    assert postfix.queue() == []
    assert "non-delivery notification" not in "\n".join(postfix.log())
    show_logs(
        "pactmail stopped: Postfix queues (or answers 450), then delivers once",
        postfix,
        {before.queue_id, queued.queue_id, retried.queue_id},
        caplog,
        capsys,
    )


async def test_a_confirmation_refused_out_there_comes_back_to_pactmail_as_a_bounce(
    pactmail_settings: Settings,
    db: None,
    postfix: Postfix,
    relay: tuple[CaptureHandler, int],
    dns: TableResolver,
    key: DkimKey,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    capture, _ = relay
    # The sender's own server refuses the confirmation for good, after
    # Postfix took it from pactmail: Postfix writes the delivery failure to
    # the envelope sender, pactmail's bounce+TOKEN@ address.
    capture.fail_next = ["550 5.1.1 <anna@example.com>: mailbox unavailable"]
    data = signed(key, to=COMMIT, body=THREE_COMMITMENTS, message_id="<gone@example.com>")
    async with running_service(pactmail_settings, postfix.port, dns):
        sent = await submit(postfix, ANNA, [COMMIT], data)
        dsn_line = await postfix.wait_for_log(r"sender non-delivery notification: ([0-9A-F]+)")
        dsn_id = dsn_line.rpartition(" ")[2]
        await postfix.wait_for_log(delivered_to_pactmail(postfix, dsn_id))
        await all_settled()
        rows = await InboundMessage.all().order_by("id")
        [confirmation] = await OutboundMessage.all()
        outbound = await OutboundMessage.all().count()

    original, bounce = rows
    assert original.message_id == "gone@example.com"
    assert bounce.mail_from == "<>"  # the null sender: nothing may answer it
    assert bounce.rcpt_tos == [confirmation_bounce_address(bounce.rcpt_tos)]
    assert (bounce.status, bounce.reason) == (
        InboundStatus.PROCESSED.value,
        f"outbound {confirmation.id} bounced; score 1",
    )
    # Its row says it bounced, with why (never offered to be sent again);
    # and nothing answered the bounce.
    assert confirmation.status == OutboundStatus.BOUNCED.value
    assert confirmation.last_error.startswith("bounced: permanent (failed): 5.1.1 550 5.1.1")
    assert outbound == 1
    assert capture.messages == []
    assert postfix.queue() == []
    show_logs(
        "A confirmation refused out there: Postfix's bounce goes back to pactmail",
        postfix,
        {sent.queue_id, dsn_id, *queue_ids_of(postfix, r"to=<anna@example\.com>")},
        caplog,
        capsys,
    )


def confirmation_bounce_address(rcpt_tos: list[str]) -> str:
    """The one recipient of a bounce: a bounce+TOKEN@ address of the domain."""
    [address] = rcpt_tos
    assert address.startswith("bounce+")
    assert address.endswith(f"@{DOMAIN}")
    return address


# A message whose last line ends in a bare <LF>, then ".<CR><LF>", then a
# second transaction: a server that takes "<LF>.<CR><LF>" for the end of the
# first runs the second, a message from whoever the attacker names.
SMUGGLED = (
    b"From: Anna Keller <anna@example.com>\r\nTo: commit@pactmail.example.com\r\n"
    b"Subject: Hello\r\nMessage-ID: <carrier@example.com>\r\n\r\nJust saying hello\n"
    b".\r\nMAIL FROM:<ceo@example.com>\r\nRCPT TO:<commit@pactmail.example.com>\r\n"
    b"DATA\r\nFrom: The CEO <ceo@example.com>\r\nSubject: Smuggled\r\n\r\n"
    b"- Wire the money by Friday\r\n.\r\n"
)


def _smuggle(port: int) -> list[Reply]:
    """Send SMUGGLED after DATA as it is, as an attacker's relay would; every reply read."""
    with smtplib.SMTP("127.0.0.1", port, timeout=30, source_address=(INTERNET_CLIENT, 0)) as client:
        client.ehlo("mail.example.com")
        assert client.mail(ANNA)[0] == 250
        assert client.rcpt(COMMIT)[0] == 250
        assert client.docmd("DATA")[0] == 354
        client.send(SMUGGLED)
        replies: list[Reply] = []
        # QUIT after the first answer: whatever a server answers before its
        # 221 are the smuggled commands it ran.
        while not replies or replies[-1].code != 221:
            code, text = client.getreply()
            replies.append(Reply(code, text.decode()))
            if len(replies) == 1:
                client.putcmd("quit")
        client.close()
    return replies


async def test_a_smuggled_second_message_stays_inside_the_first(
    pactmail_settings: Settings,
    db: None,
    postfix: Postfix,
    relay: tuple[CaptureHandler, int],
    dns: TableResolver,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    capture, _ = relay
    async with running_service(pactmail_settings, postfix.port, dns):
        replies = await asyncio.to_thread(_smuggle, postfix.port)
        queued = QUEUED_AS.search(replies[0].text)
        await all_settled()
        await confirmations(capture, 1)  # "Was this you?" to Anna: her mail is not signed
        rows = await InboundMessage.all()

    assert [reply.code for reply in replies] == [250, 221]
    [row] = rows
    assert row.mail_from == ANNA
    assert b"Wire the money" in bytes(row.content)  # the "second message" is the first's text
    assert "ceo@example.com" not in {m.rcpt_tos[0] for m in capture.messages}
    assert queued is not None
    show_logs("SMTP smuggling: one message", postfix, {queued.group(1)}, caplog, capsys)


def test_without_root_the_test_fails_and_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    """Never a skip: a machine that cannot run Postfix fails the test, with what to do."""
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(pytest.fail.Exception, match=r"run it as root, as \.ci/run does"):
        require_postfix()


async def retry_until_taken(
    postfix: Postfix, mail_from: str, rcpt_tos: list[str], data: bytes, timeout: float = 15.0
) -> Submission:
    """Send again after each 4xx, as the sending server does, until Postfix takes it."""
    async with asyncio.timeout(timeout):
        while True:
            sent = await submit(postfix, mail_from, rcpt_tos, data)
            if sent.data is not None:
                return sent
            assert all(400 <= reply.code < 500 for reply in sent.rcpt.values()), sent
            await asyncio.sleep(0.2)
