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
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from torch import nn

from . import models
from .messages import MessageError

FORMAT = "cnnviz-checkpoint/1"
SUFFIX = ".safetensors"
MAX_BYTES = 64 * 1024 * 1024      # far above the largest registry model (~1.7 MB)
MAX_HEADER = 1024 * 1024
SHIPPED_DIR = Path(__file__).resolve().parents[1] / "checkpoints"

_NAME_RE = re.compile(r"[^A-Za-z0-9._-]+")


class CheckpointError(ValueError):
    """A checkpoint cannot be saved or loaded; the message says why, for the user."""


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

    def to_header(self) -> dict[str, str]:
        return {"cnnviz": json.dumps(asdict(self))}

    @classmethod
    def from_header(cls, header: dict[str, str] | None) -> CheckpointMeta:
        if not header or "cnnviz" not in header:
            raise CheckpointError("it has no cnnviz metadata (is it a cnnviz checkpoint?)")
        try:
            raw = json.loads(header["cnnviz"])
            known = {k: raw[k] for k in cls.__dataclass_fields__ if k in raw}
            meta = cls(**known)
        except (TypeError, ValueError) as exc:
            raise CheckpointError(f"its metadata is unreadable ({exc})") from None
        if not isinstance(meta.arch, str) or meta.arch not in models.REGISTRY:
            raise CheckpointError(f"it is for an unknown architecture {meta.arch!r}")
        for name in ("mean", "std"):
            v = getattr(meta, name)
            if not isinstance(v, (int, float)) or not math.isfinite(v) or (name == "std" and v <= 0):
                raise CheckpointError(f"its normalization {name} {v!r} is invalid")
        if not isinstance(meta.classes, list) or len(meta.classes) != 10:
            raise CheckpointError("it does not list 10 class names")
        return meta


class SaveError(CheckpointError, MessageError):
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
    _validate_state(meta.arch, model.state_dict())
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
    if len(blob) < 8:
        raise CheckpointError("the file is empty or truncated")
    (n,) = struct.unpack("<Q", blob[:8])
    if n > MAX_HEADER or 8 + n > len(blob):
        raise CheckpointError("the file is truncated or not a safetensors file")
    try:
        header = json.loads(blob[8:8 + n])
    except (UnicodeDecodeError, ValueError):
        raise CheckpointError("the file is corrupt or not a safetensors file") from None
    if not isinstance(header, dict):
        raise CheckpointError("the file is corrupt or not a safetensors file")
    return header


def _validate_state(arch: str, state: dict[str, torch.Tensor]) -> None:
    reference = models.build(arch).state_dict()
    missing = sorted(set(reference) - set(state))
    extra = sorted(set(state) - set(reference))
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing {', '.join(missing[:3])}{'...' if len(missing) > 3 else ''}")
        if extra:
            parts.append(f"unexpected {', '.join(extra[:3])}{'...' if len(extra) > 3 else ''}")
        raise CheckpointError(f"its weights do not match the {arch} architecture ({'; '.join(parts)})")
    for key, ref in reference.items():
        t = state[key]
        if tuple(t.shape) != tuple(ref.shape):
            raise CheckpointError(f"its weights do not match the {arch} architecture "
                                  f"({key}: shape {tuple(t.shape)}, expected {tuple(ref.shape)})")
        if t.dtype != ref.dtype:
            raise CheckpointError(f"{key} has dtype {t.dtype}, expected {ref.dtype}")
        if t.is_floating_point() and not torch.isfinite(t).all():
            raise CheckpointError(f"{key} contains NaN or infinite values")


def from_bytes(blob: bytes, source: str = "checkpoint") -> tuple[nn.Module, CheckpointMeta]:
    """Validate and load; raises :class:`CheckpointError` with a user-facing message."""
    from safetensors import SafetensorError
    from safetensors.torch import load

    try:
        if len(blob) > MAX_BYTES:
            raise CheckpointError(f"it is {len(blob) / 2**20:.1f} MiB, over the {MAX_BYTES // 2**20} MiB limit")
        header = _parse_header(blob)
        meta = CheckpointMeta.from_header(header.get("__metadata__"))
        try:
            state = load(blob)
        except (SafetensorError, ValueError, RuntimeError, OSError) as exc:
            raise CheckpointError(f"the file is corrupt or truncated ({exc})") from None
        _validate_state(meta.arch, state)
        model = models.build(meta.arch)
        model.load_state_dict(state)
        model.eval()
        return model, meta
    except CheckpointError as exc:
        raise CheckpointError(f"Cannot load {source}: {exc}") from None


def load_checkpoint(path: Path | str) -> tuple[nn.Module, CheckpointMeta]:
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise CheckpointError(f"Cannot load {path.name}: {exc.strerror or exc}") from None
    if size > MAX_BYTES:
        raise CheckpointError(f"Cannot load {path.name}: it is {size / 2**20:.1f} MiB, "
                              f"over the {MAX_BYTES // 2**20} MiB limit")
    return from_bytes(path.read_bytes(), path.name)


def read_meta(path: Path | str) -> CheckpointMeta:
    """Only the metadata (cheap: reads the header, not the weights)."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            head = f.read(8)
            if len(head) < 8:
                raise CheckpointError("the file is empty or truncated")
            (n,) = struct.unpack("<Q", head)
            if n > MAX_HEADER:
                raise CheckpointError("the file is corrupt or not a safetensors file")
            blob = head + f.read(n)
        return CheckpointMeta.from_header(_parse_header(blob).get("__metadata__"))
    except OSError as exc:
        raise CheckpointError(f"Cannot read {path.name}: {exc.strerror or exc}") from None
    except CheckpointError as exc:
        raise CheckpointError(f"Cannot read {path.name}: {exc}") from None


@dataclass
class CheckpointInfo:
    path: Path
    meta: CheckpointMeta | None
    error: str = ""

    @property
    def name(self) -> str:
        return self.path.name[: -len(SUFFIX)]


def list_checkpoints(*folders: Path | str) -> list[CheckpointInfo]:
    """Every ``*.safetensors`` in the folders (default: the shipped ones), with metadata or an error."""
    out = []
    for folder in folders or (SHIPPED_DIR,):
        folder = Path(folder)
        if not folder.is_dir():
            continue
        for p in sorted(folder.glob(f"*{SUFFIX}")):
            try:
                out.append(CheckpointInfo(p, read_meta(p)))
            except CheckpointError as exc:
                out.append(CheckpointInfo(p, None, str(exc)))
    return out


def shipped_path(arch: str) -> Path:
    return SHIPPED_DIR / f"{arch}{SUFFIX}"
