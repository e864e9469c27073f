"""The session's language: ``t(key, **fmt)`` for pages, the language chosen in the sidebar.

The choice lives in ``st.session_state`` (kept across pages); before the user picks one it
defaults to the browser's language (``st.context.locale``) and falls back to English.
"""

from __future__ import annotations

import streamlit as st

from cnnviz import i18n
from ui.compat import in_script_run

LANG_KEY = "cnnviz_lang"


def browser_lang() -> str:
    """``"zh"`` for a Chinese browser, otherwise English (also when Streamlit cannot tell)."""
    try:
        locale = st.context.locale
    except Exception:  # no browser context (bare script, older Streamlit)
        locale = None
    return i18n.normalize_lang(locale)


_LAST: list[str] = [i18n.DEFAULT_LANG]


def lang() -> str:
    """The current language code (``"en"`` or ``"zh"``), remembered in the session."""
    if not in_script_run():
        # Outside a script run (AppTest evaluates widgets' format_func in the test's own thread):
        # the language of the last run. A running server always calls this inside a run.
        return _LAST[0]
    current = st.session_state.get(LANG_KEY)
    if current not in i18n.TEXTS:
        current = browser_lang()
        st.session_state[LANG_KEY] = current
    _LAST[0] = current
    return current


def t(key: str, **fmt) -> str:
    """The text for ``key`` in the session's language."""
    return i18n.t(key, lang(), **fmt)


def tf(prefix: str):
    """A ``format_func`` for widgets whose options are table keys: ``tf("pool_kind")("max")``."""
    return lambda option: t(f"{prefix}.{option}")


def retitle(fig, titles=None, names=None, **layout):
    """Translate a plotly figure built in English: its subplot titles (in order), trace names
    (``names``: English name → table key) and layout texts such as ``xaxis_title=...``.
    In English the figure is returned unchanged."""
    if lang() == "en":
        return fig
    if titles:
        for ann, text in zip(fig.layout.annotations, titles):
            ann.text = text
    if names:
        for trace in fig.data:
            if trace.name in names:
                trace.name = t(names[trace.name])
    if layout:
        fig.update_layout(**layout)
    return fig


def tm(message, md: bool = False) -> str:
    """A library message in the session's language: a :class:`cnnviz.messages.Msg`, or an error carrying
    one (:class:`cnnviz.messages.MessageError`).

    ``md=True`` for text that goes into markdown (``st.error``, ``st.caption``, ``st.markdown``…): every
    string argument (a file or class name from a user, a checkpoint's metadata) is passed through
    :func:`ui.common.md_escape`, nested messages too; the templates' own markdown stays.  Leave it off for
    plain-text places (plotly labels, ``st.text``, ``format_func``), where backslashes would show."""
    from cnnviz.messages import MessageError

    if isinstance(message, MessageError):
        message = message.message
    if md:
        message = _escaped(message)
    return message.render(lang())


def _escaped(message):
    from cnnviz.messages import Msg
    from ui.common import md_escape

    def esc(v):
        if isinstance(v, Msg):
            return _escaped(v)
        return md_escape(v) if isinstance(v, str) else v

    return Msg(message.key, {k: esc(v) for k, v in message.args.items()})
