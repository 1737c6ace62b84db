"""`pactmail run` as a user starts it: no configuration, embedded Redis, outbox files."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from tests.integration.test_commit_flow import THREE_COMMITMENTS
from tests.support.smtpclient import message, send

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    async with asyncio.timeout(60):
        while True:
            assert process.poll() is None, "pactmail run exited"
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                await asyncio.sleep(0.1)
                continue
            writer.close()
            return


def command_env(port: int) -> dict[str, str]:
    """No configuration but the port (the default 2525 may be taken here)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PACTMAIL_")}
    return {**env, "PACTMAIL_LISTEN": f"127.0.0.1:{port}", "PYTHONPATH": str(ROOT)}


def start_run(tmp_path: Path, port: int) -> subprocess.Popen[bytes]:
    """`pactmail run` with no configuration but its port, in ``tmp_path``."""
    umask = os.umask(0o022)  # the usual one: the command must not count on ours
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "workers.cli", "--log-level", "WARNING", "run"],
            cwd=tmp_path,  # ./var is created here
            env=command_env(port),
        )
    finally:
        os.umask(umask)


def open_to_others(folder: Path) -> list[str]:
    """What under ``folder`` (itself included) anyone but its owner may read or enter."""
    return [
        f"{path.relative_to(folder.parent)} {stat.filemode(path.stat().st_mode)}"
        for path in [folder, *folder.rglob("*")]
        if path.stat().st_mode & 0o077
    ]


def written(outbox: Path) -> list[Path]:
    return sorted(outbox.glob("*.eml"))


async def outbox_email(outbox: Path, number: int) -> EmailMessage:
    """The ``number``th email written to the outbox (1 is the first), once it is there."""
    async with asyncio.timeout(5):  # the acceptance bound
        while len(emails := written(outbox)) < number:
            await asyncio.sleep(0.05)
    parsed = message_from_bytes(emails[number - 1].read_bytes(), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


async def test_run_with_no_configuration_asks_then_confirms_into_the_outbox(
    tmp_path: Path,
) -> None:
    port = free_port()
    process = start_run(tmp_path, port)
    var = tmp_path / "var"
    outbox = var / "outbox"
    try:
        await wait_for_port(port, process)
        started = time.monotonic()
        # As a new user tries it: no border in front, no DKIM signature, so
        # nothing is published before the address confirms (SPEC §7).
        data = message(body=THREE_COMMITMENTS)
        reply = await send(
            port, "anna@example.com", ["commit@pactmail.localhost"], data, border=None
        )
        assert reply.code == 250
        question = await outbox_email(outbox, 1)
        elapsed = time.monotonic() - started
        assert question["To"] == "anna@example.com"
        assert question["In-Reply-To"] == "<m1@example.com>"
        assert question["Subject"].startswith("Was this you?")
        confirm = question["Reply-To"]
        answer = message(to=confirm, subject="confirm", body="confirm\n", message_id="<ok@x>")
        assert (await send(port, "anna@example.com", [confirm], answer, border=None)).code == 250
        confirmation = await outbox_email(outbox, 2)
        # A second command beside it asks the service rather than write its SQLite file.
        asked = subprocess.run(
            [sys.executable, "-m", "workers.cli", "digest", "--now"],
            cwd=tmp_path, env=command_env(port), capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        listed = subprocess.run(
            [sys.executable, "-m", "workers.cli", "outbox"],
            cwd=tmp_path, env=command_env(port), capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        shown = subprocess.run(
            [sys.executable, "-m", "workers.cli", "outbox", "2"],
            cwd=tmp_path, env=command_env(port), capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        # While it runs: SQLite's -wal and -shm files, the embedded Redis's files.
        assert (var / "pactmail.sqlite3-wal").exists()
        running_files = {path.name for path in var.iterdir()}
        assert open_to_others(var) == []
    finally:
        process.send_signal(signal.SIGTERM)
        exit_code = process.wait(timeout=30)
    assert exit_code == 0
    assert elapsed < 5
    assert (asked.returncode, asked.stdout.strip()) == (
        0,
        "0 sent; 0 already sent this period; 0 paused or stopped (by the running service)",
    )
    # `pactmail outbox` lists both emails and decodes the second's text.
    assert listed.returncode == 0
    assert [line.split("  ")[-1] for line in listed.stdout.splitlines()] == [
        question["Subject"],
        confirmation["Subject"],
    ]
    assert shown.returncode == 0
    assert "To: anna@example.com" in shown.stdout
    assert "Your 3 commitments are published" in shown.stdout
    assert confirmation["To"] == "anna@example.com"
    assert confirmation["In-Reply-To"] == "<m1@example.com>"
    text = confirmation.get_body(("plain",))
    assert text is not None
    assert "Your 3 commitments are published" in text.get_content()
    [eml, _] = sorted(outbox.glob("*.eml"))
    assert (tmp_path / "var" / "pactmail.sqlite3").exists()
    assert (tmp_path / "var" / "secret_key").exists()
    assert not (tmp_path / "var" / "redis.url").exists()  # its Redis stopped with it
    # Mail, the secret key and the database are for the service's user alone.
    assert {"secret_key", "pactmail.sqlite3", "outbox", "redis"} <= running_files
    assert stat.S_IMODE(var.stat().st_mode) == 0o700
    assert stat.S_IMODE(eml.stat().st_mode) == 0o600
    assert open_to_others(var) == []
