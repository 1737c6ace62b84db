"""One line of header text: what one_line and header_safe leave, and where text is read with it."""

from __future__ import annotations

import sys
import unicodedata

import pytest

from mailer.headers import header_safe, one_line
from mailer.parsing.forwards import read_forward
from mailer.parsing.mime import ParsedMessage, read_message
from mailer.parsing.partners import nominees

# Found, not listed: whatever this Python's str.splitlines() splits on.
LINE_BREAKS = [
    char
    for char in map(chr, range(sys.maxunicode + 1))
    if len(f"a{char}b".splitlines()) > 1 and not "\ud800" <= char <= "\udfff"
]
CONTROLS = [chr(code) for code in (*range(0x20), *range(0x7F, 0xA0))]
# What the tests through SMTP use too: each break a header could be split on.
BREAKS = {
    "VT": "\x0b",
    "FF": "\x0c",
    "FS": "\x1c",
    "GS": "\x1d",
    "RS": "\x1e",
    "NEL": "\x85",
    "LS": "\u2028",
    "PS": "\u2029",
    "CR": "\r",
    "LF": "\n",
    "CRLF": "\r\n",
}


def test_the_breaks_found_are_the_ones_named() -> None:
    assert set(LINE_BREAKS) == set("".join(BREAKS.values()))


@pytest.mark.parametrize("char", LINE_BREAKS + CONTROLS, ids=lambda char: f"U+{ord(char):04X}")
def test_every_line_break_and_control_becomes_one_space(char: str) -> None:
    assert one_line(f"Anna{char}Reply-To: x@evil.example") == "Anna Reply-To: x@evil.example"
    assert one_line(f"{char}{char}Anna{char}") == "Anna"
    assert header_safe(f"Hello{char}Bcc: x@evil.example") == "Hello Bcc: x@evil.example"


def test_any_text_comes_out_as_one_printable_line() -> None:
    text = "".join(LINE_BREAKS + CONTROLS) + "Zoë\u00a0Nguyễn  \t 日本"
    clean = one_line(text)
    assert clean == "Zoë Nguyễn 日本"
    assert one_line(clean) == clean
    assert not any(unicodedata.category(char) == "Cc" for char in clean)


def test_header_safe_cuts_to_the_limit_without_a_trailing_space() -> None:
    assert header_safe("Anna\x0b\x0bKeller", limit=5) == "Anna"
    assert len(header_safe("x" * 500)) == 200


# --- read once: where text from a message becomes a name or a subject ------


@pytest.mark.parametrize("char", BREAKS.values(), ids=BREAKS.keys())
def test_names_and_subject_are_one_line_when_read(char: str) -> None:
    encoded = "=?utf-8?q?" + "".join(f"={byte:02X}" for byte in char.encode()) + "?="
    raw_or_encoded = encoded if char in "\r\n" else char  # raw CR or LF would end the line
    raw = (
        f'From: "Anna{raw_or_encoded}Keller" <a@example.com>\n'
        f"Cc: =?utf-8?q?Bob?={encoded}=?utf-8?q?Stone?= <b@example.org>\n"
        f"Subject: Week{encoded}plan\x9b\n"
        "\n"
        "Hello\n"
    )
    message = read_message(raw.encode("utf-8"))
    assert (message.from_name, message.from_address) == ("Anna Keller", "a@example.com")
    assert message.cc_names == ("Bob Stone",)
    assert message.subject == "Week plan"


@pytest.mark.parametrize("char", [*LINE_BREAKS, "\x1f", "\x9b"], ids=repr)
def test_partner_line_names_are_one_line(char: str) -> None:
    found, _ = nominees(
        [(f"Bob{char}Stone", "bob@example.org")],
        f'partner: "Cleo{char}Reply-To: x@evil.example" <cleo@example.net>',
        member="anna@example.com",
        own_domain="pactmail.localhost",
    )
    names = {nominee.address: nominee.name for nominee in found}
    # LF ends a partner: line (mail text reaches it with LF line ends only).
    expected = {"bob@example.org": "Bob Stone"}
    if char != "\n":
        expected["cleo@example.net"] = "Cleo Reply-To: x@evil.example"
    assert names == expected


def test_a_typed_partner_address_with_a_control_is_not_invited() -> None:
    found, _ = nominees(
        [], "partner: cl\x9beo@example.net", member="anna@example.com", own_domain="d"
    )
    assert found == []


@pytest.mark.parametrize("char", ["\x0b", "\x1d", "\u2028", "\x85", "\x9b"], ids=repr)
def test_a_forwarded_coach_name_and_subject_are_one_line(char: str) -> None:
    text = (
        "---------- Forwarded message ---------\n"
        f"From: Dana{char}Reply-To: x@evil.example <dana@coach.example>\n"
        "Date: Tue, Nov 24, 2026 at 5:02 PM\n"
        f"Subject: Session{char}Bcc: x@evil.example\n"
        "To: Anna <anna@example.com>\n"
        "\n"
        "- Draft the budget by Friday\n"
    )
    forward = read_forward(ParsedMessage(subject="Fwd: Session", text=text))
    assert forward is not None
    assert forward.coach_address == "dana@coach.example"
    # The forward parser drops some of these itself, and keeps others.
    for value in (forward.coach_name, forward.subject):
        assert value == one_line(value)
    assert forward.coach_name.startswith("Dana")
    assert forward.subject.startswith("Session")
