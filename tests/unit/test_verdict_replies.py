"""A partner's words around the prefilled verdict are the note; typed answers keep their lines."""

from __future__ import annotations

import pytest

from mailer.models import VerdictKind
from mailer.parsing.commands import Audience, read
from mailer.parsing.verdicts import read_link_reply, without_sign_off

CHALLENGE, ON_TRACK = VerdictKind.CHALLENGE, VerdictKind.ON_TRACK


@pytest.mark.parametrize(
    ("typed", "kind", "expected"),
    [
        ("challenge: ", CHALLENGE, (CHALLENGE, "")),
        ("challenge: the date slipped twice", CHALLENGE, (CHALLENGE, "the date slipped twice")),
        ("Above the line.\nchallenge: ", CHALLENGE, (CHALLENGE, "Above the line.")),
        ("challenge: \nBelow the line.", CHALLENGE, (CHALLENGE, "Below the line.")),
        ("Replaced it all.", CHALLENGE, (CHALLENGE, "Replaced it all.")),
        ("Above.\n\nchallenge: after\n\nBelow.", CHALLENGE,
         (CHALLENGE, "Above.\n\nafter\n\nBelow.")),
        ("on track", ON_TRACK, (ON_TRACK, "")),
        ("on track, but the date is tight", ON_TRACK, (ON_TRACK, "but the date is tight")),
        # The link names the verdict: words that sound like another do not change it.
        ("challenge: none really, looks fine", ON_TRACK, (ON_TRACK, "none really, looks fine")),
        # A later "challenge" in the note is part of the note.
        ("challenge: first\nchallenge accepted, he said", CHALLENGE,
         (CHALLENGE, "first\nchallenge accepted, he said")),
    ],
)  # fmt: skip
def test_a_link_reply_keeps_every_new_word(
    typed: str, kind: VerdictKind, expected: tuple[VerdictKind, str]
) -> None:
    assert read_link_reply(typed, "challenge", kind) == expected


def test_a_link_from_before_verdict_codes_takes_the_verdict_from_the_words_or_subject() -> None:
    assert read_link_reply("Who signs it off?", "Re: challenge", None) == (
        CHALLENGE,
        "Who signs it off?",
    )
    assert read_link_reply("on track: nice", "whatever", None) == (ON_TRACK, "nice")
    assert read_link_reply("Who signs it off?", "hello", None) is None


def test_a_typed_answer_runs_until_the_next_numbered_line() -> None:
    reading = read(
        "Thanks for the digest!\n"
        "3 challenge: the venue is not booked\n"
        "and the offsite is in two weeks\n"
        "\n"
        "12 on track\n"
        "Alice 15 challenge: why the delay?\n"
        "time zone Europe/Berlin\n"
        "daily\n",
        Audience.PARTNER,
    )
    assert [(c.who, c.number, c.action.value, c.text) for c in reading.commands] == [
        ("", 3, "challenge", "the venue is not booked\nand the offsite is in two weeks"),
        ("", 12, "on track", ""),
        ("Alice", 15, "challenge", "why the delay?"),
        ("", 0, "time zone", "Europe/Berlin"),
        ("", 0, "cadence", "daily"),
    ]
    assert reading.unread == ["Thanks for the digest!"]


@pytest.mark.parametrize(
    "line",
    ["#3: challenge why?", "- 3. challenge why?", "3) challenge why?", "Bob's #3 challenge why?"],
)
def test_numbered_lines_in_the_ways_people_write_them(line: str) -> None:
    [command] = read(line, Audience.PARTNER).commands
    assert (command.number, command.action.value, command.text) == (3, "challenge", "why?")


def test_a_sign_off_with_the_writers_name_is_not_part_of_the_note() -> None:
    names = frozenset({"carl", "carl diaz", "c"})
    assert without_sign_off("3 challenge: late\n\nCarl", names) == "3 challenge: late"
    assert without_sign_off("3 challenge: late\n-- C.", names) == "3 challenge: late"
    assert without_sign_off("3 challenge: ask Carl", names) == "3 challenge: ask Carl"
