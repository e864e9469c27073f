"""Start the app: ``python scripts/serve.py [streamlit options]`` (what scripts/run.sh runs).

The same as ``streamlit run app.py``, with three additions, in this order:

1. the hosting settings (``CNNVIZ_*``, :mod:`cnnviz.settings`) are checked first: a bad value stops the
   launch with a message on stderr and exit code 2, before Streamlit is even imported;
2. torch's thread count per page run is set (``CNNVIZ_SERVER_THREADS``) before torch is imported;
3. Streamlit is told that the app routes with ``st.navigation`` (``ui.compat.route_with_st_navigation_only``:
   otherwise a visitor who opens ``/kernels`` first, right after a start, would skip ``app.py``'s router).

glibc's malloc tuning (``GLIBC_TUNABLES``, :mod:`cnnviz.runtime`) must be in the environment before Python
starts; ``scripts/run.sh`` sets it.
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def check_settings():
    """The validated settings, or None after printing why they are refused (in English, on stderr)."""
    from cnnviz.messages import msg
    from cnnviz.settings import SettingsError, read_settings

    try:
        return read_settings()
    except SettingsError as exc:
        lines = [msg("settings.refused").english()] + [f"  - {p.english()}" for p in exc.problems]
        print("\n".join(lines), file=sys.stderr)
        return None


def main(args: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    settings = check_settings()
    if settings is None:
        return 2
    from cnnviz.runtime import malloc_tuned

    if settings.malloc_tune and not malloc_tuned() and sys.platform.startswith("linux"):
        print("cnnviz: glibc's malloc is not tuned for image-sized arrays (GLIBC_TUNABLES must be set before "
              "Python starts: run scripts/run.sh, or see cnnviz/runtime.py)", file=sys.stderr)
    # One torch thread per page run (default 1): a lecture hall's sessions already run in parallel, and every
    # script thread that runs a torch op with two threads brings its own OpenMP team, so 20 sessions meant 40
    # busy threads on 2 cores (benchmarks/LOAD_RESULTS.md).  Training workers set their own thread count.
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, str(settings.server_threads))
    from streamlit.web import cli

    from ui.compat import route_with_st_navigation_only

    route_with_st_navigation_only()
    sys.argv = ["streamlit", "run", str(ROOT / "app.py"), *args]
    return cli.main()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
