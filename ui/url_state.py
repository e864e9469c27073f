"""Views as links: a page's main choices live in the URL, so a lecturer can put a view on a slide.

A page names its linked widgets in a :class:`Linked` table (widget key → the values it may take) and
calls :func:`apply_link` before drawing them and :func:`write_link` after.  Values in the URL are the
widgets' option *values* (``kernels_preset=sobel_x``), never their translated labels, so one link works
in every language (Streamlit's own ``bind="query-params"`` puts a selectbox's label in the URL).

A value from a link is applied once: the reader can change the widget afterwards, and the URL follows.
A value a widget cannot take falls back to the widget's default with a short note naming it.  Nothing
private goes into the URL: run owners and uploads stay in the session.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import streamlit as st

from ui.i18n import t

_APPLIED = "_url_applied_"    # session key prefix: the raw link value already applied to a widget


@dataclass(frozen=True)
class Param:
    """How one widget's value travels in the URL: ``parse`` gives the value or raises ValueError."""

    parse: Callable[[str], Any]
    default: Any


def choice(options: Sequence, default=None) -> Param:
    """One of ``options`` (compared as text: ``"3"`` selects the option 3)."""
    by_text = {str(o): o for o in options}

    def parse(raw: str):
        if raw not in by_text:
            raise ValueError(raw)
        return by_text[raw]
    return Param(parse, options[0] if default is None else default)


def integer(lo: int, hi: int, default: int) -> Param:
    def parse(raw: str) -> int:
        value = int(raw)
        if not lo <= value <= hi:
            raise ValueError(raw)
        return value
    return Param(parse, default)


def number(lo: float, hi: float, default: float) -> Param:
    def parse(raw: str) -> float:
        value = float(raw)
        if not lo <= value <= hi:   # NaN fails too
            raise ValueError(raw)
        return value
    return Param(parse, default)


def flag(default: bool = False) -> Param:
    def parse(raw: str) -> bool:
        if raw.lower() not in ("true", "false", "1", "0"):
            raise ValueError(raw)
        return raw.lower() in ("true", "1")
    return Param(parse, default)


def _text(value) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def apply_link(params: dict[str, Param]) -> None:
    """Before the widgets are drawn: put each new value of the URL into its widget's state, and say which
    values could not be used."""
    bad = []
    for key, param in params.items():
        raw = st.query_params.get(key)
        if raw is None or st.session_state.get(_APPLIED + key) == raw:
            continue
        st.session_state[_APPLIED + key] = raw
        try:
            st.session_state[key] = param.parse(raw)
        except (ValueError, TypeError):
            st.session_state[key] = param.default
            bad.append(key)
    if bad:
        st.caption("⚠️ " + t("url.bad_params", names=", ".join(bad)))


def write_link(params: dict[str, Param]) -> None:
    """After the widgets are drawn: the URL holds every linked choice that differs from its default."""
    for key, param in params.items():
        if key not in st.session_state:     # not drawn on this run (lecture mode hides some)
            continue
        value = st.session_state[key]
        if value == param.default or value is None:
            st.query_params.pop(key, None)
            st.session_state[_APPLIED + key] = None
        else:
            if st.query_params.get(key) != _text(value):
                st.query_params[key] = _text(value)
            st.session_state[_APPLIED + key] = _text(value)
