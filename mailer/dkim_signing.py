"""DKIM signatures on outbound mail: RSA and Ed25519 (RFC 6376, RFC 8463), relaxed/relaxed.

dkimpy does the DKIM work (reading the header block, relaxed
canonicalization, choosing and hashing the signed header fields, the same
code its verifier runs); the signatures themselves are made by OpenSSL
through ``cryptography``. dkimpy's own ``sign()`` does RSA in pure Python:
7 ms of CPU an email with RSA-2048, against 0.6 ms here for both signatures
(bench/notes/issue-12-dkim-signing.md). Both signatures share one
canonicalization and one body hash.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, utils
from dkim import hash_headers, rfc822_parse
from dkim.canonicalization import Relaxed

from mailer.dkim_keys import DkimKeyError, DkimKeys, load_keys
from mailer.settings import Settings

# Every header pactmail writes that a reader or a mail system acts on.
# dkimpy signs them bottom-up, one instance per name listed: a name listed
# more often than it is present ("oversigned") signs an absent instance,
# so a From, To, Subject or Reply-To added on top breaks the signature
# instead of being shown. A name listed and absent (In-Reply-To on a new
# email, List-Unsubscribe outside digests) locks that absence the same way.
SIGNED_HEADERS: tuple[bytes, ...] = (
    b"from", b"from", b"to", b"to", b"subject", b"subject", b"reply-to", b"reply-to",
    b"date", b"message-id", b"in-reply-to", b"references", b"auto-submitted",
    b"list-unsubscribe", b"list-unsubscribe-post",
    b"mime-version", b"content-type", b"content-transfer-encoding",
)  # fmt: skip
HEADER_NAME = b"DKIM-Signature"
_FOLD = b"\r\n\t"
_LINE = 72


def _folded_names(names: tuple[bytes, ...]) -> bytes:
    """The h= value, folded between names (FWS is allowed around its colons)."""
    lines = [b""]
    for name in names:
        if len(lines[-1]) + len(name) > _LINE - 8:
            lines.append(b"")
        lines[-1] += name + b":"
    return _FOLD.join(lines).rstrip(b":")


_H_TAG = b"h=" + _folded_names(SIGNED_HEADERS)


@dataclass(frozen=True)
class DkimSigner:
    """Signs messages of ``domain`` with both keys of one selector."""

    domain: str
    keys: DkimKeys

    def sign(self, message: bytes, now: datetime) -> bytes:
        """``message`` with two DKIM-Signature headers on top: Ed25519, then RSA."""
        head, body = _split(message)
        headers = Relaxed.canonicalize_headers(rfc822_parse(head)[0])
        body_hash = base64.b64encode(hashlib.sha256(Relaxed.canonicalize_body(body)).digest())
        keys, when = self.keys, int(now.timestamp())
        ed25519 = self._header(b"ed25519-sha256", keys.ed25519_selector, when, body_hash)
        rsa = self._header(b"rsa-sha256", keys.rsa_selector, when, body_hash)
        return (
            ed25519 + self._signature(ed25519, headers, keys.ed25519.sign)
            + rsa + self._signature(rsa, headers, self._rsa)
            + message
        )  # fmt: skip

    def _header(self, algorithm: bytes, selector: str, when: int, body_hash: bytes) -> bytes:
        """The header up to its empty b= tag, folded as it is sent."""
        lines = (
            b" v=1; a=%s; c=relaxed/relaxed; d=%s;" % (algorithm, self.domain.encode()),
            b"s=%s; t=%d;" % (selector.encode(), when),
            _H_TAG + b";",
            b"bh=" + body_hash + b";",
            b"b=",
        )
        return HEADER_NAME + b":" + _FOLD.join(lines)

    @staticmethod
    def _signature(
        header: bytes, headers: list[tuple[bytes, bytes]], sign: Callable[[bytes], bytes]
    ) -> bytes:
        """The b= value that ends ``header``: what is hashed is what is sent, b= empty."""
        hasher = hashlib.sha256()
        value = header.removeprefix(HEADER_NAME + b":")
        hash_headers(hasher, Relaxed, headers, SIGNED_HEADERS, (HEADER_NAME, value), {})
        encoded = base64.b64encode(sign(hasher.digest()))
        lines = [encoded[at : at + _LINE] for at in range(0, len(encoded), _LINE)]
        return _FOLD.join(lines) + b"\r\n"

    def _rsa(self, digest: bytes) -> bytes:
        # RSASSA-PKCS1-v1_5 over the SHA-256 of the signed headers (RFC 6376 §3.3.1).
        return self.keys.rsa.sign(digest, padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))


def _split(message: bytes) -> tuple[bytes, bytes]:
    """The header block and the body, the body's line ends CRLF as a verifier reads them."""
    end = message.find(b"\r\n\r\n")
    if end < 0:
        return message, b""
    head, body = message[: end + 2], message[end + 4 :]
    if body.count(b"\n") != body.count(b"\r\n"):  # a bare LF: the relay's CRLF, as dkimpy reads it
        body = re.sub(rb"\r?\n", b"\r\n", body)
    return head, body


@cache
def _signer(data_dir: Path, domain: str, selector: str) -> DkimSigner:
    return DkimSigner(domain, load_keys(data_dir, selector))


def signer_for(settings: Settings) -> DkimSigner | None:
    """The signer of these settings, its keys read once per process; None: mail is not signed.

    Raises DkimKeyError (one line naming the file and the fix) when a key is
    missing or unusable. Keys replaced by ``dkim-keygen --force`` are read
    when the process starts again.
    """
    if not settings.dkim_selector:
        return None
    return _signer(settings.data_dir, settings.domain, settings.dkim_selector)


def signing_state(settings: Settings) -> tuple[str, str]:
    """How outbound mail is signed, in words, and the problem that needs an operator ("": none)."""
    try:
        signer = signer_for(settings)
    except DkimKeyError as exc:
        return "not signed: a key is missing", str(exc)
    if signer is None:
        return "unsigned (PACTMAIL_DKIM_SELECTOR is empty)", ""
    keys = signer.keys
    return (
        f"DKIM-signed for {signer.domain} with selectors {keys.rsa_selector} (rsa-sha256) "
        f"and {keys.ed25519_selector} (ed25519-sha256)",
        "",
    )
