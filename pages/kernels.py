"""Kernels: slide a small grid of weights over a real photo and see every number it computes."""

import hashlib

import numpy as np
import pandas as pd
import streamlit as st

from cnnviz import checkpoints, figures, kernels
from ui.common import load_model, shipped_checkpoints
from ui.image_source import describe, pick_image

CUSTOM = "custom"
SCALING_TITLES = {"clip": "Clip 0–255", "absolute": "Absolute value", "minmax": "Min–max",
                  "diverging": "Diverging (blue − / red +)"}
DISPLAY_SIDE = 900

st.title("🔍 Convolution kernels")
st.markdown(
    "A **kernel** is a small grid of weights. It slides over the image; at each position the pixels under "
    "it are multiplied by its weights and added up, giving one pixel of the output (a *feature map*). "
    "This is exactly what a CNN's `Conv2d` layer computes (with `torch.nn.functional.conv2d` here too); "
    "the network just learns its weights instead of having them chosen by hand."
)

col_img, col_kernel, col_params = st.columns([1.1, 1.1, 1], gap="large")

# ----------------------------------------------------------------------------- image
with col_img:
    st.subheader("1 · Image")
    img = pick_image("kernels")
    if img is not None:
        describe(img)

# ----------------------------------------------------------------------------- kernel
with col_kernel:
    st.subheader("2 · Kernel")
    choice = st.selectbox("Preset", [*kernels.PRESETS, CUSTOM], key="kernels_preset",
                          format_func=lambda k: "✏️ Custom (edit the weights)" if k == CUSTOM
                          else kernels.PRESETS[k].title)
    kernel_error = None
    combine = "single"
    if choice == CUSTOM:
        c1, c2 = st.columns(2)
        size = c1.radio("Size", [3, 5], horizontal=True, key="kernels_custom_size",
                        format_func=lambda s: f"{s}×{s}")
        singles = [k for k, p in kernels.PRESETS.items() if p.combine == "single"]
        start = c2.selectbox("Start from", singles, index=singles.index("sharpen"), key="kernels_custom_start",
                             format_func=lambda k: kernels.PRESETS[k].title)
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
        normalise = st.checkbox("Normalise (divide by the sum of the weights)", key="kernels_normalise",
                                help="Keeps a flat area's brightness. Edge kernels sum to 0; they are "
                                     "divided by the sum of their positive weights instead.")
        values = edited.to_numpy(dtype=object) if hasattr(edited, "to_numpy") else edited
        try:
            kernel = kernels.validate_kernel(np.asarray(values, dtype=object), sizes=(3, 5))
            if normalise:
                kernel, how = kernels.normalise(kernel)
                st.caption(f"Normalised: {how}.")
            kernel_stack = kernel[None]
            description = "Your own kernel. Positive weights add the pixels under them, negative ones subtract."
            default_scaling = "clip" if abs(float(kernel.sum()) - 1) < 1e-6 else "diverging"
        except kernels.KernelError as exc:
            kernel_error = str(exc)
            kernel_stack = None
            description = ""
            default_scaling = "clip"
    else:
        p = kernels.PRESETS[choice]
        kernel_stack = np.stack(p.kernels)
        combine = p.combine
        description = p.description
        default_scaling = p.scaling
    if kernel_error:
        st.error(kernel_error, icon="🚫")
    else:
        st.caption(description)
        names = ["x", "y"] if combine == "magnitude" else [""]
        kcols = st.columns(len(kernel_stack))
        for kc, k, nm in zip(kcols, kernel_stack, names):
            kc.plotly_chart(figures.kernel_figure(k, f"kernel {nm}".strip()), key=f"kfig_{nm}",
                            config={"displayModeBar": False})
        st.caption(f"Sum of the weights: {float(kernel_stack[0].sum()):.4g}"
                   + (" (brightness kept)" if abs(float(kernel_stack[0].sum()) - 1) < 1e-6 else
                      " (flat areas become 0)" if abs(float(kernel_stack[0].sum())) < 1e-6 else ""))

# ----------------------------------------------------------------------------- parameters
with col_params:
    st.subheader("3 · Settings")
    color = st.radio("Colour", ["gray", "rgb"], horizontal=True, key="kernels_color",
                     format_func=lambda c: "Grayscale" if c == "gray" else "RGB, each channel separately")
    c1, c2 = st.columns(2)
    stride = c1.number_input("Stride", min_value=0, max_value=16, value=1, step=1, key="kernels_stride",
                             help="How many pixels the kernel moves at each step.")
    dilation = c2.number_input("Dilation", min_value=1, max_value=16, value=1, step=1, key="kernels_dilation",
                               help="Gaps between the kernel's taps: a 3×3 kernel with dilation 2 spans 5×5.")
    c3, c4 = st.columns(2)
    padding = c3.number_input("Padding", min_value=0, max_value=64, value=0, step=1, key="kernels_padding",
                              help="Extra pixels added around the image before the kernel slides.")
    padding_mode = c4.selectbox("Padding mode", kernels.PADDING_MODES, key="kernels_padding_mode")
    st.caption(f"**{padding_mode}**: {kernels.PADDING_MODE_HELP[padding_mode]}.")
    if st.session_state.get("kernels_scaling_for") != choice:     # a new kernel gets its fitting default
        st.session_state["kernels_scaling"] = default_scaling
        st.session_state["kernels_scaling_for"] = choice
    scaling = st.radio("Show the output as", list(kernels.SCALINGS), key="kernels_scaling",
                       format_func=SCALING_TITLES.get)
    st.caption(kernels.SCALINGS[scaling])

if img is None or kernel_stack is None:
    st.stop()

params = kernels.ConvParams(int(stride), int(padding), padding_mode, int(dilation), color)
h, w = img.height, img.width
kh, kw = kernel_stack.shape[1:]
try:
    out_h, out_w = kernels.check_params(h, w, (kh, kw), params)
    result = kernels.apply_kernels(img.pixels, kernel_stack, params, combine)
except kernels.KernelError as exc:
    st.error(str(exc), icon="🚫")
    st.stop()

# ----------------------------------------------------------------------------- sizes
st.subheader("Output size")
m1, m2, m3 = st.columns([1, 1, 2.4])
m1.metric("Input (width × height)", f"{w} × {h}")
m2.metric("Output (width × height)", f"{result.out_size[1]} × {result.out_size[0]}")
with m3:
    if dilation == 1:
        st.latex(r"W_{out} = \left\lfloor \frac{W - F + 2P}{S} \right\rfloor + 1")
    else:
        st.latex(r"W_{out} = \left\lfloor \frac{W - D\,(F-1) - 1 + 2P}{S} \right\rfloor + 1")
    ft = kernels.size_text((h, w), (kh, kw), params)
    st.markdown(f"width: `{ft['width']}` · height: `{ft['height']}`")
assert (out_h, out_w) == result.out_size  # the formula and conv2d agree (tests check this widely)

# ----------------------------------------------------------------------------- images side by side
col_in, col_out = st.columns(2, gap="medium")

st.subheader("🔬 Pixel inspector")
st.caption("Pick an output pixel: its input window (outlined in red on the input), the kernel, the "
           "element-wise products and their sum. The sum is the output pixel.")
oh, ow = result.out_size
i1, i2, i3 = st.columns([2, 2, 1])


def _position(col, label: str, n: int, key: str) -> int:
    if n <= 1:
        col.caption(f"{label}: 0 (the output has a single {label.split()[-1]})")
        return 0
    if st.session_state.get(key, 0) > n - 1:      # the output shrank: keep the slider valid
        st.session_state[key] = n - 1
    if key not in st.session_state:
        st.session_state[key] = n // 2
    return int(col.slider(label, 0, n - 1, key=key))


row = _position(i1, "Output row", oh, "kernels_insp_row")
col_ = _position(i2, "Output column", ow, "kernels_insp_col")
channel = 0
if result.input.shape[2] == 3:
    channel = i3.radio("Channel", [0, 1, 2], format_func=lambda c: "RGB"[c], horizontal=True,
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
    title = f"Input {w}×{h}" + (" (grayscale)" if result.input.shape[2] == 1 else "")
    st.plotly_chart(figures.picture_figure(in_disp.image, title, in_disp.factor, _height(h, w), rect), key="kin",
                    config={"displayModeBar": False})
    if in_disp.factor > 1:
        st.caption(f"Shown {in_disp.factor:.1f}× smaller; computed at full size.")
out_disp = kernels.scale_for_display(result.output, scaling, DISPLAY_SIDE)
with col_out:
    ohalo = max(12, round(0.04 * max(oh, ow)))
    orect = [(col_, row, col_ + 1, row + 1, "#e4002b"),
             (col_ + 0.5 - ohalo, row + 0.5 - ohalo, col_ + 0.5 + ohalo, row + 0.5 + ohalo, "#e4002b", "dot")]
    st.plotly_chart(figures.picture_figure(out_disp.image, f"Output {ow}×{oh} · {SCALING_TITLES[scaling]}",
                                           out_disp.factor, _height(oh, ow), orect),
                    key="kout", config={"displayModeBar": False})
    st.caption(out_disp.legend + (f"; shown {out_disp.factor:.1f}× smaller" if out_disp.factor > 1 else ""))

# inspector figures
for k_idx, (k, prod, s) in enumerate(zip(ins.kernels, ins.products, ins.sums)):
    label = ["gx (kernel x)", "gy (kernel y)"][k_idx] if ins.combine == "magnitude" else ""
    if label:
        st.markdown(f"**{label}**")
    st.plotly_chart(figures.inspector_figure(ins.window, k, prod, ins.in_padding, s),
                    key=f"insp_{k_idx}", config={"displayModeBar": False})

pairs = [(v, k) for v, k in zip(ins.window.ravel(), ins.kernels[0].ravel()) if k != 0]
terms = " + ".join(f"{v:g}×{k:g}" if k >= 0 else f"{v:g}×({k:g})" for v, k in pairs[:9]) or "0"
more = f" + … ({len(pairs) - 9} more)" if len(pairs) > 9 else ""
if ins.combine == "magnitude":
    st.markdown(f"gx = **{ins.sums[0]:.6g}**, gy = **{ins.sums[1]:.6g}**, √(gx² + gy²) = **{ins.value:.6g}**")
else:
    st.markdown(f"Σ (non-zero weights) = {terms}{more} = **{ins.value:.6g}**")
where = f"output pixel (row {row}, column {col_}" + (f", {'RGB'[channel]} channel" if result.input.shape[2] == 3 else "") + ")"
if ins.value == ins.output_value:
    st.success(f"conv2d's {where} = **{ins.output_value:.6g}**: exactly the sum.", icon="✅")
else:
    st.info(f"conv2d's {where} = **{ins.output_value:.6g}**; the exact sum is {ins.value:.8g}. The tiny "
            f"difference ({abs(ins.value - ins.output_value):.1e}) is float32 rounding inside conv2d.", icon="ℹ️")
if ins.in_padding.any():
    st.caption(f"Values marked ᵖ come from the **{padding_mode}** padding, not from the image.")

# ----------------------------------------------------------------------------- learned kernels
st.subheader("🧠 Learned kernels: what a trained CNN's first layer does to this image")
st.caption("A CNN's first convolution layer learns its own kernels from MNIST digits. Here they are, "
           "applied to your image exactly as the network applies them (its weights and bias, the image in "
           "grayscale normalised like the digits). Many look like the edge detectors above.")
infos = [i for i in shipped_checkpoints() if i.meta is not None and i.meta.arch != "mlp"]
lc1, lc2 = st.columns([2, 1])
options = {i.name: i for i in infos}
pick = lc1.selectbox("Checkpoint", [*options, "upload"], key="kernels_ckpt",
                     format_func=lambda n: "Upload a .safetensors checkpoint…" if n == "upload" else
                     f"{n} ({options[n].meta.arch}, test accuracy "
                     f"{options[n].meta.test_acc:.1%})" if options[n].meta.test_acc is not None else n)
invert = lc2.checkbox("Invert the image (MNIST digits are white on black)", key="kernels_invert")
learned_scaling = lc2.radio("Show the maps as", ["minmax", "diverging"], horizontal=True,
                            key="kernels_learned_scaling", format_func=SCALING_TITLES.get,
                            help="Min–max shows each map's structure; diverging shows the sign (after the "
                                 "bias, many maps are positive or negative almost everywhere).")
model = meta = None
try:
    if pick == "upload":
        up = st.file_uploader("Checkpoint (.safetensors)", type=["safetensors"], key="kernels_ckpt_upload")
        if up is not None:
            model, meta = checkpoints.from_bytes(up.getvalue(), up.name)
    elif pick in options:
        path = options[pick].path
        model, meta = load_model(str(path), path.stat().st_mtime)
except (checkpoints.CheckpointError, OSError) as exc:
    st.error(str(exc), icon="🚫")
if model is None and pick != "upload" and not options:
    st.info("No trained checkpoints yet. Train one on the Training page (or `python -m cnnviz.train "
            "--arch lenet5`), or upload a .safetensors checkpoint.")
if model is not None:
    try:
        learned = kernels.apply_learned(img.pixels, model, meta.mean, meta.std, invert)
    except kernels.KernelError as exc:
        st.warning(str(exc), icon="⚠️")
    else:
        n = learned.weights.shape[0]
        kh_, kw_ = learned.kernel_size
        st.markdown(f"Layer `{learned.layer}`: **{n} kernels of {kh_}×{kw_}**, stride {learned.stride}, "
                    f"padding {learned.padding}; output {learned.out_size[1]}×{learned.out_size[0]} each.")
        st.plotly_chart(figures.weights_grid_figure(learned.weights, [f"#{i}" for i in range(n)],
                                                    cols=min(n, 16), cell=70),
                        key="klearned_w", config={"displayModeBar": False})
        per_row = 6
        for start in range(0, n, per_row):
            cols = st.columns(per_row)
            for j, c in enumerate(cols):
                i = start + j
                if i >= n:
                    break
                disp = kernels.scale_for_display(learned.maps[i], learned_scaling)
                c.image(disp.image, caption=f"#{i}: {learned.ranges[i][0]:.2g} to {learned.ranges[i][1]:.2g}",
                        width="stretch")
        st.caption("Each map is scaled on its own (its range is under it). Outputs are before the ReLU.")
