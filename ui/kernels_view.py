"""The kernels page's pieces: choosing a kernel and the settings, the sizes, the pictures, the pixel
inspector and the learned kernels.  Each function reads its widgets or takes what it shows as arguments;
the computation is :mod:`cnnviz.kernels` and its modules."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

from cnnviz import checkpoints, figures, images, kernels, learned
from cnnviz.convolution import ConvResult
from cnnviz.display import DisplayImage
from cnnviz.inspector import Inspection
from cnnviz.messages import MessageError
from ui.common import checkpoint_options, load_model, md_escape
from ui.i18n import lang, t, tf, tm
from ui.interact import picture_click, take_pick
from ui.sidebar import styled
from ui.url_state import choice as link_choice
from ui.url_state import integer as link_integer

CUSTOM = "custom"
DISPLAY_SIDE = 900
PICK_KEY = "kernels_picture_pick"   # a click on the input or output picture, for the pixel inspector
LEARNED_MEMO = "kernels_learned_memo"   # the learned maps of the image shown (see learned_maps)
NO_BAR = {"displayModeBar": False}
RED = "#e4002b"


def error_text(exc: Exception) -> str:
    """A library error in the reader's language (a :class:`MessageError`), or its own text."""
    return tm(exc) if isinstance(exc, MessageError) else str(exc)


def legend(disp: DisplayImage) -> str:
    return "".join(tm(m) for m in disp.legend)


# ----------------------------------------------------------------------------- the kernel

@dataclass
class KernelChoice:
    key: str                         # a preset's key or CUSTOM
    stack: np.ndarray | None         # K×kh×kw, None when the custom kernel is not valid
    combine: str = "single"
    description: str = ""
    default_scaling: str = "clip"
    error: str = ""


def _start_grid(start: str, size: int) -> list[list[float]]:
    """The preset ``start`` padded or cropped to ``size×size``: where the custom editor starts."""
    base = kernels.PRESETS[start].kernel.astype(float)
    grid, bs = np.zeros((size, size)), base.shape[0]
    if bs <= size:
        o = (size - bs) // 2
        grid[o:o + bs, o:o + bs] = base
    else:
        o = (bs - size) // 2
        grid = base[o:o + size, o:o + size]
    return grid.tolist()


def _custom_kernel() -> KernelChoice:
    size_col, start_col = st.columns(2)
    size = size_col.radio(t("kern.size"), [3, 5], horizontal=True, key="kernels_custom_size",
                          format_func=lambda s: f"{s}×{s}")
    singles = [k for k, p in kernels.PRESETS.items() if p.combine == "single"]
    start = start_col.selectbox(t("kern.start_from"), singles, index=singles.index("sharpen"),
                                key="kernels_custom_start", format_func=lambda k: t(f"preset.{k}.title"))
    if st.session_state.get("kernels_custom_from") != (start, size):
        st.session_state["kernels_custom_grid"] = _start_grid(start, size)
        st.session_state["kernels_custom_from"] = (start, size)
    init = st.session_state["kernels_custom_grid"]
    columns = [str(i + 1) for i in range(len(init[0]))]
    edited = st.data_editor(
        pd.DataFrame(init, columns=columns), key="kernels_editor_" + hashlib.sha1(repr(init).encode()).hexdigest()[:10],
        hide_index=True, width="stretch",
        column_config={c: st.column_config.NumberColumn(format="%g", width="small") for c in columns})
    normalise = st.checkbox(t("kern.normalise"), key="kernels_normalise", help=t("kern.normalise_help"))
    values = edited.to_numpy(dtype=object) if hasattr(edited, "to_numpy") else edited
    try:
        kernel = kernels.validate_kernel(np.asarray(values, dtype=object), sizes=(3, 5))
    except kernels.KernelError as exc:
        return KernelChoice(CUSTOM, None, error=t("kern.bad_kernel", error=tm(exc)))
    if normalise:
        kernel, how = kernels.normalise(kernel)
        st.caption(t("kern.normalised", how=tm(how)))
    scaling = "clip" if abs(float(kernel.sum()) - 1) < 1e-6 else "diverging"
    return KernelChoice(CUSTOM, kernel[None], description=t("kern.custom_desc"), default_scaling=scaling)


def choose_kernel() -> KernelChoice:
    """The preset selectbox, or the custom grid editor."""
    key = st.selectbox(t("kern.preset"), [*kernels.PRESETS, CUSTOM], key="kernels_preset",
                       format_func=lambda k: t("kern.custom") if k == CUSTOM else t(f"preset.{k}.title"))
    if key == CUSTOM:
        return _custom_kernel()
    p = kernels.PRESETS[key]
    return KernelChoice(key, np.stack(p.kernels), p.combine, t(f"preset.{key}.desc"), p.scaling)


def show_kernel(choice: KernelChoice) -> None:
    """The kernel's weights (two grids for the gradient magnitude) and their sum, or why it cannot be used."""
    if choice.stack is None:
        st.error(choice.error, icon="🚫")
        return
    st.caption(choice.description)
    names = ["x", "y"] if choice.combine == "magnitude" else [""]
    for kernel_col, k, name in zip(st.columns(len(choice.stack)), choice.stack, names):
        title = t("kern.fig_kernel_n", name=name) if name else t("kern.fig_kernel")
        kernel_col.plotly_chart(styled(figures.kernel_figure(k, title, lang=lang())), key=f"kfig_{name}",
                                config=NO_BAR)
    total = float(choice.stack[0].sum())
    st.caption(t("kern.sum", total=total) + (t("kern.sum_kept") if abs(total - 1) < 1e-6 else
                                              t("kern.sum_zero") if abs(total) < 1e-6 else ""))


# ----------------------------------------------------------------------------- the settings

LINKED = {   # the choices a link to this page carries (ui.url_state); the widgets below use the same ranges
    "kernels_sample": link_choice(images.sample_names()),
    "kernels_preset": link_choice([*kernels.PRESETS, CUSTOM]),
    "kernels_color": link_choice(list(kernels.COLOR_MODES)),
    "kernels_stride": link_integer(0, 16, 1),
    "kernels_padding": link_integer(0, 64, 0),
    "kernels_dilation": link_integer(1, 16, 1),
    "kernels_padding_mode": link_choice(list(kernels.PADDING_MODES)),
}

def choose_settings(choice: KernelChoice, lecture: bool) -> tuple[kernels.ConvParams, str]:
    """Colour mode, stride, padding, dilation, padding mode and the display scaling."""
    color = st.radio(t("color.label"), list(kernels.COLOR_MODES), key="kernels_color", format_func=tf("color"))
    bias = 0.0
    if color == "conv3":
        bias = st.number_input(t("kern.bias"), min_value=-1000.0, max_value=1000.0, value=0.0, step=1.0,
                               key="kernels_bias", help=t("kern.bias_help"))
    stride_col, padding_col = st.columns(2)
    stride = stride_col.number_input(t("kern.stride"), min_value=0, max_value=16, value=1, step=1,
                                     key="kernels_stride", help=t("kern.stride_help"))
    padding = padding_col.number_input(t("kern.padding"), min_value=0, max_value=64, value=0, step=1,
                                       key="kernels_padding", help=t("kern.padding_help"))
    dilation, padding_mode = 1, "zeros"
    if lecture:
        st.caption(t("kern.lecture_note"))
    else:
        dilation_col, mode_col = st.columns(2)
        dilation = dilation_col.number_input(t("kern.dilation"), min_value=1, max_value=16, value=1, step=1,
                                             key="kernels_dilation", help=t("kern.dilation_help"))
        padding_mode = mode_col.selectbox(t("kern.padding_mode"), kernels.PADDING_MODES, key="kernels_padding_mode")
        st.caption(t("kern.padding_mode_caption", mode=padding_mode, text=t(f"padding_mode.{padding_mode}")))
    if st.session_state.get("kernels_scaling_for") != choice.key:     # a new kernel gets its fitting default
        st.session_state["kernels_scaling"] = choice.default_scaling
        st.session_state["kernels_scaling_for"] = choice.key
    scaling = st.radio(t("kern.show_as"), list(kernels.SCALINGS), key="kernels_scaling",
                       format_func=tf("scaling_title"))
    st.caption(t(f"scaling.{scaling}"))
    return kernels.ConvParams(int(stride), int(padding), padding_mode, int(dilation), color, float(bias)), scaling


# ----------------------------------------------------------------------------- sizes and pictures

def show_sizes(result: ConvResult) -> None:
    """Input and output size, and the formula with the numbers filled in."""
    (h, w), (oh, ow), p = result.in_size, result.out_size, result.params
    st.subheader(t("kern.output_size"))
    input_col, output_col, formula_col = st.columns([1, 1, 2.4])
    input_col.metric(t("kern.input_wh"), f"{w} × {h}")
    output_col.metric(t("kern.output_wh"), f"{ow} × {oh}")
    with formula_col:
        if p.dilation == 1:
            st.latex(r"W_{out} = \left\lfloor \frac{W - F + 2P}{S} \right\rfloor + 1")
        else:
            st.latex(r"W_{out} = \left\lfloor \frac{W - D\,(F-1) - 1 + 2P}{S} \right\rfloor + 1")
        ft = kernels.size_text((h, w), result.kernels.shape[1:], p)
        st.markdown(t("kern.formula_line", width=ft["width"], height=ft["height"]))
        st.caption(t("kern.formula_where"))


def _height(hh: int, ww: int) -> int:
    """A figure height that fits the picture's aspect ratio in a half-width column."""
    return int(min(600, max(240, 470 * hh / ww + 40)))


def show_pictures(result: ConvResult, ins: Inspection, scaling: str, input_col, output_col) -> None:
    """The input with the inspected window outlined, and the output with the inspected pixel; a click on
    either moves the inspector (next run)."""
    (h, w), (oh, ow) = result.in_size, result.out_size
    top, bottom, left, right = ins.rows[0], ins.rows[-1] + 1, ins.cols[0], ins.cols[-1] + 1
    halo = max(12, round(0.04 * max(h, w)))       # a dashed square around it, visible on big images
    cy, cx = (top + bottom) / 2, (left + right) / 2
    rects = [(left, top, right, bottom, RED), (cx - halo, cy - halo, cx + halo, cy + halo, RED, "dot")]
    in_disp = kernels.scale_for_display(result.input, "clip", DISPLAY_SIDE)
    with input_col:
        title = t("kern.fig_input_gray" if result.input.shape[2] == 1 else "kern.fig_input", w=w, h=h)
        st.plotly_chart(styled(figures.picture_figure(in_disp.image, title, in_disp.factor, _height(h, w), rects),
                               False), key="kin", config=NO_BAR)
        if in_disp.factor > 1:
            st.caption(t("kern.shown_smaller", factor=in_disp.factor))
    out_disp = kernels.scale_for_display(result.output, scaling, DISPLAY_SIDE)
    row, col, ohalo = ins.row, ins.col, max(12, round(0.04 * max(oh, ow)))
    out_rects = [(col, row, col + 1, row + 1, RED),
                 (col + 0.5 - ohalo, row + 0.5 - ohalo, col + 0.5 + ohalo, row + 0.5 + ohalo, RED, "dot")]
    with output_col:
        title = t("kern.fig_output", w=ow, h=oh, scaling=t(f"scaling_title.{scaling}"))
        st.plotly_chart(styled(figures.picture_figure(out_disp.image, title, out_disp.factor, _height(oh, ow),
                                                      out_rects), False), key="kout", config=NO_BAR)
        smaller = t("kern.legend_smaller", factor=out_disp.factor) if out_disp.factor > 1 else ""
        st.caption(legend(out_disp) + smaller)
    picture_click(["kin", "kout"], PICK_KEY)


# ----------------------------------------------------------------------------- the pixel inspector

def apply_pick(pick: dict | None, out_size: tuple[int, int], kernel_shape: tuple[int, int],
               params: kernels.ConvParams) -> None:
    """Move the inspector to a clicked pixel: an output pixel as it is, an input pixel to the output pixel
    whose window is centred nearest to it.  Anything else leaves the inspector where it was."""
    if pick is None:
        return
    oh, ow = out_size
    try:
        x, y = float(pick["x"]), float(pick["y"])
        if pick.get("which") == "kout":
            r, c = min(max(round(y), 0), oh - 1), min(max(round(x), 0), ow - 1)
        else:
            r, c = kernels.output_pixel_near(y, x, kernel_shape, params, out_size)
    except (KeyError, TypeError, ValueError, OverflowError, kernels.KernelError):
        return
    if oh > 1:
        st.session_state["kernels_insp_row"] = r
    if ow > 1:
        st.session_state["kernels_insp_col"] = c


def _position(column, label: str, n: int, key: str, single: str) -> int:
    if n <= 1:
        column.caption(t(single, label=label))
        return 0
    if st.session_state.get(key, 0) > n - 1:      # the output shrank: keep the slider valid
        st.session_state[key] = n - 1
    if key not in st.session_state:
        st.session_state[key] = n // 2
    return int(column.slider(label, 0, n - 1, key=key))


def choose_pixel(result: ConvResult) -> Inspection:
    """Sliders (moved by a click on a picture) for the output pixel and the channel; its arithmetic."""
    st.subheader(t("kern.inspector"))
    st.caption(t("kern.inspector_caption"))
    apply_pick(take_pick(PICK_KEY), result.out_size, result.kernels.shape[1:], result.params)
    row_col, col_col, channel_col = st.columns([2, 2, 1])
    oh, ow = result.out_size
    row = _position(row_col, t("kern.out_row"), oh, "kernels_insp_row", "kern.single_row")
    col = _position(col_col, t("kern.out_col"), ow, "kernels_insp_col", "kern.single_col")
    channel = 0
    if result.input.shape[2] == 3:
        channel = channel_col.radio(t("kern.channel"), [0, 1, 2], format_func=lambda c: "RGB"[c], horizontal=True,
                                    key="kernels_insp_channel")
    return kernels.inspect_pixel(result, row, col, channel)


def show_inspection(ins: Inspection, result: ConvResult) -> None:
    """Window × kernel = products for each kernel, the sum written out, and how it compares with conv2d."""
    for k_idx, (k, prod) in enumerate(zip(ins.kernels, ins.products)):
        if ins.combine == "magnitude":
            st.markdown(f"**{t(['kern.gx', 'kern.gy'][k_idx])}**")
        channel_sum = ins.channel_sums[k_idx][ins.channel] if ins.channel_sums else ins.sums[k_idx]
        fig = figures.inspector_figure(ins.window, k, prod, ins.in_padding, channel_sum, lang=lang())
        st.plotly_chart(styled(fig), key=f"insp_{k_idx}", config=NO_BAR)
        if ins.channel_sums:
            r, g, b = ins.channel_sums[k_idx]
            st.markdown(t("kern.conv3_line", r=r, g=g, b=b, bias=ins.bias, value=ins.sums[k_idx]))
    pairs = [(v, k) for v, k in zip(ins.window.ravel(), ins.kernels[0].ravel()) if k != 0]
    terms = " + ".join(f"{v:g}×{k:g}" if k >= 0 else f"{v:g}×({k:g})" for v, k in pairs[:9]) or "0"
    more = t("kern.more_terms", n=len(pairs) - 9) if len(pairs) > 9 else ""
    if ins.combine == "magnitude":
        st.markdown(t("kern.magnitude_line", gx=ins.sums[0], gy=ins.sums[1], value=ins.value))
    elif not ins.channel_sums:
        st.markdown(t("kern.sum_line", terms=terms, more=more, value=ins.value))
    where = (t("kern.where_channel", row=ins.row, col=ins.col, channel="RGB"[ins.channel])
             if result.output.shape[2] == 3 else t("kern.where", row=ins.row, col=ins.col))
    if ins.value == ins.output_value:
        st.success(t("kern.exact", where=where, value=ins.output_value), icon="✅")
    else:
        st.info(t("kern.rounding", where=where, value=ins.output_value, exact=ins.value,
                  diff=abs(ins.value - ins.output_value)), icon="ℹ️")
    if ins.in_padding.any():
        st.caption(t("kern.padding_marked", mode=result.params.padding_mode))


# ----------------------------------------------------------------------------- learned kernels

def _ckpt_label(opt: str, options: dict) -> str:
    if opt == "upload":
        return t("kern.ckpt_upload_option")
    info = options[opt]
    name = info.name + ("" if opt.startswith("shipped:") else t("fm.trained_by_you"))
    if not isinstance(info.meta.test_acc, (int, float)):
        return name
    return t("kern.ckpt_option", name=name, arch=info.meta.arch, acc=info.meta.test_acc)


def choose_checkpoint() -> tuple[object, object, tuple, bool, str]:
    """``(model, meta, checkpoint id, invert, scaling)``; the model is ``None`` when there is none to use."""
    # shipped checkpoints and the ones saved on the Training page ("user:..."); the MLP has no conv1
    options = {k: i for k, i in checkpoint_options().items() if i.meta is not None and i.meta.arch != "mlp"}
    ckpt_col, options_col = st.columns([2, 1])
    pick = ckpt_col.selectbox(t("kern.checkpoint"), [*options, "upload"], key="kernels_ckpt",
                              format_func=lambda opt: _ckpt_label(opt, options))
    invert = options_col.checkbox(t("kern.invert"), key="kernels_invert")
    scaling = options_col.radio(t("kern.maps_as"), ["minmax", "diverging"], horizontal=True,
                                key="kernels_learned_scaling", format_func=tf("scaling_title"),
                                help=t("kern.maps_as_help"))
    model = meta = ckpt_id = None
    if pick in options and (basis := checkpoints.accuracy_basis(options[pick].meta)):
        ckpt_col.caption(t("acc.basis", acc=options[pick].meta.test_acc, n=basis[0], se=basis[1]))
    try:
        if pick == "upload":
            up = st.file_uploader(t("kern.ckpt_file"), type=["safetensors"], key="kernels_ckpt_upload")
            if up is not None:
                model, meta = checkpoints.from_bytes(up.getvalue(), up.name)
                ckpt_id = ("upload", up.file_id)
        elif pick in options:
            path = options[pick].path
            mtime = path.stat().st_mtime
            model, meta = load_model(str(path), mtime)
            ckpt_id = (str(path), mtime)
    except (checkpoints.CheckpointError, OSError) as exc:
        st.error(t("kern.ckpt_error", error=md_escape(error_text(exc))), icon="🚫")
    if model is None and pick != "upload" and not options:
        st.info(t("kern.no_ckpt"))
    return model, meta, ckpt_id, bool(invert), scaling


def learned_maps(pixels: np.ndarray, model, meta, ckpt_id: tuple, invert: bool) -> learned.LearnedResult:
    """:func:`cnnviz.learned.apply_learned`, remembered in the session for this image, checkpoint and invert.

    Cached, not downscaled: the maps stay the network's own outputs on the full image (a 12-megapixel photo
    costs seconds), and a widget change elsewhere on the page reruns the script without computing them
    again.  The memo holds the image array itself and compares it by identity (the pages' images are
    read-only arrays kept while they are shown), so another image never hits a stale entry; one entry per
    session, replaced when the image, the checkpoint or ``invert`` changes."""
    memo = st.session_state.get(LEARNED_MEMO)
    if memo is not None and memo[0] is pixels and memo[1] == (ckpt_id, invert):
        return memo[2]
    result = learned.apply_learned(pixels, model, meta.mean, meta.std, invert)
    st.session_state[LEARNED_MEMO] = (pixels, (ckpt_id, invert), result)
    return result


def show_learned(res: learned.LearnedResult, scaling: str, lecture: bool) -> None:
    """The layer, its kernels as grids, and each kernel's map on the image."""
    n = res.weights.shape[0]
    kh, kw = res.kernel_size
    st.markdown(t("kern.layer_line", layer=res.layer, n=n, kh=kh, kw=kw, stride=res.stride,
                  padding=res.padding, ow=res.out_size[1], oh=res.out_size[0]))
    st.plotly_chart(styled(figures.weights_grid_figure(res.weights, [f"#{i}" for i in range(n)], cols=min(n, 16),
                                                       cell=70, lang=lang())), key="klearned_w", config=NO_BAR)
    per_row = 4 if lecture else 6
    for start in range(0, n, per_row):
        for i, map_col in enumerate(st.columns(per_row), start=start):
            if i >= n:
                break
            disp = kernels.scale_for_display(res.maps[i], scaling)
            map_col.image(disp.image, caption=t("kern.map_caption", i=i, lo=res.ranges[i][0], hi=res.ranges[i][1]),
                          width="stretch")
    st.caption(t("kern.maps_note"))


def learned_section(pixels: np.ndarray, lecture: bool) -> None:
    """A trained CNN's first-layer kernels applied to the image."""
    st.subheader(t("kern.learned"))
    st.caption(t("kern.learned_caption"))
    model, meta, ckpt_id, invert, scaling = choose_checkpoint()
    if model is None:
        return
    try:
        res = learned_maps(pixels, model, meta, ckpt_id, invert)
    except kernels.KernelError as exc:
        st.warning(t("kern.learned_error", error=tm(exc)), icon="⚠️")
        return
    show_learned(res, scaling, lecture)
