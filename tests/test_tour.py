"""The lecture tour file: the shipped one is valid, and every kind of mistake is named with its step."""

import pytest

from cnnviz import tour
from cnnviz.messages import MessageError

GOOD = """
[[step]]
page = "kernels"
params = { kernels_preset = "sobel_x", kernels_stride = 2, fm_flag = true }
title.en = "Stride"
title.zh = "步幅"
text.en = "Text."
text.zh = "文字。"
"""


def test_shipped_tour_is_valid_and_about_twelve_steps():
    steps = tour.load_tour()
    assert 10 <= len(steps) <= 16
    assert {s.page for s in steps} == set(tour.PAGES)   # every page is visited
    for s in steps:
        assert s.title["en"] and s.title["zh"] and s.text["en"] and s.text["zh"]


def test_good_step_is_parsed_with_params_as_strings():
    (step,) = tour.parse_tour(GOOD)
    assert step.page == "kernels"
    assert step.params == {"kernels_preset": "sobel_x", "kernels_stride": "2", "fm_flag": "true"}
    assert step.query_params(3) == {**step.params, "tour": "3"}


def _second_step(body: str) -> str:
    return GOOD + "\n[[step]]\n" + body


@pytest.mark.parametrize("body, key", [
    ('page = "nowhere"\ntitle.en="a"\ntitle.zh="b"\ntext.en="c"\ntext.zh="d"', "tour.error.page"),
    ('page = "home"\ntitle.en="a"\ntext.en="c"\ntext.zh="d"', "tour.error.text_missing"),
    ('page = "home"\ntitle = "a"\ntext.en="c"\ntext.zh="d"', "tour.error.texts"),
    ('page = "home"\ntitle.en="a"\ntitle.zh="b"\ntext.en="c"\ntext.zh="d"\ncolour = 1', "tour.error.unknown_field"),
    ('page = "home"\nparams = { "Bad Name" = 1 }\ntitle.en="a"\ntitle.zh="b"\ntext.en="c"\ntext.zh="d"',
     "tour.error.param_name"),
    ('page = "home"\nparams = { tour = 1 }\ntitle.en="a"\ntitle.zh="b"\ntext.en="c"\ntext.zh="d"',
     "tour.error.param_name"),
    ('page = "home"\nparams = { x = [1, 2] }\ntitle.en="a"\ntitle.zh="b"\ntext.en="c"\ntext.zh="d"',
     "tour.error.param_value"),
    ('page = "home"\ntitle.en="' + "a" * 500 + '"\ntitle.zh="b"\ntext.en="c"\ntext.zh="d"', "tour.error.text_long"),
])
def test_a_bad_step_is_named(body, key):
    with pytest.raises(tour.TourError) as err:
        tour.parse_tour(_second_step(body))
    assert err.value.key == key
    assert err.value.args_dict.get("step") == 2
    assert "step 2" in str(err.value)                    # the English text names the step
    assert "第 2 步" in err.value.message.render("zh")     # and so does the Chinese one


@pytest.mark.parametrize("text, key", [
    ("this is [not toml", "tour.error.syntax"),
    ("title = 'no steps'", "tour.error.no_steps"),
    ("step = 3", "tour.error.no_steps"),
    ("x = " + "[" * 5000 + "]" * 5000, None),              # deep nesting: a syntax/recursion error, not a crash
    ("# " + "x" * 70_000, "tour.error.too_big"),
    ("\n".join(['[[step]]\npage="home"\ntitle.en="a"\ntitle.zh="b"\ntext.en="c"\ntext.zh="d"'] * 41),
     "tour.error.too_many"),
])
def test_a_bad_file_gets_a_message(text, key):
    with pytest.raises(tour.TourError) as err:
        tour.parse_tour(text)
    if key:
        assert err.value.key == key
    assert isinstance(err.value, MessageError)


def test_missing_file_is_a_tour_error(tmp_path):
    with pytest.raises(tour.TourError) as err:
        tour.load_tour(tmp_path / "nope.toml")
    assert err.value.key == "tour.error.unreadable"
