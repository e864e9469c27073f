"""Feature maps: draw a digit (or pick a test digit) and see what every layer of a network makes of it."""

from __future__ import annotations

import hashlib
import random

import numpy as np
import streamlit as st

from cnnviz import featuremaps as fm
from cnnviz import figures
from cnnviz.checkpoints import CheckpointError, CheckpointInfo
from ui.common import checkpoint_options, embedded_data, load_model, md_escape
from ui.feature_maps import (
    PIXELATED_CSS,
    class_names,
    colorbar_url,
    predicted_name,
    show_spec,
    text_of,
    tile_html,
    tile_url,
)
from ui.i18n import lang, t, tf
from ui.interact import feature_map_hover, take_pick
from ui.sidebar import lecture_mode

CANVAS_SIZE = 280          # 10 canvas pixels per MNIST pixel
DEFAULT_STROKE = 20        # a 200 px digit drawn 20 px wide is MNIST's ~2.7 px stroke at 28x28
DEFAULT_METHOD = "integrated_gradients"
IG_STEPS = 16
SCALES = ["layer", "global"]
MODES = ["draw", "digit"]
CLASSES = ["any"] + [str(i) for i in range(10)]
PICK_KEY = "fm_tile_pick"  # a click on a channel of the first model's layers, for the inspector

ss = st.session_state
ss.setdefault("fm_canvas_n", 0)        # bumped by "Clear": a new key gives an empty canvas
ss.setdefault("fm_digit_idx", None)
lecture = lecture_mode()               # lecture mode: bigger pictures, no stroke width or attribution choice


def canvas_key() -> str:
    return f"fm_canvas_{ss.fm_canvas_n}"


# ----------------------------------------------------------------------------- models

def option_label(option: str) -> str:
    info = OPTIONS[option]
    where = "" if option.startswith("shipped:") else t("fm.trained_by_you")
    if info.meta is None:
        return t("fm.unreadable", name=info.name, where=where)
    acc = t("fm.test_acc", acc=info.meta.test_acc) if isinstance(info.meta.test_acc, (int, float)) else ""
    return t("fm.option", title=t(f"arch.{info.meta.arch}.title"), name=info.name, where=where, acc=acc)


def get_model(info: CheckpointInfo):
    """``(model, meta)`` from the cache, or ``None`` after showing why it cannot be loaded."""
    if info.meta is None:
        st.error(t("fm.cannot_use", name=info.name, error=info.error))
        return None
    try:
        return load_model(str(info.path), info.path.stat().st_mtime)
    except (CheckpointError, OSError) as exc:
        st.error(t("fm.cannot_load", name=info.name, error=exc))
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
    # 16 integration steps (the library default is 24): the picture is the same to the eye, at 2/3 of the cost
    return fm.attribute(_model, _analysis.x, target=_analysis.pred, method=method, baseline=baseline,
                        n_steps=IG_STEPS)


@st.cache_resource(max_entries=32, show_spinner=False)
def cached_filters(path: str, mtime: float, _model):
    filt = fm.first_filters(_model)
    return None if filt is None else (filt, fm.tile_maps(filt.weights))


# ----------------------------------------------------------------------------- page: header and choices

st.title(t("fm.title"))
st.markdown(t("fm.intro"))

OPTIONS = checkpoint_options()
if not OPTIONS:
    st.warning(t("fm.no_checkpoints"))
    st.stop()
option_list = list(OPTIONS)
default_idx = next((k for k, o in enumerate(option_list) if o == "shipped:lenet5"), 0)

c1, c2, c3, c4 = st.columns([6, 3.5, 2.5, 0.01] if lecture else [2.8, 2.6, 1.8, 2.8], vertical_alignment="bottom")
with c1:
    choice_a = st.selectbox(t("fm.model"), option_list, index=default_idx, key="fm_model_a",
                            format_func=option_label)
with c2:
    compare = st.toggle(t("fm.compare"), key="fm_compare")
    choice_b = None
    if compare:
        other = next((k for k, o in enumerate(option_list) if OPTIONS[o].meta and o != choice_a), 0)
        choice_b = st.selectbox(t("fm.second_model"), option_list, index=other, key="fm_model_b",
                                format_func=option_label)
with c3:
    scale = st.radio(t("fm.scale"), SCALES, format_func=tf("fm_scale"), key="fm_scale", horizontal=True,
                     help=t("fm.scale_help"))
with c4:
    if lecture:
        method = ss.get("fm_method", DEFAULT_METHOD)
    else:
        method = st.selectbox(t("fm.method"), list(fm.ATTRIBUTION_METHODS), format_func=tf("fm_method"),
                              key="fm_method", help=t("fm.method_help"))

# ----------------------------------------------------------------------------- input

st.divider()
if lecture:   # two rows of two: the drawing and the prediction, then the input and the attribution, larger
    in_col, prob_col = st.columns([1, 1.2], gap="large")
    pre_col, attr_col = st.columns(2, gap="large")
else:
    in_col, pre_col, prob_col, attr_col = st.columns([1.6, 1, 1.3, 1], gap="medium")

canvas_rgba = None
digit = None
digit_label = None
with in_col:
    mode = st.segmented_control(t("fm.input"), MODES, default="draw", key="fm_mode", required=True,
                                format_func=lambda m: t("fm.mode_draw") if m == "draw" else t("fm.mode_digit"))
    if mode == "digit":
        ds = embedded_data()
        cls = st.selectbox(t("fm.class"), CLASSES, key="fm_digit_class",
                           format_func=lambda c: t("fm.class_any") if c == "any" else c)
        if st.button(t("fm.new_digit"), key="fm_new_digit") or ss.fm_digit_idx is None or (
                cls != "any" and int(ds.test_y[ss.fm_digit_idx]) != int(cls)):
            pool = np.arange(len(ds.test_y)) if cls == "any" else np.flatnonzero(ds.test_y.numpy() == int(cls))
            ss.fm_digit_idx = int(random.choice(pool))
        digit = ds.test_x[ss.fm_digit_idx].numpy()
        digit_label = int(ds.test_y[ss.fm_digit_idx])
        st.image(np.kron(digit, np.ones((8, 8), np.uint8)), width=224)
        st.caption(t("fm.digit_caption", idx=ss.fm_digit_idx, label=digit_label))
    else:
        try:
            from streamlit_drawable_canvas import st_canvas
        except Exception as exc:  # the component failed to load: the test digits still work
            st_canvas = None
            st.warning(t("fm.no_canvas", error=exc))
        if st_canvas is not None:
            stroke = ss.get("fm_stroke", DEFAULT_STROKE) if not lecture else DEFAULT_STROKE
            result = st_canvas(stroke_width=stroke, stroke_color="#FFFFFF", background_color="#000000",
                               width=CANVAS_SIZE, height=CANVAS_SIZE, drawing_mode="freedraw",
                               return_image_data=True, update_streamlit=True, key=canvas_key())
            try:
                canvas_rgba = result.image_data
            except Exception as exc:  # a malformed image from the browser: treat it as empty
                st.warning(t("fm.bad_drawing", error=exc))
                canvas_rgba = None
            if lecture:
                clear = st.button(t("fm.clear"), key="fm_clear")
            else:
                s1, s2 = st.columns([3, 2], vertical_alignment="bottom")
                s1.slider(t("fm.stroke"), 4, 40, DEFAULT_STROKE, key="fm_stroke", help=t("fm.stroke_help"))
                clear = s2.button(t("fm.clear"), key="fm_clear", width="stretch")
            if clear:
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
    if input_key == "empty":
        return model, meta, None
    try:
        analysis = cached_analysis(str(info.path), info.path.stat().st_mtime, input_key, model, meta, canvas_rgba,
                                   digit)
    except Exception as exc:  # never let one model's failure take the page down
        st.error(t("fm.analysis_failed", name=info.name, kind=type(exc).__name__, error=exc))
        return model, meta, None
    return model, meta, analysis


info_a = OPTIONS[choice_a]
info_b = OPTIONS[choice_b] if compare and choice_b else None

with pre_col:
    st.markdown(t("fm.receives"))
    run_a = run_model(info_a)
    analysis_a = run_a[2] if run_a else None
    if input_key == "empty":
        st.info(t("fm.draw_prompt"))
    elif analysis_a is not None:
        show_spec(figures.digit_spec(analysis_a.image, height=230, lang=lang()), "fm_input28")
        st.caption(t("fm.preprocess"))
    elif run_a is not None:
        st.info(t("fm.unreadable_input"))

with prob_col:
    if analysis_a is not None:
        p = analysis_a.probs
        st.markdown(t("fm.prediction", label=md_escape(predicted_name(analysis_a)), p=p[analysis_a.pred]))
        show_spec(figures.probability_spec(p, class_names(analysis_a.classes), height=240, lang=lang()), "fm_probs_a")
        if digit_label is not None:
            ok = analysis_a.pred == digit_label
            st.caption(t("fm.correct") if ok else t("fm.wrong", label=digit_label))
        else:
            st.caption(t("fm.softmax_note"))

with attr_col:
    if analysis_a is not None and run_a is not None:
        st.markdown(t("fm.decided"))
        try:
            attr = cached_attribution(str(info_a.path), info_a.path.stat().st_mtime, input_key, method,
                                      run_a[0], run_a[1], analysis_a)
            show_spec(figures.attribution_spec(analysis_a.image, attr.values, height=230,
                                             signed=attr.method == "integrated_gradients", lang=lang()), "fm_attr_a")
            explain = {"gradcam": "fm.explain_gradcam", "integrated_gradients": "fm.explain_ig",
                       "saliency": "fm.explain_saliency"}[attr.method]
            note = text_of(attr.note)
            st.caption(t(explain, label=md_escape(predicted_name(analysis_a))) + (" " + note if note else ""))
        except Exception as exc:
            st.warning(t("fm.no_attribution", kind=type(exc).__name__, error=exc))

# ----------------------------------------------------------------------------- compare: second model's result

run_b = None
if info_b is not None:
    st.divider()
    st.subheader(t("fm.side_by_side"))
    left, right = st.columns(2, gap="large")
    for col, option, run, suffix in ((left, choice_a, run_a, "a"), (right, choice_b, None, "b")):
        with col:
            st.markdown(f"**{option_label(option)}**")
            if suffix == "b":
                run = run_b = run_model(OPTIONS[option])
            analysis = run[2] if run else None
            if analysis is None:
                if run is not None and input_key == "empty":
                    st.caption(t("fm.draw_to_compare"))
                continue
            st.markdown(t("fm.prediction_short", label=md_escape(predicted_name(analysis)),
                          p=analysis.probs[analysis.pred]))
            show_spec(figures.probability_spec(analysis.probs, class_names(analysis.classes), height=200,
                                                lang=lang()), f"fm_cmp_probs_{suffix}")

# ----------------------------------------------------------------------------- learned filters


def show_filters(info: CheckpointInfo, run, key: str) -> None:
    if run is None:
        return
    cached = cached_filters(str(info.path), info.path.stat().st_mtime, run[0])
    if cached is None:
        st.caption(t("fm.no_filters"))
        return
    filt, (tile, index_map, _) = cached
    shown = "" if filt.total == len(filt.weights) else t("fm.filters_shown", n=len(filt.weights), total=filt.total)
    k = filt.weights.shape[1]
    show_spec(figures.feature_tile_spec(tile, index_map, f"{filt.name}: {text_of(filt.title)}{shown}",
                                      width_hint=300 if k <= 7 else 420, value_name="weight", unit_name="filter",
                                        lang=lang()),
          key)


st.divider()
st.subheader(t("fm.filters_header"))
st.caption(t("fm.filters_caption"))
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


@st.cache_resource(max_entries=64, show_spinner=False)
def layer_texts(path: str, mtime: float, language: str, _analysis) -> list[tuple[str, str, str]]:
    """Each layer's label, group and note in the reader's language (the same for every input of a model)."""
    return [(t("fm.layer_label", n=v.index + 1, title=text_of(v.title), shape=v.shape_text),
             text_of(v.group), text_of(v.note))
            for v in _analysis.layers]


def texts_of(info: CheckpointInfo, analysis: fm.Analysis) -> list[tuple[str, str, str]]:
    return layer_texts(str(info.path), info.path.stat().st_mtime, lang(), analysis)


@st.cache_resource(max_entries=64, show_spinner=False)
def cached_layer_html(path: str, mtime: float, input_key: str, scale: str, language: str, _analysis,
                      _texts) -> dict[int, str]:
    """Each spatial layer's tiled maps as a PNG with one hover box per channel and its caption, as HTML
    (~1,500 boxes for DenseNet): built once per input, colour scale and language, not on every rerun."""
    out = {}
    for v in _analysis.layers:
        if v.is_vector:
            continue
        c, h, w = v.values.shape
        zmax = v.absmax if scale == "layer" else _analysis.maps_absmax
        rng = t("fm.range", value=zmax)
        cap = t("fm.tile_caption", c=c, cols=v.cols, scale=rng) if c > 1 else t("fm.tile_caption_one", scale=rng)
        out[v.index] = tile_html(tile_url(v.tile, zmax), fm.channel_boxes(c, h, w, v.cols),
                                 fm.channel_stats(v.values), _texts[v.index][0], cap, language,
                                 layer=v.index, size=(h, w), zmax=zmax)
    return out


def show_layers(info: CheckpointInfo, analysis: fm.Analysis, ncols: int, key: str) -> None:
    layers = analysis.layers
    texts = texts_of(info, analysis)
    tiles = cached_layer_html(str(info.path), info.path.stat().st_mtime, input_key, scale, lang(), analysis, texts)
    segments: list[list[fm.LayerView]] = []
    for v in layers:
        if segments and segments[-1][0].group == v.group:
            segments[-1].append(v)
        else:
            segments.append([v])
    for seg in segments:
        if seg[0].group:
            st.markdown(f"**{texts[seg[0].index][1]}**")
        for start in range(0, len(seg), ncols):
            cols = st.columns(ncols)
            for col, v in zip(cols, seg[start:start + ncols]):
                with col:
                    label, _, note = texts[v.index]
                    st.markdown(f"**{label}**" + (f"  \n{note}" if note else ""))
                    if v.is_vector:
                        zmax = v.absmax if scale == "layer" else analysis.vectors_absmax
                        is_logits = v.shape == (len(analysis.classes),) and v is layers[-1]
                        labels = class_names(analysis.classes) if is_logits else None
                        show_spec(figures.activation_bars_spec(v.values, zmax=zmax, labels=labels, lang=lang()),
                                  f"{key}_{v.index}")
                    else:
                        st.html(tiles[v.index])


def show_inspector(info: CheckpointInfo, analysis: fm.Analysis, option: str) -> None:
    """One channel of one layer as an interactive heatmap: hover gives row, column and value."""
    spatial = [v for v in analysis.layers if not v.is_vector]
    if not spatial:
        return
    st.subheader(t("fm.inspect_header"))
    i1, i2 = st.columns([3, 2], vertical_alignment="bottom")
    by_index = {v.index: v for v in spatial}
    texts = texts_of(info, analysis)
    pick = take_pick(PICK_KEY)                  # a click on a channel in the layers above
    try:
        layer, ch = (int(pick["layer"]), int(pick.get("channel", 0))) if pick is not None else (None, 0)
    except (KeyError, TypeError, ValueError, OverflowError):
        layer, ch = None, 0                     # not a pick: the inspector stays where it was
    if layer in by_index:                       # (a stale pick, e.g. from another model, is ignored)
        picked = by_index[layer]
        st.session_state[f"fm_inspect_layer_{option}"] = picked.index
        if picked.shape[0] > 1:
            st.session_state[f"fm_inspect_ch_{option}_{picked.index}"] = min(max(ch, 0), picked.shape[0] - 1)
    layer_idx = i1.selectbox(t("fm.inspect_layer"), list(by_index), key=f"fm_inspect_layer_{option}",
                             format_func=lambda i: texts[i][0] if 0 <= i < len(texts) else str(i))
    v = by_index.get(layer_idx, spatial[0])
    c = v.shape[0]
    channel = 0
    if c > 1:
        channel = i2.slider(t("fm.inspect_channel"), 0, c - 1, 0, key=f"fm_inspect_ch_{option}_{v.index}",
                            help=t("fm.inspect_channel_help"))
    values = v.values[channel]
    zmax = v.absmax if scale == "layer" else analysis.maps_absmax
    h, w = values.shape
    f1, f2 = st.columns([2, 1.2] if not lecture else [3, 1], gap="medium")
    with f1:
        show_spec(figures.channel_spec(values, channel, zmax=zmax, height=min(420, 120 + 10 * max(h, w)),
                                     title=t("fm.inspect_title", c=channel, n=v.index + 1, h=h, w=w), lang=lang()),
              f"fm_inspect_fig_{option}")
    with f2:
        st.caption(t("fm.inspect_caption"))
        st.caption(t("fm.inspect_stats", lo=float(values.min()), hi=float(values.max()), mean=float(values.mean()),
                     zeros=float((values == 0).mean())))
        if texts[v.index][2]:
            st.caption(texts[v.index][2])


st.divider()
st.subheader(t("fm.layers_header"))
if analysis_a is None:
    st.info(t("fm.layers_empty"))
else:
    st.html(PIXELATED_CSS)
    st.caption(t("fm.layers_caption"))
    b1, b2 = st.columns([1, 3], vertical_alignment="center")
    b1.image(colorbar_url(), width="stretch")
    if scale == "global":
        b2.caption(t("fm.colorbar") + " · " + t("fm.global_scale", value=analysis_a.maps_absmax,
                                                 of=t("fm.global_of", name=info_a.name) if info_b else ""))
    else:
        b2.caption(t("fm.colorbar"))
    if info_b is None:
        with st.container(key="fm_layers_a"):
            show_layers(info_a, analysis_a, 3 if lecture else 4, "fm_layer_a")
    else:
        analysis_b = run_b[2] if run_b else None
        left, right = st.columns(2, gap="large")
        with left, st.container(key="fm_layers_a"):
            st.markdown(t("fm.n_layers", name=info_a.name, n=len(analysis_a.layers)))
            show_layers(info_a, analysis_a, 2, "fm_layer_a")
        with right:
            if analysis_b is not None:
                st.markdown(t("fm.n_layers", name=info_b.name, n=len(analysis_b.layers)))
                show_layers(info_b, analysis_b, 2, "fm_layer_b")
            else:
                st.info(t("fm.no_maps", name=info_b.name))
    st.divider()
    with st.container(key="fm_inspector"):
        show_inspector(info_a, analysis_a, choice_a)
    feature_map_hover(PICK_KEY)
