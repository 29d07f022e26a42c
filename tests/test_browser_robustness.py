"""The Robustness page in a real browser: Playwright driving Debian's Chromium against ``streamlit run
app.py`` (the default scenario) started here on a free loopback port (tests/browser_support.py).

Checked: the page opens without running anything; Run solves the default sweep (200 draws, seed 1,
with the frontier band) and the charts (distributions, tornado, frontier band) and the map canvas
appear, with no exception, uncaught page error or request outside 127.0.0.1; a second sweep
(seed 2) cancelled after its first batch keeps the draws done and says so. The screenshot of the
default sweep goes to tests/artifacts/screenshots/robustness.png (and robustness_full.png).

Run: ``.venv/bin/python -m pytest tests/test_browser_robustness.py -q``.
"""
from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from browser_support import (ARTIFACTS, CHROMIUM, METRIC, Recorder, chromium, full_page_screenshot,
                             guarded_page, metric_texts, problems, streamlit_server, visible, wait_idle)

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists():
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)

SHOTS = ARTIFACTS / "screenshots"
VIEW = {"width": 1440, "height": 900}
PLOT = ".js-plotly-plot"
MAP_CANVAS = '[data-testid="stDeckGlJsonChart"] canvas'
MAIN = '[data-testid="stMain"]'


@pytest.fixture(scope="module")
def server():
    with streamlit_server(ARTIFACTS / "streamlit_server_robustness.log") as (base, _, _started):
        yield base


@pytest.fixture(scope="module")
def browser():
    with chromium(sync_api) as b:
        yield b


@pytest.fixture
def page(browser, server):
    with guarded_page(browser, server, VIEW) as p:
        yield p


def open_robustness(page, server) -> Recorder:
    page.goto(f"{server}/robustness")
    rec = Recorder(page)
    wait_idle(page, rec, timeout_s=120, what="robustness, before a run")
    assert "how sure is the answer" in page.locator("h1").first.inner_text().lower()
    assert "Press Run" in page.inner_text(MAIN)
    return rec


def test_the_default_sweep_runs_and_draws_its_charts(page, server):
    rec = open_robustness(page, server)
    runs = len(rec.finished_runs())
    started = time.monotonic()
    page.get_by_role("button", name="Run").click()
    wait_idle(page, rec, after=runs, timeout_s=300, what="after Run")
    took_s = time.monotonic() - started
    for selector, what in ((METRIC, "metrics"), (PLOT, "charts"), (MAP_CANVAS, "map")):
        visible(page, selector, what)
    main = page.inner_text(MAIN)
    assert "In 90 % of 200 draws" in main, main[:800]
    assert page.locator(PLOT).count() >= 3, "distributions, tornado and frontier band"
    assert any(t.startswith("Savings, median") for t in metric_texts(page)), metric_texts(page)
    assert not problems(page)
    timing = re.search(r"200 draws took ([0-9.]+) s here", main)
    print(f"\n200 draws in the app: {timing.group(1) if timing else '?'} s in the sweep, {took_s:.1f} s click to idle")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "robustness.png"))
    full_page_screenshot(page, SHOTS / "robustness_full.png", **VIEW)

    # the same session on the Presentation: the slide after "What latency buys" is this sweep's
    runs = len(rec.finished_runs())
    page.locator('[data-testid="stSidebarNav"]').get_by_text("Presentation").click()
    wait_idle(page, rec, after=runs, timeout_s=180, what="presentation after the sweep")
    for _ in range(3):
        runs = len(rec.finished_runs())
        page.get_by_role("button", name="Next").click()
        wait_idle(page, rec, after=runs, timeout_s=60, what="next slide")
    assert "How sure is the answer" in page.locator("h2").first.inner_text(), page.locator("h2").first.inner_text()
    assert "In 90 % of 200 draws" in page.inner_text(MAIN)
    visible(page, PLOT, "the slide's chart")
    page.set_viewport_size({"width": 1280, "height": 720})
    page.wait_for_timeout(600)
    page.screenshot(path=str(SHOTS / "robustness_slide_1280x720.png"))


def test_a_cancelled_sweep_keeps_the_draws_done(page, server):
    rec = open_robustness(page, server)
    seed = page.locator('input[aria-label="Seed"]')
    seed.fill("2")                        # another sweep than the first test's (that one is cached)
    seed.press("Enter")
    wait_idle(page, rec, after=len(rec.finished_runs()), what="seed 2")
    runs = len(rec.finished_runs())
    page.get_by_role("button", name="Run").click()
    page.get_by_text(re.compile(r"of 200 draws solved")).first.wait_for(state="visible", timeout=120_000)
    page.get_by_role("button", name="Cancel").click()
    wait_idle(page, rec, after=runs, timeout_s=120, what="after Cancel")
    main = page.inner_text(MAIN)
    found = re.search(r"Cancelled after (\d+) of 200 draws", main)
    assert found and 0 < int(found.group(1)) < 200, main[:800]
    assert f"In 90 % of {found.group(1)} draws" in main
    visible(page, PLOT, "charts of the partial sweep")
    assert not problems(page)
