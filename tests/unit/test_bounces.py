"""Tests for mailer.parsing.bounces: real delivery reports and auto-replies from tests/data/bounces.

The expected values were written from reading each file (its delivery-status
part, or the text a person would read), not from what the reader returns.
"""

from email import message_from_bytes
from pathlib import Path

import pytest

from mailer.parsing.bounce_text import entry_recipients
from mailer.parsing.bounces import Kind, Recipient, Report, Verdict, read_report

BOUNCES = Path(__file__).parent.parent / "data" / "bounces"

P, T, N = Verdict.PERMANENT, Verdict.TEMPORARY, Verdict.NOT_A_FAILURE

# file -> (address, verdict, RFC 3463 status or None) for each recipient, in the file's order
# where the reader keeps it (sorted for the non-standard ones).
EXPECTED: dict[str, list[tuple[str, Verdict, str | None]]] = {
    # RFC 3464 reports
    "postfix_5.2.1_and_5.1.1_user_unknown_two_recipients.eml": [
        ("filtered@example.co.jp", P, "5.2.1"),
        ("userunknown@example.co.jp", P, "5.1.1"),
    ],
    "postfix_5.1.1_address_rejected.eml": [("kijitora@example.co.jp", P, "5.1.1")],
    "postfix_5.4.4_host_not_found.eml": [("kijitora@neko.example.jp", P, "5.4.4")],
    "postfix_4.1.1_failed_virtual_alias_table.eml": [("kijitora@example.org", T, "4.1.1")],
    "postfix_4.4.1_failed_connection_timed_out.eml": [("kijitora@example.com", T, "4.4.1")],
    "sendmail_gmail_rejects_5.2.1_account_disabled.eml": [("shironeko@example.ne.jp", P, "5.2.1")],
    "sendmail_delayed_4.5.0.eml": [
        ("this-local-part-does-not-exist-on-the-system@y-mobile.ne.jp", N, "4.5.0")
    ],
    "exim_dsn_5.0.0_bad_spf.eml": [("kijitora@example.co.jp", P, "5.0.0")],
    "exchange2007_5.1.1_recipient_not_found.eml": [("mikeneko@example.co.jp", P, "5.1.1")],
    "exchange2007_4.4.7_failed_message_expired.eml": [
        ("gwang1@student.mlcsyd.nsw.edu.au", T, "4.4.7")
    ],
    "office365_5.1.351_user_unknown_iso2022jp_subject.eml": [
        ("otsu-sakaba-hunter-neko-nyaaaaaaan@ezweb.ne.jp", P, "5.1.351")
    ],
    "office365_5.4.316_expired_connection_refused.eml": [("nyaan@neko.example.jp", P, "5.4.316")],
    "office365_5.1.0_spf_rejected.eml": [("kijitora@example.com", P, "5.1.0")],
    "outlook_5.1.1_user_unknown.eml": [("kijitora@example.jp", P, "5.1.1")],
    "hotmail_delayed_4.4.7.eml": [("kijitora@example.com", N, "4.4.7")],
    "hotmail_4.4.7_failed.eml": [("kijitora@example.com", T, "4.4.7")],
    "gmail_dsn_550_user_unknown.eml": [
        ("otsu-sakaba-hunter-neko-nyaaaaaaan@ezweb.ne.jp", P, "5.0.0")
    ],
    "gmail_dsn_delayed_4.4.1.eml": [("sotoneko@nora.nyaan.jp", N, "4.4.1")],
    # Gmail gives up on a domain that does not exist with "failed" and 4.0.0.
    "gmail_dsn_4.0.0_failed_nxdomain.eml": [("sironeko@example.jp", T, "4.0.0")],
    "opensmtpd_delayed_4.4.7.eml": [("nekochan@libsisimai.org", N, "4.4.7")],
    "flufl_dsn_delayed_4.4.1.eml": [("userx@example.nz", N, "4.4.1")],
    # Original-Recipient is the address we sent to; Final-Recipient is xxx@example.fi.
    "flufl_dsn_delayed_4.3.0_quota_original_recipient.eml": [("userx@example.fi", N, "4.3.0")],
    "flufl_x400_gateway_4.4.7_failed.eml": [("zzzzz@example.uk", T, "4.4.7")],
    # Non-standard reports
    "exim_5.1.1_and_5.2.1_two_recipients.eml": [
        ("kijitora@example.jp", P, "5.1.1"),
        ("sabatora@example.jp", P, "5.2.1"),
    ],
    "exim_retry_timeout_exceeded.eml": [("kijitora@example.com", P, None)],
    "exim_delayed_24_hours.eml": [("kijitora@example.co.jp", N, None)],
    "gmail_plain_5.1.1_user_unknown.eml": [("userunknown@example.jp", P, "5.1.1")],
    "gmail_plain_delayed_mailbox_full.eml": [("kijitora@example.jp", N, "4.2.2")],
    "gmail_plain_storage_quota_exceeded.eml": [("neko-nyaan@google.example.com", P, None)],
    "qmail_5.1.1_and_5.2.1_two_recipients.eml": [
        ("filtered@example.jp", P, "5.2.1"),
        ("userunknown@example.jp", P, "5.1.1"),
    ],
    "qmail_4.2.2_gave_up_mailbox_full.eml": [("kijitora@example.jp", T, "4.2.2")],
    "qmail_552_disk_quota_exceeded.eml": [("shironeko@example.ad.jp", P, None)],
    "yahoo_5.1.1_user_unknown.eml": [("kijitora@example.jp", P, "5.1.1")],
    "flufl_qmail_vpopmail_5.1.1_no_mailbox.eml": [("userx@example.jp", P, "5.1.1")],
    "flufl_yahoo_4.4.1_gave_up_no_connection.eml": [("userx@example.com", T, "4.4.1")],
    "flufl_yahoo_over_quota.eml": [("userx@example.es", P, None)],
    "flufl_exim_old_5.1.1_unknown_user.eml": [("userx@its.example.nl", P, "5.1.1")],
    "flufl_exchange_legacy_recipient_not_recognized.eml": [("userx@example.com", P, None)],
    "flufl_postfix_old_5.1.1_user_unknown.eml": [("xxxxx@local.ie", P, "5.1.1")],
    "flufl_exim_delayed_24_hours.eml": [("userx@example.za", N, None)],
    # RFC 3464 fields written into a text part
    "amazon_workmail_5.1.1_dsn_fields_in_text.eml": [("kijitora@example.jp", P, "5.1.1")],
    "postfix_4.0.0_failed_dsn_fields_in_iso2022jp_text.eml": [
        ("toraneko@neko.example.co.jp", T, "4.0.0")
    ],
    # Plain-text entries no flufl.bounce detector recognises
    "postfix_old_550_user_unknown_japanese.eml": [("kijitora@user.example.or.jp", P, None)],
    "opensmtpd_5.2.2_and_5.1.1_two_recipients.eml": [
        ("mailboxfull@example.jp", P, "5.2.2"),
        ("userunknown@example.jp", P, "5.1.1"),
    ],
    "yahoo_japan_5.1.1_user_unknown.eml": [("kijitora@example.org", P, "5.1.1")],
}

# The reader each report needs, where it is not the one its shape suggests (a
# delivery-status part: "rfc3464"; none: "flufl.bounce").
READER = {
    "amazon_workmail_5.1.1_dsn_fields_in_text.eml": "rfc3464 text",
    "postfix_4.0.0_failed_dsn_fields_in_iso2022jp_text.eml": "rfc3464 text",
    "postfix_old_550_user_unknown_japanese.eml": "entries",
    "opensmtpd_5.2.2_and_5.1.1_two_recipients.eml": "entries",
    "yahoo_japan_5.1.1_user_unknown.eml": "entries",
}

AUTO_REPLIES = {
    "autoreply_vacation_auto_submitted.eml": "auto-submitted: auto-replied",
    "autoreply_exchange_automatic_reply.eml": "exchange auto-reply",
    "autoreply_icloud_vacation.eml": "apple vacation notice",
    "autoreply_exchange_via_messagelabs.eml": "exchange auto-reply",
    "autoreply_auto_submitted_null_sender.eml": "auto-submitted: auto-replied",
    "autoreply_autoresponder_precedence_bulk.eml": "auto-submitted: auto-replied",
    "flufl_autoreply_exim_precedence_auto_reply.eml": "precedence: auto_reply",
}


def _read(name: str) -> Report:
    return read_report((BOUNCES / name).read_bytes())


def _summary(recipients: tuple[Recipient, ...]) -> list[tuple[str, Verdict, str | None]]:
    return [(r.address, r.verdict, r.status) for r in recipients]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_report_gives_its_recipients(name: str) -> None:
    report = _read(name)
    assert report.kind is Kind.BOUNCE
    assert _summary(report.recipients) == EXPECTED[name]


@pytest.mark.parametrize("name", sorted(AUTO_REPLIES))
def test_auto_replies_are_not_bounces(name: str) -> None:
    report = _read(name)
    assert report.kind is Kind.AUTO_REPLY
    assert report.recipients == ()
    assert report.auto_reply == AUTO_REPLIES[name]


def test_every_file_in_the_corpus_has_an_expectation() -> None:
    files = {path.name for path in BOUNCES.glob("*.eml")}
    assert files == set(EXPECTED) | set(AUTO_REPLIES)
    assert len(EXPECTED) >= 20


def test_each_report_is_read_by_the_most_exact_reader_that_can() -> None:
    """A report with a delivery-status part is read from it, never by guessing from text."""
    for name in EXPECTED:
        raw = (BOUNCES / name).read_bytes().lower()
        shape = "rfc3464" if b"message/delivery-status" in raw else "flufl.bounce"
        assert _read(name).reader == READER.get(name, shape), name


def test_diagnostic_is_the_remote_servers_words() -> None:
    (recipient,) = _read("exchange2007_5.1.1_recipient_not_found.eml").recipients
    assert recipient.diagnostic == "550 5.1.1 RESOLVER.ADR.RecipNotFound; not found"
    assert recipient.action == "failed"


def test_folded_diagnostic_is_one_line() -> None:
    (recipient,) = _read("postfix_4.1.1_failed_virtual_alias_table.eml").recipients
    assert recipient.diagnostic == (
        "450 4.1.1 <kijitora@example.org>: Recipient address rejected: "
        "User unknown in virtual alias table"
    )


def test_non_standard_diagnostic_holds_the_servers_reply() -> None:
    (recipient,) = _read("yahoo_5.1.1_user_unknown.eml").recipients
    assert "550 5.1.1 <kijitora@example.jp>... User Unknown" in recipient.diagnostic
    assert recipient.action == "failed"


def test_each_entry_keeps_its_own_words() -> None:
    first, second = _read("opensmtpd_5.2.2_and_5.1.1_two_recipients.eml").recipients
    assert first.diagnostic == (
        "mailboxfull@example.jp: 550 5.2.2 <mailboxfull@example.jp>... Mailbox Full"
    )
    assert "userunknown" not in first.diagnostic
    assert second.diagnostic.startswith("userunknown@example.jp: 550 5.1.1")


def test_delayed_notice_says_delayed() -> None:
    (recipient,) = _read("exim_delayed_24_hours.eml").recipients
    assert recipient.action == "delayed"
    assert "450 service permits 2 unverifyable sending IPs" in recipient.diagnostic


# --- hand-written edge cases -------------------------------------------------------


def _mail(headers: str, body: str = "Hello\n") -> Report:
    return read_report((headers.strip("\n") + "\n\n" + body).encode())


DSN_HEAD = """
From: MAILER-DAEMON@mx.example.net
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b"
"""


def _dsn(*blocks: str) -> Report:
    status = "\n\n".join(block.strip("\n") for block in blocks)
    body = (
        "--b\nContent-Type: text/plain\n\nSorry.\n\n"
        f"--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\n"
        f"{status}\n\n--b--\n"
    )
    return _mail(DSN_HEAD, body)


def test_relayed_and_delivered_are_not_failures() -> None:
    report = _dsn(
        "Final-Recipient: rfc822; a@example.org\nAction: relayed\nStatus: 2.0.0",
        "Final-Recipient: rfc822; b@example.org\nAction: delivered\nStatus: 2.0.0",
        "Final-Recipient: rfc822; c@example.org\nAction: failed\nStatus: 5.1.1",
    )
    assert _summary(report.recipients) == [
        ("a@example.org", N, "2.0.0"),
        ("b@example.org", N, "2.0.0"),
        ("c@example.org", P, "5.1.1"),
    ]


def test_missing_status_falls_back_to_the_smtp_reply() -> None:
    report = _dsn(
        "Final-Recipient: rfc822; a@example.org\nAction: failed\n"
        "Diagnostic-Code: smtp; 452 Mailbox over quota"
    )
    assert _summary(report.recipients) == [("a@example.org", T, None)]


def test_repeated_blocks_give_one_recipient() -> None:
    block = "Final-Recipient: rfc822; a@example.org\nAction: failed\nStatus: 5.1.1"
    assert len(_dsn(block, block).recipients) == 1


def test_base64_delivery_status_is_read() -> None:
    body = (
        "--b\nContent-Type: message/delivery-status\nContent-Transfer-Encoding: base64\n\n"
        "UmVwb3J0aW5nLU1UQTogZG5zOyBteAoKRmluYWwtUmVjaXBpZW50OiByZmM4MjI7IGFAZXhhbXBs\n"
        "ZS5vcmcKQWN0aW9uOiBmYWlsZWQKU3RhdHVzOiA1LjEuMQo=\n--b--\n"
    )
    report = _mail(DSN_HEAD, body)
    assert _summary(report.recipients) == [("a@example.org", P, "5.1.1")]


def test_global_delivery_status_with_utf8_address_is_read() -> None:
    body = (
        "--b\nContent-Type: message/global-delivery-status\nContent-Transfer-Encoding: 8bit\n\n"
        "Reporting-MTA: dns; mx\n\nOriginal-Recipient: utf-8; jürgen@example.de\n"
        "Final-Recipient: utf-8; jürgen@example.de\nAction: failed\nStatus: 5.1.1\n\n--b--\n"
    )
    report = _mail(DSN_HEAD, body)
    assert _summary(report.recipients) == [("jürgen@example.de", P, "5.1.1")]


def test_non_standard_bounce_in_an_unknown_charset_is_read() -> None:
    report = _mail(
        "From: MAILER-DAEMON@mx.example.net\nSubject: failure notice\n"
        "Content-Type: text/plain; charset=ansi_x3.110-1983",
        "Hi. This is the qmail-send program at mx.example.net.\n"
        "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
        "This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
        "<a@example.org>:\nRemote host said: 550 5.1.1 no such user\n\n"
        "--- Below this line is a copy of the message.\n\nSubject: hi\n",
    )
    assert _summary(report.recipients) == [("a@example.org", P, "5.1.1")]
    assert report.reader == "flufl.bounce"


def test_an_entry_needs_a_reply_code() -> None:
    def entries(body: str) -> list[str]:
        raw = f"From: MAILER-DAEMON@mx.example.net\nSubject: failure\n\n{body}".encode()
        return [r.address for r in entry_recipients(message_from_bytes(raw))]

    assert entries("<help@mx.example.net>: write here, we answer in 2 days.\n") == []
    assert entries("<bob@example.org>:\nRemote host said: 550 no such user\n") == [
        "bob@example.org"
    ]


def test_text_readers_leave_a_persons_mail_alone() -> None:
    report = _mail(
        "From: ann@example.org\nSubject: Re: plan",
        "Final-Recipient: rfc822; bob@example.org\nAction: failed\nStatus: 5.1.1\n\n"
        "bob@example.org: 550 5.1.1 no such user\n",
    )
    assert report == Report(Kind.UNKNOWN)


def test_bounce_without_a_readable_recipient_is_still_a_bounce() -> None:
    report = _mail(
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\nSubject: Mail Error",
        "Your mail could not be delivered to: dylan (mail box space not enough)\n",
    )
    assert report == Report(Kind.BOUNCE)


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ("From: robot@example.org\nSubject: Hi\nX-Boxbe-Pool: 42", "challenge-response"),
        (
            "From: ann@example.org\nSubject: Please confirm your message to Ann",
            "challenge-response",
        ),
        ("From: ann@example.org\nSubject: Out of Office: back on Monday", "auto-reply subject"),
        ("From: ann@example.org\nSubject: Abwesenheitsnotiz: Urlaub", "auto-reply subject"),
        ("From: ann@example.org\nSubject: Re: plan\nX-Autoreply: yes", "auto-reply header"),
        (
            "From: ann@example.org\nSubject: Read: plan\nContent-Type: multipart/report; "
            'report-type=disposition-notification; boundary="x"',
            "read receipt",
        ),
    ],
)
def test_auto_reply_markers(headers: str, reason: str) -> None:
    assert _mail(headers) == Report(Kind.AUTO_REPLY, auto_reply=reason)


def test_bounce_with_auto_submitted_stays_a_bounce() -> None:
    raw = (
        "Auto-Submitted: auto-replied\n"
        + DSN_HEAD.strip("\n")
        + "\n\n"
        + ("--b\nContent-Type: text/plain\n\nSorry.\n--b--\n")
    )
    assert read_report(raw.encode()) == Report(Kind.BOUNCE)


def test_a_person_writing_is_neither() -> None:
    report = _mail("From: ann@example.org\nSubject: Re: your digest", "Thanks, all good.\n")
    assert report == Report(Kind.UNKNOWN)


@pytest.mark.parametrize(
    "raw",
    [b"", b"\x00\xff\xfe", b"Content-Type: multipart/report; boundary=\n\n--\n", b"From: <>\n\n"],
)
def test_garbage_never_raises(raw: bytes) -> None:
    assert read_report(raw).recipients == ()
