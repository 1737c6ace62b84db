"""DKIM keys made in the test, and mail signed with them (the DNS record goes in a table)."""

from __future__ import annotations

import base64
import subprocess
from dataclasses import dataclass

import dkim
import nacl.signing


@dataclass(frozen=True)
class DkimKey:
    algorithm: bytes  # b"rsa-sha256" or b"ed25519-sha256"
    private: bytes  # what dkim.sign takes
    record: bytes  # the TXT record to publish at selector._domainkey.domain

    def sign(self, data: bytes, domain: str, selector: str = "test") -> bytes:
        """The message with a DKIM-Signature of ``domain`` on top."""
        signature = dkim.sign(
            data,
            selector.encode(),
            domain.encode(),
            self.private,
            signature_algorithm=self.algorithm,
            include_headers=[b"from", b"to", b"subject", b"date", b"message-id"],
        )
        return bytes(signature) + data


def ed25519_key() -> DkimKey:
    signing = nacl.signing.SigningKey.generate()
    public = base64.b64encode(bytes(signing.verify_key))
    return DkimKey(
        b"ed25519-sha256",
        base64.b64encode(bytes(signing)),
        b"v=DKIM1; k=ed25519; p=" + public,
    )


def rsa_key() -> DkimKey:
    """An RSA-2048 key made by openssl (dkimpy reads PEM; nothing in Python makes one here)."""
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
    return DkimKey(b"rsa-sha256", pem, b"v=DKIM1; k=rsa; p=" + base64.b64encode(der))
