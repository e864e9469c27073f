"""The image picker shared by the kernels and pooling pages: a sample photo or a safe upload."""

from __future__ import annotations

import re

import numpy as np
import streamlit as st

from cnnviz import images
from ui.i18n import t

SOURCE_SAMPLE = "Sample photo"      # option values (kept stable for tests); shown translated
SOURCE_UPLOAD = "Upload an image"
_SOURCE_TEXT = {SOURCE_SAMPLE: "img.source_sample", SOURCE_UPLOAD: "img.source_upload"}


@st.cache_resource(show_spinner=False)
def sample(key: str) -> images.LoadedImage:
    """A scikit-image sample, loaded once per server (read-only: never modify its pixels)."""
    loaded = images.load_sample(key)
    loaded.pixels.setflags(write=False)
    return loaded


def decode_upload(data: bytes, name: str) -> images.LoadedImage:
    """Decode an upload with the safe loader (raises :class:`cnnviz.images.ImageLoadError`)."""
    loaded = images.load_image(data, name)
    loaded.pixels.setflags(write=False)
    return loaded


def pick_image(prefix: str) -> images.LoadedImage | None:
    """Widgets for choosing the image; returns it, or ``None`` after showing why there is none."""
    source = st.radio(t("img.source"), [SOURCE_SAMPLE, SOURCE_UPLOAD], horizontal=True, key=f"{prefix}_source",
                      format_func=lambda s: t(_SOURCE_TEXT[s]))
    if source == SOURCE_SAMPLE:
        key = st.selectbox(t("img.sample"), images.sample_names(), key=f"{prefix}_sample",
                           format_func=lambda k: t(f"sample.{k}"))
        return sample(key)
    uploaded = st.file_uploader(
        t("img.upload_label"), type=list(images.EXTENSIONS), key=f"{prefix}_upload",
        help=t("img.upload_help", mb=images.MAX_BYTES // 2**20, mp=images.MAX_PIXELS / 1e6))
    if uploaded is None:
        st.info(t("img.upload_prompt"))
        return None
    cache_key = f"{prefix}_decoded"
    cached = st.session_state.get(cache_key)
    if cached is not None and cached[0] == uploaded.file_id:
        return cached[1]
    try:
        loaded = decode_upload(uploaded.getvalue(), uploaded.name)
    except images.ImageLoadError as exc:
        st.session_state.pop(cache_key, None)
        st.error(t("img.upload_error", error=exc), icon="🚫")
        return None
    st.session_state[cache_key] = (uploaded.file_id, loaded)
    return loaded


# the loader's notes (English, from cnnviz.images) → table keys
_NOTES = [(re.compile(r"16-bit grayscale scaled from 0–65535 to 0–255 \(not clipped\)"), "img_note.16bit"),
          (re.compile(r"(?P<kind>32-bit integer|floating-point) image scaled from (?P<lo>\S+)–(?P<hi>\S+) to 0–255"),
           "img_note.scaled"),
          (re.compile(r"transparent pixels shown on white"), "img_note.transparent"),
          (re.compile(r"CMYK converted to RGB"), "img_note.cmyk"),
          (re.compile(r"first frame of (?P<n>\d+) used"), "img_note.frames"),
          (re.compile(r"EXIF orientation (?P<n>\d+) applied \(the photo is shown upright\)"), "img_note.exif"),
          (re.compile(r"stored as colour but gray: treated as grayscale"), "img_note.gray")]


def note_text(note: str) -> str:
    """A loader note in the reader's language (unknown notes stay as they are)."""
    for pattern, key in _NOTES:
        m = pattern.fullmatch(note)
        if m:
            args = m.groupdict()
            if "kind" in args:
                args["kind"] = t("img_note.int32" if args["kind"].startswith("32") else "img_note.float")
            return t(key, **args)
    return note


def describe(img: images.LoadedImage) -> None:
    """One caption line: size, colour and what the loader did."""
    kind = t("img.kind_rgb") if img.mode == "RGB" else t("img.kind_gray")
    text = t("img.describe", w=img.width, h=img.height, kind=kind)
    if img.notes:
        text += "; " + "; ".join(note_text(n) for n in img.notes)
    st.caption(text)


def upscale_nearest(arr: np.ndarray, target_side: int) -> np.ndarray:
    """Repeat pixels so a small image shows as crisp blocks (display only)."""
    h, w = arr.shape[:2]
    f = max(1, target_side // max(h, w))
    if f == 1:
        return arr
    return np.repeat(np.repeat(arr, f, axis=0), f, axis=1)
