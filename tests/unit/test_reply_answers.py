"""Every token purpose a reply can carry is read by exactly one flow."""

from __future__ import annotations

from mailer.flows.reply import _ANSWERS
from mailer.tokens import Purpose


def test_every_purpose_but_bounces_and_unsubscribes_has_a_flow() -> None:
    # Mail to bounce+ and unsubscribe+ goes to a flow of its own, never a reply's.
    assert set(_ANSWERS) == set(Purpose) - {Purpose.BOUNCE, Purpose.UNSUBSCRIBE}
