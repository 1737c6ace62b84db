"""Organisational domains and DMARC alignment (RFC 7489 §3.2, §3.1)."""

from __future__ import annotations

from functools import cache

from publicsuffixlist import PublicSuffixList


@cache
def _suffixes() -> PublicSuffixList:
    # The list the package ships, read once: no download at run time.
    return PublicSuffixList()


def ascii_domain(domain: str) -> str:
    """A domain in its ASCII form (A-labels), lower case: one spelling to compare.

    >>> ascii_domain("Exämple.DE."), ascii_domain("bad..name")
    ('xn--exmple-cua.de', 'bad..name')
    """
    name = domain.strip().rstrip(".").lower()
    if name.isascii():
        return name
    try:
        return name.encode("idna").decode("ascii")
    except UnicodeError:
        return name


def organisational_domain(domain: str) -> str:
    """The registered domain under its public suffix.

    >>> organisational_domain("mail.Example.co.uk")
    'example.co.uk'
    >>> organisational_domain("example.com"), organisational_domain("co.uk")
    ('example.com', 'co.uk')
    """
    name = ascii_domain(domain)
    return _suffixes().privatesuffix(name) or name


def aligned(signing_domain: str, from_domain: str, *, strict: bool = False) -> bool:
    """Whether a signing domain aligns with the From: domain (relaxed unless ``strict``).

    >>> aligned("mail.example.com", "example.com"), aligned("example.net", "example.com")
    (True, False)
    >>> aligned("mail.example.com", "example.com", strict=True)
    False
    """
    signing, author = ascii_domain(signing_domain), ascii_domain(from_domain)
    if not signing or not author:
        return False
    if strict:
        return signing == author
    return organisational_domain(signing) == organisational_domain(author)
