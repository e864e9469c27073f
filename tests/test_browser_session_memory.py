"""A real server gives back the memory of closed tabs (issue 19, item 4).

Four browser tabs each upload a 16-megapixel photo on the pooling page; the tabs close; once Streamlit's
reconnect window (``server.disconnectedSessionTTL``, 3 s here instead of 120) has passed, the session
reaper (``ui.compat.start_session_reaper``) ends the sessions, collects them and trims the heap: the
server's resident memory is back within 100 MB of where it was before the tabs opened.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from cnnviz import runtime
from tests.browser_support import wait_idle

pytestmark = pytest.mark.slow
# as scripts/run.sh starts it: glibc's malloc keeps up to 512 MB of freed memory (cnnviz.runtime), which the
# reaper must hand back
SERVER_ENV = {"STREAMLIT_SERVER_DISCONNECTED_SESSION_TTL": "3",
              "GLIBC_TUNABLES": (runtime.tuned_environ({}) or {}).get("GLIBC_TUNABLES", "")}
SIDE = 4000            # 16 megapixels: the loader's limit
TABS = 4
MB = 2**20


def rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def big_png(path: Path) -> Path:
    """A 4000×4000 colour PNG that compresses well (smooth ramps and blocks), under the 20 MB upload cap."""
    from PIL import Image

    yy, xx = np.mgrid[0:SIDE, 0:SIDE]
    rgb = np.stack([(xx // 16) % 256, (yy // 16) % 256, ((xx // 200 + yy // 200) % 2) * 200], -1).astype(np.uint8)
    Image.fromarray(rgb).save(path, optimize=False)
    assert path.stat().st_size < 20 * MB
    return path


def upload(page, server, png: Path) -> None:
    page.goto(f"{server.url}/pooling", wait_until="domcontentloaded", timeout=120_000)
    wait_idle(page)
    page.locator("[class*='st-key-pooling_source']").get_by_text("Upload an image").click()
    wait_idle(page)
    file_input = page.locator("[class*='st-key-pooling_upload'] input[type=file]")
    file_input.wait_for(state="attached")
    file_input.set_input_files(str(png))
    page.get_by_text(f"{SIDE}×{SIDE} pixels").first.wait_for(timeout=240_000)
    wait_idle(page, timeout_ms=240_000)


def settle(pid: int, target: int | None = None, timeout: float = 90.0) -> int:
    """RSS once it stops falling (or drops below ``target``), polled every 2 s."""
    deadline = time.monotonic() + timeout
    last = rss(pid)
    while time.monotonic() < deadline:
        time.sleep(2)
        now = rss(pid)
        if target is not None and now <= target:
            return now
        if target is None and abs(now - last) < 2 * MB:
            return now
        last = now
    return rss(pid)


def test_closed_tabs_give_their_memory_back(browser, app_server, tmp_path):
    png = big_png(tmp_path / "big.png")
    # warm up: one tab imports everything a pooling run needs and decodes one upload, then closes
    warm = browser.new_context(viewport={"width": 1400, "height": 1000})
    upload(warm.new_page(), app_server, png)
    warm.close()
    time.sleep(20)                                  # reconnect window (3 s) + a reaper round (10 s)
    start = settle(app_server.pid)

    contexts = [browser.new_context(viewport={"width": 1400, "height": 1000}) for _ in range(TABS)]
    for ctx in contexts:
        upload(ctx.new_page(), app_server, png)
    peak = rss(app_server.pid)
    assert peak - start > TABS * 40 * MB, (start / MB, peak / MB)   # the images really are in memory
    for ctx in contexts:
        ctx.close()
    end = settle(app_server.pid, target=start + 100 * MB)
    assert end - start <= 100 * MB, (
        f"RSS {start / MB:.0f} MB before, {peak / MB:.0f} MB with {TABS} tabs, {end / MB:.0f} MB after they closed"
        f"\n{app_server.log_tail(3000)}")
