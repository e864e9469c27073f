"""Mouse-up on the feature-map canvas → the prediction painted on screen, in headless Chromium.

What a student feels: the time from releasing the mouse button at the end of a stroke to the frame in
which "Prediction: N" is on screen.  Measured inside the page with ``performance.now()``: a capturing
``mouseup`` listener takes the start, a ``MutationObserver`` sees the prediction's text arrive in the
DOM, and the next ``requestAnimationFrame`` (the frame that paints it) takes the end.  Before each
drawing the canvas is cleared and the page has settled, so every measurement is one full round trip:
the canvas component sends its value, the server reruns the page, the browser applies the deltas.

Two conditions, printed as one table (p50, p95, max in ms):

* **idle**: this browser alone on the server;
* **under load**: ``benchmarks/load.py`` sessions drawing in the background against the same server
  (``--load-sessions``, ``--think-time``).

    python benchmarks/bench_draw_latency.py --drawings 20 --load-sessions 50 --think-time 5
    python benchmarks/bench_draw_latency.py --url http://127.0.0.1:8501 --load-sessions 0

Uses Debian's Chromium through Playwright (``tests/browser_support.py``); a server of its own unless
``--url`` is given, or ``--replicas N`` replicas behind nginx (``scripts/replicas.py``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for p in (ROOT, ROOT / "tests", ROOT / "scripts"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from browser_support import draw_strokes as draw  # noqa: E402
from browser_support import free_port, launch_chromium, start_server  # noqa: E402

ONE = [[(148, 35), (140, 245)]]
SEVEN = [[(65, 45), (215, 45), (120, 245)]]
PLACEHOLDER = "The feature maps appear here"

HOOK_JS = """() => {
  if (window.__lat) return;
  const L = window.__lat = {up: null, shown: null, text: null, sent: null, first: null};
  // where the time goes: mouse-up -> the canvas's value leaves on the websocket (the component encodes its
  // PNG) -> the server's first answer arrives -> the prediction is painted
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    const size = data && (data.byteLength || data.size || data.length) || 0;
    if (L.up !== null && L.sent === null && size > 2000) {   // the drawing, not a heartbeat
      L.sent = performance.now();
      this.addEventListener('message', () => { if (L.first === null) L.first = performance.now(); });
    }
    return send.call(this, data);
  };
  const find = () => {
    for (const el of document.querySelectorAll('[data-testid="stMarkdownContainer"]')) {
      const m = /Prediction:\\s*\\**\\s*(\\d)/.exec(el.textContent || '');
      if (m) return m[1];
    }
    return null;
  };
  document.addEventListener('mouseup', () => {
    L.up = performance.now(); L.shown = null; L.text = null; L.sent = null; L.first = null;
    L.stale = find() !== null;  // must be none yet
  }, true);
  new MutationObserver(() => {
    if (L.up === null || L.shown !== null) return;
    const digit = find();
    if (digit !== null) {
      L.shown = -1;
      requestAnimationFrame(() => { L.shown = performance.now(); L.text = digit; });
    }
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def pct(values: list[float], q: float) -> float:
    v = sorted(values)
    k = (len(v) - 1) * q / 100
    lo = int(k)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def measure(browser, url: str, drawings: int,
            timeout_ms: int = 120_000) -> tuple[list[float], list[str], list[list[float]]]:
    """``drawings`` times: clear, draw a 1 or a 7, time mouse-up → prediction painted (ms); also each
    drawing's parts: [mouse-up → value sent, sent → first answer, → painted] (ms)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    page = context.new_page()
    times, problems, parts = [], [], []
    try:
        for i in range(drawings):
            if i == 0 or problems and problems[-1].endswith("(page reloaded)"):
                page.goto(f"{url}/feature-maps", timeout=timeout_ms)
                page.get_by_text(PLACEHOLDER).wait_for(timeout=timeout_ms)
                page.evaluate(HOOK_JS)
            try:
                times_i, problem, parts_i = one_drawing(page, i, timeout_ms)
            except Exception as exc:  # count it, start the page again, go on
                problems.append(f"drawing {i}: {type(exc).__name__}: {str(exc)[:120]} (page reloaded)")
                continue
            times += times_i
            parts += parts_i
            if problem:
                problems.append(problem)
    finally:
        context.close()
    return times, problems, parts


def one_drawing(page, i: int, timeout_ms: int) -> tuple[list[float], str, list[list[float]]]:
    """Draw a 1 (even ``i``) or a 7, time it, clear: ``([ms] or [], problem or "", [its parts] or [])``."""
    import re

    canvas = page.locator("canvas.upper-canvas").first
    canvas.wait_for(timeout=timeout_ms)
    page.wait_for_timeout(1500)
    page.evaluate("() => { window.__lat.up = null; window.__lat.shown = null; }")
    strokes, want = (ONE, "1") if i % 2 == 0 else (SEVEN, "7")
    draw(page, canvas, strokes)
    page.wait_for_function("() => window.__lat.shown > 0", timeout=timeout_ms, polling=50)
    lat = page.evaluate("() => { const L = window.__lat; return [L.shown - L.up, L.text, L.stale, "
                        "L.sent === null ? null : [L.sent - L.up, L.first - L.sent, L.shown - L.first]]; }")
    page.get_by_role("button", name=re.compile("Clear")).click()
    page.get_by_text(PLACEHOLDER).wait_for(timeout=timeout_ms)
    if lat[2]:
        return [], f"drawing {i}: a prediction was on the page before the drawing (not timed)", []
    problem = "" if lat[1] == want else f"drawing {i}: predicted {lat[1]}, drew {want}"
    return [lat[0]], problem, [] if lat[3] is None else [lat[3]]


@contextlib.contextmanager
def background_load(url: str, sessions: int, think: float, seconds: float):
    """``benchmarks/load.py`` against ``url`` in a child process, stopped at the end."""
    if sessions <= 0:
        yield None
        return
    ramp = min(20.0, 0.2 * sessions)
    proc = subprocess.Popen([sys.executable, str(ROOT / "benchmarks" / "load.py"), "--url", url,
                             "--sessions", str(sessions), "--think-time", str(think), "--ramp", str(ramp),
                             "--warmup", "0", "--duration", str(int(seconds))],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        time.sleep(ramp + 5)             # every session connected and drawing
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(20)
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--url", help="a running server (default: start one)")
    ap.add_argument("--replicas", type=int, default=0, help="start N replicas behind nginx instead of one server")
    ap.add_argument("--drawings", type=int, default=10, help="drawings per condition")
    ap.add_argument("--load-sessions", type=int, default=20, help="background load.py sessions (0: idle only)")
    ap.add_argument("--think-time", type=float, default=2.0, help="the background sessions' mean pause (s)")
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args(argv)

    rows = {}
    with contextlib.ExitStack() as stack:
        if args.url:
            url = args.url.rstrip("/")
        elif args.replicas:
            from replicas import serve_replicas

            url = stack.enter_context(serve_replicas(args.replicas, port=free_port(), host="127.0.0.1",
                                                     ports=[free_port() for _ in range(args.replicas)],
                                                     install=False)).url
        else:
            url = stack.enter_context(start_server()).url
        browser = stack.enter_context(launch_chromium())
        measure(browser, url, 1)                                  # the first visit loads torch and the model
        conditions = [("idle", 0)] + ([(f"{args.load_sessions} load.py sessions, think {args.think_time:g} s",
                                        args.load_sessions)] if args.load_sessions > 0 else [])
        for name, sessions in conditions:
            with background_load(url, sessions, args.think_time, 600) as load:
                times, problems, parts = measure(browser, url, args.drawings)
                if load is not None and load.poll() is not None:
                    problems.append(f"the background load ended early: {load.stdout.read()[-500:]}")
            rows[name] = dict(n=len(times), p50_ms=round(pct(times, 50)) if times else None,
                              p95_ms=round(pct(times, 95)) if times else None,
                              max_ms=round(max(times)) if times else None, problems=problems,
                              parts_p50_ms=[round(pct([p[k] for p in parts], 50)) for k in range(3)] if parts else None)

    print(f"\nmouse-up -> prediction painted, Chromium, {url}\n")
    print("| condition | drawings | p50 | p95 | max | problems |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, r in rows.items():
        print(f"| {name} | {r['n']} | {r['p50_ms']} ms | {r['p95_ms']} ms | {r['max_ms']} ms | "
              f"{'; '.join(r['problems']) or 'none'} |")
    print("\nwhere it goes, p50 of each part (ms): mouse-up -> the canvas sends its value (its PNG; 200 ms "
          "more without ui.compat.canvas_sends_at_once) | -> the server's first answer arrives | -> prediction "
          "painted")
    for name, r in rows.items():
        print(f"  {name}: {r['parts_p50_ms']}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return rows


if __name__ == "__main__":
    main()
