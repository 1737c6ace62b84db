"""Addresses shown without giving them away: in logs, and to people not proven."""

from __future__ import annotations


def mask_address(address: str) -> str:
    """The first character of the local part, then ``***``, and the domain.

    >>> mask_address("robin@example.org"), mask_address("<X@Y.example>"), mask_address("")
    ('r***@example.org', 'X***@Y.example', '')
    """
    local, at, domain = address.strip().strip("<>").rpartition("@")
    if not at:
        return "***" if domain else ""
    return f"{local[:1]}***@{domain}"
