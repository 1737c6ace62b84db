"""PACTMAIL_RATE_LIMITS and PACTMAIL_TRUSTED_RELAYS, as an operator writes them."""

from __future__ import annotations

from ipaddress import ip_network
from pathlib import Path

import pytest
from limits import parse

from mailer.settings import RATE_LIMITS_OFF, RateLimits, Settings, SettingsError


def from_env(tmp_path: Path, **variables: str) -> Settings:
    return Settings.from_env({"PACTMAIL_DATA_DIR": str(tmp_path), **variables})


def test_defaults_limit_clients_and_senders(tmp_path: Path) -> None:
    settings = from_env(tmp_path)
    assert settings.rate_limits == RateLimits(client=parse("60/minute"), sender=parse("20/hour"))
    assert settings.trusted_relays == ()


def test_named_limits_replace_their_defaults_only(tmp_path: Path) -> None:
    settings = from_env(
        tmp_path, PACTMAIL_RATE_LIMITS="client=120/minute;sender = 5 per 30 minutes"
    )
    assert settings.rate_limits == RateLimits(
        client=parse("120/minute"), sender=parse("5/30 minutes")
    )
    assert from_env(tmp_path, PACTMAIL_RATE_LIMITS="off").rate_limits == RATE_LIMITS_OFF


def test_trusted_relays_are_addresses_and_networks(tmp_path: Path) -> None:
    settings = from_env(tmp_path, PACTMAIL_TRUSTED_RELAYS="127.0.0.1, 192.0.2.0/28,2001:db8::/64")
    assert settings.trusted_relays == (
        ip_network("127.0.0.1/32"),
        ip_network("192.0.2.0/28"),
        ip_network("2001:db8::/64"),
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PACTMAIL_RATE_LIMITS", "clients=60/minute"),
        ("PACTMAIL_RATE_LIMITS", "60/minute"),
        ("PACTMAIL_RATE_LIMITS", "client=60/minit"),
        ("PACTMAIL_RATE_LIMITS", "client=0/minute"),
        ("PACTMAIL_RATE_LIMITS", "client=60/minute,1000/day"),
        ("PACTMAIL_TRUSTED_RELAYS", "mx.example.com"),
        ("PACTMAIL_TRUSTED_RELAYS", "192.0.2.5/24"),
    ],
)
def test_wrong_syntax_is_one_clear_sentence(tmp_path: Path, name: str, value: str) -> None:
    with pytest.raises(SettingsError) as refused:
        from_env(tmp_path, **{name: value})
    text = str(refused.value)
    assert text.startswith(f"{name}: ")
    assert "\n" not in text
    assert text.count(". ") == 0
