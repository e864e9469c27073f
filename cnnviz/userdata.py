"""Your own classes: datasets of 2-10 classes made from a zip (ImageFolder layout), camera shots or drawings.

Every image becomes one 28x28 uint8 picture (ink bright on black, as in MNIST), chosen by its content
(:func:`to_digit`):

* an RGBA array (what the drawing canvas returns) follows the canvas path, :func:`cnnviz.drawing.preprocess`;
* a small tile (longest side at most :data:`TILE_SIDE`, e.g. a scanned digit) of marks on a plain
  background (the border nearly one colour, most pixels close to it) follows the canvas path with ink =
  the difference from the border colour;
* a larger picture that is mostly plain paper once light and shadow are removed
  (:func:`cnnviz.photo.paper_fraction` at least :data:`PAPER_SHARE`: a photo of a drawing) goes through
  :func:`cnnviz.photo.analyze_photo`, which removes paper, shadows and ruled lines and follows the canvas
  path.  A photo that is mostly sky or a plain wall with one dark object in it is read this way too;
* any other picture (a photo of an object, a photo of paper in which no marks were found) is turned grey
  and scaled to fit 28x28, keeping its aspect ratio, centred on black.

:func:`dataset_from_zip` reads an archive with one folder per class (optionally inside one top folder),
checking every limit before anything is decoded: the archive's size, the number of entries, the declared
size of each file and of all of them (and each file is read with a cap, in case its header lies), no
path leaving the archive (``../``, absolute paths, drive letters, symbolic links), archives inside it
skipped, not opened.  Files that are not images are skipped and counted.  Images are decoded by
:func:`cnnviz.images.load_image` (whitelisted formats, pixel cap before decoding).  Class names are the
folder names; two that differ only in case are refused; a class needs :data:`MIN_PER_CLASS` images;
2-10 classes; a class holding more than 90 % of the images gets a warning.

The dataset (:class:`UserDataset`, a :class:`cnnviz.data.DataSplit`) has a stratified train/test split
(:func:`cnnviz.data.embedded_split_indices`: 20 % of every class, fixed seed) and the mean and std of its
training images.  :func:`save_dataset` writes it as one compressed ``.npz`` of uint8 arrays, the class
names as JSON inside it (no pickle), atomically and without overwriting another dataset unless asked to,
in :func:`user_dir` (``CNNVIZ_USER_DATA``, default ``data/user``).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import io
import json
import os
import re
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np
import torch
from PIL import Image

from . import drawing, images, photo
from .data import DataSplit, embedded_split_indices
from .messages import MessageError, Msg, msg

MIN_CLASSES, MAX_CLASSES = 2, 10
MIN_PER_CLASS = 5
DOMINANT = 0.9                          # a class holding more than this share of the images: a warning
MAX_ARCHIVE_BYTES = 512 * 2**20         # the zip file itself
MAX_ENTRIES = 30_000                    # entries in the archive (files and folders)
MAX_IMAGES = 25_000                     # images in a dataset
MAX_FILE_BYTES = images.MAX_BYTES       # one file, uncompressed
MAX_TOTAL_BYTES = 2 * 2**30             # all files, uncompressed
MAX_CLASS_NAME = 40
TILE_SIDE = 64                          # pictures this small on a plain background are tiles (scans, icons)
PAPER_SHARE = 0.7                       # larger pictures this much plain paper are photos of marks on paper
SPLIT_SEED = 2024
ARCHIVES = {"zip", "tar", "gz", "tgz", "bz2", "xz", "7z", "rar", "zst", "lz", "lzma", "cab", "iso", "jar"}
FORMAT = "cnnviz-userdata-1"
_NAME_RE = re.compile(r"[^A-Za-z0-9._-]+")
_CHUNK = 1 << 16

Progress = Callable[[int, int], None]


class UserDataError(MessageError):
    """A dataset, an archive or a stored file that cannot be used; the message says why."""


@dataclass
class UserDataset(DataSplit):
    """A user's dataset: a :class:`DataSplit` (uint8 ``(N, 28, 28)`` images, int64 labels, the class names,
    the training images' mean and std) plus what happened on the way."""

    warnings: list[Msg] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)   # reason -> count (see :data:`SKIP_REASONS`)

    def counts(self) -> list[int]:
        """Images per class, train and test together."""
        y = torch.cat([self.train_y, self.test_y])
        return [int((y == c).sum()) for c in range(len(self.classes))]


SKIP_REASONS = ("not_image", "archive", "unreadable", "outside", "empty")


# ----------------------------------------------------------------------------- one image -> 28x28

def _grey(pixels: np.ndarray) -> np.ndarray:
    a = np.asarray(pixels, dtype=np.float32)
    return images.to_gray(a, round_values=False) if a.ndim == 3 else a


def _border(a: np.ndarray) -> np.ndarray:
    return np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]])


def _paper_like(grey: np.ndarray) -> tuple[bool, float]:
    """(marks on a plain background?, the background's grey): the border is nearly one colour and
    most pixels are close to it."""
    border = _border(grey)
    bg = float(np.median(border))
    near = np.abs(grey - bg) < 0.15 * 255
    return bool(np.mean(np.abs(border - bg) < 0.15 * 255) > 0.9 and near.mean() > 0.5), bg


def _fit(grey: np.ndarray) -> np.ndarray:
    """Scale to fit 28x28 keeping the aspect ratio (Pillow's box filter when shrinking), centred on black."""
    h, w = grey.shape
    s = drawing.SIZE / max(h, w)
    nh, nw = max(1, round(h * s)), max(1, round(w * s))
    im = Image.fromarray(np.clip(grey, 0, 255).astype(np.float32), "F")
    small = np.asarray(im.resize((nw, nh), Image.Resampling.BOX if s < 1 else Image.Resampling.BILINEAR))
    out = np.zeros((drawing.SIZE, drawing.SIZE), np.uint8)
    y0, x0 = (drawing.SIZE - nh) // 2, (drawing.SIZE - nw) // 2
    out[y0:y0 + nh, x0:x0 + nw] = np.clip(np.rint(small), 0, 255).astype(np.uint8)
    return out


def to_digit(pixels: np.ndarray) -> tuple[np.ndarray | None, str]:
    """One image -> (28x28 uint8, how: ``"canvas"``, ``"tile"``, ``"photo"`` or ``"picture"``); the array
    is None when a drawing or a tile holds no marks.  See the module's docstring for the choice."""
    a = np.asarray(pixels)
    if a.ndim == 3 and a.shape[2] == 4:
        pre = drawing.preprocess(a)
        return (pre.uint8 if pre is not None else None), "canvas"
    grey = _grey(a)
    if grey.ndim != 2 or grey.size == 0:
        return None, "picture"
    paper, bg = _paper_like(grey)
    if paper and max(grey.shape) <= TILE_SIDE:
        ink = np.abs(grey - bg) / max(bg, 255.0 - bg, 1.0)
        pre = drawing.preprocess(np.clip(np.rint(ink * 255), 0, 255).astype(np.uint8))
        return (pre.uint8 if pre is not None else None), "tile"
    if max(grey.shape) > TILE_SIDE:
        rgb = np.clip(np.rint(a if a.ndim == 3 else grey), 0, 255).astype(np.uint8)
        if photo.paper_fraction(rgb) >= PAPER_SHARE:
            found = photo.analyze_photo(rgb)
            if found.pre is not None:
                return found.pre.uint8, "photo"
    return _fit(grey), "picture"


# ----------------------------------------------------------------------------- datasets

def _split(name: str, classes: list[str], x: np.ndarray, y: np.ndarray, warnings: list[Msg],
           skipped: dict[str, int]) -> UserDataset:
    counts = np.bincount(y, minlength=len(classes))
    for c, n in zip(classes, counts):
        if n < MIN_PER_CLASS:
            raise UserDataError("userdata.error.few_images", cls=c, n=int(n), min=MIN_PER_CLASS)
    if counts.max() > DOMINANT * counts.sum():
        c = int(counts.argmax())
        warnings.append(msg("userdata.warn.dominant", cls=classes[c], pct=round(100 * counts[c] / counts.sum())))
    tr, te = embedded_split_indices(y, seed=SPLIT_SEED)
    xt = torch.from_numpy(np.ascontiguousarray(x))
    yt = torch.from_numpy(y.astype(np.int64))
    train = x[tr].astype(np.float32) / 255.0
    mean, std = float(train.mean()), float(train.std())
    return UserDataset(name, xt[tr].clone(), yt[tr].clone(), xt[te].clone(), yt[te].clone(), mean,
                       max(std, 1e-3), list(classes), "", warnings, skipped)


def _check_classes(classes: list[str]) -> list[str]:
    cleaned = []
    for c in classes:
        name = " ".join(str(c).split())[:MAX_CLASS_NAME]
        if not name:
            raise UserDataError("userdata.error.class_name", cls=str(c))
        cleaned.append(name)
    seen: dict[str, str] = {}
    for c in cleaned:
        if c.casefold() in seen:
            raise UserDataError("userdata.error.duplicate_class", a=seen[c.casefold()], b=c)
        seen[c.casefold()] = c
    if not MIN_CLASSES <= len(cleaned) <= MAX_CLASSES:
        raise UserDataError("userdata.error.class_count", n=len(cleaned), lo=MIN_CLASSES, hi=MAX_CLASSES)
    return cleaned


def dataset_from_images(class_images: dict[str, list[np.ndarray]], name: str,
                        progress: Progress | None = None) -> UserDataset:
    """Camera shots or canvas drawings per class (``{"circle": [rgba, ...], ...}``) -> a dataset.
    An empty drawing is skipped and counted (``skipped["empty"]``)."""
    classes = _check_classes(list(class_images))
    total = sum(len(v) for v in class_images.values())
    if total > MAX_IMAGES:
        raise UserDataError("userdata.error.too_many_images", n=total, max=MAX_IMAGES)
    xs, ys, done, skipped = [], [], 0, {k: 0 for k in SKIP_REASONS}
    for label, arrays in enumerate(class_images.values()):
        for arr in arrays:
            digit, _ = to_digit(arr)
            if digit is None:
                skipped["empty"] += 1
            else:
                xs.append(digit)
                ys.append(label)
            done += 1
            if progress is not None:
                progress(done, total)
    x = np.stack(xs) if xs else np.zeros((0, 28, 28), np.uint8)
    return _split(name, classes, x, np.asarray(ys, np.int64), [], skipped)


def _member_path(info: zipfile.ZipInfo) -> PurePosixPath:
    """The entry's path inside the archive, refused when it could leave the target folder."""
    raw = info.filename.replace("\\", "/")
    mode = info.external_attr >> 16
    if mode and stat.S_ISLNK(mode):
        raise UserDataError("userdata.error.symlink", entry=info.filename)
    p = PurePosixPath(raw)
    if raw.startswith("/") or re.match(r"^[A-Za-z]:", raw) or ".." in p.parts or "\x00" in raw:
        raise UserDataError("userdata.error.path_escape", entry=info.filename)
    return p


def _read_capped(z: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> bytes:
    """The entry's bytes, never more than ``cap`` + one chunk, whatever its header says."""
    out = bytearray()
    with z.open(info) as f:
        while True:
            chunk = f.read(_CHUNK)
            if not chunk:
                break
            out += chunk
            if len(out) > cap:
                raise UserDataError("userdata.error.file_too_big", entry=info.filename, mb=cap // 2**20)
    return bytes(out)


def _open_zip(source: str | os.PathLike | bytes) -> zipfile.ZipFile:
    if isinstance(source, (bytes, bytearray, memoryview)):
        size = len(source)
        fobj = io.BytesIO(bytes(source))
    else:
        path = Path(source)
        try:
            size = path.stat().st_size
        except OSError:
            raise UserDataError("userdata.error.not_zip") from None
        fobj = path
    if size > MAX_ARCHIVE_BYTES:
        raise UserDataError("userdata.error.archive_too_big", mb=MAX_ARCHIVE_BYTES // 2**20)
    try:
        return zipfile.ZipFile(fobj)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise UserDataError("userdata.error.not_zip") from None


def _zip_images(infos: list[zipfile.ZipInfo], skipped: dict[str, int]) -> list[tuple[PurePosixPath, zipfile.ZipInfo]]:
    """The image entries of an archive, with every size cap checked from the headers before any read."""
    if len(infos) > MAX_ENTRIES:
        raise UserDataError("userdata.error.too_many_files", n=len(infos), max=MAX_ENTRIES)
    candidates: list[tuple[PurePosixPath, zipfile.ZipInfo]] = []
    total_bytes = 0
    for info in infos:
        p = _member_path(info)                     # refuses escapes and links before anything else
        if info.is_dir():
            continue
        if any(part.startswith(".") or part == "__MACOSX" for part in p.parts):
            continue                               # macOS resource forks, hidden files
        ext = p.suffix.lower().lstrip(".")
        if ext in ARCHIVES:
            skipped["archive"] += 1
            continue
        if ext not in images.EXTENSIONS:
            skipped["not_image"] += 1
            continue
        if info.file_size > MAX_FILE_BYTES:
            raise UserDataError("userdata.error.file_too_big", entry=info.filename, mb=MAX_FILE_BYTES // 2**20)
        total_bytes += info.file_size
        if total_bytes > MAX_TOTAL_BYTES:
            raise UserDataError("userdata.error.total_too_big", gb=MAX_TOTAL_BYTES / 2**30)
        candidates.append((p, info))
    return candidates


def _by_class(candidates: list[tuple[PurePosixPath, zipfile.ZipInfo]],
              skipped: dict[str, int]) -> dict[str, list[zipfile.ZipInfo]]:
    """Entries by class folder: folders at the top, or inside one top folder."""
    tops = {p.parts[0] for p, _ in candidates if len(p.parts) >= 2}
    strip = 1 if len(tops) == 1 and all(len(p.parts) >= 3 for p, _ in candidates) else 0
    by_class: dict[str, list[zipfile.ZipInfo]] = {}
    for p, info in candidates:
        parts = p.parts[strip:]
        if len(parts) < 2:
            skipped["outside"] += 1
            continue
        by_class.setdefault(parts[0], []).append(info)
    if len(candidates) - skipped["outside"] > MAX_IMAGES:
        raise UserDataError("userdata.error.too_many_images", n=len(candidates), max=MAX_IMAGES)
    if not by_class:
        raise UserDataError("userdata.error.no_classes")
    return by_class


def _entry_digit(z: zipfile.ZipFile, info: zipfile.ZipInfo) -> np.ndarray | None:
    """One entry read (capped) and turned into a 28×28 digit; None when damaged or not a picture."""
    try:
        raw = _read_capped(z, info, MAX_FILE_BYTES)
    except UserDataError:
        raise                                      # more bytes than the header said: a hostile archive
    except (zipfile.BadZipFile, RuntimeError, OSError, EOFError, NotImplementedError, zlib.error):
        return None                                # damaged or encrypted entry
    with contextlib.suppress(images.ImageLoadError):
        return to_digit(images.load_image(raw, info.filename).pixels)[0]
    return None


def dataset_from_zip(source: str | os.PathLike | bytes, name: str,
                     progress: Progress | None = None) -> UserDataset:
    """A zip with one folder per class (``cat/001.png``, or ``pets/cat/001.png``) -> a dataset.

    Raises :class:`UserDataError` (a message key) for a bad archive; skipped files are counted in
    ``skipped`` and summarized in ``warnings``.  ``progress(done, total)`` is called as images are read.
    """
    skipped = {k: 0 for k in SKIP_REASONS}
    bad: list[str] = []
    with _open_zip(source) as z:
        try:
            infos = z.infolist()
        except (zipfile.BadZipFile, OSError, ValueError):
            raise UserDataError("userdata.error.not_zip") from None
        by_class = _by_class(_zip_images(infos, skipped), skipped)
        folder_names = sorted(by_class, key=str.casefold)
        classes = _check_classes(folder_names)
        total = sum(len(v) for v in by_class.values())
        x, y = np.zeros((total, 28, 28), np.uint8), np.zeros(total, np.int64)
        n = done = 0
        for label, folder in enumerate(folder_names):
            for info in by_class[folder]:
                digit = _entry_digit(z, info)
                if digit is None:
                    skipped["unreadable"] += 1
                    bad += [info.filename] if len(bad) < 3 else []
                else:
                    x[n], y[n] = digit, label
                    n += 1
                done += 1
                if progress is not None and (done % 50 == 0 or done == total):
                    progress(done, total)
    warnings = [msg(f"userdata.skipped.{reason}", n=skipped[reason]) for reason in SKIP_REASONS if skipped[reason]]
    if bad:
        warnings.append(msg("userdata.skipped.examples", names=", ".join(bad)))
    return _split(name, classes, x[:n], y[:n], warnings, skipped)


# ----------------------------------------------------------------------------- storage

def user_dir() -> Path:
    """Where datasets are stored: ``CNNVIZ_USER_DATA``, default ``data/user`` in the project (read per call)."""
    default = Path(__file__).resolve().parents[1] / "data" / "user"
    return Path(os.environ.get("CNNVIZ_USER_DATA") or default)


def safe_name(name: str) -> str:
    """A file-system-safe dataset name: letters, digits, ``.``, ``_``, ``-``; no paths."""
    cleaned = _NAME_RE.sub("-", str(name)).strip(".-_")[:60]
    if not cleaned:
        raise UserDataError("userdata.error.name", name=str(name))
    return cleaned


def dataset_path(name: str) -> Path:
    return user_dir() / f"{safe_name(name)}.npz"


def to_bytes(ds: DataSplit) -> bytes:
    """The dataset as compressed ``.npz`` bytes: uint8 images, labels, the test mask, JSON metadata."""
    x = torch.cat([ds.train_x, ds.test_x]).cpu().numpy().astype(np.uint8)
    y = torch.cat([ds.train_y, ds.test_y]).cpu().numpy().astype(np.uint8)
    test = np.zeros(len(x), np.uint8)
    test[len(ds.train_x):] = 1
    meta = {"format": FORMAT, "name": ds.name, "classes": list(ds.classes), "mean": ds.mean, "std": ds.std,
            "date": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")}
    buf = io.BytesIO()
    np.savez_compressed(buf, images=x, labels=y, test=test,
                        meta=np.frombuffer(json.dumps(meta).encode("utf-8"), np.uint8))
    return buf.getvalue()


def save_dataset(ds: DataSplit, name: str | None = None, overwrite: bool = False) -> Path:
    """Write atomically to :func:`dataset_path`; an existing dataset of that name is never replaced unless
    ``overwrite`` (raises ``userdata.error.exists``; two users saving the same name at once cannot clobber
    each other: the file appears by a hard link, which fails if the name is taken)."""
    path = dataset_path(name or ds.name)
    payload = to_bytes(ds)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        if overwrite:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)
            except FileExistsError:
                raise UserDataError("userdata.error.exists", name=path.stem) from None
            os.unlink(tmp)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path


def from_bytes(payload: bytes, name: str = "dataset") -> UserDataset:
    """A stored dataset, validated: shapes, dtypes, label range, class names, split."""
    try:
        with np.load(io.BytesIO(payload), allow_pickle=False) as z:
            x, y, test, meta_raw = z["images"], z["labels"], z["test"], z["meta"]
        meta = json.loads(meta_raw.tobytes().decode("utf-8"))
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, UnicodeDecodeError):
        raise UserDataError("userdata.error.corrupt", name=name) from None
    if (not isinstance(meta, dict) or meta.get("format") != FORMAT or x.dtype != np.uint8 or x.ndim != 3
            or x.shape[1:] != (28, 28) or y.dtype != np.uint8 or y.shape != (len(x),)
            or test.shape != (len(x),) or not isinstance(meta.get("classes"), list)):
        raise UserDataError("userdata.error.corrupt", name=name)
    classes = [str(c) for c in meta["classes"]]
    if not MIN_CLASSES <= len(classes) <= MAX_CLASSES or (len(y) and int(y.max()) >= len(classes)):
        raise UserDataError("userdata.error.corrupt", name=name)
    mean, std = meta.get("mean"), meta.get("std")
    if not all(isinstance(v, (int, float)) and np.isfinite(v) for v in (mean, std)) or std <= 0:
        raise UserDataError("userdata.error.corrupt", name=name)
    is_test = test.astype(bool)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y.astype(np.int64))
    return UserDataset(str(meta.get("name", name)), xt[~is_test].clone(), yt[~is_test].clone(),
                       xt[is_test].clone(), yt[is_test].clone(), float(mean), float(std), classes)


def load_dataset(name: str) -> UserDataset:
    path = dataset_path(name)
    try:
        payload = path.read_bytes()
    except FileNotFoundError:
        raise UserDataError("userdata.error.missing", name=path.stem) from None
    return from_bytes(payload, path.stem)


def list_datasets() -> list[str]:
    """Names of the stored datasets, sorted."""
    d = user_dir()
    if not d.is_dir():
        return []
    return sorted(p.stem for p in d.glob("*.npz") if not p.name.startswith("."))


def delete_dataset(name: str) -> bool:
    """Remove a stored dataset; False when there was none of that name."""
    try:
        dataset_path(name).unlink()
        return True
    except FileNotFoundError:
        return False


def preview(ds: DataSplit, per_class: int = 10, gap: int = 2) -> list[tuple[str, int, np.ndarray]]:
    """For each class: (name, number of images, a strip of its first ``per_class`` images side by side,
    uint8, ``gap`` grey pixels between them) for the page's preview grid."""
    x = torch.cat([ds.train_x, ds.test_x]).cpu().numpy()
    y = torch.cat([ds.train_y, ds.test_y]).cpu().numpy()
    out = []
    for c, name in enumerate(ds.classes):
        idx = np.flatnonzero(y == c)
        strip = np.full((28, per_class * (28 + gap) - gap), 60, np.uint8)
        for k, i in enumerate(idx[:per_class]):
            strip[:, k * (28 + gap):k * (28 + gap) + 28] = x[i]
        out.append((name, len(idx), strip))
    return out
