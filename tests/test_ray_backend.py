"""cnnviz.ray_backend: without an address nothing starts; with a local Ray instance (127.0.0.1, 1 CPU)
the scenarios of ``tests/ray_cases.py`` (a run with its events, predictions and checkpoint; the one-CPU
limit; cancel while waiting; stop mid-run; the same through the JobManager the page uses).

The scenarios run in a Python of their own, started with the environment this test session began with.
Inside the whole suite's process (after ~1,000 tests: AppTest sessions, browser drivers, servers started
and stopped) a local Ray run three times in four CI runs never answered (its actor took ~30 s of CPU and
then served no call; `diagnose` in ray_cases.py), while the same module alone passed every time, also
with both cores busy and in a fresh virtual environment.

Skipped when Ray is not installed (``pip install -r requirements-ray.txt``; CI installs it)."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

try:
    import ray
except ImportError as exc:  # the reason is shown by pytest -ra
    ray = None
    _why = f"Ray is not installed (pip install -r requirements-ray.txt): {exc}"
else:
    _why = ""

pytestmark = pytest.mark.skipif(ray is None, reason=_why)

ROOT = Path(__file__).resolve().parents[1]


def test_without_an_address_nothing_starts(monkeypatch):
    from cnnviz.ray_backend import ADDRESS_ENV, RayBackend, RayUnavailable, ray_address

    monkeypatch.setenv(ADDRESS_ENV, "  ")
    assert ray_address() is None
    if not ray.is_initialized():
        with pytest.raises(RayUnavailable, match=ADDRESS_ENV):
            RayBackend()
        assert not ray.is_initialized()
    monkeypatch.setenv(ADDRESS_ENV, "head.example:6379")
    assert ray_address() == "head.example:6379"
    # importing the backend does not import Ray (a laptop without Ray runs the app as before)
    code = "import sys, cnnviz.ray_backend; print('ray' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def _default_signals() -> None:
    """In the child: the signal dispositions of a fresh process (an ignored SIGCHLD or SIGINT would be
    inherited by Ray's raylet and workers)."""
    for sig in (signal.SIGCHLD, signal.SIGINT, signal.SIGTERM, signal.SIGPIPE, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)


@pytest.mark.slow
def test_ray_scenarios_in_a_fresh_interpreter(session_env):
    """Every scenario of tests/ray_cases.py passes; its own pytest output is shown when one does not."""
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rA",
                           "tests/ray_cases.py"], cwd=ROOT, env=session_env, capture_output=True, text=True,
                          timeout=540, preexec_fn=_default_signals)
    out = proc.stdout[-12000:] + proc.stderr[-3000:]
    assert proc.returncode == 0, out
    assert re.search(r"^2 passed", proc.stdout, re.M), out    # both scenarios ran (none skipped or deselected)
