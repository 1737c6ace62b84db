"""Digest benchmark: many partners' digests built, rendered and handed to a local smtp-sink.

    .venv/bin/python -m bench.digests [--partners 10000] [--database-url postgres://...]

Needs Postfix's smtp-sink (Debian package ``postfix``). Seeds a fresh
database (a temporary SQLite file unless a URL is given, which is emptied):
``--partners`` partners, each actively partnering 1 to 3 members, each member
with 5 open commitments. Then, timed: every partner's digest is built
(mailer/digests.py) and sent over relay connections to smtp-sink, as send
jobs would (batches of 32, a few at once). Printed: digests/s, database
queries per digest (building, and sending), and the peak memory of this
process.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import tempfile
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from tortoise import Tortoise

from bench.inbound import free_port, running, tool
from mailer.db import close_database, migrate_database, open_database
from mailer.digests import send_due_digests
from mailer.models import Commitment, Partnership, Person
from mailer.queue import BATCH
from mailer.sending import send_batch
from mailer.settings import Settings

COMMITMENTS_PER_MEMBER = 5
SENDERS_AT_ONCE = 8


def count_queries(counter: Counter[str]) -> None:
    """Count every statement the default connection runs, by phase."""
    client: Any = Tortoise.get_connection("default")
    for name in ("execute_query", "execute_query_dict", "execute_insert", "execute_many"):
        original = getattr(client, name)

        async def counted(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
            counter["sending" if counter["phase"] else "building"] += 1
            return await _original(*args, **kwargs)

        setattr(client, name, counted)


async def seed(partners: int, commitments: int = COMMITMENTS_PER_MEMBER) -> None:
    long_ago = datetime(2026, 1, 1, tzinfo=UTC)
    members = [
        Person(email=f"member{n}@example.com", name=f"Member {n}", commitment_count=commitments)
        for n in range(partners)
    ]
    helpers = [
        Person(email=f"partner{n}@example.org", name=f"Partner {n}") for n in range(partners)
    ]
    await Person.bulk_create(members + helpers, batch_size=1000)
    ids = {person.email: person.id for person in await Person.all()}
    await Commitment.bulk_create(
        [
            Commitment(
                member_id=ids[f"member{n}@example.com"],
                number=k + 1,
                text=f"Commitment {k + 1} of member {n}, with a few words of detail",
                due_date=date(2026, 12, 1) + timedelta(days=k * 3),
            )
            for n in range(partners)
            for k in range(commitments)
        ],
        batch_size=1000,
    )
    await Partnership.bulk_create(
        [
            Partnership(
                member_id=ids[f"member{(n + offset) % partners}@example.com"],
                partner_id=ids[f"partner{n}@example.org"],
                state="active",
                relationship="peer",
                answered_at=long_ago,
            )
            for n in range(partners)
            for offset in range(1 + n % 3)
        ],
        batch_size=1000,
    )


async def measure(settings: Settings, partners: int, commitments: int) -> None:
    await migrate_database(settings)
    await open_database(settings)
    try:
        await seed(partners, commitments)
        counter: Counter[str] = Counter()
        count_queries(counter)
        now = datetime(2026, 11, 30, 9, tzinfo=UTC)
        start, cpu_start = time.perf_counter(), time.process_time()
        ids = await send_due_digests(settings, now)
        built, cpu_built = time.perf_counter(), time.process_time()
        counter["phase"] = 1
        gate = asyncio.Semaphore(SENDERS_AT_ONCE)

        async def send(chunk: list[int]) -> None:
            async with gate:
                await send_batch(chunk, settings, now, seconds=300)

        await asyncio.gather(*(send(ids[n : n + BATCH]) for n in range(0, len(ids), BATCH)))
        done, cpu_done = time.perf_counter(), time.process_time()
    finally:
        await close_database()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{len(ids)} digests for {partners} partners, 1-3 members each, "
        f"{commitments} commitments a member"
    )
    print(f"built and queued      {len(ids) / (built - start):8.0f} digests/s")
    print(f"built, rendered, sent {len(ids) / (done - start):8.0f} digests/s")
    # CPU time of this process: what other load on the machine changes least.
    print(
        f"CPU a digest: {(cpu_built - cpu_start) / len(ids) * 1000:.3f} ms to build, "
        f"{(cpu_done - cpu_built) / len(ids) * 1000:.3f} ms to render and send"
    )
    print(
        f"queries: {counter['building']} to build ({counter['building'] / len(ids):.3f} a digest), "
        f"{counter['sending']} to send ({counter['sending'] / len(ids):.2f} a digest)"
    )
    print(f"peak memory (this process): {peak_mb:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--partners", type=int, default=10_000)
    parser.add_argument(
        "--commitments", type=int, default=COMMITMENTS_PER_MEMBER, help="open ones a member has"
    )
    parser.add_argument("--database-url", help="postgres://... (emptied first)")
    args = parser.parse_args()
    sink = free_port()
    with (
        tempfile.TemporaryDirectory(prefix="pactmail-digests-") as data_dir,
        running([tool("smtp-sink"), "-u", "root", f"127.0.0.1:{sink}", "1000"], sink),
    ):
        database_url = args.database_url or f"sqlite://{Path(data_dir) / 'bench.sqlite3'}"
        settings = Settings.from_env(
            {
                "PACTMAIL_DATA_DIR": data_dir,
                "PACTMAIL_DATABASE_URL": database_url,
                "PACTMAIL_RELAY": f"127.0.0.1:{sink}",
                "PACTMAIL_SECRET_KEY": "bench-secret-key-0123456789",
            }
        )
        if args.database_url:
            asyncio.run(_empty(settings))
        asyncio.run(measure(settings, args.partners, args.commitments))


async def _empty(settings: Settings) -> None:
    await migrate_database(settings)
    await open_database(settings)
    try:
        connection = Tortoise.get_connection("default")
        await connection.execute_script(
            "TRUNCATE person, partnership, commitment, digest, outbound_message, "
            "inbound_message, verdict, commitment_update, coaching_note CASCADE"
        )
    finally:
        await close_database()


if __name__ == "__main__":
    main()
