"""Signed reply tokens: purpose, ids and expiry, verified without any I/O.

A token travels in a local part (``reply+TOKEN@D``), where mail systems may
change its case, so it is made only of lowercase letters, digits and dashes
and is verified after lowercasing.

It carries two MACs. The first signs what the token is for; the SMTP server
checks it at RCPT, before anything is stored. The second also signs the
address the token was sent to: only that mailbox received it, so a reply
from that address with that token is proof enough of who wrote it (SPEC §7),
while the same token used from any other address proves nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Protocol

_TOKEN_TEXT = re.compile(r"[a-z](?:-[0-9a-z]+){3,}")
_MAC_BYTES = 10  # 80 bits: forging one by guessing is out of reach
_BINDING_BYTES = 8  # 64 bits, and the first MAC must hold as well
_LEGACY_MAC_LENGTH = 16  # base32 of _MAC_BYTES: what ends a token that has no binding
_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
DEFAULT_LIFETIME = timedelta(days=90)


class Purpose(StrEnum):
    """What a reply to the token's address is for; the value is its code."""

    MEMBER = "m"  # a member answering a service email: updates, commands
    BOUNCE = "b"  # the return path of an outbound message (VERP)
    INVITE = "i"  # an invited partner answering: ids (partnership,)
    DIGEST = "d"  # a partner replying to a digest: ids (digest,)
    # A partner's one-click verdict: ids (partner, commitment, verdict code);
    # tokens sent before the code was added carry the first two only.
    VERDICT = "v"
    CHALLENGE = "c"  # the member writing in a challenge's thread: ids (verdict,)
    THREAD = "t"  # the partner writing on in a challenge's thread: ids (verdict,)
    NOTE = "n"  # a member answering about a coaching note: ids (note,)
    CONFIRM = "k"  # an owner confirming a reply sent from another address: ids (inbound,)
    # A List-Unsubscribe address (unsubscribe+TOKEN@D): ids (person, kind code,
    # mailer/emails/kinds.py STOP_CODES). Its own purpose, so no token made
    # for anything else ever reads as one, and its kind is signed in it.
    UNSUBSCRIBE = "u"


class TokenError(ValueError):
    """A token that must be refused; the subclass says why."""


class MalformedToken(TokenError):
    pass


class ForgedToken(TokenError):
    pass


class ExpiredToken(TokenError):
    """Authentic but too old; the sender is told, not refused silently."""

    def __init__(self, token: Token) -> None:
        super().__init__("token expired")
        self.token = token


@dataclass(frozen=True)
class Token:
    purpose: Purpose
    ids: tuple[int, ...]
    expires_hours: int  # hours since _EPOCH
    signed: str = ""  # what the binding MAC covers, with the address
    binding: str = ""

    @property
    def expires_at(self) -> datetime:
        return _EPOCH + timedelta(hours=self.expires_hours)

    def is_bound_to(self, key: bytes, address: str, epoch: int = 0) -> bool:
        """Whether this token was sent to ``address`` (in any case) in its owner's ``epoch``.

        >>> from datetime import datetime, UTC
        >>> now = datetime(2026, 11, 29, tzinfo=UTC)
        >>> text = make_token(b"k", Purpose.MEMBER, (42,), to="Anna@Example.com", epoch=7, now=now)
        >>> token = read_token(b"k", text, now=now)
        >>> token.is_bound_to(b"k", "anna@example.com", 7), token.is_bound_to(b"k", "eve@x.org", 7)
        (True, False)
        >>> token.is_bound_to(b"k", "anna@example.com", 8)  # revoked: a new epoch
        False
        """
        expected = _binding(key, self.signed, address, epoch)
        return bool(self.signed) and hmac.compare_digest(self.binding, expected)


class Recipient(Protocol):
    """Whom a token is for: an address, and the key epoch that revokes all its tokens."""

    @property
    def email(self) -> str: ...

    @property
    def token_epoch(self) -> int: ...


# Tokens not tied to a person's epoch: a confirmation may go to an address
# that is nobody's yet, and a bounce comes from a mail system.
EPOCHLESS = frozenset({Purpose.CONFIRM, Purpose.BOUNCE})


def token_for(
    key: bytes,
    purpose: Purpose,
    ids: tuple[int, ...],
    person: Recipient,
    *,
    now: datetime,
    lifetime: timedelta = DEFAULT_LIFETIME,
) -> str:
    """A token for ``person``: bound to their address and their current epoch."""
    return make_token(
        key, purpose, ids, to=person.email, epoch=person.token_epoch, now=now, lifetime=lifetime
    )


def make_token(
    key: bytes,
    purpose: Purpose,
    ids: tuple[int, ...],
    *,
    to: str,
    epoch: int = 0,
    now: datetime,
    lifetime: timedelta = DEFAULT_LIFETIME,
) -> str:
    """A signed token for a purpose and the ids it concerns, bound to the address ``to``.

    ``epoch`` is the owner's key epoch (Person.token_epoch): a new epoch
    revokes every token bound to the old one.
    """
    expires = int((now + lifetime - _EPOCH).total_seconds() // 3600)
    payload = "-".join([purpose.value, *(_b36(i) for i in ids), _b36(expires)])
    signed = f"{payload}-{_mac(key, payload)}"
    return f"{signed}-{_binding(key, signed, to, epoch)}"


def read_token(key: bytes, text: str, *, now: datetime) -> Token:
    """Verify a token; raises a TokenError subclass when it must be refused.

    >>> from datetime import datetime, UTC
    >>> now = datetime(2026, 11, 29, tzinfo=UTC)
    >>> t = make_token(b"k", Purpose.MEMBER, (42,), to="a@example.com", now=now)
    >>> read_token(b"k", t.upper(), now=now).ids
    (42,)
    >>> legacy = t.rpartition("-")[0]  # as tokens were before they named an address
    >>> read_token(b"k", legacy, now=now).is_bound_to(b"k", "a@example.com")
    False
    """
    text = text.strip().lower()
    # Only what make_token writes; SMTPUTF8 lets anything else reach here.
    if not _TOKEN_TEXT.fullmatch(text):
        raise MalformedToken("not a token")
    signed, _, binding = text.rpartition("-")
    if len(binding) == _LEGACY_MAC_LENGTH:
        # From before tokens were bound to an address (still in mailboxes,
        # and on the return path of mail in flight): it routes, proves nothing.
        signed, binding = text, ""
    payload, _, mac = signed.rpartition("-")
    parts = payload.split("-")
    if len(parts) < 2 or not hmac.compare_digest(mac, _mac(key, payload)):
        raise ForgedToken("signature does not match")
    try:
        purpose = Purpose(parts[0])
        numbers = [int(part, 36) for part in parts[1:]]
    except ValueError as exc:  # signed but unreadable: only a changed key does this
        raise MalformedToken("unreadable token") from exc
    token = Token(
        purpose=purpose,
        ids=tuple(numbers[:-1]),
        expires_hours=numbers[-1],
        signed=signed if binding else "",
        binding=binding,
    )
    if token.expires_at < now:
        raise ExpiredToken(token)
    return token


def _mac(key: bytes, payload: str) -> str:
    digest = _keyed(key).copy()
    digest.update(payload.encode())
    return base64.b32encode(digest.digest()[:_MAC_BYTES]).decode().rstrip("=").lower()


@lru_cache(maxsize=8)
def _keyed(key: bytes) -> hmac.HMAC:
    """An HMAC with the key already taken in: copied for each token, a digest writes
    thousands, and taking the key in is half the work of a short message."""
    return hmac.new(key, digestmod=hashlib.sha256)


def address_key(key: bytes, address: str) -> str:
    """A keyed hash of an address: to recognise it again without keeping it.

    >>> address_key(b"k", "Anna@Example.com") == address_key(b"k", "anna@example.com")
    True
    """
    message = f"address\n{address.strip().lower()}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def _binding(key: bytes, signed: str, address: str, epoch: int) -> str:
    digest = _keyed(key).copy()
    digest.update(f"bind\n{signed}\n{address.strip().lower()}\n{epoch}".encode())
    return base64.b32encode(digest.digest()[:_BINDING_BYTES]).decode().rstrip("=").lower()


@lru_cache(maxsize=4096)  # a digest writes the same partner id and expiry into every token
def _b36(number: int) -> str:
    if number < 0:
        raise ValueError("ids are not negative")
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if number == 0:
            return out
