"""``pactmail`` with DNS answered from a table: the inbound benchmark's entry point.

    python -m bench.serve --dns-table FILE [--log-level LEVEL] run|smtp|worker|migrate

The same command line, Service and worker as ``pactmail`` (workers/cli.py),
except that sender checks look DKIM keys and DMARC records up in FILE, never
in DNS. FILE is JSON, ``{"selector._domainkey.example.org": ["v=DKIM1; ..."]}``:
a name's TXT records, ``null`` for a look-up that fails. The benchmark writes
it; pactmail itself has no way to read one.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from mailer.trust.resolver import TableResolver
from workers import cli


def read_table(path: Path) -> TableResolver:
    table = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(table, dict):
        raise ValueError(f"{path}: not a JSON object")
    return TableResolver(
        {
            str(name): None if records is None else [str(r).encode("ascii") for r in records]
            for name, records in table.items()
        }
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench.serve",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--dns-table", type=Path, required=True, metavar="FILE")
    args, rest = parser.parse_known_args(argv)
    return cli.main(rest, resolver=read_table(args.dns_table))


if __name__ == "__main__":
    sys.exit(main())
