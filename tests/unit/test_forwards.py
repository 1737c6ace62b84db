"""Forwards from each client format of the shared corpus (tests/data, INDEX.md expectations)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailer.parsing.forwards import read_forward
from mailer.parsing.mime import ParsedMessage, html_to_text, read_message

DATA = Path(__file__).resolve().parents[1] / "data"
MSG = "Praesent suscipit egestas hendrerit.\n\nAliquam eget dui dui."

# file, envelope subject, whether the member wrote a note above the forward
FORWARDS = [
    ("fwd_crisp_gmail_en_with_message.txt", "Fwd: Integer consequat non purus", True),
    ("fwd_crisp_outlook_live_en_bold_labels.txt", "FW: Integer consequat non purus", True),
    ("fwd_crisp_new_outlook_2019_de.txt", "WG: Integer consequat non purus", False),
    ("fwd_crisp_apple_mail_fr.txt", "Fwd: Integer consequat non purus", False),
    ("fwd_crisp_thunderbird_en_with_message.txt", "Fwd: Integer consequat non purus", True),
    ("fwd_crisp_gmail_en_nested_chain.txt", "Fwd: Integer consequat non purus", True),
    ("fwd_crisp_mailmate_en.txt", "Fwd: Integer consequat non purus", False),
]


@pytest.mark.parametrize(("name", "subject", "with_note"), FORWARDS)
def test_each_client_format_gives_coach_date_subject_and_body(
    name: str, subject: str, with_note: bool
) -> None:
    text = (DATA / name).read_text()
    forward = read_forward(ParsedMessage(subject=subject, text=text))
    assert forward is not None
    assert (forward.coach_name, forward.coach_address) == ("John Doe", "john.doe@acme.com")
    assert forward.subject == "Integer consequat non purus"
    assert forward.body.startswith("Aenean quis diam urna.")
    assert forward.date is not None
    assert forward.note == (MSG if with_note else "")


def test_a_nested_chain_gives_the_outermost_hop_and_the_whole_chain() -> None:
    text = (DATA / "fwd_crisp_gmail_en_nested_chain.txt").read_text()
    forward = read_forward(ParsedMessage(subject="Fwd: Integer consequat non purus", text=text))
    assert forward is not None
    assert forward.date is not None
    assert (forward.date.year, forward.date.month, forward.date.day) == (2023, 4, 6)
    assert "Laura Singleton" in forward.body  # the earlier hops, kept


def test_a_reply_is_not_taken_for_a_forward() -> None:
    text = (DATA / "fwd_crisp_outlook_2019_NOT_a_forward.txt").read_text()
    assert read_forward(ParsedMessage(subject="Re: Integer consequat non purus", text=text)) is None


def test_an_attached_rfc822_forward_is_read_from_the_inner_message() -> None:
    raw = (DATA / "mime_stdlib_msg_46_groupwise_forward_rfc822.eml").read_bytes()
    forward = read_forward(read_message(raw, own_domain="pactmail.localhost"))
    assert forward is not None
    assert (forward.coach_name, forward.coach_address) == ("Dr. Sender", "sender@example.net")
    assert forward.date is not None
    assert forward.date.isoformat() == "2010-02-01T12:18:40+01:00"


def test_an_outlook_html_forward_is_unwrapped_from_its_html() -> None:
    markup = (DATA / "fwd_quotequail_outlook.html.txt").read_text()
    message = ParsedMessage(subject="FW: The subject!", text=html_to_text(markup), html=markup)
    forward = read_forward(message)
    assert forward is not None
    assert (forward.coach_name, forward.subject) == ("John Doe", "The subject!")
    assert forward.date is not None
    assert (forward.date.year, forward.date.month, forward.date.day, forward.date.hour) == (
        2014,
        7,
        9,
        10,
    )
    assert forward.body.startswith("Hi Foo,")
