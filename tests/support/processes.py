"""The service as processes of its own, configured as an operator would, for fault tests."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys

from mailer.settings import Settings
from tests.support.cli import ROOT


def service_env(settings: Settings, relay_port: int, **extra: str) -> dict[str, str]:
    """The environment of a ``pactmail`` process sharing the test's database, Redis and queue."""
    listen = {"PACTMAIL_LISTEN": f"{settings.listen_host}:{settings.listen_port}"}
    return {
        **os.environ,
        **(listen if settings.listen_port else {}),  # port 0 is the tests' own, not a setting
        "PACTMAIL_DOMAIN": settings.domain,
        "PACTMAIL_DATA_DIR": str(settings.data_dir),
        "PACTMAIL_DATABASE_URL": settings.database_url,
        "PACTMAIL_REDIS_URL": settings.redis_url or "",
        "PACTMAIL_SECRET_KEY": settings.secret_key.decode(),
        "PACTMAIL_RELAY": f"127.0.0.1:{relay_port}",
        "PACTMAIL_QUEUE": settings.queue_name,
        "PACTMAIL_TRUSTED_AUTHSERV_ID": ",".join(settings.trusted_authserv_ids),
        "PACTMAIL_TRUSTED_RELAYS": ",".join(str(net) for net in settings.trusted_relays),
        "PACTMAIL_RATE_LIMITS": "off",
        **extra,
    }


def start_process(module: str, env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    """``python -m module --log-level WARNING args`` from the checkout's root."""
    return subprocess.Popen(
        [sys.executable, "-m", module, "--log-level", "WARNING", *args], env=env, cwd=ROOT
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def wait_listening(port: int, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """Wait until ``process`` accepts connections on ``port``."""
    async with asyncio.timeout(timeout):
        while True:
            assert process.poll() is None, f"exited with {process.returncode}"
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                await asyncio.sleep(0.05)
                continue
            writer.close()
            await writer.wait_closed()
            return


async def wait_while_running(
    event: asyncio.Event, process: subprocess.Popen[bytes], timeout: float = 30
) -> None:
    """Wait for ``event``; fail at once if ``process`` ends first."""
    async with asyncio.timeout(timeout):
        while not event.is_set():
            assert process.poll() is None, f"exited with {process.returncode}"
            await asyncio.sleep(0.02)


async def wait_exit(process: subprocess.Popen[bytes], timeout: float = 30) -> int:
    """The exit status of ``process``, once it has ended."""
    async with asyncio.timeout(timeout):
        while process.poll() is None:
            await asyncio.sleep(0.02)
    return process.returncode
