"""A photo of a digit on paper as input: camera or upload (through the safe loader), the four steps of
:func:`cnnviz.photo.analyze_photo` as small pictures, and the digit or the reason there is none."""

from __future__ import annotations

import hashlib

import streamlit as st

from cnnviz import images, photo
from ui.i18n import t, tm
from ui.image_source import upscale_nearest

SOURCES = ("camera", "upload")


def read_photo(data: bytes, name: str) -> photo.PhotoResult:
    """Decode with the safe loader (raises :class:`cnnviz.images.ImageLoadError`) and read the digit."""
    return photo.analyze_photo(images.decode(data, name).data)   # uint8 for 8-bit files, else float 0–255


def show_steps(result: photo.PhotoResult) -> None:
    """The steps as four small pictures, two by two (a step not reached shows nothing)."""
    cols = [col for _ in range(2) for col in st.columns(2)]
    for col, step in zip(cols, photo.STEPS):
        pic = result.steps.get(step)
        with col:
            if pic is not None:
                if pic.shape[0] <= 28:
                    pic = upscale_nearest(pic, 140)
                st.image(pic, width="stretch")
            st.caption(t(f"photo.step.{step}"))


def photo_key(pre) -> str:
    """A key naming a photo's 28x28 result, for the pages' caches."""
    return "photo:" + hashlib.blake2b(pre.uint8.tobytes(), digest_size=16).hexdigest()


def photo_input(key: str = "photo"):
    """Widgets for a photo; returns the :class:`cnnviz.drawing.Preprocessed` digit, or None after saying
    why there is none (no photo yet, a file that is not an image, no digit found and what to try)."""
    source = st.radio(t("photo.source"), SOURCES, horizontal=True, key=f"{key}_source",
                      format_func=lambda s: t(f"photo.source_{s}"))
    if source == "camera":
        shot = st.camera_input(t("photo.camera_label"), key=f"{key}_camera", help=t("photo.tips"))
    else:
        shot = st.file_uploader(t("photo.upload_label"), type=list(images.EXTENSIONS), key=f"{key}_upload",
                                help=t("photo.tips"))
    if shot is None:
        st.info(t("photo.prompt"))
        return None
    cache_key = f"{key}_read"
    cached = st.session_state.get(cache_key)
    if cached is not None and cached[0] == shot.file_id:
        result = cached[1]
    else:
        try:
            result = read_photo(shot.getvalue(), shot.name)
        except images.ImageLoadError as exc:
            st.session_state.pop(cache_key, None)
            st.error(t("img.upload_error", error=tm(exc)), icon="🚫")
            return None
        st.session_state[cache_key] = (shot.file_id, result)
    show_steps(result)
    if result.pre is None:
        st.warning(t("photo.no_digit", reason=tm(result.reason)), icon="🔍")
        return None
    if result.light_on_dark:
        st.caption(t("photo.light_on_dark"))
    return result.pre

