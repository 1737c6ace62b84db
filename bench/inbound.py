"""Inbound benchmark: pactmail against a bare aiosmtpd server, same run, same machine.

    .venv/bin/python -m bench.inbound [--messages 5000] [--clients 10]

Needs Postfix's smtp-source and smtp-sink (Debian package ``postfix``). It
starts ``pactmail run`` on a fresh SQLite data directory (embedded Redis,
outbound mail to an smtp-sink relay), sends the messages with smtp-source,
and prints: messages/s accepted, messages/s fully processed (confirmation
handed to the relay), the bare server's rate, the ratios, and how many
accepted messages have no confirmation (lost).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACTMAIL = ROOT / ".venv" / "bin" / "pactmail"


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


@contextmanager
def running(
    command: list[str], port: int, env: dict[str, str] | None = None, log: Path | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    output = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115
    process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        if log:
            output.close()  # type: ignore[union-attr]


def blast(port: int, messages: int, clients: int) -> float:
    """Send with smtp-source; returns the seconds it took."""
    start = time.perf_counter()
    subprocess.run(
        [
            tool("smtp-source"),
            "-s",
            str(clients),
            "-m",
            str(messages),
            "-l",
            "200",
            "-S",
            "My commitments",
            "-f",
            "member@example.com",
            "-t",
            "commit@pactmail.localhost",
            f"127.0.0.1:{port}",
        ],
        check=True,
    )
    return time.perf_counter() - start


def tool(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin")
    if found is None:
        sys.exit(f"{name} not found: apt-get install postfix")
    return found


def bare_rate(messages: int, clients: int) -> float:
    port = free_port()
    command = [sys.executable, "-m", "bench.bare_server", str(port)]
    with running(command, port):
        seconds = blast(port, messages, clients)
    return messages / seconds


def count(database: Path, query: str) -> int:
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)
    try:
        row = connection.execute(query).fetchone()
        return int(row[0])
    finally:
        connection.close()


def pactmail_rates(messages: int, clients: int, data_dir: Path) -> tuple[float, float, int]:
    """(accepted/s, processed/s, lost) for ``pactmail run`` on SQLite."""
    sink_port, port = free_port(), free_port()
    env = {
        **os.environ,
        "PACTMAIL_DATA_DIR": str(data_dir),
        "PACTMAIL_LISTEN": f"127.0.0.1:{port}",
        "PACTMAIL_RELAY": f"127.0.0.1:{sink_port}",
    }
    database = data_dir / "pactmail.sqlite3"
    sink = [tool("smtp-sink"), "-u", "root", f"127.0.0.1:{sink_port}", "1000"]
    with (
        running(sink, sink_port),
        running(
            [str(PACTMAIL), "--log-level", "WARNING", "run"], port, env, data_dir / "service.log"
        ),
    ):
        start = time.perf_counter()
        accepted_seconds = blast(port, messages, clients)
        while count(database, "SELECT count(*) FROM outbound_message WHERE status = 'sent'") < (
            messages
        ):
            if time.perf_counter() - start > 600:
                break
            time.sleep(0.05)
        processed_seconds = time.perf_counter() - start
    stored = count(database, "SELECT count(*) FROM inbound_message")
    confirmed = count(
        database,
        "SELECT count(DISTINCT inbound_id) FROM outbound_message WHERE status = 'sent'",
    )
    lost = messages - min(stored, confirmed)
    return messages / accepted_seconds, messages / processed_seconds, lost


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--clients", type=int, default=10)
    args = parser.parse_args()
    bare = bare_rate(args.messages, args.clients)
    with tempfile.TemporaryDirectory(prefix="pactmail-bench-") as data_dir:
        accepted, processed, lost = pactmail_rates(args.messages, args.clients, Path(data_dir))
    print(f"messages: {args.messages}, concurrent clients: {args.clients}")
    print(f"bare aiosmtpd:         {bare:8.1f} msg/s accepted")
    print(f"pactmail accepted:     {accepted:8.1f} msg/s  ({accepted / bare:.2f}x bare)")
    print(f"pactmail processed:    {processed:8.1f} msg/s  ({processed / bare:.2f}x bare)")
    print(f"lost (accepted, not confirmed): {lost}")


if __name__ == "__main__":
    main()
