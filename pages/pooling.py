"""Pooling: summarise each window by its maximum or its mean, and watch the size shrink."""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnnviz import figures, images, kernels, pooling
from cnnviz.images import to_gray
from ui.i18n import lang, t, tf, tm
from ui.image_source import describe, pick_image, upscale_nearest
from ui.sidebar import lecture_mode, styled
from ui.url_state import apply_link, choice, flag, integer, write_link

NO_BAR = {"displayModeBar": False}
LINKED = {   # the choices a link to this page carries (ui.url_state); the widgets below use the same ranges
    "pooling_sample": choice(images.sample_names()), "pool_kind": choice(pooling.KINDS),
    "pool_kernel": integer(1, 64, 2), "pool_stride": integer(0, 64, 2),
    "pool_padding": integer(0, 32, 0), "pool_ceil": flag(False), "pool_color": choice(["gray", "rgb"]),
}


def choose_settings(lecture: bool) -> tuple[pooling.PoolParams, str]:
    """Kind, window, stride, padding and ceil_mode (lecture mode: window and stride only), and the colour."""
    kind = st.radio(t("pool.kind"), pooling.KINDS, horizontal=True, key="pool_kind", format_func=tf("pool_kind"))
    window_col, stride_col, padding_col = st.columns(3)
    window = window_col.number_input(t("pool.window"), min_value=1, max_value=64, value=2, step=1, key="pool_kernel",
                                     help=t("pool.window_help"))
    stride = stride_col.number_input(t("pool.stride"), min_value=0, max_value=64, value=2, step=1, key="pool_stride",
                                     help=t("pool.stride_help"))
    padding, ceil_mode = 0, False
    if not lecture:
        padding = padding_col.number_input(t("pool.padding"), min_value=0, max_value=32, value=0, step=1,
                                           key="pool_padding", help=t("pool.padding_help"))
        ceil_mode = st.checkbox(t("pool.ceil"), key="pool_ceil", help=t("pool.ceil_help"))
    color = st.radio(t("color.label"), ["gray", "rgb"], horizontal=True, key="pool_color", format_func=tf("color"))
    return pooling.PoolParams(kind, int(window), int(stride), int(padding), bool(ceil_mode)), color


def show_sizes(h: int, w: int, out: np.ndarray, params: pooling.PoolParams) -> None:
    oh, ow = out.shape[:2]
    st.subheader(t("pool.sizes"))
    before_col, after_col, formula_col = st.columns([1, 1, 2.4])
    before_col.metric(t("pool.before"), f"{w} × {h}")
    after_col.metric(t("pool.after"), f"{ow} × {oh}",
                     help=t("pool.after_help", pixels=ow * oh, share=ow * oh / (w * h), before=w * h))
    with formula_col:
        left, right = (r"\lceil", r"\rceil") if params.ceil_mode else (r"\lfloor", r"\rfloor")
        st.latex(r"W_{out} = \left" + left + r" \frac{W - F + 2P}{S} \right" + right + " + 1")
        ft = pooling.formulas(h, w, params)
        st.markdown(t("pool.formula_line", width=ft["width"], height=ft["height"]))
        rounding = t("pool.round_ceil" if params.ceil_mode else "pool.round_floor")
        st.caption(t("pool.formula_where", rounding=rounding))
        for dim, (start, limit) in pooling.dropped_windows(h, w, params).items():
            st.caption(t("pool.ceil_dropped", start=start, limit=limit, which=t(f"pool.dim_{dim}")))


def show_before_after(pixels: np.ndarray, out: np.ndarray, params: pooling.PoolParams) -> None:
    (h, w), (oh, ow) = pixels.shape[:2], out.shape[:2]
    before_col, after_col = st.columns(2, gap="medium")
    show_in = kernels.scale_for_display(pixels, "clip", 900)
    show_out = kernels.scale_for_display(out, "clip", 900)
    before_col.plotly_chart(styled(figures.picture_figure(show_in.image, t("pool.fig_before", w=w, h=h),
                                                          show_in.factor, height=420), False),
                            key="pin", config=NO_BAR)
    kind_title = t(f"pool_kind.{params.kind}")
    after_title = t("pool.fig_after", kind=kind_title[:1].lower() + kind_title[1:], w=ow, h=oh)
    after_col.plotly_chart(styled(figures.picture_figure(show_out.image, after_title, show_out.factor, height=420),
                                  False), key="pout", config=NO_BAR)
    st.caption(t("pool.same_size"))


def show_pyramid(pixels: np.ndarray, params: pooling.PoolParams) -> None:
    st.subheader(t("pool.pyramid"))
    levels = pooling.pyramid(pixels, params, max_levels=6)
    for i, (level_col, lvl) in enumerate(zip(st.columns(len(levels)), levels)):
        small = kernels.scale_for_display(lvl.pixels, "clip", 300)
        level_col.image(upscale_nearest(small.image, 300), width="stretch",
                        caption=t("pool.level_input", w=lvl.width, h=lvl.height) if i == 0 else
                        t("pool.level_n", i=i, w=lvl.width, h=lvl.height))
        if lvl.formula:
            level_col.caption(f"`{lvl.formula}`")
    if len(levels) == 1:
        st.caption(t("pool.no_second"))


def image_section(img, params: pooling.PoolParams, color: str) -> None:
    """The image pooled: sizes with the formula, before and after, and the pyramid."""
    pixels = to_gray(img.pixels) if color == "gray" else img.pixels
    try:
        out = pooling.pool(pixels, params)
    except pooling.PoolingError as exc:
        st.error(t("pool.error", error=tm(exc)), icon="🚫")
        return
    show_sizes(img.height, img.width, out, params)
    show_before_after(pixels, out, params)
    show_pyramid(pixels, params)


def window_text(example: pooling.WorkedExample, index: int) -> str:
    """One window of the worked example written out: its cells and the max or the mean."""
    grid, win = example.grid, example.windows[index]
    gh, gw = grid.shape
    r0, r1 = max(win.rows[0], 0), min(win.rows[1], gh)
    c0, c1 = max(win.cols[0], 0), min(win.cols[1], gw)
    cells = grid[r0:r1, c0:c1]
    vals = ", ".join(f"{v:g}" for v in cells.ravel())
    pads = (win.rows[1] - win.rows[0]) * (win.cols[1] - win.cols[0]) - cells.size
    if example.params.kind == "max":
        return t("pool.win_max", n=index + 1, row=win.out_row, col=win.out_col, vals=vals,
                 pad=t("pool.win_max_pad") if pads else "", value=win.value, wr=win.winner[0], wc=win.winner[1])
    return (t("pool.win_avg", n=index + 1, row=win.out_row, col=win.out_col, vals=vals, zeros=" + 0" * pads,
              count=win.count, value=win.value) + (t("pool.win_avg_pad", pads=pads) if pads else ""))


def example_section(params: pooling.PoolParams) -> None:
    """The same pooling on a small grid of numbers, one window at a time."""
    st.subheader(t("pool.example"))
    st.caption(t("pool.example_caption"))
    size_col, seed_col, step_col = st.columns([1, 1, 2])
    size = size_col.number_input(t("pool.grid_size"), min_value=2, max_value=10, value=6, step=1,
                                 key="pool_grid_size")
    seed = seed_col.number_input(t("pool.grid_seed"), min_value=0, max_value=9999, value=1, step=1,
                                 key="pool_grid_seed")
    try:
        example = pooling.worked_example(pooling.random_grid(int(seed), int(size)), params)
    except pooling.PoolingError as exc:
        st.warning(t("pool.example_error", error=tm(exc)), icon="⚠️")
        return
    n = len(example.windows)
    with step_col:
        step = st.slider(t("pool.step"), 0, n, 0, key="pool_step") if n > 1 else 0
    highlight = None if step == 0 else step - 1
    st.plotly_chart(styled(figures.pool_example_figure(example, highlight, lang=lang())), key="pool_example",
                    config=NO_BAR)
    oh, ow = example.output.shape
    st.markdown(t("pool.example_size", fw=example.formula_width, fh=example.formula_height, w=ow, h=oh))
    if highlight is not None:
        st.markdown(window_text(example, highlight))


def main() -> None:
    st.title(t("pool.title"))
    st.markdown(t("pool.intro"))
    apply_link(LINKED)
    image_col, settings_col = st.columns([1.2, 1], gap="large")
    with image_col:
        st.subheader(t("pool.image"))
        img = pick_image("pooling")
        if img is not None:
            describe(img)
    with settings_col:
        st.subheader(t("pool.settings"))
        params, color = choose_settings(lecture_mode())
    write_link(LINKED)
    if img is not None:
        image_section(img, params, color)
    example_section(params)


main()
