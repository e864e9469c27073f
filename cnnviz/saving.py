"""Saving a finished run's weights from the training page into the shared user folder.

* Files are created exclusively: two saves under one name at the same moment cannot both succeed.
* Each file records who saved it (a hash of the owner token, never the token), so "overwrite"
  replaces only the saver's own file and "trained by you" stays true.
* Temporary files of saves that crashed are cleaned up.
* Errors are :class:`~cnnviz.checkpoints.SaveError` messages; no server path reaches them.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from .checkpoints import (
    SUFFIX,
    CheckpointError,
    SaveError,
    load_checkpoint,
    remove_stale_temp_files,
    safe_name,
    save_checkpoint,
    saved_by,
)
from .jobs import JobState
from .messages import MessageError, msg


def owner_mark(owner: str) -> str:
    """What a checkpoint records about its saver: a hash of the owner token (the token stays secret)."""
    return hashlib.sha256(f"cnnviz-owner:{owner}".encode()).hexdigest()[:32]


def save_job_checkpoint(state: JobState, folder: Path | str, name: str, owner: str,
                        overwrite: bool = False) -> Path:
    """Copy a finished job's weights to ``folder/<safe name>.safetensors``; returns the path.

    Without ``overwrite`` an existing name is refused; with it, only a file this ``owner`` saved is
    replaced.  Raises :class:`~cnnviz.checkpoints.SaveError`.
    """
    if state.result is None or state.result.checkpoint is None:
        why = state.result.checkpoint_error if state.result is not None else None
        raise SaveError("train.save.nothing", why=why or msg("train.save.no_weights"))
    try:
        model, meta = load_checkpoint(state.result.checkpoint)
    except CheckpointError as exc:
        why = exc.message if isinstance(exc, MessageError) else str(exc)
        raise SaveError("train.save.nothing", why=why) from None
    return save_model(model, meta, folder, name, owner, overwrite)


def save_model(model, meta, folder: Path | str, name: str, owner: str, overwrite: bool = False) -> Path:
    """Save ``model`` with ``meta`` as ``folder/<safe name>.safetensors`` for ``owner`` (created exclusively;
    ``overwrite`` replaces only a file this owner saved); returns the path.  Raises
    :class:`~cnnviz.checkpoints.SaveError`."""
    stem = safe_name(name)
    folder = Path(folder)
    target = folder / f"{stem}{SUFFIX}"
    mark = owner_mark(owner)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        remove_stale_temp_files(folder)
        try:
            return save_checkpoint(target, model, meta, exclusive=True, saved_by=mark)
        except FileExistsError:
            if not overwrite:
                raise SaveError("train.save.exists", name=stem) from None
            if saved_by(target) != mark:
                raise SaveError("train.save.not_yours", name=stem) from None
            return save_checkpoint(target, model, meta, saved_by=mark)
    except OSError as exc:
        raise SaveError("train.save.failed_os", error=exc.strerror or type(exc).__name__) from None
