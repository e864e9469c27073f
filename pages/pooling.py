"""Pooling: summarise each window by its maximum or its mean, and watch the size shrink."""

import streamlit as st

from cnnviz import figures, kernels, pooling
from cnnviz.images import to_gray
from ui.i18n import lang, t, tf, tm
from ui.image_source import describe, pick_image, upscale_nearest
from ui.sidebar import lecture_mode, styled

st.title(t("pool.title"))
st.markdown(t("pool.intro"))

col_img, col_params = st.columns([1.2, 1], gap="large")
with col_img:
    st.subheader(t("pool.image"))
    img = pick_image("pooling")
    if img is not None:
        describe(img)
with col_params:
    st.subheader(t("pool.settings"))
    kind = st.radio(t("pool.kind"), pooling.KINDS, horizontal=True, key="pool_kind", format_func=tf("pool_kind"))
    lecture = lecture_mode()          # lecture mode: window and stride only (no padding, no ceil_mode)
    c1, c2, c3 = st.columns(3)
    kernel = c1.number_input(t("pool.window"), min_value=1, max_value=64, value=2, step=1, key="pool_kernel",
                             help=t("pool.window_help"))
    stride = c2.number_input(t("pool.stride"), min_value=0, max_value=64, value=2, step=1, key="pool_stride",
                             help=t("pool.stride_help"))
    padding, ceil_mode = 0, False
    if not lecture:
        padding = c3.number_input(t("pool.padding"), min_value=0, max_value=32, value=0, step=1,
                                  key="pool_padding", help=t("pool.padding_help"))
        ceil_mode = st.checkbox(t("pool.ceil"), key="pool_ceil", help=t("pool.ceil_help"))
    color = st.radio(t("color.label"), ["gray", "rgb"], horizontal=True, key="pool_color", format_func=tf("color"))

params = pooling.PoolParams(kind, int(kernel), int(stride), int(padding), bool(ceil_mode))

# ----------------------------------------------------------------------------- the image
if img is not None:
    pixels = to_gray(img.pixels) if color == "gray" else img.pixels
    h, w = img.height, img.width
    try:
        out = pooling.pool(pixels, params)
    except pooling.PoolingError as exc:
        st.error(t("pool.error", error=tm(exc)), icon="🚫")
        out = None
    if out is not None:
        oh, ow = out.shape[:2]
        st.subheader(t("pool.sizes"))
        m1, m2, m3 = st.columns([1, 1, 2.4])
        m1.metric(t("pool.before"), f"{w} × {h}")
        m2.metric(t("pool.after"), f"{ow} × {oh}",
                  help=t("pool.after_help", pixels=ow * oh, share=ow * oh / (w * h), before=w * h))
        with m3:
            st.latex(r"W_{out} = \left%s \frac{W - F + 2P}{S} \right%s + 1"
                     % ((r"\lceil", r"\rceil") if ceil_mode else (r"\lfloor", r"\rfloor")))
            ft = pooling.formulas(h, w, params)
            st.markdown(t("pool.formula_line", width=ft["width"], height=ft["height"]))

        a, b = st.columns(2, gap="medium")
        show_in = kernels.scale_for_display(pixels, "clip", 900)
        show_out = kernels.scale_for_display(out, "clip", 900)
        a.plotly_chart(styled(figures.picture_figure(show_in.image, t("pool.fig_before", w=w, h=h), show_in.factor,
                                                     height=420), False), key="pin", config={"displayModeBar": False})
        kind_title = t(f"pool_kind.{kind}")
        b.plotly_chart(styled(figures.picture_figure(
            show_out.image, t("pool.fig_after", kind=kind_title[:1].lower() + kind_title[1:], w=ow, h=oh),
            show_out.factor, height=420), False), key="pout", config={"displayModeBar": False})
        st.caption(t("pool.same_size"))

        st.subheader(t("pool.pyramid"))
        levels = pooling.pyramid(pixels, params, max_levels=6)
        cols = st.columns(len(levels))
        for i, (c, lvl) in enumerate(zip(cols, levels)):
            small = kernels.scale_for_display(lvl.pixels, "clip", 300)
            c.image(upscale_nearest(small.image, 300), width="stretch",
                    caption=t("pool.level_input", w=lvl.width, h=lvl.height) if i == 0 else
                    t("pool.level_n", i=i, w=lvl.width, h=lvl.height))
            if lvl.formula:
                c.caption(f"`{lvl.formula}`")
        if len(levels) == 1:
            st.caption(t("pool.no_second"))

# ----------------------------------------------------------------------------- worked example
st.subheader(t("pool.example"))
st.caption(t("pool.example_caption"))
e1, e2, e3 = st.columns([1, 1, 2])
size = e1.number_input(t("pool.grid_size"), min_value=2, max_value=10, value=6, step=1, key="pool_grid_size")
seed = e2.number_input(t("pool.grid_seed"), min_value=0, max_value=9999, value=1, step=1, key="pool_grid_seed")
grid = pooling.random_grid(int(seed), int(size))
try:
    example = pooling.worked_example(grid, params)
except pooling.PoolingError as exc:
    st.warning(t("pool.example_error", error=tm(exc)), icon="⚠️")
else:
    n = len(example.windows)
    with e3:
        step = st.slider(t("pool.step"), 0, n, 0, key="pool_step") if n > 1 else 0
    highlight = None if step == 0 else step - 1
    gh, gw = grid.shape
    oh_, ow_ = example.output.shape
    pad = params.padding
    fig = figures.pool_example_figure(example, highlight, lang=lang())
    st.plotly_chart(styled(fig), key="pool_example",
                    config={"displayModeBar": False})
    gh, gw = grid.shape
    oh_, ow_ = example.output.shape
    st.markdown(t("pool.example_size", fw=example.formula_width, fh=example.formula_height, w=ow_, h=oh_))
    if highlight is not None:
        win = example.windows[highlight]
        r0, r1 = max(win.rows[0], 0), min(win.rows[1], gh)
        c0, c1 = max(win.cols[0], 0), min(win.cols[1], gw)
        cells = grid[r0:r1, c0:c1]
        vals = ", ".join(f"{v:g}" for v in cells.ravel())
        pads = (win.rows[1] - win.rows[0]) * (win.cols[1] - win.cols[0]) - cells.size
        if kind == "max":
            st.markdown(t("pool.win_max", n=highlight + 1, row=win.out_row, col=win.out_col, vals=vals,
                          pad=t("pool.win_max_pad") if pads else "", value=win.value,
                          wr=win.winner[0], wc=win.winner[1]))
        else:
            st.markdown(t("pool.win_avg", n=highlight + 1, row=win.out_row, col=win.out_col, vals=vals,
                          zeros=" + 0" * pads, count=win.count, value=win.value)
                        + (t("pool.win_avg_pad", pads=pads) if pads else ""))
