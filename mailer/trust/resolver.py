"""The DNS look-ups sender checks need: TXT records, behind one small interface.

The service uses dnspython's asynchronous resolver (DnsResolver). Tests and
offline benchmarks give it a table of answers instead (TableResolver), as an
object passed in code: no setting or environment variable selects one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

import dns.asyncresolver
import dns.exception
import dns.resolver

LOOKUP_SECONDS = 3.0


class DnsTemporaryError(Exception):
    """The answer could not be had now (timeout, SERVFAIL); it may come later."""


class TxtResolver(Protocol):
    async def txt(self, name: str) -> list[bytes]:
        """The TXT records at ``name``, each with its strings joined; [] when none exist.

        Raises DnsTemporaryError when the answer could not be had.
        """
        ...


class DnsResolver:
    """TXT look-ups through the system's resolvers, each bounded in time."""

    def __init__(self) -> None:
        self._resolver = dns.asyncresolver.Resolver()
        self._resolver.lifetime = LOOKUP_SECONDS

    async def txt(self, name: str) -> list[bytes]:
        try:
            answer = await self._resolver.resolve(name, "TXT")
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return []
        except (dns.exception.DNSException, OSError) as exc:
            raise DnsTemporaryError(f"{name}: {type(exc).__name__}") from exc
        return [b"".join(record.strings) for record in answer]


class TableResolver:
    """TXT answers from a table, never the network: for tests and offline benchmarks.

    Names missing from the table have no records; a name mapped to None fails
    as a timeout would. ``asked`` holds every name looked up.
    """

    def __init__(self, table: Mapping[str, Sequence[bytes] | None] | None = None) -> None:
        self.table: dict[str, Sequence[bytes] | None] = {
            name.lower().rstrip("."): records for name, records in (table or {}).items()
        }
        self.asked: set[str] = set()

    async def txt(self, name: str) -> list[bytes]:
        key = name.lower().rstrip(".")
        self.asked.add(key)
        records = self.table.get(key, [])
        if records is None:
            raise DnsTemporaryError(f"{key}: timed out (as the table says)")
        return list(records)
