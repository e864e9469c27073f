"""A test-only page for ui.url_state: one choice with translated labels, kept in the URL by its value."""

import streamlit as st

from ui import url_state

OPTIONS = ["max", "avg", "lp"]
url_state.begin()
note = st.empty()
url_state.take("kind", lambda raw: OPTIONS[OPTIONS.index(raw)])
kind = st.selectbox("Kind", OPTIONS, key="kind", format_func=lambda o: {"max": "Max", "avg": "平均", "lp": "Lp"}[o])
url_state.put("kind", kind, default="max")
st.write(f"kind={kind}")
url_state.show_note(note)
