"""Recipient routing (SPEC §3): which address does what, decided without I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from mailer.refusals import RecipientRefused, SmtpReply
from mailer.tokens import (
    ExpiredToken,
    ForgedToken,
    MalformedToken,
    Purpose,
    Token,
    read_token,
)


class RouteKind(StrEnum):
    COMMIT = "commit"
    NOTES = "notes"
    HELP = "help"
    REPLY = "reply"
    BOUNCE = "bounce"
    UNSUBSCRIBE = "unsubscribe"  # a List-Unsubscribe mailto: (mailer/flows/unsubscribe.py)
    POSTMASTER = "postmaster"  # RFC 5321 §4.5.1: must be accepted, is never answered


FIXED_LOCAL_PARTS = {
    "commit": RouteKind.COMMIT,
    "notes": RouteKind.NOTES,
    "help": RouteKind.HELP,
    "postmaster": RouteKind.POSTMASTER,
    "abuse": RouteKind.POSTMASTER,
}
UNSUBSCRIBE_PREFIX = "unsubscribe"
TOKEN_PREFIXES = {
    "reply": RouteKind.REPLY,
    "bounce": RouteKind.BOUNCE,
    UNSUBSCRIBE_PREFIX: RouteKind.UNSUBSCRIBE,
}
# The purposes of token each prefix takes. A token pasted into another kind
# of address is refused at RCPT: a reply token at unsubscribe+, and an
# unsubscribe token (400 days, so that a way out keeps working) at reply+,
# where the mailbox it was sent to would prove its sender with it.
PURPOSES: dict[str, frozenset[Purpose]] = {
    "reply": frozenset(Purpose) - {Purpose.BOUNCE, Purpose.UNSUBSCRIBE},
    "bounce": frozenset({Purpose.BOUNCE}),
    UNSUBSCRIBE_PREFIX: frozenset({Purpose.UNSUBSCRIBE}),
}


@dataclass(frozen=True)
class Route:
    kind: RouteKind
    token: Token | None = None
    token_expired: bool = False
    # After the token, past a dot: which of a digest's two links was used
    # (reply+TOKEN.c@). Unsigned: the verdict is the partner's to choose, the
    # token is what proves the partner.
    link: str = ""


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
    """The route for one RCPT TO address, or RecipientRefused with the reply to give.

    >>> from datetime import datetime, UTC
    >>> now = datetime(2026, 11, 29, tzinfo=UTC)
    >>> parse_recipient("commit@d.example", domain="d.example", key=b"k", now=now).kind
    <RouteKind.COMMIT: 'commit'>
    >>> from mailer.tokens import make_token
    >>> digest = make_token(b"k", Purpose.DIGEST, (7,), to="a@x.example", now=now)
    >>> parse_recipient(f"unsubscribe+{digest}@d.example", domain="d.example", key=b"k", now=now)
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    mailer.refusals.RecipientRefused: 550 5.7.1 This reply address is not valid ...
    >>> parse_recipient("x@elsewhere.example", domain="d.example", key=b"k", now=now)
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    mailer.refusals.RecipientRefused: 550 5.7.1 Relaying denied: ...
    """
    local, address_domain = split_address(address)
    if local == "postmaster" and not address_domain:
        return Route(RouteKind.POSTMASTER)  # RFC 5321 §4.5.1: bare <postmaster> is ours
    if address_domain != domain:
        raise RecipientRefused(SmtpReply.NOT_LOCAL)
    if local in FIXED_LOCAL_PARTS:
        return Route(FIXED_LOCAL_PARTS[local])
    prefix, plus, token_text = local.partition("+")
    if local == "reply":
        # The + part was rewritten away: the token is looked for in the
        # threading headers when the message is processed.
        return Route(RouteKind.REPLY)
    if not plus or prefix not in TOKEN_PREFIXES:
        raise RecipientRefused(SmtpReply.NO_SUCH_USER, domain=domain)
    token_text, _, link = token_text.partition(".")
    try:
        token = read_token(key, token_text, now=now)
    except ExpiredToken as expired:
        token, token_expired = expired.token, True
    except (MalformedToken, ForgedToken) as exc:
        raise RecipientRefused(SmtpReply.INVALID_REPLY_ADDRESS, domain=domain) from exc
    else:
        token_expired = False
    if token.purpose not in PURPOSES[prefix]:
        raise RecipientRefused(SmtpReply.INVALID_REPLY_ADDRESS, domain=domain)
    return Route(TOKEN_PREFIXES[prefix], token, token_expired=token_expired, link=link[:8])
