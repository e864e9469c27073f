"""The lecture tour's bar: which step of ``tour.toml`` this view is, its text, and previous/next buttons.

``app.py`` calls :func:`tour_bar` on every run, before the page runs.  A step is a page plus the choices
of its widgets; the pages bind those widgets to the URL (``bind="query-params"``), so going to a step is
``st.switch_page`` with the step's query parameters, and the address bar is a link to the view at any
time.  The step number travels in the URL too (``?tour=3``): a reload, or a link on a slide, lands on the
same step.  Leaving the tour's pages through the menu clears the URL, which ends the tour.
"""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from cnnviz import tour
from ui.i18n import lang, t, tm

TOUR_PARAM = "tour"


def tour_path() -> Path:
    """The tour file: ``CNNVIZ_TOUR`` when set, else the shipped ``tour.toml``."""
    return Path(os.environ.get("CNNVIZ_TOUR") or tour.DEFAULT_PATH)


@st.cache_resource(max_entries=4, show_spinner=False)
def _load(path: str, mtime_ns: int) -> list[tour.Step] | tour.TourError:
    try:
        return tour.load_tour(path)
    except tour.TourError as err:
        return err


def steps() -> list[tour.Step] | tour.TourError:
    """The validated steps (re-read when the file changes), or the error that names the bad step."""
    path = tour_path()
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        mtime = -1
    return _load(str(path), mtime)


def current_step(total: int) -> int | None:
    """The 1-based step in the URL, or None when no (valid) tour step is there."""
    raw = st.query_params.get(TOUR_PARAM)
    try:
        number = int(raw) if raw is not None else None
    except ValueError:
        return None
    return number if number is not None and 1 <= number <= total else None


def go_to(pages: dict[str, st.Page], all_steps: list[tour.Step], number: int) -> None:
    """Open step ``number`` (1-based): its page, with its choices and the step number in the URL."""
    step = all_steps[number - 1]
    st.switch_page(pages[step.page], query_params=step.query_params(number))


def tour_bar(pages: dict[str, st.Page], current: st.Page) -> None:
    """The tour's bar above the page while a tour step is open; on the home page, a button to start it."""
    loaded = steps()
    number = current_step(len(loaded)) if isinstance(loaded, list) else None
    if number is None:
        if current is pages.get("home") or current.url_path in ("", "home"):
            _start_button(pages, loaded)
        return
    step = loaded[number - 1]
    language = lang()
    with st.container(border=True, key="tour_bar"):
        st.caption(t("tour.step", number=number, total=len(loaded)))
        st.markdown(f"### {step.title[language]}")
        st.markdown(step.text[language])
        back, forward, end = st.columns([1, 1, 1])
        if back.button(t("tour.previous"), key="tour_previous", disabled=number == 1, width="stretch"):
            go_to(pages, loaded, number - 1)
        if forward.button(t("tour.next"), key="tour_next", disabled=number == len(loaded), width="stretch",
                          type="primary"):
            go_to(pages, loaded, number + 1)
        if end.button(t("tour.end"), key="tour_end", width="stretch"):
            st.query_params.pop(TOUR_PARAM, None)
            st.rerun()


def _start_button(pages: dict[str, st.Page], loaded: list[tour.Step] | tour.TourError) -> None:
    if isinstance(loaded, tour.TourError):
        st.warning(t("tour.bad_file", error=tm(loaded)))
        return
    if st.button(t("tour.start"), key="tour_start", help=t("tour.start_help", n=len(loaded)), type="primary"):
        go_to(pages, loaded, 1)
