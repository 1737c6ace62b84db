"""Database connection and schema migrations (tortoise-orm)."""

from __future__ import annotations

from typing import Any

import asyncpg
from tortoise import Tortoise
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.exceptions import OperationalError
from tortoise.migrations.api import migrate

from mailer.settings import Settings

APP = "pactmail"

# What the database, not the data, failed with: the work is to be tried again.
# Beside SQLite's "database is locked" and refused connections, PostgreSQL
# ending a session (shutdown, failover, pg_terminate_backend) reaches us as
# asyncpg's own classes: AdminShutdownError mid-query, then InterfaceError
# ("the underlying connection is closed") from the transaction's rollback.
DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (
    OperationalError,
    ConnectionError,
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.InterfaceError,
)


def tortoise_config(database_url: str) -> dict[str, Any]:
    """The tortoise configuration for one database URL."""
    return {
        "connections": {"default": _connection_config(database_url)},
        "apps": {
            APP: {
                "models": ["mailer.models"],
                "default_connection": "default",
                "migrations": "mailer.migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def _connection_config(database_url: str) -> dict[str, Any]:
    config: dict[str, Any] = expand_db_url(database_url)
    if config["engine"] == "tortoise.backends.asyncpg":
        credentials = config["credentials"]
        # asyncpg resets every connection it takes back into the pool: one more
        # round trip and server statement per query outside a transaction. We
        # use no session state (advisory locks, cursors, LISTEN, SET) for it to
        # clear; an open transaction is still rolled back by asyncpg itself.
        credentials.setdefault("reset", _keep_session)
        credentials.setdefault("maxsize", 10)
    return config


async def _keep_session(connection: object) -> None:
    """Return a connection to the pool as it is (see _connection_config)."""


# Read by `tortoise makemigrations` when the schema changes (see README).
TORTOISE_ORM = tortoise_config("sqlite://var/pactmail.sqlite3")


async def migrate_database(settings: Settings) -> None:
    """Bring the schema up to date; leaves no connection open."""
    try:
        await migrate(config=tortoise_config(settings.database_url))
    finally:
        # The migration API initialises models without their query executors:
        # close here so that open_database() starts from a clean state.
        await Tortoise.close_connections()


async def open_database(settings: Settings) -> None:
    """Connect to an already migrated database."""
    await Tortoise.init(config=tortoise_config(settings.database_url))


async def close_database() -> None:
    await Tortoise.close_connections()
