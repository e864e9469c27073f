"""The image picker shared by the kernels and pooling pages: a sample photo or a safe upload."""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnnviz import images
from ui.i18n import t, tm

SOURCE_SAMPLE = "Sample photo"      # option values (kept stable for tests); shown translated
SOURCE_UPLOAD = "Upload an image"
_SOURCE_TEXT = {SOURCE_SAMPLE: "img.source_sample", SOURCE_UPLOAD: "img.source_upload"}


@st.cache_resource(show_spinner=False)
def sample(key: str) -> images.LoadedImage:
    """A scikit-image sample, loaded once per server (read-only: never modify its pixels)."""
    loaded = images.load_sample(key)
    loaded.pixels.setflags(write=False)
    return loaded


def decode_upload(data: bytes, name: str) -> images.CompactImage:
    """Decode an upload with the safe loader, kept compact (raises :class:`cnnviz.images.ImageLoadError`)."""
    compact = images.decode(data, name)
    compact.data.setflags(write=False)
    return compact


def _for_this_run(compact: images.CompactImage) -> images.LoadedImage:
    """The float32 image the page computes on, made for this run only: the session keeps the compact
    (uint8) copy, a quarter of the memory of float32 RGBX, which a closed tab would otherwise hold."""
    loaded = compact.expand()
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
        st.session_state.pop(f"{prefix}_decoded", None)
        st.info(t("img.upload_prompt"))
        return None
    cache_key = f"{prefix}_decoded"
    cached = st.session_state.get(cache_key)
    if cached is not None and cached[0] == uploaded.file_id:
        return _for_this_run(cached[1])
    st.session_state.pop(cache_key, None)    # the old image goes before the new one is decoded
    try:
        compact = decode_upload(uploaded.getvalue(), uploaded.name)
    except images.ImageLoadError as exc:
        st.error(t("img.upload_error", error=tm(exc, md=True)), icon="🚫")
        return None
    st.session_state[cache_key] = (uploaded.file_id, compact)
    return _for_this_run(compact)


def describe(img: images.LoadedImage) -> None:
    """One caption line: size, colour and what the loader did (its notes, translated)."""
    kind = t("img.kind_rgb") if img.mode == "RGB" else t("img.kind_gray")
    text = t("img.describe", w=img.width, h=img.height, kind=kind)
    if img.notes:
        text += "; " + "; ".join(tm(n, md=True) for n in img.notes)
    st.caption(text)


def upscale_nearest(arr: np.ndarray, target_side: int) -> np.ndarray:
    """Repeat pixels so a small image shows as crisp blocks (display only)."""
    h, w = arr.shape[:2]
    f = max(1, target_side // max(h, w))
    if f == 1:
        return arr
    return np.repeat(np.repeat(arr, f, axis=0), f, axis=1)
