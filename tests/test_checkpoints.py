"""Checkpoints: round trip, atomic writes, every kind of bad file, and the shipped weights' accuracy."""

import json
import os
import struct

import pytest
import torch

from cnnviz import checkpoints as C
from cnnviz import data, models
from cnnviz.training import evaluate


def meta(arch="lenet5", **kw):
    return C.CheckpointMeta(arch=arch, dataset="embedded", test_acc=0.9, epochs=2, **kw)


@pytest.fixture
def saved(tmp_path):
    torch.manual_seed(0)
    model = models.build("lenet5")
    path = C.save_checkpoint(tmp_path / "net", model, meta(optimizer="adam", lr=1e-3))
    return model, path


def test_round_trip(saved):
    model, path = saved
    assert path.name == "net.safetensors" and oct(path.stat().st_mode & 0o777) != "0o600"
    loaded, m = C.load_checkpoint(path)
    for (k, a), b in zip(model.state_dict().items(), loaded.state_dict().values()):
        assert torch.equal(a, b), k
    assert (m.arch, m.dataset, m.test_acc, m.epochs, m.optimizer, m.lr) == ("lenet5", "embedded", 0.9, 2, "adam", 1e-3)
    assert m.mean == data.MNIST_MEAN and m.std == data.MNIST_STD and m.date
    assert not loaded.training
    assert C.read_meta(path) == m


def test_every_architecture_round_trips(tmp_path):
    for arch in models.names():
        model = models.build(arch)
        loaded, m = C.from_bytes(C.to_bytes(model, meta(arch)))
        assert m.arch == arch
        x = torch.randn(2, 1, 28, 28)
        torch.testing.assert_close(model.eval()(x), loaded(x))


def test_atomic_write_keeps_the_old_file_when_writing_fails(saved, monkeypatch):
    _, path = saved
    before = path.read_bytes()

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        C.save_checkpoint(path, models.build("lenet5"), meta())
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left behind


def expect_error(blob, match, tmp_path, name="bad.safetensors"):
    p = tmp_path / name
    p.write_bytes(blob)
    with pytest.raises(C.CheckpointError, match=match) as exc:
        C.load_checkpoint(p)
    assert name.split(".")[0] in str(exc.value)
    return exc.value


def test_empty_and_truncated_files(saved, tmp_path):
    _, path = saved
    blob = path.read_bytes()
    expect_error(b"", "empty or truncated", tmp_path)
    expect_error(blob[:5], "empty or truncated", tmp_path)
    for cut in (100, len(blob) // 2, len(blob) - 1):
        expect_error(blob[:cut], "truncated", tmp_path)


def test_garbage_and_foreign_files(tmp_path):
    expect_error(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "not a safetensors", tmp_path)
    expect_error(os.urandom(4096), "safetensors|corrupt|truncated", tmp_path)
    # a pickle (torch.save) is never unpickled
    p = tmp_path / "pickled.pt"
    torch.save(models.build("lenet5").state_dict(), p)
    expect_error(p.read_bytes(), "safetensors|corrupt|truncated", tmp_path, "pickled.safetensors")


def test_header_claiming_a_huge_length(tmp_path):
    expect_error(struct.pack("<Q", 2**40) + b"{}", "truncated or not", tmp_path)


def test_oversized_file(saved, monkeypatch):
    _, path = saved
    monkeypatch.setattr(C, "MAX_BYTES", 1000)
    with pytest.raises(C.CheckpointError, match="over the"):
        C.load_checkpoint(path)
    with pytest.raises(C.CheckpointError, match="over the"):
        C.from_bytes(path.read_bytes())


def test_missing_metadata(tmp_path):
    from safetensors.torch import save

    expect_error(save({"w": torch.zeros(2)}), "no cnnviz metadata", tmp_path)


def _with_meta(state, header_meta):
    from safetensors.torch import save

    return save({k: v.contiguous() for k, v in state.items()}, metadata={"cnnviz": json.dumps(header_meta)})


def test_mismatched_architecture(tmp_path):
    blob = _with_meta(models.build("mlp").state_dict(), {"arch": "lenet5"})
    expect_error(blob, "do not match the lenet5", tmp_path)


def test_wrong_shape_and_unknown_arch(tmp_path):
    state = models.build("lenet5").state_dict()
    state["c1.weight"] = torch.zeros(6, 1, 3, 3)
    expect_error(_with_meta(state, {"arch": "lenet5"}), r"c1.weight: shape \(6, 1, 3, 3\)", tmp_path)
    expect_error(_with_meta(models.build("lenet5").state_dict(), {"arch": "vgg"}), "unknown architecture", tmp_path)


def test_nan_weights(tmp_path):
    state = models.build("lenet5").state_dict()
    state["f6.bias"][3] = float("nan")
    expect_error(_with_meta(state, {"arch": "lenet5"}), "NaN or infinite", tmp_path)


def test_bad_normalization_metadata(tmp_path):
    expect_error(_with_meta(models.build("lenet5").state_dict(), {"arch": "lenet5", "std": 0}), "std", tmp_path)


def test_save_rejects_a_model_of_another_architecture(tmp_path):
    with pytest.raises(C.CheckpointError, match="do not match"):
        C.save_checkpoint(tmp_path / "x", models.build("mlp"), meta("lenet5"))
    assert not list(tmp_path.iterdir())


def test_listing_reports_bad_files_and_keeps_the_good_ones(saved, tmp_path):
    (tmp_path / "broken.safetensors").write_bytes(b"nope")
    infos = {i.name: i for i in C.list_checkpoints(tmp_path)}
    assert infos["net"].meta.arch == "lenet5" and not infos["net"].error
    assert infos["broken"].meta is None and "broken" in infos["broken"].error


def test_safe_name():
    assert C.safe_name("../../etc/passwd") == "etc-passwd"
    assert C.safe_name("LeNet 5 (aug)") == "LeNet-5-aug"
    with pytest.raises(C.CheckpointError):
        C.safe_name("///")


MIN_ACC = {"mlp": 0.95}


@pytest.mark.parametrize("arch", models.names())
def test_shipped_checkpoint_accuracy_on_the_embedded_test_split(arch):
    """Each shipped checkpoint, on the 2,000 real test digits: >= 97 % (the MLP >= 95 %)."""
    model, m = C.load_checkpoint(C.shipped_path(arch))
    split = data.load_embedded()
    acc, _ = evaluate(model, split.test_x, split.test_y, m.mean, m.std)
    assert m.arch == arch and m.dataset == "embedded"
    assert acc >= MIN_ACC.get(arch, 0.97)
    assert acc == pytest.approx(m.test_acc, abs=1e-3)  # the recorded accuracy is the real one
