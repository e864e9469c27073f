"""AppTest of the training page: a short job end to end, Stop, bad learning rates, reconnecting."""

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cnnviz import checkpoints

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "training.py")


@pytest.fixture
def env(monkeypatch, tmp_path):
    monkeypatch.setenv("CNNVIZ_TRAIN_LIMIT", "300")  # the page's default "training examples"
    monkeypatch.setenv("CNNVIZ_TEST_LIMIT", "200")
    monkeypatch.setenv("CNNVIZ_USER_CHECKPOINTS", str(tmp_path / "user"))
    return tmp_path


def page(**query) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def start(at: AppTest, arch: str, epochs: int = 1, lr: str | None = None, limit: int | None = None):
    at.selectbox(key="train_arch").set_value(arch).run()
    at.number_input(key=f"train_epochs_{arch}").set_value(epochs)
    if lr is not None:
        at.text_input(key=f"train_lr_{arch}").set_value(lr)
    if limit is not None:
        at.number_input(key="train_limit").set_value(limit)
    at.button(key="FormSubmitter:train_form-▶ Start training").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def poll(at: AppTest, until, timeout=120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        if until(at):
            return at
        time.sleep(0.3)
    raise AssertionError("timed out; page says: " + repr([m.value for m in at.markdown][-5:]))


def texts(elements):
    return " ".join(str(e.value) for e in elements)


def test_short_job_shows_charts_final_accuracy_and_saves(env):
    at = page()
    assert "Conv2d" in at.dataframe[0].value["type"].tolist()  # the torchinfo layer table
    start(at, "simple_cnn")
    poll(at, lambda a: "Finished 1 epoch" in texts(a.success))
    charts = at.get("plotly_chart")
    assert len(charts) >= 4  # loss, accuracy, confusion matrix, per-class (+ gallery, compare)
    metrics = {m.label: m.value for m in at.metric}
    acc = float(metrics["Test accuracy"].rstrip("%")) / 100
    assert 0.0 < acc <= 1.0
    assert "test accuracy" in texts(at.success)
    # save under a name; it lands in the user checkpoint folder with the same accuracy
    name_box = next(t for t in at.text_input if t.key.startswith("name_"))
    name_box.set_value("my simple cnn")
    # the race this once lost to: the run that first showed the result may have started while the job was
    # still running, so the live view still counts it as running; on the click's run it notices the end,
    # and must not rerun the page (that would drop the click) when the page already shows the result
    at.session_state["train_seen_active"] = {at.session_state["train_selected"]}
    next(b for b in at.button if "Save checkpoint" in str(b.label)).click().run()
    assert "Saved as **my-simple-cnn**" in texts(at.success)
    _, meta = checkpoints.load_checkpoint(env / "user" / "my-simple-cnn.safetensors")
    assert meta.arch == "simple_cnn" and meta.test_acc == pytest.approx(acc, abs=5e-5)
    # a reloaded tab (new session) with the owner in the URL reconnects to the same runs
    owner = at.query_params["owner"]
    owner = owner[0] if isinstance(owner, list) else owner
    again = page(owner=owner)
    assert "Finished 1 epoch" in texts(again.success)
    assert len(again.get("plotly_chart")) >= 4


def test_stop_keeps_weights_and_charts(env):
    at = page()
    start(at, "lenet5", epochs=5, limit=4000)

    def training(a):
        bars = [p.proto.text for p in a.get("progress")]
        return any(b.key and b.key.startswith("stop_") for b in a.button) and bars and "step 0/" not in bars[0]

    poll(at, training)
    next(b for b in at.button if b.key and b.key.startswith("stop_")).click().run()
    poll(at, lambda a: "stopped by the user" in texts(a.warning).lower())
    assert "weights and the charts so far are kept" in texts(at.warning)
    assert len(at.get("plotly_chart")) >= 4
    assert any("Download" in str(b.proto.label) for b in at.get("download_button"))


@pytest.mark.parametrize("lr", ["nan", "0", "-0.01", "abc"])
def test_bad_learning_rate_is_rejected(env, lr):
    at = page()
    before = len(at.selectbox(key="train_selected").options) if any(
        s.key == "train_selected" for s in at.selectbox) else 0
    start(at, "mlp", lr=lr)
    assert at.error, "expected an error message"
    msg = texts(at.error)
    assert "learning rate" in msg.lower() or "Learning rate" in msg
    after = len(at.selectbox(key="train_selected").options) if any(
        s.key == "train_selected" for s in at.selectbox) else 0
    assert after == before  # nothing was started
