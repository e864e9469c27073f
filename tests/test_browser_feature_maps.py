"""The feature-map page in a real browser: draw a "1" and a "7" with the mouse and read the predictions.

Runs ``streamlit run app.py`` on a free 127.0.0.1 port and Debian's Chromium through Playwright; skipped
when Chromium, Playwright or the shipped LeNet-5 is missing.  Screenshots go to ``artifacts/``.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from cnnviz import checkpoints

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "artifacts"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync"]

pytestmark = [
    pytest.mark.skipif(not Path(CHROMIUM).is_file() or not shutil.which("chromium", path="/usr/bin"),
                       reason=f"{CHROMIUM} is not installed"),
    pytest.mark.skipif(not checkpoints.shipped_path("lenet5").is_file(),
                       reason="the shipped LeNet-5 checkpoint does not exist yet"),
]
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

ONE = [[(148, 35), (140, 245)]]
SEVEN = [[(65, 45), (215, 45), (120, 245)]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = free_port()
    env = dict(os.environ, CNNVIZ_USER_CHECKPOINTS=str(ROOT / "artifacts" / "no-user-checkpoints"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("streamlit did not start within 60 s")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def draw(page, canvas, strokes) -> None:
    box = canvas.bounding_box()
    # the canvas ignores a drag that starts before it has settled: hover over it first, then wait
    page.mouse.move(box["x"] + 20, box["y"] + 20)
    page.wait_for_timeout(500)
    for line in strokes:
        page.mouse.move(box["x"] + line[0][0], box["y"] + line[0][1])
        page.mouse.down()
        for (x0, y0), (x1, y1) in zip(line, line[1:]):
            for t in range(1, 25):
                page.mouse.move(box["x"] + x0 + (x1 - x0) * t / 24, box["y"] + y0 + (y1 - y0) * t / 24)
        page.mouse.up()


def read_prediction(page, timeout_ms: int = 60000) -> str:
    loc = page.get_by_text(re.compile(r"^Prediction: \d$")).first
    loc.wait_for(timeout=timeout_ms)
    return loc.inner_text().strip()[-1]


def test_draw_one_and_seven(server):
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1100})
            page.goto(f"{server}/feature-maps")
            # wait until the first run has finished (its last section is on screen) before drawing
            page.get_by_text("The feature maps appear here").wait_for(timeout=90000)
            canvas = page.locator("canvas.upper-canvas").first
            canvas.wait_for(timeout=30000)
            page.wait_for_timeout(3000)
            results = {}
            for label, strokes in (("1", ONE), ("7", SEVEN)):
                done = ("() => document.body.innerText.includes('Inside the network') && "
                        "!document.body.innerText.includes('The feature maps appear here')")
                for attempt in range(2):
                    draw(page, canvas, strokes)
                    try:
                        page.wait_for_function(done, timeout=30000 if attempt == 0 else 60000)
                        break
                    except sync_api.TimeoutError:
                        if attempt:
                            raise
                        page.get_by_role("button", name=re.compile("Clear")).click()
                        page.wait_for_timeout(3000)
                        canvas = page.locator("canvas.upper-canvas").first
                page.wait_for_timeout(1500)
                results[label] = read_prediction(page)
                page.screenshot(path=str(ARTIFACTS / f"feature_maps_drawn_{label}.png"))
                page.get_by_role("button", name=re.compile("Clear")).click()
                page.get_by_text("The feature maps appear here").wait_for(timeout=60000)
                canvas = page.locator("canvas.upper-canvas").first
                canvas.wait_for(timeout=30000)
                page.wait_for_timeout(3000)
            assert results == {"1": "1", "7": "7"}
        finally:
            browser.close()
