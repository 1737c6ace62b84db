"""Every token purpose a reply can carry is read by exactly one flow."""

from __future__ import annotations

from mailer.flows.reply import _ANSWERS
from mailer.tokens import Purpose


def test_every_purpose_but_bounces_has_a_flow() -> None:
    assert set(_ANSWERS) == set(Purpose) - {Purpose.BOUNCE}
