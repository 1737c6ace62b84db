"""The sender verdict of each inbound message: authenticated or not, and why (SPEC §7).

*Authenticated* means DMARC passed for the From: domain, or a DKIM signature
aligned with it verified (RFC 7489). A trusted border MTA's
Authentication-Results decide when it gave any (mailer/trust/authresults.py);
otherwise pactmail checks DKIM itself, looking keys and DMARC records up
through the resolver it is given (mailer/trust/dkimcheck.py).
"""

from __future__ import annotations

import asyncio
import email.utils
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from email import policy
from email.parser import HeaderParser

from mailer.clients import IPAddress, is_trusted
from mailer.settings import IPNetwork
from mailer.trust.authresults import border_finding
from mailer.trust.dkimcheck import Answers, Signature, names_to_look_up, signatures, verify_aligned
from mailer.trust.resolver import DnsTemporaryError, TxtResolver

# Header sections larger than this are not examined: nothing honest needs it.
MAX_HEADER_BYTES = 256 * 1024
DNS_BUDGET_SECONDS = 5.0
MAX_LOOKUPS_AT_ONCE = 20


@dataclass(frozen=True)
class SenderVerdict:
    authenticated: bool
    evidence: str  # what decided it, for the inbound row and an operator
    # A DNS look-up failed where an answer could have proven the sender:
    # the verdict may change if the message is judged again later.
    temporary: bool = False

    @property
    def label(self) -> str:
        return "authenticated" if self.authenticated else "unauthenticated"


@dataclass(frozen=True)
class _Examined:
    """What the headers alone tell: a verdict already, or the signatures to check."""

    verdict: SenderVerdict | None
    from_domain: str = ""
    sigs: tuple[Signature, ...] = ()


def _peer_ip(peer: str) -> IPAddress | None:
    """The IP of a stored ``ip:port`` peer.

    >>> _peer_ip("127.0.0.1:2525"), _peer_ip("::1:40000"), _peer_ip("unknown")
    (IPv4Address('127.0.0.1'), IPv6Address('::1'), None)
    """
    host = peer.rpartition(":")[0].strip("[]")
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _addresses(values: list[str]) -> list[tuple[str, str]]:
    # strict=True where this Python has it (CVE-2023-27043): crafted lists
    # must not pass for one address.
    if getattr(email.utils, "supports_strict_parsing", False):
        return email.utils.getaddresses(values, strict=True)
    return email.utils.getaddresses(values)


@dataclass(frozen=True)
class Delivery:
    """One stored message as the judge sees it."""

    raw: bytes
    author: str | None  # the From: address the flows act for, as the MIME reader read it
    peer: str  # "ip:port" of the client that handed it over


class SenderJudge:
    """Judges batches of raw messages; holds the settings and the resolver, nothing else."""

    def __init__(
        self,
        trusted_ids: frozenset[str],
        resolver: TxtResolver,
        relays: Sequence[IPNetwork] = (),
    ) -> None:
        self._trusted_ids = frozenset(i.lower() for i in trusted_ids)
        self._resolver = resolver
        self._relays = tuple(relays)

    async def judge_all(self, deliveries: Sequence[Delivery]) -> list[SenderVerdict]:
        """A verdict for each message, in order; a message that defeats the checks is unproven."""
        examined = await asyncio.to_thread(lambda: [self._examine_safely(d) for d in deliveries])
        needed = [
            name
            for item in examined
            if item.verdict is None
            for name in names_to_look_up(item.sigs, item.from_domain)
        ]
        answers = await self._look_up(list(dict.fromkeys(needed)))

        def decide(raw: bytes, item: _Examined) -> SenderVerdict:
            if item.verdict is not None:
                return item.verdict
            try:
                return SenderVerdict(*verify_aligned(raw, item.sigs, item.from_domain, answers))
            except Exception as exc:  # whatever a crafted message does, it proves nothing
                return SenderVerdict(False, f"dkim check failed: {type(exc).__name__}")

        return await asyncio.to_thread(
            lambda: [decide(d.raw, item) for d, item in zip(deliveries, examined, strict=True)]
        )

    def _examine_safely(self, delivery: Delivery) -> _Examined:
        try:
            return self._examine(delivery)
        except Exception as exc:  # RecursionError on nested comments, and the like
            return _Examined(SenderVerdict(False, f"unreadable headers: {type(exc).__name__}"))

    def _examine(self, delivery: Delivery) -> _Examined:
        if delivery.author is None or "@" not in delivery.author:
            # The flows could only answer the envelope sender, which nothing here proves.
            return _Examined(SenderVerdict(False, "no readable From: address"))
        raw = delivery.raw
        end = raw.find(b"\r\n\r\n")
        if end < 0:
            end = raw.find(b"\n\n")
        if end < 0 or end > MAX_HEADER_BYTES:
            return _Examined(SenderVerdict(False, "header section missing or too large"))
        # As UTF-8 (RFC 6532): internationalised addresses read as what they are.
        text = raw[: end + 4].decode("utf-8", "replace")
        headers = [
            (str(name), str(value))
            for name, value in HeaderParser(policy=policy.compat32).parsestr(text).items()
        ]
        authors = [value for name, value in headers if name.lower() == "from"]
        addresses = _addresses(authors)
        if len(authors) != 1 or len(addresses) != 1:
            return _Examined(SenderVerdict(False, "not exactly one From: address"))
        if addresses[0][1].strip().lower() != delivery.author.strip().lower():
            # What is checked must be what the flows act for: read two ways, it is neither.
            return _Examined(SenderVerdict(False, "the From: address reads two ways"))
        from_domain = delivery.author.rpartition("@")[2].strip().rstrip(".").lower()
        if self._trusted_ids and is_trusted(_peer_ip(delivery.peer), self._relays):
            finding = border_finding(headers, from_domain, self._trusted_ids)
            if finding.authenticated is not None:
                return _Examined(SenderVerdict(finding.authenticated, finding.evidence))
        return _Examined(None, from_domain, tuple(signatures(headers)))

    async def _look_up(self, names: list[str]) -> Answers:
        answers: dict[str, list[bytes] | None] = {}
        gate = asyncio.Semaphore(MAX_LOOKUPS_AT_ONCE)

        async def one(name: str) -> None:
            async with gate:
                try:
                    answers[name] = await self._resolver.txt(name)
                except DnsTemporaryError:
                    answers[name] = None

        try:
            async with asyncio.timeout(DNS_BUDGET_SECONDS):
                await asyncio.gather(*(one(name) for name in names))
        except TimeoutError:
            pass  # what did not answer in time counts as a failed look-up
        return {name: answers.get(name) for name in names}
