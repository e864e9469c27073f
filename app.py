"""cnnviz: the entry file is only a router (like Streamlit's `hello` demo)."""

import streamlit as st

from ui.i18n import t
from ui.sidebar import sidebar_settings
from ui.tour import tour_bar

st.set_page_config(page_title=t("app.page_title"), page_icon="🧠", layout="wide")

PAGES = {   # the lecture tour (tour.toml) names pages by these keys
    "home": st.Page("pages/home.py", title=t("nav.home"), icon="🏠", default=True),
    "kernels": st.Page("pages/kernels.py", title=t("nav.kernels"), icon="🔍", url_path="kernels"),
    "pooling": st.Page("pages/pooling.py", title=t("nav.pooling"), icon="🧊", url_path="pooling"),
    "training": st.Page("pages/training.py", title=t("nav.training"), icon="🏋️", url_path="training"),
    "feature-maps": st.Page("pages/feature_maps.py", title=t("nav.feature_maps"), icon="🔬",
                            url_path="feature-maps"),
    "your-data": st.Page("pages/your_data.py", title=t("nav.your_data"), icon="🗂️", url_path="your-data"),
}

sidebar_settings()   # language and lecture mode, remembered across pages (below the page menu)
page = st.navigation(list(PAGES.values()))
tour_bar(PAGES, page)
page.run()
