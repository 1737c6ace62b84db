"""Hand-written SQL for the few hot statements where the ORM costs extra round trips.

Everything else goes through tortoise. These helpers take the values exactly as
tortoise would send them (each field's own ``to_db_value``), so a row written
here reads back through the models unchanged, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model


def placeholders(connection: BaseDBAsyncClient, count: int, first: int = 1) -> list[str]:
    """``count`` parameter markers in the connection's dialect, numbered from ``first``."""
    if connection.capabilities.dialect == "postgres":
        return [f"${number}" for number in range(first, first + count)]
    return ["?"] * count


def quoted(name: str) -> str:
    return f'"{name}"'


async def insert_returning_ids(connection: BaseDBAsyncClient, rows: Sequence[Model]) -> list[int]:
    """Insert unsaved model instances of one model in one statement; their new ids, in order.

    One round trip whatever the number of rows, and atomic on its own, with no
    BEGIN/COMMIT around it.
    """
    if not rows:
        return []
    meta = type(rows[0])._meta
    statement, values = _insert(connection, rows)
    statement += f" RETURNING {quoted(meta.db_pk_column)}"
    returned = await connection.execute_query_dict(statement, values)
    # Neither database promises RETURNING order, but one statement takes its
    # keys from the sequence in VALUES order: sorted keys are the rows' keys.
    ids = sorted(int(record[meta.db_pk_column]) for record in returned)
    for row, new_id in zip(rows, ids, strict=True):
        row.pk = new_id
        row._saved_in_db = True
    return ids


async def raise_counter(connection: BaseDBAsyncClient, row: Model, column: str, by: int) -> int:
    """Add ``by`` to an integer column of one row; its new value, in one round trip.

    The row stays locked until the transaction ends, so two messages of one
    member raising the same counter queue up instead of taking one number twice.
    """
    meta = type(row)._meta
    if column not in meta.fields_db_projection.values():
        raise ValueError(f"{meta.db_table} has no column {column}")
    amount, key = placeholders(connection, 2)
    [record] = await connection.execute_query_dict(
        # Names come from the model's own fields; the values are parameters.
        f"UPDATE {quoted(meta.db_table)} SET {quoted(column)} = {quoted(column)} + {amount} "  # noqa: S608
        f"WHERE {quoted(meta.db_pk_column)} = {key} RETURNING {quoted(column)}",
        [by, row.pk],
    )
    return int(record[column])


async def update_each(
    model: type[Model],
    columns: Sequence[str],
    updates: Sequence[tuple[int, Sequence[Any]]],
    *,
    connection: BaseDBAsyncClient | None = None,
) -> None:
    """Set ``columns`` of several rows, each to its own values, in one round trip.

    ``updates`` holds (primary key, values in the order of ``columns``).
    """
    if not updates:
        return
    meta = model._meta
    connection = connection or meta.db
    markers = placeholders(connection, len(columns) + 1)
    assignments = ", ".join(
        f"{quoted(meta.fields_db_projection[name])} = {marker}"
        for name, marker in zip(columns, markers, strict=False)
    )
    # Identifiers come from the model, values are all parameters.
    statement = (
        f"UPDATE {quoted(meta.db_table)} SET {assignments} "  # noqa: S608
        f"WHERE {quoted(meta.db_pk_column)} = {markers[-1]}"
    )
    fields = [meta.fields_map[name] for name in columns]
    await connection.execute_many(
        statement,
        [
            [field.to_db_value(value, model) for field, value in zip(fields, values, strict=True)]
            + [key]
            for key, values in updates
        ],
    )


async def update_each_if(
    connection: BaseDBAsyncClient,
    model: type[Model],
    columns: Sequence[str],
    updates: Sequence[tuple[int, Sequence[Any], Any]],
    *,
    guard: str,
    also: Mapping[str, Any] | None = None,
) -> set[int]:
    """Set ``columns`` of several rows, each to its own values, in one statement, but only
    where the row's ``guard`` column still holds the value read with it; the keys changed.

    ``updates`` holds (primary key, values in the order of ``columns``, the
    ``guard`` value read, never None); ``also`` adds conditions every row
    must meet. A compare-and-set for many rows: work that read them first
    does not undo what another transaction changed since.
    """
    if not updates:
        return set()
    meta = model._meta
    postgres = connection.capabilities.dialect == "postgres"
    parameters: list[Any] = []

    def marker(name: str, value: Any) -> str:
        field = meta.fields_map[name]
        parameters.append(field.to_db_value(value, model))
        if not postgres:
            return "?"
        # A parameter inside CASE has no column to take its type from.
        return f"${len(parameters)}::{field.get_for_dialect('postgres', 'SQL_TYPE')}"

    def key(value: int) -> str:
        parameters.append(value)
        return f"${len(parameters)}" if postgres else "?"

    pk = quoted(meta.db_pk_column)

    def case(name: str, values: Sequence[tuple[int, Any]]) -> str:
        whens = " ".join(f"WHEN {key(k)} THEN {marker(name, value)}" for k, value in values)
        return f"CASE {pk} {whens} END"

    # Markers are made in the order of the text: SQLite's "?" are positional.
    assignments = ", ".join(
        f"{quoted(meta.fields_db_projection[name])} = "
        + case(name, [(k, values[n]) for k, values, _ in updates])
        for n, name in enumerate(columns)
    )
    conditions = [f"{pk} IN ({', '.join(key(k) for k, _, _ in updates)})"]
    conditions += [
        f"{quoted(meta.fields_db_projection[name])} = {marker(name, value)}"
        for name, value in (also or {}).items()
    ]
    conditions.append(
        f"{quoted(meta.fields_db_projection[guard])} = "
        + case(guard, [(k, read) for k, _, read in updates])
    )
    # Identifiers come from the model, values are all parameters.
    statement = (
        f"UPDATE {quoted(meta.db_table)} SET {assignments} "  # noqa: S608
        f"WHERE {' AND '.join(conditions)} RETURNING {pk}"
    )
    returned = await connection.execute_query_dict(statement, parameters)
    return {int(record[meta.db_pk_column]) for record in returned}


async def update_row_if(
    model: type[Model], key: int, changes: Mapping[str, Any], expected: Mapping[str, Any]
) -> int:
    """Set ``changes`` on the row ``key`` if its columns hold ``expected``; rows changed (0/1).

    The ORM builds such a statement anew each time; on the send path, once
    per message, that is worth a hand-written one.
    """
    meta = model._meta
    connection = meta.db
    markers = placeholders(connection, len(changes) + len(expected) + 1)
    column = meta.fields_db_projection
    assignments = ", ".join(
        f"{quoted(column[name])} = {marker}" for name, marker in zip(changes, markers, strict=False)
    )
    # Markers in the order of the values (SQLite's "?" are positional).
    conditions = [
        f"{quoted(column[name])} = {marker}"
        for name, marker in zip(expected, markers[len(changes) :], strict=False)
    ]
    conditions.append(f"{quoted(meta.db_pk_column)} = {markers[-1]}")
    # Identifiers come from the model, values are all parameters.
    statement = (
        f"UPDATE {quoted(meta.db_table)} SET {assignments} "  # noqa: S608
        f"WHERE {' AND '.join(conditions)}"
    )
    parameters = [
        meta.fields_map[name].to_db_value(value, model)
        for name, value in [*changes.items(), *expected.items()]
    ]
    changed, _ = await connection.execute_query(statement, [*parameters, key])
    return changed


async def insert_new(
    connection: BaseDBAsyncClient, rows: Sequence[Model], unique: Sequence[str]
) -> dict[tuple[Any, ...], int]:
    """Insert the rows whose ``unique`` columns match no row yet, in one statement.

    Returns, for the rows this statement inserted only, their ``unique``
    values (as the database returns them) and new id: a row another
    transaction inserted first is not in it, which is how concurrent workers
    agree on who does the work.
    """
    if not rows:
        return {}
    meta = type(rows[0])._meta
    keys = [meta.fields_db_projection[name] for name in unique]
    key_list = ", ".join(quoted(key) for key in keys)
    statement, values = _insert(connection, rows)
    statement += (
        f" ON CONFLICT ({key_list}) DO NOTHING RETURNING {quoted(meta.db_pk_column)}, {key_list}"
    )
    returned = await connection.execute_query_dict(statement, values)
    return {
        tuple(record[key] for key in keys): int(record[meta.db_pk_column]) for record in returned
    }


def _insert(connection: BaseDBAsyncClient, rows: Sequence[Model]) -> tuple[str, list[Any]]:
    """A multi-row INSERT of unsaved instances of one model, and its parameters."""
    model = type(rows[0])
    meta = model._meta
    executor = connection.executor_class(model=model, db=connection)
    fields = list(executor.regular_columns)  # all but the generated key
    values: list[Any] = []
    groups: list[str] = []
    for row in rows:
        groups.append("(" + ", ".join(placeholders(connection, len(fields), len(values) + 1)) + ")")
        values.extend(meta.fields_map[name].to_db_value(getattr(row, name), row) for name in fields)
    columns = ", ".join(quoted(meta.fields_db_projection[name]) for name in fields)
    # Identifiers come from the model, values are all parameters.
    statement = f"INSERT INTO {quoted(meta.db_table)} ({columns}) VALUES {', '.join(groups)}"  # noqa: S608
    return statement, values
