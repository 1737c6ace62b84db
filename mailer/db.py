"""Database connection and schema migrations (tortoise-orm)."""

from __future__ import annotations

from typing import Any

from tortoise import Tortoise
from tortoise.migrations.api import migrate

from mailer.settings import Settings

APP = "pactmail"


def tortoise_config(database_url: str) -> dict[str, Any]:
    """The tortoise configuration for one database URL."""
    return {
        "connections": {"default": database_url},
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
