"""Views as links on the kernels and pooling pages (ui.url_state.apply_link/write_link): a URL reproduces the
choices in any language,
a bad value falls back to its default with a note, the URL follows the widgets, and every step of the
lecture tour that opens these pages is a valid link."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cnnviz import i18n, tour
from ui.i18n import LANG_KEY

ROOT = Path(__file__).resolve().parents[1]
PAGES = {"kernels": ROOT / "pages" / "kernels.py", "pooling": ROOT / "pages" / "pooling.py"}


def open_page(page: str, params: dict[str, str], lang: str = "en") -> AppTest:
    at = AppTest.from_file(str(PAGES[page]), default_timeout=120)
    at.session_state[LANG_KEY] = lang
    for k, v in params.items():
        at.query_params[k] = v
    return at.run()


def warnings(at) -> list[str]:
    return [c.value for c in at.caption if c.value.startswith("⚠️")]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_kernels_link_reproduces_the_view_in_both_languages(lang):
    at = open_page("kernels", {"kernels_preset": "sobel_x", "kernels_stride": "2", "kernels_padding": "1",
                               "kernels_padding_mode": "reflect"}, lang)
    assert not at.exception and not warnings(at)
    assert at.selectbox(key="kernels_preset").value == "sobel_x"
    assert at.number_input(key="kernels_stride").value == 2
    assert at.number_input(key="kernels_padding").value == 1
    assert at.selectbox(key="kernels_padding_mode").value == "reflect"
    assert dict(at.query_params)["kernels_stride"] == "2"


def test_bad_link_values_fall_back_with_a_note_in_the_readers_language():
    at = open_page("kernels", {"kernels_preset": "<script>", "kernels_stride": "99", "kernels_dilation": "nan"}, "zh")
    assert not at.exception
    assert at.selectbox(key="kernels_preset").value == "identity"
    assert at.number_input(key="kernels_stride").value == 1
    (note,) = warnings(at)
    assert "链接中的部分选项无效" in note and "kernels_preset" in note and "kernels_stride" in note
    assert "kernels_preset" not in dict(at.query_params)     # defaults are not written back


def test_the_url_follows_the_widgets_and_a_link_value_is_applied_once():
    at = open_page("pooling", {"pool_kind": "avg", "pool_kernel": "3"})
    assert at.radio(key="pool_kind").value == "avg" and at.number_input(key="pool_kernel").value == 3
    at.number_input(key="pool_kernel").set_value(4).run()      # the reader changes the linked widget
    assert at.number_input(key="pool_kernel").value == 4       # the old link value does not come back
    assert dict(at.query_params)["pool_kernel"] == "4"
    at.radio(key="pool_kind").set_value("max").run()           # back to the default: out of the URL
    assert "pool_kind" not in dict(at.query_params)


def test_a_pooling_link_with_ceil_mode_and_colour():
    at = open_page("pooling", {"pool_ceil": "true", "pool_padding": "1", "pool_color": "rgb"})
    assert not at.exception and not warnings(at)
    assert at.checkbox(key="pool_ceil").value is True
    assert at.radio(key="pool_color").value == "rgb"


@pytest.mark.parametrize("number, step", [(i, s) for i, s in enumerate(tour.load_tour(), 1)
                                          if s.page in PAGES and s.params])
def test_every_tour_step_on_these_pages_is_a_valid_link(number, step):
    at = open_page(step.page, step.query_params(number))
    assert not at.exception and not warnings(at), warnings(at)
    for key, value in step.params.items():
        widget = at.selectbox(key=key) if key.endswith(("preset", "mode")) else None
        if widget is None:
            widget = next(w for kind in ("number_input", "radio", "checkbox") for w in getattr(at, kind)
                          if w.key == key)
        assert str(widget.value).lower() == value.lower(), (key, widget.value, value)
    assert i18n.t("url.bad_params", "en", names="") not in " ".join(c.value for c in at.caption)


@pytest.mark.parametrize("page, key", [("kernels", "kernels_sample"), ("pooling", "pooling_sample")])
def test_the_sample_photo_is_in_the_link(page, key):
    from cnnviz import images

    other = images.sample_names()[-1]
    at = open_page(page, {key: other})
    assert not at.exception and not warnings(at)
    assert at.selectbox(key=key).value == other and dict(at.query_params)[key] == other
