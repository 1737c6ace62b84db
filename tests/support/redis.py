"""A Redis of the kind an operator runs: on a unix socket, with a password."""

from __future__ import annotations

import asyncio
import subprocess
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from mailer.embedded_redis import redis_binary
from tests.support.processes import free_port


@asynccontextmanager
async def redis_on_socket(password: str) -> AsyncIterator[Path]:
    """A redis-server listening on a unix socket only; yields the socket's path.

    The socket lives in a short /tmp directory: pytest's own are too long for
    a socket's ~107-byte path.
    """
    with tempfile.TemporaryDirectory(prefix="pm-redis-", dir="/tmp") as folder:
        sock = Path(folder) / "redis.sock"
        quoted = password.replace("\\", "\\\\").replace('"', '\\"')
        options = ["--port", "0", "--unixsocket", str(sock), "--save", "", "--dir", folder]
        process = subprocess.Popen(
            [redis_binary(), "-", *options, "--logfile", str(Path(folder) / "log")],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            assert process.stdin is not None
            with process.stdin as stdin:
                stdin.write(f'requirepass "{quoted}"\n'.encode())
            client = Redis(unix_socket_path=str(sock), password=password)
            try:
                async with asyncio.timeout(10):
                    while True:
                        assert process.poll() is None, "redis-server exited"
                        try:
                            await client.ping()
                            break
                        except (OSError, RedisConnectionError):
                            await asyncio.sleep(0.05)
            finally:
                await client.aclose()
            yield sock
        finally:
            process.terminate()
            process.wait(timeout=10)


class RestartableRedis:
    """A private redis-server on a fixed loopback port that a test may kill and start again.

    It keeps nothing on disk, so each start is an empty Redis, as after a
    restart that lost its data. Never the machine's shared Redis.
    """

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._port = free_port()
        self._process: subprocess.Popen[bytes] | None = None
        self.url = f"redis://127.0.0.1:{self._port}/0"

    async def start(self) -> None:
        self._process = subprocess.Popen(
            [
                redis_binary(),
                *("--bind", "127.0.0.1", "--port", str(self._port), "--save", ""),
                *("--appendonly", "no", "--dir", str(self._folder)),
                *("--logfile", str(self._folder / "redis.log")),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = Redis.from_url(self.url)
        try:
            async with asyncio.timeout(10):
                while True:
                    assert self._process.poll() is None, "redis-server exited"
                    try:
                        await client.ping()
                        return
                    except (OSError, RedisConnectionError):
                        await asyncio.sleep(0.05)
        finally:
            await client.aclose()

    def kill(self) -> None:
        """kill -9: whatever it held is gone."""
        if self._process is not None:
            self._process.kill()
            self._process.wait(timeout=10)
            self._process = None
