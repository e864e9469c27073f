"""What the feature-map page draws: layer colours against plotly's RdBu scale, the PNG writer against PIL,
figure specs against plotly's own validation, layer texts in English and 中文."""

import base64
import io
import json
import re

import numpy as np
import plotly.graph_objects as go
import pytest
import torch
from PIL import Image
from plotly.colors import get_colorscale, sample_colorscale

from cnnviz import colors, figures, models
from cnnviz import featuremaps as fm
from cnnviz.i18n import TEXTS

CJK = re.compile(r"[\u4e00-\u9fff]")


def rgb_of(text: str) -> tuple[int, ...]:
    return tuple(round(float(v)) for v in re.findall(r"[\d.]+", text))


def decode(typed: dict) -> np.ndarray:
    """A plotly.js typed-array spec back to numpy (the reference decoder: plotly.py's dtype codes)."""
    dtype = {"f4": np.float32, "f8": np.float64, "i1": np.int8, "i2": np.int16, "i4": np.int32, "u1": np.uint8,
             "u2": np.uint16, "u4": np.uint32}[typed["dtype"]]
    a = np.frombuffer(base64.b64decode(typed["bdata"]), dtype=dtype)
    return a.reshape([int(n) for n in typed["shape"].split(",")]) if "shape" in typed else a


# ----------------------------------------------------------------------------- colours


def test_feature_colours_match_plotly_rdbu_r():
    """The PNG of a layer uses the same colours as a plotly heatmap with colorscale RdBu_r over ±zmax."""
    zmax = 2.5
    values = np.linspace(-zmax, zmax, 201, dtype=np.float32)
    got = figures.feature_colors(values, zmax)
    want = np.array([rgb_of(c) for c in sample_colorscale(get_colorscale("RdBu_r"),
                                                          ((values + zmax) / (2 * zmax)).tolist())])
    assert np.abs(got.astype(int) - want).max() <= 3
    # 0 is (almost) white, the ends are the scale's darkest blue and red; beyond ±zmax is clipped
    assert np.abs(figures.feature_colors(np.zeros(1), zmax)[0].astype(int) - 247).max() <= 3
    assert tuple(figures.feature_colors(np.array([-99.0]), zmax)[0]) == rgb_of(get_colorscale("RdBu_r")[0][1])
    assert tuple(figures.feature_colors(np.array([99.0]), zmax)[0]) == rgb_of(get_colorscale("RdBu_r")[-1][1])


def test_feature_tile_image_colours_every_channel_and_greys_the_gaps():
    rng = np.random.default_rng(1)
    maps = np.maximum(rng.normal(size=(13, 5, 7)), 0).astype(np.float32)
    tile, index, _ = fm.tile_maps(maps)
    rgb = figures.feature_tile_image(tile, 3.0)
    assert rgb.shape == (*tile.shape, 3) and rgb.dtype == np.uint8
    gaps = index[..., 0] < 0
    assert (rgb[gaps] == np.array(colors.hex_rgb(figures.TILE_GAP_COLOR))).all()
    ch, yy, xx = index[~gaps].T
    assert np.array_equal(rgb[~gaps], figures.feature_colors(maps[ch, yy, xx], 3.0))
    # without zmax: the tile's own largest magnitude is the end of the scale
    auto = figures.feature_tile_image(tile)
    assert np.array_equal(auto, figures.feature_tile_image(tile, float(maps.max())))
    flat = figures.feature_tile_image(np.zeros((3, 3), np.float32))   # all zero: white, no division by 0
    assert np.abs(flat.astype(int) - 247).max() <= 3


def test_colorbar_runs_from_blue_through_white_to_red():
    bar = figures.colorbar_image(256, 10)
    assert bar.shape == (10, 256, 3)
    assert bar[0, 0, 2] > bar[0, 0, 0] and bar[0, -1, 0] > bar[0, -1, 2]
    assert np.abs(bar[0, 128].astype(int) - 247).max() <= 4


@pytest.mark.parametrize("shape", [(1, 1), (5, 7), (71, 79, 3), (4, 9, 4), (3, 2, 1)])
def test_png_bytes_round_trip_through_pil(shape):
    a = np.random.default_rng(2).integers(0, 256, shape, dtype=np.uint8)
    back = np.asarray(Image.open(io.BytesIO(figures.png_bytes(a))))
    assert np.array_equal(back, a[..., 0] if a.ndim == 3 and a.shape[2] == 1 else a)


def test_png_bytes_needs_uint8():
    with pytest.raises(ValueError):
        figures.png_bytes(np.zeros((2, 2), np.float32))


# ----------------------------------------------------------------------------- figure specs


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int16, np.uint8, np.int64])
def test_typed_array_round_trip(dtype):
    a = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype) if dtype != np.uint8 else \
        np.arange(24, dtype=dtype).reshape(2, 3, 4)
    back = decode(figures.typed_array(a))
    assert np.array_equal(back, a) and back.shape == a.shape
    assert figures.typed_array(np.zeros((0,))) == []


def specs():
    rng = np.random.default_rng(3)
    maps = rng.normal(size=(6, 8, 8)).astype(np.float32)
    tile, index, _ = fm.tile_maps(maps)
    img = rng.random((28, 28)).astype(np.float32)
    return {
        "tile": (figures.feature_tile_spec(tile, index, "t", zmax=2.0), tile),
        "channel": (figures.channel_spec(maps[3], 3, zmax=2.0, title="c"), maps[3]),
        "digit": (figures.digit_spec(img), img),
        # the grey input under the attribution (no hover) is sent as its 256 levels
        "attribution": (figures.attribution_spec(img, img - 0.5, signed=True), np.round(img * 255).astype(np.uint8)),
        "bars": (figures.activation_bars_spec(rng.normal(size=20).astype(np.float32)), None),
        "probs": (figures.probability_spec(np.full(10, 0.1), [str(i) for i in range(10)]), None),
    }


@pytest.mark.parametrize("name", ["tile", "channel", "digit", "attribution", "bars", "probs"])
def test_specs_are_valid_plotly_figures_with_the_data_sent_unchanged(name):
    spec, z = specs()[name]
    fig = go.Figure(spec)                 # plotly's validation: raises on any invalid property
    assert fig.layout.height
    if z is not None:
        sent = decode(spec["data"][0]["z"])
        assert np.array_equal(sent, z, equal_nan=True)
        validated = fig.to_dict()["data"][0]["z"]  # what plotly.py itself would have sent
        assert np.array_equal(decode(validated), z, equal_nan=True)
    if name == "tile":
        assert np.array_equal(decode(spec["data"][0]["customdata"])[..., 0] >= 0, np.isfinite(z))


def test_bars_are_coloured_as_the_tiled_layers_and_sent_small():
    """A vector layer's bars get the colours its values would have in a tiled layer (the same 256 steps of
    the scale, over the same range), the values themselves unchanged for hover, and no x (bars 0..N-1)."""
    values = np.random.default_rng(5).normal(size=120).astype(np.float32) * 3
    spec = figures.activation_bars_spec(values, zmax=4.0)
    bar = spec["data"][0]
    assert "x" not in bar and np.array_equal(decode(bar["y"]), values)
    steps = np.array(bar["marker"]["color"])
    assert (bar["marker"]["cmin"], bar["marker"]["cmax"]) == (0, 255)
    assert np.array_equal(figures.FEATURE_LUT[steps], figures.feature_colors(values, 4.0))
    fig = go.Figure(spec)
    assert len(fig.data[0].marker.color) == 120
    assert len(json.dumps(spec)) < 2000          # was 4.5 kB with every colour written out as a float
    labelled = figures.activation_bars_spec(values[:10], labels=list("0123456789"))
    assert labelled["data"][0]["x"] == list("0123456789")


def test_spec_colours_are_stops_that_plotly_js_reads():
    """Specs are not validated by plotly.py, so a colour-scale name that only plotly.py knows ("RdBu_r",
    "gray") would reach the browser as an unknown name: every scale is a list of stops, and the feature
    scale is RdBu_r's."""
    def scales(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "colorscale":
                    yield v
                else:
                    yield from scales(v)
        elif isinstance(node, list):
            for v in node:
                yield from scales(v)

    for spec, _ in specs().values():
        for scale in scales(spec):
            assert isinstance(scale, list) and scale[0][0] == 0 and scale[-1][0] == 1, scale
    want = [rgb_of(c) for _, c in get_colorscale("RdBu_r")]
    assert [colors.hex_rgb(c) for _, c in figures.FEATURE_SCALE] == want


def test_channel_spec_is_a_valid_figure_with_its_channel_on_hover():
    spec, _ = specs()["channel"]
    fig = go.Figure(figures.channel_spec(np.ones((4, 4), np.float32), 0))
    assert isinstance(fig, go.Figure) and "channel 0" in fig.data[0].hovertemplate
    assert spec["data"][0]["hovertemplate"].startswith("channel 3")


# ----------------------------------------------------------------------------- layer texts


@pytest.fixture
def language():
    """Set the language that ``ui.i18n.t`` uses outside a script run (restored afterwards)."""
    from ui import i18n as ui_i18n

    old = ui_i18n._LAST[0]

    def set_lang(code: str) -> None:
        ui_i18n._LAST[0] = code

    yield set_lang
    ui_i18n._LAST[0] = old


def all_layer_texts() -> list:
    """Every layer's title, group and note (Msg or None) of every architecture, the first filters' titles
    and two descriptions with a stride."""
    out = []
    for arch in models.names():
        model = models.build(arch).eval()
        a = fm.analyze(model, torch.zeros(1, 1, 28, 28))
        out += [(v.title, v.group, v.note) for v in a.layers]
        filt = fm.first_filters(model)
        if filt is not None:
            out.append((filt.title, None, None))
    out.append((fm.describe(torch.nn.Conv2d(8, 8, 3, stride=2, padding=1)), None, None))
    out.append((fm.describe(torch.nn.AvgPool2d(3, stride=1)), None, None))
    return out


def test_layer_texts_in_english():
    english = {m.english() for triple in all_layer_texts() for m in triple if m is not None}
    assert {"conv 5×5, 1→6, pad 2", "max pool 2×2", "fully connected 120→84", "conv 3×3, 8→8, pad 1, stride 2",
            "average pool 3×3, stride 1", "Inception block 1 › 5×5 branch", "Dense block 2 › layer 3",
            "its input plus 12 new maps = 28 channels", "conv 1×1, 52→26",
            "the four branches side by side: 16 + 24 + 24 + 24 = 88 channels",
            "fully connected 784→256 (each unit's weights as a 28×28 template)"} <= english


ALLOWED_LATIN = {"ReLU", "Inception", "F", "x", "softmax", "logits", "Grad", "CAM"}


def test_layer_texts_in_chinese():
    seen = set()
    for triple in all_layer_texts():
        for m in triple:
            if m is None:
                continue
            chinese = m.render("zh")
            assert CJK.search(chinese), (m.english(), chinese)
            leftover = set(re.findall(r"[A-Za-z]+", chinese)) - ALLOWED_LATIN
            assert not leftover, (m.english(), chinese)
            seen.add(chinese)
    assert "卷积 5×5，1→6，填充 2" in seen and "最大池化 2×2" in seen and "全连接层 120→84" in seen
    assert "Inception 模块 1 中的 5×5 分支" in seen and "稠密块 2 中的 第 3 层" in seen
    assert "它的输入加上 12 张新特征图 = 28 个通道" in seen and "卷积 3×3，8→8，填充 1，步幅 2" in seen


def test_attribution_notes_translate():
    lenet = models.build("lenet5").eval()
    note = fm.attribute(lenet, torch.zeros(1, 1, 28, 28), 3, "gradcam").note
    assert note.english() == "Grad-CAM on layer s4 (max pool 2×2, 5×5 maps), scaled up to 28×28."
    assert note.render("zh") == "在层 s4（最大池化 2×2，5×5 特征图）上计算 Grad-CAM，再放大到 28×28。"
    mlp_note = fm.attribute(models.build("mlp").eval(), torch.zeros(1, 1, 28, 28), 3, "gradcam").note
    assert mlp_note.render("zh") == TEXTS["zh"]["fm.note.no_gradcam"]


def test_hover_labels_in_the_readers_language():
    tile = figures.feature_tile_spec(np.zeros((3, 3), np.float32), np.zeros((3, 3, 3), np.int16), lang="zh")
    assert tile["data"][0]["hovertemplate"] == ("通道 %{customdata[0]}<br>行 %{customdata[1]}, 列 %{customdata[2]}<br>"
                                                "数值 %{z:.3f}<extra></extra>")
    zh = [figures.channel_spec(np.ones((4, 4), np.float32), 2, lang="zh"),
          figures.activation_bars_spec(np.ones(10, np.float32), labels=list("0123456789"), lang="zh"),
          figures.probability_spec(np.full(10, 0.1), list("0123456789"), lang="zh"),
          figures.digit_spec(np.zeros((28, 28), np.float32), lang="zh"),
          figures.attribution_spec(np.zeros((28, 28)), np.ones((28, 28)), lang="zh")]
    for spec in zh:
        hover = [tr["hovertemplate"] for tr in spec["data"] if "hovertemplate" in tr]
        words = re.sub(r"%\{[^}]*\}|<[^>]*>", " ", " ".join(hover))
        assert hover and CJK.search(words) and not re.findall(r"[A-Za-z]{2,}", words), hover


def test_prevalidated_figures_pass_through_plotly_unchanged():
    """ui.compat_plotly: plotly (as st.plotly_chart calls it) takes the figure as validated and sends the
    spec itself.  If this fails after an upgrade, use go.Figure(spec) in ui.compat_plotly.prevalidated_figure."""
    import plotly
    import plotly.tools
    import streamlit

    from ui import compat_plotly

    spec = figures.probability_spec(np.full(10, 0.1), list("0123456789"))
    fig = compat_plotly.prevalidated_figure(spec)
    passed = plotly.tools.return_figure_from_figure_or_data(fig, validate_figure=True)
    assert passed is spec, "plotly no longer passes a prevalidated figure through: see ui/compat_plotly.py"
    versions = {"plotly": plotly.__version__, "streamlit": streamlit.__version__}
    assert all(versions[k].startswith(v) for k, v in compat_plotly.TESTED_WITH.items()), (
        f"plotly/Streamlit changed ({versions}, checked with {compat_plotly.TESTED_WITH}): rerun this test, "
        "then update ui.compat_plotly.TESTED_WITH")
