import atexit
import contextlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)  # AppTest resolves page paths against the working directory

# Training slots (cnnviz.slots) are machine-wide lock files: the tests, and the app servers they start
# (which inherit this environment), get their own folder, never the one of a server running on the machine.
_SLOTS_DIR = tempfile.mkdtemp(prefix="cnnviz-test-slots-")
os.environ["CNNVIZ_SLOTS_DIR"] = _SLOTS_DIR
atexit.register(shutil.rmtree, _SLOTS_DIR, True)
# The environment this session began with, for tests that start a Python of their own (test_ray_backend).
_SESSION_ENV = dict(os.environ)


@pytest.fixture(scope="session")
def session_env() -> dict[str, str]:
    return dict(_SESSION_ENV)


# ----------------------------------------------------------------------------- real-browser tests
# One app server and one headless Chromium per test module (see tests/browser_support.py); a module
# sets the server's environment with a module-level SERVER_ENV dict. Skipped without Chromium.



@pytest.fixture(scope="module")
def app_server(request, tmp_path_factory):
    from tests.browser_support import ARTIFACTS, chromium_missing, start_server

    why = chromium_missing()
    if why:
        pytest.skip(why)
    env = getattr(request.module, "SERVER_ENV", {})
    with start_server(env, log_dir=tmp_path_factory.mktemp("server")) as srv:
        try:
            yield srv
        finally:   # the server's output, next to the screenshots
            ARTIFACTS.mkdir(exist_ok=True)
            (ARTIFACTS / f"server.{request.module.__name__.rsplit('.', 1)[-1]}.log").write_text(srv.log_tail(200_000))


@pytest.fixture(scope="module")
def browser():
    from tests.browser_support import chromium_missing, launch_chromium

    why = chromium_missing()
    if why:
        pytest.skip(why)
    with launch_chromium() as b:
        yield b


def pytest_collection_modifyitems(items):
    """Every test in a ``test_browser_*`` module is a ``browser`` test (``-m "not browser"`` skips them)."""
    for item in items:
        if item.module.__name__.rsplit(".", 1)[-1].startswith("test_browser_"):
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    if call.when == "call":
        item.browser_test_failed = outcome.get_result().failed


@pytest.fixture
def page(browser, app_server, request):
    """A fresh browser context (English unless the module sets LOCALE, 1400×1000) per test; when the
    test fails, a screenshot of where it ended up is saved as ``artifacts/FAILED.<module>.<test>.png``."""
    from tests.browser_support import screenshot

    context = browser.new_context(viewport={"width": 1400, "height": 1000},
                                  locale=getattr(request.module, "LOCALE", "en-US"))
    context.set_default_timeout(60_000)
    pg = context.new_page()
    yield pg
    if getattr(request.node, "browser_test_failed", False):
        with contextlib.suppress(Exception):
            screenshot(pg, f"FAILED.{request.module.__name__.rsplit('.', 1)[-1]}.{request.node.name}")
    context.close()
