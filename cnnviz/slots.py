"""A machine-wide limit on trainings, shared by every server process (replica) on the machine.

``Slots(directory, limit)`` is ``limit`` lock files in ``directory`` (``slot-0.lock`` …).  A slot is
held by an exclusive, non-blocking ``fcntl.flock`` on one of them.  The kernel drops a ``flock`` when
the file is closed, and so when the process that holds it ends in any way (exit, crash, ``SIGKILL``,
out of memory): no slot can stay taken by a process that is gone, and nothing has to be cleaned up.

    slots = Slots.from_env()                # CNNVIZ_SLOTS_DIR, CNNVIZ_MAX_JOBS
    slot = slots.try_acquire("job 001-ab12cd34")
    if slot is None:
        ...                                 # every slot is taken: keep the job queued, try again later
    else:
        ...                                 # start the job; when it has ended:
        slot.release()                      # (or slots.release(slot); releasing twice is harmless)

Locks belong to open file descriptions, so two ``Slots`` objects in one process also exclude each
other, and :meth:`Slots.in_use` counts this process's own slots as well.  Lock files are opened
close-on-exec: a worker process started with ``spawn`` (or any ``exec``) does not inherit them.  A
process started with ``fork`` would share them, so the holder is the process that called
:meth:`Slots.try_acquire` (the job manager in the server), not the training worker.

All replicas of one machine must use the same ``directory`` and the same ``limit``
(``scripts/replicas.py`` passes ``CNNVIZ_SLOTS_DIR`` to every replica; by default it is
``$TMPDIR/cnnviz-slots-<uid>``, the same for every server this user starts on the machine).
``flock`` is local to one machine: on NFS it is not a cluster-wide lock (use Ray there,
``cnnviz.ray_backend``).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Slot", "Slots", "default_slots_dir"]


def default_slots_dir() -> Path:
    """``CNNVIZ_SLOTS_DIR`` if set, else ``<tempdir>/cnnviz-slots-<uid>`` (one per user and machine)."""
    raw = os.environ.get("CNNVIZ_SLOTS_DIR", "").strip()
    if raw:
        return Path(raw)
    return Path(tempfile.gettempdir()) / f"cnnviz-slots-{os.getuid()}"


@dataclass
class Slot:
    """One held slot: ``index`` (0 … limit − 1) and the open, locked file that holds it."""

    index: int
    owner_tag: str
    path: Path
    _fd: int | None = field(default=None, repr=False)

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        """Give the slot back (idempotent)."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)

    def __enter__(self) -> Slot:
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    def __del__(self) -> None:  # a forgotten Slot must not keep its slot for the life of the process
        with contextlib.suppress(Exception):
            self.release()


class Slots:
    """``limit`` training slots shared by every process that uses the same ``directory``."""

    def __init__(self, directory: Path | str, limit: int) -> None:
        if int(limit) < 1:
            raise ValueError(f"the slot limit must be at least 1, got {limit!r}")
        self.directory = Path(directory)
        self.limit = int(limit)
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = os.lstat(self.directory)
        if not stat.S_ISDIR(st.st_mode):
            raise ValueError(f"{self.directory} is not a directory")

    @classmethod
    def from_env(cls, limit: int | None = None) -> Slots:
        """The machine's slots: :func:`default_slots_dir` and ``limit`` (default: ``CNNVIZ_MAX_JOBS``
        as :func:`cnnviz.jobs.default_max_jobs` reads it)."""
        if limit is None:
            from .jobs import default_max_jobs

            limit = default_max_jobs()
        return cls(default_slots_dir(), limit)

    def path(self, index: int) -> Path:
        return self.directory / f"slot-{index}.lock"

    def _open(self, index: int) -> int:
        flags = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0)
        return os.open(self.path(index), flags, 0o600)

    def try_acquire(self, owner_tag: str = "") -> Slot | None:
        """Take a free slot without waiting; ``None`` when all ``limit`` slots are held.  ``owner_tag``
        (with this process's pid) is written into the lock file, for :meth:`holders`."""
        for index in range(self.limit):
            fd = self._open(index)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                os.close(fd)
                if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    continue
                raise
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
                os.pwrite(fd, f"{os.getpid()} {owner_tag}\n".encode("utf-8", "replace"), 0)
            return Slot(index, owner_tag, self.path(index), fd)
        return None

    def release(self, slot: Slot | None) -> None:
        """Give ``slot`` back (``None`` and an already released slot are ignored)."""
        if slot is not None:
            slot.release()

    def _held(self, index: int) -> bool:
        try:
            fd = self._open(index)
        except FileNotFoundError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                return True
            raise
        else:
            fcntl.flock(fd, fcntl.LOCK_UN)
            return False
        finally:
            os.close(fd)

    def in_use(self) -> int:
        """How many slots are held right now, by any process (this one included)."""
        return sum(self._held(i) for i in range(self.limit))

    def free(self) -> int:
        return self.limit - self.in_use()

    def holders(self) -> dict[int, str]:
        """``{index: "pid owner_tag"}`` of the held slots (what their holders wrote; informational)."""
        out = {}
        for i in range(self.limit):
            if self._held(i):
                with contextlib.suppress(OSError):
                    out[i] = self.path(i).read_text(encoding="utf-8", errors="replace").strip()
        return out
