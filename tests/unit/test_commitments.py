"""Commitments from the new text of a message."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from mailer.parsing.commitments import (
    MAX_CHARS,
    MAX_COMMITMENTS,
    CommitmentDraft,
    extract_commitments,
)

PARIS = ZoneInfo("Europe/Paris")
# Wednesday 2026-11-25, 09:30 in Paris.
SENT = datetime(2026, 11, 25, 9, 30, tzinfo=timezone(timedelta(hours=1)))


def texts(body: str, subject: str = "My commitments") -> list[str]:
    """The commitment texts read from a body."""
    return [draft.text for draft in extract_commitments(body, subject, SENT, PARIS)]


def test_acceptance_example() -> None:
    body = (
        "Finish the quarterly report by Friday\n"
        "Call the supplier by Dec 15\n"
        "Go running three times a week\n"
        "\n"
        "Thanks,\n"
        "\n"
        "Anna Keller\n"
        "Head of Ops\n"
        "+41 44 555 12 12\n"
    )
    assert extract_commitments(body, "Commitments", SENT, PARIS) == [
        CommitmentDraft("Finish the quarterly report by Friday", date(2026, 11, 27), None, None),
        CommitmentDraft("Call the supplier by Dec 15", date(2026, 12, 15), None, None),
        CommitmentDraft(
            "Go running three times a week", date(2026, 11, 29), "FREQ=WEEKLY", "3 times a week"
        ),
    ]


@pytest.mark.parametrize(
    "line",
    [
        "- Call the supplier",
        "* Call the supplier",
        "+ Call the supplier",
        "• Call the supplier",
        "\u2013 Call the supplier",
        "1. Call the supplier",
        "12) Call the supplier",
        "(3) Call the supplier",
        "a) Call the supplier",
        "[ ] Call the supplier",
        "[x] Call the supplier",
        "- [ ] Call the supplier",
        "* [X] Call the supplier",
        "  - Call the supplier",
        "Call the supplier",
    ],
)
def test_markers_are_stripped(line: str) -> None:
    assert texts(line) == ["Call the supplier"]


def test_each_bullet_is_one_commitment_and_wrapped_lines_join() -> None:
    body = (
        "Hi team,\n"
        "\n"
        "My commitments this week:\n"
        "- Finish the quarterly report by Friday and send it to the whole\n"
        "  leadership team for review\n"
        "- Write the blog post about the new pricing model, with a comparison of\n"
        "competitors, by next week\n"
        "- Plan Q1\n"
    )
    drafts = extract_commitments(body, "", SENT, PARIS)
    assert [(d.text, d.due) for d in drafts] == [
        (
            "Finish the quarterly report by Friday and send it to the whole leadership team "
            "for review",
            date(2026, 11, 27),
        ),
        (
            "Write the blog post about the new pricing model, with a comparison of competitors, "
            "by next week",
            date(2026, 12, 4),
        ),
        ("Plan Q1", None),  # a period named without a deadline word is no due date
    ]


def test_with_a_list_a_plain_line_beside_it_is_not_a_commitment() -> None:
    assert texts("- Call the supplier\n- Book the venue\nGo running daily") == [
        "Call the supplier",
        "Book the venue",
    ]


def test_lower_case_line_continues_a_long_plain_line() -> None:
    body = "Prepare the slides for the board meeting and share them with\nthe finance team"
    assert texts(body) == [
        "Prepare the slides for the board meeting and share them with the finance team"
    ]


def test_blank_line_ends_an_item() -> None:
    assert texts("Call the supplier\n\nbook the venue") == ["Call the supplier", "book the venue"]
    assert texts("- Call the supplier\n\nbook the venue") == ["Call the supplier"]


@pytest.mark.parametrize(
    "line",
    [
        "Hi",
        "Hello team,",
        "Hey pactmail",
        "Hi Anna,",
        "Dear Mr. Smith,",
        "Good morning all!",
        "Hallo zusammen,",
        "Bonjour,",
        "Hola equipo",
        "Thanks!",
        "Thank you",
        "Thanks in advance.",
        "Hope you're well.",
        "Danke!",
        "My commitments this week:",
        "This week I will:",
        "Work:",
        "Here are my commitments for this week",
        "My goals",
        "---",
        "...",
        "> quoted by the client",
    ],
)
def test_lines_that_are_not_commitments(line: str) -> None:
    assert texts(f"{line}\nCall the supplier") == ["Call the supplier"]


@pytest.mark.parametrize(
    "line",
    [
        "Morning run every day",
        "Thank the team by Friday",
        "Best practice review on Monday",
        "Hello World demo for the kids",
        "My plan is to run daily",
        "This week I will finish the report",
    ],
)
def test_lines_that_look_like_greetings_but_are_commitments(line: str) -> None:
    assert texts(line) == [line]


@pytest.mark.parametrize(
    "signature",
    [
        "-- \nAnna Keller\nHead of Ops",
        "--\nAnna",
        "Thanks,\nAnna",
        "Thanks, Anna",
        "Thank you!\n\nAnna Keller",
        "Best regards,\nAnna Keller\nHead of Ops\nAcme Inc.",
        "Cheers\nTom",
        "Best,\nA.",
        "Kind regards\n\nAnna Keller | Head of Ops | +41 44 555 12 12",
        "Viele Grüße\nAnna",
        "Cordialement,\nAnna",
        "Saludos,\nAnna",
        "Sent from my iPhone",
        "Get Outlook for iOS",
        "Von meinem iPhone gesendet",
        "\nAnna Keller\nHead of Ops\n+41 44 555 12 12\nanna@example.com",
        "\nAnna Keller\nMobile: +1 (555) 123-4567",
        "________________________________\nFrom: Someone\nSent: Monday",
        "-----Original Message-----\nFrom: Someone",
    ],
)
def test_signatures_are_not_commitments(signature: str) -> None:
    body = f"Finish the report by Friday\nCall the supplier by Dec 15\n{signature}\n"
    assert texts(body) == ["Finish the report by Friday", "Call the supplier by Dec 15"]


def test_lone_name_after_a_bulleted_list_is_dropped() -> None:
    assert texts("- Finish the report\n- Call the supplier\n\nAnna\n") == [
        "Finish the report",
        "Call the supplier",
    ]


def test_short_plain_lines_after_plain_lines_are_kept() -> None:
    # Without bullets or contact details, "Call Mom" cannot be told from a name.
    assert texts("Finish the report\n\nCall Mom") == ["Finish the report", "Call Mom"]


def signed(body: str, signer: str = "Anna Keller", addressees: tuple[str, ...] = ()) -> list[str]:
    """The commitment texts of a body sent by ``signer`` to invite ``addressees``."""
    drafts = extract_commitments(body, "", SENT, PARIS, signer=signer, addressees=addressees)
    return [draft.text for draft in drafts]


@pytest.mark.parametrize(
    "signature",
    ["Anna", "Anna Keller", "- Anna", "\u2013 Anna K.", "AK", "A.", "Anna\nHead of Ops\nAcme"],
)
def test_the_senders_name_signs_and_ends_the_commitments(signature: str) -> None:
    body = f"Finish the report by Friday\nCall the supplier\n\n{signature}\n"
    assert signed(body) == ["Finish the report by Friday", "Call the supplier"]


def test_without_a_display_name_the_address_gives_the_name() -> None:
    body = "Finish the report by Friday\n\nJo\n"
    assert signed(body, signer="jo.lee@example.com") == ["Finish the report by Friday"]
    assert signed(body, signer="") == ["Finish the report by Friday", "Jo"]


def test_each_sentence_of_a_paragraph_is_a_commitment() -> None:
    body = "Finish the report by Friday. Call the supplier by Dec 15. Is that too much?"
    drafts = extract_commitments(body, "", SENT, PARIS)
    assert [(d.text, d.due) for d in drafts] == [
        ("Finish the report by Friday.", date(2026, 11, 27)),
        ("Call the supplier by Dec 15.", date(2026, 12, 15)),
    ]


def test_a_list_item_is_one_commitment_without_its_question() -> None:
    body = "- Finish the report. Then send it to Bob. Too ambitious?\n- Call the supplier"
    assert texts(body) == ["Finish the report. Then send it to Bob.", "Call the supplier"]


def test_a_list_of_asides_alone_leaves_the_lines_their_commitments() -> None:
    body = "Finish the report\nCall the supplier\n\n- Pat, would you keep me honest?\n"
    assert texts(body) == ["Finish the report", "Call the supplier"]


def test_a_line_to_an_invited_partner_is_not_a_commitment() -> None:
    body = "Finish the report\nPat, I'm counting on you!\n"
    assert signed(body) == ["Finish the report", "Pat, I'm counting on you!"]
    assert signed(body, addressees=("Pat Lee",)) == ["Finish the report"]
    assert signed(body, addressees=("pat@example.org",)) == ["Finish the report"]


def test_a_greeting_in_front_of_a_commitment_is_left_out() -> None:
    assert texts("Hi Pat, I\u2019ll finish the report by Friday.") == [
        "I\u2019ll finish the report by Friday."
    ]


def test_line_with_a_date_is_not_taken_for_contact_details() -> None:
    assert texts("Finish the report\n\nShip by 2026-12-15") == [
        "Finish the report",
        "Ship by 2026-12-15",
    ]


def test_crlf_line_endings() -> None:
    assert texts("- Call the supplier\r\n- Book the venue\r\n") == [
        "Call the supplier",
        "Book the venue",
    ]


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Finish the report by Friday", "Finish the report by Friday"),
        ("Re: Finish the report by Friday", "Finish the report by Friday"),
        ("RE: Fwd: Finish the report by Friday", "Finish the report by Friday"),
        ("AW: WG: Finish the report by Friday", "Finish the report by Friday"),
        ("SV: Finish the report by Friday", "Finish the report by Friday"),
        ("Re[2]: Finish the report by Friday", "Finish the report by Friday"),
        ("[pactmail] Finish the report by Friday", "Finish the report by Friday"),
        ("  Finish   the report by Friday  ", "Finish the report by Friday"),
    ],
)
def test_subject_is_the_commitment_when_the_body_has_none(subject: str, expected: str) -> None:
    drafts = extract_commitments("Hi,\n\nThanks!\nAnna", subject, SENT, PARIS)
    assert [(d.text, d.due) for d in drafts] == [(expected, date(2026, 11, 27))]


@pytest.mark.parametrize(
    "subject",
    ["", "   ", "Re:", "Fwd: ", "My commitments", "Commitments", "My week", "Can you help?"],
)
def test_no_commitment_from_an_empty_or_generic_subject(subject: str) -> None:
    assert extract_commitments("", subject, SENT, PARIS) == []


def test_subject_is_ignored_when_the_body_has_commitments() -> None:
    assert texts("Call the supplier", subject="Finish the report") == ["Call the supplier"]


def test_body_that_is_only_a_signature_falls_back_to_the_subject() -> None:
    assert texts("-- \nAnna Keller", subject="Book the venue") == ["Book the venue"]


def test_at_most_fifty_commitments() -> None:
    body = "\n".join(f"- Task number {n}" for n in range(80))
    assert len(texts(body)) == MAX_COMMITMENTS == 50


def test_long_commitment_is_cut_at_five_hundred_characters() -> None:
    drafts = extract_commitments("Write " + "very " * 120 + "long text by Friday", "", SENT, PARIS)
    assert len(drafts[0].text) <= MAX_CHARS == 500
    assert drafts[0].due == date(2026, 11, 27)  # read from the whole line


def test_recurrence_is_carried_into_the_draft() -> None:
    [draft] = extract_commitments("- Review the numbers every Monday", "", SENT, PARIS)
    assert (draft.due, draft.recurrence, draft.recurrence_label) == (
        date(2026, 11, 30),
        "FREQ=WEEKLY;BYDAY=MO",
        "every Monday",
    )


def test_zone_edge_case() -> None:
    pacific = timezone(timedelta(hours=-8))
    sent = datetime(2026, 11, 27, 23, 30, tzinfo=pacific)
    [draft] = extract_commitments("Send the invoice by tomorrow", "", sent, pacific)
    assert draft.due == date(2026, 11, 28)
