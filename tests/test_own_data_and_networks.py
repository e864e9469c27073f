"""A user's own dataset and a designed network go the whole way: trained by the one trainer, saved as a
checkpoint that carries the class names and the spec, loaded back (also just its header, as the listing
does), and opened by the feature-map analysis and the drill-down."""

import numpy as np
import pytest
import torch

from cnnviz import checkpoints, data, drawing, explain, featuremaps, models, spec, userdata
from cnnviz.training import TrainConfig, TrainConfigError, train

SHAPES = {"circle": [(10, 10, 18, 18)], "bar": [(13, 4, 15, 24)], "cross": [(13, 4, 15, 24), (4, 13, 24, 15)]}


def drawings(rng: np.random.Generator, boxes, n: int) -> list[np.ndarray]:
    """``n`` canvas-like 280×280 RGBA drawings of a shape made of filled boxes (in 28×28 units), jittered."""
    out = []
    for _ in range(n):
        img = np.zeros((28, 28), np.uint8)
        dy, dx = rng.integers(-2, 3, 2)
        for y0, x0, y1, x1 in boxes:
            img[max(0, y0 + dy):y1 + dy, max(0, x0 + dx):x1 + dx] = 255
        if boxes is SHAPES["circle"]:
            yy, xx = np.mgrid[0:28, 0:28]
            ring = np.abs(np.hypot(yy - 14 - dy, xx - 14 - dx) - 7) < 1.5
            img = np.where(ring, 255, 0).astype(np.uint8)
        out.append(drawing.render_digit(img))
    return out


@pytest.fixture(scope="module")
def shapes_dataset(tmp_path_factory):
    folder = tmp_path_factory.mktemp("userdata")
    rng = np.random.default_rng(0)
    ds = userdata.dataset_from_images({name: drawings(rng, boxes, 20) for name, boxes in SHAPES.items()}, "shapes")
    mp = pytest.MonkeyPatch()
    mp.setenv("CNNVIZ_USER_DATA", str(folder))
    userdata.save_dataset(ds, "shapes")
    yield ds
    mp.undo()


DESIGN = [{"kind": "conv", "out": 6, "kernel": 5, "padding": 2}, {"kind": "relu"}, {"kind": "maxpool", "kernel": 2},
          {"kind": "conv", "out": 8, "kernel": 3}, {"kind": "batchnorm"}, {"kind": "relu"},
          {"kind": "avgpool", "kernel": 2}, {"kind": "flatten"}, {"kind": "dropout", "p": 0.2}]


@pytest.mark.slow
@pytest.mark.parametrize("arch, design", [("lenet5", None), (models.CUSTOM, DESIGN)])
def test_train_save_load_and_open(shapes_dataset, tmp_path, arch, design):
    loaded = data.load_dataset(data.USER_PREFIX + "shapes")
    assert loaded.classes == ["circle", "bar", "cross"]
    cfg = TrainConfig(arch=arch, spec=design, dataset=data.USER_PREFIX + "shapes", optimizer="adam", lr=3e-3,
                      epochs=4, batch_size=16).validate()
    result = train(cfg, data=loaded)
    assert result.status == "done" and result.model(torch.zeros(1, 1, 28, 28)).shape == (1, 3)
    meta = checkpoints.CheckpointMeta(arch=arch, dataset=loaded.name, test_acc=result.test_acc,
                                      classes=list(loaded.classes), spec=cfg.spec, mean=loaded.mean, std=loaded.std)
    path = checkpoints.save_checkpoint(tmp_path / "mine", result.model, meta)
    model, back = checkpoints.load_checkpoint(path)
    assert back.classes == ["circle", "bar", "cross"] and checkpoints.read_meta(path) == back
    assert (back.spec is None) == (design is None)
    x = loaded.test_x[:8]
    same = torch.equal(model(data.normalize(x, back.mean, back.std)).argmax(1),
                       result.model.eval()(data.normalize(x, back.mean, back.std)).argmax(1))
    assert same
    analysis = featuremaps.analyze(model, data.normalize(loaded.test_x[:1], back.mean, back.std))
    assert analysis.probs.shape[-1] == 3 and len(analysis.layers) >= 5
    for view in analysis.layers:                    # the drill-down opens every layer of it
        index = (0,) * len(view.shape)
        e = explain.explain_cell(model, analysis.x, view.name, index)
        assert e.total == pytest.approx(e.value, rel=1e-4, abs=1e-4)


def test_a_bad_design_is_refused_before_training():
    with pytest.raises(TrainConfigError) as err:
        TrainConfig(arch=models.CUSTOM, spec=[{"kind": "maxpool", "kernel": 64}]).validate()
    assert err.value.key == "train.error.spec" and isinstance(err.value.args_dict["reason"], object)
    assert "1" in str(err.value)                                           # names the layer


def test_a_checkpoint_with_a_hostile_spec_is_refused(tmp_path):
    model = spec.from_spec(DESIGN, 3)
    meta = checkpoints.CheckpointMeta(arch=models.CUSTOM, classes=["a", "b", "c"], spec=DESIGN)
    path = checkpoints.save_checkpoint(tmp_path / "ok", model, meta)
    assert checkpoints.load_checkpoint(path)[1].spec is not None
    for bad in ([{"kind": "conv", "out": 10**9, "kernel": 3}], "import os", [[[[[]]]]], None):
        blob = checkpoints.to_bytes(model, checkpoints.CheckpointMeta(arch=models.CUSTOM, classes=["a", "b", "c"],
                                                                      spec=bad))
        with pytest.raises(checkpoints.CheckpointError):
            checkpoints.from_bytes(blob)
