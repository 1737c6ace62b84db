"""Recipient routing (SPEC §3): which address does what, decided without I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from mailer.tokens import (
    ExpiredToken,
    ForgedToken,
    MalformedToken,
    Token,
    read_token,
)


class RouteKind(StrEnum):
    COMMIT = "commit"
    NOTES = "notes"
    HELP = "help"
    REPLY = "reply"
    BOUNCE = "bounce"
    POSTMASTER = "postmaster"  # RFC 5321 §4.5.1: must be accepted, is never answered


FIXED_LOCAL_PARTS = {
    "commit": RouteKind.COMMIT,
    "notes": RouteKind.NOTES,
    "help": RouteKind.HELP,
    "postmaster": RouteKind.POSTMASTER,
    "abuse": RouteKind.POSTMASTER,
}
TOKEN_PREFIXES = {"reply": RouteKind.REPLY, "bounce": RouteKind.BOUNCE}


@dataclass(frozen=True)
class Route:
    kind: RouteKind
    token: Token | None = None
    token_expired: bool = False


class Refusal(Exception):
    """A recipient refused at RCPT, with the SMTP reply that says why."""

    def __init__(self, reply: str) -> None:
        super().__init__(reply)
        self.reply = reply


NOT_LOCAL = "550 5.7.1 Relaying denied: this server only accepts mail for its own domain"
NO_SUCH_USER = "550 5.1.1 No such address here; write to help@{domain} for how to use pactmail"
INVALID_REPLY_ADDRESS = (
    "550 5.7.1 This reply address is not valid (was it copied by hand?); "
    "reply to the original email or write to help@{domain}"
)


def split_address(address: str) -> tuple[str, str]:
    """Local part and domain, both lowercased.

    >>> split_address("Commit@PactMail.Localhost")
    ('commit', 'pactmail.localhost')
    >>> split_address("nobody")
    ('nobody', '')
    """
    local, _, domain = address.strip().strip("<>").rpartition("@")
    if not local:
        return domain.lower(), ""
    return local.lower(), domain.lower().rstrip(".")


def parse_recipient(address: str, *, domain: str, key: bytes, now: datetime) -> Route:
    """The route for one RCPT TO address, or Refusal with the reply to give.

    >>> from datetime import datetime, UTC
    >>> now = datetime(2026, 11, 29, tzinfo=UTC)
    >>> parse_recipient("commit@d.example", domain="d.example", key=b"k", now=now).kind
    <RouteKind.COMMIT: 'commit'>
    >>> parse_recipient("x@elsewhere.example", domain="d.example", key=b"k", now=now)
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    mailer.addresses.Refusal: 550 5.7.1 Relaying denied: ...
    """
    local, address_domain = split_address(address)
    if local == "postmaster" and not address_domain:
        return Route(RouteKind.POSTMASTER)  # RFC 5321 §4.5.1: bare <postmaster> is ours
    if address_domain != domain:
        raise Refusal(NOT_LOCAL)
    if local in FIXED_LOCAL_PARTS:
        return Route(FIXED_LOCAL_PARTS[local])
    prefix, plus, token_text = local.partition("+")
    if local == "reply":
        # The + part was rewritten away: the token is looked for in the
        # threading headers when the message is processed.
        return Route(RouteKind.REPLY)
    if not plus or prefix not in TOKEN_PREFIXES:
        raise Refusal(NO_SUCH_USER.format(domain=domain))
    try:
        token = read_token(key, token_text, now=now)
    except ExpiredToken as expired:
        return Route(TOKEN_PREFIXES[prefix], expired.token, token_expired=True)
    except (MalformedToken, ForgedToken) as exc:
        raise Refusal(INVALID_REPLY_ADDRESS.format(domain=domain)) from exc
    return Route(TOKEN_PREFIXES[prefix], token)
