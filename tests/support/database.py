"""Database set-up for tests."""

from __future__ import annotations

import asyncpg
from tortoise import Tortoise
from tortoise.models import Model


async def reset_postgres_schema(url: str) -> None:
    connection = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        await connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await connection.close()


def all_tables() -> list[str]:
    """Every table of the models, children before the tables they refer to."""
    models = list(Tortoise.apps["pactmail"].values())
    ordered: list[str] = []

    def visit(model: type[Model], seen: frozenset[str] = frozenset()) -> None:
        table = model._meta.db_table
        if table in ordered or table in seen:
            return
        for other in models:  # whatever refers to this one goes first
            targets = {other._meta.fields_map[name].related_model for name in other._meta.fk_fields}
            if model in targets and other is not model:
                visit(other, seen | {table})
        ordered.append(table)

    for model in models:
        visit(model)
    return ordered


async def empty_all_tables() -> None:
    connection = Tortoise.get_connection("default")
    for table in all_tables():
        await connection.execute_script(f'DELETE FROM "{table}"')
