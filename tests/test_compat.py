"""ui/compat.py holds every private Streamlit/plotly name the app uses; this test says so when an upgrade moves one.

* the installed streamlit and plotly are the versions requirements.txt pins (the names were checked against
  those);
* every private name listed in ``ui.compat.PRIVATE_NAMES`` still exists;
* no other module of the app reaches into Streamlit's internals;
* the functions behave as the app relies on them to (outside a server, and the plotly fast path).
"""

from __future__ import annotations

import ast
import importlib
import importlib.metadata
import importlib.util
import inspect
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ui import compat

ROOT = Path(__file__).resolve().parents[1]


def pins() -> dict[str, str]:
    out = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        m = re.match(r"^\s*([A-Za-z0-9_.-]+)\s*==\s*([^\s#;]+)", line)
        if m:
            out[m.group(1).lower()] = m.group(2)
    return out


@pytest.mark.parametrize("package", compat.PINNED)
def test_installed_version_is_the_pinned_one(package):
    pinned = pins().get(package)
    assert pinned, f"requirements.txt must pin {package}==<version>: ui/compat.py uses its private names"
    installed = importlib.metadata.version(package)
    assert installed == pinned, (
        f"{package} {installed} is installed but requirements.txt pins {pinned}. ui/compat.py uses private "
        f"names of {package} that may have changed: check each function there against {package} {installed} "
        f"(and the names in ui.compat.PRIVATE_NAMES), then update the pin.")


def _resolve(module: str, path: str) -> None:
    """Import ``module`` and follow ``path``; an attribute set only in ``__init__`` (``self.x = …``) counts."""
    obj = importlib.import_module(module)
    parts = path.split(".")
    for i, part in enumerate(parts):
        if hasattr(obj, part):
            obj = getattr(obj, part)
            continue
        last = i == len(parts) - 1
        if last and inspect.isclass(obj) and re.search(rf"self\.{re.escape(part)}\s*[:=]", inspect.getsource(obj)):
            return
        raise AttributeError(f"{module}.{'.'.join(parts[:i + 1])}")


@pytest.mark.parametrize("module, path", compat.PRIVATE_NAMES, ids=[f"{m}:{p}" for m, p in compat.PRIVATE_NAMES])
def test_every_private_name_still_exists(module, path):
    try:
        _resolve(module, path)
    except (ImportError, AttributeError) as exc:
        pytest.fail(f"{module}.{path}, which ui/compat.py uses, is gone in this version ({exc}): "
                    "rewrite the function of ui/compat.py that uses it")


# Still to move (ui/training.py belongs to the training work): remove the entry when it uses
# ui.compat.session_id and ui.compat.is_session_active; the test fails when an entry is no longer needed.
def test_only_compat_imports_streamlit_internals():
    """Pages, ui/, scripts/ and app.py use Streamlit's public API; its internals go through ui/compat.py."""
    private = ("streamlit.runtime", "streamlit.web", "streamlit.elements", "streamlit.proto",
               "streamlit.delta_generator")
    allowed = {"streamlit.web.cli"}     # the launcher starts Streamlit through its command line
    offenders: dict[str, list[str]] = {}
    for path in [ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "ui").glob("*.py"),
                 *(ROOT / "scripts").glob("*.py")]:
        if path.name == "compat.py" or not path.exists():
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [f"{node.module}.{a.name}" for a in node.names]
            else:
                continue
            bad = [n for n in names if n.startswith(private) and n not in allowed]
            if bad:
                offenders.setdefault(str(path.relative_to(ROOT)), []).extend(bad)
    assert not offenders, offenders


def test_outside_a_server():
    assert not compat.in_script_run() and compat.session_id() is None
    assert compat.reap_sessions() == (0, 0)
    assert compat.collect_garbage() >= 0


def test_route_with_st_navigation_only():
    code = ("import sys; sys.path.insert(0, '.')\n"
            "from streamlit.runtime.pages_manager import PagesManager\n"
            "from ui.compat import route_with_st_navigation_only\n"
            "route_with_st_navigation_only(); print(PagesManager.uses_pages_directory)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "False", r.stderr


def test_prevalidated_figure_goes_through_plotly_chart_as_it_is():
    import plotly.io
    import plotly.tools

    spec = {"data": [{"type": "bar", "x": ["a", "b"], "y": [1, 2]}], "layout": {"height": 200}}
    fig = compat.prevalidated_figure(spec)
    # what st.plotly_chart does with it (streamlit/elements/plotly_chart.py)
    assert plotly.tools.return_figure_from_figure_or_data(fig, validate_figure=True) is spec
    assert json.loads(plotly.io.to_json(spec, validate=False)) == spec
    assert compat.prevalidated_figure({"data": []}).to_dict() == {"data": []}
    assert type(fig) is type(compat.prevalidated_figure({}))    # one class, made once


def test_malloc_tunables_for_the_launcher():
    from cnnviz import runtime

    run = [sys.executable, "-m", "cnnviz.runtime", "--print-tunables"]
    base = {"PATH": "/usr/bin:/bin"}
    out = subprocess.run(run, capture_output=True, text=True, cwd=ROOT, env=base, timeout=120).stdout.strip()
    assert dict(i.split("=") for i in out.split(":")) == runtime.MALLOC_TUNABLES
    off = subprocess.run(run, capture_output=True, text=True, cwd=ROOT, env={**base, "CNNVIZ_MALLOC_TUNE": "0"},
                         timeout=120)
    assert off.returncode == 0 and off.stdout == ""
    tuned = subprocess.run([sys.executable, "-c", "from cnnviz.runtime import malloc_tuned; print(malloc_tuned())"],
                           capture_output=True, text=True, cwd=ROOT, env={**base, "GLIBC_TUNABLES": out}, timeout=120)
    assert tuned.stdout.strip() == "True", tuned.stderr


def test_the_canvas_still_has_the_button_that_sends_at_once():
    """ui.compat.canvas_sends_at_once presses the canvas toolbar's upload button, found by its label, to skip
    the component's 200 ms wait after a stroke: the installed bundle must still make that button."""
    spec = importlib.util.find_spec("streamlit_drawable_canvas")    # not imported: it needs a running app
    build = Path(spec.origin).parent / "frontend" / "build"
    bundle = "\n".join(p.read_text(errors="replace") for p in build.glob("*.js"))
    assert f'"{compat.CANVAS_SEND_LABEL}"' in bundle, (
        f"streamlit-drawable-canvas no longer has a button labelled {compat.CANVAS_SEND_LABEL!r}: "
        "ui/compat.canvas_sends_at_once must find another way to send a stroke at once (or drop it)")
    assert "onSend" in bundle
