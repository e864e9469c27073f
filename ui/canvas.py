"""The drawing canvas (``streamlit-drawable-canvas``), read safely.

The canvas's value comes from the browser and is untrusted.  The component's ``image_data`` would decode
whatever data URL arrives, in any format Pillow knows and at any size (one 856 kB message declaring a
13000x13000 PNG cost the server ~1.9 GB), so it is never used: :func:`read_canvas` takes the picture's
bytes as they came (``image_bytes``, a base64 decode, no image decoding) and hands them to
:func:`cnnviz.drawing.canvas_pixels`, which reads a PNG only and refuses one larger than 4x the canvas per
side from its header, before decoding.  A value the component itself cannot parse (a ``drawing`` that is
not a dict, a bad ``backgroundFit``) would raise inside ``st_canvas`` on every rerun: the canvas is reset
(a new key) with a message instead.
"""

from __future__ import annotations

import binascii
import hashlib

import numpy as np
import streamlit as st

from cnnviz import drawing
from ui.compat import canvas_sends_at_once
from ui.i18n import t, tm

COUNTER = "fm_canvas_n"            # bumped to reset the canvas: a new key gives an empty one
RESET_NOTE = "fm_canvas_reset"     # set when the canvas was reset because of a malformed value


def canvas_key() -> str:
    return f"fm_canvas_{st.session_state.get(COUNTER, 0)}"


def reset_canvas(malformed: bool = False, counter: str = COUNTER) -> None:
    """A new, empty canvas (the next run draws it under a new key)."""
    st.session_state[counter] = st.session_state.get(counter, 0) + 1
    if malformed:
        st.session_state[RESET_NOTE] = True
    st.rerun()


def _picture_bytes(size: int, stroke: int, key: str) -> bytes | None:
    """Draw the canvas; the picture's PNG bytes exactly as the browser sent them, or ``None`` before
    anything is drawn.  Raises what the component raises on a malformed value."""
    from streamlit_drawable_canvas import st_canvas

    result = st_canvas(stroke_width=stroke, stroke_color="#FFFFFF", background_color="#000000", width=size,
                       height=size, drawing_mode="freedraw", return_image_data=True, update_streamlit=True,
                       key=key)
    return result.image_bytes      # base64-decoded only; never result.image_data (it decodes any image)


def read_canvas(size: int, stroke: int, key: str | None = None,
                counter: str = COUNTER) -> tuple[str, np.ndarray] | None:
    """Draw the ``size`` x ``size`` canvas and read what is on it: ``(a key naming the picture, its pixels)``,
    or ``None`` when nothing is drawn or the picture was refused (a message says why).  ``key``: the
    component's key (default: the feature-map page's, :func:`canvas_key`); ``counter``: the session value
    that a reset after a malformed value bumps (the caller's key should include it)."""
    if st.session_state.pop(RESET_NOTE, False):
        st.warning(t("fm.canvas.reset"))
    key = key or canvas_key()
    try:
        png = _picture_bytes(size, stroke, key)
    except (AttributeError, KeyError, TypeError, ValueError, binascii.Error):
        reset_canvas(malformed=True, counter=counter)
        return None
    canvas_sends_at_once(f"{key}_at_once")        # a stroke goes to the server on pointer-up, not 200 ms later
    if not png:
        return None
    try:
        pixels = drawing.canvas_pixels(png, size, size)
    except drawing.CanvasError as err:
        st.warning(tm(err))
        return None
    return "canvas:" + hashlib.blake2b(png, digest_size=16).hexdigest(), pixels
