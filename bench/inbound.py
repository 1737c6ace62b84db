"""Inbound benchmark: pactmail against a bare aiosmtpd server, same run, same load.

    .venv/bin/python -m bench.inbound [--messages 5000] [--clients 10]
        [--database-url postgres://... --redis-url redis://...
         [--smtp 1] [--workers 2] [--scale-out]]
        [--pactmail-root DIR]

The load (bench/load.py) is built before any clock starts, and the clock
starts once pactmail's processes are idle (startup is not throughput): ``--messages``
distinct messages to commit@, each DKIM-signed (RSA-2048) by its member's
domain, one member per client. ``--clients`` processes then send them at
once, each one SMTP session at a time, to (1) a bare aiosmtpd server whose
handler only answers 250 and (2) pactmail, whose outbound relay is Postfix's
smtp-sink (Debian package ``postfix``).

pactmail checks the signatures itself: it runs as ``python -m bench.serve``
(the same service as ``pactmail``) with the keys' TXT records in a table the
benchmark writes, so no look-up leaves the machine. Without URLs it is
``run`` on a fresh SQLite data directory with its embedded Redis (one
process); with them, the scale-out shape: ``--smtp`` SMTP processes (one
port each; the clients take them in turn) and ``--workers`` worker
processes at a lower CPU priority, so that taking mail comes first.
``--scale-out`` measures 1 + 1 and then 2 + 2 on the same load, the
database and Redis emptied before each, and prints the ratio.
``--pactmail-root`` measures another checkout (with its own .venv) under
the same load; one from before sender checks has no
bench/serve.py and runs its own ``pactmail``.

Printed: messages/s accepted (until the last 250), messages/s fully
processed (until the last confirmation was handed to the relay), both as a
ratio of the bare server's rate, and the accepted messages with no sent
confirmation (lost). pactmail confirms commitments only for a proven sender,
so no loss also means that every signature verified.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from bench.load import Load, build, send

ROOT = Path(__file__).resolve().parents[1]
DOMAIN = "pactmail.localhost"
SETTLE_SECONDS = 900
# The clock starts once pactmail's processes are idle: starting interpreters
# and pools is not throughput. Idle: under 20 ms of CPU in half a second.
IDLE_CPU_SECONDS = 0.02
IDLE_WINDOW_SECONDS = 0.5
STARTUP_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for_port(port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on port {port}")


def tool(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin")
    if found is None:
        sys.exit(f"{name} not found: apt-get install postfix")
    return found


@contextmanager
def running(
    command: list[str],
    port: int | None,
    env: dict[str, str] | None = None,
    log: Path | None = None,
    cwd: Path | None = None,
) -> Iterator[subprocess.Popen[bytes]]:
    with open(log or os.devnull, "wb") as output:
        process = subprocess.Popen(
            command, env=env, cwd=cwd, stdout=output, stderr=subprocess.STDOUT
        )
        try:
            if port is not None:
                wait_for_port(port)
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def tree_cpu_seconds(pids: set[int]) -> float:
    """CPU time so far of ``pids`` and all their descendants (Linux /proc)."""
    parents: dict[int, int] = {}
    used: dict[int, float] = {}
    ticks = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        parents[int(entry.name)] = int(fields[1])
        used[int(entry.name)] = (int(fields[11]) + int(fields[12])) / ticks
    total = 0.0
    for pid, seconds in used.items():
        ancestor = pid
        while ancestor > 1 and ancestor not in pids:
            ancestor = parents.get(ancestor, 0)
        if ancestor in pids:
            total += seconds
    return total


def wait_until_idle(processes: list[subprocess.Popen[bytes]]) -> None:
    """Wait until ``processes`` (and theirs) have started up, as far as CPU shows."""
    pids = {process.pid for process in processes}
    deadline = time.monotonic() + STARTUP_SECONDS
    used = tree_cpu_seconds(pids)
    while time.monotonic() < deadline:
        time.sleep(IDLE_WINDOW_SECONDS)
        before, used = used, tree_cpu_seconds(pids)
        if used - before < IDLE_CPU_SECONDS:
            return
    sys.exit(f"pactmail still busy {STARTUP_SECONDS} s after it started")


def bare_rate(load: Load) -> float:
    port = free_port()
    with running([sys.executable, "-m", "bench.bare_server", str(port)], port, cwd=ROOT):
        start, end = send([port], load)
    return load.count / (end - start)


def pactmail_command(root: Path, dns_table: Path) -> list[str]:
    """The command that starts ``root``'s pactmail: with the DNS table if it checks senders."""
    if (root / "bench" / "serve.py").exists():
        return [
            str(root / ".venv" / "bin" / "python"),
            "-m",
            "bench.serve",
            "--dns-table",
            str(dns_table),
        ]
    if (root / "mailer" / "trust").exists():
        sys.exit(f"{root} checks senders but has no bench/serve.py to read the benchmark's keys")
    return [str(root / ".venv" / "bin" / "pactmail")]


def counter(database_url: str) -> Callable[[str], int]:
    """Run a counting query against the service's database, read-only."""
    if database_url.startswith("sqlite://"):
        import sqlite3

        path = database_url.removeprefix("sqlite://")

        def count_sqlite(query: str) -> int:
            connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
            try:
                return int(connection.execute(query).fetchone()[0])
            finally:
                connection.close()

        return count_sqlite

    # One connection for the whole run: a psql process per poll would take
    # CPU from the service being measured.
    import asyncio

    import asyncpg

    loop = asyncio.new_event_loop()
    connection = loop.run_until_complete(asyncpg.connect(database_url))

    def count_postgres(query: str) -> int:
        return int(loop.run_until_complete(connection.fetchval(query)))

    return count_postgres


def pactmail_rates(
    args: argparse.Namespace, load: Load, data_dir: Path, smtp: int, workers: int
) -> tuple[float, float, int, str]:
    """(accepted/s, processed/s, lost, what became of the messages).

    With a database URL: ``smtp`` SMTP processes, one port each, and
    ``workers`` worker processes; without, one `pactmail run`.
    """
    sink_port = free_port()
    ports = [free_port() for _ in range(smtp)]
    port = ports[0]
    dns_table = data_dir / "dns-table.json"
    dns_table.write_text(json.dumps(load.dns_table), encoding="utf-8")
    env = {
        **os.environ,
        "PACTMAIL_DATA_DIR": str(data_dir / "var"),
        "PACTMAIL_LISTEN": f"127.0.0.1:{port}",
        "PACTMAIL_RELAY": f"127.0.0.1:{sink_port}",
        # Every client here is 127.0.0.1: the limits would measure themselves.
        "PACTMAIL_RATE_LIMITS": "off",
        # No border: pactmail verifies every signature itself.
        "PACTMAIL_TRUSTED_AUTHSERV_ID": "",
    }
    root = args.pactmail_root
    pactmail = pactmail_command(root, dns_table)
    if args.database_url:
        env["PACTMAIL_DATABASE_URL"] = args.database_url
        env["PACTMAIL_REDIS_URL"] = args.redis_url
        subprocess.run([*pactmail, "migrate"], env=env, cwd=root, check=True, capture_output=True)
    database_url = env.get(
        "PACTMAIL_DATABASE_URL", f"sqlite://{data_dir / 'var' / 'pactmail.sqlite3'}"
    )
    quiet = [*pactmail, "--log-level", "WARNING"]
    with ExitStack() as stack:
        stack.enter_context(
            running([tool("smtp-sink"), "-u", "root", f"127.0.0.1:{sink_port}", "1000"], sink_port)
        )
        started: list[subprocess.Popen[bytes]] = []
        if args.database_url:
            for number, smtp_port in enumerate(ports):
                started.append(
                    stack.enter_context(
                        running(
                            [*quiet, "smtp"],
                            smtp_port,
                            {**env, "PACTMAIL_LISTEN": f"127.0.0.1:{smtp_port}"},
                            data_dir / f"smtp{number}.log",
                            root,
                        )
                    )
                )
            for number in range(workers):
                started.append(
                    stack.enter_context(
                        running(
                            ["nice", "-n", "19", *quiet, "worker"],
                            None,
                            env,
                            data_dir / f"worker{number}.log",
                            root,
                        )
                    )
                )
        else:
            started.append(
                stack.enter_context(running([*quiet, "run"], port, env, data_dir / "run.log", root))
            )
        wait_until_idle(started)
        count = counter(database_url)
        start, accepted = send(ports, load)
        if args.database_url and workers == 0:  # the SMTP side alone
            return load.count / (accepted - start), 0.0, 0, ""
        confirmations = (
            "SELECT count(*) FROM outbound_message WHERE status = 'sent' "
            "AND template = 'confirmation'"
        )
        unsettled = (
            "SELECT (SELECT count(*) FROM inbound_message WHERE status = 'received') "
            "+ (SELECT count(*) FROM outbound_message WHERE status IN ('pending', 'data_sent'))"
        )
        while time.perf_counter() - start < SETTLE_SECONDS:
            if count(confirmations) >= load.count:
                break
            if count(unsettled) == 0:
                break  # all done, some without a confirmation
            time.sleep(0.1)
        processed = time.perf_counter()
        confirmed = count(
            "SELECT count(DISTINCT inbound_id) FROM outbound_message "
            "WHERE status = 'sent' AND template = 'confirmation'"
        )
        statuses = ", ".join(
            f"{status} {number}"
            for status in ("processed", "held", "limited", "duplicate", "ignored", "failed")
            if (number := count(f"SELECT count(*) FROM inbound_message WHERE status = '{status}'"))
        )
        if (root / "mailer" / "trust").exists():
            proven = count(
                "SELECT count(*) FROM inbound_message WHERE sender_auth = 'authenticated'"
            )
            statuses += f"; sender authenticated: {proven}"
    return (
        load.count / (accepted - start),
        load.count / (processed - start),
        load.count - confirmed,
        statuses,
    )


def revision(root: Path) -> str:
    found = subprocess.run(
        ["git", "-C", str(root), "log", "-1", "--format=%h %s"], capture_output=True, text=True
    )
    return found.stdout.strip()[:72] or str(root)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--database-url", help="postgres://... (emptied by the caller)")
    parser.add_argument("--redis-url", help="redis://... (with --database-url)")
    parser.add_argument(
        "--workers", type=int, default=2, help="0 measures taking mail alone (nothing processed)"
    )
    parser.add_argument("--smtp", type=int, default=1, help="SMTP processes, one port each")
    parser.add_argument(
        "--scale-out",
        action="store_true",
        help="1 smtp + 1 worker, then 2 + 2, in the same run: prints the ratio",
    )
    parser.add_argument(
        "--pactmail-root",
        type=Path,
        default=ROOT,
        metavar="DIR",
        help="the pactmail checkout to measure, with its .venv (default: this one)",
    )
    args = parser.parse_args()
    if bool(args.database_url) != bool(args.redis_url):
        parser.error("--database-url and --redis-url go together")
    if (args.scale_out or args.smtp != 1) and not args.database_url:
        parser.error("several processes need --database-url and --redis-url")
    args.pactmail_root = args.pactmail_root.resolve()
    signing = time.perf_counter()
    load = build(args.messages, args.clients, f"commit@{DOMAIN}")
    signing = time.perf_counter() - signing
    bare = bare_rate(load)
    print(f"pactmail at {revision(args.pactmail_root)}")
    print(
        f"{load.count} DKIM-signed messages (RSA-2048, signed in {signing:.0f} s) "
        f"from {len(load.shares)} concurrent clients"
    )
    print(f"bare aiosmtpd          {bare:8.1f} msg/s accepted")
    shapes = [(1, 1), (2, 2)] if args.scale_out else [(args.smtp, args.workers)]
    measured = []
    for smtp, workers in shapes:
        if args.database_url:
            empty_database(args.database_url, args.redis_url)
        with tempfile.TemporaryDirectory(prefix="pactmail-bench-") as data_dir:
            rates = pactmail_rates(args, load, Path(data_dir), smtp, workers)
        measured.append(rates)
        accepted, processed, lost, statuses = rates
        shape = (
            f"{smtp} smtp + {workers} worker process(es), PostgreSQL, Redis"
            if args.database_url
            else "pactmail run (one process), SQLite, embedded Redis"
        )
        print(f"-- {shape}")
        print(f"pactmail accepted      {accepted:8.1f} msg/s   {accepted / bare:.2f}x bare")
        if processed:
            print(f"pactmail processed     {processed:8.1f} msg/s   {processed / bare:.2f}x bare")
            print(f"inbound rows: {statuses}")
            print(f"lost (accepted, no confirmation sent): {lost}")
    if args.scale_out:
        (one_accepted, one_processed, _, _), (two_accepted, two_processed, _, _) = measured
        print(
            f"2 + 2 against 1 + 1: accepted {two_accepted / one_accepted:.2f}x, "
            f"processed {two_processed / one_processed:.2f}x "
            f"(on {os.cpu_count()} CPU cores, load clients included)"
        )


def empty_database(database_url: str, redis_url: str) -> None:
    """Each shape starts from an empty schema and an empty Redis database."""
    import asyncio

    import asyncpg
    import redis

    async def drop() -> None:
        connection = await asyncpg.connect(database_url)
        try:
            await connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        finally:
            await connection.close()

    asyncio.run(drop())
    client = redis.Redis.from_url(redis_url)
    try:
        client.flushdb()
    finally:
        client.close()


if __name__ == "__main__":
    main()
