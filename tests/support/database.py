"""Database set-up for tests."""

from __future__ import annotations

import asyncpg
from tortoise import Tortoise

# Children first, so foreign keys never object.
TABLES = [
    "verdict",
    "commitment_update",
    "coaching_note",
    "commitment",
    "partnership",
    "outbound_message",
    "inbound_message",
    "person",
]


async def reset_postgres_schema(url: str) -> None:
    connection = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        await connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await connection.close()


async def empty_all_tables() -> None:
    connection = Tortoise.get_connection("default")
    for table in TABLES:
        await connection.execute_script(f'DELETE FROM "{table}"')
