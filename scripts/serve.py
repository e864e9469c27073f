"""Start the app: ``python scripts/serve.py [streamlit options]`` (what scripts/run.sh runs).

The same as ``streamlit run app.py``, with one fix: Streamlit 1.67 treats the first
session after a server start as an old-style (v1) multipage app when a ``pages/``
folder sits next to the main script, so a visitor who opens ``/kernels`` before
anyone has opened ``/`` would skip ``app.py``'s router.  cnnviz routes with
``st.navigation``, so the launcher tells Streamlit so before the server starts.
"""

import sys
from pathlib import Path

from streamlit.runtime.pages_manager import PagesManager
from streamlit.web import cli

ROOT = Path(__file__).resolve().parents[1]

if __name__ == "__main__":
    PagesManager.uses_pages_directory = False
    sys.argv = ["streamlit", "run", str(ROOT / "app.py"), *sys.argv[1:]]
    sys.exit(cli.main())
