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


class Unproven(Refused):
    """The sender is not proven to be who the From: line says (SPEC §7).

    Nothing happens yet: the address gets one "Was this you?" email listing
    what the message ``would`` do, and a confirmation applies it once.
    """

    template = "was_this_you"

    def __init__(self, would: list[str]) -> None:
        super().__init__("we could not tell that the message came from you")
        self.would = would


class NotTheOwner(Refused):
    """A reply address used from another address: its owner is asked to confirm."""

    template = "owner_asked"

    def __init__(self, owner: str) -> None:
        super().__init__(
            "that reply address belongs to someone else, so we have asked them to confirm "
            "your reply; nothing changes until they do"
        )
        self.owner = owner


class SenderOverLimit(Refused):
    """More messages from one address than the service acts on (SPEC §7).

    The message is kept and not acted on; the address is told at most once a
    day. ``rate`` says the limit in words ("20 messages an hour").
    """

    template = "rate_limited"

    def __init__(self, rate: str) -> None:
        super().__init__(f"we act on at most {rate} from one address")
        self.rate = rate
