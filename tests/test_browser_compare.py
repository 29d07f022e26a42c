"""The Compare page in a real browser: Playwright driving Debian's Chromium against ``streamlit run
app.py`` (the default scenario) started here on a free loopback port (tests/browser_support.py).

Checked: the page without a pin says how to start and "Pin current as A" pins; a comparison link
(A = the default, B = the default with egress fees off and a carbon price) renders A and B (the
headline metrics with their changes, the map canvas, the frontier and both waterfalls) without an
exception, an uncaught page error or a request outside 127.0.0.1; its address bar still carries
both scenarios. The screenshot of the comparison goes to tests/artifacts/screenshots/compare.png.

Run: ``.venv/bin/python -m pytest tests/test_browser_compare.py -q``.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from browser_support import (ARTIFACTS, CHROMIUM, METRIC, Recorder, chromium, full_page_screenshot,
                             guarded_page, metric_texts, problems, streamlit_server, visible, wait_idle)
from core.share import ShareState, decode_state, encode_state

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists():
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)

SHOTS = ARTIFACTS / "screenshots"
VIEW = {"width": 1440, "height": 900}
PLOT = ".js-plotly-plot"
MAP_CANVAS = '[data-testid="stDeckGlJsonChart"] canvas'
B_CHANGES = {"frictions.egress": False, "objective.carbon_price_usd_per_t": 100.0}


@pytest.fixture(scope="module")
def server():
    with streamlit_server(ARTIFACTS / "streamlit_server_compare.log") as (base, _, _started):
        yield base


@pytest.fixture(scope="module")
def browser():
    with chromium(sync_api) as b:
        yield b


@pytest.fixture
def page(browser, server):
    with guarded_page(browser, server, VIEW) as p:
        yield p


def test_the_page_says_how_to_start_and_pins(page, server):
    page.goto(f"{server}/compare?s={encode_state(ShareState(page='compare'))}")
    rec = Recorder(page)
    wait_idle(page, rec, what="compare, nothing pinned")
    assert "compare" in page.locator("h1").first.inner_text().lower()
    assert "Pin the current scenario as A" in page.inner_text('[data-testid="stMain"]')
    runs = len(rec.finished_runs())
    page.get_by_role("button", name="Pin current as A").click()
    wait_idle(page, rec, after=runs, what="after pinning")
    visible(page, METRIC, "metrics after pinning")
    assert any("same as A" in t for t in metric_texts(page)), metric_texts(page)
    assert decode_state(parse_qs(urlsplit(page.url).query)["s"][0]).compare == ShareState()


def test_a_comparison_link_renders_a_and_b(page, server):
    link = encode_state(ShareState(changes=B_CHANGES, page="compare", compare=ShareState()))
    page.goto(f"{server}/?s={link}")                                     # at the root: the link names the page
    wait_idle(page, Recorder(page), timeout_s=120, what="comparison link")
    assert urlsplit(page.url).path.strip("/") == "compare", page.url
    for selector, what in ((METRIC, "metrics"), (MAP_CANVAS, "map"), (PLOT, "charts")):
        visible(page, selector, what)
    main = page.inner_text('[data-testid="stMain"]')
    assert "A is" in main and "B, the current scenario, is" in main, main[:500]
    assert "egress fees on → off" in main.lower() or "egress" in main.lower()
    texts = metric_texts(page)
    assert len(texts) == 6 and not any("same as A" in t for t in texts[:2]), texts
    assert page.locator(PLOT).count() == 3, "frontiers and two waterfalls"
    assert page.locator('[data-testid="stAlert"]').count() == 0, "a valid comparison link raised a warning"
    assert not problems(page)
    state = decode_state(parse_qs(urlsplit(page.url).query)["s"][0])
    assert state.changes == B_CHANGES and state.compare == ShareState()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "compare.png"))
    full_page_screenshot(page, SHOTS / "compare_full.png", **VIEW)
