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
from collections.abc import Sequence
from dataclasses import dataclass
from email import policy
from email.parser import HeaderParser

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

    @property
    def label(self) -> str:
        return "authenticated" if self.authenticated else "unauthenticated"


@dataclass(frozen=True)
class _Examined:
    """What the headers alone tell: a verdict already, or the signatures to check."""

    verdict: SenderVerdict | None
    from_domain: str = ""
    sigs: tuple[Signature, ...] = ()


def _addresses(values: list[str]) -> list[tuple[str, str]]:
    # strict=True where this Python has it (CVE-2023-27043): crafted lists
    # must not pass for one address.
    if getattr(email.utils, "supports_strict_parsing", False):
        return email.utils.getaddresses(values, strict=True)
    return email.utils.getaddresses(values)


class SenderJudge:
    """Judges batches of raw messages; holds the settings and the resolver, nothing else."""

    def __init__(self, trusted_ids: frozenset[str], resolver: TxtResolver) -> None:
        self._trusted_ids = frozenset(i.lower() for i in trusted_ids)
        self._resolver = resolver

    async def judge_all(self, raws: Sequence[bytes]) -> list[SenderVerdict]:
        """A verdict for each raw message, in order."""
        examined = await asyncio.to_thread(lambda: [self._examine(raw) for raw in raws])
        needed = [
            name
            for item in examined
            if item.verdict is None
            for name in names_to_look_up(item.sigs, item.from_domain)
        ]
        answers = await self._look_up(list(dict.fromkeys(needed)))

        def decide() -> list[SenderVerdict]:
            return [
                item.verdict
                or SenderVerdict(*verify_aligned(raw, item.sigs, item.from_domain, answers))
                for raw, item in zip(raws, examined, strict=True)
            ]

        return await asyncio.to_thread(decide)

    def _examine(self, raw: bytes) -> _Examined:
        end = raw.find(b"\r\n\r\n")
        if end < 0:
            end = raw.find(b"\n\n")
        if end < 0 or end > MAX_HEADER_BYTES:
            return _Examined(SenderVerdict(False, "header section missing or too large"))
        try:
            # As UTF-8 (RFC 6532): internationalised addresses read as what they are.
            text = raw[: end + 4].decode("utf-8", "replace")
            parsed = HeaderParser(policy=policy.compat32).parsestr(text)
            headers = [(str(name), str(value)) for name, value in parsed.items()]
        except Exception:  # a header section the parser cannot read proves nothing
            return _Examined(SenderVerdict(False, "unreadable header section"))
        authors = [value for name, value in headers if name.lower() == "from"]
        addresses = _addresses(authors)
        if len(authors) != 1 or len(addresses) != 1 or "@" not in addresses[0][1]:
            return _Examined(SenderVerdict(False, "not exactly one From: address"))
        from_domain = addresses[0][1].rpartition("@")[2].strip().rstrip(".").lower()
        if self._trusted_ids:
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
