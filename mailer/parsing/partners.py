"""Reading partners out of mail: who is nominated, and how an invited partner answered."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from email.utils import getaddresses
from enum import StrEnum

from mailer.headers import one_line

MAX_NOMINEES = 10  # in one message; more looks like a mailing, not a request


class Answer(StrEnum):
    """The one-click answers to "How do you know them?" (SPEC §4.2)."""

    PEER = "peer"
    OUTSIDE = "outside"
    COACH = "coach"
    MANAGER = "manager"
    REPORT = "report"
    COMPETITOR = "competitor"
    DECLINE = "decline"
    NEVER = "never"  # decline, and never be invited again by anyone

    @property
    def accepts(self) -> bool:
        return self in (Answer.PEER, Answer.OUTSIDE, Answer.COACH)

    @property
    def unsuitable(self) -> bool:
        """The partner would write or receive the member's review, or competes with them."""
        return self in (Answer.MANAGER, Answer.REPORT, Answer.COMPETITOR)


@dataclass(frozen=True)
class Nominee:
    name: str
    address: str


# What a typed partner: line may name: one plain address, no spaces,
# controls or brackets.
_NOT_IN_ADDRESS = r"\s\x00-\x1f\x7f-\x9f@<>()\[\],;:\""
_ADDRESS = re.compile(
    rf"[^{_NOT_IN_ADDRESS}]{{1,64}}@[^{_NOT_IN_ADDRESS}]+\.[^{_NOT_IN_ADDRESS}.]{{2,}}"
)
_PARTNER_LINE = re.compile(r"^\s*(?:[-*•]\s+)?partners?\s*:\s*(?P<who>\S.*)$", re.IGNORECASE)
# Words a partner may type instead of clicking, each standing for one answer.
_WORDS = {
    **{answer.value: answer for answer in Answer},
    "colleague": Answer.PEER,
    "peers": Answer.PEER,
    "friend": Answer.OUTSIDE,
    "outsider": Answer.OUTSIDE,
    "mentor": Answer.COACH,
    "boss": Answer.MANAGER,
    "supervisor": Answer.MANAGER,
    "direct report": Answer.REPORT,
    "competition": Answer.COMPETITOR,
    "declined": Answer.DECLINE,
    "no thanks": Answer.DECLINE,
}
_FIRST_WORDS = re.compile(r"[^\W\d_]+(?:\s+[^\W\d_]+)?")
_REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|aw|sv|vs|antw|rif|r|fwd?)\s*:\s*)+", re.IGNORECASE)
# Public mailbox providers: two people there share a domain, not an organisation.
PUBLIC_MAILBOX_DOMAINS = frozenset(
    {
        "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com",
        "yahoo.com", "ymail.com", "icloud.com", "me.com", "mac.com", "aol.com",
        "proton.me", "protonmail.com", "pm.me", "gmx.de", "gmx.net", "gmx.com", "web.de",
        "t-online.de", "freenet.de", "posteo.de", "mailbox.org", "orange.fr", "free.fr",
        "laposte.net", "sfr.fr", "wanadoo.fr", "libero.it", "virgilio.it", "seznam.cz",
        "wp.pl", "o2.pl", "onet.pl", "interia.pl", "mail.ru", "yandex.ru", "yandex.com",
        "qq.com", "163.com", "126.com", "naver.com", "daum.net", "hanmail.net", "fastmail.com",
        "zoho.com", "hey.com", "tutanota.com", "tuta.io", "gmx.at", "bluewin.ch",
    }
)  # fmt: skip


def nominees(
    cc: Sequence[tuple[str, str]], text: str, *, member: str, own_domain: str
) -> tuple[list[Nominee], str]:
    """People nominated as partners, and the text without its ``partner:`` lines.

    Those in Cc are nominated, and so is anyone on a line ``partner: Name
    <address>``; never the member, never an address of the service.

    >>> found, rest = nominees(
    ...     [("Bob", "bob@example.org")], "Run 5k\\npartner: Cleo Doe <cleo@example.net>",
    ...     member="anna@example.com", own_domain="pactmail.localhost")
    >>> [n.address for n in found], rest
    (['bob@example.org', 'cleo@example.net'], 'Run 5k')
    >>> nominees([], "partner: Cleo Doe cleo@example.net", member="a@x.org", own_domain="d")[0]
    []

    A name is read as one line of header text: it will show in subjects.

    >>> nominees([], 'partner: "Cleo\\x0bReply-To: x@evil.example" <cleo@example.net>',
    ...          member="a@x.org", own_domain="d")[0]
    [Nominee(name='Cleo Reply-To: x@evil.example', address='cleo@example.net')]
    """
    kept: list[str] = []
    named: list[tuple[str, str]] = list(cc)
    for line in text.split("\n"):
        match = _PARTNER_LINE.match(line)
        if match:
            # getaddresses misreads a quoted name holding a CR: one line first.
            named += getaddresses([one_line(match["who"])])
        else:
            kept.append(line)
    found: dict[str, Nominee] = {}
    for name, address in named:
        address = address.strip().lower()
        domain = address.rpartition("@")[2]
        if (
            not _ADDRESS.fullmatch(address)
            or not plain_address(address)
            or domain == own_domain
            or address == member
        ):
            continue  # not an address we could write to, or one of ours
        found.setdefault(address, Nominee(one_line(name)[:200].rstrip(), address))
    return list(found.values())[:MAX_NOMINEES], "\n".join(kept)


def plain_address(address: str) -> bool:
    """Whether an address is written as itself: nothing invisible, nothing that
    normalisation would turn into another address ("never" and the limits
    count by address, and a relay may drop a soft hyphen on its way).

    >>> plain_address("dave@example.org"), plain_address("dave@bücher.example")
    (True, True)
    >>> plain_address("dave@exam\u00adple.org"), plain_address("dave@exa\u200bmple.org")
    (False, False)
    >>> plain_address("dave@\uff45xample.org")  # a fullwidth e
    False
    """
    if unicodedata.normalize("NFKC", address) != address:
        return False
    return not any(unicodedata.category(char)[0] in "CZ" for char in address)


def read_answer(text: str, subject: str = "") -> Answer | None:
    """The answer a reply starts with; the subject counts when the text says nothing.

    >>> read_answer("Peer! Happy to help.")
    <Answer.PEER: 'peer'>
    >>> read_answer("", "Re: manager")
    <Answer.MANAGER: 'manager'>
    >>> read_answer("Who are you?") is None
    True
    """
    for candidate in (text.strip(), strip_reply_prefix(subject)):
        match = _FIRST_WORDS.match(candidate.strip().lower())
        if match is None:
            continue
        words = match.group(0)
        answer = _WORDS.get(" ".join(words.split())) or _WORDS.get(words.split()[0])
        if answer is not None or candidate.strip():
            return answer
    return None


def strip_reply_prefix(subject: str) -> str:
    """The subject without its Re:/AW:/SV:… prefixes.

    >>> strip_reply_prefix("Re: AW: stop")
    'stop'
    """
    return _REPLY_PREFIX.sub("", subject).strip()


def same_organisation(member: str, partner: str) -> bool:
    """Both addresses at one organisation's own domain.

    >>> same_organisation("anna@acme.example", "bob@ACME.example")
    True
    >>> same_organisation("anna@gmail.com", "bob@gmail.com")
    False
    """
    member_domain = member.rpartition("@")[2].lower()
    return (
        member_domain == partner.rpartition("@")[2].lower()
        and member_domain not in PUBLIC_MAILBOX_DOMAINS
    )
