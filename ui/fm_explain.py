"""The feature-map page's "How this number was computed": which number (a layer and a position in it) and
its explanation (:func:`ui.explain_view.explanation_section`).

The number is chosen by a click in the layers above (a pixel of a tiled map: :func:`ui.interact.
feature_map_hover` sends layer, channel, row and column; a bar of a vector layer or a class probability:
:func:`ui.interact.picture_click` sends the bar's number; a cell of the channel inspector's heatmap: its x
and y), by the selectors here (layer, then channel,
row and column, or the unit), or by the URL: ``fm_layer`` (the layer's name as the analysis lists it, or
``softmax``) and ``fm_cell`` (``channel,row,col`` or ``unit``).
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnnviz import explain, invariance
from cnnviz import featuremaps as fm
from ui import url_state
from ui.explain_view import show_explanation as show_explanation_panel
from ui.explain_view import show_translation_invariance
from ui.i18n import t, tm

LAYER = "fm_layer"          # widget key and URL parameter: the layer's name, or explain.SOFTMAX
CELL = "fm_cell"            # URL parameter: "channel,row,col" for maps, "unit" for vectors
_CELL_FROM_URL = "fm_cell_from_url"
CH, ROW, COL, UNIT = "fm_cell_ch", "fm_cell_row", "fm_cell_col", "fm_cell_unit"
OPEN = "fm_explain_open"    # whether the panel is open: after a click, a choice here or a link to a cell
BAR_PICK = "fm_bar_pick"    # a click on a bar chart, waiting for the next run
PROBS_KEY = "fm_probs_a"    # the first model's probability chart
BARS_PREFIX = "fm_layer_a_"  # + layer index: the first model's vector layers
INSPECTOR_PREFIX = "fm_inspect_fig_"   # + model option: the channel inspector's heatmap


def shapes(analysis: fm.Analysis) -> dict[str, tuple[int, ...]]:
    """Every layer that can be explained -> the shape of its values as shown ((C, H, W) or (N,)), in forward
    order, then the softmax over the classes."""
    out = {v.name: tuple(v.values.shape) for v in analysis.layers}
    out[explain.SOFTMAX] = (len(analysis.classes),)
    return out


def default_cell(shape: tuple[int, ...]) -> tuple[int, ...]:
    """The middle of channel 0 for maps (where a digit is), unit 0 for vectors."""
    return (0, shape[1] // 2, shape[2] // 2) if len(shape) == 3 else (0,)


def parse_cell(raw: str, shape: tuple[int, ...]) -> tuple[int, ...]:
    """``"c,r,q"`` or ``"u"`` -> the index, checked against ``shape`` (:class:`ui.url_state.Invalid` if not)."""
    cell = tuple(int(p) for p in str(raw).split(","))
    if len(cell) != len(shape) or not all(0 <= i < n for i, n in zip(cell, shape)):
        raise url_state.Invalid(raw)
    return cell


def click_keys(analysis: fm.Analysis, option: str) -> list[str]:
    """The keys of the charts whose clicks choose the number (for :func:`ui.interact.picture_click`): the
    first model's bar charts and the channel inspector's heatmap."""
    return [*bar_keys(analysis), INSPECTOR_PREFIX + option]


def bar_keys(analysis: fm.Analysis) -> dict[str, str]:
    """The keys of the first model's bar charts -> the layer each shows."""
    keys = {f"{BARS_PREFIX}{v.index}": v.name for v in analysis.layers if v.is_vector}
    keys[PROBS_KEY] = explain.SOFTMAX
    return keys


def _set_cell(cell: tuple[int, ...]) -> None:
    if len(cell) == 3:
        st.session_state[CH], st.session_state[ROW], st.session_state[COL] = cell
    else:
        st.session_state[UNIT] = cell[0]


def _apply_tile_pick(pick: dict | None, analysis: fm.Analysis) -> bool:
    """``{"layer", "channel", "row", "col"}`` from a click on a tiled map; a stale or malformed one is ignored."""
    if pick is None:
        return False
    try:
        v = analysis.layers[int(pick["layer"])]
        cell = (int(pick.get("channel", 0)), int(pick.get("row", 0)), int(pick.get("col", 0)))
    except (KeyError, TypeError, ValueError, OverflowError, IndexError):
        return False
    if v.is_vector:
        return False
    st.session_state[LAYER] = v.name
    _set_cell(tuple(min(max(i, 0), n - 1) for i, n in zip(cell, v.values.shape)))
    return True


def _apply_inspector_pick(pick: dict, analysis: fm.Analysis) -> bool:
    """``{"which", "x", "y"}`` from a click on the channel inspector's heatmap (``INSPECTOR_PREFIX`` + the
    model option): the inspector's layer and channel, at the clicked row and column."""
    option = str(pick["which"])[len(INSPECTOR_PREFIX):]
    try:
        v = analysis.layers[int(st.session_state[f"fm_inspect_layer_{option}"])]
        channel = int(st.session_state.get(f"fm_inspect_ch_{option}_{v.index}", 0))
        row, col = round(float(pick["y"])), round(float(pick["x"]))
    except (KeyError, TypeError, ValueError, OverflowError, IndexError):
        return False
    shape = v.values.shape
    if len(shape) != 3 or not (0 <= channel < shape[0] and 0 <= row < shape[1] and 0 <= col < shape[2]):
        return False
    st.session_state[LAYER] = v.name
    _set_cell((channel, row, col))
    return True


def _apply_bar_pick(pick: dict | None, analysis: fm.Analysis) -> bool:
    """``{"which", "point"}`` from a click on a bar chart (a vector layer's unit, a class probability), or a
    click on the inspector's heatmap."""
    if pick is None:
        return False
    if str(pick.get("which", "")).startswith(INSPECTOR_PREFIX):
        return _apply_inspector_pick(pick, analysis)
    layer = bar_keys(analysis).get(str(pick.get("which")))
    try:
        unit = int(pick["point"])
    except (KeyError, TypeError, ValueError, OverflowError):
        return False
    n = shapes(analysis).get(layer, (0,))[0]
    if layer is None or not 0 <= unit < n:
        return False
    st.session_state[LAYER] = layer
    _set_cell((unit,))
    return True


def _open() -> None:
    st.session_state[OPEN] = True


def _new_layer() -> None:
    """Another layer chosen: its default cell, and the panel opens."""
    for key in (CH, ROW, COL, UNIT):
        st.session_state.pop(key, None)
    _open()


def choose_cell(analysis: fm.Analysis, labels: dict[str, str], tile_pick: dict | None,
                bar_pick: dict | None) -> tuple[str, tuple[int, ...]]:
    """The layer and position to explain: from the URL (when it is new), a click, or the selectors here.
    ``labels``: each layer's name -> its label in the reader's language."""
    by_name = shapes(analysis)
    names = list(by_name)
    linked = url_state.take(LAYER, lambda raw: raw if raw in by_name else _invalid(raw))
    if st.session_state.get(LAYER) not in by_name:          # another model's layer: the first one
        for key in (LAYER, CH, ROW, COL, UNIT):
            st.session_state.pop(key, None)
    layer_now = st.session_state.get(LAYER, names[0])
    if LAYER in url_state.bad_params() and CELL in st.query_params:   # a cell of a layer that is not there
        url_state.mark_bad(CELL)
    linked |= url_state.take(CELL, lambda raw: parse_cell(raw, by_name[layer_now]), state_key=_CELL_FROM_URL)
    if _CELL_FROM_URL in st.session_state:
        _set_cell(st.session_state.pop(_CELL_FROM_URL))
    clicked = _apply_tile_pick(tile_pick, analysis) | _apply_bar_pick(bar_pick, analysis)
    if linked or clicked:
        _open()
    st.caption(t("fmx.choose"))
    layer_col, *cell_cols = st.columns([3, 1, 1, 1], vertical_alignment="bottom")
    layer = layer_col.selectbox(t("fmx.layer"), names, key=LAYER, on_change=_new_layer,
                                format_func=lambda n: t("fmx.softmax") if n == explain.SOFTMAX else labels.get(n, n))
    shape = by_name[layer]
    default = default_cell(shape)
    keys = (CH, ROW, COL) if len(shape) == 3 else (UNIT,)
    titles = ("fmx.channel", "fmx.row", "fmx.col") if len(shape) == 3 else \
        ("fmx.class" if layer == explain.SOFTMAX else "fmx.unit",)
    cell = []
    for column, key, title, n, d in zip(cell_cols, keys, titles, shape, default):
        value = st.session_state.get(key, d)
        st.session_state[key] = min(max(int(value), 0), n - 1) if isinstance(value, (int, float)) else d
        cell.append(int(column.number_input(t(title), min_value=0, max_value=n - 1, step=1, key=key,
                                            on_change=_open)))
    return layer, tuple(cell)


def _invalid(raw: str):
    raise url_state.Invalid(raw)


@st.cache_resource(max_entries=64, show_spinner=False)
def _explained(path: str, mtime: float, input_key: str, layer: str, cell: tuple[int, ...], label: int | None,
               _model, _x) -> explain.Explanation | explain.ExplainError:
    """One cell's explanation, once per model version, input, cell and label (reruns for other widgets
    reuse it)."""
    try:
        return explain.explain_cell(_model, _x, layer, cell, label=label)
    except explain.ExplainError as err:
        return err


def show_explanation(run, input_key: str, labels: dict[str, str], classes: list[str], true_label: int | None,
                     tile_pick: dict | None, bar_pick: dict | None) -> None:
    """The section: the choice of the number, then the panel "How this number was computed" for it, with
    the receptive field on the 28×28 input (``true_label``: a test digit's class, for the cross-entropy)."""
    analysis = run.analysis
    st.subheader(t("fmx.header"))
    layer, cell = choose_cell(analysis, labels, tile_pick, bar_pick)
    if not st.session_state.get(OPEN) and st.button(t("fmx.open"), key="fm_explain_go"):
        _open()
    if not st.session_state.get(OPEN):   # closed until asked for: a new drawing costs nothing here
        url_state.drop(LAYER)
        url_state.drop(CELL)
        return
    url_state.put(LAYER, layer)          # an open panel is in the link, even at the default cell
    url_state.put(CELL, ",".join(map(str, cell)))
    label = true_label if layer == explain.SOFTMAX else None
    e = _explained(*run.version, input_key, layer, cell, label, run.model, analysis.x)
    with st.container(key="fm_explain_panel"):
        if isinstance(e, explain.ExplainError):
            st.warning(tm(e))
        else:
            show_explanation_panel(e, analysis.image, classes, key="fm_explain")


@st.cache_resource(max_entries=32, show_spinner=False)
def _invariance(path: str, mtime: float, input_key: str, shift: int, _model, _meta, _image):
    digit = np.rint(np.asarray(_image) * 255).astype(np.uint8)     # the 28×28 digit the network sees
    return invariance.translation_changes(_model, digit, _meta.mean, _meta.std, shift=shift)


def show_invariance(run, input_key: str) -> None:
    """The translation-invariance experiment on the current input (a 1–3 pixel shift, per-layer change),
    run when asked for (4 more passes of the network per input)."""
    st.subheader(t("inv.title"))
    if not st.toggle(t("fmx.run_invariance"), key="fm_invariance_on"):
        return
    shift = st.slider(t("inv.shift"), 1, 3, 1, key="fm_invariance_shift")
    changes = _invariance(*run.version, input_key, shift, run.model, run.meta, run.analysis.image)
    show_translation_invariance(changes, shift, key="fm_invariance", header=False)
