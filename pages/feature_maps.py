"""Feature maps: draw a digit (or pick a test digit) and see what every layer of a network makes of it.

The page reads its choices (:func:`choose_models`, :func:`choose_input`), runs the chosen models on the
input (:func:`ui.feature_maps.run_model`) and shows the result, section by section."""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np
import streamlit as st

from cnnviz import featuremaps as fm
from cnnviz import figures
from cnnviz.checkpoints import CheckpointInfo
from ui import url_state
from ui.canvas import read_canvas, reset_canvas
from ui.common import checkpoint_options, embedded_data, md_escape
from ui.feature_maps import (
    PIXELATED_CSS,
    PageInput,
    Run,
    attribution,
    class_names,
    colorbar_url,
    layer_texts,
    option_label,
    predicted_name,
    run_model,
    show_comparison,
    show_filters,
    show_inspector,
    show_layers,
    show_model_files,
    show_spec,
    text_of,
)
from ui.fm_explain import BAR_PICK, click_keys, show_explanation, show_invariance
from ui.i18n import lang, t, tf
from ui.interact import feature_map_hover, picture_click, take_pick
from ui.photo_input import photo_input, photo_key
from ui.sidebar import lecture_mode

CANVAS_SIZE = 280          # 10 canvas pixels per MNIST pixel
LECTURE_CANVAS = 448       # lecture mode: 16 per MNIST pixel, big enough to draw on in front of a hall
DEFAULT_STROKE = 20        # a 200 px digit drawn 20 px wide is MNIST's ~2.7 px stroke at 28x28
DEFAULT_METHOD = "integrated_gradients"
SCALES = ["layer", "global"]
MODES = ["draw", "digit", "photo"]
CLASSES = ["any"] + [str(i) for i in range(10)]
PICK_KEY = "fm_tile_pick"  # a click on a channel of the first model's layers, for the inspector
EXPLAIN = {"gradcam": "fm.explain_gradcam", "integrated_gradients": "fm.explain_ig",
           "saliency": "fm.explain_saliency"}


@dataclass
class Choices:
    option_a: str
    option_b: str | None       # the second model, when comparing
    scale: str                 # "layer" or "global" colour range
    method: str                # attribution method


def choose_models(options: dict[str, CheckpointInfo], lecture: bool) -> Choices:
    """The row of choices: model, comparison, colour scale, attribution method (not in lecture mode)."""
    names = list(options)

    def label(option: str) -> str:
        return option_label(options[option], option.startswith("shipped:"))

    default = next((k for k, o in enumerate(names) if o == "shipped:lenet5"), 0)
    url_state.take("fm_model_a", lambda raw: names[names.index(raw)])
    widths = [6, 3.5, 2.5, 0.01] if lecture else [2.8, 2.6, 1.8, 2.8]
    model_col, compare_col, scale_col, method_col = st.columns(widths, vertical_alignment="bottom")
    option_a = model_col.selectbox(t("fm.model"), names, index=default, key="fm_model_a", format_func=label)
    url_state.put("fm_model_a", option_a, default=names[default])
    option_b = None
    with compare_col:
        if st.toggle(t("fm.compare"), key="fm_compare"):
            other = next((k for k, o in enumerate(names) if options[o].meta and o != option_a), 0)
            option_b = st.selectbox(t("fm.second_model"), names, index=other, key="fm_model_b", format_func=label)
    scale = scale_col.radio(t("fm.scale"), SCALES, format_func=tf("fm_scale"), key="fm_scale", horizontal=True,
                            help=t("fm.scale_help"))
    if lecture:
        method = st.session_state.get("fm_method", DEFAULT_METHOD)
    else:
        method = method_col.selectbox(t("fm.method"), list(fm.ATTRIBUTION_METHODS), format_func=tf("fm_method"),
                                      key="fm_method", help=t("fm.method_help"))
    return Choices(option_a, option_b, scale, method)


def choose_test_digit() -> PageInput:
    """A real MNIST test digit, of any class or the chosen one; a new one on request."""
    ds = embedded_data()
    url_state.take("fm_digit_class", lambda raw: CLASSES[CLASSES.index(raw)])
    from_url = url_state.take("fm_digit", lambda raw: int(range(len(ds.test_y))[int(raw)]), "fm_digit_idx")
    cls = st.selectbox(t("fm.class"), CLASSES, key="fm_digit_class",
                       format_func=lambda c: t("fm.class_any") if c == "any" else c)
    idx = st.session_state.get("fm_digit_idx")
    stale = idx is not None and cls != "any" and int(ds.test_y[idx]) != int(cls)
    if from_url and stale:         # a link whose digit is not of its class
        url_state.mark_bad("fm_digit")
    if st.button(t("fm.new_digit"), key="fm_new_digit") or idx is None or stale:
        pool = np.arange(len(ds.test_y)) if cls == "any" else np.flatnonzero(ds.test_y.numpy() == int(cls))
        idx = st.session_state["fm_digit_idx"] = int(random.choice(pool))
    url_state.put("fm_digit_class", cls, default="any")
    url_state.put("fm_digit", idx)
    digit, label = ds.test_x[idx].numpy(), int(ds.test_y[idx])
    st.image(np.kron(digit, np.ones((8, 8), np.uint8)), width=224)
    st.caption(t("fm.digit_caption", idx=idx, label=label))
    return PageInput(f"digit:{idx}", digit=digit, label=label)


def draw_digit(lecture: bool) -> PageInput:
    """The canvas, its stroke width (not in lecture mode) and the Clear button."""
    try:
        import streamlit_drawable_canvas  # noqa: F401
    except Exception as exc:  # the component failed to load: the test digits still work
        st.warning(t("fm.no_canvas", error=md_escape(exc)))
        return PageInput()
    size = LECTURE_CANVAS if lecture else CANVAS_SIZE     # the preprocessing scales from any size
    stroke = round(DEFAULT_STROKE * size / CANVAS_SIZE) if lecture else st.session_state.get("fm_stroke",
                                                                                             DEFAULT_STROKE)
    drawn = read_canvas(size, stroke)
    if lecture:
        clear = st.button(t("fm.clear"), key="fm_clear")
    else:
        stroke_col, clear_col = st.columns([3, 2], vertical_alignment="bottom")
        stroke_col.slider(t("fm.stroke"), 4, 40, DEFAULT_STROKE, key="fm_stroke", help=t("fm.stroke_help"))
        clear = clear_col.button(t("fm.clear"), key="fm_clear", width="stretch")
    if clear:
        reset_canvas()
    return PageInput() if drawn is None else PageInput(drawn[0], canvas=drawn[1])


def choose_input() -> PageInput:
    url_state.take("fm_mode", lambda raw: MODES[MODES.index(raw)])
    mode = st.segmented_control(t("fm.input"), MODES, default="draw", key="fm_mode", required=True,
                                format_func=lambda m: t(f"fm.mode_{m}"))
    url_state.put("fm_mode", mode, default="draw")
    if mode == "digit":
        return choose_test_digit()
    url_state.drop("fm_digit_class")
    url_state.drop("fm_digit")
    if mode == "photo":   # a digit on paper: the photo's steps are shown, the 28x28 result is analysed
        pre = photo_input("fm_photo")
        return PageInput() if pre is None else PageInput(photo_key(pre), digit=pre.uint8)
    return draw_digit(lecture_mode())


def show_network_input(run: Run | None, source: PageInput) -> None:
    st.markdown(t("fm.receives"))
    if source.empty:
        st.info(t("fm.draw_prompt"))
    elif run is not None and run.analysis is not None:
        show_spec(figures.digit_spec(run.analysis.image, height=230, lang=lang()), "fm_input28")
        st.caption(t("fm.preprocess"))
    elif run is not None:
        st.info(t("fm.unreadable_input"))


def show_prediction(analysis: fm.Analysis, true_label: int | None) -> None:
    p = analysis.probs
    st.markdown(t("fm.prediction", label=md_escape(predicted_name(analysis)), p=p[analysis.pred]))
    show_spec(figures.probability_spec(p, class_names(analysis.classes), height=240, lang=lang()), "fm_probs_a")
    if true_label is not None:
        st.caption(t("fm.correct") if analysis.pred == true_label else t("fm.wrong", label=true_label))
    else:
        st.caption(t("fm.softmax_note", n=len(p)))


def show_attribution(run: Run, input_key: str, method: str) -> None:
    st.markdown(t("fm.decided"))
    analysis = run.analysis
    try:
        attr = attribution(run, input_key, method)
    except Exception as exc:
        st.warning(t("fm.no_attribution", kind=type(exc).__name__, error=md_escape(text_of(exc))))
        return
    show_spec(figures.attribution_spec(analysis.image, attr.values, height=230, lang=lang(),
                                       signed=attr.method == "integrated_gradients"), "fm_attr_a")
    note = text_of(attr.note)
    st.caption(t(EXPLAIN[attr.method], label=md_escape(predicted_name(analysis))) + (" " + note if note else ""))


def show_first_model(info: CheckpointInfo, method: str, lecture: bool) -> tuple[Run | None, PageInput]:
    """The input, what the network receives, its prediction and what decided it -> (the run, the input)."""
    if lecture:   # two rows of two: the drawing and the prediction, then the input and the attribution
        input_col, prob_col = st.columns([1.3, 1], gap="large")    # room for the 448 px canvas
        received_col, attr_col = st.columns(2, gap="large")
    else:
        input_col, received_col, prob_col, attr_col = st.columns([1.6, 1, 1.3, 1], gap="medium")
    with input_col:
        source = choose_input()
    with received_col:
        run = run_model(info, source)
        show_network_input(run, source)
    if run is None or run.analysis is None:
        return run, source
    with prob_col:
        show_prediction(run.analysis, source.label)
    with attr_col:
        show_attribution(run, source.key, method)
    return run, source


def show_learned_filters(run_a: Run | None, run_b: Run | None, comparing: bool) -> None:
    st.divider()
    st.subheader(t("fm.filters_header"))
    st.caption(t("fm.filters_caption"))
    for column, run, suffix in zip(st.columns(2), (run_a, run_b), "ab"):
        if run is None:
            continue
        with column:
            if comparing:
                st.markdown(f"**{md_escape(run.info.name)}**")
            show_filters(run, f"fm_filters_{suffix}")


def show_every_layer(run_a: Run, run_b: Run | None, comparing: bool, choices: Choices, source: PageInput,
                     lecture: bool) -> None:
    analysis = run_a.analysis
    st.html(PIXELATED_CSS)
    st.caption(t("fm.layers_caption"))
    bar_col, legend_col = st.columns([1, 3], vertical_alignment="center")
    bar_col.image(colorbar_url(), width="stretch")
    legend = t("fm.colorbar")
    if choices.scale == "global":
        of = t("fm.global_of", name=md_escape(run_a.info.name)) if comparing else ""
        legend += " · " + t("fm.global_scale", value=analysis.maps_absmax, of=of)
    legend_col.caption(legend)
    if not comparing:
        with st.container(key="fm_layers_a"):
            show_layers(run_a, source.key, choices.scale, 3 if lecture else 4, "fm_layer_a")
        return
    left, right = st.columns(2, gap="large")
    with left, st.container(key="fm_layers_a"):
        st.markdown(t("fm.n_layers", name=md_escape(run_a.info.name), n=len(analysis.layers)))
        show_layers(run_a, source.key, choices.scale, 2, "fm_layer_a")
    with right:
        if run_b is not None and run_b.analysis is not None:
            st.markdown(t("fm.n_layers", name=md_escape(run_b.info.name), n=len(run_b.analysis.layers)))
            show_layers(run_b, source.key, choices.scale, 2, "fm_layer_b")
        else:
            st.info(t("fm.no_maps", name=md_escape(run_b.info.name if run_b else choices.option_b)))


@st.fragment
def show_results(options: dict[str, CheckpointInfo], choices: Choices, lecture: bool) -> None:
    """Everything below the model choice, as a fragment: a new drawing, a click or a choice in here reruns
    only this part (the title, the model row and the sidebar stay as they are)."""
    url_note = st.empty()     # filled at the end: which choices of the link were not valid
    run_a, source = show_first_model(options[choices.option_a], choices.method, lecture)
    show_model_files(run_a)
    comparing = choices.option_b is not None
    run_b = None
    if comparing:
        run_b = run_model(options[choices.option_b], source)
        show_comparison([(option_label(options[o], o.startswith("shipped:")), r)
                         for o, r in ((choices.option_a, run_a), (choices.option_b, run_b))], source)
    if run_a is not None:
        show_learned_filters(run_a, run_b, comparing)
    st.divider()
    st.subheader(t("fm.layers_header"))
    if run_a is None or run_a.analysis is None:
        st.info(t("fm.layers_empty"))
        url_state.show_note(url_note)
        return
    show_every_layer(run_a, run_b, comparing, choices, source, lecture)
    st.divider()
    tile_pick = take_pick(PICK_KEY)
    with st.container(key="fm_explain_section"):
        show_explanation(run_a, source.key, {v.name: label for v, (label, _, _) in
                                             zip(run_a.analysis.layers, layer_texts(run_a))},
                         class_names(run_a.analysis.classes), source.label, tile_pick, take_pick(BAR_PICK))
    st.divider()
    with st.container(key="fm_inspector"):
        show_inspector(run_a, choices.option_a, choices.scale, tile_pick, lecture)
    st.divider()
    show_invariance(run_a, source.key)
    feature_map_hover(PICK_KEY)
    picture_click(click_keys(run_a.analysis, choices.option_a), BAR_PICK, key="fm_bar_events")
    url_state.show_note(url_note)


def main() -> None:
    url_state.begin()
    st.title(t("fm.title"))
    st.markdown(t("fm.intro"))
    options = checkpoint_options()
    if not options:
        st.warning(t("fm.no_checkpoints"))
        return
    lecture = lecture_mode()   # lecture mode: bigger pictures, no stroke width or attribution choice
    choices = choose_models(options, lecture)
    st.divider()
    show_results(options, choices, lecture)


main()
