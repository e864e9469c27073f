"""A page's main choices in the URL (``st.query_params``), so that a link reproduces the view.

Streamlit 1.67's ``bind="query-params"`` stores a widget's *displayed label* in the URL (the
``format_func`` text): a link made in Chinese would not open in English, a model's label carries its
accuracy, and the lecture tour's ``fm_model_a = "shipped:lenet5"`` would not match.  This module keeps the
option's own value instead (``shipped:lenet5``, ``digit``, ``c3``), with the public ``st.query_params``:

* :func:`take` (before the widget is drawn): when the URL holds a value for a choice that this session has
  not seen yet (a link, a tour step, the browser's back button), it is checked with the page's ``parse``
  and put into the widget's session state; an invalid one is removed from the URL and remembered for
  :func:`show_note`;
* :func:`put` (after the widget): the URL shows the current value, or nothing when it is the default;
* :func:`drop`: a choice that is not on the page now (the test digit while drawing) leaves the URL.

A page whose linked choices are plain widgets names them in one table of :class:`Param` (``choice``,
``integer``, ``flag``) and calls :func:`apply_link` before drawing them and :func:`write_link` after (the
kernels and pooling pages).

The session remembers what it last read or wrote per parameter, so a value the user changes afterwards is
not overwritten by the (older) URL, and a parameter that disappears from the URL resets the choice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import streamlit as st

from ui.i18n import t

_SEEN = "_url_seen"       # session state: {parameter: the value last read from or written to the URL}
_BAD = "_url_bad"         # session state: parameters of this run's URL that were not valid


class Invalid(ValueError):
    """Raised by a ``parse`` function for a value that does not fit the page now."""


def _seen() -> dict[str, str]:
    return st.session_state.setdefault(_SEEN, {})


def begin() -> None:
    """Call once at the top of the page: forget the previous run's invalid parameters."""
    st.session_state[_BAD] = []


def take(param: str, parse: Callable[[str], Any], state_key: str | None = None) -> bool:
    """If the URL's ``param`` is new to this session, ``parse`` it (raise :class:`Invalid`, ``ValueError``,
    ``KeyError`` … for a bad one) and store the result under ``state_key`` (default: ``param``).

    Returns whether a value from the URL was applied.  A parameter that was in the URL before and is gone
    now resets the choice (its session state is removed, so the widget shows its default)."""
    key = state_key or param
    raw = st.query_params.get(param)
    seen = _seen()
    if raw is None:
        if param in seen:               # the URL changed from outside (a tour step without it): the default
            del seen[param]
            st.session_state.pop(key, None)
        return False
    if seen.get(param) == raw:
        return False
    seen[param] = raw
    try:
        value = parse(raw)
    except (Invalid, ValueError, KeyError, TypeError, IndexError, OverflowError):
        mark_bad(param)
        return False
    st.session_state[key] = value
    return True


def mark_bad(param: str) -> None:
    """``param`` in the URL is not valid (now): remove it and mention it in :func:`show_note`."""
    st.query_params.pop(param, None)
    _seen().pop(param, None)
    bad = st.session_state.setdefault(_BAD, [])
    if param not in bad:
        bad.append(param)


def put(param: str, value: Any, default: Any = None) -> None:
    """After the widget: the URL shows ``value`` (as text), or nothing when it equals ``default``."""
    seen = _seen()
    if value is None or value == default:
        if param in st.query_params:
            del st.query_params[param]
        seen.pop(param, None)
        return
    text = str(value)
    if st.query_params.get(param) != text:
        st.query_params[param] = text
    seen[param] = text


def drop(param: str) -> None:
    """A choice that is not on the page now leaves the URL."""
    put(param, None)


def bad_params() -> list[str]:
    return list(st.session_state.get(_BAD, []))


def show_note(where) -> None:
    """A short note in ``where`` (an ``st.empty()`` near the top) naming the parameters that were reset;
    shown once (a later run of a fragment does not repeat it)."""
    names = st.session_state.pop(_BAD, [])
    if names:
        where.caption("⚠️ " + t("url.bad_params", names=", ".join(names)))


# ----------------------------------------------------------------------------- a page's choices as one table

@dataclass(frozen=True)
class Param:
    """How one widget's value travels in the URL: ``parse`` gives the value or raises ValueError."""

    parse: Callable[[str], Any]
    default: Any


def choice(options: Sequence, default=None) -> Param:
    """One of ``options`` (compared as text: ``"3"`` selects the option 3)."""
    by_text = {str(o): o for o in options}
    return Param(lambda raw: by_text[raw], options[0] if default is None else default)


def integer(lo: int, hi: int, default: int) -> Param:
    def parse(raw: str) -> int:
        value = int(raw)
        if not lo <= value <= hi:
            raise Invalid(raw)
        return value
    return Param(parse, default)


def flag(default: bool = False) -> Param:
    def parse(raw: str) -> bool:
        if raw.lower() not in ("true", "false", "1", "0"):
            raise Invalid(raw)
        return raw.lower() in ("true", "1")
    return Param(parse, default)


def apply_link(params: dict[str, Param]) -> None:
    """Before a page's linked widgets are drawn (widget key = parameter name): :func:`take` each, and say
    which values could not be used."""
    begin()
    for key, param in params.items():
        take(key, param.parse)
    show_note(st)


def write_link(params: dict[str, Param]) -> None:
    """After the widgets: the URL holds every drawn linked choice that differs from its default."""
    for key, param in params.items():
        if key in st.session_state:     # not drawn on this run (lecture mode hides some): left as it is
            value = st.session_state[key]
            put(key, ("true" if value else "false") if isinstance(value, bool) else value,
                ("true" if param.default else "false") if isinstance(param.default, bool) else param.default)
