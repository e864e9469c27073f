"""AppTest for the feature-map page: a pre-filled canvas through session state, test digits, model switching,
comparison, an unreadable checkpoint."""

import base64
import html
import io
import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from cnnviz import checkpoints, data, drawing

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "feature_maps.py")
pytestmark = pytest.mark.skipif(not checkpoints.list_checkpoints(),
                                reason="no shipped checkpoints in checkpoints/ yet")


def canvas_state(rgba: np.ndarray) -> dict:
    """What streamlit-drawable-canvas keeps in session state after a drawing: the PNG as a data URL."""
    buf = io.BytesIO()
    Image.fromarray(rgba).save(buf, format="PNG")
    url = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    return {"drawing": {"raw": {"objects": [{"type": "path"}]}, "data": url}, "backgroundFit": None}


def prediction(at: AppTest) -> str | None:
    for m in at.markdown:
        for head in ("**Prediction: ", "**预测："):
            if m.value.startswith(head):
                return m.value.split("**")[1].removeprefix(head[2:])
    return None


def model_option(at: AppTest, name: str, key: str = "fm_model_a") -> str:
    """The option value of a shipped checkpoint (the label shows its architecture, name and accuracy)."""
    assert any(f"· {name} " in o or o.endswith(f"· {name}") for o in at.selectbox(key=key).options)
    return f"shipped:{name}"


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNVIZ_USER_CHECKPOINTS", str(tmp_path))
    return AppTest.from_file(PAGE, default_timeout=120)


def test_empty_canvas_prompts_without_error(app):
    app.run()
    assert not app.exception
    assert any("Draw a digit" in i.value for i in app.info)
    assert prediction(app) is None and not app.error


def test_drawn_digit_through_session_state_and_model_switching(app):
    ds = data.load_embedded()
    idx = int(np.flatnonzero(ds.test_y.numpy() == 7)[0])
    app.session_state["fm_canvas_0"] = canvas_state(drawing.render_digit(ds.test_x[idx].numpy(), height=190))
    app.run()
    assert not app.exception and not app.error
    assert prediction(app) == "7"
    names = [i.name for i in checkpoints.list_checkpoints() if i.meta]
    for name in [n for n in ("inception", "resnet", "densenet", "mlp") if n in names]:
        app.selectbox(key="fm_model_a").set_value(model_option(app, name)).run()
        assert not app.exception and not app.error, name
        assert prediction(app) == "7", name
    app.radio(key="fm_scale").set_value("global").run()
    app.selectbox(key="fm_method").set_value("gradcam").run()
    assert not app.exception and not app.error
    # clear: a new, empty canvas
    app.button(key="fm_clear").click().run()
    assert not app.exception and prediction(app) is None


def test_test_digit_input_and_class_choice(app):
    app.run()
    app.segmented_control(key="fm_mode").set_value("digit").run()
    assert not app.exception and prediction(app) is not None
    app.selectbox(key="fm_digit_class").set_value("3").run()
    assert not app.exception
    assert any("a real MNIST 3" in c.value for c in app.caption)
    app.button(key="fm_new_digit").click().run()
    assert not app.exception and any("a real MNIST 3" in c.value for c in app.caption)
    assert prediction(app) is not None


def test_compare_two_architectures_and_unreadable_checkpoint(app, tmp_path):
    (tmp_path / "broken.safetensors").write_bytes(b"\x00" * 20)
    ds = data.load_embedded()
    idx = int(np.flatnonzero(ds.test_y.numpy() == 2)[0])
    app.session_state["fm_canvas_0"] = canvas_state(drawing.render_digit(ds.test_x[idx].numpy(), height=200))
    app.run()
    app.toggle(key="fm_compare").set_value(True).run()
    assert not app.exception
    assert any("broken" in o and "unreadable" in o for o in app.selectbox(key="fm_model_b").options)
    app.selectbox(key="fm_model_b").set_value("user:broken").run()
    assert not app.exception
    assert any("broken" in e.value and "cannot" in e.value for e in app.error)
    assert prediction(app) is not None                  # the first model still works
    names = [i.name for i in checkpoints.list_checkpoints() if i.meta]
    if "resnet" in names:
        app.selectbox(key="fm_model_b").set_value(model_option(app, "resnet", "fm_model_b")).run()
        assert not app.exception and not app.error
        assert sum(m.value.startswith("Prediction: **") for m in app.markdown) == 2


# ----------------------------------------------------------------------------- layers as images, the channel inspector

def drawn(app, digit: int = 7, height: int = 190):
    ds = data.load_embedded()
    idx = int(np.flatnonzero(ds.test_y.numpy() == digit)[0])
    rgba = drawing.render_digit(ds.test_x[idx].numpy(), height=height)
    app.session_state["fm_canvas_0"] = canvas_state(rgba)
    return rgba


def reference(rgba: np.ndarray, name: str = "lenet5"):
    """The analysis the page must show, computed directly (the same function, a separately loaded model)."""
    from cnnviz import featuremaps as fm

    model, meta = checkpoints.load_checkpoint(checkpoints.shipped_path(name))
    return fm.analyze_canvas(model, meta, rgba)


def png_of(url: str) -> np.ndarray:
    assert url.startswith("data:image/png;base64,")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("RGB"))


_TILE = re.compile(r'<figure class="cnnviz-tile" data-layer="(\d+)" data-h="(\d+)" data-w="(\d+)" data-zmax="([^"]+)">'
                   r'<div class="cnnviz-tile-box"><img src="([^"]+)" alt="([^"]*)">'
                   r'(.*?)</div><figcaption>(.*?)</figcaption></figure>', re.S)


def tiles(at: AppTest) -> list[SimpleNamespace]:
    """The tiled layer images the page sent (``st.html``): layer index, one channel's height and width and
    the colour range (for the hover script), PNG URL, alt text, hover titles and channel numbers, caption."""
    out = []
    for h in at.get("html"):
        m = _TILE.fullmatch(h.proto.body)
        if m:
            titles = [html.unescape(x) for x in re.findall(r'title="([^"]*)"', m[7])]
            channels = [int(x) for x in re.findall(r'<span data-ch="(\d+)"', m[7])]
            out.append(SimpleNamespace(layer=int(m[1]), size=(int(m[2]), int(m[3])), zmax=float(m[4]), url=m[5],
                                       alt=html.unescape(m[6]), titles=titles, channels=channels,
                                       caption=html.unescape(m[8])))
    return out


def specs_of(at: AppTest) -> dict[str, dict]:
    import json

    return {c.proto.id: json.loads(c.proto.spec) for c in at.get("plotly_chart")}


def decode(typed: dict) -> np.ndarray:
    dtype = {"f4": np.float32, "f8": np.float64, "i2": np.int16, "i4": np.int32, "u1": np.uint8}[typed["dtype"]]
    a = np.frombuffer(base64.b64decode(typed["bdata"]), dtype=dtype)
    return a.reshape([int(n) for n in typed["shape"].split(",")]) if "shape" in typed else a


@pytest.mark.skipif(not checkpoints.shipped_path("lenet5").is_file(), reason="no shipped LeNet-5")
@pytest.mark.parametrize("scale", ["layer", "global"])
def test_every_spatial_layer_is_one_image_with_the_right_colours(app, scale):
    from cnnviz import figures
    from ui.feature_maps import MIN_SIDE

    rgba = drawn(app)
    app.session_state["fm_scale"] = scale
    app.run()
    assert not app.exception and not app.error
    ref = reference(rgba)
    spatial = [v for v in ref.layers if not v.is_vector]
    # one image per spatial layer, in forward order, labelled with the shape
    images = tiles(app)
    assert len(images) == len(spatial)
    labels = [m.value for m in app.markdown if m.value.startswith("**") and " · " in m.value]
    for v in ref.layers:
        assert any(lab.startswith(f"**{v.index + 1}. {v.title} · {v.shape_text}") for lab in labels), v.name
    for img, v in zip(images, spatial):
        zmax = v.absmax if scale == "layer" else ref.maps_absmax
        want = figures.feature_tile_image(v.tile, zmax)
        f = max(1, MIN_SIDE // max(want.shape[:2]))          # small tiles are enlarged on the server too
        enlarged = Image.fromarray(want).resize((want.shape[1] * f, want.shape[0] * f), Image.Resampling.NEAREST)
        assert np.array_equal(png_of(img.url), np.asarray(enlarged)), v.name
        assert f"{v.shape[0]} channels" in img.caption or v.shape[0] == 1
        assert f"colour range ±{zmax:.3g}" in img.caption
        assert img.alt.startswith(f"{v.index + 1}. {v.title}")
        # what the hover script needs to name the row, column and value under the pointer
        assert (img.layer, img.size, img.zmax) == (v.index, v.shape[1:], zmax)
        assert img.channels == list(range(v.shape[0]))
        # hovering a channel's square names the channel and gives its values
        assert len(img.titles) == v.shape[0]
        for k in (0, v.shape[0] - 1):
            ch = v.values[k]
            assert img.titles[k] == (f"channel {k} · min {ch.min():.3g} · max {ch.max():.3g} · "
                                     f"mean {ch.mean():.3g}")
    if scale == "global":
        assert any(f"±{ref.maps_absmax:.2f}" in c.value for c in app.caption)
    # fully connected layers stay bar charts: one per vector layer, with the layer's values
    bars = [s for s in specs_of(app).values() if s["data"][0]["type"] == "bar" and "unit" in
            s["data"][0]["hovertemplate"]]
    vectors = [v for v in ref.layers if v.is_vector and v is not ref.layers[-1]]
    assert len(bars) == len(vectors)
    for spec, v in zip(bars, vectors):
        np.testing.assert_allclose(decode(spec["data"][0]["y"]), v.values.ravel(), rtol=1e-5, atol=1e-5)


@pytest.mark.skipif(not checkpoints.shipped_path("lenet5").is_file(), reason="no shipped LeNet-5")
def test_channel_inspector_shows_the_values_of_the_chosen_channel(app):
    rgba = drawn(app, 3)
    app.run()
    ref = reference(rgba)
    c3 = next(v for v in ref.layers if v.name == "c3")            # conv 5×5, 6→16: 16×10×10
    box = app.selectbox(key="fm_inspect_layer_shipped:lenet5")
    assert len(box.options) == sum(not v.is_vector for v in ref.layers)
    box.set_value(c3.index).run()
    app.slider(key=f"fm_inspect_ch_shipped:lenet5_{c3.index}").set_value(11).run()
    assert not app.exception and not app.error
    spec = next(s for s in specs_of(app).values() if s["data"][0].get("hovertemplate", "").startswith("channel "))
    heat = spec["data"][0]
    assert heat["hovertemplate"].startswith("channel 11<br>row %{y}, col %{x}<br>value %{z")
    np.testing.assert_allclose(decode(heat["z"]), c3.values[11], rtol=1e-5, atol=1e-5)
    assert heat["zmax"] == pytest.approx(c3.absmax, rel=1e-5) and heat["zmin"] == -heat["zmax"]
    ch = c3.values[11]
    assert any(f"min {ch.min():.3f} · max {ch.max():.3f}" in c.value for c in app.caption)
    # switching the model gives the new model's layers
    app.selectbox(key="fm_model_a").set_value(model_option(app, "resnet")).run()
    assert not app.exception
    assert app.selectbox(key="fm_inspect_layer_shipped:resnet").value == 0


def test_a_click_on_a_channel_opens_it_in_the_inspector(app):
    """The hover script (ui.interact) sends {layer, channel} when a channel of the first model is clicked;
    its callback stores that under PICK_KEY, and the next run sets the inspector to it."""
    pick_key = "fm_tile_pick"
    rgba = drawn(app, 3)
    app.run()
    ref = reference(rgba)
    c3 = next(v for v in ref.layers if v.name == "c3")            # 16 channels
    # the page mounts the script once (the canvas is a v2 component too)
    assert [e.proto.component_name for e in app.get("bidi_component")].count("cnnviz_tile_hover") == 1
    app.session_state[pick_key] = {"layer": c3.index, "channel": 9}
    app.run()
    assert not app.exception and not app.error
    assert app.selectbox(key="fm_inspect_layer_shipped:lenet5").value == c3.index
    assert app.slider(key=f"fm_inspect_ch_shipped:lenet5_{c3.index}").value == 9
    heat = next(s for s in specs_of(app).values()
                if s["data"][0].get("hovertemplate", "").startswith("channel "))["data"][0]
    np.testing.assert_allclose(decode(heat["z"]), c3.values[9], rtol=1e-5, atol=1e-5)
    assert pick_key not in app.session_state                       # used once
    # a pick that no longer fits (another model's layer, a channel past the end) changes nothing or is clamped
    app.session_state[pick_key] = {"layer": 999, "channel": 0}
    app.run()
    assert app.selectbox(key="fm_inspect_layer_shipped:lenet5").value == c3.index
    app.session_state[pick_key] = {"layer": c3.index, "channel": 500}
    app.run()
    assert not app.exception
    assert app.slider(key=f"fm_inspect_ch_shipped:lenet5_{c3.index}").value == 15
    for bad in ({"layer": [1]}, {"layer": "x"}, {"channel": 3}, {"layer": c3.index, "channel": None}):
        app.session_state[pick_key] = bad
        app.run()
        assert not app.exception, bad
        assert app.slider(key=f"fm_inspect_ch_shipped:lenet5_{c3.index}").value == 15


@pytest.mark.skipif(not checkpoints.shipped_path("lenet5").is_file(), reason="no shipped LeNet-5")
def test_drawn_digit_in_chinese_with_lecture_mode(app):
    import json
    import re

    from cnnviz import i18n
    from ui import sidebar

    rgba = drawn(app, 7)
    app.session_state["cnnviz_lang"] = "zh"
    app.session_state["cnnviz_lecture"] = True
    app.run()
    assert not app.exception and not app.error
    assert prediction(app) == "7"
    assert reference(rgba).pred == 7
    text = " ".join(m.value for m in app.markdown)
    assert "第 1 层 · 卷积 5×5，1→6，填充 2 · 6×28×28" in text and "全连接层 84→10" in text
    assert "logits（未归一化的分数）" in text
    captions = " ".join(img.caption for img in tiles(app))
    assert "6 个通道，每行 3 个" in captions and "channels" not in captions
    assert tiles(app)[0].titles[0].startswith("通道 0 · 最小 ")
    # fewer controls: no stroke width, no attribution choice; the inspector stays
    assert not [w for w in app.slider if w.key == "fm_stroke"]
    assert not [w for w in app.selectbox if w.key == "fm_method"]
    assert app.selectbox(key="fm_inspect_layer_shipped:lenet5").label == i18n.t("fm.inspect_layer", "zh")
    # bigger figures and type; hover labels in Chinese
    layouts = [json.loads(c.proto.spec)["layout"] for c in app.get("plotly_chart")]
    assert all(lay["font"]["size"] == sidebar.FONT_SIZE for lay in layouts)
    assert round(240 * sidebar.FIGURE_SCALE) in [lay["height"] for lay in layouts]     # the probabilities
    hovers = " ".join(json.loads(c.proto.spec)["data"][0].get("hovertemplate", "") for c in app.get("plotly_chart"))
    assert "概率" in hovers and "通道" in hovers
    assert not re.search(r"\b(channel|value|probability)\b", hovers)


# ----------------------------------------------------------------------------- hostile canvas values

def rss_bytes() -> int:
    import os

    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_a_huge_png_from_the_canvas_is_refused_without_decoding(app):
    """What a hostile browser can send as the canvas's value: a data URL of a 13000 x 13000 PNG (under
    1 MB).  The page refuses it with a message, and memory does not grow by more than a few MB (the
    component's own image_data would decode it: ~676 MB)."""
    from test_drawing import huge_blank_png

    png = huge_blank_png(13000)
    app.run()
    url = "data:image/png;base64," + base64.b64encode(png).decode()
    app.session_state["fm_canvas_0"] = {"drawing": {"raw": {"objects": [{"type": "path"}]}, "data": url},
                                        "backgroundFit": None}
    before = rss_bytes()
    app.run()
    assert rss_bytes() - before < 16 * 2**20
    assert not app.exception
    assert any("13000×13000" in w.value for w in app.warning)
    assert prediction(app) is None
    # a JPEG (a format the canvas never sends) is refused too, in the reader's language
    buf = io.BytesIO()
    Image.fromarray(np.zeros((280, 280, 3), np.uint8)).save(buf, format="JPEG")
    app.session_state["cnnviz_lang"] = "zh"
    app.session_state["fm_canvas_0"] = {"drawing": {"raw": {"objects": []}, "data": "data:image/jpeg;base64,"
                                                    + base64.b64encode(buf.getvalue()).decode()}, "backgroundFit": None}
    app.run()
    assert not app.exception and any("PNG" in w.value and "画布" in w.value for w in app.warning)


@pytest.mark.parametrize("value", [
    {"drawing": [1, 2, 3], "backgroundFit": None},                               # drawing not a dict
    {"drawing": {"raw": {}, "data": None}, "backgroundFit": {"naturalWidth": 3}},  # a bad backgroundFit
    {"drawing": {"raw": {}, "data": 12345}, "backgroundFit": None},              # data not a data URL
    {"drawing": {"raw": {}, "data": "data:image/png,not-base64"}, "backgroundFit": None},
], ids=["drawing-list", "background-fit", "data-number", "data-not-base64"])
def test_a_malformed_canvas_value_resets_the_canvas(app, value):
    app.run()
    app.session_state["fm_canvas_0"] = value
    app.run()
    assert not app.exception
    assert app.session_state["fm_canvas_n"] == 1                      # a new, empty canvas
    assert any("reset" in w.value for w in app.warning)
    assert [b for b in app.button if b.key == "fm_clear"]              # the Clear button is drawn
    app.run()
    assert not app.exception and not [w for w in app.warning if "reset" in w.value]   # said once
