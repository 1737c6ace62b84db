"""Looking at an email's HTML in a real browser: the system's Chromium, driven by playwright.

The checks are what a reader on a phone or a desktop meets: a page wider than
the screen, a button too small for a finger (44 CSS px, WCAG 2.5.5), text
too faint for its background (4.5:1, WCAG 1.4.3), and a short word cut in
two: letting long words break keeps the page narrow, but a table squeezed by
one can leave a column one letter wide.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Page

MIN_BUTTON_HEIGHT = 44.0
MIN_CONTRAST = 4.5
# A word longer than this (a URL, an address, a German compound) may break
# anywhere to fit a phone; a shorter one, or part of a hyphenated one, never.
LONGEST_WHOLE_WORD = 20
# Playwright's own browser download is not used: the system's Chromium
# (Debian's package) is, which tests/run.sh installs when it is missing.
_CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")


def chromium_path() -> str:
    """The Chromium to drive: $PACTMAIL_CHROMIUM, else the first on the PATH."""
    given = os.environ.get("PACTMAIL_CHROMIUM")
    if given:
        return given
    for name in _CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise FileNotFoundError(
        "no Chromium found for the email checks: tests/run.sh installs Debian's "
        "(apt-get install chromium), or set PACTMAIL_CHROMIUM to a Chromium binary"
    )


@dataclass(frozen=True)
class Button:
    label: str
    height: float


@dataclass(frozen=True)
class Contrast:
    text: str
    ratio: float
    color: str
    background: str


@dataclass(frozen=True)
class Findings:
    """What the page measured at one width."""

    width: int
    scroll_width: int
    past_the_edge: list[str]  # elements reaching beyond the screen's width
    buttons: list[Button]
    contrasts: list[Contrast]  # one per element with text of its own
    broken_words: list[str]  # short words drawn over two lines

    def problems(self) -> list[str]:
        """Each check that failed, in words; empty when the page passes."""
        found: list[str] = []
        if self.scroll_width > self.width or self.past_the_edge:
            found.append(
                f"scrolls sideways at {self.width} px (content {self.scroll_width} px wide): "
                + "; ".join(self.past_the_edge)
            )
        found += [
            f"button {b.label!r} is {b.height:.0f} px tall, under {MIN_BUTTON_HEIGHT:.0f}"
            for b in self.buttons
            if b.height < MIN_BUTTON_HEIGHT
        ]
        found += [
            f"text {c.text!r} has contrast {c.ratio:.2f} ({c.color} on {c.background}), "
            f"under {MIN_CONTRAST}"
            for c in self.contrasts
            if c.ratio < MIN_CONTRAST
        ]
        if self.broken_words:
            found.append(f"words cut over two lines: {', '.join(self.broken_words)}")
        return found


def check_email(page: Page, html: str, screenshot: Path | None = None) -> Findings:
    """Load ``html`` in ``page`` (its viewport sets the width), measure it, keep a screenshot."""
    page.set_content(html)
    measured = page.evaluate(_MEASURE, LONGEST_WHOLE_WORD)
    if screenshot is not None:
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(screenshot), full_page=True)
    return Findings(
        width=int(measured["width"]),
        scroll_width=int(measured["scrollWidth"]),
        past_the_edge=[str(text) for text in measured["pastTheEdge"]],
        buttons=[Button(str(b["label"]), float(b["height"])) for b in measured["buttons"]],
        contrasts=[
            Contrast(str(c["text"]), float(c["ratio"]), str(c["color"]), str(c["background"]))
            for c in measured["contrasts"]
        ],
        broken_words=[str(word) for word in measured["brokenWords"]],
    )


# Runs in the page. Colours are composited as the browser paints them: a
# text's colour over its effective background, which is every background of
# the element and its ancestors laid over the white canvas.
_MEASURE = r"""
(longestWholeWord) => {
  const width = document.documentElement.clientWidth;
  const rgba = (css) => {
    const parts = css.match(/[\d.]+/g).map(Number);
    return [parts[0], parts[1], parts[2], parts.length > 3 ? parts[3] : 1];
  };
  const over = (top, below) => {
    const a = top[3];
    return [0, 1, 2].map((i) => top[i] * a + below[i] * (1 - a)).concat([1]);
  };
  const background = (element) => {
    const layers = [];
    for (let e = element; e; e = e.parentElement) {
      layers.push(rgba(getComputedStyle(e).backgroundColor));
    }
    return layers.reverse().reduce((below, layer) => over(layer, below), [255, 255, 255, 1]);
  };
  const luminance = (rgb) => {
    const [r, g, b] = rgb.slice(0, 3).map((v) => {
      const c = v / 255;
      return c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const hex = (rgb) =>
    "#" + rgb.slice(0, 3).map((v) => Math.round(v).toString(16).padStart(2, "0")).join("");
  const visible = (e) => {
    const style = getComputedStyle(e);
    const shown = style.visibility !== "hidden" && style.display !== "none";
    return shown && e.getClientRects().length > 0;
  };
  const snippet = (e) => (e.textContent || "").trim().replace(/\s+/g, " ").slice(0, 60);

  const beyond = (box) => box.width > 0 && (box.right > width + 0.5 || box.left < -0.5);
  const texts = new Set();
  const pastTheEdge = [];
  const brokenWords = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.textContent.trim() && node.parentElement && visible(node.parentElement)) {
      texts.add(node.parentElement);
      // A word wider than its box spills out of it: the text, not the box, is past the edge.
      const range = document.createRange();
      range.selectNodeContents(node);
      if ([...range.getClientRects()].some(beyond)) {
        pastTheEdge.push(`text ${node.textContent.trim().replace(/\s+/g, " ").slice(0, 60)}`);
      }
      // Each word, and each part of a hyphenated one, on one line: drawn on
      // two or more, its rectangles start at different heights.
      for (const word of node.textContent.matchAll(/[^\s\-]+/g)) {
        if (word[0].length > longestWholeWord) continue;
        range.setStart(node, word.index);
        range.setEnd(node, word.index + word[0].length);
        const tops = new Set([...range.getClientRects()].map((box) => Math.round(box.top)));
        if (tops.size > 1) brokenWords.push(word[0]);
      }
    }
  }
  const contrasts = [...texts].map((e) => {
    const bg = background(e);
    const fg = over(rgba(getComputedStyle(e).color), bg);
    const [light, dark] = [luminance(fg), luminance(bg)].sort((a, b) => b - a);
    const ratio = (light + 0.05) / (dark + 0.05);
    return {text: snippet(e), ratio, color: hex(fg), background: hex(bg)};
  });

  // A button is a mailto link drawn as one: with a border or a background of its own.
  const buttons = [...document.querySelectorAll('a[href^="mailto:"]')].filter((a) => {
    const style = getComputedStyle(a);
    const bordered = parseFloat(style.borderTopWidth) > 0 && style.borderTopStyle !== "none";
    return visible(a) && (bordered || rgba(style.backgroundColor)[3] > 0);
  }).map((a) => ({label: snippet(a), height: a.getBoundingClientRect().height}));

  // Past the edge: the page scrolls, or something is drawn beyond the screen
  // even where an overflow rule hides the scroll bar.
  for (const e of document.body.querySelectorAll("*")) {
    if (visible(e) && beyond(e.getBoundingClientRect())) {
      pastTheEdge.push(`<${e.tagName.toLowerCase()}> ${snippet(e)}`);
    }
  }

  return {
    width,
    scrollWidth: document.documentElement.scrollWidth,
    pastTheEdge: pastTheEdge.slice(0, 5),
    buttons,
    contrasts,
    brokenWords: brokenWords.slice(0, 10),
  };
}
"""
