"""Tests for mailer.parsing.newtext: every reply in the corpus, plus the traps around it."""

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from mailer.parsing.mime import html_to_text, read_message
from mailer.parsing.newtext import new_text, strip_signature

DATA = Path(__file__).parent.parent / "data"

COMMON = (
    "Fusce bibendum, quam hendrerit sagittis tempor, dui turpis tempus erat, pharetra sodales "
    "ante sem sit amet metus.\n"
    "Nulla malesuada, orci non vulputate lobortis, massa felis pharetra ex, convallis "
    "consectetur ex libero eget ante.\n"
    "Nam vel turpis posuere, rhoncus ligula in, venenatis orci. Duis interdum venenatis ex a "
    "rutrum.\n"
    "Duis ut libero eu lectus consequat consequat ut vel lorem. Vestibulum convallis lectus "
    "urna,\n"
    "et mollis ligula rutrum quis. Fusce sed odio id arcu varius aliquet nec nec nibh."
)


def _body_of(name: str) -> str:
    """The body text of a corpus file, read the way production reads it."""
    path = DATA / name
    if name.endswith(".eml"):
        return read_message(path.read_bytes()).text
    if name.endswith(".html.txt"):
        return html_to_text(path.read_text(encoding="utf-8"))
    return path.read_text(encoding="utf-8")


def _is(expected: str) -> Callable[[str], bool]:
    return lambda text: text == expected


def _has(present: list[str], absent: list[str]) -> Callable[[str], bool]:
    return lambda text: all(p in text for p in present) and not any(a in text for a in absent)


def _words_are(expected: str) -> Callable[[str], bool]:
    return lambda text: " ".join(text.split()) == expected


# Every reply_* file of the corpus, with the expected value from its INDEX.md.
REPLIES: dict[str, Callable[[str], bool]] = {
    "reply_crisp_german_outlook.txt": _is(COMMON),
    "reply_crisp_french_2.txt": _is(COMMON),
    "reply_crisp_norwegian_gmail.txt": _is(COMMON),
    "reply_crisp_portuguese.txt": _is(COMMON),
    "reply_crisp_russian.txt": _is(COMMON),
    "reply_crisp_ios_outlook.txt": _is(COMMON),
    "reply_crisp_sent_from_typeapp.txt": _is(
        "Hi it can happen to any texts you type, as long as you type in between words or "
        "paragraphs."
    ),
    "reply_crisp_tricky_unicode_signature.txt": _is("Thanks for the update!"),
    "reply_crisp_tricky_on_false_positive.txt": _is(
        (DATA / "reply_crisp_tricky_on_false_positive.txt").read_text(encoding="utf-8").strip()
    ),
    "reply_crisp_tricky_inline_quotes.txt": _is(
        "I wanted to respond to your points:\n\nMy response to the quoted text above.\n\n"
        "And my final thoughts."
    ),
    "reply_zapier_outlook_2_1.txt": _is("Outlook with a reply"),
    "reply_zapier_blackberry.txt": _is("Here is another email"),
    "reply_alfonsrv_danish_outlook.txt": _has(
        ["Jeg har modtaget filerne."], ["Hilsen", "Søren", "Fra:", "Her er filerne"]
    ),
    "reply_alfonsrv_japanese.txt": _has(
        ["お世話になっております。織田です。"], ["明日の 11:00 でお願いいたします", "田中太郎"]
    ),
    "reply_alfonsrv_polish.txt": _has(["Czesc Anno"], ["Pozdrawiam", "\nJan"]),
    "reply_alfonsrv_swedish_thread.txt": _has(
        ["Berättar gärna."], ["skrev", "Ursäkta", "Person B", "UX designer"]
    ),
    "reply_talon_gmail.eml": _is("Hello"),
    "reply_talon_outlook.eml": _is("Hello"),
    "reply_talon_apple_mail.eml": _is("Hello"),
    "reply_talon_iphone.eml": _is("Hello"),
    "reply_talon_android.eml": _is("Hello"),
    "reply_talon_thunderbird.eml": _is("Hello"),
    "reply_talon_ms_outlook_2010.html.txt": _words_are("Hi. I am fine. Thanks, Alex"),
    "reply_quotequail_ios_mail.html.txt": _is("Sounds good, I'll be there at 2."),
}


def test_every_corpus_reply_is_listed() -> None:
    on_disk = {path.name for path in DATA.glob("reply_*")}
    assert on_disk == set(REPLIES)


@pytest.mark.parametrize("name", sorted(REPLIES))
def test_corpus_reply(name: str) -> None:
    result = new_text(_body_of(name))
    assert REPLIES[name](result), result


# --- reply headers mail-parser-reply misses -----------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        "Em 10 de julho de 2017 às 16:32:35, John Doe <john@example.com> escreveu:",
        "tir. 18. apr. 2017 kl. 13:09 skrev Test user <test@example.com>:",
        "ti 18.4.2017 klo 13.09 Test user (test@example.com) kirjoitti:",
        "ср, 30 апр. 2025 г. в 15:19, John Doe <doe@example.com>:",  # noqa: RUF001
        "30.04.2025, 15:19, John Doe <doe@example.com> написал(а):",  # noqa: RUF001
        "Il giorno mer 30 apr 2025 alle ore 15:19 John Doe <doe@example.com> ha scritto:",
        "Le mer. 30 avr. 2025 à 15:19, John Doe <doe@example.com> a écrit :",
        "Am Mi., 30. Apr. 2025 um 15:19 Uhr schrieb John Doe <doe@example.com>:",
        "On Wed, Apr 30, 2025 at 3:19 PM John Doe <doe@example.com> wrote:",
        "W dniu 30.04.2025 o 15:19, John Doe pisze:\n> x\nJohn Doe <doe@example.com> napisał:",
    ],
)
def test_reply_headers(header: str) -> None:
    body = f"I am on track.\n\n{header}\n\n> Are you on track?\n> Old text\n"
    assert new_text(body) == "I am on track."


def test_wrapped_reply_header() -> None:
    body = (
        "Done.\n\nEm 10 de julho de 2017 às 16:32:35, John Doe - Stripe (\n"
        "contact@stripe.com) escreveu:\n\nOld text"
    )
    assert new_text(body) == "Done."


@pytest.mark.parametrize(
    "block",
    [
        "-----Original Message-----\nFrom: Ann\nSent: Monday\nTo: Bob\nSubject: Hi",
        "-----Ursprüngliche Nachricht-----\nVon: Ann\nGesendet: Montag\nAn: Bob",
        "________________________________\nFrom: Ann <ann@example.com>\nSent: Monday",
        "De : Ann <ann@example.com>\nEnvoyé : lundi\nÀ : Bob\nObjet : Salut",
        "De: Ann <ann@example.com>\nEnviado: lunes\nPara: Bob\nAsunto: Hola",
        "Von: Ann <ann@example.com>\nGesendet: Montag\nAn: Bob\nBetreff: Hallo",
        "*From:* Ann [mailto:ann@example.com]\n*Sent:* Monday\n*To:* Bob",
        "Da: Ann <ann@example.com>\nInviato: lunedì\nA: Bob\nOggetto: Ciao",
        "Fra: Ann <ann@example.com>\nSendt: mandag\nTil: Bob\nEmne: Hei",
        "От: Ann <ann@example.com>\nОтправлено: понедельник\nКому: Bob\nТема: Привет",  # noqa: RUF001
    ],
)
def test_outlook_blocks(block: str) -> None:
    body = f"On track, thanks.\n\n{block}\n\nOld message text\nmore old text"
    assert new_text(body) == "On track, thanks."


def test_bottom_posted_reply() -> None:
    body = (
        "On Mon, Apr 2, 2012 at 6:26 PM, Ann <ann@example.com> wrote:\n> How is it going?\n\nWell."
    )
    assert new_text(body) == "Well."


def test_inline_answers_below_a_greeting() -> None:
    body = (
        "Hi,\n\nOn Mon, Apr 2, 2012 at 6:26 PM, Ann <ann@example.com> wrote:\n"
        "> How did it go?\nOn track!\n> Anything else?\nNo.\n\n> Bye"
    )
    assert new_text(body) == "Hi,\n\nOn track!\nNo."


def test_bottom_posted_below_a_nested_quote() -> None:
    body = (
        "On Mon, Apr 2, 2012 at 6:26 PM, Ann <ann@example.com> wrote:\n> question\n"
        "> On Sun, Apr 1, 2012, Bob <bob@example.com> wrote:\n>> older\n\nMy answer"
    )
    assert new_text(body) == "My answer"


def test_history_below_an_outlook_block_is_not_an_inline_answer() -> None:
    body = (
        "Top answer\n\nFrom: Ann <ann@example.com>\nSent: Monday\nTo: Bob\nSubject: x\n\n"
        "old text\n> older\nold again"
    )
    assert new_text(body) == "Top answer"


def test_inline_quotes_are_dropped() -> None:
    assert new_text("> question one\nanswer one\n> question two\nanswer two") == (
        "answer one\nanswer two"
    )


# --- signatures ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "signature",
    [
        "Sent from my iPhone",
        "Sent from my Galaxy",
        "Sent from Mail for Windows",
        "Envoyé de mon iPhone",
        "Von meinem iPhone gesendet",
        "Enviado desde mi iPhone",
        "Get Outlook for Android<https://aka.ms/ghei36>",
        "Holen Sie sich Outlook für Android<https://aka.ms/ghei36>",
        "Outlook für iOS beziehen<https://aka.ms/o0ukef>",
        "Obtenir Outlook pour iOS<https://aka.ms/o0ukef>",
        "Obtener Outlook para Android<https://aka.ms/ghei36>",
        "-- \nAnn Example\nhttps://ann.example",
        "--\nAnn",
        "______________\nAnn Example | Example Corp",
        "-----\nAnn Example\n+1 555 0100",
        "—————\nAnn 😀\n📧 ann@example.com",
        "Best regards,\nAnn",
        "Cheers 🎉\nAnn",
        "Mit freundlichen Grüßen\nAnn Beispiel\nBeispiel GmbH",
        "Cordialement,\nAnn",
        "Med venlig hilsen\nAnn",
        "Pozdrawiam,\nAnna",
        "Best, Ann",
    ],
)
def test_signatures_are_stripped(signature: str) -> None:
    assert strip_signature(f"I will run on Monday.\n\n{signature}\n") == "I will run on Monday."
    assert new_text(f"I will run on Monday.\n\n{signature}\n") == "I will run on Monday."


@pytest.mark.parametrize(
    "text",
    [
        "My list:\n- finish report\n- call mum\n\nThat's it.",
        "I will do it.\nDo: finish report\nData: 5 km every day",
        "From: Monday\nTo: Friday\nI will run daily.",
        "Hi,\n\nThanks, that helps.\nI will finish X by Friday.",
        "Hi. I am fine.\n\nThanks,\nAlex",
        "Best of luck to me: I start on Monday.",
        "I am on track.\nBest regards to your team from all of us here",
        "Plan:\n-- none yet\nok",
        "On the surface this looks fine.\nOn average I run 3 times a week.",
        "Note: the deadline is 12:00:\nstill ok",
        "Cheers!",
        "I sent from my laptop the report on 12 May and it was fine, nothing else to say here.",
    ],
)
def test_ordinary_text_is_kept(text: str) -> None:
    assert new_text(text) == text.strip()


def test_closing_alone_is_kept() -> None:
    assert strip_signature("Best regards,\nAnn") == "Best regards,\nAnn"


def test_rule_before_long_text_is_kept() -> None:
    text = "Part one\n-----\n" + "\n".join(f"item {n}" for n in range(20))
    assert new_text(text) == text


def test_fresh_message_from_mime_keeps_its_lists() -> None:
    text = new_text(read_message((DATA / "gmail_new_message.eml").read_bytes()).text)
    assert "- finish the tax return by March 31\n- call Oma every Sunday" in text


def test_outlook_html_signature_is_stripped() -> None:
    text = new_text(read_message((DATA / "outlook_html_only_message.eml").read_bytes()).text)
    assert text.endswith("clearing the audit backlog by the end of April.")


# --- robustness ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    ["", "\n\n", ">", "-- ", "\x00\x00", "\r\r\n", "On\nwrote:", ":" * 1000, "\u2028" * 10],
)
def test_odd_input_never_raises(body: str) -> None:
    assert isinstance(new_text(body), str)
    assert isinstance(strip_signature(body), str)


def test_crlf_and_nul() -> None:
    assert new_text("Hello\r\n\r\nOn Mon, Apr 2, 2012, Ann <a@b.example> wrote:\r\n> x\x00") == (
        "Hello"
    )


def test_adversarial_input_is_fast() -> None:
    started = time.monotonic()
    for body in (
        "On " * 30_000,  # took mail-parser-reply's patterns two minutes
        ("On " * 100 + "\n") * 600,
        "\n" * 100_000,
        "From: a\n" * 10_000,
        ">" * 100_000,
        ("On 2012 a wrote b 12:00 x@y.example:\n") * 3_000,
    ):
        new_text(body)
    assert time.monotonic() - started < 5
