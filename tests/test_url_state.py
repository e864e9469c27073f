"""ui.url_state on a small page: a link sets the choice by its option value (not its label), a user's
change goes into the URL, the default keeps the URL clean, a parameter that disappears resets the choice,
and an invalid one is removed with a note that names it (shown once)."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

from cnnviz import i18n

PAGE = str(Path(__file__).resolve().parent / "ui_pages" / "url_state_page.py")


def shown(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("kind="))


def note(at: AppTest) -> str:
    head = i18n.t("url.bad_params", "en", names="").rstrip(".")
    return next((c.value for c in at.caption if head in c.value), "")


def test_a_link_sets_the_choice_and_changes_go_back_into_the_url():
    at = AppTest.from_file(PAGE)
    at.query_params["kind"] = "avg"
    at.run()
    assert shown(at) == "kind=avg" and not note(at)
    at.selectbox(key="kind").set_value("lp").run()
    assert shown(at) == "kind=lp" and at.query_params["kind"] == "lp"
    at.selectbox(key="kind").set_value("max").run()           # the default: not in the URL
    assert shown(at) == "kind=max" and "kind" not in at.query_params


def test_a_new_value_in_the_url_wins_and_a_removed_one_resets():
    at = AppTest.from_file(PAGE)
    at.query_params["kind"] = "avg"
    at.run()
    at.query_params["kind"] = "lp"                            # the URL changed from outside (a tour step)
    at.run()
    assert shown(at) == "kind=lp"
    at.run()                                                  # the same URL again: the choice stays
    assert shown(at) == "kind=lp"
    del at.query_params["kind"]
    at.run()
    assert shown(at) == "kind=max"


def test_an_invalid_value_is_removed_with_a_note_shown_once():
    at = AppTest.from_file(PAGE)
    for bad in ("Max", "平均", "", "max;drop"):               # labels are not values
        at.query_params["kind"] = bad
        at.run()
        assert not at.exception
        assert shown(at) == "kind=max" and "kind" not in at.query_params, bad
        assert "kind" in note(at), bad
        at.run()
        assert not note(at)
