"""What the border MTA found, read from its Authentication-Results headers (RFC 8601).

Anyone can write an Authentication-Results header, and a forged one reads
exactly like a real one (RFC 8601 §5). Two rules make the border's own
count and nothing else:

- its authserv-id must be one the operator trusts (PACTMAIL_TRUSTED_AUTHSERV_ID);
- it must stand above the topmost ``Received:`` line. The border adds its
  ``Received:`` line on top of everything the sender wrote (and OpenDKIM,
  OpenDMARC and the like add their results above that), so a header below it
  may be the sender's own. A message with no ``Received:`` line at all came
  past no border, and none of its results count.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import authres

from mailer.trust.domains import aligned, ascii_domain

_WORD = re.compile(r"[^\s;=()]*[^\x00-\x7f][^\s;=()]*")


@dataclass(frozen=True)
class BorderFinding:
    """The border's word on a message: ``authenticated`` is None when it said nothing useful."""

    authenticated: bool | None
    evidence: str


def border_finding(
    headers: Iterable[tuple[str, str]], from_domain: str, trusted_ids: frozenset[str]
) -> BorderFinding:
    """Read the trusted results above the topmost Received: line.

    >>> ids = frozenset({"mx.example.org"})
    >>> border_finding([
    ...     ("Authentication-Results", "mx.example.org; dmarc=pass header.from=example.com"),
    ...     ("Received", "from a by mx.example.org"),
    ... ], "example.com", ids)
    BorderFinding(authenticated=True, evidence='border: dmarc=pass header.from=example.com')
    >>> border_finding([
    ...     ("Received", "from a by mx.example.org"),
    ...     ("Authentication-Results", "mx.example.org; dmarc=pass header.from=example.com"),
    ... ], "example.com", ids).authenticated is None
    True
    """
    results: list[authres.AuthenticationResult] = []
    for name, value in headers:
        field = name.strip().lower()
        if field == "received":
            break  # everything from here down may be the sender's own writing
        if field != "authentication-results":
            continue
        try:
            parsed = authres.AuthenticationResultsHeader.parse_value(_ascii_words(value))
        except Exception:  # noqa: S112 (authres raises several kinds on malformed input)
            continue
        if str(parsed.authserv_id).lower() in trusted_ids:
            results.extend(parsed.results)
    else:
        return BorderFinding(None, "no trusted border results: the message has no Received: line")
    if not results:
        return BorderFinding(None, "no Authentication-Results from a trusted border")
    finding = _judge(results, from_domain)
    return BorderFinding(finding.authenticated, f"border: {finding.evidence}")


def _judge(results: list[authres.AuthenticationResult], from_domain: str) -> BorderFinding:
    said: list[str] = []
    for result in results:
        method, outcome = str(result.method).lower(), str(result.result).lower()
        if method == "dmarc":
            header_from = _property(result, "header", "from")
            said.append(f"dmarc={outcome} header.from={header_from or '?'}")
            if ascii_domain(header_from) != ascii_domain(from_domain):
                continue  # a result about another author domain says nothing of this one
            if outcome != "pass":
                return BorderFinding(False, "; ".join(said))
            return BorderFinding(True, "; ".join(said))
    for result in results:
        method, outcome = str(result.method).lower(), str(result.result).lower()
        if method == "dkim":
            domain = _property(result, "header", "d") or _property(result, "header", "i")
            domain = domain.rpartition("@")[2]
            said.append(f"dkim={outcome} header.d={domain or '?'}")
            if outcome == "pass" and aligned(domain, from_domain):
                return BorderFinding(True, "; ".join(said))
    return BorderFinding(False, "; ".join(said) or "no dmarc or dkim result")


def _ascii_words(value: str) -> str:
    """The header value with internationalised names as A-labels, which authres can parse.

    >>> _ascii_words("mx.example; dmarc=pass header.from=exämple.de")
    'mx.example; dmarc=pass header.from=xn--exmple-cua.de'
    """
    if value.isascii():
        return value
    return _WORD.sub(lambda found: ascii_domain(found.group(0)), value)


def _property(result: authres.AuthenticationResult, kind: str, name: str) -> str:
    for prop in result.properties:
        if str(prop.type).lower() == kind and str(prop.name).lower() == name:
            return str(prop.value or "").strip()
    return ""
