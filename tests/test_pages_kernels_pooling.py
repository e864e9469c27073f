"""AppTest: the kernels and pooling pages with presets, parameters, uploads and every bad input.

Streamlit 1.67's AppTest supports ``st.file_uploader`` (``set_value``/``upload``), so uploads go
through the real widget.  It cannot type into ``st.data_editor``; the custom grid starts from
``st.session_state["kernels_custom_grid"]``, which the test sets to the bad values instead.
"""

import base64
import io
import json
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from cnnviz import kernels
from cnnviz.kernels import ConvParams

TIMEOUT = 90
ROOT = Path(__file__).resolve().parents[1]


def png(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return buf.getvalue()


def bomb_png(width: int = 30_000, height: int = 30_000) -> bytes:
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


SMALL = np.random.default_rng(0).integers(0, 256, (40, 60, 3), dtype=np.uint8)
GOOD = png(SMALL)


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def errors(at: AppTest) -> str:
    return " ".join(e.value for e in at.error) + " ".join(w.value for w in at.warning)


def open_page(name: str) -> AppTest:
    """``pages/<name>.py`` after its first run, which must not raise."""
    at = AppTest.from_file(str(ROOT / f"pages/{name}.py"), default_timeout=TIMEOUT)
    at.run()
    no_exception(at)
    return at


@pytest.fixture
def kernels_page() -> AppTest:
    return open_page("kernels")


@pytest.fixture
def pooling_page() -> AppTest:
    return open_page("pooling")


def upload(at: AppTest, prefix: str, name: str, data: bytes) -> AppTest:
    at.radio(key=f"{prefix}_source").set_value("Upload an image").run()
    no_exception(at)
    at.file_uploader(key=f"{prefix}_upload").set_value((name, data, "image/png")).run()
    no_exception(at)
    return at


def test_app_registers_both_pages():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.run()
    no_exception(at)
    at.switch_page("pages/kernels.py").run()
    no_exception(at)
    assert any("Convolution kernels" in t.value for t in at.title)
    at.switch_page("pages/pooling.py").run()
    no_exception(at)
    assert any("Pooling" in t.value for t in at.title)


def test_kernels_default_and_inspector(kernels_page):
    at = kernels_page
    assert any("exactly the sum" in s.value for s in at.success)
    text = " ".join(m.value for m in at.markdown)
    assert "= 449" in text and "= 298" in text          # chelsea 451×300, 3×3, no padding


def test_a_click_on_a_picture_moves_the_pixel_inspector(kernels_page):
    """The click script (ui.interact.picture_click) sends {which, x, y} in image pixels; its callback stores
    that under the page's pick key, and the next run moves the inspector's sliders there."""
    at = kernels_page
    pick_key = "kernels_picture_pick"
    assert [e.proto.component_name for e in at.get("bidi_component")] == ["cnnviz_picture_click"]
    at.number_input(key="kernels_stride").set_value(2)
    at.number_input(key="kernels_padding").set_value(1).run()
    params = ConvParams(stride=2, padding=1)
    oh, ow = kernels.output_size(300, 3, 1, 2), kernels.output_size(451, 3, 1, 2)   # chelsea, 451×300
    # the output picture: its own pixels
    at.session_state[pick_key] = {"which": "kout", "x": 40.2, "y": 17.8}
    at.run()
    no_exception(at)
    assert (at.slider(key="kernels_insp_row").value, at.slider(key="kernels_insp_col").value) == (18, 40)
    assert pick_key not in at.session_state
    assert any("(row 18, column 40)" in s.value for s in at.success), [s.value for s in at.success]
    # the input picture: the output pixel whose window is centred nearest
    at.session_state[pick_key] = {"which": "kin", "x": 200.4, "y": 100.6}
    at.run()
    want = kernels.output_pixel_near(100.6, 200.4, (3, 3), params, (oh, ow))
    assert (at.slider(key="kernels_insp_row").value, at.slider(key="kernels_insp_col").value) == want == (50, 100)
    # off the picture or not a position: clamped, or nothing moves
    at.session_state[pick_key] = {"which": "kout", "x": 1e9, "y": -5}
    at.run()
    assert (at.slider(key="kernels_insp_row").value, at.slider(key="kernels_insp_col").value) == (0, ow - 1)
    at.session_state[pick_key] = {"which": "kin", "x": "left", "y": None}
    at.run()
    no_exception(at)
    assert (at.slider(key="kernels_insp_row").value, at.slider(key="kernels_insp_col").value) == (0, ow - 1)


@pytest.mark.parametrize("preset", ["sobel_x", "sobel_magnitude", "laplacian", "gaussian5", "emboss"])
def test_kernels_presets(kernels_page, preset):
    at = kernels_page
    at.selectbox(key="kernels_preset").set_value(preset).run()
    no_exception(at)
    assert not at.error
    assert at.success or at.info


def test_kernels_parameters(kernels_page):
    at = kernels_page
    at.selectbox(key="kernels_sample").set_value("astronaut")
    at.radio(key="kernels_color").set_value("rgb")
    at.number_input(key="kernels_stride").set_value(2)
    at.number_input(key="kernels_padding").set_value(2)
    at.selectbox(key="kernels_padding_mode").set_value("reflect")
    at.number_input(key="kernels_dilation").set_value(2).run()
    for scaling in ("absolute", "minmax", "diverging"):
        at.radio(key="kernels_scaling").set_value(scaling).run()
        no_exception(at)
    assert not at.error
    # 512 − 2×(3 − 1) − 1 + 2×2 = 511, ⌊511/2⌋ + 1 = 256
    assert any("= 256" in m.value for m in at.markdown)
    at.radio(key="kernels_insp_channel").set_value(2).run()
    no_exception(at)
    at.radio(key="kernels_learned_scaling").set_value("diverging")
    at.checkbox(key="kernels_invert").check().run()
    no_exception(at)


def test_kernels_stride_zero(kernels_page):
    at = kernels_page
    at.number_input(key="kernels_stride").set_value(0).run()
    no_exception(at)
    assert "Stride 0" in errors(at)


def test_kernels_window_larger_than_padded_image(kernels_page):
    at = upload(kernels_page, "kernels", "tiny.png", png(np.full((4, 4), 128, np.uint8)))
    at.selectbox(key="kernels_preset").set_value("gaussian5").run()
    no_exception(at)
    assert "does not fit" in errors(at)
    at.number_input(key="kernels_padding").set_value(1).run()
    no_exception(at)
    assert not at.error


@pytest.mark.parametrize("bad, match", [
    (float("nan"), "NaN"), (float("inf"), "infinite"), (5000.0, "between"),
])
def test_kernels_bad_custom_values(kernels_page, bad, match):
    at = kernels_page
    at.selectbox(key="kernels_preset").set_value("custom").run()
    no_exception(at)
    assert not at.error
    grid = [[0.0, -1.0, 0.0], [-1.0, 5.0, -1.0], [0.0, -1.0, 0.0]]
    grid[0][2] = bad
    at.session_state["kernels_custom_grid"] = grid
    at.run()
    no_exception(at)
    assert match in errors(at) and "row 1, column 3" in errors(at)


def test_kernels_custom_normalise(kernels_page):
    at = kernels_page
    at.selectbox(key="kernels_preset").set_value("custom").run()
    at.radio(key="kernels_custom_size").set_value(5).run()
    at.checkbox(key="kernels_normalise").check().run()
    no_exception(at)
    assert not at.error
    assert any("Normalised" in c.value for c in at.caption)


def test_kernels_good_upload(kernels_page):
    at = upload(kernels_page, "kernels", "photo.png", GOOD)
    assert not at.error
    assert any("60×40 pixels" in c.value for c in at.caption)
    assert any("= 58" in m.value for m in at.markdown)


BAD_FILES = [
    ("notes.png", b"this is a text file, not a picture\n" * 20, "not an image"),
    ("cut.png", GOOD[: len(GOOD) // 2], "damaged or truncated"),
    ("bomb.png", bomb_png(), "megapixel"),
]


@pytest.mark.parametrize("name, data, match", BAD_FILES, ids=[b[0] for b in BAD_FILES])
@pytest.mark.parametrize("page, prefix", [("pages/kernels.py", "kernels"), ("pages/pooling.py", "pooling")])
def test_bad_uploads(page, prefix, name, data, match):
    at = AppTest.from_file(str(ROOT / page), default_timeout=TIMEOUT)
    at.run()
    upload(at, prefix, name, data)
    assert match in errors(at)


def test_empty_and_oversized_uploads(kernels_page, monkeypatch):
    at = upload(kernels_page, "kernels", "empty.png", b"")
    assert "empty" in errors(at)
    from cnnviz import images

    monkeypatch.setattr(images, "MAX_BYTES", 1000)        # the page's loader reads the limit at call time
    at.file_uploader(key="kernels_upload").set_value(("big.png", GOOD, "image/png")).run()
    no_exception(at)
    assert "over the" in errors(at)


def test_pooling_default(pooling_page):
    at = pooling_page
    assert not at.error
    assert any(m.value == "225 × 150" for m in at.metric)          # chelsea 451×300 → 225×150
    at.slider(key="pool_step").set_value(3).run()
    no_exception(at)
    assert any("max(" in m.value for m in at.markdown)


def test_pooling_seed_sizes(pooling_page):
    """Seed 001: 886×878 becomes 443×439 with 2×2, stride 2."""
    at = upload(pooling_page, "pooling", "seed.png", png(np.zeros((878, 886), np.uint8)))
    assert not at.error
    assert any(m.value == "443 × 439" for m in at.metric)


def test_pooling_parameters(pooling_page):
    at = pooling_page
    at.radio(key="pool_kind").set_value("avg")
    at.number_input(key="pool_kernel").set_value(3)
    at.number_input(key="pool_padding").set_value(1)
    at.checkbox(key="pool_ceil").check()
    at.radio(key="pool_color").set_value("rgb").run()
    no_exception(at)
    assert not at.error
    at.slider(key="pool_step").set_value(1).run()
    no_exception(at)
    assert any("padding zeros counted" in m.value for m in at.markdown)


@pytest.mark.parametrize("field, value, match", [
    ("pool_stride", 0, "Stride 0"), ("pool_padding", 2, "at most half"), ("pool_kernel", 40, "does not fit"),
])
def test_pooling_bad_settings(pooling_page, field, value, match):
    at = pooling_page
    if field == "pool_kernel":
        upload(at, "pooling", "tiny.png", png(np.full((10, 12), 90, np.uint8)))
    at.number_input(key=field).set_value(value).run()
    no_exception(at)
    assert match in errors(at)


def test_kernels_learned_from_a_checkpoint_saved_on_the_training_page(tmp_path, monkeypatch):
    """A checkpoint in the users' folder (where the Training page saves) is offered next to the shipped
    ones, and its own conv1 kernels are applied (not a shipped model's)."""
    import torch

    from cnnviz import checkpoints, models

    torch.manual_seed(7)
    model = models.build("simple_cnn")
    with torch.no_grad():   # distinct from the shipped SimpleCNN's kernels
        next(m for m in model.modules() if isinstance(m, torch.nn.Conv2d)).weight.mul_(3.0)
    checkpoints.save_checkpoint(tmp_path / "my_run.safetensors", model,
                                checkpoints.CheckpointMeta(arch="simple_cnn", test_acc=0.5, epochs=1))
    monkeypatch.setenv("CNNVIZ_USER_CHECKPOINTS", str(tmp_path))
    at = open_page("kernels")
    box = at.selectbox(key="kernels_ckpt")
    labels = box.options             # AppTest lists the labels the reader sees
    assert any(label.startswith("my_run · trained by you") for label in labels), labels
    assert any(label.startswith("lenet5 ") for label in labels) and not any("mlp" in label for label in labels)
    box.set_value("user:my_run").run()
    no_exception(at)
    assert not at.error
    text = " ".join(m.value for m in at.markdown)
    # the weights shown are this checkpoint's conv1 kernels, not the shipped SimpleCNN's
    conv1 = next(m for m in model.modules() if isinstance(m, torch.nn.Conv2d))
    k = conv1.weight.shape
    assert f"**{k[0]} kernels of {k[2]}×{k[3]}**" in text
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    grid = next(c for c in charts if len(c["data"]) == k[0] and c["data"][0].get("type") == "heatmap"
                and _array(c["data"][0]["z"]).shape == (k[2], k[3]))
    shown = np.stack([_array(tr["z"]) for tr in grid["data"]])
    np.testing.assert_allclose(shown, conv1.weight.detach().numpy()[:, 0], rtol=1e-6)


def _array(z) -> np.ndarray:
    """A plotly array as sent to the browser: a list, or a typed array (``dtype``/``bdata``/``shape``)."""
    if isinstance(z, dict):
        a = np.frombuffer(base64.b64decode(z["bdata"]), dtype=np.dtype(z["dtype"]))
        shape = z.get("shape")
        return a.reshape([int(x) for x in str(shape).split(",")]) if shape else a
    return np.asarray(z, dtype=np.float64)


def test_learned_kernels_are_not_recomputed_when_other_widgets_change(monkeypatch):
    """The learned maps are remembered per (image, checkpoint, invert): a rerun for another widget (the
    display scaling, the stride, the maps' colour scale) does not convolve the image with the checkpoint's
    kernels again; another invert setting or another image does."""
    from cnnviz import learned

    calls = []
    real = learned.apply_learned

    def counting(pixels, *args, **kw):
        calls.append(pixels.shape)
        return real(pixels, *args, **kw)

    monkeypatch.setattr(learned, "apply_learned", counting)
    at = open_page("kernels")
    assert len(calls) == 1 and any("kernels of" in m.value for m in at.markdown)
    at.radio(key="kernels_scaling").set_value("minmax").run()
    at.number_input(key="kernels_stride").set_value(2).run()
    at.radio(key="kernels_learned_scaling").set_value("diverging").run()
    no_exception(at)
    assert len(calls) == 1
    at.checkbox(key="kernels_invert").check().run()
    assert len(calls) == 2
    at.radio(key="kernels_color").set_value("rgb").run()
    assert len(calls) == 2
    at.selectbox(key="kernels_sample").set_value("camera").run()
    no_exception(at)
    assert len(calls) == 3 and calls[-1] == (512, 512)


def test_kernels_conv3_mode_sums_the_channels_and_adds_the_bias(kernels_page):
    """The "Conv2d with 3 input channels" mode: one output map, the inspector writes R + G + B + b."""
    at = kernels_page
    at.radio(key="kernels_color").set_value("conv3").run()
    at.number_input(key="kernels_bias").set_value(10.0).run()
    no_exception(at)
    assert not at.error
    line = next(m.value for m in at.markdown if m.value.startswith("Σ over the 3 input channels"))
    assert "+ 10 =" in line
    assert at.success or at.info
    assert not any("channel)" in s.value for s in at.success)   # one output map, not a channel of three


def test_pooling_ceil_mode_names_the_dropped_window(pooling_page):
    """Chelsea is 451 wide: 2×2, stride 2, padding 1, ceil_mode: ⌈451/2⌉ + 1 − 1 = 226."""
    at = pooling_page
    at.number_input(key="pool_padding").set_value(1)
    at.checkbox(key="pool_ceil").check().run()
    no_exception(at)
    assert any("⌈(451 − 2 + 2×1)/2⌉ + 1 − 1 = 226" in m.value for m in at.markdown)
    assert any("starting at 452" in c.value for c in at.caption)
