"""`pactmail migrate` brings an older schema up to date, keeping its data."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from tortoise import Tortoise
from tortoise.migrations.api import migrate

from mailer.db import close_database, migrate_database, open_database, tortoise_config
from mailer.models import Commitment, Person
from mailer.settings import Settings


async def test_an_older_schema_is_brought_up_to_date(settings: Settings, tmp_path: Path) -> None:
    old = replace(settings, database_url=f"sqlite://{tmp_path / 'old.sqlite3'}")
    config = tortoise_config(old.database_url)
    await migrate(config=config, target="pactmail.0001_initial")
    connection = Tortoise.get_connection("default")
    await connection.execute_script(
        "INSERT INTO person (email, name, timezone, timezone_confirmed, created_at) "
        "VALUES ('old@example.com', '', '', 0, '2026-01-01 00:00:00+00:00');"
        "INSERT INTO commitment (member_id, number, text, state, created_at) "
        "VALUES (1, 7, 'an old promise', 'open', '2026-01-01 00:00:00+00:00');"
    )
    await Tortoise.close_connections()

    await migrate_database(old)  # what `pactmail migrate` and `pactmail run` do

    await open_database(old)
    try:
        person = await Person.get(email="old@example.com")
        assert person.commitment_count == 7
        assert await Commitment.filter(member=person).count() == 1
    finally:
        await close_database()
