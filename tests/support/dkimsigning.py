"""Checking pactmail's own DKIM signatures with dkimpy's verifier, DNS given as a table."""

from __future__ import annotations

import re
from collections.abc import Mapping

import dkim

_ZONE_LINE = re.compile(r'^(\S+)\. IN TXT ((?:"[^"]*" ?)+)$')


def printed_records(output: str) -> dict[str, str]:
    """The TXT records ``pactmail dkim-keygen`` printed: DNS name -> the value, strings joined."""
    records = {}
    for line in output.splitlines():
        found = _ZONE_LINE.match(line)
        if found:
            records[found.group(1)] = "".join(re.findall(r'"([^"]*)"', found.group(2)))
    return records


def verified(data: bytes, records: Mapping[str, str]) -> list[bool]:
    """Whether each DKIM-Signature of ``data``, top first, verifies against ``records``."""

    def dns(name: bytes, timeout: float = 5) -> bytes | None:
        record = records.get(name.decode().rstrip("."))
        return None if record is None else record.encode()

    count = len(re.findall(rb"^DKIM-Signature:", data.partition(b"\r\n\r\n")[0], re.MULTILINE))
    results = []
    for index in range(count):
        try:
            results.append(bool(dkim.DKIM(data).verify(idx=index, dnsfunc=dns)))
        except dkim.DKIMException:
            results.append(False)
    return results


def signature_tags(data: bytes) -> list[dict[bytes, bytes]]:
    """The tags of each DKIM-Signature, top first, whitespace removed."""
    headers = dkim.DKIM(data).headers
    return [
        {key: re.sub(rb"\s+", b"", value) for key, value in dkim.util.parse_tag_value(v).items()}
        for name, v in headers
        if name.lower() == b"dkim-signature"
    ]
