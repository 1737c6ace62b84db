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
