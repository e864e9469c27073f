"""The feature-map page in a real browser: draw a "1" and a "7" with the mouse and read the predictions.

The app server and Debian's headless Chromium come from the fixtures in ``tests/conftest.py`` (see
``tests/browser_support.py``); skipped when Chromium, Playwright or the shipped LeNet-5 is missing.
Screenshots go to ``artifacts/``.
"""

import re

import pytest

from cnnviz import checkpoints, i18n
from tests.browser_support import chromium_missing, screenshot
from tests.browser_support import draw_strokes as draw

_missing = chromium_missing()
pytestmark = [
    pytest.mark.skipif(_missing is not None, reason=_missing or ""),
    pytest.mark.skipif(not checkpoints.shipped_path("lenet5").is_file(),
                       reason="the shipped LeNet-5 checkpoint does not exist yet"),
]

ONE = [[(148, 35), (140, 245)]]
SEVEN = [[(65, 45), (215, 45), (120, 245)]]
LOCALE = "en-US"


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
    assert i18n.t("fm.tile_click", "en") in text
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


def open_canvas(page, app_server):
    """The feature-map page, once its first run has finished (its last section is on screen): the canvas."""
    page.set_viewport_size({"width": 1500, "height": 1100})
    page.goto(f"{app_server.url}/feature-maps", timeout=120_000)
    page.get_by_text("The feature maps appear here").wait_for(timeout=120_000)
    canvas = page.locator("canvas.upper-canvas").first
    canvas.wait_for(timeout=60_000)
    page.wait_for_timeout(3000)
    return canvas


def test_draw_one_and_seven(page, app_server):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    canvas = open_canvas(page, app_server)
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


def test_a_stroke_is_sent_at_pointer_up_not_after_the_canvas_wait(page, app_server):
    """ui.compat.canvas_sends_at_once: the stroke reaches the server without the canvas component's own
    200 ms wait.  That wait is switched off in this page (a 200 ms timer never fires), so without the
    at-once path the drawing would never be sent; no time is measured."""
    page.add_init_script("""(() => {
      const original = window.setTimeout;
      window.setTimeout = function (fn, delay, ...args) {
        if (delay === 200) return 0;      // the canvas's wait after a stroke: never ends here
        return original.call(this, fn, delay, ...args);
      };
    })()""")
    draw(page, open_canvas(page, app_server), SEVEN)
    assert read_prediction(page, timeout_ms=60_000) == "7"


# ----------------------------------------------------------------------------- "How this number was computed"

def _digit(label: int) -> int:
    import numpy as np

    from cnnviz import data

    return int(np.flatnonzero(data.load_embedded().test_y.numpy() == label)[0])


def _open_digit(page, app_server, label: int = 7, extra: str = "") -> None:
    page.set_viewport_size({"width": 1500, "height": 1100})
    page.goto(f"{app_server.url}/feature-maps?fm_mode=digit&fm_digit={_digit(label)}{extra}", timeout=120_000)
    page.locator("figure.cnnviz-tile").first.wait_for(timeout=120_000)
    page.locator(".st-key-fm_explain_section").wait_for(timeout=120_000)
    page.wait_for_timeout(1500)


def _panel_numbers(page) -> tuple[str, str]:
    """The panel's "value in the network" and "recomputed from the terms", as shown."""
    metrics = page.locator(".st-key-fm_explain_panel [data-testid='stMetricValue']")
    return metrics.nth(0).inner_text().strip(), metrics.nth(1).inner_text().strip()


def _number(text: str) -> float:
    return float(text.replace("−", "-"))


def test_hover_a_convolution_pixel_click_it_and_read_the_total(page, app_server):
    """On the real page with LeNet-5: the tooltip's value (read from the colour) of a pixel of the first
    convolution's maps; a click opens "How this number was computed" for that pixel, whose total (the
    terms plus the bias) equals the network's value to 4 significant digits, and the hover's value within
    one colour step."""
    _open_digit(page, app_server)
    fig = page.locator("figure.cnnviz-tile").first              # layer 1: conv 5×5, 1→6
    h, w, zmax = (int(fig.get_attribute("data-h")), int(fig.get_attribute("data-w")),
                  float(fig.get_attribute("data-zmax")))
    ch, r, c = 2, h // 2, w // 2 - 2
    span = fig.locator("span[data-ch]").nth(ch)
    span.scroll_into_view_if_needed()
    box = span.bounding_box()
    x, y = box["x"] + (c + 0.5) * box["width"] / w, box["y"] + (r + 0.5) * box["height"] / h
    page.mouse.move(x - 3, y - 3)
    page.mouse.move(x, y)
    tip = page.locator(".cnnviz-tip")
    tip.wait_for(state="visible", timeout=10_000)
    m = re.search(rf"row {r}, col {c}: ≈ (\S+) \(read from the colour\)", tip.inner_text())
    assert m, tip.inner_text()
    hover = _number(m[1])
    page.mouse.click(x, y)
    page.wait_for_function(
        "(cell) => { const s = document.querySelector('.st-key-fm_explain_panel');"
        " return !!s && s.innerText.includes(cell); }", arg=f"{ch}, {r}, {c}", timeout=60_000)
    page.wait_for_timeout(1000)
    value_text, total_text = _panel_numbers(page)
    value, total = _number(value_text), _number(total_text)
    assert f"{total:.4g}" == f"{value:.4g}", (value_text, total_text)
    assert abs(hover - value) <= zmax / 127.5 + 0.06 * abs(value) + 1e-6, (hover, value, zmax)
    assert page.locator(".st-key-fm_explain_panel").get_by_text("How this number was computed").count() == 1
    assert "fm_cell=2%2C14%2C12" in page.url or "fm_cell=2,14,12" in page.url, page.url
    screenshot(page, "feature_maps_explain_conv_en")
    # a click on a cell of the inspector's heatmap (the same channel) explains that cell
    page.wait_for_function(
        "(ch) => { const s = document.querySelector('.st-key-fm_inspector');"
        " return !!s && s.innerText.includes(`Channel ${ch} of layer 1:`); }", arg=ch, timeout=60_000)
    plot = page.locator(".st-key-fm_inspector .js-plotly-plot").first
    plot.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    r2, c2 = 5, 20
    where = plot.evaluate(
        "(gd, [r, c]) => { const L = gd._fullLayout, b = gd.getBoundingClientRect();"
        " return [b.left + L.xaxis._offset + L.xaxis.d2p(c), b.top + L.yaxis._offset + L.yaxis.d2p(r)]; }",
        [r2, c2])
    page.mouse.move(where[0] - 2, where[1] - 2)
    page.mouse.click(where[0], where[1])
    page.wait_for_function(
        "(cell) => { const s = document.querySelector('.st-key-fm_explain_panel');"
        " return !!s && s.innerText.includes(cell); }", arg=f"{ch}, {r2}, {c2}", timeout=60_000)
    exact = page.evaluate(
        "([r, c]) => document.querySelector('.st-key-fm_inspector .js-plotly-plot')._fullData[0].z[r][c]",
        [r2, c2])
    value = _number(_panel_numbers(page)[0])
    assert f"{value:.4g}" == f"{exact:.4g}" or abs(value - exact) < 1e-4, (value, exact)


def test_a_probability_click_shows_the_softmax_formula(page, app_server):
    _open_digit(page, app_server, label=3)
    bar = page.locator(".st-key-fm_probs_a .js-plotly-plot .bars path").nth(3)     # class 3: the tall one
    bar.wait_for(timeout=60_000)
    bar.scroll_into_view_if_needed()
    box = bar.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_function(
        "() => { const s = document.querySelector('.st-key-fm_explain_panel');"
        " return !!s && s.innerText.includes('Softmax turns the logits'); }", timeout=60_000)
    page.wait_for_timeout(1000)
    panel = page.locator(".st-key-fm_explain_panel")
    assert panel.locator(".katex").count() >= 1                     # p_i = e^{z_i} / Σ_j e^{z_j}
    assert "cross-entropy" in panel.inner_text()                      # a test digit's label is known
    value, total = (_number(s) for s in _panel_numbers(page))
    assert f"{total:.4g}" == f"{value:.4g}"
    assert "fm_layer=softmax" in page.url and "fm_cell=3" in page.url
    screenshot(page, "feature_maps_explain_softmax_en")


def test_screenshots_in_chinese_and_in_lecture_mode(browser, app_server):
    context = browser.new_context(viewport={"width": 1500, "height": 1100}, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(f"{app_server.url}/feature-maps?fm_mode=digit&fm_digit={_digit(5)}&fm_layer=c3&fm_cell=4,5,5",
                  timeout=120_000)
        page.locator(".st-key-fm_explain_panel").wait_for(timeout=120_000)
        page.wait_for_timeout(2000)
        text = page.locator(".st-key-fm_explain_panel").inner_text()
        if i18n.t("explain.title", "zh") not in text:     # the browser's locale did not choose Chinese
            page.locator("[class*='st-key-cnnviz_lang_widget']").first.click()
            page.get_by_role("option", name=re.compile("中文")).first.click()
            page.wait_for_timeout(3000)
        assert i18n.t("explain.title", "zh") in page.locator(".st-key-fm_explain_panel").inner_text()
        assert i18n.t("inv.title", "zh") in page.locator("body").inner_text()
        screenshot(page, "feature_maps_explain_zh")
        # lecture mode: the big canvas
        page.goto(f"{app_server.url}/feature-maps", timeout=120_000)
        page.locator("[class*='st-key-cnnviz_lecture_widget']").first.wait_for(timeout=120_000)
        page.locator("[class*='st-key-cnnviz_lecture_widget'] label").first.click()
        canvas = page.locator("canvas.upper-canvas").first
        page.wait_for_timeout(3000)
        for _ in range(60):       # the canvas is redrawn at its lecture size (inside the component's shadow root)
            if canvas.bounding_box() and canvas.bounding_box()["width"] >= 420:
                break
            page.wait_for_timeout(1000)
        assert canvas.bounding_box()["width"] >= 420, canvas.bounding_box()
        scale = canvas.bounding_box()["width"] / 280
        draw(page, canvas, [[(x * scale, y * scale) for x, y in line] for line in SEVEN])
        page.locator(".st-key-fm_explain_section").wait_for(timeout=120_000)
        page.wait_for_timeout(2000)
        screenshot(page, "feature_maps_lecture")
    finally:
        context.close()


# ----------------------------------------------------------------------------- a digit on paper, photographed

def test_an_uploaded_photo_of_a_digit_is_read(page, app_server, tmp_path):
    """A phone-like photo (tinted paper, a shadow, JPEG) of a real test digit, uploaded on the page's Photo
    input: the four steps show, and LeNet-5 predicts the digit's label."""
    import numpy as np
    from PIL import Image

    from cnnviz import data, photo

    ds = data.load_embedded()
    index = _digit(3)
    rgb, _ = photo.synthetic_photo(ds.test_x[index].numpy(), np.random.default_rng(5), size=(480, 640),
                                   height=0.5, shadow=0.3, rotate=4.0, quality=70, light_on_dark=False)
    path = tmp_path / "digit.jpg"
    Image.fromarray(rgb).save(path, quality=90)
    page.goto(f"{app_server.url}/feature-maps?fm_mode=photo", timeout=120_000)
    page.locator("[class*='st-key-fm_photo_source']").get_by_text(i18n.t("photo.source_upload", "en")).click()
    upload = page.locator("[class*='st-key-fm_photo_upload'] input[type=file]")
    upload.wait_for(state="attached", timeout=120_000)
    upload.set_input_files(str(path))
    assert read_prediction(page) == "3"
    for step in photo.STEPS:                     # photo -> paper removed -> ink -> 28×28, each shown
        page.get_by_text(i18n.t(f"photo.step.{step}", "en")).first.wait_for(timeout=60_000)
    screenshot(page, "feature_maps_photo")
