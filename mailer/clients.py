"""Who the SMTP client is: the connecting IP, or the one a trusted border recorded.

Pure functions, no I/O: the SMTP handler calls them for every transaction.
The only header read is the border's own ``Received:`` line, found by a
bounded scan of the raw header bytes (the message itself is parsed later,
in the worker).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator, Sequence

from mailer.settings import IPNetwork

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# The border's Received: line sits near the top; no header block is larger.
MAX_HEADER_SCAN = 64 * 1024
# Postfix ends the first line of its Received: header with "(NAME [ADDR])":
# NAME is the verified reverse name or "unknown", ADDR is "IPv6:..." for
# IPv6. The HELO name before it is the client's choice and may hold spaces
# and brackets, so only the last parenthesis on the line is read.
_POSTFIX_CLIENT = re.compile(rb"\((\S+) \[(?:IPv6:)?([0-9A-Fa-f:.]+)\]\)\s*")
# An IPv6 client is one /64: a single host usually holds the whole of it.
IPV6_CLIENT_PREFIX = 64


def peer_ip(peer: object) -> IPAddress | None:
    """The IP of a socket peer as asyncio reports it; None for anything else.

    >>> peer_ip(("127.0.0.2", 40000))
    IPv4Address('127.0.0.2')
    >>> peer_ip(("::ffff:192.0.2.1", 25, 0, 0))
    IPv4Address('192.0.2.1')
    >>> peer_ip("/run/pactmail.sock") is None
    True
    """
    if not (isinstance(peer, tuple) and peer and isinstance(peer[0], str)):
        return None
    try:
        return _unmapped(ipaddress.ip_address(peer[0]))
    except ValueError:
        return None


def is_trusted(ip: IPAddress | None, relays: Sequence[IPNetwork]) -> bool:
    """Whether ``ip`` belongs to one of the trusted border MTAs.

    >>> from ipaddress import ip_address, ip_network
    >>> is_trusted(ip_address("10.0.0.7"), [ip_network("10.0.0.0/24")])
    True
    >>> is_trusted(ip_address("2001:db8::1"), [ip_network("10.0.0.0/24")])
    False
    """
    return ip is not None and any(ip in network for network in relays)


def client_key(ip: IPAddress) -> str:
    """What a client is counted by: its IPv4 address, or its IPv6 /64.

    >>> from ipaddress import ip_address
    >>> client_key(ip_address("198.51.100.7"))
    '198.51.100.7'
    >>> client_key(ip_address("2001:db8:1:2:aaaa::7"))
    '2001:db8:1:2::/64'
    """
    if isinstance(ip, ipaddress.IPv6Address):
        return str(ipaddress.ip_network(f"{ip}/{IPV6_CLIENT_PREFIX}", strict=False))
    return str(ip)


def relayed_client(content: bytes, relays: Sequence[IPNetwork]) -> IPAddress | None:
    """The client that the border recorded in its Received: line, as Postfix writes it.

    The topmost Received: header is the border's own; when it names another
    trusted relay (a second border, a content filter re-injecting mail), the
    next one down is read. None when no such line can be read.

    >>> head = b"Received: from a.example (a.example [198.51.100.7])\\r\\n\\tby mx (Postfix)\\r\\n"
    >>> relayed_client(head + b"\\r\\nbody", [])
    IPv4Address('198.51.100.7')
    >>> relayed_client(b"Subject: hi\\r\\n\\r\\nReceived: from x (x [192.0.2.1])\\r\\n", [])
    """
    for line in _received_first_lines(content):
        ip = _postfix_client(line)
        if not is_trusted(ip, relays):
            return ip
    return None


def _postfix_client(line: bytes) -> IPAddress | None:
    """The client address at the end of the first line of a Postfix Received: header.

    >>> _postfix_client(b" from mail.example (unknown [IPv6:2001:db8::25])")
    IPv6Address('2001:db8::25')
    >>> _postfix_client(b" from x (y [192.0.2.1]) evil (host.example [203.0.113.9])")
    IPv4Address('203.0.113.9')
    >>> _postfix_client(b" by mx.example (Postfix, from userid 0)") is None
    True
    """
    start = line.rfind(b"(")
    found = _POSTFIX_CLIENT.fullmatch(line, start) if start >= 0 else None
    if found is None or not line.lstrip().startswith(b"from "):
        return None
    try:
        return _unmapped(ipaddress.ip_address(found.group(2).decode("ascii")))
    except ValueError:
        return None


def _received_first_lines(content: bytes) -> Iterator[bytes]:
    """The first physical line (after the name) of each Received: header, top down."""
    for line in content[:MAX_HEADER_SCAN].split(b"\n"):
        line = line.removesuffix(b"\r")
        if not line:
            return  # the end of the header block
        if line[:9].lower() == b"received:":
            yield line[9:]


def _unmapped(ip: IPAddress) -> IPAddress:
    # A dual-stack listener reports IPv4 clients as ::ffff:a.b.c.d.
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip
