"""Colour scales shared by the figures, each defined once.

:data:`RDBU_R` is ColorBrewer's RdBu reversed (plotly's ``RdBu_r``): blue for negative, white for 0, red
for positive.  Feature maps, learned kernels and diverging kernel outputs all use it, as hex stops (for
plotly colour scales), as RGB stops, or as a 256-entry lookup table for colouring arrays.
"""

from __future__ import annotations

import numpy as np

RDBU_R = ["#053061", "#2166ac", "#4393c3", "#92c5de", "#d1e5f0", "#f7f7f7", "#fddbc7", "#f4a582", "#d6604d",
          "#b2182b", "#67001f"]
GRAY = ["#000000", "#ffffff"]


def hex_rgb(h: str) -> tuple[int, int, int]:
    """``"#rrggbb"`` -> ``(r, g, b)``."""
    return int(h[1:3], 16), int(h[3:5], 16), int(h[5:7], 16)


def rgb_stops(colors: list[str]) -> np.ndarray:
    """``(N, 3)`` float64 RGB of the hex stops."""
    return np.array([hex_rgb(c) for c in colors], np.float64)


def plotly_scale(colors: list[str]) -> list[list]:
    """Evenly spaced stops as a plotly ``colorscale`` (``[[0, c0], ..., [1, cN]]``)."""
    return [[i / (len(colors) - 1), c] for i, c in enumerate(colors)]


def lut(colors: list[str], n: int = 256) -> np.ndarray:
    """``(n, 3)`` uint8: the stops interpolated linearly, index 0 = the first stop, ``n - 1`` = the last."""
    stops = rgb_stops(colors)
    pos = np.linspace(0.0, 1.0, len(colors))
    x = np.linspace(0.0, 1.0, n)
    return np.stack([np.interp(x, pos, stops[:, k]) for k in range(3)], axis=1).round().astype(np.uint8)
