"""`pactmail run` as its own process, as an operator starts it, with its console kept in a file."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.cli import ROOT
from tests.support.smtpclient import BORDER_ID

START_SECONDS = 60.0
STOP_SECONDS = 30.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class ServiceProcess:
    """A running `pactmail run`: its SMTP port, data directory and console (stderr)."""

    process: subprocess.Popen[bytes]
    port: int
    data_dir: Path
    console: Path
    env: dict[str, str]

    def lines(self) -> list[str]:
        return self.console.read_text(encoding="utf-8").splitlines()

    async def wait_for_line(self, found: Callable[[str], bool], timeout: float = 15.0) -> str:
        """The first console line for which ``found`` is true, once it is written."""
        async with asyncio.timeout(timeout):
            while True:
                for line in self.lines():
                    if found(line):
                        return line
                assert self.process.poll() is None, "pactmail run exited"
                await asyncio.sleep(0.05)


def service_env(tmp_path: Path, **settings: str) -> dict[str, str]:
    """The machine's environment without its PACTMAIL_* settings, and these instead.

    The test client plays the border MTA (tests/support/smtpclient.py), so its
    mail counts as authenticated, as genuine mail through a border would.
    """
    env = {key: value for key, value in os.environ.items() if not key.startswith("PACTMAIL_")}
    return {
        **env,
        "PYTHONPATH": str(ROOT),
        "PACTMAIL_DATA_DIR": str(tmp_path / "var"),
        "PACTMAIL_TRUSTED_AUTHSERV_ID": BORDER_ID,
        "PACTMAIL_TRUSTED_RELAYS": "127.0.0.1",
        **settings,
    }


@asynccontextmanager
async def pactmail_run(tmp_path: Path, **settings: str) -> AsyncIterator[ServiceProcess]:
    """`pactmail run` at the default log level, stopped with SIGTERM after the test."""
    port = free_port()
    env = service_env(tmp_path, PACTMAIL_LISTEN=f"127.0.0.1:{port}", **settings)
    console = tmp_path / "console.log"
    with console.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "workers.cli", "run"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    running = ServiceProcess(process, port, tmp_path / "var", console, env)
    try:
        await _wait_for_port(port, process)
        yield running
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def _wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    async with asyncio.timeout(START_SECONDS):
        while True:
            assert process.poll() is None, "pactmail run exited"
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                await asyncio.sleep(0.1)
                continue
            writer.close()
            await writer.wait_closed()
            return
