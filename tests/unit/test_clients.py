"""Who the client is behind a trusted border: its Received: line, as Postfix writes it."""

from __future__ import annotations

from ipaddress import ip_address, ip_network

import pytest

from mailer.clients import relayed_client

BORDER_TLS = (
    b"Received: from mail-wr1-f54.example.net (mail-wr1-f54.example.net [198.51.100.54])\r\n"
    b"\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)\r\n"
    b"\t key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256)\r\n"
    b"\t(No client certificate requested)\r\n"
    b"\tby mx.example (Postfix) with ESMTPS id 4Xk2Lq0Zs9z9rxL\r\n"
    b"\tfor <commit@pactmail.localhost>; Wed, 25 Nov 2026 09:30:01 +0100 (CET)\r\n"
)
# What the sender's side wrote: below the border's line, and never read.
SENDERS_OWN = (
    b"Received: from laptop (laptop [192.0.2.77])\r\n\tby smtp.example.net; Wed, 25 Nov 2026\r\n"
    b"Received: by mail-wr1-f54.example.net with SMTP id a1so; Wed, 25 Nov 2026\r\n"
)
REST = b"From: anna@example.com\r\nSubject: My week\r\n\r\nReceived: from x (x [192.0.2.99])\r\n"
FILTER = (  # a content filter on the border host hands the mail back to Postfix
    b"Received: from localhost (localhost [127.0.0.1])\r\n"
    b"\tby mx.example (Postfix) with ESMTP id 4Xk3; Wed, 25 Nov 2026 09:30:02 +0100 (CET)\r\n"
)
BORDER_HOST = [ip_network("127.0.0.1/32")]


@pytest.mark.parametrize(
    ("head", "client"),
    [
        (BORDER_TLS + SENDERS_OWN, "198.51.100.54"),
        (BORDER_TLS.replace(b"\r\n", b"\n") + SENDERS_OWN, "198.51.100.54"),
        # A milter's header above the border's Received: line.
        (b"Authentication-Results: mx.example; dkim=pass\r\n" + BORDER_TLS, "198.51.100.54"),
        # A trusted hop names the border: the line below it names the client.
        (FILTER + BORDER_TLS + SENDERS_OWN, "198.51.100.54"),
        # A literal HELO and no reverse name, over IPv6.
        (
            b"Received: from [IPv6:2001:db8::25] (unknown [IPv6:2001:db8::25])\r\n"
            b"\tby mx.example (Postfix) with ESMTP id 4Xk2; Wed, 25 Nov 2026 09:30:01 +0100\r\n",
            "2001:db8::25",
        ),
        (b"Received: from a (a [IPv6:::ffff:198.51.100.7])\r\n\tby mx\r\n", "198.51.100.7"),
        # The HELO is the client's to choose, brackets and spaces included.
        (
            b"Received: from x (decoy [192.0.2.1]) y (unknown [203.0.113.9])\r\n"
            b"\tby mx.example (Postfix) with SMTP id 4Xk2; Wed, 25 Nov 2026 09:30:01 +0100\r\n",
            "203.0.113.9",
        ),
    ],
)
def test_the_border_s_received_line_names_the_client(head: bytes, client: str) -> None:
    assert relayed_client(head + REST, BORDER_HOST) == ip_address(client)


@pytest.mark.parametrize(
    "head",
    [
        b"",  # no Received: line in the header at all (one in the body does not count)
        FILTER,  # only the border itself
        # Not Postfix's form: the client is not guessed from a line below it.
        b"Received: from a.example ([198.51.100.7] helo=a) by mx with esmtps\r\n" + SENDERS_OWN,
        b"Received: from a (a [198.51.100.999])\r\n\tby mx (Postfix)\r\n",
    ],
)
def test_no_client_is_named_without_a_readable_border_line(head: bytes) -> None:
    assert relayed_client(head + REST, BORDER_HOST) is None
