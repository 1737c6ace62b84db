"""The DNS look-ups sender checks need: TXT records, behind one small interface.

Tests give the judge a table of answers instead (tests/support/dns.py); the
service uses dnspython's asynchronous resolver.
"""

from __future__ import annotations

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
