"""Every email template, rendered from a realistic context as its row stores it: strict
about missing values, and a text part that fits 72 columns."""

from __future__ import annotations

import re
from pathlib import Path

import jinja2
import pytest

from mailer.plaintext import TEXT_WIDTH
from mailer.render import _environments
from tests.support.template_reads import reads_of
from tests.support.template_samples import SAMPLES, Sample

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
CASES = [
    pytest.param(sample, name, context, id=f"{sample.template}-{name}" if name else sample.template)
    for sample in SAMPLES.values()
    for name, context in sample.contexts()
]


def test_every_template_has_a_sample() -> None:
    # Partials (_commitment.html, ...) are pieces of others, not emails.
    emails = {path.name for path in TEMPLATES.iterdir() if path.is_dir()}
    assert emails == set(SAMPLES)


@pytest.mark.parametrize(("sample", "name", "context"), CASES)
def test_text_part_fits_72_columns(sample: Sample, name: str, context: dict[str, object]) -> None:
    text = sample.render(context).text
    # The one exception: a single word wider than the line (a URL, a reply
    # address), alone on its line, since cutting it would break it.
    too_wide = [
        line for line in text.splitlines() if len(line) > TEXT_WIDTH and len(line.split()) > 1
    ]
    assert too_wide == []


@pytest.mark.parametrize(("sample", "name", "context"), CASES)
def test_text_part_keeps_links_whole(sample: Sample, name: str, context: dict[str, object]) -> None:
    # Wrapping at a hyphen or a slash breaks a link in every mail client:
    # each URL in the text must be one the context holds, whole.
    given = set(_URL.findall(repr(context).replace("\\n", " ")))
    shown = set(_URL.findall(sample.render(context).text))
    assert shown <= given


_URL = re.compile(r"https?://[^\s'\"]+[^\s'\".,)]")


@pytest.mark.parametrize("sample", SAMPLES.values(), ids=list(SAMPLES))
def test_a_missing_value_fails_the_rendering(sample: Sample) -> None:
    """Each value, missing from a row, makes some branch fail: nothing renders blank.

    Except what render.py reads itself, and what the template gives a
    default for rows queued before the value existed.
    """
    email = type(sample.email)
    reads = reads_of(email, _environments()[0])
    optional = set(email.read_elsewhere) | {name for kind, name in reads.defaulted if kind is email}
    optional.add("unsubscribe")  # regular mail's way out, which render.py reads
    main = dict(sample.contexts())[""]
    fails_without = {
        key
        for key in main
        for _, context in sample.contexts()
        if _fails(sample, {k: v for k, v in context.items() if k != key})
    }
    assert fails_without == set(main) - optional


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
