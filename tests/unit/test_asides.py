"""Asides: what a message to commit@ says beside its commitments."""

from __future__ import annotations

import pytest

from mailer.parsing.asides import PHRASES, Aside, aside, first_name, is_question


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        # English
        ("Hi Pat,", Aside.GREETING),
        ("Good morning all!", Aside.GREETING),
        ("Hey pactmail 👋", Aside.GREETING),
        ("Thanks so much for doing this!", Aside.PLEASANTRY),
        ("Hope you had a great weekend.", Aside.PLEASANTRY),
        ("Have a lovely weekend", Aside.PLEASANTRY),
        ("Kind regards, Anna Keller", Aside.SIGN_OFF),
        ("Here are my commitments for the coming week", Aside.INTRO),
        ("What I'm committing to so far", Aside.INTRO),
        ("Pat, would you keep me honest on these?", Aside.QUESTION),
        ("Any thoughts?", Aside.QUESTION),
        ("Would you hold me to these", Aside.REQUEST),
        ("Please challenge me if I slip.", Aside.REQUEST),
        ("You can call me out anytime.", Aside.REQUEST),
        ("Let me know if I'm slacking", Aside.REQUEST),
        ("Pat - could you ping me on Friday.", Aside.ADDRESSED),
        ("@Pat feel free to nag me", Aside.ADDRESSED),
        ("Team, you know the drill.", Aside.ADDRESSED),
        ("I've cc'd Pat so she can keep me honest.", Aside.CC_NOTE),
        ("Pat is in cc.", Aside.CC_NOTE),
        # German
        ("Hallo zusammen,", Aside.GREETING),
        ("Liebe Lena,", Aside.GREETING),
        ("Danke dir!", Aside.PLEASANTRY),
        ("Vielen Dank fürs Dranbleiben!", Aside.PLEASANTRY),
        ("Ich hoffe, es geht dir gut.", Aside.PLEASANTRY),
        ("Mit freundlichen Grüßen", Aside.SIGN_OFF),
        ("Meine Ziele für diese Woche", Aside.INTRO),
        ("Kannst du mich am Freitag daran erinnern?", Aside.QUESTION),
        ("Bitte hak am Montag nach.", Aside.REQUEST),
        ("Könnten Sie mich nächste Woche erinnern", Aside.REQUEST),
        ("Lena, du bist die Beste.", Aside.ADDRESSED),
        ("Lena ist in Kopie.", Aside.CC_NOTE),
        # French
        ("Bonjour Claire,", Aside.GREETING),
        ("Coucou à tous !", Aside.GREETING),
        ("Merci beaucoup !", Aside.PLEASANTRY),
        ("J'espère que tu vas bien.", Aside.PLEASANTRY),
        ("J\u2019espère que vous allez bien.", Aside.PLEASANTRY),
        ("Bien cordialement,", Aside.SIGN_OFF),
        ("Voici mes engagements pour la semaine", Aside.INTRO),
        ("Claire, peux-tu me relancer jeudi ?", Aside.QUESTION),
        ("N'hésite pas à me secouer.", Aside.REQUEST),
        ("Merci de me relancer vendredi.", Aside.REQUEST),
        ("Claire, tu me connais.", Aside.ADDRESSED),
        ("Claire est en copie.", Aside.CC_NOTE),
        # Spanish
        ("Hola equipo", Aside.GREETING),
        ("¡Hola Marta!", Aside.GREETING),
        ("¡Muchas gracias por ayudarme!", Aside.PLEASANTRY),
        ("Espero que estés bien.", Aside.PLEASANTRY),
        ("Un abrazo,", Aside.SIGN_OFF),
        ("Estos son mis compromisos para esta semana", Aside.INTRO),
        ("¿Me ayudas a cumplirlos", Aside.QUESTION),
        ("Por favor, recuérdamelo el lunes.", Aside.REQUEST),
        ("Avísame si me ves flojo.", Aside.REQUEST),
        ("Marta, puedes escribirme el viernes.", Aside.ADDRESSED),
        ("Pongo a Marta en copia.", Aside.CC_NOTE),
    ],
)
def test_asides_by_kind_and_language(line: str, kind: Aside) -> None:
    assert aside(line) == kind


@pytest.mark.parametrize(
    "line",
    [
        "Finish the quarterly report by Friday",
        "Thank the team by Friday",
        "Thank you notes to all clients by Friday",
        "Morning run every day",
        "Morning: run 5k",
        "Hello World demo for the kids",
        "Best practice review on Monday",
        "Plan the offsite",
        "Plan next week",
        "My plan is to run daily",
        "Monday, call the supplier",
        "Tomorrow, I'll call the bank about you-know-what",
        "Work: finish the slides",
        "Pay the CC bill",
        "Bericht bis Freitag fertig schreiben",
        "Dreimal pro Woche laufen gehen",
        "Chaque lundi, relire les chiffres",
        "Terminar el informe antes del viernes",
        "Llamar a mi madre cada domingo",
    ],
)
def test_commitments_are_not_asides(line: str) -> None:
    assert aside(line) is None


def test_a_partner_named_in_the_message_is_spoken_to() -> None:
    line = "Pat, I'm counting on you!"
    assert aside(line) is None  # anyone's "Pat": perhaps a plan about Pat
    assert aside(line, addressees={"pat"}) == Aside.ADDRESSED
    assert aside("Pat, Bob and I ship v2 by Friday", addressees={"pat"}) is None


@pytest.mark.parametrize(
    ("text", "asks"),
    [
        ("Too ambitious?", True),
        ("Too ambitious? 🙈", True),
        ("(or is Monday better?)", True),
        ("«\u00a0On s'appelle lundi\u00a0?\u00a0»", True),
        ("¿Te parece bien", True),
        ("Ship it by Friday!", False),
        ("Read https://example.com/?page=2", False),
    ],
)
def test_questions(text: str, asks: bool) -> None:
    assert is_question(text) is asks


@pytest.mark.parametrize(
    ("given", "name"),
    [
        ("Pat Lee", "pat"),
        ('"Lee, Pat"', "pat"),
        ("Lee, Pat", "pat"),
        ("pat.lee@example.org", "pat"),
        ("Pat", "pat"),
        ("", ""),
    ],
)
def test_first_name(given: str, name: str) -> None:
    assert first_name(given) == name


def test_every_language_fills_every_column() -> None:
    assert set(PHRASES) == {"en", "de", "fr", "es"}
    for language, phrases in PHRASES.items():
        empty = [field for field, words in vars(phrases).items() if not words]
        assert not empty, (language, empty)
