"""`pactmail migrate` brings an older schema up to date, keeping its data."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from tortoise import Tortoise
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.exceptions import IntegrityError
from tortoise.migrations.api import migrate

from mailer.cron_runs import record_failure, record_success
from mailer.db import close_database, migrate_database, open_database, tortoise_config
from mailer.models import CoachingNote, Commitment, CommitmentUpdate, CronRun, Person
from mailer.settings import Settings


@pytest.fixture(autouse=True)
def _forget_sqlite_statements() -> Iterator[None]:
    """These tests open a SQLite file under the connection name the suite uses.

    Tortoise caches each table's statements by connection name, not dialect:
    left behind, SQLite's "?" markers would reach PostgreSQL in later tests.
    """
    yield
    EXECUTOR_CACHE.clear()


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


async def test_notes_kept_before_numbering_are_numbered_in_order_per_member(
    settings: Settings, tmp_path: Path
) -> None:
    old = replace(settings, database_url=f"sqlite://{tmp_path / 'old.sqlite3'}")
    await migrate(
        config=tortoise_config(old.database_url), target="pactmail.0007_coaching_note_actions"
    )
    connection = Tortoise.get_connection("default")
    when = "'2026-01-01 00:00:00+00:00'"
    note = (
        "INSERT INTO coaching_note (member_id, source_id, coach_name, coach_email, subject, "
        f"body, member_note, shared, created_at) VALUES (%d, 1, '', '', '%s', '', '', 0, {when});"
    )
    await connection.execute_script(
        f"INSERT INTO person (email, name, timezone, timezone_confirmed, created_at) "
        f"VALUES ('anna@example.com', '', '', 0, {when}), ('carl@example.com', '', '', 0, {when});"
        "INSERT INTO inbound_message (received_at, peer, mail_from, rcpt_tos, content, size, "
        f"status, reason, error, attempts) VALUES ({when}, '', 'a@x', '[]', x'00', 1, "
        "'processed', '', '', 0);"
        + note % (1, "first")
        + note % (2, "carls")
        + note % (1, "second")
    )
    await Tortoise.close_connections()

    await migrate_database(old)

    await open_database(old)
    try:
        numbered = await CoachingNote.all().order_by("id").values_list("member_id", "number")
        assert numbered == [(1, 1), (2, 1), (1, 2)]
        counts = await Person.all().order_by("id").values_list("email", "note_count")
        assert counts == [("anna@example.com", 2), ("carl@example.com", 1)]
    finally:
        await close_database()


async def test_updates_kept_before_occurrences_all_fit_the_one_outcome_per_occurrence_rule(
    settings: Settings, tmp_path: Path
) -> None:
    old = replace(settings, database_url=f"sqlite://{tmp_path / 'old.sqlite3'}")
    await migrate(config=tortoise_config(old.database_url), target="pactmail.0012_forgetting")
    connection = Tortoise.get_connection("default")
    when = "'2026-01-01 00:00:00+00:00'"
    update = (
        "INSERT INTO commitment_update (commitment_id, kind, note, created_at) "
        f"VALUES (1, '%s', '', {when});"
    )
    await connection.execute_script(
        "INSERT INTO person (email, name, timezone, timezone_confirmed, created_at) "
        f"VALUES ('anna@example.com', '', '', 0, {when});"
        "INSERT INTO commitment (member_id, number, text, recurrence, state, created_at) "
        f"VALUES (1, 1, 'every Monday', 'FREQ=WEEKLY;BYDAY=MO', 'open', {when});"
        + update % "done"
        + update % "done"
        + update % "note"
    )
    await Tortoise.close_connections()

    await migrate_database(old)

    await open_database(old)
    try:
        assert await CommitmentUpdate.filter(occurrence=None).count() == 3
        commitment = await Commitment.get()
        assert commitment.occurrence_start is None
        monday = date(2026, 1, 5)
        await CommitmentUpdate.create(commitment=commitment, kind="missed", occurrence=monday)
        with pytest.raises(IntegrityError):
            await CommitmentUpdate.create(commitment=commitment, kind="done", occurrence=monday)
    finally:
        await close_database()


async def test_cron_runs_start_empty_and_each_job_keeps_one_row(
    settings: Settings, tmp_path: Path
) -> None:
    old = replace(settings, database_url=f"sqlite://{tmp_path / 'old.sqlite3'}")
    await migrate(
        config=tortoise_config(old.database_url), target="pactmail.0014_recurring_occurrences"
    )
    await Tortoise.close_connections()

    await migrate_database(old)

    await open_database(old)
    try:
        assert await CronRun.all().count() == 0
        started = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
        every = timedelta(seconds=15)
        await record_success("sweep", every, started, "swept 0 inbound")
        await record_failure("sweep", every, started + every, "ConnectionError()")
        await record_success("sweep", every, started + 2 * every, "swept  2\ninbound")
        [run] = await CronRun.all()
        assert (run.name, run.interval_seconds, run.last_result) == ("sweep", 15, "swept 2 inbound")
        assert run.last_finished_at == started + 2 * every
        assert (run.last_failed_at, run.last_error) == (started + every, "ConnectionError()")
    finally:
        await close_database()
