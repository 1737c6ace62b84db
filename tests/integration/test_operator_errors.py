"""A bad setting or a server down at start: one line naming the variable or server, exit 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mailer.settings import Settings
from tests.support.capture import CaptureHandler
from tests.support.cli import ROOT, cli_command, cli_env


def start(tmp_path: Path, **settings: str) -> subprocess.CompletedProcess[str]:
    """`pactmail run` with these settings and none of the machine's own."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PACTMAIL_")}
    env.update({"PACTMAIL_DATA_DIR": str(tmp_path / "var"), **settings, "PYTHONPATH": str(ROOT)})
    return subprocess.run(
        [sys.executable, "-m", "workers.cli", "run"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("setting", "value", "says"),
    [
        ("PACTMAIL_DATABASE_URL", "postgres://nobody:pw@127.0.0.1:1/x", "Connect call failed"),
        ("PACTMAIL_DATABASE_URL", "mysql://root@127.0.0.1/pactmail", "mysql:// is not supported"),
        ("PACTMAIL_REDIS_URL", "redis://127.0.0.1:1/0", "cannot reach Redis"),
        ("PACTMAIL_LISTEN", "127.0.0.1:99999", "port 99999 is not one"),
        ("PACTMAIL_DATA_DIR", "/proc/no/such/place", "cannot create /proc/no/such/place"),
        ("PACTMAIL_LOG_FORMAT", "xml", "must be text or json, not 'xml'"),
        ("PACTMAIL_METRICS_LISTEN", "0.0.0.0:99999", "port 99999 is not one"),
        # No keys made: the line names the file, and `pactmail dkim-keygen`.
        ("PACTMAIL_DKIM_SELECTOR", "pm2026", "var/dkim/pm2026-rsa.pem (No such file"),
    ],
)
def test_a_bad_setting_or_a_server_down_gives_one_line_and_exit_2(
    tmp_path: Path, setting: str, value: str, says: str
) -> None:
    ended = start(tmp_path, **{setting: value})
    assert ended.returncode == 2
    [line] = ended.stderr.strip().splitlines()
    assert line.startswith("pactmail: ")
    assert setting in line
    assert says in line
    assert ":pw@" not in line  # a password in a URL is never printed


def test_a_database_that_refuses_says_why(tmp_path: Path) -> None:
    ended = start(
        tmp_path, PACTMAIL_DATABASE_URL="postgres://postgres@127.0.0.1:5432/no_such_database"
    )
    assert ended.returncode == 2
    assert 'database "no_such_database" does not exist' in ended.stderr


async def test_digest_now_says_what_it_did_and_fails_for_a_partner_it_does_not_know(
    settings: Settings, relay: tuple[CaptureHandler, int], db: None
) -> None:
    env = cli_env(settings, relay[1])
    unknown = subprocess.run(
        cli_command("digest", "--now", "--partner", "nobody@example.org"),
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert unknown.returncode == 1
    assert "nobody@example.org partners no one" in unknown.stdout
    everyone = subprocess.run(
        cli_command("digest", "--now"),
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert everyone.returncode == 0
    assert everyone.stdout.strip() == "0 sent; 0 already sent this period; 0 paused or stopped"
