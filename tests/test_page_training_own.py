"""AppTest of the training page's own choices: "Design your own" (the designer, a shape error that blocks
Start, a fixed design that trains, the ReLU/sigmoid pair in "Compare runs") and a dataset made on the
"Your data" page (listed with its class count, trained, its class names in the results and the checkpoint)."""

import json
import time
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from cnnviz import checkpoints, drawing, models, userdata
from cnnviz import spec as S
from ui.i18n import LANG_KEY

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "training.py")
SHAPES = {"circle": None, "bar": [(13, 4, 15, 24)], "x*cross*": [(13, 4, 15, 24), (4, 13, 24, 15)]}
TINY = "conv 4 5 pad=2\nrelu\nmaxpool 2\nflatten\n"
BAD = "conv 8 5\n" + "maxpool 2\n" * 5 + "flatten\n"   # the 5th pooling meets a 1×1 map


@pytest.fixture
def env(monkeypatch, tmp_path):
    monkeypatch.setenv("CNNVIZ_TRAIN_LIMIT", "300")
    monkeypatch.setenv("CNNVIZ_TEST_LIMIT", "200")
    monkeypatch.setenv("CNNVIZ_USER_CHECKPOINTS", str(tmp_path / "ckpt"))
    monkeypatch.setenv("CNNVIZ_USER_DATA", str(tmp_path / "data"))
    return tmp_path


def shapes(rng: np.random.Generator, boxes, n: int) -> list[np.ndarray]:
    """``n`` canvas-like drawings (280×280 RGBA) of a ring (``boxes`` None) or of filled boxes, jittered."""
    out = []
    for _ in range(n):
        dy, dx = rng.integers(-2, 3, 2)
        img = np.zeros((28, 28), np.uint8)
        if boxes is None:
            yy, xx = np.mgrid[0:28, 0:28]
            img[np.abs(np.hypot(yy - 14 - dy, xx - 14 - dx) - 7) < 1.5] = 255
        for y0, x0, y1, x1 in boxes or ():
            img[max(0, y0 + dy):y1 + dy, max(0, x0 + dx):x1 + dx] = 255
        out.append(drawing.render_digit(img))
    return out


def page(lang: str = "en") -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state[LANG_KEY] = lang
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(elements) -> str:
    return " ".join(str(e.value) for e in elements)


def start_button(at: AppTest):
    return next(b for b in at.button if b.key and b.key.startswith("FormSubmitter:train_form-"))


def design(at: AppTest, text: str) -> AppTest:
    at.selectbox(key="train_arch").set_value(models.CUSTOM).run()
    at.text_area(key="design_text").set_value(text).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def start(at: AppTest, epochs: int = 1) -> AppTest:
    at.number_input(key=f"train_epochs_{at.selectbox(key='train_arch').value}").set_value(epochs)
    start_button(at).click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def poll(at: AppTest, until, timeout=180.0) -> AppTest:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        if until(at):
            return at
        time.sleep(0.3)
    raise AssertionError("timed out; page says: " + repr([m.value for m in at.markdown][-5:] +
                                                        [e.value for e in at.error]))


def test_design_your_own_shows_the_designer(env):
    at = page()
    assert "✏️ Design your own" in at.selectbox(key="train_arch").options   # next to the registry's eight
    at.selectbox(key="train_arch").set_value(models.CUSTOM).run()
    assert not at.exception
    editor = at.text_area(key="design_text")
    assert S.parse_text(editor.value) == S.normalize_spec(S.EXAMPLES["lenet5_like"])
    table = at.dataframe[0].value
    assert list(table["output shape"])[-1] == "10"                 # torchinfo's rows end in the 10 classes
    assert not start_button(at).disabled


def test_a_shape_error_is_named_and_blocks_start(env):
    at = design(page(), BAD)
    with pytest.raises(S.SpecError) as expected:
        S.check_spec(S.parse_text(BAD))
    assert expected.value.key == "spec.error.window_too_big"
    errors = texts(at.error)
    assert "Fix the network above first: Layer 6 (maxpool): a 2×2 window does not fit on a 1×1 map" in errors
    assert start_button(at).disabled
    # fixed: the message goes and Start is back
    at.text_area(key="design_text").set_value(TINY).run()
    assert not at.error and not start_button(at).disabled


def test_a_shape_error_reads_in_chinese(env):
    at = design(page("zh"), BAD)
    assert "请先修正上面的网络" in texts(at.error) and start_button(at).disabled


@pytest.mark.slow
def test_designs_train_and_compare(env):
    """The ReLU and sigmoid networks of seed 001, trained one epoch each, side by side in "Compare runs"."""
    at = page()
    for example in ("seed001_relu", "seed001_sigmoid"):
        design(at, S.spec_to_text(S.EXAMPLES[example]))
        start(at)
        poll(at, lambda a: "Finished 1 epoch" in texts(a.success))
    labels = at.multiselect(key="train_compare").options
    assert any("Your design (ReLU" in x for x in labels) and any("Your design (sigmoid" in x for x in labels)
    assert len(at.multiselect(key="train_compare").value) == 2
    table = at.dataframe[-1].value
    assert len(table) == 2 and table["test accuracy"].notna().all()
    # the run's result and its checkpoint carry the spec
    next(t for t in at.text_input if t.key.startswith("name_")).set_value("sigmoid net")
    next(b for b in at.button if "Save checkpoint" in str(b.label)).click().run()
    model, meta = checkpoints.load_checkpoint(env / "ckpt" / "sigmoid-net.safetensors")
    assert meta.arch == models.CUSTOM and meta.spec is not None
    assert [layer["kind"] for layer in meta.spec].count("sigmoid") == 2


@pytest.fixture
def fresh_jobs(env):
    """A job manager started now: its idle worker (started ahead for a fast Start) sees this test's
    CNNVIZ_USER_DATA, as a server's workers see the server's."""
    from ui.training import job_manager

    job_manager().close()
    job_manager.clear()
    yield
    job_manager().close()
    job_manager.clear()


@pytest.fixture
def shapes_data(env, fresh_jobs):
    rng = np.random.default_rng(0)
    ds = userdata.dataset_from_images({name: shapes(rng, boxes, 20) for name, boxes in SHAPES.items()}, "shapes")
    userdata.save_dataset(ds, "shapes")
    return ds


@pytest.mark.slow
def test_a_user_dataset_is_listed_trains_and_names_its_classes(shapes_data, env):
    at = page()
    box = at.selectbox(key="train_dataset")
    assert box.options[-1] == "Your data: shapes (3 classes)"
    box.set_value("user:shapes").run()
    # the designer follows the dataset: 3 outputs
    design(at, TINY)
    assert list(at.dataframe[0].value["output shape"])[-1] == "3"
    at.selectbox(key="train_arch").set_value("lenet5").run()
    start(at, epochs=2)
    poll(at, lambda a: "Finished 2 epoch" in texts(a.success))
    assert "your data shapes" in texts(at.markdown)                       # the run's head line
    cm = next(c for c in at.get("plotly_chart") if "Confusion matrix" in c.proto.spec)
    fig = json.loads(cm.proto.spec)
    ticks = fig["layout"]["xaxis"].get("ticktext") or fig["data"][0].get("x")
    assert list(ticks) == ["circle", "bar", "x*cross*"]                # the dataset's names, as plain text
    assert "x*cross*" not in texts(at.markdown).replace("x\\*cross\\*", "")   # escaped wherever it is markdown
    next(t for t in at.text_input if t.key.startswith("name_")).set_value("shapes net")
    next(b for b in at.button if "Save checkpoint" in str(b.label)).click().run()
    _, meta = checkpoints.load_checkpoint(env / "ckpt" / "shapes-net.safetensors")
    assert meta.classes == ["circle", "bar", "x*cross*"] and meta.arch == "lenet5"
