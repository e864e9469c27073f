"""The import rules of DEVELOPERS.md, read from the code (AST: every import statement, lazy ones inside
functions included), so a new module is covered without editing this file.

* ``cnnviz`` (the library) never imports streamlit, ``ui`` or ``pages``; importing all of it loads neither
  streamlit nor torchvision (torchvision costs ~1.7 s; it is imported only where needed);
* ``cnnviz/models.py`` imports only torch, the standard library and ``cnnviz.messages``;
* image operations never import models or training, directly or through another cnnviz module: a module
  is an image operation when its name (or its package's, for ``cnnviz/kernels/…``) matches
  :data:`IMAGE_OPS` (kernels, convolution, pooling, images, drawing, display, inspector, presets, …);
* ``cnnviz/figures`` never imports training (directly or through another cnnviz module);
* ``ui`` never imports ``pages``;
* pages import only ``ui``, ``cnnviz``, streamlit (and its components), the standard library, numpy and pandas.
"""

from __future__ import annotations

import ast
import fnmatch
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STDLIB = set(sys.stdlib_module_names)
IMAGE_OPS = ["kernel*", "conv*", "pool*", "image*", "drawing*", "display*", "inspect*", "preset*", "padding*",
             "scaling*", "filter*", "canvas*"]
MODEL_SIDE = {"cnnviz.models", "cnnviz.training"}
PAGE_THIRD_PARTY = {"streamlit", "streamlit_drawable_canvas", "numpy", "pandas"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imports(path: Path) -> set[str]:
    """Every module ``path`` imports, as absolute dotted names (``from . import x`` gives ``pkg.x`` too)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            if base == "__future__":
                continue
            out.add(base)
            out.update(f"{base}.{a.name}" for a in node.names if a.name != "*")
    return out


def modules(folder: str) -> dict[str, set[str]]:
    return {module_name(p): imports(p) for p in sorted((ROOT / folder).rglob("*.py"))}


LIB = modules("cnnviz")


def closure(mod: str) -> set[str]:
    """The cnnviz modules ``mod`` imports, directly or through other cnnviz modules."""
    seen: set[str] = set()
    todo = [mod]
    while todo:
        for target in LIB.get(todo.pop(), ()):
            if target in LIB and target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def top(name: str) -> str:
    return name.split(".")[0]


def is_image_op(mod: str) -> bool:
    parts = mod.split(".")[1:]           # without "cnnviz"
    return any(fnmatch.fnmatch(p, pat) for p in parts for pat in IMAGE_OPS)


def test_the_rules_see_the_code():
    """The classification finds what it should (so a rule cannot pass by matching nothing)."""
    assert {"cnnviz.models", "cnnviz.kernels", "cnnviz.pooling", "cnnviz.images", "cnnviz.figures"} <= set(LIB)
    assert {m for m in LIB if is_image_op(m)} >= {"cnnviz.kernels", "cnnviz.pooling", "cnnviz.images",
                                                  "cnnviz.drawing"}
    assert not is_image_op("cnnviz.models") and not is_image_op("cnnviz.training") and is_image_op("cnnviz.kernels.x")
    assert "cnnviz.models" in closure("cnnviz.featuremaps")           # transitive imports are followed
    assert "cnnviz.images" in imports(ROOT / "cnnviz" / "drawing.py")  # relative imports are resolved


def test_the_library_never_imports_streamlit_ui_or_pages():
    bad = {m: sorted(i for i in imps if top(i) in ("streamlit", "ui", "pages")) for m, imps in LIB.items()}
    assert not {m: v for m, v in bad.items() if v}


def test_importing_every_cnnviz_module_loads_no_streamlit_nor_torchvision():
    code = ("import importlib, sys\n"
            f"for m in {sorted(LIB)!r}: importlib.import_module(m)\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('streamlit', 'torchvision', 'ui', 'pages'))\n"
            "print(len(bad)); print(bad[:5])\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0] == "0", r.stdout


def test_models_import_only_torch():
    # cnnviz.spec builds the user's designed networks from the same blocks; models.from_spec/check_spec (the
    # API the issue names) hand over to it when called, so importing models stays torch-only (checked below)
    allowed = {"torch", "cnnviz", "cnnviz.messages", "cnnviz.spec"}
    bad = sorted(i for i in LIB["cnnviz.models"]
                 if top(i) not in STDLIB and top(i) != "torch" and i not in allowed)
    assert not bad, f"cnnviz/models.py may import only torch, the standard library and cnnviz.messages: {bad}"
    code = "import sys, cnnviz.models; print(sorted(m for m in sys.modules if m.startswith('cnnviz')))"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.stdout.strip() == "['cnnviz', 'cnnviz.models']", r.stdout + r.stderr


def test_image_operations_never_import_models_or_training():
    bad = {m: sorted(closure(m) & MODEL_SIDE) for m in LIB if is_image_op(m)}
    assert not {m: v for m, v in bad.items() if v}


def test_figures_never_import_training():
    figures = [m for m in LIB if any(p.startswith("figure") for p in m.split(".")[1:])]
    assert figures
    bad = {m: sorted(i for i in closure(m) if any(p.startswith("training") for p in i.split(".")[1:]))
           for m in figures}
    assert not {m: v for m, v in bad.items() if v}


def test_ui_never_imports_pages():
    bad = {m: sorted(i for i in imps if top(i) == "pages") for m, imps in modules("ui").items()}
    assert not {m: v for m, v in bad.items() if v}


def test_pages_import_only_ui_cnnviz_streamlit_and_basics():
    allowed = {"ui", "cnnviz"} | PAGE_THIRD_PARTY
    bad = {m: sorted(i for i in imps if top(i) not in allowed and top(i) not in STDLIB)
           for m, imps in modules("pages").items()}
    assert not {m: v for m, v in bad.items() if v}, "pages use ui/ and cnnviz/ (torch, plotly, … go through them)"
