"""The hosting settings (``CNNVIZ_*`` environment variables), read and checked in one place.

``scripts/serve.py`` calls :func:`read_settings` before Streamlit starts: a bad value (``CNNVIZ_MAX_JOBS=abc``
or ``0``, an empty ``CNNVIZ_USER_CHECKPOINTS``, …) stops the launch with a clear message on stderr and exit
code 2, instead of a traceback on a page later.  Code that needs a setting calls :func:`read_settings`
(cheap: a few dictionary lookups) rather than reading ``os.environ`` itself.

=========================  ==========================================================  ====================
variable                   meaning                                                     default
=========================  ==========================================================  ====================
CNNVIZ_MAX_JOBS            trainings that run at once (whole number >= 1)              half the cores, >= 1
CNNVIZ_USER_CHECKPOINTS    folder for checkpoints saved on the Training page           checkpoints/user
CNNVIZ_ORPHAN_TIMEOUT      seconds a run whose tab is gone keeps going (> 0)           120
CNNVIZ_WORKER_NICE         how much lower a training worker's CPU priority is (0–19)   10
CNNVIZ_SERVER_THREADS      torch threads per page run (1–256)                          1
CNNVIZ_TRAIN_LIMIT         cap on training images, for tests and demos (0: all)        0
CNNVIZ_TEST_LIMIT          cap on test images (0: all)                                 0
CNNVIZ_PREWARM             keep one training worker started (0 or 1)                   1
CNNVIZ_MALLOC_TUNE         tune glibc's malloc for image-sized arrays (0 or 1)         1
CNNVIZ_DATA                folder of downloaded datasets                               data/
CNNVIZ_MAX_RUNS_PER_OWNER  trainings one browser may have queued or running (>= 1)     2
CNNVIZ_USER_DATA           folder of datasets made on the "Your data" page             data/user
CNNVIZ_TOUR                the lecture tour's TOML file                                tour.toml
=========================  ==========================================================  ====================

An unset variable takes its default; a variable that is set must hold a valid value (an empty one too is
refused: unset it instead).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .messages import MessageError, Msg, msg

ROOT = Path(__file__).resolve().parents[1]


class SettingsError(MessageError):
    """One or more ``CNNVIZ_*`` values are invalid: :attr:`message` is the first, :attr:`problems` all."""

    def __init__(self, problems: list[Msg]) -> None:
        super().__init__(problems[0])
        self.problems = list(problems)

    def __str__(self) -> str:
        return "\n".join(p.english() for p in self.problems)


@dataclass(frozen=True)
class Settings:
    max_jobs: int
    user_checkpoints: Path
    orphan_timeout: float
    worker_nice: int
    server_threads: int
    train_limit: int
    test_limit: int
    prewarm: bool
    malloc_tune: bool
    data_root: Path
    max_runs_per_owner: int = 2
    user_data: Path = ROOT / "data" / "user"
    tour: Path = ROOT / "tour.toml"


def _convert(value: str, kind: type):
    """``kind(value)``, or None when the text is no such number."""
    try:
        return kind(value)
    except ValueError:
        return None


class _Reader:
    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ
        self.problems: list[Msg] = []

    def raw(self, name: str) -> str | None:
        """The value, stripped, or None when unset; an empty value is a problem (and gives None)."""
        value = self.environ.get(name)
        if value is None:
            return None
        value = value.strip()
        if not value:
            self.problems.append(msg("settings.error.empty", name=name))
            return None
        return value

    def number(self, name: str, default, kind: type, ok, key: str, **args):
        """A ``kind`` (int or float) for which ``ok(number)`` holds; else the problem ``key``."""
        value = self.raw(name)
        if value is None:
            return default
        number = _convert(value, kind)
        if number is None or not ok(number):
            self.problems.append(msg(key, name=name, value=value[:40], **args))
            return default
        return number

    def whole(self, name: str, default: int, lo: int, hi: int | None = None) -> int:
        key = "settings.error.whole" if hi is None else "settings.error.whole_range"
        return self.number(name, default, int, lambda n: n >= lo and (hi is None or n <= hi), key,
                           lo=lo, hi=hi if hi is not None else 0)

    def seconds(self, name: str, default: float) -> float:
        return self.number(name, default, float, lambda n: math.isfinite(n) and n > 0, "settings.error.seconds")

    def flag(self, name: str, default: bool) -> bool:
        value = self.raw(name)
        if value is None:
            return default
        if value not in ("0", "1"):
            self.problems.append(msg("settings.error.flag", name=name, value=value[:40]))
            return default
        return value == "1"

    def path(self, name: str, default: Path, kind: str = "folder") -> Path:
        """A folder (that may not exist yet, but is no file) or a ``kind="file"`` that exists."""
        value = self.raw(name)
        if value is None:
            return default
        path = Path(value).expanduser()
        bad = (not path.is_file()) if kind == "file" else (path.exists() and not path.is_dir())
        if bad:
            self.problems.append(msg(f"settings.error.not_a_{kind}", name=name, value=value[-80:]))
            return default
        return path


def read_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """The settings from ``environ`` (default: this process's); raises :class:`SettingsError` listing every
    invalid value."""
    r = _Reader(os.environ if environ is None else environ)
    settings = Settings(
        max_jobs=r.whole("CNNVIZ_MAX_JOBS", max(1, (os.cpu_count() or 1) // 2), 1),
        user_checkpoints=r.path("CNNVIZ_USER_CHECKPOINTS", Path("checkpoints/user")),
        orphan_timeout=r.seconds("CNNVIZ_ORPHAN_TIMEOUT", 120.0),
        worker_nice=r.whole("CNNVIZ_WORKER_NICE", 10, 0, 19),
        server_threads=r.whole("CNNVIZ_SERVER_THREADS", 1, 1, 256),
        train_limit=r.whole("CNNVIZ_TRAIN_LIMIT", 0, 0),
        test_limit=r.whole("CNNVIZ_TEST_LIMIT", 0, 0),
        prewarm=r.flag("CNNVIZ_PREWARM", True),
        malloc_tune=r.flag("CNNVIZ_MALLOC_TUNE", True),
        data_root=r.path("CNNVIZ_DATA", ROOT / "data"),
        max_runs_per_owner=r.whole("CNNVIZ_MAX_RUNS_PER_OWNER", 2, 1, 1000),
        user_data=r.path("CNNVIZ_USER_DATA", ROOT / "data" / "user"),
        tour=r.path("CNNVIZ_TOUR", ROOT / "tour.toml", "file"),
    )
    if r.problems:
        raise SettingsError(r.problems)
    return settings
