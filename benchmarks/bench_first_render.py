"""Time to first render of every page in headless Chromium, on a cold and on a warm server.

    .venv/bin/python benchmarks/bench_first_render.py [--pages home kernels ...] [--warm 3]

For each page:

* **cold**: a fresh server (``scripts/serve.py`` on a free 127.0.0.1 port, see
  ``tests/browser_support.py``) and this page as its very first visit, so the time includes the
  server's first-run imports (torch, plotly, ...) and its empty caches;
* **warm**: the same server after that visit; each of ``--warm`` new browser contexts (a new
  Streamlit session, as a new student opening the link) loads the page again; the median is shown.

Two times, both read in the browser from ``performance.now()`` (milliseconds since the navigation
started), so they leave out Playwright's own overhead:

* **title**: the page's ``h1`` is on screen (the first thing a student sees);
* **done**: the script run has finished (Streamlit reports ``notRunning`` and no running icon).

Nothing is asserted; numbers depend on the machine and its load. Needs Debian's ``/usr/bin/chromium``
and Playwright (``requirements-dev.txt``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser_support import IDLE_JS, PAGES, chromium_missing, error_texts, launch_chromium, start_server  # noqa: E402

TITLE_JS = ("() => { const h = document.querySelector('[data-testid=\"stMainBlockContainer\"] h1');"
            " return h && h.innerText.trim() ? performance.now() : false; }")
DONE_JS = f"() => ({IDLE_JS})() ? performance.now() : false"
NAMES = {name: path for path, name in PAGES.items()}


def visit(browser, url: str, timeout_ms: float = 300_000) -> tuple[float, float, list[str]]:
    """(title ms, done ms, error texts) for one visit in a new browser context."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    try:
        page = context.new_page()
        page.goto(url, wait_until="commit", timeout=timeout_ms)
        title = page.wait_for_function(TITLE_JS, timeout=timeout_ms, polling="raf").json_value()
        done = page.wait_for_function(DONE_JS, timeout=timeout_ms, polling="raf").json_value()
        return float(title), float(done), error_texts(page)
    finally:
        context.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", nargs="+", choices=list(NAMES), default=list(NAMES))
    ap.add_argument("--warm", type=int, default=3, help="warm visits per page (median shown)")
    args = ap.parse_args()
    why = chromium_missing()
    if why:
        print(f"cannot run: {why}")
        return 2

    rows = []
    with launch_chromium() as browser:
        for name in args.pages:
            t0 = time.perf_counter()
            with start_server() as server:
                healthy = time.perf_counter() - t0
                url = f"{server.url}/{NAMES[name]}"
                cold_title, cold_done, errors = visit(browser, url)
                warm = [visit(browser, url) for _ in range(args.warm)]
            errors += [e for _, _, errs in warm for e in errs]
            rows.append((name, healthy, cold_title, cold_done, statistics.median(w[0] for w in warm),
                         statistics.median(w[1] for w in warm), len(errors)))
            print(f"  {name}: done", file=sys.stderr, flush=True)

    print(f"\nTime to first render, headless Chromium ({args.warm} warm visits per page, median); ms since navigation")
    head = ("page", "server up (s)", "cold title", "cold done", "warm title", "warm done", "errors")
    print("| " + " | ".join(head) + " |")
    print("| --- | " + " | ".join("---:" for _ in head[1:]) + " |")
    for name, up, ct, cd, wt, wd, ne in rows:
        print(f"| {name} | {up:.1f} | {ct:,.0f} | {cd:,.0f} | {wt:,.0f} | {wd:,.0f} | {ne} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
