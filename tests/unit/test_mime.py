"""Tests for mailer.parsing.mime: real corpus messages and hand-written edge cases."""

import sysconfig
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from mailer.parsing.mime import ParsedMessage, decode_bytes, html_to_text, read_message, unflow

DATA = Path(__file__).parent.parent / "data"
STDLIB_CORPUS = Path(sysconfig.get_paths()["stdlib"]) / "test" / "test_email" / "data"
STDLIB_FILES = sorted(STDLIB_CORPUS.glob("*.txt"))


def _read(name: str, **kwargs: str | None) -> ParsedMessage:
    return read_message((DATA / name).read_bytes(), **kwargs)


def _mail(headers: str, body: str = "Hello\n", **kwargs: str | None) -> ParsedMessage:
    """A message from header lines and a body, as raw bytes."""
    raw = headers.strip("\n") + "\n\n" + body
    return read_message(raw.encode("utf-8", "surrogateescape"), **kwargs)


PLAIN = "From: Ann <ann@example.com>\nTo: commit@pactmail.example\nSubject: hi\n"


# --- the corpus ---------------------------------------------------------------


def test_groupwise_forward_is_an_attached_message() -> None:
    message = _read("mime_stdlib_msg_46_groupwise_forward_rfc822.eml")
    assert message.text == ""
    assert message.subject == "GroupwiseForwardingTest"
    assert len(message.attached_messages) == 1
    inner = message.attached_messages[0]
    assert inner.from_address == "sender@example.net"
    assert inner.from_name == "Dr. Sender"
    assert inner.date == datetime(2010, 2, 1, 12, 18, 40, tzinfo=timezone(timedelta(hours=1)))
    assert inner.text.startswith("Testing email forwarding with Groupwise 1.2.2010")
    assert inner.message_id == "4B66B890.4070408@teconcept.de"


def test_digest_gives_every_inner_message() -> None:
    message = _read("mime_stdlib_msg_28_digest_rfc822.eml")
    assert message.text == ""
    assert [inner.text.strip() for inner in message.attached_messages] == [
        "message 1",
        "message 2",
    ]
    assert all(inner.from_address == "cc@dd.org" for inner in message.attached_messages)
    assert all(inner.subject == "ee" for inner in message.attached_messages)


def test_broken_nested_boundary_still_finds_the_text() -> None:
    message = _read("mime_stdlib_msg_15_broken_nested_boundary.eml")
    assert message.text.strip() == "Some removed test."
    assert message.html is not None
    assert "Some removed text." in message.html
    assert message.message_id == "xxxx"
    assert "StartBoundaryNotFoundDefect" in message.defects


def test_gb2312_label_on_utf8_body_reads_as_utf8() -> None:
    message = _read("mime_spamscope_mail_test_12_gb2312_label_utf8_body.eml")
    assert message.text.startswith("你好！我公司可代开各类增值税发票，17%专用发票")  # noqa: RUF001
    assert "\ufffd" not in message.text
    assert message.subject == "代开各地增值税发票"  # genuinely GB2312 encoded words
    assert message.from_name == "张先生"
    assert message.from_address == "baoguan@hotmail.com"
    assert message.to == ("danglüe@email.com",)
    assert message.date == datetime(2018, 5, 13, 12, 32, 22, tzinfo=timezone(timedelta(hours=8)))
    assert any("gb2312" in defect for defect in message.defects)


def test_stdlib_corpus_is_present() -> None:
    assert len(STDLIB_FILES) >= 40, f"standard library email corpus missing at {STDLIB_CORPUS}"


@pytest.mark.parametrize("path", STDLIB_FILES, ids=lambda path: path.name)
def test_stdlib_corpus_never_raises(path: Path) -> None:
    message = read_message(path.read_bytes())
    assert isinstance(message, ParsedMessage)
    assert "\n" not in message.subject
    assert "\r" not in message.subject
    assert all("@" in address for address in (*message.to, *message.cc))


# --- messages written for this project ---------------------------------------


def test_gmail_new_message() -> None:
    message = _read("gmail_new_message.eml")
    assert message.subject == "My commitments for März"
    assert message.from_name == "Jürgen Müller"
    assert message.from_address == "juergen.mueller@gmail.com"
    assert message.to == ("commit@pactmail.example",)
    assert message.cc == ("anna.schmidt@example.org",)
    assert message.text.startswith("Hi,\n\nThis month I commit to:\n- run three times a week\n")
    assert message.text.rstrip().endswith("Danke!\nJürgen")
    assert message.html is not None
    assert "<li>call Oma every Sunday</li>" in message.html
    assert message.auto_reply_reason is None
    assert message.defects == ()


def test_apple_mail_message() -> None:
    message = _read("apple_mail_message.eml")
    assert message.subject == "Objectifs de la semaine – révision"  # noqa: RUF001
    assert message.message_id == "8E4A2C1B-7F3D-4B9A-A6E2-0C5D9F1B3A7E@icloud.com"
    assert "je m’engage à réviser deux chapitres de droit fiscal avant vendredi" in message.text  # noqa: RUF001
    assert message.date == datetime(2025, 3, 4, 21, 47, 3, tzinfo=timezone(timedelta(hours=1)))


def test_outlook_html_only_message() -> None:
    message = _read("outlook_html_only_message.eml")
    assert message.from_name == "Okafor, Daniel"
    assert message.from_address == "d.okafor@contoso.example"
    assert message.html is not None
    assert "For Q2 I’m committing to shipping the supplier portal by 30 June" in message.text  # noqa: RUF001
    assert "MsoNormal" not in message.text
    assert "font-family" not in message.text
    assert "\r" not in message.text
    assert message.date == datetime(2025, 3, 5, 9, 2, 11, tzinfo=UTC)


# --- RFC 3834: mail not to answer --------------------------------------------


@pytest.mark.parametrize("sender", ["", "<>", " <> "])
def test_null_envelope_sender(sender: str) -> None:
    assert _mail(PLAIN, envelope_sender=sender).auto_reply_reason == "null sender"


def test_ordinary_mail_may_be_answered() -> None:
    message = _mail(PLAIN, envelope_sender="ann@example.com", own_domain="pactmail.example")
    assert message.auto_reply_reason is None
    assert _mail(PLAIN).auto_reply_reason is None  # envelope unknown is not a null sender


@pytest.mark.parametrize("value", ["auto-replied", "auto-generated", "Auto-Notified (x)", ""])
def test_auto_submitted(value: str) -> None:
    assert _mail(PLAIN + f"Auto-Submitted: {value}\n").auto_reply_reason == "auto-submitted"


def test_auto_submitted_no_is_a_person() -> None:
    assert _mail(PLAIN + "Auto-Submitted: No\n").auto_reply_reason is None


@pytest.mark.parametrize("value", ["bulk", "list", "junk", "Bulk"])
def test_precedence(value: str) -> None:
    reason = _mail(PLAIN + f"Precedence: {value}\n").auto_reply_reason
    assert reason == f"precedence: {value.lower()}"


def test_precedence_first_class_is_answered() -> None:
    assert _mail(PLAIN + "Precedence: first-class\n").auto_reply_reason is None


@pytest.mark.parametrize(
    "header",
    [
        "List-Id: <team.lists.example.com>",
        "List-Unsubscribe: <mailto:leave@lists.example.com>",
        "List-Post: <mailto:team@lists.example.com>",
    ],
)
def test_mailing_list(header: str) -> None:
    assert _mail(PLAIN + header + "\n").auto_reply_reason == "mailing list"


@pytest.mark.parametrize("value", ["All", "OOF", "AutoReply", "DR, OOF, AutoReply"])
def test_auto_response_suppressed(value: str) -> None:
    reason = _mail(PLAIN + f"X-Auto-Response-Suppress: {value}\n").auto_reply_reason
    assert reason == "auto-response suppressed"


def test_auto_response_suppress_receipts_only_is_answered() -> None:
    assert _mail(PLAIN + "X-Auto-Response-Suppress: DR, RN\n").auto_reply_reason is None


@pytest.mark.parametrize("sender", ["robot@pactmail.example", "x@mail.PactMail.example"])
def test_own_mail(sender: str) -> None:
    message = _mail(f"From: {sender}\nTo: a@b.example\n", own_domain="pactmail.example")
    assert message.auto_reply_reason == "own mail"


def test_lookalike_domain_is_not_own_mail() -> None:
    message = _mail("From: x@evilpactmail.example\n", own_domain="pactmail.example")
    assert message.auto_reply_reason is None


def test_delivery_status_report_is_a_bounce() -> None:
    headers = (
        "From: Mail System <mailer@mx.example.net>\nTo: ann@example.com\nMIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n'
    )
    body = (
        "--B\nContent-Type: text/plain\n\nDelivery failed.\n"
        "--B\nContent-Type: message/delivery-status\n\n"
        "Reporting-MTA: dns; mx.example.net\n\nFinal-Recipient: rfc822; x@example.org\n"
        "Action: failed\nStatus: 5.1.1\n\n--B--\n"
    )
    message = _mail(headers, body)
    assert message.auto_reply_reason == "bounce"
    assert message.text.strip() == "Delivery failed."


@pytest.mark.parametrize(
    "sender", ["MAILER-DAEMON@mx.example.net", "Postmaster <postmaster@example.net>"]
)
def test_daemon_sender_is_a_bounce(sender: str) -> None:
    assert _mail(f"From: {sender}\nSubject: Undelivered\n").auto_reply_reason == "bounce"


# --- charsets --------------------------------------------------------------------


def _body(charset: str, data: bytes, cte: str = "8bit") -> ParsedMessage:
    head = f"{PLAIN}Content-Type: text/plain; charset={charset}\nContent-Transfer-Encoding: {cte}"
    return read_message(head.encode() + b"\n\n" + data)


def test_declared_charset_is_used() -> None:
    assert _body("iso-8859-1", "café".encode("latin-1")).text == "café"
    assert _body("koi8-r", "привет".encode("koi8-r")).text == "привет"
    assert _body("shift_jis", "お世話になっております".encode("shift_jis")).text == (
        "お世話になっております"
    )
    assert _body("gb2312", "你好，世界".encode("gb2312")).text == "你好，世界"  # noqa: RUF001


def test_latin1_label_on_utf8_bytes_is_mojibake_and_read_as_utf8() -> None:
    assert _body("iso-8859-1", "déjà vu".encode()).text == "déjà vu"
    assert _body("windows-1252", "naïve “quotes”".encode()).text == "naïve “quotes”"


def test_ascii_label_on_utf8_bytes() -> None:
    assert _body("us-ascii", "Grüße".encode()).text == "Grüße"


def test_unknown_charset_falls_back() -> None:
    message = _body("x-no-such-charset", "Grüße".encode())
    assert message.text == "Grüße"
    assert any("unknown charset" in defect for defect in message.defects)


def test_invalid_utf8_falls_back_to_cp1252() -> None:
    assert _body("utf-8", "café – “ok”".encode("cp1252")).text == "café – “ok”"  # noqa: RUF001


def test_bytes_undefined_in_cp1252_fall_back_to_latin1() -> None:
    assert _body("utf-8", b"a\x81b\xe9").text == "a\x81bé"


def test_mostly_utf8_with_a_stray_byte_stays_utf8() -> None:
    data = "Grüße aus Köln, schöne Tage".encode() + b"\xff"
    assert _body("utf-8", data).text == "Grüße aus Köln, schöne Tage\ufffd"


def test_code_that_is_not_a_charset_is_refused() -> None:
    assert _body("unicode_escape", b"a\\u0041").text == "a\\u0041"


def test_decode_bytes_reports_fallback() -> None:
    assert decode_bytes(b"plain", "us-ascii") == ("plain", None)
    text, note = decode_bytes("你好".encode(), "gb2312")
    assert text == "你好"
    assert note is not None


def test_base64_and_quoted_printable_bodies() -> None:
    assert _body("utf-8", b"R3LDvMOfZQ==", cte="base64").text == "Grüße"
    assert _body("utf-8", b"Gr=C3=BC=C3=9Fe", cte="quoted-printable").text == "Grüße"


def test_broken_base64_does_not_raise() -> None:
    message = _body("utf-8", b"R3L!!!DvMOfZQ=", cte="base64")
    assert isinstance(message.text, str)


# --- text normalisation ------------------------------------------------------------


def test_crlf_becomes_lf() -> None:
    raw = b"From: a@b.example\r\nSubject: x\r\n\r\nline one\r\nline two\r\n"
    assert read_message(raw).text == "line one\nline two\n"


def test_format_flowed_is_unwrapped() -> None:
    head = PLAIN + 'Content-Type: text/plain; charset="utf-8"; format="flowed"\n'
    body = "This is a long \nflowed paragraph.\n\n> quoted \n> more\nHello\n-- \nAnn\n"
    text = _mail(head, body).text
    assert text.startswith("This is a long flowed paragraph.\n\n> quoted more\nHello\n-- \nAnn")


def test_format_flowed_delsp() -> None:
    head = PLAIN + "Content-Type: text/plain; charset=utf-8; format=flowed; delsp=yes\n"
    assert _mail(head, "ver \ny long\n").text.startswith("very long\n")


def test_unflow_space_stuffing() -> None:
    assert unflow("  indented\n From here") == " indented\nFrom here"


def test_html_only_body_is_converted() -> None:
    head = PLAIN + "Content-Type: text/html; charset=utf-8\n"
    body = "<html><head><style>p{color:red}</style></head><body><p>One</p><p>Two &amp; 3</p>"
    message = _mail(head, body + "<script>alert(1)</script></body></html>")
    assert message.text == "One\n\nTwo & 3"
    assert message.html is not None
    assert message.html.startswith("<html>")


def test_empty_trailing_text_part_does_not_hide_the_html() -> None:
    head = PLAIN + 'MIME-Version: 1.0\nContent-Type: multipart/alternative; boundary="B"\n'
    body = (
        "--B\nContent-Type: text/html; charset=utf-8\n\n<p>The real body</p>\n"
        "--B\nContent-Type: text/plain; charset=utf-8\n\n\n--B--\n"
    )
    assert _mail(head, body).text == "The real body"


def test_text_attachment_is_not_the_body() -> None:
    head = PLAIN + 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="B"\n'
    body = (
        "--B\nContent-Type: text/html; charset=utf-8\n\n<p>See attached.</p>\n"
        '--B\nContent-Type: text/plain\nContent-Disposition: attachment; filename="a.txt"\n\n'
        "attached notes\n--B--\n"
    )
    assert _mail(head, body).text == "See attached."


def test_html_to_text_edge_cases() -> None:
    assert html_to_text("") == ""
    assert html_to_text("   ") == ""
    assert html_to_text("<!-- only a comment -->") == ""
    assert html_to_text('<?xml version="1.0" encoding="utf-8"?><p>hi</p>') == "hi"
    assert html_to_text("a\x00b") == "ab"


# --- headers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("=?utf-8?q?Caf=C3=A9_au_lait?=", "Café au lait"),
        ("=?UTF-8?B?R3LDvMOfZSBhdXMgS8O2bG4=?=", "Grüße aus Köln"),
        ("=?iso-8859-1?q?Ol=E1?= =?iso-8859-1?q?_amigo?=", "Olá amigo"),
        ("Re: =?utf-8?q?D=C3=A9j=C3=A0?= vu", "Re: Déjà vu"),
        ("=?x-unknown?q?abc?=", "abc"),
        ("plain subject", "plain subject"),
    ],
)
def test_rfc2047_subjects(raw: str, expected: str) -> None:
    assert _mail(f"From: a@b.example\nSubject: {raw}\n").subject.strip() == expected.strip()


def test_broken_encoded_word_does_not_raise() -> None:
    assert isinstance(_mail("From: a@b.example\nSubject: =?utf-8?b?!!!?=\n").subject, str)


def test_raw_utf8_subject() -> None:
    assert _mail("From: a@b.example\nSubject: Grüße\n").subject == "Grüße"


@pytest.mark.parametrize(
    "raw",
    [
        "=?utf-8?q?Hello=0D=0ABcc:_victim@example.com?=",
        "=?utf-8?q?Hello=0ABcc:_victim@example.com?=",
        "=?utf-8?q?Hello=00=0DBcc:_victim@example.com?=",
        "=?utf-8?b?SGVsbG/igKhCY2M6IHZpY3RpbUBleGFtcGxlLmNvbQ==?=",  # U+2028
    ],
)
def test_header_injection_in_subject_is_folded(raw: str) -> None:
    subject = _mail(f"From: a@b.example\nSubject: {raw}\n").subject
    assert subject == "Hello Bcc: victim@example.com"


def test_header_injection_in_display_name_is_folded() -> None:
    message = _mail("From: =?utf-8?q?Ann=0D=0ABcc=3A_x=40evil.example?= <ann@example.com>\n")
    assert message.from_name == "Ann Bcc: x@evil.example"
    assert message.from_address == "ann@example.com"


def test_folded_subject_is_one_line() -> None:
    message = _mail("From: a@b.example\nSubject: first part\n  second part\n")
    assert message.subject == "first part second part"


def test_missing_message_id_and_headers() -> None:
    message = _mail("X-Nothing: here\n")
    assert message.message_id is None
    assert message.subject == ""
    assert message.from_address is None
    assert message.from_name == ""
    assert message.date is None
    assert (message.to, message.cc, message.in_reply_to, message.references) == ((), (), (), ())


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("<abc@x.example>", "abc@x.example"), ("  <  >", None), ("", None), ("bare@id", "bare@id")],
)
def test_message_id(raw: str, expected: str | None) -> None:
    assert _mail(f"From: a@b.example\nMessage-ID: {raw}\n").message_id == expected


def test_thread_ids() -> None:
    message = _mail(
        "From: a@b.example\nIn-Reply-To: <one@x.example> (comment)\n"
        "References: <zero@x.example>\n <one@x.example>\n"
    )
    assert message.in_reply_to == ("one@x.example",)
    assert message.references == ("zero@x.example", "one@x.example")


def test_addresses_are_lowercased_and_listed() -> None:
    message = _mail(
        'From: "Doe, John" <John.Doe@Example.COM>\n'
        "To: a@x.example, B <B@X.example>\nCc: undisclosed-recipients:;\n"
    )
    assert message.from_name == "Doe, John"
    assert message.from_address == "john.doe@example.com"
    assert message.to == ("a@x.example", "b@x.example")
    assert message.cc == ()


@pytest.mark.parametrize(
    "raw",
    [
        "alice@example.org)<bob@example.org>",  # CVE-2023-27043
        "alice@example.org(<bob@example.org>",
        "not an address",
        "<>",
        "a@b@c.example",
        "a@[127.0.0.1]",
    ],
)
def test_unsafe_or_unparseable_from(raw: str) -> None:
    message = _mail(f"From: {raw}\n")
    assert message.from_address is None
    assert any("From" in defect for defect in message.defects)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Mon, 01 Feb 2010 12:18:40 +0100", datetime(2010, 2, 1, 11, 18, 40, tzinfo=UTC)),
        ("Mon, 01 Feb 2010 12:18:40 -0000", datetime(2010, 2, 1, 12, 18, 40, tzinfo=UTC)),
        ("1 Feb 2010 12:18 EST", datetime(2010, 2, 1, 17, 18, tzinfo=UTC)),
    ],
)
def test_dates_are_aware(raw: str, expected: datetime) -> None:
    date = _mail(f"From: a@b.example\nDate: {raw}\n").date
    assert date == expected
    assert date is not None
    assert date.tzinfo is not None


def test_date_keeps_the_sender_offset() -> None:
    date = _mail("From: a@b.example\nDate: Mon, 01 Feb 2010 12:18:40 +0530\n").date
    assert date is not None
    assert date.utcoffset() == timedelta(hours=5, minutes=30)


@pytest.mark.parametrize("raw", ["yesterday", "Mon, 99 Foo 2010 99:99:99 +9999", "", "0"])
def test_bad_dates_are_none(raw: str) -> None:
    assert _mail(f"From: a@b.example\nDate: {raw}\n").date is None


# --- hostile input ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00" * 100,
        b"\xff\xfe" * 5000,
        bytes(range(256)) * 40,
        b"no headers at all, just words",
        b"From: a@b.example\nContent-Type: multipart/mixed\n\nno boundary at all",
        b'Content-Type: multipart/mixed; boundary="B"\n\n--B\nContent-Type: text/plain\n\nhalf',
        b'Content-Type: text/plain; charset="\x00\xff"\n\nbody',
        b"Content-Type: text/plain; charset*=utf-8''%ff%fe\n\nbody",
        b"Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\nRnJvbTogYUBiCgpoaQ==",
        b"Subject: =?utf-8?q?" + b"=ff" * 2000 + b"?=\n\nx",
    ],
)
def test_garbage_never_raises(raw: bytes) -> None:
    assert isinstance(read_message(raw), ParsedMessage)


def test_huge_headers_are_bounded() -> None:
    started = time.monotonic()
    for raw in (
        b"Subject: " + b"=?utf-8?q?a?= " * 50_000 + b"\n\nbody",
        b"From: " + b"a@b.example, " * 20_000 + b"\nTo: " + b"(" * 20_000 + b"\n\nbody",
        b"References: " + b"<a@b> " * 50_000 + b"\nSubject: " + b"x" * 1_000_000 + b"\n\nbody",
    ):
        message = read_message(raw)
        assert len(message.subject) <= 2_000
    # Unbounded, the first of these alone takes about 50 s.
    assert time.monotonic() - started < 10


def test_deeply_nested_attached_messages_are_limited() -> None:
    raw = b"From: a@b.example\nSubject: leaf\n\nleaf text\n"
    for level in range(30):
        raw = f"Subject: level {level}\nContent-Type: message/rfc822\n\n".encode() + raw
    message = read_message(raw)
    depth = 0
    while message.attached_messages:
        message = message.attached_messages[0]
        depth += 1
    assert depth == 5


def test_deeply_nested_multiparts_do_not_raise() -> None:
    head = ""
    for level in range(200):
        head += f'--b{level}\nContent-Type: multipart/mixed; boundary="b{level + 1}"\n\n'
    raw = 'Content-Type: multipart/mixed; boundary="b0"\n\n' + head + "--b200\n\ntext\n"
    assert isinstance(read_message(raw.encode()), ParsedMessage)


def test_many_attached_messages_are_capped() -> None:
    parts = "".join(
        f"--B\nContent-Type: message/rfc822\n\nSubject: {n}\n\nbody {n}\n" for n in range(100)
    )
    raw = f'Content-Type: multipart/digest; boundary="B"\n\n{parts}--B--\n'
    message = read_message(raw.encode())
    assert len(message.attached_messages) == 20
    assert any("attached" in defect for defect in message.defects)
