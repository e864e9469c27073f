"""cnnviz: the entry file is only a router (like Streamlit's `hello` demo)."""

import streamlit as st

st.set_page_config(page_title="cnnviz: see inside a CNN", page_icon="🧠", layout="wide")

PAGES = [
    st.Page("pages/home.py", title="How a CNN works", icon="🏠", default=True),
    st.Page("pages/kernels.py", title="Kernels", icon="🔍", url_path="kernels"),
    st.Page("pages/pooling.py", title="Pooling", icon="🧊", url_path="pooling"),
    st.Page("pages/feature_maps.py", title="Feature maps", icon="🔬", url_path="feature-maps"),
    st.Page("pages/training.py", title="Training", icon="🏋️", url_path="training"),
]

st.navigation(PAGES).run()
