"""A private PostgreSQL cluster that a test may stop and start: never the machine's shared one.

Made with the Debian server's own initdb and pg_ctl, in a folder of its own
under /tmp (pytest's folders are private to root, and the server runs as the
``postgres`` user when the tests run as root), on a free loopback port.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from tests.support.processes import free_port


def server_binaries() -> Path | None:
    """The newest PostgreSQL server's bin folder, if the server is installed."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    return found[-1].parent if found else None


class PrivateCluster:
    """initdb, then start and stop at will; ``remove`` stops it and deletes everything."""

    def __init__(self, binaries: Path) -> None:
        self._binaries = binaries
        self._folder = Path(tempfile.mkdtemp(prefix="pm-pg-", dir="/tmp"))
        self._data = self._folder / "data"
        self._port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self._port}/postgres"
        self._as_postgres = os.geteuid() == 0  # the server refuses to run as root
        if self._as_postgres:
            user = pwd.getpwnam("postgres")
            os.chown(self._folder, user.pw_uid, user.pw_gid)

    def _run(self, program: str, *args: str) -> None:
        command = [str(self._binaries / program), *args]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    async def create(self) -> None:
        await asyncio.to_thread(
            self._run, "initdb", "-D", str(self._data), "-U", "postgres", "-A", "trust",
            "-E", "UTF8", "--no-sync", "--no-instructions",
        )  # fmt: skip
        await self.start()

    async def start(self) -> None:
        options = f"-p {self._port} -c listen_addresses=127.0.0.1 -k {self._folder} -c fsync=off"
        log = str(self._folder / "server.log")
        await asyncio.to_thread(
            self._run, "pg_ctl", "-D", str(self._data), "-l", log, "-o", options, "-w", "start"
        )

    async def stop(self) -> None:
        """As an operator stops it: fast shutdown, every session ended."""
        await asyncio.to_thread(
            self._run, "pg_ctl", "-D", str(self._data), "-m", "fast", "-w", "stop"
        )

    @asynccontextmanager
    async def stopped(self) -> AsyncIterator[None]:
        await self.stop()
        try:
            yield
        finally:
            await self.start()

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # not running
            self._run("pg_ctl", "-D", str(self._data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self._folder, ignore_errors=True)
