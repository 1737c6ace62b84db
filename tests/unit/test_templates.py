"""Every email template, rendered from a realistic context: strict about missing values."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest

from tests.support.template_samples import SAMPLES, Sample

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def test_every_template_has_a_sample() -> None:
    # Partials (_commitment.html, ...) are pieces of others, not emails.
    emails = {path.name for path in TEMPLATES.iterdir() if path.is_dir()}
    assert emails == set(SAMPLES)


@pytest.mark.parametrize("sample", SAMPLES.values(), ids=list(SAMPLES))
def test_a_missing_value_fails_the_rendering(sample: Sample) -> None:
    """Each key the flow passes, left out, makes some branch fail: nothing renders blank."""
    fails_without = {
        key
        for key in sample.context
        for _, context in sample.contexts()
        if _fails(sample, {k: v for k, v in context.items() if k != key})
    }
    assert fails_without == set(sample.context) - sample.not_required


def _fails(sample: Sample, context: dict[str, object]) -> bool:
    try:
        sample.render(context)
    except jinja2.UndefinedError:
        return True
    return False


def test_a_missing_value_is_an_error_not_a_blank() -> None:
    sample = SAMPLES["partner_left"]
    with pytest.raises(jinja2.UndefinedError, match="'partner' is undefined"):
        sample.render({})
