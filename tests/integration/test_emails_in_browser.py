"""Every email's HTML in a real browser, at a phone's width and a desktop's.

No sideways scrolling, buttons a finger can hit, text readable on its
background; the screenshots are kept under var/test-artefacts/emails/ to be
looked at. One Chromium serves the whole module.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.support.browser import MIN_BUTTON_HEIGHT, check_email, chromium_path
from tests.support.template_samples import SAMPLES, Sample

WIDTHS = (390, 1000)  # a phone (iPhone 12 to 15) and a desktop mail client's reading pane
ARTEFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artefacts" / "emails"


def _case(template: str, name: str, width: int) -> str:
    """digest-390, digest-daily_nudge-1000: the test's id and its screenshot's name."""
    return "-".join(part for part in (template, name, str(width)) if part)


CASES = [
    pytest.param(sample, name, context, width, id=_case(sample.template, name, width))
    for sample in SAMPLES.values()
    for name, context in sample.contexts()
    for width in WIDTHS
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # Never skipped: without a browser the emails go unchecked, so say so and fail.
    try:
        executable = chromium_path()
    except FileNotFoundError as missing:
        pytest.fail(str(missing))
    shutil.rmtree(ARTEFACTS, ignore_errors=True)  # only this run's screenshots
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def pages(browser: Browser) -> Iterator[dict[int, Page]]:
    opened = {width: browser.new_page(viewport={"width": width, "height": 800}) for width in WIDTHS}
    yield opened
    for page in opened.values():
        page.close()


@pytest.mark.parametrize(("sample", "name", "context", "width"), CASES)
def test_email_reads_well(
    pages: dict[int, Page], sample: Sample, name: str, context: dict[str, object], width: int
) -> None:
    html = sample.render(context).html
    shot = ARTEFACTS / f"{_case(sample.template, name, width)}.png"
    findings = check_email(pages[width], html, screenshot=shot)
    assert findings.problems() == []
    # What is measured is there to measure: text on every page.
    assert findings.contrasts


@pytest.mark.parametrize(
    ("template", "labels"),
    [
        ("digest", ["On track", "Challenge"] * 4),
        ("invitation", ["a peer", "from outside their organisation", "their coach",
                        "I am their manager", "I report to them", "we compete"]),
        ("summary", ["Answer", "Answer"]),
        ("note_kept", ["Invite Siobhán Ó Briain-D'Arcy as my partner"]),
        ("was_this_you", ["Yes, it was me: confirm"]),
    ],
)  # fmt: skip
def test_the_buttons_are_the_one_click_answers(
    pages: dict[int, Page], template: str, labels: list[str]
) -> None:
    # The size check above holds for buttons it finds: it must find them all.
    findings = check_email(pages[390], SAMPLES[template].render().html)
    assert [button.label for button in findings.buttons] == labels


# The checker itself: pages that break each rule must fail it.

_PAGE = '<!DOCTYPE html><html><body style="font: 15px/1.5 sans-serif;">{}</body></html>'


def _problems(page: Page, body: str) -> list[str]:
    return check_email(page, _PAGE.format(body)).problems()


def test_a_plain_page_passes(pages: dict[int, Page]) -> None:
    button = (
        '<a href="mailto:a@example.com" style="display: inline-block; padding: 12px 16px; '
        'line-height: 20px; border: 1px solid #2a7; color: #175;">On track</a>'
    )
    assert _problems(pages[390], f"<p>Hello,</p><p>{button}</p>") == []


def test_a_wide_table_scrolls_sideways(pages: dict[int, Page]) -> None:
    found = _problems(pages[390], '<table style="width: 700px;"><tr><td>Hi</td></tr></table>')
    assert len(found) == 1
    assert found[0].startswith("scrolls sideways at 390 px (content 708 px wide): <table>")


def test_a_long_word_scrolls_sideways_unless_it_may_break(pages: dict[int, Page]) -> None:
    word = "https://example.com/" + "a" * 120
    assert _problems(pages[390], f"<p>{word}</p>")[0].startswith("scrolls sideways")
    assert _problems(pages[390], f'<p style="overflow-wrap: anywhere;">{word}</p>') == []


def test_hidden_overflow_still_counts(pages: dict[int, Page]) -> None:
    # Clipped is not fitted: what is cut off cannot be read.
    body = '<div style="overflow: hidden;"><p style="width: 600px;">Too wide</p></div>'
    assert _problems(pages[390], body)[0].startswith("scrolls sideways at 390 px")


def test_a_small_button_fails(pages: dict[int, Page]) -> None:
    button = (
        '<a href="mailto:a@example.com" style="display: inline-block; padding: 4px 10px; '
        'line-height: 20px; border: 1px solid #2a7; color: #175;">Challenge</a>'
    )
    assert _problems(pages[1000], button) == [
        f"button 'Challenge' is 30 px tall, under {MIN_BUTTON_HEIGHT:.0f}"
    ]


def test_faint_text_fails(pages: dict[int, Page]) -> None:
    found = _problems(pages[1000], '<p style="color: #999;">Publish commitments</p>')
    assert found == ["text 'Publish commitments' has contrast 2.85 (#999999 on #ffffff), under 4.5"]


def test_a_squeezed_column_fails(pages: dict[int, Page]) -> None:
    # Long words may break to fit, and then a table can squeeze a short one.
    long_text = "Send the review to legal: https://example.com/" + "a" * 80
    body = (
        '<table style="overflow-wrap: anywhere;"><tr><td style="font-weight: bold;">#12</td>'
        f"<td>{long_text}</td></tr></table>"
    )
    assert _problems(pages[390], body) == ["words cut over two lines: #12"]
    kept = body.replace("font-weight: bold;", "font-weight: bold; white-space: nowrap;")
    assert _problems(pages[390], kept) == []


def test_contrast_is_against_the_background_behind_the_text(pages: dict[int, Page]) -> None:
    # White on dark green passes, on light green not: the background is the
    # ancestor's, composited, not the text element's own (transparent) one.
    dark = '<div style="background: #175;"><p style="color: #fff;">Reads well</p></div>'
    light = '<div style="background: #2a7;"><p style="color: #fff;">Reads badly</p></div>'
    assert _problems(pages[1000], dark) == []
    assert _problems(pages[1000], light) == [
        "text 'Reads badly' has contrast 2.96 (#ffffff on #22aa77), under 4.5"
    ]
