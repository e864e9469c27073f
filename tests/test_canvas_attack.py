"""Issue: the canvas could exhaust a classroom server's memory.  Against a real server (scripts/serve.py),
over Streamlit's own websocket protocol (benchmarks/load.py's client), one session sends the canvas a value
whose picture is a valid 13000×13000 PNG of under 1 MB, four times: each is refused with a message, the
server's memory does not grow, and the next real drawing still gets a prediction."""

import asyncio
import base64
import io
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from cnnviz import checkpoints, i18n

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests"))

pytest.importorskip("websockets", reason="websockets is not installed (it comes with streamlit)")
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not checkpoints.shipped_path("lenet5").is_file(), reason="no shipped LeNet-5")]

import load  # noqa: E402
from browser_support import start_server  # noqa: E402

SIDE = 13_000


def bomb_value() -> str:
    """The canvas's JSON value with a real 13000×13000 PNG (black, one white square) as its picture."""
    from PIL import Image

    img = np.zeros((SIDE, SIDE), np.uint8)
    img[6000:7000, 6000:7000] = 255
    buf = io.BytesIO()
    Image.fromarray(img, "L").save(buf, format="PNG", compress_level=9)
    assert len(buf.getvalue()) < 1_000_000          # a small message declaring 169 megapixels
    url = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
    raw = {"version": "5.3.0", "background": "#000000", "objects": []}
    return json.dumps({"drawing": {"raw": raw, "data": url}})


def test_a_huge_canvas_picture_is_refused_without_memory_growth(tmp_path):
    hostile = bomb_value()
    refusal = i18n.t("fm.canvas.too_big", "en", w=SIDE, h=SIDE, max_w=0, max_h=0).split("(")[0].strip()

    async def session(url, sampler):
        s = load.Session(url, load.FEATURE_PAGE, timeout=120)
        await s.connect()
        try:
            first = await s.run()
            canvas = s.widget_id("bidi_component", lambda b: load.CANVAS_COMPONENT in b.component_name)
            assert canvas, sorted(first.elements)
            value, _ = load.Drawings(seed=3).make(index=0)
            await s.run([(canvas, "json_value", value)])        # one real drawing first: everything warm
            before = sampler.rss_now()
            answers = [await s.run([(canvas, "json_value", hostile)]) for _ in range(4)]
            after = sampler.rss_now()
            again = await s.run([(canvas, "json_value", load.Drawings(seed=4).make(index=1)[0])])
            return answers, before, after, again
        finally:
            await s.close()

    with start_server(env={"CNNVIZ_USER_CHECKPOINTS": str(tmp_path / "user")}, log_dir=tmp_path) as server:
        sampler = load.GroupSampler(server.pid)
        answers, before, after, again = asyncio.run(session(server.url, sampler))
        log = server.log_tail()

    for r in answers:
        assert r.ok, (r.status, r.errors, log)
        assert any(refusal in text for _, text in r.alerts), r.alerts
        assert r.prediction() is None
    grown_mib = (after - before) / 2**20
    assert grown_mib < 20, f"the server grew by {grown_mib:.0f} MiB"   # decoding one would cost ~1.9 GB
    assert again.ok and again.prediction() is not None, (again.status, again.errors)
