"""DNS for tests: a table of TXT answers, never the network (SPEC §7 checks)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from mailer.trust.resolver import DnsTemporaryError


class TableResolver:
    """Answers TXT look-ups from a table; names missing from it have no records.

    A name mapped to None fails as a timeout would.
    """

    def __init__(self, table: Mapping[str, Sequence[bytes] | None] | None = None) -> None:
        self.table: dict[str, Sequence[bytes] | None] = {
            name.lower().rstrip("."): records for name, records in (table or {}).items()
        }
        self.asked: list[str] = []

    async def txt(self, name: str) -> list[bytes]:
        key = name.lower().rstrip(".")
        self.asked.append(key)
        records = self.table.get(key, [])
        if records is None:
            raise DnsTemporaryError(f"{key}: timed out (as the test's table says)")
        return list(records)
