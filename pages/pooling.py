"""Pooling: summarise each window by its maximum or its mean, and watch the size shrink."""

import numpy as np
import streamlit as st

from cnnviz import figures, kernels, pooling
from cnnviz.images import to_gray
from ui.image_source import describe, pick_image, upscale_nearest

st.title("🧊 Pooling")
st.markdown(
    "Pooling slides a window over each feature map and keeps one number per window: the **maximum** "
    "(max pooling: *is the pattern somewhere here?*) or the **mean** (average pooling). It has no weights "
    "to learn. With a 2×2 window and stride 2 it halves the width and height, so the next layers see a "
    "wider area for the same cost, and small shifts of the input matter less."
)

col_img, col_params = st.columns([1.2, 1], gap="large")
with col_img:
    st.subheader("1 · Image")
    img = pick_image("pooling")
    if img is not None:
        describe(img)
with col_params:
    st.subheader("2 · Settings")
    kind = st.radio("Pooling", pooling.KINDS, horizontal=True, key="pool_kind",
                    format_func=pooling.KIND_TITLES.get)
    c1, c2, c3 = st.columns(3)
    kernel = c1.number_input("Window", min_value=1, max_value=64, value=2, step=1, key="pool_kernel",
                             help="The window is kernel × kernel pixels.")
    stride = c2.number_input("Stride", min_value=0, max_value=64, value=2, step=1, key="pool_stride",
                             help="How far the window moves at each step (usually = the window).")
    padding = c3.number_input("Padding", min_value=0, max_value=32, value=0, step=1, key="pool_padding",
                              help="At most half the window. Max pooling pads with −∞ (never wins); "
                                   "average pooling pads with 0 (counted in the mean, PyTorch's default).")
    ceil_mode = st.checkbox("ceil_mode (keep a last, partial window)", key="pool_ceil",
                            help="Rounds the output size up instead of down: windows that run past the "
                                 "edge are kept if they start inside the image.")
    color = st.radio("Colour", ["gray", "rgb"], horizontal=True, key="pool_color",
                     format_func=lambda c: "Grayscale" if c == "gray" else "RGB, each channel separately")

params = pooling.PoolParams(kind, int(kernel), int(stride), int(padding), bool(ceil_mode))

# ----------------------------------------------------------------------------- the image
if img is not None:
    pixels = to_gray(img.pixels) if color == "gray" else img.pixels
    h, w = img.height, img.width
    try:
        out = pooling.pool(pixels, params)
    except pooling.PoolingError as exc:
        st.error(str(exc), icon="🚫")
        out = None
    if out is not None:
        oh, ow = out.shape[:2]
        st.subheader("Size before and after")
        m1, m2, m3 = st.columns([1, 1, 2.4])
        m1.metric("Before (width × height)", f"{w} × {h}")
        m2.metric("After (width × height)", f"{ow} × {oh}",
                  help=f"{ow * oh:,} pixels, {ow * oh / (w * h):.1%} of the {w * h:,} before")
        with m3:
            st.latex(r"W_{out} = \left%s \frac{W - F + 2P}{S} \right%s + 1"
                     % ((r"\lceil", r"\rceil") if ceil_mode else (r"\lfloor", r"\rfloor")))
            ft = pooling.formulas(h, w, params)
            st.markdown(f"width: `{ft['width']}` · height: `{ft['height']}`")

        a, b = st.columns(2, gap="medium")
        show_in = kernels.scale_for_display(pixels, "clip", 900)
        show_out = kernels.scale_for_display(out, "clip", 900)
        a.plotly_chart(figures.picture_figure(show_in.image, f"Before: {w}×{h}", show_in.factor, height=420),
                       key="pin", config={"displayModeBar": False})
        b.plotly_chart(figures.picture_figure(show_out.image, f"After {pooling.KIND_TITLES[kind].lower()}: "
                                              f"{ow}×{oh}", show_out.factor, height=420),
                       key="pout", config={"displayModeBar": False})
        st.caption("Both are drawn at the same size on screen: the pooled image has fewer, bigger pixels. "
                   "Zoom in (drag a box) to compare.")

        st.subheader("A pyramid: the same pooling again and again")
        levels = pooling.pyramid(pixels, params, max_levels=6)
        cols = st.columns(len(levels))
        for i, (c, lvl) in enumerate(zip(cols, levels)):
            small = kernels.scale_for_display(lvl.pixels, "clip", 300)
            c.image(upscale_nearest(small.image, 300), width="stretch",
                    caption=f"{'input' if i == 0 else f'{i}× pooled'}: {lvl.width}×{lvl.height}")
            if lvl.formula:
                c.caption(f"`{lvl.formula}`")
        if len(levels) == 1:
            st.caption("The window does not fit a second time.")

# ----------------------------------------------------------------------------- worked example
st.subheader("✍️ Worked example on a small grid")
st.caption("Each window and the output cell it produces share a colour. For max pooling the winner of "
           "each window is circled; for average pooling the output is the window's mean.")
e1, e2, e3 = st.columns([1, 1, 2])
size = e1.number_input("Grid size", min_value=2, max_value=10, value=6, step=1, key="pool_grid_size")
seed = e2.number_input("Numbers (seed)", min_value=0, max_value=9999, value=1, step=1, key="pool_grid_seed")
grid = pooling.random_grid(int(seed), int(size))
try:
    example = pooling.worked_example(grid, params)
except pooling.PoolingError as exc:
    st.warning(f"The worked example cannot use these settings: {exc}", icon="⚠️")
else:
    n = len(example.windows)
    with e3:
        step = st.slider("Step through the windows (0 = all at once)", 0, n, 0, key="pool_step") if n > 1 else 0
    highlight = None if step == 0 else step - 1
    st.plotly_chart(figures.pool_example_figure(example, highlight), key="pool_example",
                    config={"displayModeBar": False})
    gh, gw = grid.shape
    oh_, ow_ = example.output.shape
    st.markdown(f"Output size: width `{example.formula_width}`, height `{example.formula_height}` → "
                f"**{ow_}×{oh_}**")
    if highlight is not None:
        win = example.windows[highlight]
        r0, r1 = max(win.rows[0], 0), min(win.rows[1], gh)
        c0, c1 = max(win.cols[0], 0), min(win.cols[1], gw)
        cells = grid[r0:r1, c0:c1]
        vals = ", ".join(f"{v:g}" for v in cells.ravel())
        pads = (win.rows[1] - win.rows[0]) * (win.cols[1] - win.cols[0]) - cells.size
        if kind == "max":
            st.markdown(f"Window {highlight + 1} → output (row {win.out_row}, column {win.out_col}): "
                        f"max({vals}{', −∞ padding' if pads else ''}) = **{win.value:g}**, "
                        f"at grid row {win.winner[0]}, column {win.winner[1]}.")
        else:
            st.markdown(f"Window {highlight + 1} → output (row {win.out_row}, column {win.out_col}): "
                        f"({vals}{' + 0' * pads}) / {win.count} = **{win.value:.4g}**"
                        + (f" ({pads} padding zeros counted)" if pads else ""))
