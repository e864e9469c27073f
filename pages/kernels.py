"""Kernels: slide a small grid of weights over a real photo and see every number it computes."""

from __future__ import annotations

import streamlit as st

from cnnviz import kernels
from ui import kernels_view as view
from ui.i18n import t, tm
from ui.image_source import describe, pick_image
from ui.sidebar import lecture_mode
from ui.url_state import apply_link, write_link


def choose_image():
    st.subheader(t("kern.image"))
    img = pick_image("kernels")
    if img is not None:
        describe(img)
    return img


def convolve(img, choice: view.KernelChoice, params: kernels.ConvParams):
    """The convolution of the image with the chosen kernel(s), or ``None`` after saying why it cannot run."""
    try:
        return kernels.apply_kernels(img.pixels, choice.stack, params, choice.combine)
    except kernels.KernelError as exc:
        st.error(t("kern.conv_error", error=tm(exc)), icon="🚫")
        return None


def main() -> None:
    lecture = lecture_mode()    # lecture mode: bigger figures, no dilation or padding mode
    st.title(t("kern.title"))
    st.markdown(t("kern.intro"))
    apply_link(view.LINKED)
    image_col, kernel_col, settings_col = st.columns([1.1, 1.1, 1], gap="large")
    with image_col:
        img = choose_image()
    with kernel_col:
        st.subheader(t("kern.kernel"))
        choice = view.choose_kernel()
        view.show_kernel(choice)
    with settings_col:
        st.subheader(t("kern.settings"))
        params, scaling = view.choose_settings(choice, lecture)
    write_link(view.LINKED)
    if img is None or choice.stack is None:
        return
    result = convolve(img, choice, params)
    if result is None:
        return
    view.show_sizes(result)
    input_col, output_col = st.columns(2, gap="medium")
    inspection = view.choose_pixel(result)
    view.show_pictures(result, inspection, scaling, input_col, output_col)
    view.show_inspection(inspection, result)
    view.learned_section(img.pixels, lecture)


main()
