"""The Time page and the Explorer's hour slider in a real browser (Playwright, Debian's Chromium)
on the shipped hourly scenario (``default_hourly_2024``, picked by a link), against ``streamlit run
app.py`` started here on a free loopback port.

Checked: the Time page renders without an exception and every plotly chart has traces (the heat
map included); the Explorer on the hourly scenario draws its map and the hour slider; a move of
the slider changes the hour in the link. Screenshots: tests/artifacts/screenshots/time*.png.
Timings (the Time page's first open with typical days, a slider move) go to
tests/artifacts/browser_time_timings.json and are printed, never asserted.
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from browser_support import (ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, RECORDER_JS, Recorder, full_page_screenshot, problems,
                             streamlit_server, wait_idle)
from core.share import ShareState, decode_state, encode_state

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists():
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)

SHOTS = ARTIFACTS / "screenshots"
VIEW = {"width": 1440, "height": 900}
HOURLY = "default_hourly_2024"
PLOT = ".js-plotly-plot"
MAP_CANVAS = '[data-testid="stDeckGlJsonChart"] canvas'


@pytest.fixture(scope="module")
def browser_page():
    timings: dict = {}
    with streamlit_server(ARTIFACTS / "streamlit_server_time.log") as (base, _, _), \
            sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=VIEW)
        context.add_init_script(RECORDER_JS)
        errors: list[str] = []
        context.on("page", lambda p: p.on("pageerror", lambda exc: errors.append(str(exc)[:300])))
        yield base, context, timings, errors
        context.close()
        browser.close()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "browser_time_timings.json").write_text(json.dumps(timings, indent=2) + "\n")
    print("\ntime-page browser timings:", json.dumps(timings, indent=1))


def _hour_of(url: str) -> int | None:
    return decode_state(parse_qs(urlsplit(url).query)["s"][0]).hour


def test_time_page_on_the_hourly_scenario(browser_page):
    base, context, timings, errors = browser_page
    page = context.new_page()
    rec = Recorder(page)
    t0 = time.perf_counter()
    page.goto(f"{base}/time?s={encode_state(ShareState(scenario=HOURLY, page='time'))}")
    wait_idle(page, rec, timeout_s=240, what="time page")
    timings["time_page_first_open_typical_days_s"] = round(time.perf_counter() - t0, 2)
    page.locator(PLOT).first.wait_for(state="visible", timeout=30_000)
    assert "time" in page.locator("h1").first.inner_text().lower()
    plots = page.locator(PLOT).count()
    assert plots >= 5, plots
    empty = page.evaluate(f"""() => Array.from(document.querySelectorAll('{PLOT}'))
        .filter(p => p.querySelectorAll('g.trace, g.barlayer path, g.scatterlayer path, g.hm image').length === 0)
        .length""")
    assert empty == 0, f"{empty} plotly chart(s) without traces"
    assert page.locator(".js-plotly-plot .hm").count() >= 1          # the heat map is drawn
    assert "than the annual averages suggest" in page.inner_text("body")
    full_page_screenshot(page, SHOTS / "time_page_1440x900.png", **VIEW)
    assert not problems(page) and not errors, (problems(page), errors)


def test_explorer_hour_slider_on_the_hourly_scenario(browser_page):
    base, context, timings, errors = browser_page
    page = context.new_page()
    rec = Recorder(page)
    page.goto(f"{base}/?s={encode_state(ShareState(scenario=HOURLY, hour=18))}")
    wait_idle(page, rec, timeout_s=120, what="explorer, hourly")
    page.locator(MAP_CANVAS).first.wait_for(state="visible", timeout=30_000)
    assert _hour_of(page.url) == 18
    runs = len(rec.finished_runs())
    handle = page.locator('[data-testid="stSlider"]').filter(has_text="Hour of the average day").get_by_role("slider")
    handle.focus()
    pressed_ms = page.evaluate("() => performance.now()")
    t0 = time.perf_counter()
    handle.press("ArrowRight")
    wait_idle(page, rec, after=runs, timeout_s=60, what="hour slider move")
    timings["hour_slider_move_wall_s"] = round(time.perf_counter() - t0, 2)
    sent_ms = min(t for t, _ in rec.sent() if t >= pressed_ms)
    timings["hour_slider_move_to_script_finished_s"] = round((rec.finished_runs()[-1][0] - sent_ms) / 1000, 2)
    assert _hour_of(page.url) == 19
    full_page_screenshot(page, SHOTS / "time_explorer_hour_1440x900.png", **VIEW)
    assert not problems(page) and not errors, (problems(page), errors)
