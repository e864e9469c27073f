"""Helpers of the feature-map page: layer texts in the reader's language, tiled layers as crisp images,
hover labels of the figures.

The library (:mod:`cnnviz.featuremaps`) describes layers in English ("conv 5×5, 1→6, pad 2",
"Residual block 1", notes); :func:`layer_title`, :func:`layer_group` and :func:`layer_note` read those
texts back into table keys (as :func:`ui.image_source.note_text` does for the image loader's notes), so
the English page shows exactly the library's words and the Chinese page their translation.
"""

from __future__ import annotations

import html
import re

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from cnnviz import figures, i18n
from ui.i18n import lang, t
from ui.image_source import upscale_nearest
from ui.sidebar import FONT_SIZE, fig_height, lecture_mode

# ----------------------------------------------------------------------------- layer texts

_TEMPLATE = " (each unit's weights as a 28×28 template)"
_CONV = re.compile(r"conv (?P<kh>\d+)×(?P<kw>\d+), (?P<cin>\d+)→(?P<cout>\d+)(?:, pad (?P<p>\d+))?"
                   r"(?:, stride (?P<s>\d+))?")
_POOL = re.compile(r"(?P<kind>max|average) pool (?P<kh>\d+)×(?P<kw>\d+)(?:, stride (?P<s>\d+))?")
_FC = re.compile(r"fully connected (?P<a>\d+)→(?P<b>\d+)")
_PLAIN = {"ReLU": "fm.layer.relu", "batch norm": "fm.layer.batch_norm", "concatenate": "fm.layer.concat",
          "skip addition x + F(x)": "fm.layer.skip"}
_GROUP = re.compile(r"(?P<kind>Inception block|Residual block|Dense block|Transition) (?P<n>\d+)"
                    r"(?: › (?:layer (?P<layer>\d+)|(?P<branch>1×1|5×5|3×3|pool) branch))?")
_GROUP_KEYS = {"Inception block": "fm.group.inception", "Residual block": "fm.group.residual",
               "Dense block": "fm.group.dense", "Transition": "fm.group.transition"}
_BRANCH_KEYS = {"1×1": "fm.group.branch1x1", "5×5": "fm.group.branch5x5", "3×3": "fm.group.branch3x3",
                "pool": "fm.group.branch_pool"}
_NOTES = [(re.compile(r"F\(x\): before the skip addition"), "fm.note.before_skip"),
          (re.compile(r"x \+ F\(x\): after the skip addition"), "fm.note.after_skip"),
          (re.compile(r"block output ReLU\(x \+ F\(x\)\)"), "fm.note.block_output"),
          (re.compile(r"its input plus (?P<growth>\d+) new maps = (?P<c>\d+) channels"), "fm.note.dense_concat"),
          (re.compile(r"the new maps this layer adds"), "fm.note.new_maps"),
          (re.compile(r"the four branches side by side: (?P<sum>[\d +]+) = (?P<c>\d+) channels"),
           "fm.note.inception_concat"),
          (re.compile(r"the logits: softmax turns them into the probabilities"), "fm.note.logits"),
          (re.compile(r"This network has no convolutional maps, so integrated gradients are shown instead of "
                      r"Grad-CAM\."), "fm.note.no_gradcam")]
_GRADCAM = re.compile(r"Grad-CAM on layer (?P<name>\S+) \((?P<desc>.+), (?P<h>\d+)×(?P<w>\d+) maps\), "
                      r"scaled up to 28×28\.")


def layer_title(text: str) -> str:
    """A layer description from :func:`cnnviz.featuremaps.describe` in the reader's language."""
    suffix = ""
    if text.endswith(_TEMPLATE):
        text, suffix = text[:-len(_TEMPLATE)], t("fm.layer.template")
    if text in _PLAIN:
        return t(_PLAIN[text]) + suffix
    m = _CONV.fullmatch(text)
    if m:
        out = t("fm.layer.conv", kh=m["kh"], kw=m["kw"], cin=m["cin"], cout=m["cout"])
        out += t("fm.layer.pad", p=m["p"]) if m["p"] else ""
        return out + (t("fm.layer.stride", s=m["s"]) if m["s"] else "") + suffix
    m = _POOL.fullmatch(text)
    if m:
        out = t("fm.layer.max_pool" if m["kind"] == "max" else "fm.layer.avg_pool", kh=m["kh"], kw=m["kw"])
        return out + (t("fm.layer.stride", s=m["s"]) if m["s"] else "") + suffix
    m = _FC.fullmatch(text)
    if m:
        return t("fm.layer.fc", a=m["a"], b=m["b"]) + suffix
    return text + suffix


def layer_group(text: str) -> str:
    """A block name ("Inception block 1 › 5×5 branch") in the reader's language."""
    m = _GROUP.fullmatch(text)
    if not m:
        return text
    out = t(_GROUP_KEYS[m["kind"]], n=m["n"])
    if m["layer"]:
        out += t("fm.group.layer", n=m["layer"])
    if m["branch"]:
        out += t(_BRANCH_KEYS[m["branch"]])
    return out


def layer_note(text: str) -> str:
    """A layer's note (or an attribution note) in the reader's language; unknown texts stay as they are."""
    for pattern, key in _NOTES:
        m = pattern.fullmatch(text)
        if m:
            return t(key, **m.groupdict())
    m = _GRADCAM.fullmatch(text)
    if m:
        return t("fm.note.gradcam", name=m["name"], desc=layer_title(m["desc"]), h=m["h"], w=m["w"])
    return text


# ----------------------------------------------------------------------------- figures as specs

class _SpecFigure(go.Figure):
    """A figure dict that ``st.plotly_chart`` takes as an already validated figure: it is sent as it is.

    ``st.plotly_chart`` validates a plain dict by building a ``go.Figure`` from it (~2-4 ms), and converts
    a ``go.Figure`` back to a dict (~1-2 ms); the page's figures are built by the ``*_spec`` builders of
    :mod:`cnnviz.figures` (which ``tests/test_page_feature_maps.py`` validates with ``go.Figure``), so
    neither is needed.  Made without ``__init__``: only :meth:`to_dict` may be used.
    """

    def to_dict(self):
        return self.__dict__["_spec"]


def _prevalidated(spec: dict) -> go.Figure:
    fig = object.__new__(_SpecFigure)
    object.__setattr__(fig, "_spec", spec)
    return fig


def style_spec(spec: dict, grow: bool = True) -> dict:
    """:func:`ui.sidebar.styled` for a figure dict: bigger fonts (and a taller figure unless ``grow`` is
    false) in lecture mode; hover labels in the reader's language."""
    layout = spec.setdefault("layout", {})
    if lecture_mode():
        layout["font"] = dict(size=FONT_SIZE, color="#000000")
        if layout.get("title"):
            layout["title"] = dict(layout["title"], font=dict(size=FONT_SIZE + 4))
        if grow and layout.get("height"):
            layout["height"] = fig_height(layout["height"])
    if lang() != "en":
        for trace in spec.get("data", []):
            if isinstance(trace.get("hovertemplate"), str):
                trace["hovertemplate"] = hover_text(trace["hovertemplate"])
    return spec


def show_spec(spec: dict, key: str, grow: bool = True, config: dict | None = None) -> None:
    """``st.plotly_chart`` for a figure dict from a ``*_spec`` builder, styled by :func:`style_spec`."""
    st.plotly_chart(_prevalidated(style_spec(spec, grow)), key=key,
                    config=config or {"displayModeBar": False, "scrollZoom": False})


# ----------------------------------------------------------------------------- hover labels

_HOVER_WORDS = ("channel", "row", "col", "value", "unit", "class", "probability", "ink", "attribution",
                "relative", "filter", "weight")
_HOVER_RE = re.compile(r"\b(" + "|".join(_HOVER_WORDS) + r")\b")


def hover_text(template: str) -> str:
    """A hover template's English words in the reader's language; ``%{...}`` placeholders stay as they are."""
    parts = re.split(r"(%\{[^}]*\})", template)
    return "".join(p if p.startswith("%{") else _HOVER_RE.sub(lambda m: t(f"fm.hover_{m[1]}"), p) for p in parts)


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
