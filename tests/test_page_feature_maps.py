"""AppTest for the feature-map page: a pre-filled canvas through session state, test digits, model switching,
comparison, an unreadable checkpoint."""

import base64
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from cnnviz import checkpoints, data, drawing

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "feature_maps.py")
pytestmark = pytest.mark.skipif(not checkpoints.list_checkpoints(),
                                reason="no shipped checkpoints in checkpoints/ yet")


def canvas_state(rgba: np.ndarray) -> dict:
    """What streamlit-drawable-canvas keeps in session state after a drawing: the PNG as a data URL."""
    buf = io.BytesIO()
    Image.fromarray(rgba).save(buf, format="PNG")
    url = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    return {"drawing": {"raw": {"objects": [{"type": "path"}]}, "data": url}, "backgroundFit": None}


def prediction(at: AppTest) -> str | None:
    for m in at.markdown:
        for head in ("**Prediction: ", "**预测："):
            if m.value.startswith(head):
                return m.value.split("**")[1].removeprefix(head[2:])
    return None


def model_option(at: AppTest, name: str, key: str = "fm_model_a") -> str:
    """The option value of a shipped checkpoint (the label shows its architecture, name and accuracy)."""
    assert any(f"· {name} " in o or o.endswith(f"· {name}") for o in at.selectbox(key=key).options)
    return f"shipped:{name}"


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNVIZ_USER_CHECKPOINTS", str(tmp_path))
    return AppTest.from_file(PAGE, default_timeout=120)


def test_empty_canvas_prompts_without_error(app):
    app.run()
    assert not app.exception
    assert any("Draw a digit" in i.value for i in app.info)
    assert prediction(app) is None and not app.error


def test_drawn_digit_through_session_state_and_model_switching(app):
    ds = data.load_embedded()
    idx = int(np.flatnonzero(ds.test_y.numpy() == 7)[0])
    app.session_state["fm_canvas_0"] = canvas_state(drawing.render_digit(ds.test_x[idx].numpy(), height=190))
    app.run()
    assert not app.exception and not app.error
    assert prediction(app) == "7"
    names = [i.name for i in checkpoints.list_checkpoints() if i.meta]
    for name in [n for n in ("inception", "resnet", "densenet", "mlp") if n in names]:
        app.selectbox(key="fm_model_a").set_value(model_option(app, name)).run()
        assert not app.exception and not app.error, name
        assert prediction(app) == "7", name
    app.radio(key="fm_scale").set_value("global").run()
    app.selectbox(key="fm_method").set_value("gradcam").run()
    assert not app.exception and not app.error
    # clear: a new, empty canvas
    app.button(key="fm_clear").click().run()
    assert not app.exception and prediction(app) is None


def test_test_digit_input_and_class_choice(app):
    app.run()
    app.segmented_control(key="fm_mode").set_value("digit").run()
    assert not app.exception and prediction(app) is not None
    app.selectbox(key="fm_digit_class").set_value("3").run()
    assert not app.exception
    assert any("a real MNIST 3" in c.value for c in app.caption)
    app.button(key="fm_new_digit").click().run()
    assert not app.exception and any("a real MNIST 3" in c.value for c in app.caption)
    assert prediction(app) is not None


def test_compare_two_architectures_and_unreadable_checkpoint(app, tmp_path):
    (tmp_path / "broken.safetensors").write_bytes(b"\x00" * 20)
    ds = data.load_embedded()
    idx = int(np.flatnonzero(ds.test_y.numpy() == 2)[0])
    app.session_state["fm_canvas_0"] = canvas_state(drawing.render_digit(ds.test_x[idx].numpy(), height=200))
    app.run()
    app.toggle(key="fm_compare").set_value(True).run()
    assert not app.exception
    assert any("broken" in o and "unreadable" in o for o in app.selectbox(key="fm_model_b").options)
    app.selectbox(key="fm_model_b").set_value("user:broken").run()
    assert not app.exception
    assert any("broken" in e.value and "cannot" in e.value for e in app.error)
    assert prediction(app) is not None                  # the first model still works
    names = [i.name for i in checkpoints.list_checkpoints() if i.meta]
    if "resnet" in names:
        app.selectbox(key="fm_model_b").set_value(model_option(app, "resnet", "fm_model_b")).run()
        assert not app.exception and not app.error
        assert sum(m.value.startswith("Prediction: **") for m in app.markdown) == 2
