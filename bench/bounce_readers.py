"""How many of the delivery-report corpus each reader gets right.

    .venv/bin/python -m bench.bounce_readers

Right means the same recipients with the same verdict (permanent, temporary,
not a failure) as the table in tests/unit/test_bounces.py, written from
reading each file; for an auto-reply, no recipient at all. Readers:

- the standard library alone (RFC 3464 delivery-status parts, our rule);
- flufl.bounce alone, as it classifies: its permanent set, and its
  temporary set, which holds delay warnings (counted as not a failure);
- flufl.bounce's addresses alone, verdicts ignored;
- flufl.bounce's addresses with our rule (mailer.parsing.bounces);
- the delivery-status parts, then flufl.bounce with our rule;
- all, as mailer.parsing.bounces.read_report combines them, with the two
  text readers (RFC 3464 fields written into a text part; "address: reply"
  entries).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from email import policy
from email.message import Message
from email.parser import BytesParser

from flufl.bounce import all_failures

from mailer.parsing.bounce_text import heuristic_recipients
from mailer.parsing.bounces import Kind, Verdict, read_report
from mailer.parsing.dsn import REPORT_PARTS, dsn_recipients
from tests.security.test_hostile_reports import entries_report, qmail_report
from tests.unit.test_bounces import AUTO_REPLIES, BOUNCES, EXPECTED

Found = set[tuple[str, Verdict | None]]


def _standard(raw: bytes) -> Found:
    return {(r.address, r.verdict) for r in dsn_recipients(_parse(raw))}


def _flufl(raw: bytes) -> Found:
    delayed, failed = all_failures(_parse(raw))
    return {(a.decode().lower(), Verdict.PERMANENT) for a in failed} | {
        (a.decode().lower(), Verdict.NOT_A_FAILURE) for a in delayed - failed
    }


def _flufl_addresses(raw: bytes) -> Found:
    return {(address, None) for address, _ in _flufl(raw)}


def _flufl_with_our_rule(raw: bytes) -> Found:
    return {(r.address, r.verdict) for r in heuristic_recipients(_parse(raw))}


def _parts_then_flufl(raw: bytes) -> Found:
    report = read_report(raw)
    if report.kind is Kind.AUTO_REPLY:
        return set()
    return _standard(raw) or _flufl_with_our_rule(raw) or {("(none)", None)}


def _combined(raw: bytes) -> Found:
    report = read_report(raw)
    if report.kind is Kind.AUTO_REPLY:
        return set()
    return {(r.address, r.verdict) for r in report.recipients} or {("(none)", None)}


def _has_status_part(raw: bytes) -> bool:
    return any(part.get_content_type() in REPORT_PARTS for part in _parse(raw).walk())


def _parse(raw: bytes) -> Message:
    return BytesParser(policy=policy.compat32).parsebytes(raw)


READERS: dict[str, Callable[[bytes], Found]] = {
    "standard library (RFC 3464)": _standard,
    "flufl.bounce alone": _flufl,
    "flufl.bounce, addresses only": _flufl_addresses,
    "flufl.bounce + our rule": _flufl_with_our_rule,
    "RFC 3464 parts, then flufl.bounce": _parts_then_flufl,
    "all (read_report, with text readers)": _combined,
}


def _expected(name: str, reader: str) -> Found:
    if name in AUTO_REPLIES:
        return set()
    if reader.endswith("addresses only"):
        return {(address, None) for address, _, _ in EXPECTED[name]}
    return {(address, verdict) for address, verdict, _ in EXPECTED[name]}


def main() -> None:
    files = {
        name: (BOUNCES / name).read_bytes() for name in sorted(EXPECTED) + sorted(AUTO_REPLIES)
    }
    standard = {n for n, raw in files.items() if _has_status_part(raw)}
    print(
        f"{len(EXPECTED)} delivery reports ({len(standard & set(EXPECTED))} with a "
        f"delivery-status part), {len(AUTO_REPLIES)} auto-replies\n"
    )
    print(f"{'reader':37} {'RFC 3464':>9} {'other':>6} {'auto-replies':>13} {'total':>6}")
    for label, reader in READERS.items():
        right = {name for name, raw in files.items() if reader(raw) == _expected(name, label)}
        print(
            f"{label:37} {len(right & standard):>5}/{len(standard):<3} "
            f"{len(right & (set(EXPECTED) - standard)):>2}/{len(set(EXPECTED) - standard):<3} "
            f"{len(right & set(AUTO_REPLIES)):>9}/{len(AUTO_REPLIES):<3} "
            f"{len(right):>2}/{len(files)}"
        )
        for name in sorted(set(files) - right):
            print(f"    wrong: {name}: {sorted(reader(files[name]), key=str)}")
    start = time.process_time()
    for raw in files.values():
        read_report(raw)
    per_report = (time.process_time() - start) / len(files) * 1000
    print(f"\nread_report: {per_report:.2f} ms CPU per report")
    # Reports written to cost us (tests/security/test_hostile_reports.py):
    # anyone who got one email holds a return path to send them to.
    for label, raw in (
        ("16,000 address: reply entries", entries_report(16_000)),
        ("24,000 entries (1 MB)", entries_report(24_000)),
        ("qmail, 8,000 addresses", qmail_report(8_000)),
    ):
        start = time.process_time()
        report = read_report(raw)
        took = time.process_time() - start
        print(
            f"hostile, {label}, {len(raw) // 1024} KB: {took:.2f} s CPU, "
            f"{len(report.recipients)} recipient(s) read"
        )


if __name__ == "__main__":
    main()
