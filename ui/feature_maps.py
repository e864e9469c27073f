"""Helpers of the feature-map page: library texts in the reader's language, figures, tiled layers as
crisp images with hover boxes."""

from __future__ import annotations

import html

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from cnnviz import figures, i18n
from cnnviz.messages import MessageError, Msg
from ui.i18n import tm
from ui.image_source import upscale_nearest
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
    st.plotly_chart(_prevalidated(style_spec(spec, grow)), key=key,
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
