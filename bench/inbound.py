"""Inbound benchmark: pactmail against a bare aiosmtpd server, same run, same machine.

    .venv/bin/python -m bench.inbound [--messages 5000] [--clients 10]
        [--database-url postgres://... --redis-url redis://... [--workers 2]]

Needs Postfix's smtp-source and smtp-sink (Debian package ``postfix``).
``--clients`` smtp-source processes run at once, each one SMTP session at a
time from its own member address, against (1) a bare aiosmtpd server whose
handler only answers 250 and (2) pactmail, whose outbound relay is an
smtp-sink. Without URLs, pactmail is ``pactmail run`` on a fresh SQLite
data directory with its embedded Redis (one process). With them, it is the
scale-out shape: one ``pactmail smtp`` process and ``--workers`` worker
processes at a lower CPU priority, so that taking mail comes first.

Printed: messages/s accepted (until the last 250), messages/s fully
processed (until the last confirmation was handed to the relay), both as a
ratio of the bare server's rate, and the accepted messages with no sent
confirmation (lost).
"""

from __future__ import annotations

import argparse
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

ROOT = Path(__file__).resolve().parents[1]
PACTMAIL = str(ROOT / ".venv" / "bin" / "pactmail")
DOMAIN = "pactmail.localhost"


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
) -> Iterator[subprocess.Popen[bytes]]:
    with open(log or os.devnull, "wb") as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
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


def blast(port: int, messages: int, clients: int) -> float:
    """Send from ``clients`` members at once; returns the seconds until the last reply."""
    share = [messages // clients + (n < messages % clients) for n in range(clients)]
    start = time.perf_counter()
    senders = [
        subprocess.Popen(
            [
                tool("smtp-source"),
                "-s",
                "1",
                "-m",
                str(count),
                "-l",
                "200",
                "-S",
                "My commitments",
                "-f",
                f"member{number}@example.com",
                "-t",
                f"commit@{DOMAIN}",
                f"127.0.0.1:{port}",
            ]
        )
        for number, count in enumerate(share)
        if count
    ]
    if any(sender.wait() != 0 for sender in senders):
        sys.exit("smtp-source failed")
    return time.perf_counter() - start


def bare_rate(messages: int, clients: int) -> float:
    port = free_port()
    with running([sys.executable, "-m", "bench.bare_server", str(port)], port):
        return messages / blast(port, messages, clients)


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


def pactmail_rates(args: argparse.Namespace, data_dir: Path) -> tuple[float, float, int]:
    """(accepted/s, processed/s, lost)."""
    sink_port, port = free_port(), free_port()
    env = {
        **os.environ,
        "PACTMAIL_DATA_DIR": str(data_dir),
        "PACTMAIL_LISTEN": f"127.0.0.1:{port}",
        "PACTMAIL_RELAY": f"127.0.0.1:{sink_port}",
        # Every client here is 127.0.0.1: the limits would measure themselves.
        "PACTMAIL_RATE_LIMITS": "off",
    }
    if args.database_url:
        env["PACTMAIL_DATABASE_URL"] = args.database_url
        env["PACTMAIL_REDIS_URL"] = args.redis_url
        subprocess.run([PACTMAIL, "migrate"], env=env, check=True, capture_output=True)
    database_url = env.get("PACTMAIL_DATABASE_URL", f"sqlite://{data_dir / 'pactmail.sqlite3'}")
    quiet = [PACTMAIL, "--log-level", "WARNING"]
    with ExitStack() as stack:
        stack.enter_context(
            running([tool("smtp-sink"), "-u", "root", f"127.0.0.1:{sink_port}", "1000"], sink_port)
        )
        if args.database_url:
            stack.enter_context(running([*quiet, "smtp"], port, env, data_dir / "smtp.log"))
            for number in range(args.workers):
                stack.enter_context(
                    running(
                        ["nice", "-n", "19", *quiet, "worker"],
                        None,
                        env,
                        data_dir / f"worker{number}.log",
                    )
                )
        else:
            stack.enter_context(running([*quiet, "run"], port, env, data_dir / "run.log"))
        count = counter(database_url)
        start = time.perf_counter()
        accepted_seconds = blast(port, args.messages, args.clients)
        if args.database_url and args.workers == 0:  # the SMTP side alone
            return args.messages / accepted_seconds, 0.0, 0
        sent = "SELECT count(*) FROM outbound_message WHERE status = 'sent'"
        while count(sent) < args.messages and time.perf_counter() - start < 900:
            time.sleep(0.1)
        processed_seconds = time.perf_counter() - start
        confirmed = count(
            "SELECT count(DISTINCT inbound_id) FROM outbound_message WHERE status = 'sent'"
        )
    return (
        args.messages / accepted_seconds,
        args.messages / processed_seconds,
        args.messages - confirmed,
    )


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
    args = parser.parse_args()
    if bool(args.database_url) != bool(args.redis_url):
        parser.error("--database-url and --redis-url go together")
    bare = bare_rate(args.messages, args.clients)
    with tempfile.TemporaryDirectory(prefix="pactmail-bench-") as data_dir:
        accepted, processed, lost = pactmail_rates(args, Path(data_dir))
    shape = (
        f"smtp + {args.workers} worker process(es), PostgreSQL"
        if args.database_url
        else "pactmail run (one process), SQLite, embedded Redis"
    )
    print(f"{args.messages} messages from {args.clients} concurrent clients; {shape}")
    print(f"bare aiosmtpd          {bare:8.1f} msg/s accepted")
    print(f"pactmail accepted      {accepted:8.1f} msg/s   {accepted / bare:.2f}x bare")
    print(f"pactmail processed     {processed:8.1f} msg/s   {processed / bare:.2f}x bare")
    print(f"lost (accepted, no confirmation sent): {lost}")


if __name__ == "__main__":
    main()
