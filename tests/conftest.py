"""Real parts for every test: a redis-server, a database on disk, SMTP over sockets.

Set PACTMAIL_TEST_DATABASE_URL=postgres://... to run the suite on PostgreSQL
(it uses that database's public schema and empties it first), and
PACTMAIL_TEST_REDIS_URL to use a running Redis instead of a fresh embedded one.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime
from ipaddress import ip_network
from pathlib import Path

import pytest

from mailer.db import close_database, migrate_database, open_database
from mailer.embedded_redis import EmbeddedRedis
from mailer.settings import RATE_LIMITS_OFF, Settings
from mailer.trust.resolver import TableResolver
from tests.support.capture import CaptureHandler, start_capture
from tests.support.database import empty_all_tables, reset_postgres_schema
from tests.support.smtpclient import BORDER_ID
from workers.service import Service
from workers.worker import utc_now

DOMAIN = "pactmail.localhost"


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    given = os.environ.get("PACTMAIL_TEST_REDIS_URL")
    if given:
        yield given
        return
    embedded = EmbeddedRedis(tmp_path_factory.mktemp("redis"))
    url = asyncio.run(embedded.start())
    yield url
    embedded.stop()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    given = os.environ.get("PACTMAIL_TEST_DATABASE_URL")
    url = given or f"sqlite://{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    if url.startswith("postgres"):
        asyncio.run(reset_postgres_schema(url))
    settings = base_settings(tmp_path_factory.mktemp("migrate"), url, "redis://unused")
    asyncio.run(migrate_database(settings))
    return url


def base_settings(data_dir: Path, database_url: str, redis_url: str) -> Settings:
    return Settings(
        domain=DOMAIN,
        listen_host="127.0.0.1",
        listen_port=0,
        relay=None,
        data_dir=data_dir,
        database_url=database_url,
        redis_url=redis_url,
        secret_key=b"test-secret-key-0123456789",
        # Each test its own queue: nothing leaks between tests through Redis.
        queue_name=f"pactmail-test-{uuid.uuid4().hex[:12]}",
        trusted_authserv_ids=frozenset({BORDER_ID}),
        # The test client plays the border MTA, from 127.0.0.1.
        trusted_relays=(ip_network("127.0.0.1/32"),),
        # Every test sends from 127.0.0.1; the rate-limit tests turn limits on.
        rate_limits=RATE_LIMITS_OFF,
    )


@pytest.fixture
def settings(tmp_path: Path, database_url: str, redis_url: str) -> Settings:
    return base_settings(tmp_path, database_url, redis_url)


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[None]:
    """An empty, migrated database, open for the test's own queries."""
    await open_database(settings)
    await empty_all_tables()
    yield
    await close_database()


@pytest.fixture
async def relay() -> AsyncIterator[tuple[CaptureHandler, int]]:
    handler = CaptureHandler()
    server, port = await start_capture(handler)
    yield handler, port
    server.close()
    await server.wait_closed()


TEST_INTAKE_LINGER = 0.02


@pytest.fixture
def dns() -> TableResolver:
    """The DNS the service's sender checks see: empty unless a test fills it."""
    return TableResolver()


@asynccontextmanager
async def running_service(
    settings: Settings,
    relay_port: int,
    resolver: TableResolver | None = None,
    clock: Callable[[], datetime] | None = None,
) -> AsyncIterator[Service]:
    """SMTP server and worker in this event loop, sending to the capture relay.

    Given a ``clock``, the service keeps its time (SMTP, processing, tokens)
    and runs no cron job: the test runs those itself, at the times it sets.
    """
    running = Service(
        replace(settings, relay=("127.0.0.1", relay_port)),
        migrate=False,
        clock=clock or utc_now,
        worker_options={"poll_delay": 0.01, "cron_jobs": clock is None},
        resolver=resolver or TableResolver(),
        # One message at a time: no burst to wait out (test_intake_priority
        # checks the gate itself).
        intake_linger=TEST_INTAKE_LINGER,
    )
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


@pytest.fixture
async def service(
    settings: Settings, db: None, relay: tuple[CaptureHandler, int], dns: TableResolver
) -> AsyncIterator[Service]:
    """SMTP server and worker in this event loop, sending to the capture relay."""
    async with running_service(settings, relay[1], dns) as running:
        yield running
