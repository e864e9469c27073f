"""The panel "How this number was computed" and the translation-invariance experiment, on a page.

Entry points (the feature-map page calls them; each takes the library's result and draws it):

- :func:`show_explanation`: a :class:`cnnviz.explain.Explanation` (from ``explain.explain_cell``) as the
  formula filled in with numbers, the windows and kernel slices as small grids, the receptive field
  outlined on the 28×28 input, the terms table, the bias, and the total beside the network's value;
- :func:`show_translation_invariance`: the per-layer changes of ``invariance.translation_changes`` as a
  bar chart with the explanation of why pooled layers change less;
- :func:`explanation_section` and :func:`translation_invariance_section`: the same, computed here from the
  model and the input (a bad layer or position becomes a translated warning), for a page to call as is.

All texts are table keys (``cnnviz/texts/explain.py``); layer names come from the model (a user's own
network may name its modules freely), so they are escaped before markdown.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from cnnviz import explain, invariance
from cnnviz.explain import Explanation
from ui.common import md_escape
from ui.i18n import t, tm
from ui.sidebar import fig_height, lecture_mode, styled

_DIVERGING = "RdBu_r"
_GREY = "#bdbdbd"


def _fmt(v: float, digits: int = 4) -> str:
    if not np.isfinite(v):
        return "−∞" if v < 0 else "∞"
    if v != 0 and (abs(v) < 1e-3 or abs(v) >= 1e5):
        return f"{v:.{digits - 1}e}"
    return f"{v:.{digits}f}".rstrip("0").rstrip(".") if "." in f"{v:.{digits}f}" else f"{v:.{digits}f}"


def _grid(values: np.ndarray, mask: np.ndarray | None = None, marks: dict | None = None) -> go.Heatmap:
    """A small labelled grid: every number in its cell, diverging colours around 0, padding grey."""
    v = np.asarray(values, np.float64)
    lim = float(np.abs(v).max()) or 1.0
    text = [[_fmt(x, 3) for x in row] for row in v]
    for (r, c), mark in (marks or {}).items():
        text[r][c] = f"{mark} {text[r][c]}"
    z = v.copy()
    if mask is not None:
        z[~np.asarray(mask, bool)] = np.nan              # shown as the grey background
        for r, c in zip(*np.nonzero(~np.asarray(mask, bool))):
            text[r][c] = "0ᵖ"
    return go.Heatmap(z=z, text=text, texttemplate="%{text}", textfont=dict(size=16 if lecture_mode() else 12),
                      colorscale=_DIVERGING, zmin=-lim, zmax=lim, showscale=False, xgap=1, ygap=1,
                      hovertemplate="%{text}<extra></extra>")


def _grids_figure(grids: list[tuple[str, go.Heatmap]], cell: int = 34) -> go.Figure:
    fig = make_subplots(rows=1, cols=len(grids), subplot_titles=[title for title, _ in grids],
                        horizontal_spacing=0.08)
    rows = 1
    for i, (_, trace) in enumerate(grids, start=1):
        fig.add_trace(trace, 1, i)
        rows = max(rows, len(trace.z))
        fig.update_yaxes(autorange="reversed", showticklabels=False, showgrid=False, zeroline=False,
                         scaleanchor=f"x{'' if i == 1 else i}", row=1, col=i)
        fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False, constrain="domain", row=1, col=i)
    fig.update_layout(height=fig_height(rows * cell + 60), margin=dict(l=0, r=0, t=40, b=0),
                      plot_bgcolor=_GREY)
    fig.update_annotations(yshift=8)           # the grid titles clear the grey frame of the grids
    return styled(fig, grow=False)


def _show(fig: go.Figure, key: str) -> None:
    st.plotly_chart(fig, key=key, config={"displayModeBar": False})


def receptive_field_figure(image: np.ndarray, box: tuple[int, int, int, int] | None, title: str) -> go.Figure:
    """The 28×28 input (values in [0, 1], ink bright) with the receptive field outlined."""
    img = np.asarray(image, np.float64)
    fig = go.Figure(go.Heatmap(z=img, colorscale="gray", zmin=0, zmax=1, showscale=False,
                               hovertemplate="(%{y}, %{x})<extra></extra>"))
    if box is not None:
        top, left, bottom, right = box
        fig.add_shape(type="rect", x0=left - 0.5, y0=top - 0.5, x1=right + 0.5, y1=bottom + 0.5,
                      line=dict(color="#ff3b30", width=3), fillcolor="rgba(255,59,48,0.15)")
    fig.update_yaxes(autorange="reversed", scaleanchor="x", showticklabels=False, showgrid=False, zeroline=False)
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False, constrain="domain")
    fig.update_layout(title=dict(text=title), height=fig_height(260), margin=dict(l=0, r=0, t=36, b=0))
    return styled(fig, grow=False)


def _terms_table(e: Explanation) -> None:
    rows = [{t("explain.col_term"): tm(label), t("explain.col_value"): number} for label, number in e.terms]
    if e.bias is not None:
        bias = t("explain.bias_beta") if e.kind == "batch_norm" else t("explain.bias")
        rows.append({t("explain.col_term"): bias, t("explain.col_value"): e.bias})
    rows.append({t("explain.col_term"): t("explain.total"), t("explain.col_value"): e.total})
    if len(rows) == 1:
        st.caption(t("explain.no_terms"))
    st.dataframe(rows, hide_index=True, width="stretch",
                 column_config={t("explain.col_value"): st.column_config.NumberColumn(format="%.6f")})


def _conv(e: Explanation, key: str) -> None:
    d = e.details
    kh, kw = d["kernel_size"]
    st.markdown(t("explain.conv.formula", kh=kh, kw=kw, cin=len(d["parts"])))
    st.caption(t("explain.conv.geometry", stride="×".join(map(str, d["stride"])),
                 padding="×".join(map(str, d["padding"])), dilation="×".join(map(str, d["dilation"]))))
    shown = 2 if lecture_mode() else 4
    for i, part in enumerate(d["parts"][:shown]):
        st.markdown(t("explain.conv.channel", channel=part.channel, dot=part.dot))
        _show(_grids_figure([(t("explain.window", layer=e.source), _grid(part.window, part.inside)),
                             (t("explain.kernel"), _grid(part.kernel))]), f"{key}_conv_{i}")
    rest = d["parts"][shown:]
    if rest:
        items = ", ".join(f"{p.channel}: {_fmt(p.dot)}" for p in rest)
        st.caption(t("explain.conv.rest", n=len(rest), total=sum(p.dot for p in rest), items=md_escape(items)))


def _pool(e: Explanation, key: str) -> None:
    d = e.details
    kh, kw = d["kernel_size"]
    if e.kind == "max_pool":
        st.markdown(t("explain.max_pool.formula", kh=kh, kw=kw))
        grid = _grid(d["window"], d["inside"], {d["winner"]: "★"})
    else:
        st.markdown(t("explain.avg_pool.formula", kh=kh, kw=kw, divisor=d["divisor"], total=e.total))
        grid = _grid(d["window"], d["inside"])
    _show(_grids_figure([(t("explain.window", layer=e.source), grid)], cell=44), f"{key}_pool")


def _batch_norm(e: Explanation) -> None:
    d = e.details
    st.markdown(t("explain.batch_norm.formula"))
    mantissa, exponent = f"{d['eps']:.0e}".split("e")
    eps = rf"{mantissa} \cdot 10^{{{int(exponent)}}}" if mantissa != "1" else rf"10^{{{int(exponent)}}}"
    st.latex(rf"\begin{{aligned}} &\frac{{{d['x']:.4f} - ({d['mean']:.4f})}}{{\sqrt{{{d['var']:.4f} + {eps}}}}}"
             rf"\cdot {d['gamma']:.4f} + ({d['beta']:.4f}) \\ &= {e.total:.4f} \end{{aligned}}")


def _softmax(e: Explanation, classes: list[str] | None) -> None:
    d = e.details
    i = e.index[0]
    st.markdown(t("explain.softmax.formula"))
    st.latex(r"p_i = \frac{e^{z_i}}{\sum_j e^{z_j}}")
    cls = md_escape(classes[i] if classes else i)
    st.markdown(t("explain.softmax.filled", cls=cls, z=float(d["logits"][i]), num=float(d["exp_shifted"][i]),
                  den=d["sum_exp"], p=e.total, shift=d["shift"]))


def _formula(e: Explanation, classes: list[str] | None, key: str) -> None:
    d = e.details
    if e.kind == "conv":
        _conv(e, key)
    elif e.kind == "relu":
        st.markdown(t("explain.relu.formula", x=d["before"]))
        st.markdown(t("explain.relu.before_after", x=d["before"], y=e.value))
    elif e.kind in ("max_pool", "avg_pool"):
        _pool(e, key)
    elif e.kind == "batch_norm":
        _batch_norm(e)
    elif e.kind == "add":
        st.markdown(t("explain.add.formula"))
    elif e.kind == "concat":
        st.markdown(t("explain.concat.formula", channel=e.index[0], source_channel=d["source_channel"],
                      source=md_escape(d["source"]), part=d["part"] + 1, parts=len(d["channels"]),
                      channels=" + ".join(map(str, d["channels"]))))
    elif e.kind == "flatten":
        (c, h, w), (cc, hh, ww) = d["source_index"], d["source_shape"]
        st.markdown(t("explain.flatten.formula", c=c, h=h, w=w, C=cc, H=hh, W=ww, n=e.index[0], N=d["size"]))
    elif e.kind == "linear":
        st.markdown(t("explain.linear.formula", n=d["in_features"]))
    elif e.kind == "softmax":
        _softmax(e, classes)
    else:
        st.markdown(t("explain.identity.formula"))


def show_explanation(e: Explanation, image: np.ndarray | None = None, classes: list[str] | None = None,
                     key: str = "explain") -> None:
    """Draw the panel for ``e``; ``image``: the 28×28 input in [0, 1] for the receptive field;
    ``classes``: class names for the softmax cell (from a checkpoint: escaped here); ``key``: a prefix for
    the element keys (one panel per key on a page)."""
    st.subheader(t("explain.title"))
    if e.kind == "softmax":
        st.markdown(t("explain.cell_softmax", cls=md_escape(classes[e.index[0]] if classes else e.index[0])))
    else:
        st.markdown(t("explain.cell", layer=md_escape(e.layer), module=md_escape(e.module),
                      pos=", ".join(map(str, e.index))))
    value_col, total_col = st.columns(2)
    value_col.metric(t("explain.value"), _fmt(e.value))
    total_col.metric(t("explain.total"), _fmt(e.total))
    diff = abs(e.total - e.value)
    if e.matches:
        st.success(t("explain.agree", diff=diff))
    else:
        st.warning(t("explain.disagree", diff=diff))
    if image is not None and e.receptive_field is not None:
        formula_col, field_col = st.columns([3, 2])
        with formula_col:
            _formula(e, classes, key)
        with field_col:
            _show(receptive_field_figure(image, e.receptive_field, t("explain.rf_title")), f"{key}_rf")
    else:
        _formula(e, classes, key)
    if e.receptive_field is not None:
        top, left, bottom, right = e.receptive_field
        st.caption(t("explain.rf", top=top, left=left, bottom=bottom, right=right, h=bottom - top + 1,
                     w=right - left + 1))
    elif e.kind in ("linear", "softmax") or (e.kind != "flatten" and len(e.index) == 1):
        st.caption(t("explain.rf_none"))
    _terms_table(e)
    for note in e.notes:
        st.info(tm(note))


def translation_figure(changes, title: str = "") -> go.Figure:
    """Bars of the relative change per layer, pooling layers in a second colour."""
    names = [c.name for c in changes]
    values = [c.change for c in changes]
    colors = ["#ff7f0e" if c.pooled else "#1f77b4" for c in changes]
    fig = go.Figure(go.Bar(x=names, y=values, marker_color=colors,
                           text=[f"{v:.2f}" for v in values], textposition="outside",
                           hovertemplate="%{x}: %{y:.3f}<extra></extra>"))
    fig.update_layout(title=dict(text=title or None), height=fig_height(320), margin=dict(l=0, r=0, t=40, b=0),
                      yaxis_title=t("inv.col_change"), xaxis_title=t("inv.col_layer"), xaxis_type="category")
    return styled(fig)


def show_translation_invariance(changes, shift: int, key: str = "invariance", header: bool = True) -> None:
    """The experiment's result (``invariance.translation_changes``) for a shift of ``shift`` pixels
    (``header``: with its title)."""
    if header:
        st.subheader(t("inv.title"))
    st.markdown(t("inv.intro", shift=shift))
    _show(translation_figure(changes), f"{key}_chart")
    st.caption("🟧 " + t("inv.pooled"))
    st.markdown(t("inv.why"))


def explanation_section(model, x, layer: str, index, image: np.ndarray | None = None,
                        classes: list[str] | None = None, label: int | None = None, key: str = "explain") -> None:
    """Explain ``index`` of ``layer`` for input ``x`` (``explain.explain_cell``) and draw the panel; ``label``:
    the test digit's true class, for the cross-entropy of a softmax cell."""
    try:
        e = explain.explain_cell(model, x, layer, index, label=label)
    except explain.ExplainError as err:
        st.warning(tm(err))
        return
    show_explanation(e, image, classes, key=key)


def translation_invariance_section(model, digit_u8: np.ndarray, mean: float, std: float,
                                   key: str = "fm_invariance") -> None:
    """A 1–3 pixel shift slider (``{key}_shift``), the experiment on the 28×28 uint8 digit the network
    sees (for an analysis: ``np.rint(analysis.image * 255).astype(np.uint8)``), and its chart."""
    shift = st.slider(t("inv.shift"), 1, 3, 1, key=f"{key}_shift")
    changes = invariance.translation_changes(model, digit_u8, mean, std, shift=shift)
    show_translation_invariance(changes, shift, key=key)
