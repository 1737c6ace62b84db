"""DKIM keys in the data directory, and the DNS records that publish them.

One DNS name holds one key record, so the two keys have two selectors made
from PACTMAIL_DKIM_SELECTOR: ``<selector>-rsa`` and ``<selector>-ed25519``
(RFC 8463 §4 recommends signing with both while receivers learn Ed25519).
The files are the formats dkimpy's own tools write and read: the RSA key as
a PEM "RSA PRIVATE KEY", the Ed25519 key as the base64 of its 32-byte seed.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from mailer.private_files import create_once, write_private
from mailer.settings import SettingsError, private_directory

RSA_BITS = 2048
RSA_SUFFIX = "-rsa"
ED25519_SUFFIX = "-ed25519"
KEYS_FOLDER = "dkim"
# A TXT record's strings are at most 255 bytes each (RFC 1035 §3.3.14).
TXT_STRING = 255


class DkimKeyError(SettingsError):
    """A key named by PACTMAIL_DKIM_SELECTOR is missing or unusable."""


@dataclass(frozen=True)
class DkimKeys:
    """Both keys of one selector, parsed once."""

    selector: str
    rsa: rsa.RSAPrivateKey
    ed25519: ed25519.Ed25519PrivateKey

    @property
    def rsa_selector(self) -> str:
        return self.selector + RSA_SUFFIX

    @property
    def ed25519_selector(self) -> str:
        return self.selector + ED25519_SUFFIX

    def records(self, domain: str) -> list[tuple[str, str]]:
        """(DNS name, TXT value) of each key, RSA first."""
        rsa_public = self.rsa.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        ed_public = self.ed25519.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return [
            (
                f"{self.rsa_selector}._domainkey.{domain}",
                f"v=DKIM1; k=rsa; p={base64.b64encode(rsa_public).decode()}",
            ),
            (
                f"{self.ed25519_selector}._domainkey.{domain}",
                f"v=DKIM1; k=ed25519; p={base64.b64encode(ed_public).decode()}",
            ),
        ]


def key_paths(data_dir: Path, selector: str) -> tuple[Path, Path]:
    """Where the (RSA, Ed25519) keys of ``selector`` are kept."""
    folder = data_dir / KEYS_FOLDER
    return folder / f"{selector}{RSA_SUFFIX}.pem", folder / f"{selector}{ED25519_SUFFIX}.key"


def load_keys(data_dir: Path, selector: str) -> DkimKeys:
    """Both keys of ``selector``, or a DkimKeyError naming the file and the fix."""
    rsa_path, ed_path = key_paths(data_dir, selector)
    rsa_pem, ed_seed = _read(rsa_path, selector), _read(ed_path, selector).strip()
    try:
        rsa_key = serialization.load_pem_private_key(rsa_pem, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):  # damaged, or with a password
        raise _unusable(rsa_path, selector, "not a PEM private key without a password") from None
    if not isinstance(rsa_key, rsa.RSAPrivateKey) or rsa_key.key_size < RSA_BITS:
        raise _unusable(rsa_path, selector, f"not an RSA key of {RSA_BITS} bits or more")
    try:
        ed_key = ed25519.Ed25519PrivateKey.from_private_bytes(
            base64.b64decode(ed_seed, validate=True)
        )
    except (binascii.Error, ValueError):
        raise _unusable(ed_path, selector, "not the base64 of a 32-byte Ed25519 seed") from None
    return DkimKeys(selector, rsa_key, ed_key)


def _read(path: Path, selector: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise _unusable(path, selector, exc.strerror or type(exc).__name__) from None


def _unusable(path: Path, selector: str, why: str) -> DkimKeyError:
    return DkimKeyError(
        f"PACTMAIL_DKIM_SELECTOR={selector}: cannot use {path} ({why}); run "
        "`pactmail dkim-keygen` to make the keys, or unset PACTMAIL_DKIM_SELECTOR"
    )


def make_keys(data_dir: Path, selector: str, *, force: bool = False) -> list[Path]:
    """Write the keys of ``selector`` that are missing (all of them with ``force``).

    Returns the files written; a key already there is kept unless ``force``:
    its DNS record may be published, and replacing it breaks mail in flight.
    """
    private_directory(data_dir / KEYS_FOLDER)
    rsa_path, ed_path = key_paths(data_dir, selector)
    made = []
    for path, text in ((rsa_path, _new_rsa), (ed_path, _new_ed25519)):
        if force:
            write_private(path, text())
        elif not path.exists():
            create_once(path, text())
        else:
            continue
        made.append(path)
    return made


def _new_rsa() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()


def _new_ed25519() -> str:
    seed = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return base64.b64encode(seed).decode() + "\n"


def zone_line(name: str, value: str) -> str:
    """A TXT record as a zone file line, its value cut into strings of 255 bytes at most.

    >>> zone_line("s-rsa._domainkey.example.org", "v=DKIM1; k=rsa; p=" + "A" * 300)[:60]
    's-rsa._domainkey.example.org. IN TXT "v=DKIM1; k=rsa; p=AAAA'
    >>> zone_line("a.example", "x" * 300).count('" "')
    1
    """
    strings = [value[start : start + TXT_STRING] for start in range(0, len(value), TXT_STRING)]
    return f"{name}. IN TXT " + " ".join(f'"{part}"' for part in strings)
