"""Checking DKIM ourselves, for mail that no trusted border has judged (RFC 6376, RFC 7489).

DNS comes first, on the event loop (``names_to_look_up``); the checks then
run in a worker thread with the answers in hand (``verify_aligned``), so
nothing here blocks the loop or waits on the network from a thread.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import dkim
from dkim.util import InvalidTagValueList, parse_tag_value

from mailer.trust.domains import aligned, organisational_domain

MAX_SIGNATURES = 3  # more is unusual; each costs a DNS look-up and a verification
MIN_KEY_BITS = 1024

# dkimpy logs what it thinks of every broken signature; the verdict's
# evidence says it once, and the sender chooses what a signature holds.
_dkimpy_log = logging.getLogger("mailer.trust.dkimpy")
_dkimpy_log.setLevel(logging.CRITICAL)

# A TXT answer: the records, [] when there are none, None when the look-up failed.
Answers = Mapping[str, Sequence[bytes] | None]


@dataclass(frozen=True)
class Signature:
    domain: str  # d=
    selector: str  # s=
    index: int  # which DKIM-Signature header, from the top

    @property
    def key_name(self) -> str:
        return f"{self.selector}._domainkey.{self.domain}"


def signatures(headers: Sequence[tuple[str, str]]) -> list[Signature]:
    """The DKIM signatures of a message, top first, at most MAX_SIGNATURES.

    >>> signatures([("DKIM-Signature", "v=1; a=rsa-sha256; d=Example.com; s=sel; b=x")])
    [Signature(domain='example.com', selector='sel', index=0)]
    """
    found: list[Signature] = []
    index = 0
    for name, value in headers:
        if name.strip().lower() != "dkim-signature":
            continue
        try:
            tags = parse_tag_value(value.encode("utf-8", "surrogateescape"))
            domain = tags[b"d"].decode("ascii").strip().rstrip(".").lower()
            selector = tags[b"s"].decode("ascii").strip().lower()
        except (InvalidTagValueList, KeyError, UnicodeError):
            index += 1
            continue
        if domain and selector:
            found.append(Signature(domain, selector, index))
        index += 1
        if len(found) == MAX_SIGNATURES:
            break
    return found


def dmarc_names(from_domain: str) -> list[str]:
    """Where the DMARC record of an author domain may be: its own name, then its org domain."""
    names = [f"_dmarc.{from_domain}"]
    organisational = organisational_domain(from_domain)
    if organisational != from_domain:
        names.append(f"_dmarc.{organisational}")
    return names


def names_to_look_up(sigs: Sequence[Signature], from_domain: str) -> list[str]:
    """Every TXT name the check of these signatures needs: none without an aligned one.

    The DMARC record matters only for how strictly an aligned signature must
    align; a message with no such signature is not looked up at all.
    """
    keys = [sig.key_name for sig in sigs if aligned(sig.domain, from_domain)]
    return list(dict.fromkeys([*dmarc_names(from_domain), *keys])) if keys else []


def dmarc_record(from_domain: str, answers: Answers) -> dict[str, str] | None:
    """The DMARC record that governs the author domain, as tags, if it has one.

    >>> dmarc_record("a.example.com", {"_dmarc.a.example.com": [],
    ...     "_dmarc.example.com": [b"v=DMARC1; p=reject; adkim=s"]})
    {'v': 'DMARC1', 'p': 'reject', 'adkim': 's'}
    """
    for name in dmarc_names(from_domain):
        for record in answers.get(name) or ():
            text = record.decode("ascii", "replace")
            if text.replace(" ", "").lower().startswith("v=dmarc1"):
                tags = {}
                for part in text.split(";"):
                    key, _, value = part.partition("=")
                    if key.strip():
                        tags[key.strip().lower()] = value.strip()
                return tags
    return None


def verify_aligned(
    raw: bytes, sigs: Sequence[Signature], from_domain: str, answers: Answers
) -> tuple[bool, str, bool]:
    """Whether a signature aligned with the author domain verifies, what was found, and
    whether a failed look-up may have decided it (worth trying again later).

    Runs in a worker thread: RSA and Ed25519 verification is CPU work.
    """
    if not any(aligned(sig.domain, from_domain) for sig in sigs):
        signed_by = ", ".join(f"d={sig.domain}" for sig in sigs)
        return (
            False,
            f"no dkim signature of the From: domain (signed by {signed_by or 'nobody'})",
            False,
        )
    policy = dmarc_record(from_domain, answers)
    strict = policy is not None and policy.get("adkim", "r").lower() == "s"
    said: list[str] = [f"dmarc policy p={policy.get('p', '?')}" if policy else "no dmarc record"]
    temporary = False
    for sig in sigs:
        if not aligned(sig.domain, from_domain, strict=strict):
            said.append(f"dkim d={sig.domain} not aligned")
            continue
        answer = answers.get(sig.key_name)
        if answer is None:
            said.append(f"dkim=temperror d={sig.domain} (key look-up failed)")
            temporary = True
            continue
        if _verifies(raw, sig, answer):
            return True, "; ".join([f"dkim=pass d={sig.domain} aligned", *said]), False
        said.append(f"dkim=fail d={sig.domain}")
    return False, "; ".join(said), temporary


def _verifies(raw: bytes, sig: Signature, records: Sequence[bytes]) -> bool:
    def from_table(name: bytes, timeout: float = 5) -> bytes | None:
        return records[0] if records else None

    checker = dkim.DKIM(raw, logger=_dkimpy_log, minkey=MIN_KEY_BITS)
    try:
        return bool(checker.verify(idx=sig.index, dnsfunc=from_table))
    except Exception:  # dkimpy raises many kinds on hostile input: all mean "not verified"
        return False
