"""The sidebar settings every page shares: the language and lecture mode.

``app.py`` calls :func:`sidebar_settings` on every run, before the page runs; the
choices live in plain ``st.session_state`` keys, so they survive page switches (a
widget's own state is dropped on a page that does not draw it). Pages ask
:func:`lecture_mode` to show bigger figures and fewer controls.
"""

from __future__ import annotations

import streamlit as st

from cnnviz import i18n
from ui.compat import start_session_reaper
from ui.i18n import LANG_KEY, lang, t

LECTURE_KEY = "cnnviz_lecture"
_LANG_WIDGET = "cnnviz_lang_widget"
_LECTURE_WIDGET = "cnnviz_lecture_widget"
FIGURE_SCALE = 1.45     # figure heights in lecture mode
FONT_SIZE = 20          # plotly font size in lecture mode

# Large type and high contrast: black on white, bold labels, thicker focus and slider tracks.
LECTURE_CSS = """
<style>
html { font-size: 21px; }
.stApp, .stApp [data-testid="stSidebar"] { background: #ffffff; color: #000000; }
.stApp [data-testid="stMarkdownContainer"] p, .stApp [data-testid="stMarkdownContainer"] li {
  font-size: 1.3rem; line-height: 1.55; color: #000000; }
.stApp h1 { font-size: 2.9rem; color: #000000; font-weight: 800; }
.stApp h2 { font-size: 2.2rem; color: #000000; font-weight: 800; }
.stApp h3 { font-size: 1.8rem; color: #000000; font-weight: 700; }
.stApp [data-testid="stCaptionContainer"], .stApp [data-testid="stCaptionContainer"] p {
  font-size: 1.12rem; color: #111111; }
.stApp [data-testid="stWidgetLabel"] p { font-size: 1.2rem; font-weight: 700; color: #000000; }
.stApp [data-testid="stSelectbox"] input { font-size: 1.15rem; }
.stApp figure.cnnviz-tile figcaption { font-size: 1.12rem; color: #111111; }
.stApp [data-testid="stCheckbox"] label p, .stApp [data-testid="stWidgetLabel"] p {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important; }
.stApp [data-testid="stMetricValue"], .stApp [data-testid="stMetricValue"] * {
  font-size: 2.4rem !important; line-height: 1.25 !important; font-weight: 800; color: #000000; }
.stApp [data-testid="stMetricLabel"] p { font-size: 1.15rem; color: #000000; }
.stApp [data-testid="stMetricLabel"] * { white-space: normal !important; overflow: visible !important;
  text-overflow: clip !important; }
.stApp code { color: #000000; background: #e8e8e8; font-size: 1.1em; }
.stApp [data-testid="stAlert"] p { font-size: 1.25rem; color: #000000; }
.stApp [data-testid="stSidebarNav"] span { font-size: 1.2rem; color: #000000; }
.stApp button p { font-size: 1.2rem; font-weight: 700; }
.stApp .katex { font-size: 1.6em; }
</style>
"""


def lecture_mode() -> bool:
    """Whether lecture mode is on (large type, high contrast, bigger figures, fewer controls)."""
    return bool(st.session_state.get(LECTURE_KEY, False))


def fig_height(height: int) -> int:
    """A figure height, scaled up in lecture mode."""
    return int(round(height * FIGURE_SCALE)) if lecture_mode() else int(height)


def styled(fig, grow: bool = True):
    """Bigger fonts and (``grow``) a taller figure in lecture mode; returns the same plotly figure.
    Pictures keep their height (``grow=False``): their width, not their height, limits them."""
    if lecture_mode():
        h = fig.layout.height
        fig.update_layout(font=dict(size=FONT_SIZE, color="#000000"), title_font_size=FONT_SIZE + 4)
        if h and grow:
            fig.update_layout(height=fig_height(h))
        fig.update_annotations(font_size=FONT_SIZE - 2)
    return fig


def _copy(src: str, dst: str) -> None:
    st.session_state[dst] = st.session_state[src]


def _resendable(value) -> bool:
    """A value of a widget whose state may be written (selectbox, radio, multiselect, sliders,
    number and text inputs). Buttons (bool), uploads and editors must never be written."""
    if isinstance(value, (list, tuple)):
        return all(_resendable(v) for v in value)
    return isinstance(value, (str, int, float)) and not isinstance(value, bool)


def _language_changed() -> None:
    """Store the new language, then write every option-valued widget's value back to itself.

    Streamlit keeps a selectbox's or radio's choice in the browser as its *label*, and the labels
    have just changed language: the browser would show no choice, and the next rerun would fall
    back to the first option. A value written through ``st.session_state`` is sent to the browser
    again, formatted in the new language. (``global.disableWidgetStateDuplicationWarning`` in
    ``.streamlit/config.toml`` keeps Streamlit from warning about widgets with a default value.)"""
    _copy(_LANG_WIDGET, LANG_KEY)
    for key in list(st.session_state.keys()):
        if key in (_LANG_WIDGET, LANG_KEY, _LECTURE_WIDGET, LECTURE_KEY):
            continue
        try:
            value = st.session_state[key]
            if _resendable(value):
                st.session_state[key] = value
        except Exception:   # not writable: leave it as it is
            pass


def sidebar_settings() -> None:
    """The language selectbox and the lecture-mode toggle; injects the lecture CSS when it is on.
    Also starts, once per server, the thread that returns closed sessions' memory (``ui.compat``)."""
    start_session_reaper()
    current = lang()
    if st.session_state.get(_LANG_WIDGET) != current:
        st.session_state[_LANG_WIDGET] = current
    lecture = lecture_mode()
    if st.session_state.get(_LECTURE_WIDGET) != lecture:
        st.session_state[_LECTURE_WIDGET] = lecture
    st.sidebar.selectbox(t("sidebar.language"), list(i18n.LANGS), format_func=i18n.LANG_NAMES.get,
                         key=_LANG_WIDGET, on_change=_language_changed)
    st.sidebar.toggle(t("sidebar.lecture"), key=_LECTURE_WIDGET, help=t("sidebar.lecture_help"),
                      on_change=_copy, args=(_LECTURE_WIDGET, LECTURE_KEY))
    if lecture_mode():
        st.html(LECTURE_CSS)
