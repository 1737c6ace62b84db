"""Reading member commands, and never reading our own emails as commands."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailer.parsing.mime import html_to_text
from mailer.parsing.updates import Action, Command, read_commands

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


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
    assert read_commands(f"Hi,\n{line}\nThanks") == [command]


@pytest.mark.parametrize(
    "line",
    ["I am done 2 times over", "drop by tomorrow", "move on", "2 things to do", "done"],
)
def test_ordinary_sentences_are_not_commands(line: str) -> None:
    assert read_commands(line) == []


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
    assert read_commands(text) == []


def test_our_own_results_quoted_back_are_not_commands() -> None:
    results = (
        "#1 is done: Finish the report\n"
        "#2 is now due 2026-12-20: Call the supplier\n"
        "#3 noted: first run\n"
        "You have no commitment numbered 9.\n"
        "We could not read a date for #2 in \u201csoonish\u201d.\n"
    )
    assert read_commands(results) == []


def test_end_partner_names_the_partner_by_address() -> None:
    [command] = read_commands("End partnership with <Cleo.Doe@example.net>.")
    assert (command.action, command.text) == (Action.END_PARTNER, "Cleo.Doe@example.net")
    assert read_commands("end partner soon") == []  # no address, no command
