"""AppTest of the "Your data" page: a dataset from a zip (preview, save, no clobbering, delete with a
confirmation), a bad archive's message, and the photo input's steps (AppTest cannot draw on the canvas)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from cnnviz import data, userdata

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "your_data.py")


def png(arr) -> bytes:
    b = io.BytesIO()
    Image.fromarray(arr).save(b, format="PNG")
    return b.getvalue()


@pytest.fixture(scope="module")
def digits_zip() -> bytes:
    x, y = data.load_embedded_arrays()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for c, name in ((0, "zero"), (1, "one"), (8, "eight_*x*")):
            for k, i in enumerate(np.flatnonzero(y == c)[:10]):
                z.writestr(f"mine/{name}/{k}.png", png(x[i]))
        z.writestr("mine/zero/notes.txt", b"hello")
    return buf.getvalue()


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNVIZ_USER_DATA", str(tmp_path / "user"))
    return tmp_path / "user"


def run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(at: AppTest, kind: str) -> list[str]:
    return [e.value for e in getattr(at, kind)]


def test_zip_to_saved_dataset_and_delete(digits_zip, store):
    at = run(AppTest.from_file(PAGE, default_timeout=60))
    assert at.radio(key="ud_method").value == "zip"
    at.file_uploader(key="ud_zip").set_value(("digits.zip", digits_zip, "application/zip"))
    run(at)
    assert any("30" in m and "24" in m and "6" in m for m in texts(at, "markdown"))    # 30 images, 24/6
    assert any("1 files that are not images" in w for w in texts(at, "warning"))
    captions = texts(at, "caption")
    assert r"eight\_\*x\*: 10" in captions and "one: 10" in captions and "zero: 10" in captions
    assert len(at.get("image")) >= 3
    at.text_input(key="ud_name").set_value("my digits")
    at.button(key="ud_save").click()
    run(at)
    assert any(r"my\-digits" in s for s in texts(at, "success"))
    assert userdata.list_datasets() == ["my-digits"]
    assert userdata.load_dataset("my-digits").classes == ["eight_*x*", "one", "zero"]
    at.button(key="ud_save").click()                  # the same name again: refused, nothing replaced
    run(at)
    assert any("already exists" in e for e in texts(at, "error"))
    # the stored list: delete asks first
    assert at.selectbox(key="ud_pick").value == "my-digits"
    at.button(key="ud_delete").click()
    run(at)
    assert userdata.list_datasets() == ["my-digits"]
    at.button(key="ud_delete_yes").click()
    run(at)
    assert userdata.list_datasets() == []
    assert any("No dataset saved yet" in c for c in texts(at, "caption"))


def test_bad_archive_message(store):
    at = run(AppTest.from_file(PAGE, default_timeout=60))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("../escape/x.png", b"x")
    at.file_uploader(key="ud_zip").set_value(("evil.zip", buf.getvalue(), "application/zip"))
    run(at)
    assert any("leaves its folder" in e for e in texts(at, "error"))
    assert not store.exists() or not any(store.iterdir())


def test_chinese(digits_zip, store):
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["cnnviz_lang"] = "zh"
    run(at)
    at.file_uploader(key="ud_zip").set_value(("digits.zip", digits_zip, "application/zip"))
    run(at)
    assert any("用于训练" in m for m in texts(at, "markdown"))


PHOTO_APP = '''
import streamlit as st
from ui.photo_input import photo_input
pre = photo_input("t")
if pre is not None:
    st.write("digit found", int(pre.uint8.sum()))
'''


def test_photo_input_upload_shows_steps(store):
    from cnnviz import photo

    x, _ = data.load_embedded_arrays()
    img, _ = photo.synthetic_photo(x[0], np.random.default_rng(0), shadow=0.3)
    b = io.BytesIO()
    Image.fromarray(img).save(b, format="JPEG", quality=80)
    at = AppTest.from_string(PHOTO_APP, default_timeout=60)
    run(at)
    at.radio(key="t_source").set_value("upload")
    run(at)
    at.file_uploader(key="t_upload").set_value(("digit.jpg", b.getvalue(), "image/jpeg"))
    run(at)
    assert len(at.get("image")) == 4
    assert any("digit found" in str(m) for m in texts(at, "markdown"))
    blank = io.BytesIO()
    Image.new("RGB", (640, 480), (240, 240, 235)).save(blank, format="PNG")
    at.file_uploader(key="t_upload").set_value(("blank.png", blank.getvalue(), "image/png"))
    run(at)
    assert any("No digit found" in w for w in texts(at, "warning"))
    at.file_uploader(key="t_upload").set_value(("bad.png", b"not an image", "image/png"))
    run(at)
    assert texts(at, "error")


def test_camera_shots_per_class(store):
    """Camera shots added one by one to two classes, then made into a dataset (the drawing flow is the same,
    with the canvas instead of the camera)."""
    from cnnviz import photo

    x, y = data.load_embedded_arrays()
    rng = np.random.default_rng(0)
    at = run(AppTest.from_file(PAGE, default_timeout=60))
    at.radio(key="ud_method").set_value("camera")
    run(at)
    at.text_input(key="ud_classes_camera").set_value("zero, one")
    run(at)
    for cls, digit in (("zero", 0), ("one", 1)):
        at.radio(key="ud_current_camera").set_value(cls)
        run(at)
        for i in np.flatnonzero(y == digit)[:5]:
            img, _ = photo.synthetic_photo(x[i], rng, size=(240, 320), shadow=0.2, quality=None)
            b = io.BytesIO()
            Image.fromarray(img).save(b, format="JPEG", quality=85)
            at.camera_input[0].set_value(("shot.jpg", b.getvalue(), "image/jpeg"))
            run(at)
            at.button(key="ud_add").click()
            run(at)
    assert any("zero: 5" in m and "one: 5" in m for m in texts(at, "markdown"))
    at.button(key="ud_build").click()
    run(at)
    assert "zero: 5" in texts(at, "caption") and "one: 5" in texts(at, "caption")
    assert any("10" in m and "8" in m and "2" in m for m in texts(at, "markdown"))
