"""AppTest of the training page: a short job end to end, Stop, bad settings, the owner token, and every
refusal and failure in Chinese."""

import os
import re
import signal
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cnnviz import checkpoints, data
from ui.i18n import LANG_KEY

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "training.py")


@pytest.fixture
def env(monkeypatch, tmp_path):
    monkeypatch.setenv("CNNVIZ_TRAIN_LIMIT", "300")  # the page's default "training examples"
    monkeypatch.setenv("CNNVIZ_TEST_LIMIT", "200")
    monkeypatch.setenv("CNNVIZ_USER_CHECKPOINTS", str(tmp_path / "user"))
    return tmp_path


def page(lang: str = "en", **query) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state[LANG_KEY] = lang
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def start(at: AppTest, arch: str, epochs: int = 1, lr: str | None = None, limit: int | None = None,
          dataset: str = "embedded"):
    at.selectbox(key="train_arch").set_value(arch).run()
    at.selectbox(key="train_dataset").set_value(dataset)
    at.number_input(key=f"train_epochs_{arch}").set_value(epochs)
    if lr is not None:
        at.text_input(key=f"train_lr_{arch}").set_value(lr)
    if limit is not None:
        at.number_input(key="train_limit").set_value(limit)
    next(b for b in at.button if b.key and b.key.startswith("FormSubmitter:train_form-")).click().run()
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


@pytest.mark.slow
def test_short_job_shows_charts_final_accuracy_and_saves(env):
    at = page()
    assert "Conv2d" in at.dataframe[0].value["type"].tolist()  # the torchinfo layer table
    assert "owner" not in at.query_params  # the owner token never travels in the URL
    start(at, "simple_cnn")
    poll(at, lambda a: "Finished 1 epoch" in texts(a.success))
    charts = at.get("plotly_chart")
    assert len(charts) >= 4  # loss, accuracy, confusion matrix, per-class (+ gallery, compare)
    metrics = {m.label: m.value for m in at.metric}
    acc = float(metrics["Test accuracy"].rstrip("%")) / 100
    assert 0.0 < acc <= 1.0
    assert "test accuracy" in texts(at.success)
    # the overfitting mark: the gap between training and test accuracy, with its numbers
    gap = re.search(r"training accuracy \*\*([\d.]+)%\*\*, test accuracy \*\*([\d.]+)%\*\*: a gap of \*\*(-?[\d.]+) "
                    r"percentage points", texts(at.caption))
    assert gap, texts(at.caption)
    assert float(gap[2]) == pytest.approx(acc * 100, abs=0.051)          # the final test accuracy
    assert float(gap[3]) == pytest.approx(float(gap[1]) - float(gap[2]), abs=0.11)
    assert "300 digits / batch 64 = 5 steps per epoch" in texts(at.caption)  # simple_cnn, CNNVIZ_TRAIN_LIMIT
    # save under a name: one click, handled by the button's callback, so no rerun can lose it
    name_box = next(t for t in at.text_input if t.key.startswith("name_"))
    name_box.set_value("my simple cnn")
    next(b for b in at.button if "Save checkpoint" in str(b.label)).click().run()
    saved = texts(at.success)
    assert "Saved as **my\\-simple\\-cnn**" in saved and str(env) not in saved  # no server path is shown
    _, meta = checkpoints.load_checkpoint(env / "user" / "my-simple-cnn.safetensors")
    assert meta.arch == "simple_cnn" and meta.test_acc == pytest.approx(acc, abs=5e-5)
    # the same name again (overwrite unticked) is refused; ticked, it replaces this user's own file
    next(b for b in at.button if "Save checkpoint" in str(b.label)).click().run()
    assert "already exists" in texts(at.error)
    next(c for c in at.checkbox if c.key.startswith("overwrite_")).check()
    next(b for b in at.button if "Save checkpoint" in str(b.label)).click().run()
    assert "Saved as **my\\-simple\\-cnn**" in texts(at.success)
    # a link with someone's owner token gives no control over their runs
    owner = at.session_state["cnnviz_owner"]
    stranger = page(owner=owner)
    assert "No runs yet" in texts(stranger.info)
    assert not any(b.key and b.key.startswith("stop_") for b in stranger.button)


@pytest.mark.slow
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
    start(at, "mlp", lr=lr)
    assert at.error, "expected an error message"
    assert "learning rate" in texts(at.error).lower()
    assert "No runs yet" in texts(at.info)  # nothing was started


# ----------------------------------------------------------------------------- every refusal and failure in Chinese

ENGLISH_SENTENCE = re.compile(r"[A-Za-z]{2,}(?:[ ,;:'()-]+[A-Za-z]{2,}){2,}")


def english_sentences(at: AppTest) -> list[str]:
    """Alerts, captions and toasts that contain three English words in a row (code spans aside)."""
    found = []
    for kind in ("error", "warning", "info", "success", "caption", "toast", "exception"):
        for element in at.get(kind):
            text = re.sub(r"`[^`]*`", "", str(getattr(element, "value", "")))
            if ENGLISH_SENTENCE.search(text):
                found.append(f"{kind}: {text}")
    return found


def owner_jobs(at: AppTest):
    from ui.training import job_manager  # the server-wide manager the page uses (cached per process)

    return job_manager(), job_manager().jobs_for(at.session_state["cnnviz_owner"])


@pytest.mark.slow
def test_every_refusal_and_failure_reads_in_chinese(env):
    at = page("zh")
    for bad in ("abc", "0", "1e999"):   # bad settings: refused before anything starts
        start(at, "mlp", lr=bad)
        assert at.error and not english_sentences(at), english_sentences(at)
    if not data.available_datasets().get("fashion-mnist"):
        start(at, "mlp", lr="0.001", dataset="fashion-mnist")
        assert "apt-get install dataset-fashion-mnist" in texts(at.error) and not english_sentences(at)
    # a diverged run (the Chinese help text invites lr 1e6)
    start(at, "mlp", lr="1e6")
    poll(at, lambda a: "发散" in texts(a.error))
    assert not english_sentences(at), english_sentences(at)
    # two long runs, then a third: over the per-person cap
    start(at, "lenet5", epochs=5, limit=4000, lr="0.001")
    start(at, "lenet5", epochs=5, limit=4000)
    start(at, "mlp", lr="0.001")
    assert "最多允许" in texts(at.error) and not english_sentences(at), english_sentences(at)
    mgr, jobs = owner_jobs(at)
    running, queued = [j for j in jobs if j.active]
    poll(at, lambda a: mgr.get(running.id).steps)
    # a failed worker (killed as the out-of-memory killer would) ...
    os.kill(mgr.get(running.id).pid, signal.SIGKILL)
    mgr.wait(running.id, timeout=60)
    at.session_state["train_selected"] = running.id
    poll(at, lambda a: "崩溃" in texts(a.error))
    assert "SIGKILL" in texts(at.error) and not english_sentences(at), english_sentences(at)
    # ... and a stopped one
    poll(at, lambda a: mgr.get(queued.id).steps)
    mgr.stop(queued.id)
    mgr.wait(queued.id, timeout=120)
    at.session_state["train_selected"] = queued.id
    poll(at, lambda a: "停止" in texts(a.warning))
    assert not english_sentences(at), english_sentences(at)
    assert "内置 MNIST" in texts(at.caption)   # the data note


def test_overfitting_demo_and_the_numbers_of_batch_epoch_and_step(env, monkeypatch):
    monkeypatch.setenv("CNNVIZ_TRAIN_LIMIT", "0")          # all 8,000 embedded training digits
    at = page()
    assert "**8,000 digits / batch 64 = 125 steps per epoch**; × 10 epochs = **1,250 steps**" in texts(at.caption)
    assert "8,000 training digits / batch 64 = 125 steps per epoch" in at.number_input(key="train_bs_lenet5").help
    assert "= 125 steps of batch 64. 10 epochs = 1,250 steps" in at.number_input(key="train_epochs_lenet5").help
    assert "inputs of the fully connected layers" in at.number_input(key="train_dropout").help
    at.button(key="train_overfit_demo").click().run()
    assert not at.exception
    assert at.number_input(key="train_limit").value == 300 and at.number_input(key="train_epochs_lenet5").value == 40
    assert at.checkbox(key="train_augment").value is False and at.number_input(key="train_dropout").value == 0.0
    assert "300 training digits, 40 epochs, no augmentation, no dropout" in texts(at.info)
    assert "**300 digits / batch 64 = 5 steps per epoch**; × 40 epochs = **200 steps**" in texts(at.caption)
    at.run()   # the note is shown once, the setting stays
    assert "no augmentation, no dropout" not in texts(at.info) and at.number_input(key="train_limit").value == 300
    # a run with dropout: the setting reaches the trainer and shows in the run's head
    at.number_input(key="train_dropout").set_value(0.5)
    at.number_input(key="train_epochs_lenet5").set_value(1)
    next(b for b in at.button if b.key and b.key.startswith("FormSubmitter:train_form-")).click().run()
    assert not at.exception and "dropout 0.5" in texts(at.markdown)
    mgr, jobs = owner_jobs(at)
    assert jobs[-1].config.dropout == 0.5 and jobs[-1].config.train_limit == 300 and not jobs[-1].config.augment
    mgr.stop(jobs[-1].id)
    # in Chinese (a new session: all 8,000 digits again), with the numbers
    zh = page("zh")
    assert "8,000 个数字 / 批大小 64 = 每轮 125 步" in texts(zh.caption)
