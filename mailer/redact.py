"""Masking addresses and reply tokens in what is logged (SPEC §7).

An address names a person; the token in ``reply+TOKEN@D`` or ``bounce+TOKEN@D``
is a credential that acts for its owner until it expires. Logs keep enough to
follow a message (the first character, the domain, which kind of address) and
nothing that identifies or impersonates anyone.
"""

from __future__ import annotations

import logging
import re

# A local part (dot-atom, or quoted) then a domain (labels, or an address
# literal). ``\w`` is Unicode: internationalised addresses are caught too. An
# apostrophe may sit inside a local part (o'brien@) but not start one, so that
# a quoted repr such as 'anna@example.org' keeps its quote and its first letter.
_ADDRESS = re.compile(
    r"""(?P<local>"[^"\r\n]*"|[\w!#$%&*+/=?^{|}~\\-][\w.!#$%&'*+/=?^{|}~\\-]*)"""
    r"""@(?P<domain>\[[^\]\s]*\]|[\w-]+(?:\.[\w-]+)*)"""
)
# The local parts our tokens follow (mailer/addresses.py TOKEN_PREFIXES).
TOKEN_PREFIXES = frozenset({"reply", "bounce", "unsubscribe"})
# A token with its prefix but no domain (cut off, or logged on its own).
_BARE_TOKEN = re.compile(
    rf"(?<![\w.+-])(?P<prefix>{'|'.join(sorted(TOKEN_PREFIXES))})\+[\w-]+", re.IGNORECASE
)
# A token on its own, by its form (mailer/tokens.py): the purpose letter,
# base-36 numbers, an 80-bit base-32 signature and the 64-bit one that binds
# it to its address; a database driver's log of the reply_token column shows
# it so.
_TOKEN_FORM = re.compile(
    r"(?<![\w-])(?P<purpose>[a-z])(?:-[0-9a-z]+)+-[a-z2-7]{16}-[a-z2-7]{13}(?![\w-])",
    re.IGNORECASE,
)
HIDDEN = "\u2026"


def mask_address(address: str) -> str:
    """One address as logs may show it.

    >>> mask_address("anna.keller@example.org")
    'a***@example.org'
    >>> mask_address("Reply+m-1-1ceo-5kmpvcznwwx6i7mj-6vqarqokigz3q@pactmail.localhost")
    'Reply+…@pactmail.localhost'
    >>> mask_address("<bob+work@example.com>")
    '<b***@example.com>'
    >>> mask_address("")
    ''
    """
    return redact(address) if "@" in address else _mask_bare_token(address)


def redact(text: str) -> str:
    """``text`` with every address and reply token in it masked.

    >>> redact("TO:<reply+v-c-9l-1ceo-4bihuqsjewe2atjy-2zpl5rpu4idgw@pactmail.localhost> SIZE=12")
    'TO:<reply+…@pactmail.localhost> SIZE=12'
    >>> redact("b'RCPT TO:<BOUNCE+B-1-1CEO-5KMPVCZNWWX6I7MJ-6VQARQOKIGZ3Q@PactMail.Localhost>'")
    "b'RCPT TO:<BOUNCE+…@PactMail.Localhost>'"
    >>> redact("from Anna <anna+lists@example.org>, cc 'o'brien@example.com'")
    "from Anna <a***@example.org>, cc 'o***@example.com'"
    >>> redact("ånna@bücher.example wrote to 李@例子.中国.")
    'å***@bücher.example wrote to 李***@例子.中国.'
    >>> redact("token reply+m-4k2x-9f8e7d (cut) and a***@example.org, as before")
    'token reply+… (cut) and a***@example.org, as before'
    >>> redact("['pending', 'M-1-1CEO-5KMPVCZNWWX6I7MJ-6VQARQOKIGZ3Q', 3]")
    "['pending', 'M-…', 3]"
    >>> redact("nothing to hide: 3 @ 4, user@, @home")
    'nothing to hide: 3 @ 4, user@, @home'
    """
    if "@" in text:
        text = _ADDRESS.sub(_mask_match, text)
    return _mask_bare_token(text)


def _mask_match(match: re.Match[str]) -> str:
    local, domain = match["local"], match["domain"]
    prefix, plus, _ = local.partition("+")
    if plus and prefix.lower() in TOKEN_PREFIXES:
        return f"{prefix}+{HIDDEN}@{domain}"
    if local.startswith('"'):
        return f'"{local[1:2]}***"@{domain}'
    return f"{local[0]}***@{domain}"


def _mask_bare_token(text: str) -> str:
    if "+" in text:
        text = _BARE_TOKEN.sub(lambda match: f"{match['prefix']}+{HIDDEN}", text)
    if "-" in text:
        text = _TOKEN_FORM.sub(lambda match: f"{match['purpose']}-{HIDDEN}", text)
    return text


class RedactingFilter(logging.Filter):
    """Masks addresses and tokens in every record a handler is given, whoever logged it.

    The message is formatted here, once, and so is the traceback: a filter on
    the handler sees records from every logger (aiosmtpd's, arq's, ours).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "pactmail_redacted", False):
            return True  # another handler's filter did it already
        try:
            message = record.getMessage()
        except Exception:  # a malformed call must not raise where it logs
            message = f"{record.msg!s} (arguments that do not fit it: {record.args!r})"
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = _FORMATTER.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        setattr(record, "pactmail_redacted", True)  # noqa: B010 (not a LogRecord field)
        return True


_FORMATTER = logging.Formatter()
