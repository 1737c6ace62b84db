"""Every command's --help is written for an operator and lists every setting."""

from __future__ import annotations

import pytest

from mailer.settings import ENVIRONMENT
from workers.cli import COMMANDS, main


@pytest.mark.parametrize("command", [[], *([name] for name in COMMANDS)])
def test_help_says_what_the_command_does_and_lists_the_environment(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as ended:
        main([*command, "--help"])
    assert ended.value.code == 0
    shown = capsys.readouterr().out
    for name, _ in ENVIRONMENT:
        assert f"  {name} " in shown
    assert "exit status: 0 done" in shown
    if command:
        # Its own description, in full, not only the one-line summary.
        first_words = " ".join(COMMANDS[command[0]][1].split()[:6])
        assert first_words in " ".join(shown.split())
    assert max(len(line) for line in shown.splitlines() if not line.startswith("  PACTMAIL")) <= 80
