"""The load tool's protocol code (benchmarks/load.py) against a real server: one session opens the
feature-map page over Streamlit's websocket, finds the canvas, sends one drawing and gets a prediction.
No timing is asserted; the load figures come from running the tool (benchmarks/LOAD_RESULTS.md)."""

import asyncio
import sys
from pathlib import Path

import pytest

from cnnviz import checkpoints

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests"))

pytest.importorskip("websockets", reason="websockets is not installed (it comes with streamlit)")
pytestmark = pytest.mark.skipif(not checkpoints.shipped_path("lenet5").is_file(),
                                reason="the shipped LeNet-5 checkpoint does not exist")

import load  # noqa: E402
from browser_support import start_server  # noqa: E402


def test_one_drawing_round_trip(tmp_path):
    async def session(url):
        s = load.Session(url, load.FEATURE_PAGE, timeout=90)
        await s.connect()
        try:
            first = await s.run()
            canvas = s.widget_id("bidi_component", lambda b: load.CANVAS_COMPONENT in b.component_name)
            value, label = load.Drawings(seed=1).make(index=0)
            second = await s.run([(canvas, "json_value", value)]) if canvas else None
            return first, canvas, second, label, s.page_hash
        finally:
            await s.close()

    env = {"CNNVIZ_USER_CHECKPOINTS": str(tmp_path / "user")}
    with start_server(env=env, log_dir=tmp_path) as server:
        sampler = load.GroupSampler(server.pid)
        first, canvas, second, label, page_hash = asyncio.run(session(server.url))
        sample = sampler._read()
        log = server.log_tail()

    assert first.ok, (first.status, first.errors, log)
    assert page_hash, "the feature-map page's hash was not announced"
    assert canvas, f"no canvas element on the page: {sorted(first.elements)}"
    assert first.prediction() is None          # nothing drawn yet
    assert second.ok, (second.status, second.errors, log)
    pred = second.prediction()
    assert pred is not None and 0 <= pred <= 9, second.markdown
    assert second.elements.get("plotly_chart", 0) + second.elements.get("imgs", 0) > 0
    assert 0 <= label <= 9
    assert sample["rss_server"] > 0 and server.pid in sample["ticks"]


def test_percentiles_and_training_states():
    assert load.pct([1, 2, 3, 4], 50) == 2.5
    assert load.pct([5.0], 95) == 5.0
    queued = load.RunResult(alerts=[(3, "⏳ Waiting in the queue: position **2**. This server trains at most 1 "
                                        "model(s) at a time; 1 running now.")])
    assert load.training_state(queued) == "queued #2"
    assert load.training_state(load.RunResult(progress=["Epoch 1/10 · step 3/320"])) == "running"
    done = load.RunResult(alerts=[(4, "Finished 10 epoch(s)")], progress=["Epoch 10/10"])
    assert load.training_state(done) == "done"
    events = [(0, 0, "running"), (1, 1, "queued #1"), (2, 0, "done"), (2.1, 1, "running")]
    assert load.max_running(events) == 1
