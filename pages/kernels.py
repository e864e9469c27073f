"""Kernels: slide a small grid of weights over a real photo and see every number it computes."""

import hashlib

import numpy as np
import pandas as pd
import streamlit as st

from cnnviz import checkpoints, figures, kernels
from ui.common import checkpoint_options, load_model
from ui.i18n import lang, t, tf, tm
from ui.image_source import describe, pick_image
from ui.interact import picture_click, take_pick
from ui.sidebar import lecture_mode, styled

CUSTOM = "custom"
DISPLAY_SIDE = 900
PICK_KEY = "kernels_picture_pick"   # a click on the input or output picture, for the pixel inspector
lecture = lecture_mode()    # lecture mode: bigger figures, no dilation or padding mode


def legend(disp: kernels.DisplayImage) -> str:
    return "".join(tm(m) for m in disp.legend)


st.title(t("kern.title"))
st.markdown(t("kern.intro"))

col_img, col_kernel, col_params = st.columns([1.1, 1.1, 1], gap="large")

# ----------------------------------------------------------------------------- image
with col_img:
    st.subheader(t("kern.image"))
    img = pick_image("kernels")
    if img is not None:
        describe(img)

# ----------------------------------------------------------------------------- kernel
with col_kernel:
    st.subheader(t("kern.kernel"))
    choice = st.selectbox(t("kern.preset"), [*kernels.PRESETS, CUSTOM], key="kernels_preset",
                          format_func=lambda k: t("kern.custom") if k == CUSTOM else t(f"preset.{k}.title"))
    kernel_error = None
    combine = "single"
    if choice == CUSTOM:
        c1, c2 = st.columns(2)
        size = c1.radio(t("kern.size"), [3, 5], horizontal=True, key="kernels_custom_size",
                        format_func=lambda s: f"{s}×{s}")
        singles = [k for k, p in kernels.PRESETS.items() if p.combine == "single"]
        start = c2.selectbox(t("kern.start_from"), singles, index=singles.index("sharpen"),
                             key="kernels_custom_start", format_func=lambda k: t(f"preset.{k}.title"))
        # the grid the editor starts from: the chosen preset, padded or cropped to the chosen size
        if st.session_state.get("kernels_custom_from") != (start, size):
            base = kernels.PRESETS[start].kernel.astype(float)
            grid = np.zeros((size, size))
            bs = base.shape[0]
            if bs <= size:
                o = (size - bs) // 2
                grid[o:o + bs, o:o + bs] = base
            else:
                o = (bs - size) // 2
                grid = base[o:o + size, o:o + size]
            st.session_state["kernels_custom_grid"] = grid.tolist()
            st.session_state["kernels_custom_from"] = (start, size)
        init = st.session_state["kernels_custom_grid"]
        editor_key = "kernels_editor_" + hashlib.sha1(repr(init).encode()).hexdigest()[:10]
        edited = st.data_editor(
            pd.DataFrame(init, columns=[str(i + 1) for i in range(len(init[0]))]), key=editor_key,
            hide_index=True, width="stretch",
            column_config={str(i + 1): st.column_config.NumberColumn(format="%g", width="small")
                           for i in range(len(init[0]))})
        normalise = st.checkbox(t("kern.normalise"), key="kernels_normalise", help=t("kern.normalise_help"))
        values = edited.to_numpy(dtype=object) if hasattr(edited, "to_numpy") else edited
        try:
            kernel = kernels.validate_kernel(np.asarray(values, dtype=object), sizes=(3, 5))
            if normalise:
                kernel, how = kernels.normalise(kernel)
                st.caption(t("kern.normalised", how=tm(how)))
            kernel_stack = kernel[None]
            description = t("kern.custom_desc")
            default_scaling = "clip" if abs(float(kernel.sum()) - 1) < 1e-6 else "diverging"
        except kernels.KernelError as exc:
            kernel_error = t("kern.bad_kernel", error=tm(exc))
            kernel_stack = None
            description = ""
            default_scaling = "clip"
    else:
        p = kernels.PRESETS[choice]
        kernel_stack = np.stack(p.kernels)
        combine = p.combine
        description = t(f"preset.{choice}.desc")
        default_scaling = p.scaling
    if kernel_error:
        st.error(kernel_error, icon="🚫")
    else:
        st.caption(description)
        names = ["x", "y"] if combine == "magnitude" else [""]
        kcols = st.columns(len(kernel_stack))
        for kc, k, nm in zip(kcols, kernel_stack, names):
            kc.plotly_chart(styled(figures.kernel_figure(k, t("kern.fig_kernel_n", name=nm) if nm else
                                                         t("kern.fig_kernel"), lang=lang())), key=f"kfig_{nm}",
                            config={"displayModeBar": False})
        total = float(kernel_stack[0].sum())
        st.caption(t("kern.sum", total=total)
                   + (t("kern.sum_kept") if abs(total - 1) < 1e-6 else
                      t("kern.sum_zero") if abs(total) < 1e-6 else ""))

# ----------------------------------------------------------------------------- parameters
with col_params:
    st.subheader(t("kern.settings"))
    color = st.radio(t("color.label"), ["gray", "rgb"], horizontal=True, key="kernels_color",
                     format_func=tf("color"))
    c1, c2 = st.columns(2)
    stride = c1.number_input(t("kern.stride"), min_value=0, max_value=16, value=1, step=1, key="kernels_stride",
                             help=t("kern.stride_help"))
    padding = c2.number_input(t("kern.padding"), min_value=0, max_value=64, value=0, step=1,
                              key="kernels_padding", help=t("kern.padding_help"))
    if lecture:
        dilation, padding_mode = 1, "zeros"
        st.caption(t("kern.lecture_note"))
    else:
        c3, c4 = st.columns(2)
        dilation = c3.number_input(t("kern.dilation"), min_value=1, max_value=16, value=1, step=1,
                                   key="kernels_dilation", help=t("kern.dilation_help"))
        padding_mode = c4.selectbox(t("kern.padding_mode"), kernels.PADDING_MODES, key="kernels_padding_mode")
        st.caption(t("kern.padding_mode_caption", mode=padding_mode, text=t(f"padding_mode.{padding_mode}")))
    if st.session_state.get("kernels_scaling_for") != choice:     # a new kernel gets its fitting default
        st.session_state["kernels_scaling"] = default_scaling
        st.session_state["kernels_scaling_for"] = choice
    scaling = st.radio(t("kern.show_as"), list(kernels.SCALINGS), key="kernels_scaling",
                       format_func=tf("scaling_title"))
    st.caption(t(f"scaling.{scaling}"))

if img is None or kernel_stack is None:
    st.stop()

params = kernels.ConvParams(int(stride), int(padding), padding_mode, int(dilation), color)
h, w = img.height, img.width
kh, kw = kernel_stack.shape[1:]
try:
    out_h, out_w = kernels.check_params(h, w, (kh, kw), params)
    result = kernels.apply_kernels(img.pixels, kernel_stack, params, combine)
except kernels.KernelError as exc:
    st.error(t("kern.conv_error", error=tm(exc)), icon="🚫")
    st.stop()

# ----------------------------------------------------------------------------- sizes
st.subheader(t("kern.output_size"))
m1, m2, m3 = st.columns([1, 1, 2.4])
m1.metric(t("kern.input_wh"), f"{w} × {h}")
m2.metric(t("kern.output_wh"), f"{result.out_size[1]} × {result.out_size[0]}")
with m3:
    if dilation == 1:
        st.latex(r"W_{out} = \left\lfloor \frac{W - F + 2P}{S} \right\rfloor + 1")
    else:
        st.latex(r"W_{out} = \left\lfloor \frac{W - D\,(F-1) - 1 + 2P}{S} \right\rfloor + 1")
    ft = kernels.size_text((h, w), (kh, kw), params)
    st.markdown(t("kern.formula_line", width=ft["width"], height=ft["height"]))
assert (out_h, out_w) == result.out_size  # the formula and conv2d agree (tests check this widely)

# ----------------------------------------------------------------------------- images side by side
col_in, col_out = st.columns(2, gap="medium")

st.subheader(t("kern.inspector"))
st.caption(t("kern.inspector_caption"))
oh, ow = result.out_size
i1, i2, i3 = st.columns([2, 2, 1])


def _position(col, label: str, n: int, key: str, single: str) -> int:
    if n <= 1:
        col.caption(t(single, label=label))
        return 0
    if st.session_state.get(key, 0) > n - 1:      # the output shrank: keep the slider valid
        st.session_state[key] = n - 1
    if key not in st.session_state:
        st.session_state[key] = n // 2
    return int(col.slider(label, 0, n - 1, key=key))


def _apply_pick(pick: dict | None) -> None:
    """Move the inspector to a clicked pixel: an output pixel as it is, an input pixel to the output pixel
    whose window is centred nearest to it."""
    if pick is None:
        return
    try:
        x, y = float(pick["x"]), float(pick["y"])
        if pick.get("which") == "kout":
            r, c = min(max(round(y), 0), oh - 1), min(max(round(x), 0), ow - 1)
        else:
            r, c = kernels.output_pixel_near(y, x, (kh, kw), params, (oh, ow))
    except (KeyError, TypeError, ValueError, OverflowError, kernels.KernelError):
        return                                   # not a position: the inspector stays where it was
    if oh > 1:
        st.session_state["kernels_insp_row"] = r
    if ow > 1:
        st.session_state["kernels_insp_col"] = c


_apply_pick(take_pick(PICK_KEY))
row = _position(i1, t("kern.out_row"), oh, "kernels_insp_row", "kern.single_row")
col_ = _position(i2, t("kern.out_col"), ow, "kernels_insp_col", "kern.single_col")
channel = 0
if result.input.shape[2] == 3:
    channel = i3.radio(t("kern.channel"), [0, 1, 2], format_func=lambda c: "RGB"[c], horizontal=True,
                       key="kernels_insp_channel")
ins = kernels.inspect_pixel(result, row, col_, channel)

span_r = (ins.rows[0], ins.rows[-1] + 1)
span_c = (ins.cols[0], ins.cols[-1] + 1)
rect = [(span_c[0], span_r[0], span_c[1], span_r[1], "#e4002b")]
halo = max(12, round(0.04 * max(h, w)))       # a dashed square around it, visible on big images
cy, cx = (span_r[0] + span_r[1]) / 2, (span_c[0] + span_c[1]) / 2
rect.append((cx - halo, cy - halo, cx + halo, cy + halo, "#e4002b", "dot"))


def _height(hh: int, ww: int) -> int:
    """A figure height that fits the picture's aspect ratio in a half-width column."""
    return int(min(600, max(240, 470 * hh / ww + 40)))


in_disp = kernels.scale_for_display(result.input, "clip", DISPLAY_SIDE)
with col_in:
    title = t("kern.fig_input_gray" if result.input.shape[2] == 1 else "kern.fig_input", w=w, h=h)
    st.plotly_chart(styled(figures.picture_figure(in_disp.image, title, in_disp.factor, _height(h, w), rect), False),
                    key="kin", config={"displayModeBar": False})
    if in_disp.factor > 1:
        st.caption(t("kern.shown_smaller", factor=in_disp.factor))
out_disp = kernels.scale_for_display(result.output, scaling, DISPLAY_SIDE)
with col_out:
    ohalo = max(12, round(0.04 * max(oh, ow)))
    orect = [(col_, row, col_ + 1, row + 1, "#e4002b"),
             (col_ + 0.5 - ohalo, row + 0.5 - ohalo, col_ + 0.5 + ohalo, row + 0.5 + ohalo, "#e4002b", "dot")]
    st.plotly_chart(styled(figures.picture_figure(
        out_disp.image, t("kern.fig_output", w=ow, h=oh, scaling=t(f"scaling_title.{scaling}")),
        out_disp.factor, _height(oh, ow), orect), False), key="kout", config={"displayModeBar": False})
    st.caption(legend(out_disp) + (t("kern.legend_smaller", factor=out_disp.factor) if out_disp.factor > 1 else ""))
picture_click(["kin", "kout"], PICK_KEY)         # a click on either picture moves the inspector (next run)

# inspector figures
for k_idx, (k, prod, s) in enumerate(zip(ins.kernels, ins.products, ins.sums)):
    label = t(["kern.gx", "kern.gy"][k_idx]) if ins.combine == "magnitude" else ""
    if label:
        st.markdown(f"**{label}**")
    fig = figures.inspector_figure(ins.window, k, prod, ins.in_padding, s, lang=lang())
    st.plotly_chart(styled(fig), key=f"insp_{k_idx}", config={"displayModeBar": False})

pairs = [(v, k) for v, k in zip(ins.window.ravel(), ins.kernels[0].ravel()) if k != 0]
terms = " + ".join(f"{v:g}×{k:g}" if k >= 0 else f"{v:g}×({k:g})" for v, k in pairs[:9]) or "0"
more = t("kern.more_terms", n=len(pairs) - 9) if len(pairs) > 9 else ""
if ins.combine == "magnitude":
    st.markdown(t("kern.magnitude_line", gx=ins.sums[0], gy=ins.sums[1], value=ins.value))
else:
    st.markdown(t("kern.sum_line", terms=terms, more=more, value=ins.value))
where = (t("kern.where_channel", row=row, col=col_, channel="RGB"[channel]) if result.input.shape[2] == 3
         else t("kern.where", row=row, col=col_))
if ins.value == ins.output_value:
    st.success(t("kern.exact", where=where, value=ins.output_value), icon="✅")
else:
    st.info(t("kern.rounding", where=where, value=ins.output_value, exact=ins.value,
              diff=abs(ins.value - ins.output_value)), icon="ℹ️")
if ins.in_padding.any():
    st.caption(t("kern.padding_marked", mode=padding_mode))

# ----------------------------------------------------------------------------- learned kernels
st.subheader(t("kern.learned"))
st.caption(t("kern.learned_caption"))
# shipped checkpoints and the ones saved on the Training page ("user:..."); the MLP has no conv1
options = {k: i for k, i in checkpoint_options().items() if i.meta is not None and i.meta.arch != "mlp"}
lc1, lc2 = st.columns([2, 1])


def _ckpt_label(opt: str) -> str:
    if opt == "upload":
        return t("kern.ckpt_upload_option")
    info = options[opt]
    name = info.name + ("" if opt.startswith("shipped:") else t("fm.trained_by_you"))
    if not isinstance(info.meta.test_acc, (int, float)):
        return name
    return t("kern.ckpt_option", name=name, arch=info.meta.arch, acc=info.meta.test_acc)


pick = lc1.selectbox(t("kern.checkpoint"), [*options, "upload"], key="kernels_ckpt", format_func=_ckpt_label)
invert = lc2.checkbox(t("kern.invert"), key="kernels_invert")
learned_scaling = lc2.radio(t("kern.maps_as"), ["minmax", "diverging"], horizontal=True,
                            key="kernels_learned_scaling", format_func=tf("scaling_title"), help=t("kern.maps_as_help"))
model = meta = None
try:
    if pick == "upload":
        up = st.file_uploader(t("kern.ckpt_file"), type=["safetensors"], key="kernels_ckpt_upload")
        if up is not None:
            model, meta = checkpoints.from_bytes(up.getvalue(), up.name)
    elif pick in options:
        path = options[pick].path
        model, meta = load_model(str(path), path.stat().st_mtime)
except (checkpoints.CheckpointError, OSError) as exc:
    st.error(t("kern.ckpt_error", error=exc), icon="🚫")
if model is None and pick != "upload" and not options:
    st.info(t("kern.no_ckpt"))
if model is not None:
    try:
        learned = kernels.apply_learned(img.pixels, model, meta.mean, meta.std, invert)
    except kernels.KernelError as exc:
        st.warning(t("kern.learned_error", error=tm(exc)), icon="⚠️")
    else:
        n = learned.weights.shape[0]
        kh_, kw_ = learned.kernel_size
        st.markdown(t("kern.layer_line", layer=learned.layer, n=n, kh=kh_, kw=kw_, stride=learned.stride,
                      padding=learned.padding, ow=learned.out_size[1], oh=learned.out_size[0]))
        st.plotly_chart(styled(figures.weights_grid_figure(learned.weights, [f"#{i}" for i in range(n)],
                                                           cols=min(n, 16), cell=70, lang=lang())),
                        key="klearned_w", config={"displayModeBar": False})
        per_row = 4 if lecture else 6
        for start in range(0, n, per_row):
            cols = st.columns(per_row)
            for j, c in enumerate(cols):
                i = start + j
                if i >= n:
                    break
                disp = kernels.scale_for_display(learned.maps[i], learned_scaling)
                c.image(disp.image, caption=t("kern.map_caption", i=i, lo=learned.ranges[i][0],
                                              hi=learned.ranges[i][1]), width="stretch")
        st.caption(t("kern.maps_note"))
