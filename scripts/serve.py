"""Start the app: ``python scripts/serve.py [streamlit options]`` (what scripts/run.sh runs).

The same as ``streamlit run app.py``, with one fix: Streamlit 1.67 treats the first
session after a server start as an old-style (v1) multipage app when a ``pages/``
folder sits next to the main script, so a visitor who opens ``/kernels`` before
anyone has opened ``/`` would skip ``app.py``'s router.  cnnviz routes with
``st.navigation``, so the launcher tells Streamlit so before the server starts.
"""

import os
import sys
from pathlib import Path

from streamlit.runtime.pages_manager import PagesManager
from streamlit.web import cli

ROOT = Path(__file__).resolve().parents[1]

if __name__ == "__main__":
    # glibc's malloc keeps image-sized blocks for reuse (cnnviz.runtime: fresh memory is slow to fault in
    # here); glibc reads this at process start, so this restarts the launcher once with it set
    sys.path.insert(0, str(ROOT))
    from cnnviz.runtime import reexec_with_malloc_tunables

    reexec_with_malloc_tunables()
    # One torch thread per page run (``CNNVIZ_SERVER_THREADS``, default 1): a lecture hall's sessions
    # already run in parallel, and every script thread that runs a torch op with two threads brings its
    # own OpenMP team, so 20 sessions meant 40 busy threads on 2 cores (benchmarks/LOAD_RESULTS.md).
    # Training workers set their own thread count.  Set before torch is imported.
    threads = os.environ.get("CNNVIZ_SERVER_THREADS", "1").strip() or "1"
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, threads)
    PagesManager.uses_pages_directory = False
    sys.argv = ["streamlit", "run", str(ROOT / "app.py"), *sys.argv[1:]]
    sys.exit(cli.main())
