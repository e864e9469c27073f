"""Checkpoints: weights plus metadata in one safetensors file.

* Loading never runs pickled code: safetensors holds raw tensors and a JSON header.
* Every file is checked against its architecture: key set, shapes, dtypes and
  finite values, before the weights reach a model.
* Writes are atomic (a temporary file in the same folder, fsync, ``os.replace``),
  so a crash mid-write never leaves a half-written checkpoint behind.
* Any corrupt, truncated, oversized or mismatched file raises one
  :class:`CheckpointError` with a message for the user, and nothing else breaks.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import math
import os
import re
import struct
import tempfile
import unicodedata
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from torch import nn

from . import models
from .messages import MessageError

FORMAT = "cnnviz-checkpoint/1"
SUFFIX = ".safetensors"
MAX_BYTES = 64 * 1024 * 1024      # far above the largest registry model (~1.7 MB)
MAX_HEADER = 64 * 1024            # the largest shipped header (DenseNet's) is under 5 KB
MAX_CLASS_NAME = 40               # characters of one class name
MAX_CLASSES = 512                 # classes of one model (cnnviz.spec's limit too)
MAX_TEXT = 500                    # characters of a free-text metadata field (note, date, ...)
# not allowed in a class name: markup that HTML (plotly labels), markdown links and images, or LaTeX act on
MARKUP_CHARS = frozenset("<>&[]$`\\")
SHIPPED_DIR = Path(__file__).resolve().parents[1] / "checkpoints"

_NAME_RE = re.compile(r"[^A-Za-z0-9._-]+")


class CheckpointError(MessageError):
    """A checkpoint cannot be saved or loaded; :attr:`message` says why, for the user (keys ``ckpt.error.*``).

    A :class:`~cnnviz.messages.MessageError`, hence still a ``ValueError``: ``str(err)`` is the English text.
    """


@dataclass
class CheckpointMeta:
    arch: str
    dataset: str = "embedded"
    test_acc: float | None = None
    epochs: int = 0
    date: str = ""
    mean: float = 0.1307
    std: float = 0.3081
    classes: list[str] = field(default_factory=lambda: [str(i) for i in range(10)])
    optimizer: str = ""
    lr: float | None = None
    batch_size: int | None = None
    seed: int | None = None
    augment: bool = False
    train_seconds: float | None = None
    note: str = ""
    format: str = FORMAT
    spec: list | None = None     # a designed network (cnnviz.spec), with arch == models.CUSTOM
    test_size: int | None = None  # test images behind test_acc (None: the dataset's usual test split)

    def to_header(self) -> dict[str, str]:
        return {"cnnviz": json.dumps(asdict(self))}

    @classmethod
    def from_header(cls, header: object) -> CheckpointMeta:
        """The metadata of a safetensors header's ``__metadata__``, every field checked for its type and range
        (a file in a shared folder is untrusted); raises :class:`CheckpointError`."""
        if not isinstance(header, dict) or "cnnviz" not in header:
            raise CheckpointError("ckpt.error.no_metadata")
        text = header["cnnviz"]
        if not isinstance(text, str):
            raise CheckpointError("ckpt.error.metadata_unreadable")
        try:
            raw = json.loads(text)
        except (ValueError, RecursionError):
            raise CheckpointError("ckpt.error.metadata_unreadable") from None
        if not isinstance(raw, dict):
            raise CheckpointError("ckpt.error.metadata_unreadable")
        meta = cls(**{k: raw[k] for k in cls.__dataclass_fields__ if k in raw})
        _check_meta(meta)
        return meta


_INT_FIELDS = ("epochs", "batch_size", "seed", "test_size")
_TEXT_FIELDS = ("dataset", "date", "optimizer", "note", "format")


def _is_number(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _check_meta(meta: CheckpointMeta) -> None:
    """Types and ranges of every field (raises :class:`CheckpointError` naming the first bad one)."""
    if meta.arch == models.CUSTOM:
        _check_spec(meta)
    elif not isinstance(meta.arch, str) or meta.arch not in models.REGISTRY or meta.spec is not None:
        raise CheckpointError("ckpt.error.unknown_arch", arch=str(meta.arch)[:MAX_CLASS_NAME])
    for name in ("mean", "std"):
        v = getattr(meta, name)
        if not _is_number(v) or (name == "std" and v <= 0):
            raise CheckpointError("ckpt.error.bad_norm", field=name, value=repr(v)[:MAX_CLASS_NAME])
    if meta.test_acc is not None and not (_is_number(meta.test_acc) and 0 <= meta.test_acc <= 1):
        raise CheckpointError("ckpt.error.test_acc", value=repr(meta.test_acc)[:MAX_CLASS_NAME])
    for name in _TEXT_FIELDS:
        v = getattr(meta, name)
        if not isinstance(v, str) or len(v) > MAX_TEXT or _has_control(v):
            raise CheckpointError("ckpt.error.bad_field", field=name)
    for name in _INT_FIELDS:
        v = getattr(meta, name)
        if v is None and name != "epochs":
            continue
        if not isinstance(v, int) or isinstance(v, bool) or v < 0 or v > 2**63:
            raise CheckpointError("ckpt.error.bad_field", field=name)
    for name in ("lr", "train_seconds"):
        v = getattr(meta, name)
        if v is not None and not (_is_number(v) and v >= 0):
            raise CheckpointError("ckpt.error.bad_field", field=name)
    if not isinstance(meta.augment, bool):
        raise CheckpointError("ckpt.error.bad_field", field="augment")
    _check_classes(meta.classes)


def _has_control(text: str) -> bool:
    """Whether ``text`` holds a control, format or unassigned character (line breaks, bidi overrides, NUL…)."""
    return any(unicodedata.category(c)[0] == "C" for c in text)


def _check_classes(classes: object) -> None:
    """2 to :data:`MAX_CLASSES` short plain names (the output layer's size is checked with the weights)."""
    if not isinstance(classes, list) or not 2 <= len(classes) <= MAX_CLASSES:
        n = len(classes) if isinstance(classes, list) else 0
        raise CheckpointError("ckpt.error.class_total", n=n, limit=MAX_CLASSES)
    for i, name in enumerate(classes):
        if (not isinstance(name, str) or not name.strip() or len(name) > MAX_CLASS_NAME
                or _has_control(name) or MARKUP_CHARS.intersection(name)):
            raise CheckpointError("ckpt.error.class_name", index=i, limit=MAX_CLASS_NAME)


def _check_spec(meta: CheckpointMeta) -> None:
    """A designed network's spec must be one cnnviz.spec accepts for this many classes."""
    from . import spec as spec_mod

    if not isinstance(meta.classes, list):
        raise CheckpointError("ckpt.error.class_total", n=0, limit=MAX_CLASSES)
    try:
        spec_mod.check_spec(meta.spec, len(meta.classes))
    except spec_mod.SpecError as err:
        raise CheckpointError("ckpt.error.bad_spec", reason=err.message) from None


TEST_SPLITS = {"embedded": 2000, "mnist": 10_000, "fashion-mnist": 10_000}   # the bundled datasets' test sets


def accuracy_basis(meta: CheckpointMeta) -> tuple[int, float] | None:
    """``(test images, one standard error in percentage points)`` behind ``meta.test_acc``, or None when
    unknown: 98.7 % on 2,000 digits is ±0.25 points, so smaller differences between models say little."""
    n = meta.test_size or TEST_SPLITS.get(meta.dataset)
    if not n or not isinstance(meta.test_acc, (int, float)):
        return None
    return n, 100 * math.sqrt(max(meta.test_acc * (1 - meta.test_acc), 1e-12) / n)


def build_model(meta: CheckpointMeta) -> nn.Module:
    """A fresh (untrained) model of the checkpoint's architecture or designed network, one output per class."""
    if meta.arch == models.CUSTOM:
        return models.from_spec(meta.spec, len(meta.classes))
    return models.build(meta.arch, num_classes=len(meta.classes))



class SaveError(CheckpointError):
    """A checkpoint cannot be saved: a message key plus arguments (``train.save.*``)."""


def safe_name(name: str) -> str:
    """A file-system-safe checkpoint name (no paths, no odd characters)."""
    cleaned = _NAME_RE.sub("-", str(name)).strip(".-_")[:80]
    if not cleaned:
        raise SaveError("train.save.bad_name", name=repr(name))
    return cleaned


TMP_SUFFIX = ".tmp"
STALE_TMP_SECONDS = 3600.0   # a temporary file this old belongs to a save that crashed


def _write_temp(path: Path, payload: bytes) -> str:
    """``payload`` in a new temporary file next to ``path`` (fsynced, ordinary permissions); its name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TMP_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; a checkpoint is an ordinary file
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return tmp


def _atomic_write(path: Path, payload: bytes, exclusive: bool = False) -> None:
    """Write ``path`` so that no reader ever sees half a file.  ``exclusive``: fail with
    ``FileExistsError`` if ``path`` exists, also when another writer creates it at the same moment
    (the complete temporary file is hard-linked to ``path``, which fails if the name is taken)."""
    tmp = _write_temp(path, payload)
    try:
        if exclusive:
            os.link(tmp, path)
            os.unlink(tmp)
        else:
            os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def remove_stale_temp_files(folder: Path | str, older_than: float = STALE_TMP_SECONDS) -> int:
    """Delete the temporary files of saves that crashed (``.<name>.*.tmp`` older than ``older_than`` s)."""
    removed = 0
    now = _dt.datetime.now().timestamp()
    for p in Path(folder).glob(f".*{SUFFIX}.*{TMP_SUFFIX}"):
        with contextlib.suppress(OSError):
            if now - p.stat().st_mtime > older_than:
                p.unlink()
                removed += 1
    return removed


def to_bytes(model: nn.Module, meta: CheckpointMeta) -> bytes:
    """Serialize ``model``'s state dict and ``meta`` as safetensors bytes."""
    from safetensors.torch import save

    if not meta.date:
        meta.date = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    tensors = {k: v.detach().to("cpu").contiguous().clone() for k, v in model.state_dict().items()}
    return save(tensors, metadata=meta.to_header())


def save_checkpoint(path: Path | str, model: nn.Module, meta: CheckpointMeta, exclusive: bool = False,
                    saved_by: str = "") -> Path:
    """Write atomically; returns the path.  The model is not modified.

    ``exclusive``: raise ``FileExistsError`` rather than replace an existing file (race-free).
    ``saved_by``: an opaque mark of who saved it, stored in the header (see :func:`saved_by`).
    """
    path = Path(path)
    if path.suffix != SUFFIX:
        path = path.with_name(path.name + SUFFIX)
    _validate_state(meta, model.state_dict())
    payload = to_bytes(model, meta)
    if saved_by:
        from safetensors.torch import load, save

        payload = save(load(payload), metadata={**meta.to_header(), SAVED_BY_KEY: saved_by})
    _atomic_write(path, payload, exclusive=exclusive)
    return path


SAVED_BY_KEY = "cnnviz.saved_by"


def saved_by(path: Path | str) -> str | None:
    """The saver's mark written by :func:`save_checkpoint` (None: none, or unreadable)."""
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as f:
            return (f.metadata() or {}).get(SAVED_BY_KEY)
    except Exception:  # a corrupt or foreign file: nobody's
        return None


def _parse_header(blob: bytes) -> dict:
    """The JSON header of safetensors bytes (8-byte little-endian length, then JSON), with its
    ``__metadata__`` checked to be a dict of strings; raises :class:`CheckpointError`."""
    if len(blob) < 8:
        raise CheckpointError("ckpt.error.empty")
    (n,) = struct.unpack("<Q", blob[:8])
    if n > MAX_HEADER:
        raise CheckpointError("ckpt.error.header_too_big", size=n, limit=MAX_HEADER)
    if 8 + n > len(blob):
        raise CheckpointError("ckpt.error.truncated")
    try:
        header = json.loads(blob[8:8 + n])
    except (ValueError, RecursionError):   # UnicodeDecodeError is a ValueError; deep nesting a RecursionError
        raise CheckpointError("ckpt.error.corrupt") from None
    if not isinstance(header, dict):
        raise CheckpointError("ckpt.error.corrupt")
    extra = header.get("__metadata__", {})
    if not isinstance(extra, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in extra.items()):
        raise CheckpointError("ckpt.error.metadata_unreadable")
    return header


def _compare_shapes(meta: CheckpointMeta, shapes: dict[str, tuple[int, ...]]) -> dict[str, torch.Tensor]:
    """The weights' names and shapes against the architecture's (with one output per class); returns the
    reference state dict."""
    arch = meta.arch
    reference = build_model(meta).state_dict()
    missing = sorted(set(reference) - set(shapes))
    extra = sorted(set(shapes) - set(reference))
    if missing:
        raise CheckpointError("ckpt.error.missing_weights", arch=arch, keys=_some(missing))
    if extra:
        raise CheckpointError("ckpt.error.extra_weights", arch=arch, keys=_some(extra))
    for key, ref in reference.items():
        if tuple(shapes[key]) != tuple(ref.shape):
            raise CheckpointError("ckpt.error.shape", arch=arch, weight=key, shape=tuple(shapes[key]),
                                  expected=tuple(ref.shape))
    return reference


def _validate_state(meta: CheckpointMeta, state: dict[str, torch.Tensor]) -> None:
    reference = _compare_shapes(meta, {k: tuple(t.shape) for k, t in state.items()})
    for key, ref in reference.items():
        t = state[key]
        if t.dtype != ref.dtype:
            raise CheckpointError("ckpt.error.dtype", weight=key, dtype=str(t.dtype), expected=str(ref.dtype))
        if t.is_floating_point() and not torch.isfinite(t).all():
            raise CheckpointError("ckpt.error.nonfinite", weight=key)


def _some(keys: list[str]) -> str:
    return ", ".join(keys[:3]) + ("…" if len(keys) > 3 else "")


def _in_file(key: str, source: str, exc: CheckpointError) -> CheckpointError:
    """``exc`` as the reason inside "Cannot load/read {source}: …" (the name kept to its last 80 characters)."""
    return CheckpointError(key, source=str(source)[-80:], reason=exc.message)


def from_bytes(blob: bytes, source: str = "checkpoint") -> tuple[nn.Module, CheckpointMeta]:
    """Validate and load; raises :class:`CheckpointError` (key ``ckpt.error.cannot_load``, the reason inside)."""
    from safetensors.torch import load

    try:
        if len(blob) > MAX_BYTES:
            raise CheckpointError("ckpt.error.too_big", mib=len(blob) / 2**20, limit=MAX_BYTES // 2**20)
        header = _parse_header(blob)
        meta = CheckpointMeta.from_header(header.get("__metadata__"))
        try:
            state = load(blob)
        except Exception:   # SafetensorError, ValueError, …: whatever the parser says about hostile bytes
            raise CheckpointError("ckpt.error.corrupt_weights") from None
        _validate_state(meta, state)
        model = build_model(meta)
        model.load_state_dict(state)
        model.eval()
        return model, meta
    except CheckpointError as exc:
        raise _in_file("ckpt.error.cannot_load", source, exc) from None


def load_checkpoint(path: Path | str) -> tuple[nn.Module, CheckpointMeta]:
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise CheckpointError("ckpt.error.too_big", mib=size / 2**20, limit=MAX_BYTES // 2**20)
        blob = path.read_bytes()
    except OSError as exc:
        raise _in_file("ckpt.error.cannot_load", path.name, _os_error(exc)) from None
    except CheckpointError as exc:
        raise _in_file("ckpt.error.cannot_load", path.name, exc) from None
    return from_bytes(blob, path.name)


def _os_error(exc: OSError) -> CheckpointError:
    return CheckpointError("ckpt.error.os", error=exc.strerror or type(exc).__name__)


def read_meta(path: Path | str) -> CheckpointMeta:
    """Only the metadata (cheap: reads the header, at most :data:`MAX_HEADER` bytes, not the weights)."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            head = f.read(8)
            if len(head) < 8:
                raise CheckpointError("ckpt.error.empty")
            (n,) = struct.unpack("<Q", head)
            if n > MAX_HEADER:
                raise CheckpointError("ckpt.error.header_too_big", size=n, limit=MAX_HEADER)
            blob = head + f.read(n)
        header = _parse_header(blob)
        meta = CheckpointMeta.from_header(header.get("__metadata__"))
        shapes = {k: v.get("shape") for k, v in header.items() if k != "__metadata__" and isinstance(v, dict)}
        if not all(isinstance(v, list) for v in shapes.values()):
            raise CheckpointError("ckpt.error.corrupt")
        _compare_shapes(meta, shapes)    # names and shapes from the header: a wrong class count shows here
        return meta
    except OSError as exc:
        raise _in_file("ckpt.error.cannot_read", path.name, _os_error(exc)) from None
    except CheckpointError as exc:
        raise _in_file("ckpt.error.cannot_read", path.name, exc) from None


@dataclass
class CheckpointInfo:
    """One file of a listing: its metadata, or (``meta`` None) the :class:`CheckpointError` that skipped it."""

    path: Path
    meta: CheckpointMeta | None
    error: str = ""                          # the problem in English ("" when usable)
    problem: CheckpointError | None = None   # the same as a message, for ``ui.i18n.tm``

    @property
    def name(self) -> str:
        return self.path.name[: -len(SUFFIX)]

    @property
    def usable(self) -> bool:
        return self.meta is not None


def list_checkpoints(*folders: Path | str) -> list[CheckpointInfo]:
    """Every ``*.safetensors`` in the folders (default: the shipped ones), with metadata or the reason it
    cannot be used.  Never raises because of one file: a bad file is listed with ``meta=None`` and its
    ``problem`` (see :func:`skipped`), an unreadable folder is passed over."""
    out = []
    for folder in folders or (SHIPPED_DIR,):
        folder = Path(folder)
        try:
            paths = sorted(folder.glob(f"*{SUFFIX}")) if folder.is_dir() else []
        except OSError:
            continue
        for p in paths:
            try:
                out.append(CheckpointInfo(p, read_meta(p)))
            except CheckpointError as exc:
                out.append(CheckpointInfo(p, None, str(exc), exc))
    return out


def skipped(infos: list[CheckpointInfo]) -> list[CheckpointInfo]:
    """The files of a listing that cannot be used (a page says which, and why: ``info.problem``)."""
    return [i for i in infos if i.meta is None]


def shipped_path(arch: str) -> Path:
    return SHIPPED_DIR / f"{arch}{SUFFIX}"
