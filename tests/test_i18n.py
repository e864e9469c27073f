"""Languages and lecture mode: the translation tables, no hard-coded page texts, every page in 中文,
the sidebar switches (remembered across pages)."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cnnviz import i18n

ROOT = Path(__file__).resolve().parents[1]
CJK = re.compile(r"[\u4e00-\u9fff]")
PAGES = ["pages/home.py", "pages/kernels.py", "pages/pooling.py", "pages/training.py", "pages/feature_maps.py"]
TIMEOUT = 180


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


# ----------------------------------------------------------------------------- the tables

def test_both_languages_have_the_same_keys_and_placeholders():
    en, zh = i18n.TEXTS["en"], i18n.TEXTS["zh"]
    assert set(en) == set(zh), (sorted(set(en) - set(zh)), sorted(set(zh) - set(en)))
    bad = {k: (fields(en[k]), fields(zh[k])) for k in en if fields(en[k]) != fields(zh[k])}
    assert not bad, bad
    for lang, table in i18n.TEXTS.items():
        for key, text in table.items():
            assert text.strip(), (lang, key)
            dummy = {f: 1 for f in fields(text)}
            text.format(**dummy)   # every template formats (numbers for every placeholder)


def test_chinese_texts_are_chinese():
    en, zh = i18n.TEXTS["en"], i18n.TEXTS["zh"]
    # names that stay the same in Chinese (model and optimizer names, the language switch)
    same = {k for k in en if en[k] == zh[k]}
    allowed = {"sidebar.language", "train.failed", "train.run_option", "fm.option"} | {
        k for k in en if k.startswith(("arch.", "optimizer.")) and k.endswith((".title", ".adam", ".rmsprop"))} | {
        "preset.scharr_x.title", "preset.prewitt_x.title", "preset.scharr_y.title", "preset.prewitt_y.title"}
    assert same <= allowed, sorted(same - allowed)
    # only numbers and full-width punctuation
    formulas = {"kern.padding_mode_caption", "kern.magnitude_line", "fm.global_of"}
    untranslated = [k for k, v in zh.items() if k not in allowed | formulas and not CJK.search(v)]
    assert not untranslated, untranslated


@pytest.mark.parametrize("term", ["卷积", "滑动", "加权求和", "max(0, x)", "最大池化", "平均池化", "展平", "全连接层",
                                  "softmax", "概率", "交叉熵损失", "SGD", "Adam", "RMSprop", "学习率", "步幅", "填充"])
def test_the_chinese_explanations_use_the_standard_terms(term):
    assert any(term in v for v in i18n.TEXTS["zh"].values()), term


def test_explanations_say_what_the_seeds_say():
    zh = i18n.TEXTS["zh"]
    assert "ReLU(x) = max(0, x)" in zh["home.relu_pool"]
    assert "−log p(真实类别)" in zh["home.fc_softmax"] and "总和为 1 的概率" in zh["home.fc_softmax"]
    assert "相乘再求和" in zh["home.conv"]
    for term in ("SGD", "Adam", "RMSprop", "动量"):
        assert term in zh["home.optimizers"] and term in zh["train.loss_explainer"]
    assert "*W*" in zh["home.formula_text"] and "*S* 是步幅" in zh["home.formula_text"]


def test_lookup_and_language_codes():
    assert i18n.t("pool_kind.max", "zh") == "最大池化"
    assert i18n.t("pool_kind.max", "xx") == "Max pooling"      # unknown language → English
    assert i18n.t("no.such.key", "zh") == "no.such.key"
    assert i18n.t("pool.fig_before", "en", w=3, h=2) == "Before: 3×2"
    for code, want in [("zh-CN", "zh"), ("zh_Hans_CN", "zh"), ("ZH", "zh"), ("en-US", "en"), ("de-DE", "en"),
                       (None, "en"), ("", "en")]:
        assert i18n.normalize_lang(code) == want


def test_english_copies_match_the_library():
    """Library data keeps its English strings; the English table must say the same."""
    from cnnviz import data, images, models
    from cnnviz.training import OPTIMIZERS

    en = i18n.TEXTS["en"]
    for name, spec in models.REGISTRY.items():
        assert en[f"arch.{name}.title"] == spec.title and en[f"arch.{name}.desc"] == spec.description
    for key, (title, _) in images.SAMPLES.items():
        assert en[f"sample.{key}"] == title
    for table in (data.DATASETS, OPTIMIZERS):   # name -> its title's key (the text lives only in the tables)
        for key in table.values():
            assert key in en and key in i18n.TEXTS["zh"]
    for status in ("queued", "starting", "running", "stopping", "done", "stopped", "failed"):
        assert f"status.{status}" in en


def test_kernel_and_pooling_names_have_keys():
    """Presets, padding modes, scalings, colour modes and pooling kinds are named by table keys only."""
    from cnnviz import kernels, pooling

    en = i18n.TEXTS["en"]
    for key in kernels.PRESETS:
        assert f"preset.{key}.title" in en and f"preset.{key}.desc" in en
    for mode in kernels.PADDING_MODES:
        assert f"padding_mode.{mode}" in en
    for key in kernels.SCALINGS:
        assert f"scaling.{key}" in en and f"scaling_title.{key}" in en
    for key in kernels.COLOR_MODES:
        assert f"color.{key}" in en
    for kind in pooling.KINDS:
        assert f"pool_kind.{kind}" in en


def test_display_legends_translate():
    import numpy as np

    from cnnviz import kernels

    out = np.linspace(-50, 300, 400, dtype=np.float32).reshape(20, 20)
    for scaling in kernels.SCALINGS:
        for arr in (out, np.zeros_like(out), np.stack([out] * 3, axis=2)):
            disp = kernels.scale_for_display(arr, scaling)
            assert disp.legend and all(m.key in i18n.TEXTS["en"] for m in disp.legend)
            assert CJK.search("".join(m.render("zh") for m in disp.legend))
    _, how = kernels.normalise(np.array([[0, -1, 0], [-1, 4, -1], [0, -1, 0]], np.float32))
    assert how.key == "norm.edge" and "正权重" in how.render("zh")


# ----------------------------------------------------------------------------- no hard-coded texts

UI_FILES = sorted([*ROOT.glob("pages/*.py"), *ROOT.glob("ui/*.py")])
SKIP_FILES: set[str] = set()   # every page and ui helper is checked
# st.* (and column/sidebar) calls whose strings the user sees
SHOWN = {"title", "header", "subheader", "markdown", "caption", "write", "text", "info", "warning", "error",
         "success", "toast", "exception", "metric", "button", "download_button", "form_submit_button",
         "link_button", "page_link", "selectbox", "multiselect", "radio", "checkbox", "toggle", "slider",
         "select_slider", "number_input", "text_input", "text_area", "file_uploader", "color_picker",
         "date_input", "time_input", "data_editor", "dataframe", "table", "plotly_chart", "image", "spinner",
         "progress", "expander", "tabs", "popover", "graphviz_chart", "status", "Page", "set_page_config",
         "json", "code", "html", "segmented_control", "pills", "feedback"}
# keyword arguments that are not user-visible texts
NOT_TEXT = {"key", "icon", "type", "mime", "file_name", "format", "url_path", "page_icon", "layout", "width",
            "height", "help_key", "on_click", "vertical_alignment", "gap", "border", "anchor", "language",
            "unsafe_allow_html", "column_order", "theme"}
# a visible text: two letters in a row (Latin) or any CJK character
WORDS = re.compile(r"[A-Za-z]{2,}|[\u4e00-\u9fff]")
IDENT = re.compile(r"^[a-z0-9_./\-]*$")   # keys, option values, dict keys, paths: "gray", "kernels_ckpt"
SYMBOLS = {"RGB", "&nbsp;"}   # channel letters, a layout spacer
FORMAT_ONLY = re.compile(r"^[^A-Za-z\u4e00-\u9fff]*$")


def _strings(node: ast.AST, out: list[tuple[int, str]]) -> None:
    """Literal string pieces under ``node`` that could reach the screen."""
    if isinstance(node, ast.Call):
        f = node.func
        if isinstance(f, ast.Name) and f.id in {"t", "tf", "retitle", "styled", "fig_height"}:
            # t("key", ...): the key is not a text; its format arguments may still be
            for kw in node.keywords:
                _strings(kw.value, out)
            for a in node.args[1:] if f.id in {"t", "tf"} else node.args:
                _strings(a, out)
            return
        for a in [*node.args, *(kw.value for kw in node.keywords if kw.arg not in NOT_TEXT)]:
            _strings(a, out)
        if isinstance(f, ast.Attribute):
            _strings(f.value, out)
        return
    if isinstance(node, (ast.Compare, ast.Subscript)):
        if isinstance(node, ast.Subscript):
            _strings(node.value, out)
        return
    if isinstance(node, ast.Dict):
        for v in node.values:
            _strings(v, out)
        return
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        out.append((node.lineno, node.value))
        return
    if isinstance(node, ast.JoinedStr):
        for v in node.values:
            if isinstance(v, ast.Constant):
                out.append((node.lineno, v.value))
            else:
                _strings(v.value, out)
        return
    for child in ast.iter_child_nodes(node):
        _strings(child, out)


def _shown_call(node: ast.Call) -> bool:
    f = node.func
    return isinstance(f, ast.Attribute) and f.attr in SHOWN


def hard_coded(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), str(path))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not _shown_call(node):
            continue
        if node.func.attr in {"latex", "html"}:
            continue
        if any(kw.arg == "unsafe_allow_html" for kw in node.keywords):
            continue   # CSS / layout snippets
        pieces: list[tuple[int, str]] = []
        for a in [*node.args, *(kw.value for kw in node.keywords if kw.arg not in NOT_TEXT)]:
            _strings(a, pieces)
        for line, s in pieces:
            if IDENT.match(s) or FORMAT_ONLY.match(s) or not WORDS.search(s) or s in SYMBOLS:
                continue
            found.append(f"{path.relative_to(ROOT)}:{line}: {s!r}")
    return found


@pytest.mark.parametrize("path", [p for p in UI_FILES if str(p.relative_to(ROOT)) not in SKIP_FILES],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_no_hard_coded_texts(path):
    assert not hard_coded(path), "\n".join(hard_coded(path))


def test_the_checker_catches_hard_coded_texts(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text('import streamlit as st\nst.title("Hello there")\nc = st.columns(2)\n'
                   'c[0].metric(f"Size {3}", "1")\nst.radio(t("x"), ["a"], format_func=lambda c: "Grayscale")\n'
                   'st.markdown(t("ok", n=1))\nst.caption("×", help=t("k"))\nst.info("加载中")\n')
    global ROOT
    old, ROOT = ROOT, tmp_path
    try:
        found = hard_coded(bad)
    finally:
        ROOT = old
    assert len(found) == 4, found


def test_every_key_used_exists():
    used: set[str] = set()
    for path in [*UI_FILES, ROOT / "app.py"]:
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "t"
                    and node.args and isinstance(node.args[0], ast.Constant)):
                used.add(node.args[0].value)
    missing = sorted(k for k in used if k not in i18n.TEXTS["en"])
    assert not missing, missing


# ----------------------------------------------------------------------------- pages in Chinese

def chinese_text(at: AppTest) -> str:
    parts = [e.value for kind in ("title", "header", "subheader", "markdown", "caption", "info")
             for e in getattr(at, kind)]
    parts += [str(w.label) for kind in ("selectbox", "radio", "number_input", "checkbox", "slider")
              for w in getattr(at, kind)]
    return " ".join(map(str, parts))


@pytest.fixture
def quiet_jobs(monkeypatch):
    monkeypatch.setenv("CNNVIZ_PREWARM", "0")
    monkeypatch.setenv("CNNVIZ_TRAIN_LIMIT", "300")
    monkeypatch.setenv("CNNVIZ_TEST_LIMIT", "200")


@pytest.mark.parametrize("page", PAGES)
def test_page_in_chinese(page, quiet_jobs):
    at = AppTest.from_file(str(ROOT / page), default_timeout=TIMEOUT)
    at.session_state["cnnviz_lang"] = "zh"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    text = chinese_text(at)
    assert len(CJK.findall(text)) > 50, text[:500]
    assert CJK.search(at.title[0].value)
    for df in at.dataframe:   # table headers are translated too
        assert all(CJK.search(str(c)) for c in df.value.columns), list(df.value.columns)


def test_kernels_inspector_and_pooling_example_in_chinese():
    at = AppTest.from_file(str(ROOT / "pages/kernels.py"), default_timeout=TIMEOUT)
    at.session_state["cnnviz_lang"] = "zh"
    at.run()
    at.selectbox(key="kernels_preset").set_value("sobel_magnitude").run()
    assert not at.exception
    text = chinese_text(at)
    assert "梯度幅值" in " ".join(str(o) for o in at.selectbox(key="kernels_preset").options)
    assert "√(gx² + gy²)" in text and "输出像素" in " ".join(str(s.value) for s in at.success) + text
    at.number_input(key="kernels_stride").set_value(0).run()
    assert "这些设置不可用" in " ".join(e.value for e in at.error)

    at = AppTest.from_file(str(ROOT / "pages/pooling.py"), default_timeout=TIMEOUT)
    at.session_state["cnnviz_lang"] = "zh"
    at.run()
    at.radio(key="pool_kind").set_value("avg").run()
    at.slider(key="pool_step").set_value(1).run()
    assert not at.exception
    assert any("窗口 1 → 输出" in m.value for m in at.markdown)
    assert [o for o in at.radio(key="pool_kind").options] == ["最大池化", "平均池化"]


def test_training_bad_learning_rate_in_chinese(quiet_jobs):
    at = AppTest.from_file(str(ROOT / "pages/training.py"), default_timeout=TIMEOUT)
    at.session_state["cnnviz_lang"] = "zh"
    at.run()
    at.text_input(key="train_lr_lenet5").set_value("fast")
    at.button(key="FormSubmitter:train_form-" + i18n.t("train.start", "zh")).click().run()
    assert not at.exception
    assert "学习率必须是一个数" in " ".join(e.value for e in at.error)


# ----------------------------------------------------------------------------- the sidebar, across pages
# AppTest 1.67 drops the elements that the entry script draws before st.navigation(...).run() from
# its element tree on every run after the first (a real browser keeps them; the browser test shows
# the sidebar). So the widgets are used on the first run, and the state is checked afterwards.

def app() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_language_switch_is_remembered_across_pages(quiet_jobs):
    at = app()
    assert at.title[0].value.startswith("🧠 cnnviz: see inside")        # English by default (no browser locale)
    box = at.sidebar.selectbox(key="cnnviz_lang_widget")
    assert box.options == ["English", "中文"]
    box.set_value("zh").run()
    assert at.session_state["cnnviz_lang"] == "zh"
    assert at.title[0].value == i18n.t("home.title", "zh")
    for page in ["pages/kernels.py", "pages/pooling.py", "pages/training.py", "pages/home.py"]:
        at.switch_page(page).run()
        assert not at.exception, (page, [e.value for e in at.exception])
        assert at.session_state["cnnviz_lang"] == "zh"
        assert CJK.search(at.title[0].value), page


def test_lecture_mode_is_remembered_across_pages(quiet_jobs):
    at = app()
    assert at.sidebar.toggle(key="cnnviz_lecture_widget").label == "Lecture mode"
    at.sidebar.toggle(key="cnnviz_lecture_widget").set_value(True).run()
    assert at.session_state["cnnviz_lecture"] is True
    for page in ["pages/kernels.py", "pages/pooling.py", "pages/training.py", "pages/home.py"]:
        at.switch_page(page).run()
        assert not at.exception, (page, [e.value for e in at.exception])
        assert at.session_state["cnnviz_lecture"] is True
        if page == "pages/kernels.py":      # fewer controls
            assert not [w for w in at.number_input if w.key == "kernels_dilation"]
            assert not [w for w in at.selectbox if w.key == "kernels_padding_mode"]
            assert [w for w in at.number_input if w.key == "kernels_stride"]
        if page == "pages/pooling.py":
            assert not [w for w in at.number_input if w.key == "pool_padding"]
        if page == "pages/training.py":
            assert not [w for w in at.number_input if w.key in ("train_seed", "train_bs_lenet5")]
            assert [w for w in at.selectbox if w.key == "train_opt_lenet5"]


def _sidebar_script():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path.cwd()))
    from ui.sidebar import sidebar_settings

    sidebar_settings()


@pytest.mark.parametrize("lecture", [False, True])
def test_lecture_css_and_labels(lecture):
    at = AppTest.from_function(_sidebar_script, default_timeout=TIMEOUT)
    at.session_state["cnnviz_lecture"] = lecture
    at.session_state["cnnviz_lang"] = "zh"
    at.run()
    assert not at.exception
    css = [h for h in at.get("html") if "font-size" in str(h.proto)]
    assert bool(css) == lecture
    assert at.sidebar.toggle(key="cnnviz_lecture_widget").label == "授课模式"
    assert at.sidebar.toggle(key="cnnviz_lecture_widget").value is lecture
    assert at.sidebar.selectbox(key="cnnviz_lang_widget").value == "zh"


def test_lecture_mode_in_chinese_with_bigger_figures(quiet_jobs):
    from ui import sidebar

    at = AppTest.from_file(str(ROOT / "pages/pooling.py"), default_timeout=TIMEOUT)
    at.session_state["cnnviz_lang"] = "zh"
    at.session_state["cnnviz_lecture"] = True
    at.run()
    assert not at.exception
    import json

    layouts = [json.loads(c.proto.spec)["layout"] for c in at.get("plotly_chart")]
    assert round(380 * sidebar.FIGURE_SCALE) in [lay.get("height") for lay in layouts]   # the worked example
    assert all(lay["font"]["size"] == sidebar.FONT_SIZE for lay in layouts)


def test_training_run_in_chinese(quiet_jobs, monkeypatch, tmp_path):
    """A short run end to end in 中文: progress, evaluation, the gallery, saving and the compare table."""
    import time

    monkeypatch.setenv("CNNVIZ_USER_CHECKPOINTS", str(tmp_path / "user"))
    at = AppTest.from_file(str(ROOT / "pages/training.py"), default_timeout=TIMEOUT)
    at.session_state["cnnviz_lang"] = "zh"
    at.run()
    at.selectbox(key="train_arch").set_value("simple_cnn").run()
    at.number_input(key="train_epochs_simple_cnn").set_value(1)
    at.button(key="FormSubmitter:train_form-" + i18n.t("train.start", "zh")).click().run()
    deadline = time.monotonic() + 150
    while time.monotonic() < deadline:
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        if any("已完成 1 轮" in s.value for s in at.success):
            break
        time.sleep(0.3)
    else:
        raise AssertionError([m.value for m in at.markdown][-5:])
    metrics = {m.label: m.value for m in at.metric}
    assert "测试准确率" in metrics and "训练时间" in metrics
    text = chinese_text(at)
    assert "被分错的测试图像" in text and "保存模型" in text
    import json

    layouts = [json.loads(c.proto.spec)["layout"] for c in at.get("plotly_chart")]
    titles = json.dumps([lay.get("title") for lay in layouts], ensure_ascii=False)
    assert "训练损失" in titles and "混淆矩阵" in titles and "各类别准确率" in titles
    assert any(CJK.search(str(df.value.columns[0])) for df in at.dataframe)
    assert at.get("multiselect")            # the compare section
    # one click: the Save button's callback runs before the page script, so no rerun can lose it
    next(b for b in at.button if i18n.t("train.save", "zh") in str(b.label)).click().run()
    assert any("已保存为" in s.value for s in at.success), [s.value for s in at.success]


def test_loader_notes_translate():
    """Every note the image loader writes has a translation (checked with real odd images)."""
    import io

    import numpy as np
    from PIL import Image

    from cnnviz import images

    def save(img, fmt="PNG", **kw):
        buf = io.BytesIO()
        img.save(buf, fmt, **kw)
        return buf.getvalue()

    rgba = Image.fromarray(np.random.default_rng(0).integers(0, 255, (20, 30, 4), dtype=np.uint8), "RGBA")
    gray_rgb = Image.fromarray(np.stack([np.arange(600, dtype=np.uint8).reshape(20, 30)] * 3, axis=2), "RGB")
    frames = [Image.new("L", (20, 20), c) for c in (0, 128)]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:])
    i16 = Image.fromarray(np.arange(600, dtype=np.uint16).reshape(20, 30) * 100)
    notes = []
    for data, name in [(save(rgba), "a.png"), (save(gray_rgb), "g.png"), (buf.getvalue(), "f.gif"),
                       (save(i16), "i16.png"), (save(rgba.convert("CMYK"), "JPEG"), "c.jpg")]:
        notes += images.load_image(data, name).notes
    assert len(notes) >= 4, notes
    for note in notes:       # messages (keys + arguments), translated where they are shown
        assert note.key.startswith("img_note.") and note.key in i18n.TEXTS["zh"], note
        assert CJK.search(note.render("zh")) and note.render("zh") != note.english(), note
