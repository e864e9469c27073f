"""Shared pieces for real-browser tests and benchmarks: the app server and headless Chromium.

* :func:`start_server` runs ``scripts/serve.py`` (``streamlit run app.py`` plus the first-visit
  routing fix) on a free 127.0.0.1 port in its own process group, waits for
  ``/_stcore/health`` and kills the whole group (training workers included) at the end.
* :func:`launch_chromium` starts Debian's ``/usr/bin/chromium`` through Playwright
  (Playwright's own browser download does not work here).
* :func:`wait_idle` waits until a Streamlit page has finished running.

Tests use the pytest fixtures ``app_server``, ``browser`` and ``page`` in ``tests/conftest.py``
(one server and one browser per test module); ``benchmarks/`` import this module directly (it does
not import pytest).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = ROOT / "artifacts"
PAGES = {  # url path -> page (as routed by app.py)
    "": "home", "kernels": "kernels", "pooling": "pooling", "training": "training", "feature-maps": "feature_maps",
    "your-data": "your_data",
}
# a Streamlit page has finished its run: the app says so, and the "running" indicator is gone
IDLE_JS = ("() => { const app = document.querySelector('[data-testid=\"stApp\"]');"
           " return !!app && app.getAttribute('data-test-script-state') === 'notRunning'"
           " && !document.querySelector('[data-testid=\"stStatusWidgetRunningIcon\"]')"
           " && !!document.querySelector("
           "'[data-testid=\"stMainBlockContainer\"] [data-testid=\"stElementContainer\"]'); }")
ERROR_SELECTOR = '[data-testid="stException"], [data-testid="stAlertContentError"]'


def chromium_missing() -> str | None:
    """Why browser tests cannot run here (None when they can)."""
    if not Path(CHROMIUM).is_file() or not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is not installed (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -r requirements-dev.txt)"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    port: int
    proc: subprocess.Popen
    log: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log_tail(self, n: int = 4000) -> str:
        try:
            return self.log.read_text(errors="replace")[-n:]
        except OSError:
            return ""


def wait_healthy(url: str, timeout: float = 120.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the server exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=3) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{url} was not healthy within {timeout:.0f} s")


def stop_process_group(proc: subprocess.Popen, grace: float = 10.0) -> None:
    """SIGTERM the server's process group (it started a new session), then SIGKILL what is left."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(grace)
    # training workers share the group; kill any that outlived the server
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(5)


@contextlib.contextmanager
def start_server(env: dict[str, str] | None = None, port: int | None = None, log_dir: Path | None = None,
                 timeout: float = 120.0):
    """Serve the app on 127.0.0.1 (a free port unless given); yields a :class:`Server`."""
    port = port or free_port()
    log_dir = Path(log_dir or tempfile.mkdtemp(prefix="cnnviz-server-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / f"server-{port}.log"
    full_env = dict(os.environ)
    full_env.setdefault("CNNVIZ_USER_CHECKPOINTS", str(log_dir / "user-checkpoints"))
    from cnnviz.runtime import tuned_environ

    full_env = tuned_environ(full_env) or full_env    # glibc's malloc tuned, as scripts/run.sh starts the app
    full_env.update(env or {})
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "scripts" / "serve.py"), "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    server = Server(f"http://127.0.0.1:{port}", port, proc, log)
    try:
        wait_healthy(server.url, timeout, proc)
        yield server
    finally:
        stop_process_group(proc)


@contextlib.contextmanager
def launch_chromium(playwright=None):
    """Headless Debian Chromium; yields a Playwright ``Browser``."""
    from playwright.sync_api import sync_playwright

    with contextlib.ExitStack() as stack:
        p = playwright or stack.enter_context(sync_playwright())
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            with contextlib.suppress(Exception):
                browser.close()


def wait_idle(page, timeout_ms: float = 120_000, settle_ms: int = 300) -> None:
    """Wait until the page's script run has finished (twice in a row, ``settle_ms`` apart, so a
    rerun that starts right after the first one is waited for too)."""
    page.wait_for_function(IDLE_JS, timeout=timeout_ms, polling=100)
    page.wait_for_timeout(settle_ms)
    page.wait_for_function(IDLE_JS, timeout=timeout_ms, polling=100)


def draw_strokes(page, canvas, strokes, steps: int = 24, settle_ms: int = 500) -> None:
    """Drag the mouse along each stroke (points in canvas pixels) on a drawable canvas, as a person does.
    The canvas ignores a drag that starts before it has settled: hover over it first, then wait; a rerun
    can replace the canvas for a moment, so its box is looked up until it has one."""
    box = None
    for _ in range(20):
        canvas.wait_for(state="visible", timeout=60_000)
        box = canvas.bounding_box()
        if box:
            break
        page.wait_for_timeout(250)
    if not box:
        raise RuntimeError("the canvas has no box on screen")
    page.mouse.move(box["x"] + 20, box["y"] + 20)
    page.wait_for_timeout(settle_ms)
    for line in strokes:
        page.mouse.move(box["x"] + line[0][0], box["y"] + line[0][1])
        page.mouse.down()
        for (x0, y0), (x1, y1) in zip(line, line[1:]):
            for k in range(1, steps + 1):
                page.mouse.move(box["x"] + x0 + (x1 - x0) * k / steps, box["y"] + y0 + (y1 - y0) * k / steps)
        page.mouse.up()


def choose_option(page, key: str, name) -> None:
    """Pick the option whose label matches ``name`` (a text or a compiled pattern) in the selectbox with
    Streamlit key ``key``: open its list (again, if a rerun replaced the box before the list showed), click
    the option, and wait for the page's run."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    option = page.get_by_role("option", name=name).first
    for attempt in range(5):
        wait_idle(page)
        box = page.locator(f"[class*='st-key-{key}'] [role='combobox']").first
        if box.count() == 0:
            box = page.locator(f"[class*='st-key-{key}']").first
        box.click()
        try:
            option.wait_for(timeout=15_000)
            break
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
            if attempt == 4:
                raise
    option.click()
    wait_idle(page)


def open_page(page, server, path: str) -> None:
    """Open ``path`` of the app ``server`` serves and wait until the page has finished its run."""
    page.goto(f"{server.url}/{path}", wait_until="domcontentloaded", timeout=120_000)
    wait_idle(page)


def assert_no_errors(page, server, what: str) -> None:
    errors = error_texts(page)
    assert not errors, f"{what}: error elements on the page: {errors}\n--- server log ---\n{server.log_tail()}"


def error_texts(page) -> list[str]:
    """Texts of the exception boxes and error alerts on the page (stale elements included)."""
    return [e.inner_text()[:500] for e in page.locator(ERROR_SELECTOR).all()]


def point_count(page, key: str) -> int:
    """Points in the longest trace of the plotly chart with Streamlit key ``key`` (-1: no chart yet).
    Streamlit sends numpy data as base64 typed arrays, so ``el.data[i].x`` has no length; the
    drawn traces' ``_length`` does."""
    return page.evaluate(
        """(sel) => { const el = document.querySelector(sel);
                      if (!el || !el._fullData) return -1;
                      return Math.max(0, ...el._fullData.map(t => t._length || 0)); }""",
        f"[class*='st-key-{key}'] .js-plotly-plot")


def screenshot(page, name: str, max_height: int = 6000) -> Path:
    """Save ``artifacts/<name>.png`` showing the whole page: Streamlit scrolls inside its own
    container, so the viewport is made as tall as the content for the shot, then restored."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    size = page.viewport_size
    try:
        height = page.evaluate(
            """() => { const m = document.querySelector('[data-testid="stMain"]') || document.body;
                       return Math.max(m.scrollHeight, document.body.scrollHeight); }""")
        if size and height > size["height"]:
            page.set_viewport_size({"width": size["width"], "height": min(int(height) + 40, max_height)})
            page.wait_for_timeout(400)
        page.screenshot(path=str(path))
    finally:
        if size and page.viewport_size != size:
            page.set_viewport_size(size)
    return path
