"""The lecture tour in a real browser, in lecture mode: start it on the home page, click "Next" through
every step of tour.toml to the end (each step opens its page with its choices, without an error), go back
one step, and open a step from its link (the URL alone reproduces the view)."""

from __future__ import annotations

import pytest

from cnnviz import i18n, tour
from tests.browser_support import chromium_missing, error_texts, screenshot, wait_idle

_missing = chromium_missing()
pytestmark = [pytest.mark.skipif(_missing is not None, reason=_missing or ""), pytest.mark.slow]

STEPS = tour.load_tour()


def step_caption(page) -> str:
    return page.locator("[class*='st-key-tour_bar'] [data-testid='stCaptionContainer']").first.inner_text()


def wait_for_step(page, number: int) -> None:
    want = i18n.t("tour.step", "en", number=number, total=len(STEPS))
    page.wait_for_function(
        "(t) => [...document.querySelectorAll('[class*=\"st-key-tour_bar\"] [data-testid=\"stCaptionContainer\"]')]"
        ".some(e => e.innerText.includes(t))", arg=want, timeout=120_000)
    wait_idle(page)


def assert_step_shown(page, server, number: int) -> None:
    step = STEPS[number - 1]
    bar = page.locator("[class*='st-key-tour_bar']").first
    assert step.title["en"] in bar.inner_text()
    errors = error_texts(page)
    assert not errors, f"step {number} ({step.page}): {errors}\n{server.log_tail()}"
    path = page.evaluate("() => location.pathname + location.search")
    assert f"tour={number}" in path, path
    if step.page != "home":
        assert f"/{step.page}" in path, path
    for name, value in step.params.items():       # the step's choices are in the URL (or are the defaults)
        assert f"{name}=" not in path or f"{name}={value}" in path.replace("%3A", ":"), (name, path)


def test_tour_runs_from_start_to_end_in_lecture_mode(page, app_server):
    page.goto(app_server.url, wait_until="domcontentloaded", timeout=120_000)
    wait_idle(page)
    page.locator("[data-testid='stSidebar']").get_by_text(i18n.t("sidebar.lecture", "en")).click()
    page.wait_for_function("() => !!document.querySelector('[data-testid=\"stSidebar\"] input[type=checkbox]:checked')")
    wait_idle(page)
    page.locator("[class*='st-key-tour_start'] button").first.click()   # a button with help= renders two
    wait_for_step(page, 1)
    assert_step_shown(page, app_server, 1)
    for number in range(2, len(STEPS) + 1):
        page.locator("[class*='st-key-tour_next'] button").first.click()
        wait_for_step(page, number)
        assert_step_shown(page, app_server, number)
        if number in (2, 7, 10):
            screenshot(page, f"tour_step_{number:02d}_lecture")
    assert page.locator("[class*='st-key-tour_next'] button").first.is_disabled()
    page.locator("[class*='st-key-tour_previous'] button").first.click()
    wait_for_step(page, len(STEPS) - 1)
    assert_step_shown(page, app_server, len(STEPS) - 1)


def test_a_link_to_a_step_opens_that_view(page, app_server):
    number = next(i for i, s in enumerate(STEPS, 1) if s.page == "kernels" and s.params)
    step = STEPS[number - 1]
    query = "&".join(f"{k}={v}" for k, v in step.query_params(number).items())
    page.goto(f"{app_server.url}/{step.page}?{query}", wait_until="domcontentloaded", timeout=120_000)
    wait_for_step(page, number)
    assert_step_shown(page, app_server, number)
