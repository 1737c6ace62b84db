"""A delivery report written to cost us is read no further than a real one.

Anyone who ever got one email from pactmail holds a valid bounce+TOKEN@
(its Return-Path, 30 days), and the SMTP server takes any number of
messages to it. Reading one looked for each address it names in all of its
text: 16,000 entries (700 KB) took 21 s, and a 1 MB report overran the
parse step's 20 s bound five tries running before it was quarantined. Now
a report is read only as far as a real one goes (MAX_REPORT_BYTES), and
each reader stops at MAX_RECIPIENTS; bench/bounce_readers.py prints the
time such reports take.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from mailer.models import InboundMessage
from mailer.parsing.bounces import MAX_RECIPIENTS, read_report
from mailer.sending import bounce_address
from tests.support.capture import CaptureHandler
from tests.support.settle import until
from tests.support.smtpclient import send
from workers.service import Service

ENTRIES = 16_000  # ~700 KB: far under PACTMAIL_MAX_MESSAGE_BYTES (10 MB)


def entries_report(n: int) -> bytes:
    """An OpenSMTPD-like report: "<address>: reply" entries, read by entry_recipients."""
    body = "".join(f"<u{i}@example.org>: 550 5.1.1 unknown user\n" for i in range(n))
    head = (
        "From: MAILER-DAEMON@mx.example.org\nSubject: Undelivered Mail\nContent-Type: text/plain\n"
    )
    return f"{head}\n{body}".encode()


def qmail_report(n: int) -> bytes:
    """A qmail report (flufl.bounce's detector), sent by no daemon and with no bounce subject."""
    body = (
        "Hi. This is the qmail-send program at mx.example.org.\n"
        "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
        "This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
        + "".join(
            f"<u{i}@example.org>:\nSorry, no mailbox here by that name. (#5.1.1)\n\n"
            for i in range(n)
        )
        + "--- Below this line is a copy of the message.\n"
    )
    return f"From: someone@example.org\nSubject: hello\nContent-Type: text/plain\n\n{body}".encode()


def test_a_report_of_many_entries_gives_its_first_recipients_with_their_words() -> None:
    report = read_report(entries_report(ENTRIES))
    assert [r.address for r in report.recipients] == [f"u{i}@example.org" for i in range(100)]
    assert {(r.verdict.value, r.status) for r in report.recipients} == {("permanent", "5.1.1")}
    assert report.recipients[99].diagnostic == "<u99@example.org>: 550 5.1.1 unknown user"


def test_a_qmail_report_of_many_addresses_gives_at_most_the_first_hundred() -> None:
    report = read_report(qmail_report(8_000))
    assert len(report.recipients) == MAX_RECIPIENTS
    # Failed for good, as its detector says; the words of those named past
    # the part of the text that is read are not looked for.
    assert {r.verdict.value for r in report.recipients} == {"permanent"}


async def test_one_hostile_report_to_a_held_return_path_costs_no_parse_overrun(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    """Through SMTP, to the return path of an email the attacker received: read at once."""
    return_path = bounce_address(service.settings, 1, datetime.now(UTC))  # any row's will do
    raw = entries_report(24_000).replace(b"\n", b"\r\n")  # ~1 MB
    started = time.monotonic()
    assert (await send(service.smtp_port, "", [return_path], raw, border=None)).code == 250

    async def read_or_tried() -> bool:
        row = await InboundMessage.all().order_by("-id").first()
        return row is not None and (row.status != "received" or row.reason.startswith("try"))

    await until(read_or_tried, timeout=90)
    row = await InboundMessage.all().order_by("-id").first()
    assert row is not None
    # Before: after 20 s, "try 1 of 5 failed; to be tried again" (then 4 more
    # tries of 20 s each, then quarantined), and 60 such messages a minute
    # passed the default client rate. Now read at the first try.
    took = round(time.monotonic() - started, 1)
    assert (row.status, row.attempts) == ("ignored", 1), (row.status, row.reason, took)
