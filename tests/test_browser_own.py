"""Own networks and own data in a real browser, the whole way:

(a) design a small network on the training page, see a shape error block Start, fix it, train one epoch,
    save it, and open its layers on the feature-map page;
(b) draw a 3-class dataset on the "Your data" page's canvas, train one epoch on it, save, and read a
    prediction named by one of its classes on the feature-map page.

The server keeps its datasets and checkpoints in temporary folders of this module. Screenshots go to
``artifacts/own_*.png``. No timing assertions: the timeouts are generous because the machine is shared.
"""

from __future__ import annotations

import math
import re
import tempfile
from pathlib import Path

import pytest

from cnnviz import checkpoints, i18n, models, userdata
from tests.browser_support import (
    assert_no_errors,
    choose_option,
    chromium_missing,
    open_page,
    screenshot,
    wait_idle,
)
from tests.browser_support import draw_strokes as draw

_missing = chromium_missing()
pytestmark = pytest.mark.skipif(_missing is not None, reason=_missing or "")

_FOLDER = Path(tempfile.mkdtemp(prefix="cnnviz-own-"))
USER_DATA, USER_CHECKPOINTS = _FOLDER / "data", _FOLDER / "checkpoints"
SERVER_ENV = {"CNNVIZ_TRAIN_LIMIT": "2000", "CNNVIZ_TEST_LIMIT": "500", "CNNVIZ_MAX_JOBS": "1",
              "CNNVIZ_ORPHAN_TIMEOUT": "120", "CNNVIZ_USER_DATA": str(USER_DATA),
              "CNNVIZ_USER_CHECKPOINTS": str(USER_CHECKPOINTS)}
GOOD = "conv 6 5 pad=2\nrelu\nmaxpool 2\nconv 12 5\nrelu\nmaxpool 2\nflatten\nlinear 10\n"
BAD = GOOD.replace("flatten", "maxpool 2\nmaxpool 2\nmaxpool 2\nflatten")   # the third extra pooling meets a 1×1 map
SEVEN = [[(65, 45), (215, 45), (120, 245)]]
CLASSES = ("circle", "triangle", "square")
PER_CLASS = 6


def t(key: str, **fmt) -> str:
    return i18n.t(key, "en", **fmt)


def set_number(page, key: str, value: str) -> None:
    box = page.locator(f"[class*='st-key-{key}'] input")
    box.wait_for(timeout=120_000)
    box.fill(value)
    box.press("Tab")
    wait_idle(page)


def shape(name: str, i: int) -> list[list[tuple[float, float]]]:
    """A stroke of the class's shape on the 280×280 canvas, a little larger or shifted for each ``i``."""
    r, dx, dy = 70 + 8 * (i % 3), 10 * (i % 2) - 5, 8 * (i % 3) - 8
    cx, cy = 140 + dx, 140 + dy
    if name == "circle":
        return [[(cx + r * math.cos(a / 20 * 2 * math.pi), cy + r * math.sin(a / 20 * 2 * math.pi))
                 for a in range(21)]]
    if name == "triangle":
        return [[(cx, cy - r), (cx + r, cy + r * 0.8), (cx - r, cy + r * 0.8), (cx, cy - r)]]
    return [[(cx - r, cy - r), (cx + r, cy - r), (cx + r, cy + r), (cx - r, cy + r), (cx - r, cy - r)]]


def train_one_epoch_and_save(page, server, arch: str, name: str) -> None:
    """On the training page (dataset and architecture chosen): 1 epoch, wait for the result, save as ``name``."""
    set_number(page, f"train_epochs_{arch}", "1")
    page.get_by_role("button", name=re.compile("Start training")).click()
    page.get_by_text(re.compile(r"Finished 1 epoch")).first.wait_for(timeout=300_000)
    wait_idle(page)
    assert_no_errors(page, server, "training page after the run")
    name_box = page.locator("[class*='st-key-name_'] input").first
    name_box.fill(name)
    name_box.press("Tab")
    wait_idle(page)
    page.get_by_role("button", name=re.compile("Save checkpoint")).click()
    page.get_by_text(re.compile("Saved as")).first.wait_for(timeout=60_000)
    wait_idle(page)


def open_on_feature_maps(page, server, name: str):
    """The feature-map page with the saved checkpoint ``name`` chosen; returns the canvas."""
    open_page(page, server, "feature-maps")
    page.get_by_text("The feature maps appear here").wait_for(timeout=120_000)
    choose_option(page, "fm_model_a", re.compile(re.escape(f"· {name} ·")))
    page.get_by_text("The feature maps appear here").wait_for(timeout=120_000)
    canvas = page.locator("canvas.upper-canvas").first
    canvas.wait_for(timeout=60_000)
    page.wait_for_timeout(3000)
    return canvas


def draw_until_analyzed(page, strokes) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    done = ("() => document.body.innerText.includes('Inside the network') && "
            "!document.body.innerText.includes('The feature maps appear here')")
    for attempt in range(2):
        draw(page, page.locator("canvas.upper-canvas").first, strokes)
        try:
            page.wait_for_function(done, timeout=60_000 if attempt == 0 else 120_000)
            break
        except PlaywrightTimeout:
            if attempt:
                raise
            page.get_by_role("button", name=re.compile("Clear")).click()
            page.wait_for_timeout(3000)
    wait_idle(page)
    page.wait_for_timeout(1500)


def read_prediction(page, labels: str) -> str:
    loc = page.get_by_text(re.compile(rf"^Prediction: ({labels})$")).first
    loc.wait_for(timeout=120_000)
    return loc.inner_text().strip().removeprefix("Prediction: ")


# ----------------------------------------------------------------------------- (a) design your own

def test_design_fix_train_save_and_open_layers(page, app_server):
    page.set_viewport_size({"width": 1500, "height": 1100})
    open_page(page, app_server, "training")
    choose_option(page, "train_arch", re.compile(re.escape(t("train.design_own"))))
    editor = page.locator("[class*='st-key-design_text'] textarea")
    editor.wait_for(timeout=120_000)
    # a shape error: the last pooling meets a 1×1 map
    editor.fill(BAD)
    editor.press("Control+Enter")
    page.get_by_text(re.compile("Fix the network above first")).first.wait_for(timeout=60_000)
    wait_idle(page)
    start = page.get_by_role("button", name=re.compile("Start training"))
    assert start.is_disabled()
    assert page.get_by_text(re.compile(r"Layer 9 \(maxpool\): a 2×2 window does not fit on a 1×1 map")).count()
    screenshot(page, "own_design_error")
    # fixed: the layer table with each output shape, Start enabled
    editor.fill(GOOD)
    editor.press("Control+Enter")
    page.get_by_text(re.compile(r"output 10 = 10 classes")).first.wait_for(timeout=60_000)
    wait_idle(page)
    assert not page.get_by_text(re.compile("Fix the network above first")).count()
    assert start.is_enabled()
    assert_no_errors(page, app_server, "training page with a valid design")
    screenshot(page, "own_design_fixed")
    train_one_epoch_and_save(page, app_server, models.CUSTOM, "my-design")
    screenshot(page, "own_design_trained")
    _, meta = checkpoints.load_checkpoint(USER_CHECKPOINTS / "my-design.safetensors")
    assert meta.arch == models.CUSTOM and [layer["kind"] for layer in meta.spec][:3] == ["conv", "relu", "maxpool"]

    open_on_feature_maps(page, app_server, "my-design")
    draw_until_analyzed(page, SEVEN)
    read_prediction(page, r"\d")
    assert_no_errors(page, app_server, "feature-map page with the designed network")
    # its layers: one picture per spatial layer (conv, relu, pool twice) of the designed network
    tiles = page.locator("figure.cnnviz-tile")
    assert tiles.count() >= 6, tiles.count()
    screenshot(page, "own_design_feature_maps")


# ----------------------------------------------------------------------------- (b) your data, drawn

def test_draw_a_dataset_train_and_predict_a_class(page, app_server, monkeypatch):
    page.set_viewport_size({"width": 1500, "height": 1100})
    open_page(page, app_server, "your-data")
    page.locator("[class*='st-key-ud_method']").get_by_text(t("ud.method_draw")).click()
    wait_idle(page)
    for name in CLASSES:
        page.locator("[class*='st-key-ud_current_draw']").get_by_text(name, exact=True).click()
        wait_idle(page)
        for i in range(PER_CLASS):
            canvas = page.locator("canvas.upper-canvas").first
            canvas.wait_for(timeout=60_000)
            page.wait_for_timeout(800)
            add = page.get_by_role("button", name=t("ud.add"))
            for attempt in range(3):
                draw(page, canvas, shape(name, i))
                try:
                    page.wait_for_function("() => { const b = [...document.querySelectorAll('button')].find("
                                           "e => e.innerText.includes('Add this example')); return b && !b.disabled; }",
                                           timeout=30_000)
                    break
                except Exception:
                    if attempt == 2:
                        raise
            add.click()
            page.get_by_text(t("ud.class_count", cls=name, n=i + 1)).first.wait_for(timeout=60_000)
            wait_idle(page)
    screenshot(page, "own_data_drawn")
    page.get_by_role("button", name=t("ud.build")).click()
    page.get_by_text(t("ud.result")).first.wait_for(timeout=120_000)
    wait_idle(page)
    name_box = page.locator("[class*='st-key-ud_name'] input")
    name_box.fill("shapes3")
    name_box.press("Tab")
    wait_idle(page)
    page.get_by_role("button", name=t("ud.save")).click()
    page.get_by_text(re.compile("Saved as")).first.wait_for(timeout=60_000)
    assert_no_errors(page, app_server, "your-data page after saving")
    screenshot(page, "own_data_saved")
    monkeypatch.setenv("CNNVIZ_USER_DATA", str(USER_DATA))   # read the server's folder from here too
    assert userdata.load_dataset("shapes3").classes == list(CLASSES)

    open_page(page, app_server, "training")
    choose_option(page, "train_dataset", re.compile(re.escape(t("train.ds_user", name="shapes3", n=3))))
    train_one_epoch_and_save(page, app_server, "lenet5", "shapes-net")
    screenshot(page, "own_data_trained")
    _, meta = checkpoints.load_checkpoint(USER_CHECKPOINTS / "shapes-net.safetensors")
    assert meta.classes == list(CLASSES)

    open_on_feature_maps(page, app_server, "shapes-net")
    draw_until_analyzed(page, shape("circle", 1))
    predicted = read_prediction(page, "|".join(CLASSES))
    assert predicted in CLASSES
    assert_no_errors(page, app_server, "feature-map page with the 3-class network")
    screenshot(page, "own_data_feature_maps")

