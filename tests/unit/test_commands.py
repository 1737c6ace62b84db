"""The command table: each row read, the help written from it, our own emails never commands."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailer.parsing.commands import ROWS, Action, Audience, Command, Row, help_rows, read
from mailer.parsing.mime import html_to_text

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def member_commands(text: str) -> list[Command]:
    return read(text, Audience.MEMBER).commands


@pytest.mark.parametrize(
    ("line", "command"),
    [
        ("done 2", Command(Action.DONE, 2)),
        ("Done #2.", Command(Action.DONE, 2)),
        ("2 is done", Command(Action.DONE, 2)),
        ("drop 3", Command(Action.DROP, 3)),
        ("- 4: draft sent to legal", Command(Action.NOTE, 4, "draft sent to legal")),
        ("move 5 to next Friday", Command(Action.MOVE, 5, "next Friday")),
    ],
)
def test_each_command_form_is_read(line: str, command: Command) -> None:
    reading = read(f"Hi,\n{line}\nThanks", Audience.MEMBER)
    assert [(c.action, c.number, c.text) for c in reading.commands] == [
        (command.action, command.number, command.text)
    ]
    assert reading.unread == ["Hi,", "Thanks"]


@pytest.mark.parametrize(
    "line",
    ["I am done 2 times over", "drop by tomorrow", "move on", "2 things to do", "done"],
)
def test_ordinary_sentences_are_not_commands(line: str) -> None:
    assert member_commands(line) == []


@pytest.mark.parametrize(
    "template",
    [
        "confirmation/body.txt",
        "confirmation/body.html",
        "updates_confirmed/body.txt",
        "updates_confirmed/body.html",
        "_usage.txt",
        "_usage.html",
    ],
)
def test_our_own_guidance_quoted_back_is_not_a_command(template: str) -> None:
    source = (TEMPLATES / template).read_text()
    text = html_to_text(source) if template.endswith(".html") else source
    assert member_commands(text) == []


def test_our_own_results_quoted_back_are_not_commands() -> None:
    results = (
        "#1 is done: Finish the report\n"
        "#2 is now due Sun 20 Dec: Call the supplier\n"
        "#3 noted: first run\n"
        "You have no commitment numbered 9.\n"
        "We could not read a date for #2 in \u201csoonish\u201d.\n"
    )
    assert member_commands(results) == []


def test_end_partner_names_the_partner_by_address() -> None:
    [command] = member_commands("End partnership with <Cleo.Doe@example.net>.")
    assert (command.action, command.text) == (Action.END_PARTNER, "Cleo.Doe@example.net")
    assert member_commands("end partner soon") == []  # no address, no command


@pytest.mark.parametrize("row", [row for row in ROWS if row.example], ids=lambda row: row.example)
def test_every_example_the_help_gives_is_read_as_its_command(row: Row) -> None:
    for audience in row.audiences:
        [command] = read(row.example, audience).commands
        assert command.action is row.action


def test_the_help_lists_each_audience_its_own_commands() -> None:
    member = dict(help_rows(Audience.MEMBER))
    partner = dict(help_rows(Audience.PARTNER))
    assert "done 2" in member
    assert "15 challenge: what worries you" in partner
    assert "done 2" not in partner
    assert "15 on track" not in member


def test_a_partners_challenge_runs_on_until_the_next_command() -> None:
    reading = read(
        "Great week!\n3 challenge: the venue\nis not booked\n\n12 on track\nweekly\nCarl",
        Audience.PARTNER,
    )
    assert [(c.action, c.number, c.text) for c in reading.commands] == [
        (Action.CHALLENGE, 3, "the venue\nis not booked"),
        (Action.ON_TRACK, 12, ""),
        (Action.CADENCE, 0, "weekly"),
    ]
    assert reading.unread == ["Great week!", "Carl"]
