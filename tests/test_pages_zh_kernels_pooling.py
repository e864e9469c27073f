"""AppTest: the kernels and pooling pages in Chinese, driven through every bad input they accept.

After each run, no alert, caption, markdown line, figure title or figure hover label may hold an English
sentence (three ASCII words in a row): every text the library sends is a message key the page translates.
Uploads go through the real ``st.file_uploader``; the custom kernel grid starts from
``st.session_state["kernels_custom_grid"]`` (AppTest cannot type into ``st.data_editor``).
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from ui.i18n import LANG_KEY

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 120
CJK = re.compile(r"[\u4e00-\u9fff]")
# an English sentence: three words of two or more ASCII letters in a row, with only spaces, digits and
# punctuation between them (code such as `conv2d` and option values such as "zeros" are single words);
# plotly's placeholders (%{y}) and tags (<br>) are removed first
ENGLISH = re.compile(r"(?<![\w.])[A-Za-z]{2,}(?:[\s\d,;:'’()=+−-]+[A-Za-z]+){1,}[\s\d,;:'’()=+−-]+[A-Za-z]{2,}")


def english(text: str) -> str | None:
    """The first English sentence in ``text``, or ``None``."""
    m = ENGLISH.search(re.sub(r"%\{[^}]*\}|<[^>]*>", " ", text))
    return m.group(0) if m else None


def hover_english(template: str) -> str | None:
    """A hover label is a few words around placeholders: in Chinese it has no English word at all."""
    m = re.search(r"[A-Za-z]{2,}", re.sub(r"%\{[^}]*\}|<[^>]*>", " ", template))
    return m.group(0) if m else None


def png(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return buf.getvalue()


def _figure_texts(at: AppTest) -> list[str]:
    out = []
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        layout = spec.get("layout", {})
        title = layout.get("title")
        out.append(title.get("text") or "" if isinstance(title, dict) else str(title or ""))
        out += [a.get("text", "") for a in layout.get("annotations", [])]
        hovers = [tr.get("hovertemplate", "") for tr in spec.get("data", [])]
        out += [f"hover: {h}" for h in hovers if hover_english(h)]   # reported as found below
    return [s for s in out if s]


def shown_texts(at: AppTest) -> list[str]:
    texts = [e.value for kind in ("error", "warning", "info", "success", "caption", "markdown")
             for e in getattr(at, kind)]
    return [str(s) for s in texts] + _figure_texts(at)


def check(at: AppTest) -> None:
    """The run raised nothing, and nothing it shows is an English sentence."""
    assert not at.exception, [e.value for e in at.exception]
    found = [(e, s[:120]) for s in shown_texts(at) if (e := english(s) or (s.startswith("hover: ") and s))]
    assert not found, found


def alerts(at: AppTest) -> str:
    return " ".join(e.value for e in [*at.error, *at.warning])


def open_zh(page: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / f"pages/{page}.py"), default_timeout=TIMEOUT)
    at.session_state[LANG_KEY] = "zh"
    at.run()
    check(at)
    return at


def upload(at: AppTest, prefix: str, arr: np.ndarray) -> None:
    at.radio(key=f"{prefix}_source").set_value("Upload an image").run()
    at.file_uploader(key=f"{prefix}_upload").set_value(("tiny.png", png(arr), "image/png")).run()
    check(at)
    assert not at.error


def test_the_checker_finds_english():
    from cnnviz import figures, pooling

    assert english("这些设置不可用：Stride 0 is not allowed")
    assert english("The kernel cell at row 1, column 3 is empty. Enter a number.")
    assert not english("第 %{y} 行，第 %{x} 列<br>权重 %{text}<extra></extra>")
    assert not english("用 `torch.nn.functional.conv2d` 计算，**zeros** 填充，RGB 通道")
    example = pooling.worked_example(pooling.random_grid(1, 4))
    for lang, found in (("en", True), ("zh", False)):   # the figures' hover labels, in both languages
        figs = [figures.kernel_figure(np.eye(3), lang=lang), figures.pool_example_figure(example, lang=lang),
                figures.inspector_figure(np.eye(3), np.eye(3), np.eye(3), lang=lang)]
        hovers = [tr.hovertemplate for f in figs for tr in f.data if tr.hovertemplate]
        assert all(bool(hover_english(h)) == found for h in hovers), (lang, hovers)


def test_kernels_page_settings_errors_in_chinese():
    at = open_zh("kernels")
    for preset in ("sobel_magnitude", "emboss"):              # several kernels, inspector, figures
        at.selectbox(key="kernels_preset").set_value(preset).run()
        check(at)
    at.radio(key="kernels_color").set_value("conv3").run()           # Conv2d with 3 input channels
    check(at)
    assert any("对 3 个输入通道求和" in m.value for m in at.markdown)
    at.radio(key="kernels_color").set_value("gray").run()
    at.number_input(key="kernels_stride").set_value(0).run()   # stride 0
    check(at)
    assert "步幅不能为 0" in alerts(at)
    at.number_input(key="kernels_stride").set_value(1).run()
    upload(at, "kernels", np.full((4, 4), 128, np.uint8))
    at.selectbox(key="kernels_preset").set_value("gaussian5").run()   # 5×5 kernel on a 4×4 image
    check(at)
    assert "放不进填充后的图像" in alerts(at)
    at.number_input(key="kernels_dilation").set_value(3).run()         # the same, dilated
    check(at)
    assert "膨胀率为 3" in alerts(at)
    at.number_input(key="kernels_dilation").set_value(1)
    at.selectbox(key="kernels_padding_mode").set_value("reflect")
    at.number_input(key="kernels_padding").set_value(4).run()          # reflect padding ≥ the image
    check(at)
    assert "镜像" in alerts(at)
    at.selectbox(key="kernels_padding_mode").set_value("circular")
    at.number_input(key="kernels_padding").set_value(5).run()          # circular padding > the image
    check(at)
    assert "循环" in alerts(at)


@pytest.mark.parametrize("bad, match", [(float("nan"), "NaN"), (float("inf"), "无穷大"), (5000.0, "之间"),
                                        (None, "空的")])
def test_kernels_page_bad_custom_kernel_in_chinese(bad, match):
    at = open_zh("kernels")
    at.selectbox(key="kernels_preset").set_value("custom").run()
    check(at)
    grid = [[0.0, -1.0, 0.0], [-1.0, 5.0, -1.0], [0.0, -1.0, 0.0]]
    grid[0][2] = bad
    at.session_state["kernels_custom_grid"] = grid
    at.run()
    check(at)
    assert match in alerts(at) and "第 1 行、第 3 列" in alerts(at)


def test_kernels_page_checkpoint_without_convolution_in_chinese(tmp_path):
    """An uploaded MLP checkpoint has no first convolution: the learned-kernels section says so in Chinese."""
    import torch

    from cnnviz import checkpoints, models

    torch.manual_seed(0)
    path = checkpoints.save_checkpoint(tmp_path / "mlp", models.build("mlp"), checkpoints.CheckpointMeta(arch="mlp"))
    at = open_zh("kernels")
    at.selectbox(key="kernels_ckpt").set_value("upload").run()
    at.file_uploader(key="kernels_ckpt_upload").set_value(("mlp.safetensors", path.read_bytes(),
                                                           "application/octet-stream")).run()
    check(at)
    assert "没有卷积层" in alerts(at)


def test_pooling_page_errors_in_chinese():
    at = open_zh("pooling")
    at.radio(key="pool_kind").set_value("avg").run()
    at.checkbox(key="pool_ceil").check()
    at.number_input(key="pool_padding").set_value(1)
    at.slider(key="pool_step").set_value(1).run()                    # a window in the padding, ceil_mode
    check(at)
    assert any("PyTorch 把它丢掉" in c.value for c in at.caption)   # ⌈451/2⌉ + 1 − 1: the dropped window
    at.number_input(key="pool_stride").set_value(0).run()             # stride 0 (image and example)
    check(at)
    assert "步幅不能为 0" in alerts(at)
    at.number_input(key="pool_stride").set_value(2)
    at.number_input(key="pool_padding").set_value(2).run()           # more than half the window
    check(at)
    assert "最多允许窗口的一半" in alerts(at)
    at.number_input(key="pool_padding").set_value(0)
    at.number_input(key="pool_grid_size").set_value(2)
    at.number_input(key="pool_kernel").set_value(3).run()            # the example's 2×2 grid is too small
    check(at)
    assert "计算示例无法使用这些设置" in alerts(at) and "放不进" in alerts(at)
    upload(at, "pooling", np.full((10, 12), 90, np.uint8))
    at.number_input(key="pool_kernel").set_value(40).run()           # the window is larger than the image
    check(at)
    assert "40×40 的窗口放不进" in alerts(at)
