"""scripts/replicas.py: N Streamlit replicas behind nginx on one port.

* the rendered nginx configuration passes ``nginx -t`` and holds what a lecture hall needs
  (sticky cookie, websocket upgrade, upload limit from ``.streamlit/config.toml``, passive health);
* 2 replicas + nginx on free ports, driven by Chromium through nginx: the feature-map page, a drawn
  7, its prediction; two browsers get affinity cookies; with ``CNNVIZ_MAX_JOBS=1`` a training started
  through nginx makes one started on the other replica wait until it is stopped (one limit per machine);
  a replica killed with SIGKILL is routed around.

The browser part is marked ``browser`` and ``slow``; skipped without Chromium or nginx.
"""

from __future__ import annotations

import os
import re
import signal
import sys
import tomllib
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from cnnviz import checkpoints
from tests.browser_support import chromium_missing, free_port, screenshot

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import replicas  # noqa: E402

NGINX = replicas.find_nginx()
needs_nginx = pytest.mark.skipif(NGINX is None, reason="nginx is not installed (apt-get install nginx)")


def test_upload_limit_is_read_from_streamlit_config(tmp_path):
    want = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["server"]["maxUploadSize"]
    assert replicas.upload_limit_mb() == want
    cfg = tmp_path / "config.toml"
    cfg.write_text("[server]\nmaxUploadSize = 7\n")
    assert replicas.upload_limit_mb(cfg) == 7
    cfg.write_text("[server]\nheadless = true\n")
    assert replicas.upload_limit_mb(cfg) == 200             # Streamlit's own default
    assert replicas.upload_limit_mb(tmp_path / "missing.toml") == 200


@needs_nginx
def test_rendered_config_is_valid_and_complete(tmp_path):
    replicas._prepare_prefix(tmp_path)
    text = replicas.render_config([8601, 8602, 8603], "127.0.0.1:8501", tmp_path, max_body_mb=20)
    conf = tmp_path / "nginx.conf"
    conf.write_text(text)
    replicas.check_config(NGINX, conf, tmp_path)             # nginx -t
    assert "@" not in re.sub(r"#.*", "", text)               # every placeholder filled
    servers = re.findall(r"server 127\.0\.0\.1:(\d+) max_fails=\d+ fail_timeout=\w+;", text)
    assert servers == ["8601", "8602", "8603"]
    assert "hash $cnnviz_affinity consistent;" in text
    assert "proxy_set_header Upgrade $http_upgrade;" in text and "daemon off;" in text
    assert "client_max_body_size 21m;" in text
    assert "location = /_stcore/metrics" in text
    assert f"pid {tmp_path}/nginx.pid;" in text
    # a broken configuration is reported with nginx's own words
    conf.write_text(text.replace("proxy_pass", "proxy_passs"))
    with pytest.raises(RuntimeError, match="proxy_passs"):
        replicas.check_config(NGINX, conf, tmp_path)


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError):
        replicas.render_config([], "127.0.0.1:1", tmp_path)
    with pytest.raises(ValueError), replicas.serve_replicas(2, port=9000, ports=[9000, 9001]):
        pass


# ----------------------------------------------------------------------------- through nginx, in a browser

def get(url: str, cookie: str | None = None) -> tuple[int, str]:
    req = urllib.request.Request(url, headers={"Cookie": f"cnnviz_affinity={cookie}"} if cookie else {})
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.status, " | ".join(r.headers.get_all("Set-Cookie") or [])


def draw_and_predict(context, url: str) -> str:
    from tests.test_browser_feature_maps import SEVEN, draw, read_prediction

    page = context.new_page()
    page.goto(f"{url}/feature-maps", timeout=120_000)
    page.get_by_text("The feature maps appear here").wait_for(timeout=240_000)   # a loaded 2-core CI machine
    canvas = page.locator("canvas.upper-canvas").first
    canvas.wait_for(timeout=60_000)
    page.wait_for_timeout(3000)
    draw(page, canvas, SEVEN)
    page.wait_for_function("() => !document.body.innerText.includes('The feature maps appear here')",
                           timeout=120_000)
    return read_prediction(page)


def start_training(context, url: str, *, expect_queue: bool = False):
    """Open the training page at ``url``, start a long LeNet-5 run; wait until its loss chart has points
    (or, with ``expect_queue``, until the page says it waits in the queue).  Returns the page."""
    from tests.browser_support import wait_idle

    page = context.new_page()
    page.goto(f"{url}/training", wait_until="domcontentloaded", timeout=120_000)
    wait_idle(page)
    box = page.locator("[class*='st-key-train_epochs_lenet5'] input")
    box.fill("30")
    box.press("Tab")
    wait_idle(page)
    page.get_by_role("button", name=re.compile("Start training")).click()
    if expect_queue:
        page.get_by_text(re.compile(r"Waiting in the queue: position 1\b.*at most 1 model\(s\) at a time; 1 running"))\
            .first.wait_for(timeout=120_000)
    else:
        wait_for_loss_points(page)
    return page


def wait_for_loss_points(page) -> None:
    from tests.browser_support import point_count

    chart = page.locator("[class*='st-key-loss_'] .js-plotly-plot").filter(visible=True).first
    chart.wait_for(timeout=180_000)
    key = re.search(r"st-key-(loss_[\w-]+)", page.locator("[class*='st-key-loss_']").first
                    .get_attribute("class")).group(1)
    page.wait_for_function(
        "(sel) => { const el = document.querySelector(sel); return !!el && !!el._fullData && "
        "Math.max(0, ...el._fullData.map(t => t._length || 0)) > 0; }",
        arg=f"[class*='st-key-{key}'] .js-plotly-plot", timeout=180_000, polling=250)
    assert point_count(page, key) > 0


def stop_training(page) -> None:
    """Press Stop and see the run end as stopped (its websocket and polls stay on one replica)."""
    page.locator("[class*='st-key-stop_'] button").first.click(timeout=60_000)
    page.get_by_text(re.compile(r"The weights and the charts so far are kept")).first.wait_for(timeout=180_000)


def shared_limit_across_replicas(layout, contexts, slots_dir: Path) -> None:
    """Issue 18 §3, with CNNVIZ_MAX_JOBS=1: a run started through nginx holds the machine's only slot; a run
    started on the OTHER replica waits in its queue, and starts once the first is stopped."""
    from cnnviz.slots import Slots

    first = start_training(contexts[0], layout.url)
    holders = Slots(slots_dir, 1).holders()
    assert len(holders) == 1, holders
    holder_pid = int(holders[0].split()[0])          # the replica (server process) that started the run
    assert holder_pid in [r.proc.pid for r in layout.replicas]
    other = next(r for r in layout.replicas if r.proc.pid != holder_pid)
    second = start_training(contexts[1], other.url, expect_queue=True)
    stop_training(first)
    wait_for_loss_points(second)                      # the slot freed: the other replica's run trains now
    holders = Slots(slots_dir, 1).holders()
    assert int(holders[0].split()[0]) == other.proc.pid, holders
    stop_training(second)


@pytest.mark.browser
@pytest.mark.slow
@needs_nginx
@pytest.mark.skipif(chromium_missing() is not None, reason=chromium_missing() or "")
@pytest.mark.skipif(not checkpoints.shipped_path("lenet5").is_file(), reason="no shipped LeNet-5 checkpoint")
def test_two_replicas_behind_nginx_in_a_browser(tmp_path):
    from tests.browser_support import launch_chromium

    env = {"CNNVIZ_USER_CHECKPOINTS": str(tmp_path / "user"), "CNNVIZ_SLOTS_DIR": str(tmp_path / "slots"),
           "CNNVIZ_MAX_JOBS": "1", "CNNVIZ_PREWARM": "0"}
    with replicas.serve_replicas(2, port=free_port(), host="127.0.0.1", ports=[free_port(), free_port()],
                                 env=env, log_dir=tmp_path / "logs", install=False) as layout:
        status, cookie = get(layout.url + "/")
        assert status == 200 and re.search(r"cnnviz_affinity=[0-9a-f]{32}; Path=/; HttpOnly", cookie)
        assert "cnnviz_affinity" not in get(layout.url + "/", cookie="abc")[1]   # a known browser keeps its key
        with pytest.raises(urllib.error.HTTPError) as closed:                   # Streamlit's metrics stay inside
            get(layout.url + "/_stcore/metrics")
        assert closed.value.code == 404
        assert get(layout.url + "/_stcore/health")[0] == 200
        with launch_chromium() as browser:
            contexts = [browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
                        for _ in range(2)]
            for context in contexts:
                assert draw_and_predict(context, layout.url) == "7"
                assert any(c["name"] == "cnnviz_affinity" for c in context.cookies())
            screenshot(contexts[-1].pages[-1], "replicas_feature_maps_7")
            shared_limit_across_replicas(layout, contexts, tmp_path / "slots")

            # passive health: with one replica killed, every browser key still gets the page
            victim = layout.replicas[0].proc
            os.killpg(victim.pid, signal.SIGKILL)
            victim.wait(10)
            for i in range(8):
                assert get(layout.url + "/", cookie=f"{i:032x}")[0] == 200
            assert draw_and_predict(browser.new_context(locale="en-US"), layout.url) == "7"
