"""Making real parts fail for a while, the way they fail in production."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlparse

import asyncpg


@asynccontextmanager
async def database_outage(url: str) -> AsyncIterator[None]:
    """While inside, the service's database refuses writes (SQLite) or connections (PostgreSQL)."""
    if url.startswith("sqlite"):
        async with _sqlite_locked(url.removeprefix("sqlite://")):
            yield
    else:
        async with _postgres_closed(url):
            yield


@asynccontextmanager
async def _sqlite_locked(path: str) -> AsyncIterator[None]:
    # Another process holding the write lock is what "database is locked" is.
    holder = sqlite3.connect(path, timeout=0, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@asynccontextmanager
async def _postgres_closed(url: str) -> AsyncIterator[None]:
    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin_url = parsed._replace(scheme="postgresql", path="/postgres").geturl()
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> pg_backend_pid()",
            name,
        )
        yield
    finally:
        await admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')
        await admin.close()
