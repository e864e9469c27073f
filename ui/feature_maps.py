"""Helpers of the feature-map page: library texts in the reader's language, figures, the models and their
(cached) analyses, the layers as tiled images with hover boxes, the channel inspector."""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np
import streamlit as st

from cnnviz import checkpoints, figures, i18n
from cnnviz import featuremaps as fm
from cnnviz.checkpoints import CheckpointError, CheckpointInfo
from cnnviz.messages import MessageError, Msg
from ui.common import load_model, md_escape
from ui.compat_plotly import prevalidated_figure
from ui.i18n import lang, t, tm
from ui.image_source import upscale_nearest
from ui.model_io import export_buttons
from ui.sidebar import FONT_SIZE, fig_height, lecture_mode

# ----------------------------------------------------------------------------- texts


def text_of(value) -> str:
    """A library text in the reader's language: a :class:`~cnnviz.messages.Msg` or an error carrying one is
    translated; anything else (a class name or an error read from a file) is shown as it is, plain text."""
    if isinstance(value, (Msg, MessageError)):
        return tm(value)
    return "" if value is None else str(value)


def class_names(classes) -> list[str]:
    """A model's class names as plain text (bundled datasets' names translated; names from files as is)."""
    return [text_of(c) for c in classes]


def predicted_name(analysis) -> str:
    """The predicted class of a :class:`cnnviz.featuremaps.Analysis`, as plain text."""
    return text_of(analysis.classes[analysis.pred])


# ----------------------------------------------------------------------------- figures as specs

def style_spec(spec: dict, grow: bool = True) -> dict:
    """:func:`ui.sidebar.styled` for a figure dict: bigger fonts (and a taller figure unless ``grow`` is
    false) in lecture mode."""
    layout = spec.setdefault("layout", {})
    if lecture_mode():
        layout["font"] = dict(size=FONT_SIZE, color="#000000")
        if layout.get("title"):
            layout["title"] = dict(layout["title"], font=dict(size=FONT_SIZE + 4))
        if grow and layout.get("height"):
            layout["height"] = fig_height(layout["height"])
    return spec


def show_spec(spec: dict, key: str, grow: bool = True, config: dict | None = None) -> None:
    """``st.plotly_chart`` for a figure dict from a ``*_spec`` builder, styled by :func:`style_spec`."""
    st.plotly_chart(prevalidated_figure(style_spec(spec, grow)), key=key,
                    config=config or {"displayModeBar": False, "scrollZoom": False})


# ----------------------------------------------------------------------------- tiled layers as images

# Layer images are sent at one pixel per activation and enlarged by the browser with crisp pixels.
PIXELATED_CSS = """<style>
[data-testid="stImage"] img, [data-testid="stFullScreenFrame"] img { image-rendering: pixelated; }
figure.cnnviz-tile { margin: 0 0 0.5rem 0; }
.cnnviz-tile-box { position: relative; line-height: 0; }
.cnnviz-tile-box img { width: 100%; image-rendering: pixelated; }
.cnnviz-tile-box span { position: absolute; display: block; cursor: crosshair; }
.cnnviz-tile-box span:hover { outline: 2px solid #000000; }
figure.cnnviz-tile figcaption { font-size: 0.875rem; color: rgba(49, 51, 63, 0.6); text-align: center;
  margin-top: 0.375rem; line-height: 1.4; }
</style>"""


class Html(str):
    """HTML that ``st.html`` takes as it is: a body with ``_repr_html_`` is used as given (documented), while
    a plain string is dedented first, ~0.5 ms per tiled layer (~20 ms a DenseNet rerun) for nothing."""

    def _repr_html_(self) -> str:
        return str(self)


def tile_html(url: str, boxes: np.ndarray, stats: np.ndarray, alt: str, caption: str, language: str, *,
              layer: int, size: tuple[int, int], zmax: float) -> str:
    """A tiled layer image with one hover box per channel (its number, min, max and mean as a tooltip),
    placed in percent of the image (:func:`cnnviz.featuremaps.channel_boxes`) so they follow any width.

    The figure carries the layer's index, one channel's ``size`` (height, width) and the colour range
    ``zmax`` for :func:`ui.interact.feature_map_hover` (the row, column and value under the pointer)."""
    hover = html.escape(i18n.template("fm.tile_hover", language))     # the numbers need no escaping
    spans = "".join(
        f'<span data-ch="{c}" style="left:{b[0]:.3f}%;top:{b[1]:.3f}%;width:{b[2]:.3f}%;height:{b[3]:.3f}%" '
        f'title="{hover.format(c=c, lo=v[0], hi=v[1], mean=v[2])}"></span>'
        for c, (b, v) in enumerate(zip(boxes.tolist(), stats.tolist())))
    return Html(f'<figure class="cnnviz-tile" data-layer="{int(layer)}" data-h="{int(size[0])}" '
                f'data-w="{int(size[1])}" data-zmax="{float(zmax)!r}"><div class="cnnviz-tile-box">'
                f'<img src="{url}" alt="{html.escape(alt)}">{spans}</div>'
                f'<figcaption>{html.escape(caption)}</figcaption></figure>')


# very small tiles are enlarged a little on the server too (the browser does the rest, with crisp pixels)
MIN_SIDE = 32


# Layer images go to the page as PNG ``data:`` URLs inside :func:`tile_html` (``st.image`` would decode,
# check and store bytes in the media file manager on every rerun).
def tile_url(tile: np.ndarray, zmax: float | None) -> str:
    """One layer's tiled feature maps as a PNG data URL (diverging colours, grey gaps), one pixel per value."""
    rgb = figures.feature_tile_image(tile, zmax)
    return figures.png_data_url(figures.png_bytes(upscale_nearest(rgb, MIN_SIDE)))


@st.cache_data(show_spinner=False, max_entries=8)
def colorbar_url(width: int = 256, height: int = 12) -> str:
    return figures.png_data_url(figures.png_bytes(figures.colorbar_image(width, height)))


# ----------------------------------------------------------------------------- models and their analyses

IG_STEPS = 16              # integration steps of integrated gradients (the library's default is 24)


@dataclass
class PageInput:
    """What the page analyses: a canvas picture or a test digit, and a key naming it for the caches."""

    key: str = "empty"                 # "empty", "digit:<index>" or "canvas:<hash of the picture>"
    canvas: np.ndarray | None = None   # the canvas's pixels (cnnviz.drawing.canvas_pixels)
    digit: np.ndarray | None = None    # a 28x28 uint8 test digit
    label: int | None = None           # the test digit's true class

    @property
    def empty(self) -> bool:
        return self.key == "empty"


@dataclass
class Run:
    """One model on the page's input."""

    info: CheckpointInfo
    model: object
    meta: object
    analysis: fm.Analysis | None       # None when the input is empty or the analysis failed

    @property
    def version(self) -> tuple[str, float]:
        """The checkpoint file and its modification time: what the caches are keyed by."""
        return str(self.info.path), self.info.path.stat().st_mtime


def option_label(info: CheckpointInfo, shipped: bool) -> str:
    """A checkpoint's line in the model choice (plain text: shown in a selectbox)."""
    where = "" if shipped else t("fm.trained_by_you")
    if info.meta is None:
        return t("fm.unreadable", name=info.name, where=where)
    acc = t("fm.test_acc", acc=info.meta.test_acc) if isinstance(info.meta.test_acc, (int, float)) else ""
    return t("fm.option", title=t(f"arch.{info.meta.arch}.title"), name=info.name, where=where, acc=acc)


@st.cache_resource(max_entries=64, show_spinner=False)
def _cached_analysis(path: str, mtime: float, input_key: str, _model, _meta, _canvas, _digit):
    """Analysis of one input by one model version (read-only; reruns for other widgets reuse it)."""
    if _digit is not None:
        return fm.analyze_digit(_model, _meta, _digit)
    return fm.analyze_canvas(_model, _meta, _canvas)


def run_model(info: CheckpointInfo, source: PageInput) -> Run | None:
    """Load the checkpoint (cached) and analyse the input; ``None``, after saying why, when the model cannot
    be loaded.  A failing analysis is reported and gives a run without analysis (never a traceback)."""
    if info.meta is None:
        reason = text_of(info.problem or info.error)
        st.error(t("fm.cannot_use", name=md_escape(info.name), error=md_escape(reason)))
        return None
    try:
        model, meta = load_model(str(info.path), info.path.stat().st_mtime)
    except (CheckpointError, OSError) as exc:
        st.error(t("fm.cannot_load", name=md_escape(info.name), error=md_escape(text_of(exc))))
        return None
    run = Run(info, model, meta, None)
    if source.empty:
        return run
    try:
        run.analysis = _cached_analysis(*run.version, source.key, model, meta, source.canvas, source.digit)
    except Exception as exc:  # never let one model's failure take the page down
        st.error(t("fm.analysis_failed", name=md_escape(info.name), kind=type(exc).__name__,
                   error=md_escape(text_of(exc))))
    return run


@st.cache_resource(max_entries=64, show_spinner=False)
def _cached_attribution(path: str, mtime: float, input_key: str, method: str, _model, _meta, _analysis):
    baseline = (0.0 - _meta.mean) / _meta.std   # the normalized value of blank paper
    # 16 integration steps: the picture is the same to the eye, at 2/3 of the cost
    return fm.attribute(_model, _analysis.x, target=_analysis.pred, method=method, baseline=baseline,
                        n_steps=IG_STEPS)


def attribution(run: Run, input_key: str, method: str) -> fm.Attribution:
    return _cached_attribution(*run.version, input_key, method, run.model, run.meta, run.analysis)


@st.cache_resource(max_entries=32, show_spinner=False)
def _cached_filters(path: str, mtime: float, _model):
    filt = fm.first_filters(_model)
    return None if filt is None else (filt, fm.tile_maps(filt.weights))


def show_filters(run: Run, key: str) -> None:
    """The first layer's learned filters as one tiled heatmap."""
    cached = _cached_filters(*run.version, run.model)
    if cached is None:
        st.caption(t("fm.no_filters"))
        return
    filt, (tile, index_map, _) = cached
    shown = "" if filt.total == len(filt.weights) else t("fm.filters_shown", n=len(filt.weights), total=filt.total)
    title = f"{filt.name}: {text_of(filt.title)}{shown}"
    show_spec(figures.feature_tile_spec(tile, index_map, title, width_hint=300 if filt.weights.shape[1] <= 7 else 420,
                                        value_name="weight", unit_name="filter", lang=lang()), key)


# ----------------------------------------------------------------------------- every layer


@st.cache_resource(max_entries=64, show_spinner=False)
def _layer_texts(path: str, mtime: float, language: str, _analysis) -> list[tuple[str, str, str]]:
    """Each layer's label, group and note in the reader's language (the same for every input of a model)."""
    return [(t("fm.layer_label", n=v.index + 1, title=text_of(v.title), shape=v.shape_text),
             text_of(v.group), text_of(v.note)) for v in _analysis.layers]


def layer_texts(run: Run) -> list[tuple[str, str, str]]:
    return _layer_texts(*run.version, lang(), run.analysis)


def layer_zmax(analysis: fm.Analysis, v: fm.LayerView, scale: str) -> float:
    """The colour range of a layer: its own, or (``scale == "global"``) that of all maps or all vectors."""
    if scale == "layer":
        return v.absmax
    return analysis.vectors_absmax if v.is_vector else analysis.maps_absmax


@st.cache_resource(max_entries=64, show_spinner=False)
def _layer_html(path: str, mtime: float, input_key: str, scale: str, language: str, _analysis,
                _texts) -> dict[int, str]:
    """Each spatial layer's tiled maps as a PNG with one hover box per channel and its caption, as HTML
    (~1,500 boxes for DenseNet): built once per input, colour scale and language, not on every rerun."""
    out = {}
    for v in _analysis.layers:
        if v.is_vector:
            continue
        c, h, w = v.values.shape
        zmax = layer_zmax(_analysis, v, scale)
        rng = t("fm.range", value=zmax)
        cap = t("fm.tile_caption", c=c, cols=v.cols, scale=rng) if c > 1 else t("fm.tile_caption_one", scale=rng)
        out[v.index] = tile_html(tile_url(v.tile, zmax), fm.channel_boxes(c, h, w, v.cols),
                                 fm.channel_stats(v.values), _texts[v.index][0], cap, language,
                                 layer=v.index, size=(h, w), zmax=zmax)
    return out


def _segments(layers: list[fm.LayerView]) -> list[list[fm.LayerView]]:
    """Consecutive layers of the same block together."""
    segments: list[list[fm.LayerView]] = []
    for v in layers:
        if segments and segments[-1][0].group == v.group:
            segments[-1].append(v)
        else:
            segments.append([v])
    return segments


def show_layers(run: Run, input_key: str, scale: str, ncols: int, key: str) -> None:
    """Every layer in forward order, grouped by block: tiled maps as images, vectors as bar charts."""
    analysis = run.analysis
    texts = layer_texts(run)
    tiles = _layer_html(*run.version, input_key, scale, lang(), analysis, texts)
    for segment in _segments(analysis.layers):
        if segment[0].group:
            st.markdown(f"**{texts[segment[0].index][1]}**")
        for start in range(0, len(segment), ncols):
            for column, v in zip(st.columns(ncols), segment[start:start + ncols]):
                with column:
                    label, _, note = texts[v.index]
                    st.markdown(f"**{label}**" + (f"  \n{note}" if note else ""))
                    if not v.is_vector:
                        st.html(tiles[v.index])
                        continue
                    is_logits = v.shape == (len(analysis.classes),) and v is analysis.layers[-1]
                    labels = class_names(analysis.classes) if is_logits else None
                    show_spec(figures.activation_bars_spec(v.values, zmax=layer_zmax(analysis, v, scale),
                                                           labels=labels, lang=lang()), f"{key}_{v.index}")


def _apply_pick(pick: dict | None, by_index: dict[int, fm.LayerView], option: str) -> None:
    """A click on a channel in the layers (``{"layer", "channel"}``) sets the inspector's choices; a stale
    or malformed pick changes nothing."""
    try:
        layer, ch = (int(pick["layer"]), int(pick.get("channel", 0))) if pick is not None else (None, 0)
    except (KeyError, TypeError, ValueError, OverflowError):
        return
    if layer in by_index:
        picked = by_index[layer]
        st.session_state[f"fm_inspect_layer_{option}"] = picked.index
        if picked.shape[0] > 1:
            st.session_state[f"fm_inspect_ch_{option}_{picked.index}"] = min(max(ch, 0), picked.shape[0] - 1)


def show_inspector(run: Run, option: str, scale: str, pick: dict | None, lecture: bool) -> None:
    """One channel of one layer as an interactive heatmap: hover gives row, column and value."""
    analysis = run.analysis
    by_index = {v.index: v for v in analysis.layers if not v.is_vector}
    if not by_index:
        return
    st.subheader(t("fm.inspect_header"))
    layer_column, channel_column = st.columns([3, 2], vertical_alignment="bottom")
    texts = layer_texts(run)
    _apply_pick(pick, by_index, option)
    layer_idx = layer_column.selectbox(t("fm.inspect_layer"), list(by_index), key=f"fm_inspect_layer_{option}",
                                       format_func=lambda i: texts[i][0] if 0 <= i < len(texts) else str(i))
    v = by_index.get(layer_idx, next(iter(by_index.values())))
    channel = 0
    if v.shape[0] > 1:
        channel = channel_column.slider(t("fm.inspect_channel"), 0, v.shape[0] - 1, 0,
                                        key=f"fm_inspect_ch_{option}_{v.index}", help=t("fm.inspect_channel_help"))
    values = v.values[channel]
    h, w = values.shape
    figure_column, stats_column = st.columns([2, 1.2] if not lecture else [3, 1], gap="medium")
    with figure_column:
        show_spec(figures.channel_spec(values, channel, zmax=layer_zmax(analysis, v, scale),
                                       height=min(420, 120 + 10 * max(h, w)), lang=lang(),
                                       title=t("fm.inspect_title", c=channel, n=v.index + 1, h=h, w=w)),
                  f"fm_inspect_fig_{option}")
    with stats_column:
        st.caption(t("fm.inspect_caption"))
        st.caption(t("fm.inspect_stats", lo=float(values.min()), hi=float(values.max()), mean=float(values.mean()),
                     zeros=float((values == 0).mean())))
        if texts[v.index][2]:
            st.caption(texts[v.index][2])


# ----------------------------------------------------------------------------- the model: basis, downloads, comparison

def accuracy_basis(run: Run) -> str:
    """The model's test accuracy with its basis (its test images and one standard error), as a caption;
    "" when the checkpoint has no accuracy or its test set is unknown."""
    basis = checkpoints.accuracy_basis(run.meta)
    if basis is None:
        return ""
    key = "fm.acc_basis" if run.meta.dataset == "embedded" else "fm.acc_basis_other"
    return t(key, name=md_escape(run.info.name), acc=run.meta.test_acc, n=basis[0], se=basis[1])


def show_model_files(run: Run | None) -> None:
    """The accuracy's basis and the model's downloads (ONNX, state_dict)."""
    if run is None:
        return
    basis = accuracy_basis(run)
    if basis:
        st.caption(basis)
    with st.expander(t("fm.export_header")):
        export_buttons(run.model, run.info.name, key="fm_export")



def show_comparison(runs: list[tuple[str, Run | None]], source: PageInput) -> None:
    """Both models' predictions side by side."""
    st.divider()
    st.subheader(t("fm.side_by_side"))
    for column, (label, run), suffix in zip(st.columns(2, gap="large"), runs, "ab"):
        with column:
            st.markdown(f"**{md_escape(label)}**")
            if run is None or run.analysis is None:
                if run is not None and source.empty:
                    st.caption(t("fm.draw_to_compare"))
                continue
            analysis = run.analysis
            st.markdown(t("fm.prediction_short", label=md_escape(predicted_name(analysis)),
                          p=analysis.probs[analysis.pred]))
            show_spec(figures.probability_spec(analysis.probs, class_names(analysis.classes), height=200,
                                               lang=lang()), f"fm_cmp_probs_{suffix}")
