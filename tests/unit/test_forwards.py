"""Forwards from each client format of the shared corpus (tests/data, INDEX.md expectations)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
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


# Outlook's header block in each corpus language (and a few more): the labels
# and date format each localised Outlook writes, with its Subject prefix.
OUTLOOK_LANGUAGES = {
    "de": ("WG", "Von", "Gesendet", "An", "Betreff", "Dienstag, 24. November 2026 17:02"),
    "fr": (
        "TR",
        "De\u00a0",
        "Envoyé\u00a0",
        "À\u00a0",
        "Objet\u00a0",
        "mardi 24 novembre 2026 17:02",
    ),
    "no": ("VS", "Fra", "Sendt", "Til", "Emne", "tirsdag 24. november 2026 17:02"),
    "da": ("VS", "Fra", "Sendt", "Til", "Emne", "24. november 2026 17:02"),
    "sv": ("VB", "Från", "Skickat", "Till", "Ämne", "den 24 november 2026 17:02"),
    "pt": ("ENC", "De", "Enviado", "Para", "Assunto", "terça-feira, 24 de novembro de 2026 17:02"),
    "es": ("RV", "De", "Enviado el", "Para", "Asunto", "martes, 24 de noviembre de 2026 17:02"),
    "it": ("I", "Da", "Inviato", "A", "Oggetto", "martedì 24 novembre 2026 17:02"),
    "nl": ("FW", "Van", "Verzonden", "Aan", "Onderwerp", "dinsdag 24 november 2026 17:02"),
    "pl": ("PD", "Od", "Wysłano", "Do", "Temat", "wtorek, 24 listopada 2026 17:02"),
    "ru": ("FW", "От", "Отправлено", "Кому", "Тема", "вторник, 24 ноября 2026 г. 17:02"),  # noqa: RUF001
    "ja": ("FW", "差出人", "送信日時", "宛先", "件名", "2026年11月24日 17:02"),
}


@pytest.mark.parametrize("language", OUTLOOK_LANGUAGES)
def test_outlook_forwards_in_each_language_give_coach_date_subject_and_body(language: str) -> None:
    prefix, sender, sent, to, subject, date = OUTLOOK_LANGUAGES[language]
    text = (
        "Meine Notiz.\n\n________________________________\n"
        f"{sender}: Dana Coach <dana@coach.example>\n{sent}: {date}\n"
        f"{to}: Anna Keller <anna@example.com>\n{subject}: Our session\n\nHi Anna,\n\nGood session."
    )
    written = datetime(2026, 11, 25, 9, tzinfo=timezone(timedelta(hours=1)))
    message = ParsedMessage(subject=f"{prefix}: Our session", text=text, date=written)
    forward = read_forward(message)
    assert forward is not None
    assert (forward.coach_name, forward.coach_address) == ("Dana Coach", "dana@coach.example")
    assert forward.subject == "Our session"
    # Shown without a zone: read in the offset of the member's own message.
    assert forward.date == datetime(2026, 11, 24, 17, 2, tzinfo=timezone(timedelta(hours=1)))
    assert forward.body == "Hi Anna,\n\nGood session."
    assert forward.note == "Meine Notiz."


@pytest.mark.parametrize("name", sorted(path.name for path in DATA.glob("reply_*")))
def test_no_reply_of_the_corpus_is_taken_for_a_forward(name: str) -> None:
    path = DATA / name
    if path.suffix == ".eml":
        read = read_message(path.read_bytes(), own_domain="pactmail.localhost")
        text, html = read.text, read.html
    elif name.endswith(".html.txt"):
        html = path.read_text()
        text = html_to_text(html)
    else:
        text, html = path.read_text(), None
    for subject in ("Re: Our session", "Our session"):
        assert read_forward(ParsedMessage(subject=subject, text=text, html=html)) is None


def test_a_sender_shown_by_name_alone_is_the_coach_not_a_deeper_quoted_block() -> None:
    text = (
        "See below.\n\n"
        "From: Dana Coach\nSent: Tuesday, November 24, 2026 5:02 PM\nTo: Anna Keller\n"
        "Subject: Our session\n\nGood session.\n\n"
        "> From: Anna Keller <anna@example.com>\n> Sent: Monday, November 23, 2026 9:00 AM\n"
        "> To: Dana Coach <dana@coach.example>\n> Subject: Our session\n>\n> My private worries.\n"
    )
    message = ParsedMessage(subject="FW: Our session", text=text, from_address="anna@example.com")
    forward = read_forward(message)
    assert forward is not None
    assert (forward.coach_name, forward.coach_address) == ("Dana Coach", "")
    assert forward.subject == "Our session"
    assert forward.body.startswith("Good session.")
    assert forward.note == "See below."


def test_the_members_own_quoted_mail_is_not_taken_for_the_coachs() -> None:
    text = (
        "Fyi\n\n> From: Anna Keller <anna@example.com>\n> Date: Mon, 23 Nov 2026 09:00 +0100\n"
        "> Subject: My worries\n>\n> Private.\n"
    )
    message = ParsedMessage(subject="Fwd: My worries", text=text, from_address="anna@example.com")
    assert read_forward(message) is None


def test_a_date_line_too_long_to_be_a_date_leaves_the_note_without_one() -> None:
    text = (
        "---------- Forwarded message ---------\nFrom: Dana Coach <dana@coach.example>\n"
        f"Date: {'Tuesday ' * 5000}\nSubject: Our session\nTo: Anna <anna@example.com>\n\nHi"
    )
    forward = read_forward(ParsedMessage(subject="Fwd: Our session", text=text))
    assert forward is not None
    assert (forward.coach_address, forward.subject, forward.date) == (
        "dana@coach.example",
        "Our session",
        None,
    )


RULE = "_" * 40
BANNER = f"{RULE}\nCAUTION: This email originated from outside the organization.\n{RULE}\n\n"


@pytest.mark.parametrize(
    ("subject", "block"),
    [
        ("FW: Our session", "_" * 32 + "\nFrom: Dana Coach <dana@coach.example>\n"
         "Sent: Tuesday, November 24, 2026 5:02 PM\nTo: Anna <anna@example.com>\n"
         "Subject: Our session\n\n"),
        ("Fwd: Our session", "---------- Forwarded message ---------\n"
         "From: Dana Coach <dana@coach.example>\nDate: Tue, Nov 24, 2026 at 5:02 PM\n"
         "Subject: Our session\nTo: Anna <anna@example.com>\n\n"),
    ],
)  # fmt: skip
def test_an_external_sender_banner_in_the_coachs_email_is_not_a_hop(
    subject: str, block: str
) -> None:
    text = "Keeping this.\n\n" + block + BANNER + "Hi Anna,\n- Draft the budget by Friday\n"
    message = ParsedMessage(subject=subject, text=text, from_address="anna@example.com")
    forward = read_forward(message)
    assert forward is not None
    assert forward.coach_address == "dana@coach.example"
    assert "To: Anna" not in forward.body
    assert forward.body.endswith("Hi Anna,\n- Draft the budget by Friday")


def test_a_reply_quoting_an_older_forward_is_not_a_forward() -> None:
    text = (
        "Run 5k on Saturday\n\n-----Original Message-----\nFrom: Bob <bob@example.org>\n"
        "Sent: Monday, November 23, 2026 9:00 AM\nSubject: RE: plans\n\nSure.\n\n"
        "---------- Forwarded message ---------\nFrom: Cleo <cleo@example.net>\n"
        "Date: Sun, Nov 22, 2026 at 8:00 PM\nSubject: plans\nTo: Bob <bob@example.org>\n\nHi\n"
    )
    assert read_forward(ParsedMessage(subject="RE: plans", text=text)) is None
