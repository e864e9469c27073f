"""Translation tables by area, merged into :data:`cnnviz.i18n.TEXTS` when :mod:`cnnviz.i18n` is imported.

Each module here defines ``EN`` and ``ZH``, two dicts of the same keys (``str.format`` templates, as in
:mod:`cnnviz.i18n`).  A new area (a page section, the messages of a library module) adds a module here
instead of growing the one big table.  :func:`tables` finds the modules by name, so adding one needs no
other edit; a key defined twice (here or in :mod:`cnnviz.i18n` itself) is an error at import.
"""

from __future__ import annotations

import importlib
import pkgutil


def tables() -> list[tuple[str, dict[str, str], dict[str, str]]]:
    """``(module name, EN, ZH)`` for every module of this package, in name order."""
    out = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        mod = importlib.import_module(f"{__name__}.{info.name}")
        out.append((info.name, mod.EN, mod.ZH))
    return out
