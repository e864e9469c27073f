"""Every use of a private Streamlit (or plotly) API, in one place, each with the reason it is needed.

Streamlit does not promise to keep these names, and an upgrade may change them without warning:
``tests/test_compat.py`` fails, naming what moved, when the installed version differs from the pin in
``requirements.txt`` or when a name used here is gone.  Code elsewhere calls the functions below and
never reaches into ``streamlit.runtime`` or ``streamlit.web`` itself.

Pinned: the versions in ``requirements.txt`` (:data:`PINNED`).
"""

from __future__ import annotations

import concurrent.futures
import functools
import gc
import logging
import threading
import time

# packages whose private names this module uses (versions: requirements.txt)
PINNED = ("streamlit", "plotly", "streamlit-drawable-canvas")

# (module, attribute path) of every private name used below; tests/test_compat.py checks each one exists.
PRIVATE_NAMES = [
    ("streamlit.runtime.pages_manager", "PagesManager.uses_pages_directory"),
    ("streamlit.runtime.scriptrunner", "get_script_run_ctx"),
    ("streamlit.runtime", "Runtime.instance"),
    ("streamlit.runtime", "Runtime.exists"),
    ("streamlit.runtime", "Runtime.is_active_session"),
    ("streamlit.runtime", "Runtime._session_mgr"),
    ("streamlit.runtime", "Runtime._get_async_objs"),
    ("streamlit.runtime.websocket_session_manager", "WebsocketSessionManager._session_storage"),
    ("streamlit.runtime.memory_session_storage", "MemorySessionStorage._cache"),
    ("streamlit.runtime.caching.ttl_cache", "TTLCache.expire"),
    ("streamlit.runtime.app_session", "AppSession.shutdown"),
    ("plotly.tools", "return_figure_from_figure_or_data"),
    ("plotly.basedatatypes", "BaseFigure.to_dict"),
]


# ----------------------------------------------------------------------------- the launcher

def route_with_st_navigation_only() -> None:
    """Tell Streamlit, before its server starts, that the app routes with ``st.navigation``.

    Why: Streamlit 1.67 treats the first session after a start as an old-style (v1) multipage app when a
    ``pages/`` folder sits next to the main script, so a visitor who opens ``/kernels`` before anyone has
    opened ``/`` would skip ``app.py``'s router.  ``PagesManager.uses_pages_directory`` is the class-level
    switch it reads; there is no config option for it.  Called by ``scripts/serve.py``."""
    from streamlit.runtime.pages_manager import PagesManager

    PagesManager.uses_pages_directory = False


# ----------------------------------------------------------------------------- plotly figures sent as they are

def prevalidated_figure(spec: dict):
    """A figure dict that ``st.plotly_chart`` sends as it is, without validating it again.

    Why: ``st.plotly_chart`` validates a plain dict by building a ``go.Figure`` from it (~2–4 ms per figure
    and rerun), while it takes any plotly ``BaseFigure`` as already valid and only calls its ``to_dict()``
    (``plotly.tools.return_figure_from_figure_or_data``).  The feature-map page's figures come from the
    ``cnnviz.figures.*_spec`` builders, which the tests validate with ``go.Figure``, so the object is made
    without ``__init__`` (no validation) and only :meth:`to_dict` may be used on it."""
    fig = object.__new__(_spec_figure_class())
    object.__setattr__(fig, "_spec", spec)
    return fig


@functools.cache
def _spec_figure_class() -> type:
    import plotly.graph_objects as go

    class _SpecFigure(go.Figure):
        def to_dict(self):
            return self.__dict__["_spec"]

    return _SpecFigure


# ----------------------------------------------------------------------------- the drawing canvas at once

# streamlit-drawable-canvas 0.13 sends a freehand stroke 200 ms after mouse-up (a debounce in its bundle,
# not an option), and its toolbar's upload button sends the drawing at once.  :func:`canvas_sends_at_once`
# presses that button on the pointer-up that ends a stroke on a canvas (it finds the button by its label,
# inside the component's open shadow root).  What it buys (bench_draw_latency.py, Chromium, idle server,
# LeNet-5, 12 drawings, 2 cores): mouse-up -> stroke sent 206 -> 16 ms (p50), mouse-up -> prediction
# painted 598 -> 174 ms (p50).  tests/test_compat.py checks the label in the bundle.
CANVAS_SEND_LABEL = "Update the app with this drawing"

_CANVAS_JS = r"""
export default function (component) {
  const label = component.data.label;
  const w = window;
  if (!w.__cnnvizAtOnce) {        // one listener for every canvas of the page, however many mount this
    w.__cnnvizAtOnce = { n: 0, onUp: (ev) => {
      const canvas = ev.composedPath().find((n) => n.classList && n.classList.contains("upper-canvas"));
      if (!canvas) return;
      const root = canvas.getRootNode();
      const button = root && root.querySelector && root.querySelector(`button[aria-label="${label}"]`);
      // after the canvas's own handlers (and the microtask in which it records the stroke)
      if (button) setTimeout(() => button.click(), 0);
    } };
  }
  const shared = w.__cnnvizAtOnce;
  if (shared.n++ === 0) document.addEventListener("pointerup", shared.onUp, true);
  return () => {
    if (--shared.n === 0) document.removeEventListener("pointerup", shared.onUp, true);
  };
}
"""


@functools.cache
def _canvas_component():
    import streamlit as st

    return st.components.v2.component("cnnviz_canvas_at_once", js=_CANVAS_JS, isolate_styles=False)


def canvas_sends_at_once(key: str) -> None:
    """Mount the script that sends a drawing on pointer-up instead of 200 ms later (``key``: one per canvas;
    the page gets one listener however many are mounted)."""
    _canvas_component()(key=key, data={"label": CANVAS_SEND_LABEL}, height=0)


# ----------------------------------------------------------------------------- the current script run

def in_script_run() -> bool:
    """Whether this thread is running a page script (a session's run), as opposed to AppTest's own thread
    evaluating a widget's ``format_func``, a bare ``python page.py``, or a background thread.

    Why: ``get_script_run_ctx`` is the only way to ask; ``st.context`` raises or warns outside a run."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    return get_script_run_ctx(suppress_warning=True) is not None


def session_id() -> str | None:
    """The Streamlit session id of the current script run (None outside one).

    Why: ``ui/training.py`` ties a browser tab's training runs to its live sessions; Streamlit exposes the
    id only on the private script-run context."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx(suppress_warning=True)
    return None if ctx is None else ctx.session_id


def is_session_active(sid: str) -> bool | None:
    """Whether the session ``sid`` still has a connected browser (None: no server runs, cannot tell).

    Why: the training page stops a run whose tab is gone; only the runtime singleton knows its sessions."""
    from streamlit.runtime import Runtime

    if not Runtime.exists():
        return None
    return bool(Runtime.instance().is_active_session(sid))


# ----------------------------------------------------------------------------- memory of closed sessions

_REAPER: list[threading.Thread] = []
_REAPER_LOCK = threading.Lock()
_LOG = logging.getLogger(__name__)


def start_session_reaper(interval: float = 10.0) -> bool:
    """Start (once per process; later calls do nothing) a daemon thread that returns closed sessions'
    memory: every ``interval`` seconds it ends the disconnected sessions whose reconnect window
    (``server.disconnectedSessionTTL``) has passed and, when any session went away, runs ``gc.collect()``
    and hands freed memory back to the system (:func:`cnnviz.runtime.release_free_memory`).

    Why: a Streamlit session is a web of reference cycles, and ``runner.postScriptGC = false``
    (``.streamlit/config.toml``: the full collection after every run cost 78 % of the server's GIL time
    under load) leaves them to Python's generational GC, which may not reach them for a long time: a tab
    that held a 16-megapixel image kept 0.4–0.5 GB after it closed.  Also, Streamlit 1.67 drops an
    expired disconnected session from its ``MemorySessionStorage`` without ``AppSession.shutdown()``
    (its uploaded files stay in the upload manager) and only when the storage is next written; this
    thread ends them properly, on the server's event loop (the storage is not thread-safe).
    Returns whether this call started the thread."""
    with _REAPER_LOCK:
        if _REAPER:
            return False
        thread = threading.Thread(target=_reap_forever, args=(interval,), name="cnnviz-session-reaper", daemon=True)
        _REAPER.append(thread)
    thread.start()
    return True


def _reap_forever(interval: float) -> None:
    known: int | None = None
    while True:
        time.sleep(interval)
        try:
            ended, count = reap_sessions()
        except Exception:   # an upgrade moved a private name, or the server is stopping: never crash the server
            _LOG.debug("session reaper failed", exc_info=True)
            continue
        if ended or (known is not None and count < known):
            collect_garbage()
        known = count


def reap_sessions(timeout: float = 10.0) -> tuple[int, int]:
    """End the expired disconnected sessions (on the event loop); ``(how many ended, sessions left)``,
    ``(0, 0)`` when no server runs."""
    from streamlit.runtime import Runtime

    if not Runtime.exists():
        return 0, 0
    runtime = Runtime.instance()
    try:
        loop = runtime._get_async_objs().eventloop   # private: the server's event loop (sessions live on it)
    except RuntimeError:                             # not started (AppTest has a runtime without a server)
        return 0, 0
    if not loop.is_running():
        return 0, 0

    done: concurrent.futures.Future[tuple[int, int]] = concurrent.futures.Future()

    def on_loop() -> None:
        try:
            mgr = runtime._session_mgr                 # private: no public accessor for the session manager
            storage = getattr(mgr, "_session_storage", None)   # private: where disconnected sessions wait
            cache = getattr(storage, "_cache", None)           # private: MemorySessionStorage's TTLCache
            expired = cache.expire() if cache is not None else []
            for _, info in expired:
                info.session.shutdown()                # frees its uploaded files and media, as close_session does
            done.set_result((len(expired), mgr.num_sessions()))
        except Exception as exc:
            done.set_exception(exc)

    loop.call_soon_threadsafe(on_loop)
    return done.result(timeout)


def collect_garbage() -> int:
    """``gc.collect()``, then freed memory handed back to the system; returns the objects collected."""
    from cnnviz.runtime import release_free_memory

    found = gc.collect()
    release_free_memory()
    return found
