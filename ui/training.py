"""Streamlit glue for training jobs: the server-wide job manager and who owns which job.

* One :class:`cnnviz.jobs.JobManager` per server, kept with ``st.cache_resource``.
* A browser tab is identified by an *owner* token kept in ``st.session_state``
  (survives reruns and page switches) and mirrored in the ``?owner=`` query
  parameter (survives a tab reload, which starts a new Streamlit session).
* Liveness: the manager stops the jobs of an owner that has not polled for a
  while, unless one of the owner's Streamlit sessions is still connected (for
  example the user is drawing on another page while the model trains).
"""

from __future__ import annotations

import os
import re
import threading
import uuid

import streamlit as st

from cnnviz.jobs import JobManager

OWNER_KEY = "cnnviz_owner"
_OWNER_RE = re.compile(r"^[0-9a-f]{32}$")
_SESSIONS: dict[str, set[str]] = {}  # owner -> Streamlit session ids that used it
_LOCK = threading.Lock()


def _owner_alive(owner: str) -> bool | None:
    """Whether any Streamlit session of ``owner`` is still connected (None: cannot tell)."""
    try:
        from streamlit.runtime import Runtime

        if not Runtime.exists():
            return None
        runtime = Runtime.instance()
        with _LOCK:
            sessions = list(_SESSIONS.get(owner, ()))
        alive = {s for s in sessions if runtime.is_active_session(s)}
        with _LOCK:
            if alive:
                _SESSIONS[owner] = alive
            else:
                _SESSIONS.pop(owner, None)
        return bool(alive)
    except Exception:
        return None


@st.cache_resource(show_spinner=False)
def job_manager() -> JobManager:
    """The server-wide job manager (limit: ``CNNVIZ_MAX_JOBS``, default half the cores)."""
    return JobManager(liveness=_owner_alive, prewarm=os.environ.get("CNNVIZ_PREWARM", "1") != "0")


def owner_id() -> str:
    """This browser tab's owner token; registers the session and sends a heartbeat."""
    owner = st.session_state.get(OWNER_KEY)
    if not owner:
        from_url = st.query_params.get("owner", "")
        owner = from_url if _OWNER_RE.match(from_url or "") else uuid.uuid4().hex
        st.session_state[OWNER_KEY] = owner
    if st.query_params.get("owner") != owner:
        st.query_params["owner"] = owner
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        ctx = get_script_run_ctx()
        if ctx is not None:
            with _LOCK:
                _SESSIONS.setdefault(owner, set()).add(ctx.session_id)
    except Exception:
        pass
    job_manager().heartbeat(owner)
    return owner
