"""Plotly figure builders (pure functions: arrays in, ``go.Figure`` out; no streamlit).

Sections: kernels/pooling, training, feature maps.  Add builders to the
section they belong to.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from . import colors, i18n

# ----------------------------------------------------------------------------- kernels and pooling

_POOL_COLORS = ["#8dd3c7", "#fdb462", "#bebada", "#fb8072", "#80b1d3", "#b3de69", "#fccde5", "#ffed6f",
                "#bc80bd", "#ccebc5", "#d9d9d9", "#ffffb3"]
_DIVERGING = colors.plotly_scale(colors.RDBU_R)   # blue negative, white 0, red positive


def _num(v: float, digits: int = 3) -> str:
    """A compact number for cell labels: integers without decimals, others rounded."""
    if not np.isfinite(v):
        return "−∞" if v < 0 else ("∞" if v > 0 else "NaN")
    if float(v).is_integer() and abs(v) < 1e6:
        return str(int(v))
    return f"{v:.{digits}g}" if abs(v) >= 1e-3 or v == 0 else f"{v:.2e}"


def picture_figure(img: np.ndarray, title: str = "", scale: float = 1.0, height: int | None = None,
                   rects: list[tuple[float, float, float, float, str]] | None = None) -> go.Figure:
    """A uint8 image (H×W gray or H×W×3) sent as one PNG: light, zoomable, hover gives coordinates.

    ``scale`` is the display downscale factor, so axes and hover use the full image's pixel
    coordinates; ``rects`` are ``(x0, y0, x1, y1, colour[, dash])`` outlines in those coordinates.
    """
    import io

    from PIL import Image

    arr = np.asarray(img)
    if arr.dtype != np.uint8:
        arr = np.clip(np.rint(arr), 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(arr, "L" if arr.ndim == 2 else "RGB").save(buf, format="PNG", compress_level=1)
    src = png_data_url(buf.getvalue())
    h, w = arr.shape[:2]
    fig = go.Figure(go.Image(source=src, x0=scale / 2 - 0.5, y0=scale / 2 - 0.5, dx=scale, dy=scale,
                             hovertemplate="x=%{x:.0f}, y=%{y:.0f}<extra></extra>"))
    for rect in rects or []:
        x0, y0, x1, y1, color = rect[:5]
        fig.add_shape(type="rect", x0=x0 - 0.5, y0=y0 - 0.5, x1=x1 - 0.5, y1=y1 - 0.5,
                      line=dict(color=color, width=3 if len(rect) < 6 else 2,
                                dash="solid" if len(rect) < 6 else rect[5]))
    fig.update_xaxes(visible=False, range=[-0.5, w * scale - 0.5], constrain="domain")
    fig.update_yaxes(visible=False, range=[h * scale - 0.5, -0.5], scaleanchor="x", constrain="domain")
    fig.update_layout(title=dict(text=title or None, font=dict(size=15)), height=height,
                      margin=dict(l=0, r=0, t=32 if title else 0, b=0))
    return fig


def _grid_heatmap(values: np.ndarray, text: list[list[str]], colorscale, zmin: float, zmax: float,
                  what: str, lang: str) -> go.Heatmap:
    """A grid of numbers written in their cells; hovering names the cell and ``what`` (a ``kfig.*`` key)."""
    hover = i18n.t("kfig.hover_cell", lang, y="%{y}", x="%{x}", what=i18n.t(what, lang), v="%{text}")
    return go.Heatmap(z=values, text=text, texttemplate="%{text}", textfont=dict(size=13),
                      colorscale=colorscale, zmin=zmin, zmax=zmax, showscale=False, xgap=1, ygap=1,
                      hovertemplate=hover + "<extra></extra>")


def kernel_figure(kernel: np.ndarray, title: str = "", height: int | None = None, lang: str = "en") -> go.Figure:
    """A kernel's weights as a labelled grid: red positive, blue negative, white 0 (hover in ``lang``)."""
    k = np.asarray(kernel, dtype=np.float64)
    lim = float(np.abs(k).max()) or 1.0
    fig = go.Figure(_grid_heatmap(k, [[_num(v) for v in row] for row in k], _DIVERGING, -lim, lim, "kfig.weight",
                                  lang))
    side = height or (45 * k.shape[0] + (40 if title else 10))
    fig.update_yaxes(autorange="reversed", scaleanchor="x", showticklabels=False, showgrid=False,
                     zeroline=False)
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False, constrain="domain")
    fig.update_layout(title=dict(text=title or None, font=dict(size=14)), height=side,
                      margin=dict(l=0, r=0, t=34 if title else 0, b=0))
    return fig


def inspector_figure(window: np.ndarray, kernel: np.ndarray, products: np.ndarray,
                     in_padding: np.ndarray | None = None, total: float | None = None,
                     height: int = 300, lang: str = "en") -> go.Figure:
    """Input window × kernel = products, side by side, every number written in its cell (texts in ``lang``)."""
    from plotly.subplots import make_subplots

    win, ker, prod = (np.asarray(a, dtype=np.float64) for a in (window, kernel, products))
    pad = np.zeros(win.shape, bool) if in_padding is None else np.asarray(in_padding, bool)
    total = float(prod.sum()) if total is None else total
    titles = [i18n.t("kern.insp_window", lang), i18n.t("kern.insp_weights", lang),
              i18n.t("kern.insp_products", lang, total=total)]
    fig = make_subplots(rows=1, cols=3, subplot_titles=titles, horizontal_spacing=0.06)
    win_text = [[(_num(v) + ("ᵖ" if p else "")) for v, p in zip(r, pr)] for r, pr in zip(win, pad)]
    fig.add_trace(_grid_heatmap(win, win_text, "gray", 0, 255, "kfig.pixel", lang), 1, 1)
    fig.data[0].update(texttemplate=None)      # per-cell text colour below: white on dark, black on light
    for (r, c), v in np.ndenumerate(win):
        fig.add_annotation(x=c, y=r, text=win_text[r][c], showarrow=False, xref="x", yref="y",
                           font=dict(size=13, color="white" if v < 128 else "black"))
    klim = float(np.abs(ker).max()) or 1.0
    fig.add_trace(_grid_heatmap(ker, [[_num(v) for v in r] for r in ker], _DIVERGING, -klim, klim, "kfig.weight",
                                lang), 1, 2)
    plim = float(np.abs(prod).max()) or 1.0
    fig.add_trace(_grid_heatmap(prod, [[_num(v, 4) for v in r] for r in prod], _DIVERGING, -plim, plim,
                                "kfig.product", lang), 1, 3)
    for i in range(1, 4):
        fig.update_yaxes(autorange="reversed", showticklabels=False, showgrid=False, zeroline=False,
                         scaleanchor=f"x{'' if i == 1 else i}", row=1, col=i)
        fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False, constrain="domain", row=1, col=i)
    fig.update_layout(height=height, margin=dict(l=0, r=0, t=40, b=0))
    return fig


def weights_grid_figure(weights: np.ndarray, titles: list[str] | None = None, cols: int = 8,
                        cell: int = 90, lang: str = "en") -> go.Figure:
    """Small kernels (``N×kh×kw``) side by side, each on its own symmetric diverging scale (hover in ``lang``)."""
    from plotly.subplots import make_subplots

    w = np.asarray(weights, dtype=np.float64)
    n = w.shape[0]
    cols = max(1, min(cols, n))
    rows = -(-n // cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles or [f"#{i}" for i in range(n)],
                        horizontal_spacing=0.02, vertical_spacing=0.12 / max(rows, 1))
    for i in range(n):
        lim = float(np.abs(w[i]).max()) or 1.0
        fig.add_trace(go.Heatmap(z=w[i], colorscale=_DIVERGING, zmin=-lim, zmax=lim, showscale=False,
                                 hovertemplate=i18n.t("kfig.hover_weight", lang, v="%{z:.3f}") + "<extra></extra>"),
                      i // cols + 1, i % cols + 1)
    fig.update_yaxes(autorange="reversed", showticklabels=False, showgrid=False, zeroline=False)
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False)
    fig.update_annotations(font_size=11)
    fig.update_layout(height=rows * cell + 30, margin=dict(l=0, r=0, t=24, b=0))
    return fig


def _pool_hover(key: str, lang: str) -> str:
    return i18n.t(key, lang, y="%{y}", x="%{x}", v="%{text}") + "<extra></extra>"


def pool_example_figure(example, highlight: int | None = None, height: int = 380, lang: str = "en") -> go.Figure:
    """The worked pooling example: the (padded) grid with its windows, and the output grid.

    Each window and its output cell share a colour; max pooling circles each window's winner.
    ``highlight`` shows one window only (to step through them in class).  Titles and hover in ``lang``.
    """
    from plotly.subplots import make_subplots

    g = np.asarray(example.grid, dtype=np.float64)
    h, w = g.shape
    p = example.padding
    kind = example.params.kind
    out = np.asarray(example.output, dtype=np.float64)
    oh, ow = out.shape
    # the input, with the padding ring (−∞ for max, 0 for avg)
    pad_value = -np.inf if kind == "max" else 0.0
    full = np.full((h + 2 * p, w + 2 * p), pad_value)
    full[p:p + h, p:p + w] = g
    text = [[_num(v) for v in row] for row in full]
    shade = np.zeros(full.shape)   # grey ring for the padding
    if p:
        shade[:p, :] = shade[-p:, :] = shade[:, :p] = shade[:, -p:] = 1.0
    fig = make_subplots(rows=1, cols=2, column_widths=[0.6, 0.4], horizontal_spacing=0.08,
                        subplot_titles=[i18n.t("pool.ex_input_pad", lang, h=h, w=w, p=p) if p else
                                        i18n.t("pool.ex_input", lang, h=h, w=w),
                                        i18n.t("pool.ex_output", lang, h=oh, w=ow)])
    xs = np.arange(-p, w + p)
    ys = np.arange(-p, h + p)
    fig.add_trace(go.Heatmap(z=shade, x=xs, y=ys, text=text, texttemplate="%{text}", textfont=dict(size=15),
                             colorscale=[[0, "rgba(255,255,255,0)"], [1, "rgba(160,160,160,0.35)"]], zmin=0,
                             zmax=1, showscale=False,
                             xgap=1, ygap=1, hovertemplate=_pool_hover("kfig.hover_pool_in", lang)), 1, 1)
    chosen = range(len(example.windows)) if highlight is None else [highlight]
    win_x, win_y = [], []
    for idx in chosen:
        win = example.windows[idx]
        color = _POOL_COLORS[(win.out_row * ow + win.out_col) % len(_POOL_COLORS)]
        inset = 0.0 if highlight is not None else 0.06 * ((win.out_row + win.out_col) % 2)
        fig.add_shape(type="rect", x0=win.cols[0] - 0.5 + inset, x1=win.cols[1] - 0.5 - inset,
                      y0=win.rows[0] - 0.5 + inset, y1=win.rows[1] - 0.5 - inset, row=1, col=1,
                      line=dict(color=color, width=3), fillcolor=color, opacity=0.45, layer="below")
        fig.add_shape(type="rect", x0=win.out_col - 0.5, x1=win.out_col + 0.5, y0=win.out_row - 0.5,
                      y1=win.out_row + 0.5, row=1, col=2, line=dict(color=color, width=2),
                      fillcolor=color, opacity=0.6, layer="below")
        if win.winner is not None:
            win_y.append(win.winner[0])
            win_x.append(win.winner[1])
    if win_x:
        fig.add_trace(go.Scatter(x=win_x, y=win_y, mode="markers", hoverinfo="skip", showlegend=False,
                                 marker=dict(symbol="circle-open", size=30, color="#c0392b",
                                             line=dict(width=3))), 1, 1)
    out_text = [[_num(v, 3) for v in row] for row in out]
    fig.add_trace(go.Heatmap(z=np.zeros_like(out), text=out_text, texttemplate="%{text}",
                             textfont=dict(size=16), colorscale=[[0, "rgba(0,0,0,0)"], [1, "rgba(0,0,0,0)"]],
                             showscale=False, xgap=1, ygap=1,
                             hovertemplate=_pool_hover("kfig.hover_pool_out", lang)), 1, 2)
    for c in (1, 2):
        fig.update_yaxes(autorange="reversed", scaleanchor="x" if c == 1 else "x2", showgrid=False,
                         zeroline=False, dtick=1, row=1, col=c)
        fig.update_xaxes(showgrid=False, zeroline=False, dtick=1, constrain="domain", row=1, col=c)
    fig.update_layout(height=height, margin=dict(l=0, r=0, t=40, b=0), plot_bgcolor="white")
    return fig


# ----------------------------------------------------------------------------- training

RUN_COLORS = ["#2f6fdf", "#e4572e", "#17a398", "#f3a712", "#8e44ad", "#6c757d", "#d62f8b", "#3d9970",
              "#a0522d", "#1f3a93"]


def _percent_axis(fig: go.Figure, **kw) -> None:
    fig.update_yaxes(tickformat=".0%", rangemode="tozero", **kw)


def loss_curve_figure(steps, losses, smoothing: float = 0.8, title: str = "Training loss",
                      height: int = 320) -> go.Figure:
    """Training loss per logged step: the raw values (faint) and an exponential moving average."""
    from .evaluation import smooth

    steps, losses = np.asarray(steps), np.asarray(losses, dtype=np.float64)
    fig = go.Figure()
    fig.add_scatter(x=steps, y=losses, mode="lines", name="raw", line=dict(color="#9bb7ea", width=1),
                    hovertemplate="step %{x}<br>loss %{y:.4f}<extra>raw</extra>")
    if len(losses):
        fig.add_scatter(x=steps, y=smooth(losses, smoothing), mode="lines", name="smoothed",
                        line=dict(color="#2f6fdf", width=3),
                        hovertemplate="step %{x}<br>loss %{y:.4f}<extra>smoothed</extra>")
    fig.update_layout(title=title, height=height, margin=dict(l=10, r=10, t=40, b=10),
                      xaxis_title="step", yaxis_title="cross-entropy loss",
                      legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1))
    fig.update_yaxes(rangemode="tozero")
    return fig


def accuracy_curve_figure(eval_steps, train_acc, test_acc, running_steps=None, running_acc=None,
                          title: str = "Accuracy", height: int = 320) -> go.Figure:
    """Train and test accuracy at the evaluation points, with the running training accuracy."""
    fig = go.Figure()
    if running_steps is not None and len(running_steps):
        fig.add_scatter(x=running_steps, y=running_acc, mode="lines", name="train (running, this epoch)",
                        line=dict(color="#f3a712", width=1, dash="dot"),
                        hovertemplate="step %{x}<br>%{y:.1%}<extra>running train</extra>")
    fig.add_scatter(x=eval_steps, y=train_acc, mode="lines+markers", name="train",
                    line=dict(color="#e4572e", width=2), marker=dict(size=8),
                    hovertemplate="step %{x}<br>train %{y:.2%}<extra></extra>")
    fig.add_scatter(x=eval_steps, y=test_acc, mode="lines+markers", name="test",
                    line=dict(color="#17a398", width=3), marker=dict(size=9),
                    hovertemplate="step %{x}<br>test %{y:.2%}<extra></extra>")
    fig.update_layout(title=title, height=height, margin=dict(l=10, r=10, t=40, b=10), xaxis_title="step",
                      yaxis_title="accuracy",
                      legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1))
    _percent_axis(fig, range=[0, 1.02])
    return fig


def confusion_matrix_figure(cm, classes: list[str], title: str = "Confusion matrix",
                            height: int = 480) -> go.Figure:
    """Heatmap of ``cm[true, predicted]``; each cell shows its count, the colour the row share."""
    cm = np.asarray(cm, dtype=np.int64)
    rows = cm.sum(1, keepdims=True)
    share = np.divide(cm, np.where(rows == 0, 1, rows), dtype=np.float64)
    labels = [str(c) for c in classes]
    fig = go.Figure(go.Heatmap(
        z=share, x=labels, y=labels, text=cm, texttemplate="%{text}", colorscale="Blues", zmin=0, zmax=1,
        customdata=cm, colorbar=dict(title="share of<br>true class", tickformat=".0%"),
        hovertemplate="true %{y}, predicted %{x}<br>%{customdata} examples (%{z:.1%} of %{y})<extra></extra>"))
    fig.update_yaxes(autorange="reversed", title="true class", type="category")
    fig.update_xaxes(title="predicted class", type="category", side="bottom")
    fig.update_layout(title=title, height=height, margin=dict(l=10, r=10, t=40, b=10))
    return fig


def per_class_accuracy_figure(per_class, classes: list[str], title: str = "Accuracy per class",
                              height: int = 480) -> go.Figure:
    """Horizontal bars of per-class accuracy (recall), worst classes highlighted."""
    acc = np.asarray(per_class, dtype=np.float64)
    labels = [str(c) for c in classes]
    finite = acc[np.isfinite(acc)]
    worst = np.nanmin(acc) if finite.size else np.nan
    colors = ["#e4572e" if np.isfinite(a) and a == worst and finite.size > 1 else "#2f6fdf" for a in acc]
    fig = go.Figure(go.Bar(x=acc, y=labels, orientation="h", marker_color=colors,
                           text=[f"{a:.1%}" if np.isfinite(a) else "no examples" for a in acc],
                           textposition="auto", hovertemplate="class %{y}: %{x:.2%}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", type="category", title="true class")
    fig.update_xaxes(tickformat=".0%", range=[0, 1], title="accuracy")
    fig.update_layout(title=title, height=height, margin=dict(l=10, r=10, t=40, b=10))
    return fig


def misclassified_gallery_figure(images, true_labels, pred_labels, confidence=None,
                                 classes: list[str] | None = None, columns: int = 8,
                                 title: str = "") -> go.Figure:
    """A grid of misclassified images titled "true → predicted (confidence)"."""
    from plotly.subplots import make_subplots

    images = np.asarray(images)
    n = len(images)
    names = [str(c) for c in (classes or range(10))]
    if n == 0:
        fig = go.Figure()
        fig.add_annotation(text="No misclassified examples", showarrow=False, font=dict(size=18))
        fig.update_layout(height=120, xaxis_visible=False, yaxis_visible=False)
        return fig
    cols = max(1, columns)   # always ``columns`` wide: one or two mistakes are not stretched to the page's width
    rows = -(-n // cols)
    titles = []
    for i in range(n):
        t, p = names[int(true_labels[i])], names[int(pred_labels[i])]
        c = f" ({float(confidence[i]):.0%})" if confidence is not None else ""
        titles.append(f"true {t} → <b>{p}</b>{c}")
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles, horizontal_spacing=0.012,
                        vertical_spacing=min(0.3 / rows, 0.08))
    for i in range(n):
        r, c = divmod(i, cols)
        fig.add_trace(go.Heatmap(z=images[i], colorscale="gray", zmin=0, zmax=255,
                                 showscale=False, hovertemplate=f"{titles[i]}<extra></extra>"),
                      row=r + 1, col=c + 1)
    fig.update_yaxes(autorange="reversed", showticklabels=False, showgrid=False, zeroline=False, scaleanchor=None)
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False)
    for ann in fig.layout.annotations:
        ann.font.size = 11
    fig.update_layout(title=title or None, height=40 + rows * 150, margin=dict(l=0, r=0, t=40 if title else 25, b=0))
    return fig


def compare_runs_figure(runs: list[dict], metric: str = "loss", smoothing: float = 0.8,
                        height: int = 360) -> go.Figure:
    """Overlay several runs.  Each run: ``name``, ``steps``, ``losses``, ``eval_steps``, ``test_acc``.

    ``metric="loss"`` plots the smoothed training loss per step; ``"test_acc"`` the test accuracy
    at the evaluation points.  The x axis is the fraction of training done (runs differ in steps).
    """
    from .evaluation import smooth

    fig = go.Figure()
    for i, run in enumerate(runs):
        color = RUN_COLORS[i % len(RUN_COLORS)]
        total = max(1, run.get("total_steps") or (max(run["steps"]) if len(run["steps"]) else 1))
        if metric == "loss":
            x = np.asarray(run["steps"], dtype=np.float64) / total
            y = smooth(run["losses"], smoothing) if len(run["losses"]) else []
            tmpl = "%{y:.4f}"
        else:
            x = np.asarray(run["eval_steps"], dtype=np.float64) / total
            y = run["test_acc"]
            tmpl = "%{y:.2%}"
        fig.add_scatter(x=x, y=y, mode="lines+markers" if metric != "loss" else "lines", name=run["name"],
                        line=dict(color=color, width=2.5),
                        hovertemplate=f"{run['name']}<br>%{{x:.0%}} of training<br>{tmpl}<extra></extra>")
    fig.update_xaxes(title="fraction of training", tickformat=".0%", range=[0, 1.02])
    if metric == "loss":
        fig.update_layout(title="Training loss (smoothed)", yaxis_title="loss")
        fig.update_yaxes(rangemode="tozero")
    else:
        fig.update_layout(title="Test accuracy", yaxis_title="accuracy")
        _percent_axis(fig)
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=40, b=10),
                      legend=dict(orientation="h", yanchor="top", y=-0.2, xanchor="left", x=0))
    return fig


# ----------------------------------------------------------------------------- feature maps

# Feature maps share one diverging colour scale: white is 0, red positive, blue negative, so a ReLU
# visibly removes the blue.  Gaps between tiled channels are NaN and show the plot background.
#
# The builders below write the figure as one dict (validated once by go.Figure): about 1 ms each,
# against ~6-10 ms for go.Heatmap(...) plus update_xaxes/update_yaxes/update_layout.  Tiled feature maps
# of a whole network are not plotly figures at all: :func:`feature_tile_image` colours them into one
# small RGB image per layer (PNG: a few kB instead of a heatmap's 0.1-1 MB of JSON with hover data);
# :func:`channel_spec` is the interactive heatmap of the one channel a user picks.
FEATURE_COLORSCALE = "RdBu_r"           # plotly's name of colors.RDBU_R
TILE_GAP_COLOR = "#c8c8c8"
FEATURE_LUT = colors.lut(colors.RDBU_R)  # (256, 3) uint8: index 0 = -zmax, 255 = +zmax, ~128 = white
# Specs skip plotly.py's validation, which is what turns a name such as "RdBu_r" (reversed: a plotly.py
# suffix that plotly.js does not know) into colours: the specs carry the colour stops themselves.
FEATURE_SCALE = colors.plotly_scale(colors.RDBU_R)
GRAY_SCALE = colors.plotly_scale(colors.GRAY)
_GAP_RGB = np.array(colors.hex_rgb(TILE_GAP_COLOR), np.uint8)


def _zmax_of(values: np.ndarray, zmax: float | None) -> float:
    if zmax is not None and np.isfinite(zmax) and zmax > 0:
        return float(zmax)
    finite = np.abs(values[np.isfinite(values)])
    return float(finite.max()) if finite.size and finite.max() > 0 else 1.0


def colour_steps(values: np.ndarray, zmax: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Values -> (the step of :data:`FEATURE_LUT` each one is coloured with, uint8; where they are NaN)."""
    v = np.asarray(values, dtype=np.float32)
    z = _zmax_of(v, zmax)
    scaled = v * np.float32(127.5 / z)
    scaled += np.float32(127.5)
    nan = np.isnan(scaled)
    np.clip(scaled, 0, 255, out=scaled)
    np.copyto(scaled, 0, where=nan)
    return scaled.astype(np.uint8), nan


def feature_colors(values: np.ndarray, zmax: float | None = None) -> np.ndarray:
    """Values -> ``(..., 3)`` uint8 RGB on :data:`FEATURE_COLORSCALE` over ``[-zmax, zmax]`` (white = 0);
    NaN (the gaps of a tiled image) -> :data:`TILE_GAP_COLOR`.  One vectorized lookup."""
    steps, nan = colour_steps(values, zmax)
    rgb = FEATURE_LUT.take(steps, axis=0)    # take: ~2x faster than fancy indexing here
    if nan.any():
        rgb[nan] = _GAP_RGB
    return rgb


def feature_tile_image(tile: np.ndarray, zmax: float | None = None) -> np.ndarray:
    """A tiled feature-map image (NaN gaps, from :func:`cnnviz.featuremaps.tile_maps`) as RGB uint8, one
    pixel per activation (shown enlarged with crisp pixels)."""
    return feature_colors(tile, zmax)


def png_bytes(rgb: np.ndarray) -> bytes:
    """Grey (H×W), RGB or RGBA uint8 -> PNG bytes, written directly (no filter, fast zlib level): ~0.1 ms for
    a layer's tile against ~0.9 ms through PIL, whose per-image encoder setup dominates for small images."""
    import struct
    import zlib

    a = np.asarray(rgb)
    if a.dtype != np.uint8:
        raise ValueError(f"png_bytes needs uint8 pixels, not {a.dtype}")
    if a.ndim == 2:
        a = a[:, :, None]
    h, w, c = a.shape
    color_type = {1: 0, 3: 2, 4: 6}[c]
    raw = np.empty((h, w * c + 1), np.uint8)
    raw[:, 0] = 0                                  # filter "none" on every row
    raw[:, 1:] = a.reshape(h, w * c)

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, color_type, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw.tobytes(), 1)) + chunk(b"IEND", b""))


def png_data_url(png: bytes) -> str:
    """PNG bytes as a ``data:`` URL: plotly images and ``st.image`` take it as it is (no re-encoding)."""
    import base64

    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def colorbar_image(width: int = 256, height: int = 10) -> np.ndarray:
    """The feature-map colour scale as a horizontal strip (-zmax left, 0 middle, +zmax right)."""
    return np.repeat(FEATURE_LUT[np.linspace(0, 255, width).round().astype(int)][None], height, axis=0)


def _word(word: str, lang: str) -> str:
    """A hover label's word (``channel``, ``row``, ``value``, ...) in ``lang`` (keys ``fm.hover_*``)."""
    return i18n.t(f"fm.hover_{word}", lang)


def _title(title: str) -> dict | None:
    return dict(text=title, font=dict(size=13)) if title else None


_TYPED = {"float32": "f4", "float64": "f8", "int8": "i1", "int16": "i2", "int32": "i4", "uint8": "u1",
          "uint16": "u2", "uint32": "u4"}


def typed_array(values: np.ndarray):
    """A numpy array in plotly.js's typed-array form (``{"dtype", "bdata", "shape"}``), as plotly.py writes
    arrays when it validates a figure: the spec can skip that validation and stays small."""
    import base64

    a = np.asarray(values)
    code = _TYPED.get(str(a.dtype))
    if code is None:
        a = a.astype(np.float64 if a.dtype.kind == "f" else np.int32)
        code = _TYPED[str(a.dtype)]
    if a.size == 0:
        return []
    spec = dict(dtype=code, bdata=base64.b64encode(np.ascontiguousarray(a).tobytes()).decode("ascii"))
    if a.ndim > 1:
        spec["shape"] = ", ".join(str(n) for n in a.shape)
    return spec


def _image_axes(rows: int, cols: int) -> dict:
    return dict(
        yaxis=dict(range=[rows - 0.5, -0.5], scaleanchor="x", showticklabels=False, showgrid=False, zeroline=False,
                   constrain="domain"),
        xaxis=dict(range=[-0.5, cols - 0.5], showticklabels=False, showgrid=False, zeroline=False,
                   constrain="domain"))


# Each feature-map figure has a ``*_spec`` builder returning the plain figure dict (JSON-ready: arrays as
# typed arrays); ``go.Figure(spec)`` validates it (the tests do).  The page sends specs as they are
# (a go.Figure costs ~2 ms to create and another ~1-2 ms to convert back to a dict).

def feature_tile_spec(tile: np.ndarray, index_map: np.ndarray, title: str = "", zmax: float | None = None,
                      height: int | None = None, width_hint: int = 380, colorbar: bool = True,
                      value_name: str = "value", unit_name: str = "channel", lang: str = "en") -> dict:
    """Many channels as ONE tiled heatmap (not one subplot per channel).

    ``index_map`` is ``(H, W, 3)``: channel (-1 in gaps), row and column inside the channel; hovering shows
    them with the value (``value_name``, ``unit_name``: hover words, keys ``fm.hover_*``, shown in ``lang``).
    The colour range is ``[-zmax, zmax]`` around 0 (per layer or global: the caller
    chooses ``zmax``).  Heavy for big layers (hover data per pixel): the page uses it for small tiles
    (filters) and shows whole layers with :func:`feature_tile_image`.
    """
    tile = np.asarray(tile, dtype=np.float32)
    zmax = _zmax_of(tile, zmax)
    th, tw = tile.shape
    if height is None:
        height = int(min(460, max(110, width_hint * th / max(tw, 1) + (34 if title else 8))))
    heat = dict(type="heatmap", z=typed_array(tile), customdata=typed_array(index_map),
                colorscale=FEATURE_SCALE, zmin=-zmax, zmax=zmax,
                zmid=0, hoverongaps=False, showscale=colorbar,
                colorbar=dict(thickness=8, len=0.9, outlinewidth=0, tickfont=dict(size=9)),
                hovertemplate=(f"{_word(unit_name, lang)} %{{customdata[0]}}<br>{_word('row', lang)} "
                               f"%{{customdata[1]}}, {_word('col', lang)} %{{customdata[2]}}"
                               f"<br>{_word(value_name, lang)} %{{z:.3f}}<extra></extra>"))
    layout = dict(title=_title(title), height=height, margin=dict(l=0, r=0, t=30 if title else 0, b=0),
                  plot_bgcolor=TILE_GAP_COLOR, **_image_axes(th, tw))
    return dict(data=[heat], layout=layout)


def channel_spec(values: np.ndarray, channel: int, zmax: float | None = None, title: str = "",
                 height: int = 300, colorbar: bool = True, lang: str = "en") -> dict:
    """One channel's ``(H, W)`` feature map, enlarged, with its channel, position and value on hover."""
    v = np.asarray(values, dtype=np.float32)
    zmax = _zmax_of(v, zmax)
    h, w = v.shape
    heat = dict(type="heatmap", z=typed_array(v), colorscale=FEATURE_SCALE, zmin=-zmax, zmax=zmax, zmid=0,
                showscale=colorbar, colorbar=dict(thickness=8, len=0.9, outlinewidth=0, tickfont=dict(size=9)),
                hovertemplate=(f"{_word('channel', lang)} {int(channel)}<br>{_word('row', lang)} %{{y}}, "
                               f"{_word('col', lang)} %{{x}}<br>{_word('value', lang)} %{{z:.3f}}<extra></extra>"))
    layout = dict(title=_title(title), height=height, margin=dict(l=0, r=0, t=30 if title else 0, b=0),
                  **_image_axes(h, w))
    return dict(data=[heat], layout=layout)


def activation_bars_spec(values: np.ndarray, title: str = "", zmax: float | None = None,
                         labels: list[str] | None = None, height: int = 190, lang: str = "en") -> dict:
    """A fully connected layer's activations as bars, coloured on the feature-map scale."""
    values = np.asarray(values, dtype=np.float32).ravel()
    zmax = _zmax_of(values, zmax)
    # Colours as a list (plotly.js does not read typed arrays as marker colours) of the colour scale's 256
    # steps, as the tiled layers are coloured: a bar chart of 120 units is 1.5 kB of JSON instead of 4.5 kB
    # with every value written out in full, and with no x (plotly.js numbers the bars 0, 1, 2…).
    steps, _ = colour_steps(values, zmax)
    bar = dict(
        type="bar", y=typed_array(values),
        marker=dict(color=steps.tolist(), colorscale=FEATURE_SCALE, cmin=0, cmax=255,
                    line=dict(width=0)),
        hovertemplate=f"{_word('unit' if labels is None else 'class', lang)} %{{x}}<br>{_word('value', lang)} "
                      "%{y:.3f}<extra></extra>")
    layout = dict(
        title=_title(title), height=height, bargap=0.1, margin=dict(l=0, r=0, t=30 if title else 0, b=0),
        showlegend=False,
        yaxis=dict(range=[-zmax * 1.05, zmax * 1.05] if np.any(values < 0) else [0, zmax * 1.05],
                   zeroline=True, zerolinecolor="#888"),
        xaxis=dict(type="category" if labels is not None else "linear",
                   showticklabels=labels is not None or values.size <= 32))
    if labels is not None:
        bar["x"] = list(labels)
    return dict(data=[bar], layout=layout)


def probability_spec(probs: np.ndarray, classes: list[str], title: str = "", height: int = 230,
                     lang: str = "en") -> dict:
    """Softmax probabilities over the classes; the predicted class is highlighted."""
    probs = np.asarray(probs, dtype=np.float64).ravel()
    best = int(np.argmax(probs))
    bar_colors = ["#2f6fdf" if i == best else "#b8c7e6" for i in range(len(probs))]
    bar = dict(type="bar", x=list(classes), y=probs.tolist(), marker=dict(color=bar_colors),
               text=[f"{p:.0%}" if p >= 0.005 else "" for p in probs], textposition="outside", cliponaxis=False,
               hovertemplate=f"{_word('class', lang)} %{{x}}<br>{_word('probability', lang)} %{{y:.2%}}<extra></extra>")
    layout = dict(title=_title(title), height=height, margin=dict(l=0, r=0, t=30 if title else 8, b=0),
                  showlegend=False, yaxis=dict(range=[0, 1.12], tickformat=".0%", dtick=0.25),
                  xaxis=dict(type="category"))
    return dict(data=[bar], layout=layout)


def digit_spec(image: np.ndarray, title: str = "", height: int = 230, lang: str = "en") -> dict:
    """The 28x28 network input, white ink on black as in MNIST, with pixel values on hover."""
    img = np.asarray(image, dtype=np.float32)
    heat = dict(type="heatmap", z=typed_array(img), colorscale=GRAY_SCALE, zmin=0.0, zmax=1.0, showscale=False,
                hovertemplate=(f"{_word('row', lang)} %{{y}}, {_word('col', lang)} %{{x}}<br>{_word('ink', lang)} "
                               "%{z:.2f}<extra></extra>"))
    layout = dict(title=_title(title), height=height, margin=dict(l=0, r=0, t=30 if title else 0, b=0),
                  **_image_axes(*img.shape))
    return dict(data=[heat], layout=layout)


def attribution_spec(image: np.ndarray, attribution: np.ndarray, title: str = "", signed: bool = False,
                     height: int = 230, lang: str = "en") -> dict:
    """An attribution map over the (grey) input: red = pushed towards the class, blue = against it
    (signed methods), transparent = no influence."""
    attribution = np.asarray(attribution, dtype=np.float32)
    mag = np.abs(attribution[np.isfinite(attribution)])
    # scaled by a high percentile, not the maximum, so one extreme pixel does not wash out the rest
    m = float(np.percentile(mag, 99)) if mag.size else 0.0
    m = m if m > 0 else (float(mag.max()) if mag.size else 0.0)
    a = np.clip(attribution / m, -1.0, 1.0) if m > 0 else np.zeros_like(attribution)
    if signed:
        scale = [[0.0, "rgba(33,102,172,0.95)"], [0.5, "rgba(255,255,255,0)"], [1.0, "rgba(178,24,43,0.95)"]]
        zmin, zmax = -1.0, 1.0
    else:
        scale = [[0.0, "rgba(255,230,0,0)"], [0.25, "rgba(255,230,0,0)"], [0.6, "rgba(255,150,0,0.55)"],
                 [1.0, "rgba(230,20,20,0.9)"]]
        zmin, zmax = 0.0, 1.0
    img = np.asarray(image, dtype=np.float32)
    # the grey input underneath has no hover: 256 levels (uint8) draw it exactly, in a quarter of the bytes
    grey = np.clip(np.nan_to_num(img) * 255, 0, 255).round().astype(np.uint8)
    data = [dict(type="heatmap", z=typed_array(grey), colorscale=[[0, "#000"], [1, "#bbb"]], zmin=0, zmax=255,
                 showscale=False, hoverinfo="skip"),
            dict(type="heatmap", z=typed_array(a.astype(np.float32)), colorscale=scale, zmin=zmin, zmax=zmax,
                 showscale=False, hovertemplate=(f"{_word('row', lang)} %{{y}}, {_word('col', lang)} %{{x}}<br>"
                                                 f"{_word('attribution', lang)} %{{z:.2f}} ({_word('relative', lang)})"
                                                 "<extra></extra>"))]
    layout = dict(title=_title(title), height=height, margin=dict(l=0, r=0, t=30 if title else 0, b=0),
                  **_image_axes(*img.shape))
    return dict(data=data, layout=layout)
