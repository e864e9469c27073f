"""Feature maps: draw a digit (or pick a test digit) and see what every layer of a network makes of it."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import numpy as np
import streamlit as st

from cnnviz import checkpoints, figures, models
from cnnviz import featuremaps as fm
from cnnviz.checkpoints import CheckpointError, CheckpointInfo
from ui.common import embedded_data, load_model, user_checkpoint_dir

CANVAS_SIZE = 280          # 10 canvas pixels per MNIST pixel
DEFAULT_STROKE = 20        # a 200 px digit drawn 20 px wide is MNIST's ~2.7 px stroke at 28x28
CHART_CONFIG = {"displayModeBar": False, "scrollZoom": False}
SCALES = {"layer": "Per layer", "global": "Global"}

ss = st.session_state
ss.setdefault("fm_canvas_n", 0)        # bumped by "Clear": a new key gives an empty canvas
ss.setdefault("fm_digit_idx", None)


def canvas_key() -> str:
    return f"fm_canvas_{ss.fm_canvas_n}"


# ----------------------------------------------------------------------------- models

def checkpoint_options() -> list[CheckpointInfo]:
    shipped = checkpoints.list_checkpoints(checkpoints.SHIPPED_DIR)
    user_dir = user_checkpoint_dir()
    user = checkpoints.list_checkpoints(user_dir) if user_dir.resolve() != checkpoints.SHIPPED_DIR.resolve() else []
    return shipped + user


def option_label(info: CheckpointInfo) -> str:
    where = "" if info.path.parent.resolve() == checkpoints.SHIPPED_DIR.resolve() else " · trained by you"
    if info.meta is None:
        return f"⚠️ {info.name}{where} (unreadable)"
    spec = models.REGISTRY[info.meta.arch]
    acc = f" · test acc. {info.meta.test_acc:.1%}" if isinstance(info.meta.test_acc, (int, float)) else ""
    return f"{spec.title} · {info.name}{where}{acc}"


def get_model(info: CheckpointInfo):
    """``(model, meta)`` from the cache, or ``None`` after showing why it cannot be loaded."""
    if info.meta is None:
        st.error(f"**{info.name}** cannot be used: {info.error}")
        return None
    try:
        return load_model(str(info.path), info.path.stat().st_mtime)
    except (CheckpointError, OSError) as exc:
        st.error(f"**{info.name}** cannot be loaded: {exc}")
        return None


@st.cache_resource(max_entries=64, show_spinner=False)
def cached_analysis(path: str, mtime: float, input_key: str, _model, _meta, _canvas, _digit):
    """Analysis of one input by one model version (read-only; reruns for other widgets reuse it)."""
    if _digit is not None:
        return fm.analyze_digit(_model, _meta, _digit)
    return fm.analyze_canvas(_model, _meta, _canvas)


@st.cache_resource(max_entries=64, show_spinner=False)
def cached_attribution(path: str, mtime: float, input_key: str, method: str, _model, _meta, _analysis):
    baseline = (0.0 - _meta.mean) / _meta.std   # the normalized value of blank paper
    return fm.attribute(_model, _analysis.x, target=_analysis.pred, method=method, baseline=baseline)


@st.cache_resource(max_entries=32, show_spinner=False)
def cached_filters(path: str, mtime: float, _model):
    return fm.first_filters(_model)


# ----------------------------------------------------------------------------- page: header and choices

st.title("🔬 Feature maps: what the network sees")
st.markdown(
    "Draw a digit and follow it through the network: the 28×28 image the network receives, what every "
    "layer makes of it (each small square is one channel's feature map), the filters of the first layer, "
    "which strokes decided the class, and the probabilities for the ten digits."
)

infos = checkpoint_options()
if not infos:
    st.warning("No checkpoints found. Train one on the **Training** page, or run "
               "`python -m cnnviz.train --arch lenet5 --augment --out checkpoints/`.")
    st.stop()
labels = {option_label(i): i for i in infos}
label_list = list(labels)
default_idx = next((k for k, i in enumerate(infos) if i.meta and i.name == "lenet5"), 0)

c1, c2, c3, c4 = st.columns([3, 3, 2, 2], vertical_alignment="bottom")
with c1:
    choice_a = st.selectbox("Model", label_list, index=default_idx, key="fm_model_a")
with c2:
    compare = st.toggle("Compare with a second model", key="fm_compare")
    choice_b = None
    if compare:
        other = next((k for k, i in enumerate(infos) if i.meta and label_list[k] != choice_a), 0)
        choice_b = st.selectbox("Second model", label_list, index=other, key="fm_model_b")
with c3:
    scale = st.radio("Colour scale", list(SCALES), format_func=SCALES.get, key="fm_scale", horizontal=True,
                     help="Per layer: each layer uses its full colour range. Global: the same value has the "
                          "same colour in every layer, so you can compare how strong the layers respond.")
with c4:
    method = st.selectbox("Attribution", list(fm.ATTRIBUTION_METHODS), format_func=fm.ATTRIBUTION_METHODS.get,
                          key="fm_method",
                          help="Which pixels decided the predicted class (computed with captum).")

# ----------------------------------------------------------------------------- input

st.divider()
in_col, pre_col, prob_col, attr_col = st.columns([1.6, 1, 1.3, 1], gap="medium")

canvas_rgba = None
digit = None
digit_label = None
with in_col:
    mode = st.segmented_control("Input", ["✏️ Draw", "🎲 Test digit"], default="✏️ Draw", key="fm_mode",
                                required=True)
    if mode == "🎲 Test digit":
        ds = embedded_data()
        cls = st.selectbox("Class", ["any"] + [str(i) for i in range(10)], key="fm_digit_class")
        if st.button("🎲 New random digit", key="fm_new_digit") or ss.fm_digit_idx is None or (
                cls != "any" and int(ds.test_y[ss.fm_digit_idx]) != int(cls)):
            pool = np.arange(len(ds.test_y)) if cls == "any" else np.flatnonzero(ds.test_y.numpy() == int(cls))
            ss.fm_digit_idx = int(random.choice(pool))
        digit = ds.test_x[ss.fm_digit_idx].numpy()
        digit_label = int(ds.test_y[ss.fm_digit_idx])
        st.image(np.kron(digit, np.ones((8, 8), np.uint8)), width=224)
        st.caption(f"Test digit #{ss.fm_digit_idx}: a real MNIST {digit_label}")
    else:
        try:
            from streamlit_drawable_canvas import st_canvas
        except Exception as exc:  # the component failed to load: the test digits still work
            st_canvas = None
            st.warning(f"The drawing canvas is not available ({exc}). Use **🎲 Test digit** instead.")
        if st_canvas is not None:
            stroke = st.session_state.get("fm_stroke", DEFAULT_STROKE)
            result = st_canvas(stroke_width=stroke, stroke_color="#FFFFFF", background_color="#000000",
                               width=CANVAS_SIZE, height=CANVAS_SIZE, drawing_mode="freedraw",
                               return_image_data=True, update_streamlit=True, key=canvas_key())
            try:
                canvas_rgba = result.image_data
            except Exception as exc:  # a malformed image from the browser: treat it as empty
                st.warning(f"Could not read the drawing ({exc}).")
                canvas_rgba = None
            s1, s2 = st.columns([3, 2], vertical_alignment="bottom")
            s1.slider("Stroke width", 4, 40, DEFAULT_STROKE, key="fm_stroke",
                      help="The default suits MNIST: strokes about a tenth of the digit's height.")
            if s2.button("🧹 Clear", key="fm_clear", width="stretch"):
                ss.fm_canvas_n += 1
                st.rerun()

if digit is not None:
    input_key = f"digit:{ss.fm_digit_idx}"
elif canvas_rgba is not None:
    input_key = "canvas:" + hashlib.blake2b(np.ascontiguousarray(canvas_rgba).tobytes(), digest_size=16).hexdigest()
else:
    input_key = "empty"


def run_model(info: CheckpointInfo):
    """(model, meta, analysis or None) or None when the model cannot be loaded."""
    loaded = get_model(info)
    if loaded is None:
        return None
    model, meta = loaded
    mtime = info.path.stat().st_mtime
    if input_key == "empty":
        return model, meta, None
    try:
        analysis = cached_analysis(str(info.path), mtime, input_key, model, meta, canvas_rgba, digit)
    except Exception as exc:  # never let one model's failure take the page down
        st.error(f"{info.name}: the analysis failed ({type(exc).__name__}: {exc}).")
        return model, meta, None
    return model, meta, analysis


info_a = labels[choice_a]
info_b = labels[choice_b] if compare and choice_b else None

with pre_col:
    st.markdown("**What the network receives**")
    run_a = run_model(info_a)
    analysis_a = run_a[2] if run_a else None
    if input_key == "empty":
        st.info("✏️ Draw a digit on the black canvas (a large one, filling most of the square, works best), "
                "or switch to **🎲 Test digit**.")
    elif analysis_a is not None:
        st.plotly_chart(figures.digit_figure(analysis_a.image, height=230), config=CHART_CONFIG,
                        key="fm_input28")
        st.caption("28×28, cropped to the ink, scaled to 20 px, centred by its centre of mass, then "
                   "normalized with the training mean and std, as MNIST was made.")
    elif run_a is not None:
        st.info("Nothing to show: the input could not be read.")

with prob_col:
    if analysis_a is not None:
        p = analysis_a.probs
        st.markdown(f"**Prediction: {analysis_a.pred_label}** &nbsp; ({p[analysis_a.pred]:.1%} sure)")
        st.plotly_chart(figures.probability_figure(p, analysis_a.classes, height=240), config=CHART_CONFIG,
                        key="fm_probs_a")
        if digit_label is not None:
            ok = analysis_a.pred == digit_label
            st.caption(("✅ correct" if ok else f"❌ wrong: it is a {digit_label}") + " (true label of the test digit)")

with attr_col:
    if analysis_a is not None and run_a is not None:
        st.markdown("**Which pixels decided it**")
        try:
            attr = cached_attribution(str(info_a.path), info_a.path.stat().st_mtime, input_key, method,
                                      run_a[0], run_a[1], analysis_a)
            st.plotly_chart(figures.attribution_figure(analysis_a.image, attr.values, height=230,
                                                       signed=attr.method == "integrated_gradients"),
                            config=CHART_CONFIG, key="fm_attr_a")
            explain = {"gradcam": "Red: the regions whose feature maps pushed the score of "
                                  f"**{analysis_a.pred_label}** up.",
                       "integrated_gradients": "Red pixels raised the score of "
                                               f"**{analysis_a.pred_label}**, blue pixels lowered it.",
                       "saliency": "Where a small change of the pixel would change the score most."}
            st.caption(f"{explain[attr.method]} {attr.note}")
        except Exception as exc:
            st.warning(f"Attribution is not available for this model ({type(exc).__name__}: {exc}).")

# ----------------------------------------------------------------------------- compare: second model's result

run_b = None
if info_b is not None:
    st.divider()
    st.subheader("Side by side")
    left, right = st.columns(2, gap="large")
    for col, info, run, suffix in ((left, info_a, run_a, "a"), (right, info_b, None, "b")):
        with col:
            st.markdown(f"**{option_label(info)}**")
            if suffix == "b":
                run = run_b = run_model(info)
            analysis = run[2] if run else None
            if analysis is None:
                if run is not None and input_key == "empty":
                    st.caption("Draw a digit to compare the predictions.")
                continue
            st.markdown(f"Prediction: **{analysis.pred_label}** ({analysis.probs[analysis.pred]:.1%})")
            st.plotly_chart(figures.probability_figure(analysis.probs, analysis.classes, height=200),
                            config=CHART_CONFIG, key=f"fm_cmp_probs_{suffix}")

# ----------------------------------------------------------------------------- learned filters


def show_filters(info: CheckpointInfo, run, key: str) -> None:
    if run is None:
        return
    filt = cached_filters(str(info.path), info.path.stat().st_mtime, run[0])
    if filt is None:
        st.caption("This network has no first-layer filters to show.")
        return
    tile, index_map, _ = fm.tile_maps(filt.weights)
    shown = "" if filt.total == len(filt.weights) else f" (the first {len(filt.weights)} of {filt.total})"
    k = filt.weights.shape[1]
    st.plotly_chart(figures.feature_tile_figure(tile, index_map, f"{filt.name}: {filt.title}{shown}",
                                                width_hint=300 if k <= 7 else 420, value_name="weight",
                                                unit_name="filter"),
                    config=CHART_CONFIG, key=key)


st.divider()
st.subheader("Learned filters of the first layer")
st.caption("Each square is one kernel the network learned (red = positive weight, blue = negative). "
           "Sliding it over the image gives one feature map of the first layer below.")
fcols = st.columns(2 if info_b is not None else [1, 1])
with fcols[0]:
    if info_b is not None:
        st.markdown(f"**{info_a.name}**")
    show_filters(info_a, run_a, "fm_filters_a")
if info_b is not None:
    with fcols[1]:
        st.markdown(f"**{info_b.name}**")
        show_filters(info_b, run_b, "fm_filters_b")

# ----------------------------------------------------------------------------- every layer


def show_layers(analysis: fm.Analysis, ncols: int, key: str) -> None:
    layers = analysis.layers
    segments: list[list[fm.LayerView]] = []
    for v in layers:
        if segments and segments[-1][0].group == v.group:
            segments[-1].append(v)
        else:
            segments.append([v])
    width_hint = 1100 // ncols
    for seg in segments:
        if seg[0].group:
            st.markdown(f"**{seg[0].group}**")
        for start in range(0, len(seg), ncols):
            cols = st.columns(ncols)
            for col, v in zip(cols, seg[start:start + ncols]):
                with col:
                    title = f"{v.index + 1}. {v.title} · {v.shape_text}"
                    if v.is_vector:
                        zmax = v.absmax if scale == "layer" else analysis.vectors_absmax
                        is_logits = v.shape == (len(analysis.classes),) and v is layers[-1]
                        fig = figures.activation_bars_figure(v.values, title, zmax=zmax,
                                                             labels=analysis.classes if is_logits else None)
                    else:
                        zmax = v.absmax if scale == "layer" else analysis.maps_absmax
                        fig = figures.feature_tile_figure(v.tile, v.index_map, title, zmax=zmax,
                                                          width_hint=width_hint, colorbar=scale == "layer")
                    st.plotly_chart(fig, config=CHART_CONFIG, key=f"{key}_{v.index}")
                    if v.note:
                        st.caption(v.note)


st.divider()
st.subheader("Inside the network, layer by layer")
if analysis_a is None:
    st.info("The feature maps appear here once there is a digit to look at.")
else:
    st.caption("Every layer in the order the data flows through it, labelled with its output shape "
               "(channels × height × width). Many channels are tiled into one image: hover over a square "
               "to see its channel, position and value. White is 0, red positive, blue negative; a ReLU "
               "turns all the blue to white.")
    if scale == "global":
        st.caption(f"Global colour scale: ±{analysis_a.maps_absmax:.2f} for every feature map"
                   + (f" of {info_a.name}" if info_b is not None else "") + ".")
    if info_b is None:
        show_layers(analysis_a, 4, "fm_layer_a")
    else:
        analysis_b = run_b[2] if run_b else None
        left, right = st.columns(2, gap="large")
        with left:
            st.markdown(f"**{info_a.name}**: {len(analysis_a.layers)} layers")
            show_layers(analysis_a, 2, "fm_layer_a")
        with right:
            if analysis_b is not None:
                st.markdown(f"**{info_b.name}**: {len(analysis_b.layers)} layers")
                show_layers(analysis_b, 2, "fm_layer_b")
            else:
                st.info(f"No feature maps for {info_b.name}.")
