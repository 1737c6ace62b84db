"""Every way the service declines to act on a message, each with the email that explains it."""

from __future__ import annotations


class Refused(Exception):
    """Processing stopped on purpose; the sender gets ``template`` with ``reason``."""

    template = "not_understood"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NoCommitmentsFound(Refused):
    template = "not_understood"


class NotUnderstood(Refused):
    template = "not_understood"


class TokenExpired(Refused):
    template = "token_expired"


class NotTheOwner(Refused):
    """A reply address used from another address: its owner is asked to confirm."""

    template = "owner_asked"

    def __init__(self, owner: str) -> None:
        super().__init__(
            "that reply address belongs to someone else, so we have asked them to confirm "
            "your reply; nothing changes until they do"
        )
        self.owner = owner
