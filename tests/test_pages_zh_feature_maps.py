"""AppTest: the feature-map page in Chinese through every bad input it accepts: a hostile or malformed canvas
value, a photo with no digit and a file that is not a picture, a link with bad choices, and a damaged
checkpoint in the user folder.  No alert, caption, markdown line, figure title or hover label may hold an
English sentence (the checker of tests/test_pages_zh_kernels_pooling.py)."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from tests.test_drawing import huge_blank_png
from tests.test_pages_zh_kernels_pooling import alerts, check
from ui.i18n import LANG_KEY

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "feature_maps.py")


@pytest.fixture
def zh(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNVIZ_USER_CHECKPOINTS", str(tmp_path))
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.session_state[LANG_KEY] = "zh"
    return at


def canvas_value(png: bytes, kind: str = "png") -> dict:
    url = f"data:image/{kind};base64," + base64.b64encode(png).decode()
    return {"drawing": {"raw": {"objects": [{"type": "path"}]}, "data": url}, "backgroundFit": None}


def test_a_huge_canvas_picture_and_a_jpeg_read_in_chinese(zh):
    zh.run()
    check(zh)
    zh.session_state["fm_canvas_0"] = canvas_value(huge_blank_png(13000))
    zh.run()
    check(zh)
    assert "13000×13000" in alerts(zh)
    buf = io.BytesIO()
    Image.fromarray(np.zeros((280, 280, 3), np.uint8)).save(buf, format="JPEG")
    zh.session_state["fm_canvas_0"] = canvas_value(buf.getvalue(), "jpeg")
    zh.run()
    check(zh)
    assert "PNG" in alerts(zh)


@pytest.mark.parametrize("value", [{"drawing": [1, 2, 3], "backgroundFit": None},
                                   {"drawing": {"raw": {}, "data": 12345}, "backgroundFit": None}])
def test_a_malformed_canvas_value_reads_in_chinese(zh, value):
    zh.run()
    zh.session_state["fm_canvas_0"] = value
    zh.run()
    check(zh)
    assert alerts(zh)


def test_bad_link_choices_read_in_chinese(zh):
    for k, v in {"fm_model_a": "user:nothing", "fm_mode": "paint", "fm_layer": "zzz", "fm_cell": "99"}.items():
        zh.query_params[k] = v
    zh.run()
    check(zh)
    notes = " ".join(c.value for c in zh.caption)
    assert "链接中的部分选项无效" in notes and "fm_mode" in notes


def test_photos_without_a_digit_and_files_that_are_no_pictures_read_in_chinese(zh):
    zh.query_params["fm_mode"] = "photo"
    zh.run()
    check(zh)
    zh.radio(key="fm_photo_source").set_value("upload").run()
    blank = np.full((480, 640, 3), 235, np.uint8)                       # paper and nothing on it
    buf = io.BytesIO()
    Image.fromarray(blank).save(buf, format="PNG")
    zh.file_uploader(key="fm_photo_upload").set_value(("blank.png", buf.getvalue(), "image/png")).run()
    check(zh)
    assert alerts(zh)
    zh.file_uploader(key="fm_photo_upload").set_value(("notes.png", b"this is not a picture", "image/png")).run()
    check(zh)
    assert alerts(zh)


def test_a_damaged_checkpoint_reads_in_chinese(zh, tmp_path):
    (tmp_path / "broken.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all}")
    zh.query_params["fm_model_a"] = "user:broken"
    zh.run()
    check(zh)
    assert "broken" in alerts(zh)
