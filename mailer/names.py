"""How people are named in the emails: by first name, as one would write to them."""

from __future__ import annotations

from typing import Protocol

# Words before a first name that are not one ("Dr. Alice Example").
_TITLES = frozenset(
    {"dr", "prof", "mr", "mrs", "ms", "mx", "herr", "frau", "mme", "m", "sr", "sra", "don", "doña"}
)


class Named(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def email(self) -> str: ...


def first_name(full_name: str) -> str:
    """The name to greet someone by: their first name, or nothing.

    >>> first_name("Alice Example"), first_name("Example, Alice"), first_name("Dr. Åsa Berg")
    ('Alice', 'Alice', 'Åsa')
    >>> first_name("  "), first_name("alice@example.com")
    ('', '')
    """
    if "@" in full_name:
        return ""
    if "," in full_name:  # "Last, First", as some address books write it
        full_name = full_name.split(",", 1)[1]
    words = [word for word in full_name.split() if word.lower().rstrip(".") not in _TITLES]
    return words[0] if words else ""


def display_name(person: Named) -> str:
    """A person as a subject line names them: their name, else their mailbox's name.

    >>> from types import SimpleNamespace as P
    >>> pat = P(name="Pat Partner", email="pat@x.org")
    >>> display_name(pat), display_name(P(name="", email="pat@x.org"))
    ('Pat Partner', 'pat')
    """
    return person.name or person.email.partition("@")[0]


def names_of(person: Named) -> frozenset[str]:
    """What a person goes by, in lower case: first name, full name, mailbox name, initial."""
    names = {first_name(person.name), person.name, person.email.split("@")[0]}
    names |= {name[0] for name in names if name}
    return frozenset(name.casefold() for name in names if name)


def called(person: Named, fallback: str) -> str:
    """A person's first name, or ``fallback`` ("your partner") when we know none."""
    return first_name(person.name) or fallback
