"""Checkpoints: round trip, atomic writes, every kind of bad file, and the shipped weights' accuracy."""

import json
import os
import struct

import pytest
import torch

from cnnviz import checkpoints as C
from cnnviz import data, models
from cnnviz.messages import MessageError
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


# ----------------------------------------------------------------------------- hostile headers, built by hand
# safetensors' format: an 8-byte little-endian header length, the JSON header, then the raw tensor bytes.

def raw(header, data: bytes = b"") -> bytes:
    body = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack("<Q", len(body)) + body + data


def good_meta(**changes) -> dict:
    m = {"arch": "lenet5", "dataset": "embedded", "test_acc": 0.9, "epochs": 2, "mean": 0.1307, "std": 0.3081,
         "classes": [str(i) for i in range(10)]}
    m.update(changes)
    return m


def with_weights(meta_fields: dict) -> bytes:
    """A real LeNet-5 file whose cnnviz metadata is ``meta_fields`` (encoded by hand: NaN allowed)."""
    from safetensors.torch import save

    state = {k: v.contiguous() for k, v in models.build("lenet5").state_dict().items()}
    return save(state, metadata={"cnnviz": json.dumps(meta_fields)})


def problem(blob: bytes, tmp_path, name="bad"):
    """The error of every way in (load_checkpoint, from_bytes, read_meta); listing the folder never raises."""
    p = tmp_path / f"{name}.safetensors"
    p.write_bytes(blob)
    errors = []
    for call in (lambda: C.load_checkpoint(p), lambda: C.from_bytes(blob, p.name), lambda: C.read_meta(p)):
        with pytest.raises(C.CheckpointError) as exc:
            call()
        err = exc.value
        assert isinstance(err, ValueError) and isinstance(err, MessageError)
        assert err.key in ("ckpt.error.cannot_load", "ckpt.error.cannot_read") and name in str(err)
        errors.append(err)
    info = {i.name: i for i in C.list_checkpoints(tmp_path)}[name]
    assert info.meta is None and name in [i.name for i in C.skipped(C.list_checkpoints(tmp_path))]
    assert info.problem.message.args["reason"].key == errors[-1].message.args["reason"].key
    return errors[-1].message.args["reason"]


DEEP = 30_000     # 60 KB of brackets: under the header cap, far over json's recursion limit


@pytest.mark.parametrize("header, key", [
    (b"[" * DEEP + b"]" * DEEP, "ckpt.error.corrupt"),                                    # RecursionError
    ({"__metadata__": {"cnnviz": "[" * 5000 + "]" * 5000}}, "ckpt.error.metadata_unreadable"),  # RecursionError
    ({"__metadata__": ["cnnviz"]}, "ckpt.error.metadata_unreadable"),                     # TypeError before
    ({"__metadata__": "cnnviz"}, "ckpt.error.metadata_unreadable"),
    ({"__metadata__": {"cnnviz": good_meta()}}, "ckpt.error.metadata_unreadable"),       # not a str value
    ({"__metadata__": {"cnnviz": "[1, 2]"}}, "ckpt.error.metadata_unreadable"),
    ({"__metadata__": {"cnnviz": json.dumps(good_meta(arch=["lenet5"]))}}, "ckpt.error.unknown_arch"),
    ({"__metadata__": None}, "ckpt.error.metadata_unreadable"),
    (b"\xff\xfe{}", "ckpt.error.corrupt"),
    (b"\"just a string\"", "ckpt.error.corrupt"),
])
def test_malformed_headers_are_checkpoint_errors(header, key, tmp_path):
    assert problem(raw(header), tmp_path).key == key


def test_a_header_over_the_cap_is_refused_before_it_is_read(tmp_path):
    body = json.dumps({"__metadata__": {"cnnviz": json.dumps(good_meta()), "pad": "x" * C.MAX_HEADER}}).encode()
    assert len(body) > C.MAX_HEADER
    reason = problem(raw(body), tmp_path)
    assert reason.key == "ckpt.error.header_too_big" and reason.args["size"] == len(body)


@pytest.mark.parametrize("changes, key", [
    ({"classes": [str(i) for i in range(9)]}, "ckpt.error.shape"),    # 10 outputs in the weights
    ({"classes": [str(i) for i in range(11)]}, "ckpt.error.shape"),
    ({"classes": ["only one"]}, "ckpt.error.class_total"),
    ({"classes": "0123456789"}, "ckpt.error.class_total"),
    ({"classes": list(range(10))}, "ckpt.error.class_name"),
    ({"classes": ["x" * 41] + [str(i) for i in range(9)]}, "ckpt.error.class_name"),
    ({"classes": ["a\nb"] + [str(i) for i in range(9)]}, "ckpt.error.class_name"),
    ({"classes": ["\u202eevil"] + [str(i) for i in range(9)]}, "ckpt.error.class_name"),   # bidi override
    ({"classes": ["  "] + [str(i) for i in range(9)]}, "ckpt.error.class_name"),
    ({"classes": ['<a href="http://e.vu">0</a>'] + [str(i) for i in range(9)]}, "ckpt.error.class_name"),
    ({"classes": ["![x](http://e/i.png)"] + [str(i) for i in range(9)]}, "ckpt.error.class_name"),
    ({"classes": ["$x^2$"] + [str(i) for i in range(9)]}, "ckpt.error.class_name"),
    ({"test_acc": 1.5}, "ckpt.error.test_acc"),
    ({"test_acc": -0.01}, "ckpt.error.test_acc"),
    ({"test_acc": "0.9"}, "ckpt.error.test_acc"),
    ({"test_acc": float("nan")}, "ckpt.error.test_acc"),
    ({"mean": float("nan")}, "ckpt.error.bad_norm"),
    ({"mean": float("inf")}, "ckpt.error.bad_norm"),
    ({"mean": "0.1"}, "ckpt.error.bad_norm"),
    ({"std": 0}, "ckpt.error.bad_norm"),
    ({"std": -0.3}, "ckpt.error.bad_norm"),
    ({"std": True}, "ckpt.error.bad_norm"),
    ({"epochs": "two"}, "ckpt.error.bad_field"),
    ({"epochs": -1}, "ckpt.error.bad_field"),
    ({"lr": float("nan")}, "ckpt.error.bad_field"),
    ({"augment": "yes"}, "ckpt.error.bad_field"),
    ({"note": {"a": 1}}, "ckpt.error.bad_field"),
    ({"note": "x" * 10_000}, "ckpt.error.bad_field"),
    ({"arch": "vgg"}, "ckpt.error.unknown_arch"),
])
def test_metadata_types_and_ranges_are_checked(changes, key, tmp_path):
    assert problem(with_weights(good_meta(**changes)), tmp_path).key == key


def test_valid_hand_written_metadata_loads(tmp_path):
    names = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
    p = tmp_path / "fashion.safetensors"
    p.write_bytes(with_weights(good_meta(classes=names, test_acc=1, lr=0.001, seed=3, augment=True)))
    model, m = C.load_checkpoint(p)
    assert m.classes == names and m.test_acc == 1 and C.read_meta(p) == m
    assert model(torch.zeros(1, 1, 28, 28)).shape[1] == 10


def test_listing_a_folder_of_bad_files_never_raises(saved, tmp_path):
    bad = {"deep": raw(b"[" * DEEP + b"]" * DEEP), "notdict": raw({"__metadata__": [1]}),
           "nan": with_weights(good_meta(mean=float("nan"))), "empty": b"", "short": b"\x01\x00"}
    for name, blob in bad.items():
        (tmp_path / f"{name}.safetensors").write_bytes(blob)
    (tmp_path / "dir.safetensors").mkdir()                  # a folder with the suffix: unreadable, skipped
    infos = C.list_checkpoints(tmp_path, tmp_path / "missing")
    assert [i.name for i in infos if i.usable] == ["net"]
    assert sorted(i.name for i in C.skipped(infos)) == sorted([*bad, "dir"])
    for info in C.skipped(infos):
        assert info.error == str(info.problem) and info.name in info.error
        assert info.problem.key == "ckpt.error.cannot_read"


def test_messages_translate(tmp_path):
    from cnnviz.messages import Msg

    reason = problem(with_weights(good_meta(test_acc=3)), tmp_path, "acc")
    err = C.CheckpointError("ckpt.error.cannot_load", source="acc.safetensors", reason=reason)
    assert str(err) == "Cannot load acc.safetensors: its recorded test accuracy 3 is not between 0 and 1"
    zh = Msg(err.key, err.args_dict).render("zh")
    assert "无法加载" in zh and "测试准确率" in zh and "accuracy" not in zh


def test_a_page_can_say_which_files_were_skipped(saved, tmp_path):
    from ui.common import skipped_note

    (tmp_path / "bad_[x](y).safetensors").write_bytes(b"nope")
    infos = C.list_checkpoints(tmp_path)
    note = skipped_note(infos)
    assert note.startswith("1 checkpoint file(s)") and "bad\\_\\[x\\]\\(y\\)\u2060\\.safetensors" in note
    assert skipped_note([i for i in infos if i.usable]) is None


def test_accuracy_basis_is_the_test_split_and_its_standard_error():
    assert C.accuracy_basis(C.CheckpointMeta(arch="lenet5", test_acc=0.987)) == (2000, pytest.approx(0.2532, abs=1e-3))
    assert C.accuracy_basis(C.CheckpointMeta(arch="lenet5", test_acc=0.9, dataset="mnist"))[0] == 10_000
    assert C.accuracy_basis(C.CheckpointMeta(arch="lenet5", test_acc=0.5, dataset="user:x", test_size=100)) == (
        100, pytest.approx(5.0))
    assert C.accuracy_basis(C.CheckpointMeta(arch="lenet5", test_acc=None)) is None
    assert C.accuracy_basis(C.CheckpointMeta(arch="lenet5", test_acc=0.9, dataset="user:x")) is None
