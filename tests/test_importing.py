"""Weight import: real state_dicts load, hostile pickles never run, every mismatch is explained."""

import io
import os
import pickle
import re

import pytest
import torch
import torch.nn.functional as F
from safetensors.torch import save as safetensors_save
from torch import nn

from cnnviz import data, importing, models
from cnnviz import spec as S
from cnnviz.importing import WeightsImportError


def digits(n: int = 32) -> torch.Tensor:
    return data.normalize(data.load_embedded().test_x[:n], data.MNIST_MEAN, data.MNIST_STD)


def saved(obj) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def refused(blob: bytes, filename: str = "w.pt", **target) -> WeightsImportError:
    target = target or {"arch": "lenet5"}
    with pytest.raises(WeightsImportError) as info:
        importing.load_weights(blob, filename, **target)
    err = info.value
    for text in (str(err), err.message.render("zh")):
        assert not re.search(r"\{[a-z_]+\}", text)
    return err


def same_logits(a: nn.Module, b: nn.Module) -> None:
    x = digits()
    with torch.no_grad():
        torch.testing.assert_close(a.eval()(x), b.eval()(x))


@pytest.mark.parametrize("arch", models.names())
def test_a_state_dict_saved_with_torch_save_loads(arch):
    torch.manual_seed(1)
    source = models.build(arch)
    loaded = importing.load_weights(saved(source.state_dict()), "trained.pth", arch=arch)
    same_logits(loaded, source)
    assert not loaded.training


def test_safetensors_wrappers_and_prefixes():
    source = models.build("resnet")
    state = source.state_dict()
    blobs = {
        "w.safetensors": safetensors_save({k: v.contiguous() for k, v in state.items()}),
        "a.pt": saved({"state_dict": state}),
        "b.pt": saved({"epoch": 3, "model_state_dict": state, "optimizer_state_dict": {"state": {}, "lr": 0.1}}),
        "c.pth": saved({f"module.{k}": v for k, v in state.items()}),
        "d.PTH": saved({"model": {f"_orig_mod.{k}": v for k, v in state.items()}}),
    }
    for name, blob in blobs.items():
        result = importing.import_weights(blob, name, arch="resnet")
        same_logits(result.model, source)
        assert not result.matched_by_order
    assert importing.import_weights(blobs["c.pth"], "c.pth", arch="resnet").prefix_removed == "module."


class Seed003Net(nn.Module):
    """The way a tutorial script writes SimpleCNN: its own names, pooling and ReLU as functions."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
        self.conv2 = nn.Conv2d(10, 20, kernel_size=5)
        self.fc = nn.Linear(320, 10)

    def forward(self, x):
        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        x = F.relu(F.max_pool2d(self.conv2(x), 2))
        return self.fc(x.view(-1, 320))


def test_weights_from_a_tutorial_script_with_other_names_load_by_order():
    torch.manual_seed(3)
    seed = Seed003Net()
    result = importing.import_weights(saved(seed.state_dict()), "mnist_cnn.pt", arch="simple_cnn")
    assert result.matched_by_order
    same_logits(result.model, seed)


def test_a_designed_network_takes_its_own_weights_and_float64():
    source = models.from_spec(S.EXAMPLES["small_resnet"], num_classes=4)
    state = {k: (v.double() if v.is_floating_point() else v) for k, v in source.state_dict().items()}
    loaded = importing.load_weights(saved(state), "mine.pt", spec=source.spec, num_classes=4)
    same_logits(loaded, source)
    assert all(p.dtype == torch.float32 for p in loaded.parameters())


class Evil:
    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (os.mkdir, (self.path,))


def test_a_pickle_with_code_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    state = dict(models.build("lenet5").state_dict())
    state["c1.weight"] = Evil(str(marker))   # type: ignore[assignment]
    err = refused(saved(state))
    assert err.key == "import.error.refused" and not marker.exists()
    err = refused(pickle.dumps(Evil(str(marker))))   # a bare pickle, not torch's zip format
    assert err.key in ("import.error.refused", "import.error.corrupt") and not marker.exists()
    pickle.loads(pickle.dumps(Evil(str(marker))))   # the reference: unpickling it without weights_only does run it
    assert marker.exists()


def test_wrong_shapes_missing_and_unexpected_keys_are_listed():
    err = refused(saved(models.build("lenet5").state_dict()), arch="lenet5", num_classes=3)
    assert err.key == "import.error.mismatch"
    assert err.shapes == [("output.weight", (3, 84), (10, 84)), ("output.bias", (3,), (10,))]
    assert not err.missing and not err.unexpected
    assert "output.weight (3×84 → 10×84)" in str(err) and "期望 → 实际" in err.message.render("zh")
    assert "the lenet5 architecture" in str(err)

    err = refused(saved(models.build("mlp").state_dict()), arch="lenet5")
    assert err.key == "import.error.mismatch"
    assert err.missing[:2] == ["c1.weight", "c1.bias"] and "1.weight" in err.unexpected
    assert "c1.weight" in str(err)

    state = models.build("lenet5").state_dict()
    del state["f6.bias"]
    err = refused(saved(state))
    assert err.missing == ["f6.bias"] and not err.unexpected and not err.shapes


def test_truncated_empty_and_not_weights():
    blob = saved(models.build("lenet5").state_dict())
    assert refused(blob[: len(blob) // 2]).key == "import.error.corrupt"
    st_blob = safetensors_save({k: v.contiguous() for k, v in models.build("lenet5").state_dict().items()})
    assert refused(st_blob[:-100], "w.safetensors").key == "import.error.corrupt"
    assert refused(b"", "w.pt").key == "import.error.corrupt"
    assert refused(b"\x00" * 100, "w.safetensors").key == "import.error.corrupt"
    assert refused(saved([1, 2, 3])).key == "import.error.not_state_dict"
    assert refused(saved(torch.zeros(3))).key == "import.error.not_state_dict"
    assert refused(saved({})).key == "import.error.not_state_dict"
    assert refused(blob, "model.onnx").key == "import.error.file_type"


def test_nan_weights_and_wrong_dtypes():
    state = models.build("lenet5").state_dict()
    state["c3.weight"][0, 0, 0, 0] = float("nan")
    state["f6.weight"][1, 1] = float("inf")
    err = refused(saved(state))
    assert err.key == "import.error.not_finite" and err.args_dict["count"] == 2
    assert "c3.weight" in str(err) and "f6.weight" in str(err)
    state = models.build("lenet5").state_dict()
    state["c1.weight"] = state["c1.weight"].to(torch.int32)
    err = refused(saved(state))
    assert err.key == "import.error.dtype" and err.args_dict["name"] == "c1.weight"


def test_the_size_cap_comes_before_parsing(monkeypatch):
    blob = saved(models.build("cnn").state_dict())
    monkeypatch.setattr(importing, "MAX_BYTES", len(blob) - 1)
    err = refused(blob, "big.pt", arch="cnn")
    assert err.key == "import.error.too_big"


def test_a_bad_spec_target_is_a_spec_error():
    with pytest.raises(S.SpecError):
        importing.load_weights(saved({}), "w.pt", spec=[{"kind": "nope"}])
