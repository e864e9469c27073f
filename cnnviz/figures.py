"""Plotly figure builders (pure functions: arrays in, ``go.Figure`` out; no streamlit).

Sections: general helpers, kernels/pooling, training, feature maps.  Add builders to the
section they belong to.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

# ----------------------------------------------------------------------------- general


def image_figure(img: np.ndarray, title: str = "", colorscale: str = "gray", zmin: float | None = None,
                 zmax: float | None = None, height: int | None = None) -> go.Figure:
    """A 2-D array as a heatmap with square pixels and the origin at the top left."""
    fig = go.Figure(go.Heatmap(z=img, colorscale=colorscale, zmin=zmin, zmax=zmax, showscale=False,
                               hovertemplate="x=%{x}, y=%{y}<br>value=%{z:.4g}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", scaleanchor="x", showticklabels=False, showgrid=False)
    fig.update_xaxes(showticklabels=False, showgrid=False, constrain="domain")
    fig.update_layout(title=title or None, margin=dict(l=0, r=0, t=30 if title else 0, b=0), height=height)
    return fig


# ----------------------------------------------------------------------------- kernels and pooling

# ----------------------------------------------------------------------------- training

# ----------------------------------------------------------------------------- feature maps
