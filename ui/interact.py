"""Clicks and live hover on pictures the page draws itself, as ``st.components.v2`` components.

A v2 component is a small ES module that runs in the page (no iframe) and can send an event back to
the script (``setTriggerValue``), which reruns it.  Two are defined here, each mounted once per page:

* :func:`feature_map_hover`: on the tiled layer images of :func:`ui.feature_maps.tile_html`, a tooltip
  that follows the mouse with the channel's min/max/mean, the row and column under the pointer and the
  value there, read back from the pixel's colour (the tile is drawn with :data:`cnnviz.figures.FEATURE_LUT`
  over ``±zmax``, so a colour gives the value to within ``zmax / 255``).  Clicking a channel of the
  first model's layers sends ``{"layer", "channel", "row", "col"}``: the page opens that channel in its
  inspector, which shows every exact value, and explains the clicked cell ("How this number was
  computed").  Without JavaScript the boxes keep their plain ``title`` tooltips.
* :func:`picture_click`: a click on the plotly pictures keyed ``kin`` / ``kout`` (the kernels page's
  input and output) sends ``{"which", "x", "y"}`` in image pixels; the page moves its pixel inspector
  there (:func:`cnnviz.kernels.output_pixel_near`).  On bar charts it sends the bar's number as
  ``"point"`` (the feature-map page: a unit of a vector layer, a class probability).

The script side of a pick is a callback that stores the event under a "pending" key; the page applies
it to its widgets' session state before it draws them (a widget's value can only be set before it is
drawn in a run), after checking it still fits (the model or the image may have changed meanwhile).
"""

from __future__ import annotations

import streamlit as st

from cnnviz import figures, i18n
from ui.i18n import lang

_TILE_JS = r"""
export default function (component) {
  const { data, setTriggerValue } = component;
  const doc = document;
  const lut = data.lut;
  const tip = doc.createElement("div");
  tip.className = "cnnviz-tip";
  tip.setAttribute("role", "tooltip");
  doc.body.appendChild(tip);
  const cache = new WeakMap();          // img -> {src, pixels}

  function pixels(img) {
    const hit = cache.get(img);
    if (hit && hit.src === img.src) return hit.pixels;
    if (!img.complete || !img.naturalWidth) return null;
    const c = doc.createElement("canvas");
    c.width = img.naturalWidth;
    c.height = img.naturalHeight;
    const ctx = c.getContext("2d", { willReadFrequently: true });
    ctx.drawImage(img, 0, 0);
    const px = ctx.getImageData(0, 0, c.width, c.height);
    cache.set(img, { src: img.src, pixels: px });
    return px;
  }

  // the value of the colour at (clientX, clientY) of img: the nearest entry of the colour table
  function valueAt(img, x, y, zmax) {
    const px = pixels(img);
    if (!px) return null;
    const r = img.getBoundingClientRect();
    const i = Math.min(px.width - 1, Math.max(0, Math.floor((x - r.left) / r.width * px.width)));
    const j = Math.min(px.height - 1, Math.max(0, Math.floor((y - r.top) / r.height * px.height)));
    const o = (j * px.width + i) * 4;
    const R = px.data[o], G = px.data[o + 1], B = px.data[o + 2];
    let best = -1, dist = 1e9;
    for (let k = 0; k < 256; k++) {
      const d = (lut[3 * k] - R) ** 2 + (lut[3 * k + 1] - G) ** 2 + (lut[3 * k + 2] - B) ** 2;
      if (d < dist) { dist = d; best = k; }
    }
    if (dist > 12) return null;
    return (best - 127) * zmax / 127.5;
  }

  function format(v) {
    if (v === null) return "–";
    if (v === 0) return "0";
    return String(Number(v.toPrecision(2)));
  }

  function boxOf(e) {
    const el = e.target;
    return el && el.closest ? el.closest(".cnnviz-tile-box span[data-ch]") : null;
  }

  // the (row, col) of one channel's h x w map under the pointer
  function cellOf(box, e, h, w) {
    const b = box.getBoundingClientRect();
    return [Math.min(h - 1, Math.max(0, Math.floor((e.clientY - b.top) / b.height * h))),
            Math.min(w - 1, Math.max(0, Math.floor((e.clientX - b.left) / b.width * w)))];
  }

  function onMove(e) {
    const box = boxOf(e);
    if (!box) { tip.style.display = "none"; return; }
    if (box.title) { box.dataset.stats = box.title; box.removeAttribute("title"); }
    const fig = box.closest("figure.cnnviz-tile");
    const img = fig && fig.querySelector("img");
    if (!img) return;
    const h = +fig.dataset.h, w = +fig.dataset.w, zmax = +fig.dataset.zmax;
    const b = box.getBoundingClientRect();
    const [row, col] = cellOf(box, e, h, w);
    // sample the middle of that activation's square, never the grey gap around the channel
    const v = valueAt(img, b.left + (col + 0.5) * b.width / w, b.top + (row + 0.5) * b.height / h, zmax);
    const lines = [box.dataset.stats || "",
                   data.pixel.replace("{row}", row).replace("{col}", col).replace("{value}", format(v))];
    if (box.closest(".st-key-fm_layers_a")) lines.push(data.click);
    tip.textContent = lines.filter(Boolean).join("\n");
    tip.style.display = "block";
    const pad = 14, tw = tip.offsetWidth, th = tip.offsetHeight;
    const left = e.clientX + pad + tw > window.innerWidth ? e.clientX - pad - tw : e.clientX + pad;
    const top = e.clientY + pad + th > window.innerHeight ? e.clientY - pad - th : e.clientY + pad;
    tip.style.left = Math.max(0, left) + "px";
    tip.style.top = Math.max(0, top) + "px";
  }

  function onClick(e) {
    const box = boxOf(e);
    if (!box || !box.closest(".st-key-fm_layers_a")) return;
    const fig = box.closest("figure.cnnviz-tile");
    tip.style.display = "none";
    const [row, col] = cellOf(box, e, +fig.dataset.h, +fig.dataset.w);
    setTriggerValue("pick", { layer: +fig.dataset.layer, channel: +box.dataset.ch, row, col });
    const target = doc.querySelector(".st-key-fm_explain_section") || doc.querySelector(".st-key-fm_inspector");
    if (target) target.scrollIntoView({ behavior: "smooth", block: "start" });
  }

  function hide() { tip.style.display = "none"; }
  doc.addEventListener("mousemove", onMove, { passive: true });
  doc.addEventListener("click", onClick);
  doc.addEventListener("wheel", hide, { passive: true });        // the page scrolls under a fixed tooltip
  return () => {
    doc.removeEventListener("mousemove", onMove);
    doc.removeEventListener("click", onClick);
    doc.removeEventListener("wheel", hide);
    tip.remove();
  };
}
"""

_TILE_CSS = """
.cnnviz-tip { position: fixed; z-index: 100000; display: none; pointer-events: none; white-space: pre-line;
  max-width: 22rem; padding: 0.35rem 0.55rem; border-radius: 0.3rem; background: rgba(20, 20, 28, 0.92);
  color: #ffffff; font-size: 0.8rem; line-height: 1.4; box-shadow: 0 2px 8px rgba(0, 0, 0, 0.25); }
.st-key-fm_layers_a .cnnviz-tile-box span { cursor: pointer; }
"""

_PICTURE_JS = r"""
export default function (component) {
  const { data, setTriggerValue } = component;
  const hooked = [];
  function attach() {
    for (const which of data.keys) {
      // Streamlit's class for a key: st-key- and the key with other characters than [a-zA-Z0-9_-] as "-"
      const css = which.trim().replace(/[^a-zA-Z0-9_-]/g, "-");
      const gd = document.querySelector(".st-key-" + css + " .js-plotly-plot");
      if (!gd || typeof gd.on !== "function" || gd.__cnnvizPick) continue;
      const handler = (ev) => {
        const p = ev && ev.points && ev.points[0];
        if (!p) return;
        const point = Number.isInteger(p.pointNumber) ? p.pointNumber : null;   // a bar's position
        if ((Number.isFinite(p.x) && Number.isFinite(p.y)) || point !== null) {
          setTriggerValue("pick", { which, x: Number.isFinite(p.x) ? p.x : null,
                                    y: Number.isFinite(p.y) ? p.y : null, point });
        }
      };
      gd.__cnnvizPick = handler;
      gd.on("plotly_click", handler);
      hooked.push(gd);
    }
  }
  attach();
  const observer = new MutationObserver(attach);      // the charts may be drawn after this runs, or redrawn
  observer.observe(document.body, { childList: true, subtree: true });
  return () => {
    observer.disconnect();
    for (const gd of hooked) {
      if (typeof gd.removeListener === "function") gd.removeListener("plotly_click", gd.__cnnvizPick);
      delete gd.__cnnvizPick;
    }
  };
}
"""

_tile_component = st.components.v2.component("cnnviz_tile_hover", js=_TILE_JS, css=_TILE_CSS,
                                              isolate_styles=False)
_picture_component = st.components.v2.component("cnnviz_picture_click", js=_PICTURE_JS, isolate_styles=False)


_LUT = figures.FEATURE_LUT.ravel().tolist()


def _store(component_key: str, pending_key: str):
    def callback() -> None:
        state = st.session_state.get(component_key)
        pick = state.get("pick") if state is not None else None
        if isinstance(pick, dict):
            st.session_state[pending_key] = dict(pick)
    return callback


def feature_map_hover(pending_key: str) -> None:
    """Mount the tile hover/click script; a click stores ``{"layer", "channel", "row", "col"}`` under
    ``pending_key``."""
    data = {"lut": _LUT, "pixel": i18n.template("fm.tile_pixel", lang()),      # {row} {col} {value}: for the script
            "click": i18n.template("fm.tile_click", lang())}
    _tile_component(key="fm_tile_events", data=data, height=0,
                    on_pick_change=_store("fm_tile_events", pending_key))


def picture_click(keys: list[str], pending_key: str, key: str = "picture_click_events") -> None:
    """Mount the click script for the plotly pictures with these keys; a click stores
    ``{"which", "x", "y", "point"}`` under ``pending_key`` (``point``: the clicked bar's or point's number
    in its trace, so a bar chart with text labels on x gives its position; ``x``/``y`` are ``None`` when
    they are not numbers)."""
    _picture_component(key=key, data={"keys": list(keys)}, height=0, on_pick_change=_store(key, pending_key))


def take_pick(pending_key: str) -> dict | None:
    """The pick stored by a click since the last run (and forget it), or None."""
    pick = st.session_state.pop(pending_key, None)
    return pick if isinstance(pick, dict) else None
