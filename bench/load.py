"""The inbound benchmark's load: DKIM-signed mail, built before the clock starts, and its senders.

Each client is one member, ``memberN@clientN.example``, whose domain signs
their mail with an RSA-2048 key made here by openssl (one key, published
under every member domain). Every message is distinct: its own Message-ID
and its own first commitment. ``send`` forks one process per client; each
sends its share in sequence, one SMTP session per message as
``smtp-source -s 1`` does, on a plain socket: no library between the bytes
and the server, so the clients take little of the CPU they share with it.
"""

from __future__ import annotations

import base64
import multiprocessing
import os
import socket
import subprocess
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from multiprocessing.synchronize import Barrier

import dkim

SELECTOR = "bench"
SIGNED_HEADERS = [b"from", b"to", b"subject", b"date", b"message-id"]
BODY = (
    "Hi,\r\n"
    "\r\n"
    "This week:\r\n"
    "Send report {number} to the team by Friday\r\n"
    "Call the bank tomorrow\r\n"
    "Run three times a week\r\n"
    "\r\n"
    "Thanks\r\n"
)


@dataclass(frozen=True)
class Share:
    """One client's messages, each ready to follow DATA (dot-stuffed, ending in CRLF)."""

    sender: str
    messages: list[bytes]


@dataclass(frozen=True)
class Load:
    recipient: str
    shares: list[Share]
    dns_table: dict[str, list[str]]  # TXT records by name, as bench/serve.py reads them

    @property
    def count(self) -> int:
        return sum(len(share.messages) for share in self.shares)


def rsa_key() -> tuple[bytes, str]:
    """A new RSA-2048 key: (PEM private key, the TXT record that publishes it)."""
    pem = subprocess.run(
        ["openssl", "genrsa", "2048"], check=True, capture_output=True, timeout=60
    ).stdout
    der = subprocess.run(
        ["openssl", "rsa", "-pubout", "-outform", "DER"],
        input=pem,
        check=True,
        capture_output=True,
        timeout=60,
    ).stdout
    return pem, "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode("ascii")


_private_key = b""


def _keep_key(pem: bytes) -> None:
    global _private_key
    _private_key = pem


def _sign(item: tuple[str, bytes]) -> bytes:
    domain, message = item
    signature = dkim.sign(
        message,
        SELECTOR.encode(),
        domain.encode(),
        _private_key,
        canonicalize=(b"relaxed", b"relaxed"),
        include_headers=SIGNED_HEADERS,
    )
    signed = bytes(signature) + message
    return signed.replace(b"\r\n.", b"\r\n..")


def build(messages: int, clients: int, recipient: str) -> Load:
    """``messages`` signed messages shared among ``clients`` members (signing uses every core)."""
    pem, record = rsa_key()
    counts = [messages // clients + (n < messages % clients) for n in range(clients)]
    run = uuid.uuid4().hex[:12]
    date = format_datetime(datetime.now(UTC))
    unsigned: list[tuple[str, bytes]] = []
    senders: list[str] = []
    for client, count in enumerate(counts):
        domain = f"client{client}.example"
        sender = f"member{client}@{domain}"
        senders.append(sender)
        for number in range(count):
            unsigned.append(
                (
                    domain,
                    (
                        f"From: Member {client} <{sender}>\r\n"
                        f"To: <{recipient}>\r\n"
                        "Subject: My commitments\r\n"
                        f"Date: {date}\r\n"
                        f"Message-ID: <{run}.{client}.{number}@{domain}>\r\n"
                        "\r\n" + BODY.format(number=number)
                    ).encode("ascii"),
                )
            )
    with multiprocessing.get_context("fork").Pool(
        os.cpu_count() or 1, initializer=_keep_key, initargs=(pem,)
    ) as pool:
        signed = pool.map(_sign, unsigned, chunksize=100)
    shares: list[Share] = []
    start = 0
    for sender, count in zip(senders, counts, strict=True):
        shares.append(Share(sender, signed[start : start + count]))
        start += count
    table: dict[str, list[str]] = {}
    for client in range(clients):
        domain = f"client{client}.example"
        table[f"{SELECTOR}._domainkey.{domain}"] = [record]
        table[f"_dmarc.{domain}"] = ["v=DMARC1; p=reject"]
    return Load(recipient, [share for share in shares if share.messages], table)


class Refused(Exception):
    pass


def _expect(connection: socket.socket, code: bytes) -> None:
    """Read one reply, all its lines; it must have ``code``."""
    reply = connection.recv(4096)
    while not _complete(reply):
        more = connection.recv(4096)
        if not more:
            raise Refused("connection closed")
        reply += more
    if not reply.startswith(code):
        raise Refused(reply.decode("ascii", "replace").strip())


def _complete(reply: bytes) -> bool:
    if not reply.endswith(b"\r\n"):
        return False
    before = reply.rfind(b"\r\n", 0, len(reply) - 2)
    last = before + 2 if before >= 0 else 0
    return reply[last + 3 : last + 4] == b" "


def _send_share(port: int, recipient: str, share: Share, ready: Barrier) -> None:
    session = [
        (b"EHLO load.localhost\r\n", b"250"),
        (f"MAIL FROM:<{share.sender}>\r\n".encode("ascii"), b"250"),
        (f"RCPT TO:<{recipient}>\r\n".encode("ascii"), b"250"),
        (b"DATA\r\n", b"354"),
        (b"", b"250"),  # the message
        (b"QUIT\r\n", b"221"),
    ]
    ready.wait()
    try:
        for data in share.messages:
            session[4] = (data + b".\r\n", b"250")
            with socket.create_connection(("127.0.0.1", port)) as connection:
                connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                _expect(connection, b"220")
                for command, code in session:
                    connection.sendall(command)
                    _expect(connection, code)
    except (OSError, Refused) as exc:
        print(f"client {share.sender}: {exc}", flush=True)
        os._exit(1)


def send(ports: Sequence[int], load: Load) -> tuple[float, float]:
    """Send the whole load at once; (start, end) on time.perf_counter's clock.

    Clients take the ``ports`` in turn (several SMTP processes, one port
    each). The clock starts when every client process is up and about to
    connect, and stops at the last reply.
    """
    context = multiprocessing.get_context("fork")
    ready = context.Barrier(len(load.shares) + 1)
    clients = [
        context.Process(
            target=_send_share, args=(ports[number % len(ports)], load.recipient, share, ready)
        )
        for number, share in enumerate(load.shares)
    ]
    for client in clients:
        client.start()
    ready.wait()
    start = time.perf_counter()
    for client in clients:
        client.join()
    end = time.perf_counter()
    failed = [c.exitcode for c in clients if c.exitcode != 0]
    if failed:
        raise SystemExit(f"{len(failed)} load client(s) failed")
    return start, end
