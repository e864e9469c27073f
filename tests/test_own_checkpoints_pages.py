"""Checkpoints of a designed network and of a 3-class user dataset, as the training page saves them, open on
the kernels page (the learned kernels of their first convolution) and on the feature-map page (the
prediction and the probabilities named by the dataset's classes, every layer)."""

import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from cnnviz import checkpoints, data, drawing, featuremaps, models
from cnnviz import spec as S
from tests.test_pages_kernels_pooling import _array

ROOT = Path(__file__).resolve().parents[1]
CLASSES = ["circle", "bar", "x*cross*"]
DESIGN = [{"kind": "conv", "out": 5, "kernel": 3, "padding": 1}, {"kind": "tanh"}, {"kind": "maxpool", "kernel": 2},
          {"kind": "conv", "out": 8, "kernel": 3}, {"kind": "relu"}, {"kind": "flatten"}]


@pytest.fixture
def saved(tmp_path, monkeypatch):
    """Two checkpoints in the users' folder: ``designed`` (a spec, 3 classes) and ``lenet3`` (LeNet-5, 3 classes)."""
    torch.manual_seed(3)
    models_ = {"designed": (S.from_spec(DESIGN, 3), models.CUSTOM, DESIGN),
               "lenet3": (models.build("lenet5", num_classes=3), "lenet5", None)}
    for name, (model, arch, spec) in models_.items():
        meta = checkpoints.CheckpointMeta(arch=arch, dataset="shapes", test_acc=0.9, epochs=1, classes=CLASSES,
                                          spec=spec, mean=0.2, std=0.35)
        checkpoints.save_checkpoint(tmp_path / f"{name}.safetensors", model.eval(), meta)
    monkeypatch.setenv("CNNVIZ_USER_CHECKPOINTS", str(tmp_path))
    return {name: m for name, (m, _, _) in models_.items()}


def saved_dir(name: str) -> Path:
    return Path(os.environ["CNNVIZ_USER_CHECKPOINTS"]) / f"{name}.safetensors"


def run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("name", ["designed", "lenet3"])
def test_learned_kernels_of_own_checkpoints(saved, name):
    at = run(AppTest.from_file(str(ROOT / "pages/kernels.py"), default_timeout=120))
    box = at.selectbox(key="kernels_ckpt")
    assert any(label.startswith(f"{name} · trained by you") for label in box.options), box.options
    box.set_value(f"user:{name}")
    run(at)
    assert not at.error
    conv1 = next(m for m in saved[name].modules() if isinstance(m, torch.nn.Conv2d))
    k = conv1.weight.shape
    assert f"**{k[0]} kernels of {k[2]}×{k[3]}**" in " ".join(m.value for m in at.markdown)
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    grid = next(c for c in charts if len(c["data"]) == k[0] and c["data"][0].get("type") == "heatmap")
    shown = np.stack([_array(tr["z"]) for tr in grid["data"]])
    np.testing.assert_allclose(shown, conv1.weight.detach().numpy()[:, 0], rtol=1e-6)


def canvas_state(rgba: np.ndarray) -> dict:
    import base64
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(rgba).save(buf, format="PNG")
    url = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    return {"drawing": {"raw": {"objects": [{"type": "path"}]}, "data": url}, "backgroundFit": None}


@pytest.mark.parametrize("name", ["designed", "lenet3"])
def test_feature_maps_of_own_checkpoints(saved, name):
    at = AppTest.from_file(str(ROOT / "pages/feature_maps.py"), default_timeout=120)
    digit = data.load_embedded().test_x[0].numpy()
    rgba = drawing.render_digit(digit, height=190)
    at.session_state["fm_canvas_0"] = canvas_state(rgba)
    run(at)
    box = at.selectbox(key="fm_model_a")
    label = next(o for o in box.options if f"· {name}" in o)
    assert "arch." not in label                                   # the architecture has a title
    box.set_value(f"user:{name}")
    run(at)
    assert not at.error, [e.value for e in at.error]
    model, meta = checkpoints.load_checkpoint(saved_dir(name))
    expected = featuremaps.analyze_canvas(model, meta, rgba)
    predicted = CLASSES[int(expected.pred)]
    text = " ".join(m.value for m in at.markdown)
    assert predicted.replace("*", "\\*") in text                  # the prediction by its class name, escaped
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    probs = next(c for c in charts if c["data"] and c["data"][0].get("type") == "bar"
                 and len(c["data"][0].get("x") or []) == 3)
    bar = probs["data"][0]
    names = [str(v) for v in (bar.get("y") if bar.get("orientation") == "h" else bar.get("x"))]
    assert names == CLASSES or [str(v) for v in bar["x"]] == CLASSES, bar
