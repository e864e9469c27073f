"""The feature-map page in a real browser: draw a "1" and a "7" with the mouse and read the predictions.

The app server and Debian's headless Chromium come from the fixtures in ``tests/conftest.py`` (see
``tests/browser_support.py``); skipped when Chromium, Playwright or the shipped LeNet-5 is missing.
Screenshots go to ``artifacts/``.
"""

import re

import pytest

from cnnviz import checkpoints
from tests.browser_support import chromium_missing, screenshot

_missing = chromium_missing()
pytestmark = [
    pytest.mark.skipif(_missing is not None, reason=_missing or ""),
    pytest.mark.skipif(not checkpoints.shipped_path("lenet5").is_file(),
                       reason="the shipped LeNet-5 checkpoint does not exist yet"),
]

ONE = [[(148, 35), (140, 245)]]
SEVEN = [[(65, 45), (215, 45), (120, 245)]]
LOCALE = "en-US"


def draw(page, canvas, strokes) -> None:
    box = canvas.bounding_box()
    # the canvas ignores a drag that starts before it has settled: hover over it first, then wait
    page.mouse.move(box["x"] + 20, box["y"] + 20)
    page.wait_for_timeout(500)
    for line in strokes:
        page.mouse.move(box["x"] + line[0][0], box["y"] + line[0][1])
        page.mouse.down()
        for (x0, y0), (x1, y1) in zip(line, line[1:]):
            for t in range(1, 25):
                page.mouse.move(box["x"] + x0 + (x1 - x0) * t / 24, box["y"] + y0 + (y1 - y0) * t / 24)
        page.mouse.up()


def read_prediction(page, timeout_ms: int = 120_000) -> str:
    loc = page.get_by_text(re.compile(r"^Prediction: \d$")).first
    loc.wait_for(timeout=timeout_ms)
    return loc.inner_text().strip()[-1]


def tooltip(span) -> str:
    """A channel box's plain tooltip (the hover script moves it to ``data-stats`` once hovered)."""
    return span.get_attribute("title") or span.get_attribute("data-stats") or ""


def check_value_under_the_pointer_and_click(page) -> None:
    """Hovering a channel shows the row, column and value under the pointer (read from the colour,
    within one colour step of the exact value); clicking it opens that channel in the inspector, whose
    heatmap holds the exact values."""
    fig = page.locator("figure.cnnviz-tile").nth(3)
    h, w, zmax = (int(fig.get_attribute("data-h")), int(fig.get_attribute("data-w")),
                  float(fig.get_attribute("data-zmax")))
    layer = int(fig.get_attribute("data-layer"))
    channels = fig.locator("span[data-ch]").count()
    ch = min(5, channels - 1)
    span = fig.locator("span[data-ch]").nth(ch)
    span.scroll_into_view_if_needed()
    box = span.bounding_box()
    r, c = h // 2, w // 3
    x, y = box["x"] + (c + 0.5) * box["width"] / w, box["y"] + (r + 0.5) * box["height"] / h
    page.mouse.move(x - 3, y - 3)
    page.mouse.move(x, y)
    tip = page.locator(".cnnviz-tip")
    tip.wait_for(state="visible", timeout=10_000)
    text = tip.inner_text()
    assert text.startswith(f"channel {ch} · min "), text
    m = re.search(rf"row {r}, col {c}: ≈ (\S+) \(read from the colour\)", text)
    assert m, text
    approx = float(m[1].replace("−", "-"))
    assert "Click: this channel's exact values below" in text
    page.mouse.click(x, y)
    page.wait_for_function(
        "([layer, ch]) => { const s = document.querySelector('.st-key-fm_inspector');"
        " return !!s && s.innerText.includes(`Channel ${ch} of layer ${layer + 1}:`); }",
        arg=[layer, ch], timeout=60_000)
    exact = page.evaluate(
        "([r, c]) => { const gd = document.querySelector('.st-key-fm_inspector .js-plotly-plot');"
        " return gd._fullData[0].z[r][c]; }", [r, c])
    assert abs(approx - exact) <= zmax / 127.5 + 0.06 * abs(exact) + 1e-6, (approx, exact, zmax)


def check_hover_boxes(page) -> None:
    """Every tiled layer image carries one hover box per channel, inside the image, named by its
    tooltip; the one under the mouse is outlined (what a student sees before the tooltip shows)."""
    figs = page.locator("figure.cnnviz-tile")
    assert figs.count() >= 6                       # LeNet-5: conv, ReLU, pool, twice
    for i in range(figs.count()):
        fig = figs.nth(i)
        channels = int(re.match(r"(\d+) channels?", fig.locator("figcaption").inner_text())[1])
        spans = fig.locator("span[data-ch]")
        assert spans.count() == channels
        assert tooltip(spans.first).startswith("channel 0 · min ")
        last = spans.nth(channels - 1)
        assert tooltip(last).startswith(f"channel {channels - 1} · min ")
        img, box = fig.locator("img").bounding_box(), last.bounding_box()
        assert img["width"] > 50 and box["width"] > 2
        assert img["x"] - 1 <= box["x"] and box["x"] + box["width"] <= img["x"] + img["width"] + 1
        assert img["y"] - 1 <= box["y"] and box["y"] + box["height"] <= img["y"] + img["height"] + 1
    target = figs.nth(3).locator("span[data-ch]").nth(5)
    target.scroll_into_view_if_needed()
    target.hover()
    page.wait_for_timeout(300)
    assert target.evaluate("e => getComputedStyle(e).outlineStyle") == "solid"


def test_draw_one_and_seven(page, app_server):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.set_viewport_size({"width": 1500, "height": 1100})
    page.goto(f"{app_server.url}/feature-maps", timeout=120_000)
    # wait until the first run has finished (its last section is on screen) before drawing
    page.get_by_text("The feature maps appear here").wait_for(timeout=120_000)
    canvas = page.locator("canvas.upper-canvas").first
    canvas.wait_for(timeout=60_000)
    page.wait_for_timeout(3000)
    results = {}
    done = ("() => document.body.innerText.includes('Inside the network') && "
            "!document.body.innerText.includes('The feature maps appear here')")
    for label, strokes in (("1", ONE), ("7", SEVEN)):
        for attempt in range(2):
            draw(page, canvas, strokes)
            try:
                page.wait_for_function(done, timeout=60_000 if attempt == 0 else 120_000)
                break
            except PlaywrightTimeout:
                if attempt:
                    raise
                page.get_by_role("button", name=re.compile("Clear")).click()
                page.wait_for_timeout(3000)
                canvas = page.locator("canvas.upper-canvas").first
        page.wait_for_timeout(1500)
        results[label] = read_prediction(page)
        check_hover_boxes(page)
        if label == "7":
            check_value_under_the_pointer_and_click(page)
        screenshot(page, f"feature_maps_drawn_{label}")
        page.get_by_role("button", name=re.compile("Clear")).click()
        page.get_by_text("The feature maps appear here").wait_for(timeout=120_000)
        canvas = page.locator("canvas.upper-canvas").first
        canvas.wait_for(timeout=60_000)
        page.wait_for_timeout(3000)
    assert results == {"1": "1", "7": "7"}
