"""The dashboard in a real browser: Playwright driving Debian's Chromium against ``streamlit run
app.py`` started here on a free loopback port.

Checked: the first page renders (headline metrics), the deck.gl map canvas is drawn, every page
renders without an exception and shows its content, a slider move changes the metrics, a copied
link round-trips into a new browser context, garbage links show a warning and the defaults, and
nothing is fetched from outside 127.0.0.1. Screenshots of every page go to
tests/artifacts/screenshots/. Speed is measured and written to tests/artifacts/browser_timings.json
(and printed), never asserted.

Run: ``.venv/bin/python -m pytest tests/test_browser.py -q`` (add ``-s`` to see the timings).
"""
from __future__ import annotations

import base64
import io
import json
import os
import platform
import random
import re
import statistics
import time
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from PIL import Image, ImageStat          # a dependency of streamlit

from core.share import ShareState, decode_state, encode_state
from pages.common.state import DEFAULT_PAGE
from pages.common.state import PAGES as PAGE_PATHS
from browser_support import (ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, METRIC, RECORDER_JS,
                                   Recorder, full_page_screenshot, metric_texts, metric_value,
                                   problems, streamlit_server, wait_idle)

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists():
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)

SHOTS = ARTIFACTS / "screenshots"
VIEW = {"width": 1440, "height": 900}
SLIDE_VIEW = {"width": 1280, "height": 720}
PHONE_VIEW = {"width": 390, "height": 844}
SIZES = {"1440x900": VIEW, "1280x720": SLIDE_VIEW, "390x844": PHONE_VIEW}
SIDEBAR = '[data-testid="stSidebar"]'
PLOT = ".js-plotly-plot"
TABLE = '[data-testid="stDataFrame"]'
MAP_CANVAS = '[data-testid="stDeckGlJsonChart"] canvas'
# url path (= the page's name in a link, pages.common.state.PAGES) → (a word of its title,
# selectors of content that must be there)
PAGES = {
    "explorer": ("explorer", [METRIC, MAP_CANVAS, TABLE]),
    "time": ("time", ['[data-testid="stAlert"]']),          # the default has no time block: it says so
    "frontier": ("frontier", [PLOT, METRIC]),
    "robustness": ("how sure", ['[data-testid="stButton"]']),   # nothing runs before Run is pressed
    "layers": ("layers", [PLOT]),
    "break_even": ("break-even", [PLOT]),
    "frictions": ("frictions", [PLOT]),
    "compare": ("compare", ['[data-testid="stButton"]']),  # nothing pinned: it says how to start
    "data": ("data", [TABLE]),
    "physical": ("physical", [PLOT]),
    "presentation": ("relocatable", [METRIC]),          # the title slide: numbers, no chart
    "model": ("model reference", ['[data-testid="stMarkdown"] table']),
}


def shown(page, selector: str, what: str, timeout_ms: float = 20_000) -> None:
    """Wait until ``selector`` is visible; on failure save a screenshot to artifacts/failures/."""
    try:
        page.locator(selector).first.wait_for(state="visible", timeout=timeout_ms)
    except sync_api.TimeoutError:
        shot = ARTIFACTS / "failures" / (re.sub(r"[^\w-]+", "_", what).strip("_") + ".png")
        shot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shot), full_page=True)
        pytest.fail(f"{what}: nothing visible matches {selector} within {timeout_ms / 1000:.0f} s "
                    f"(screenshot {shot.relative_to(ARTIFACTS.parent.parent)})")


def ms(x: float | None) -> float | None:
    return None if x is None else round(x, 1)


# --- fixtures ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def timings():
    """Figures collected by the tests; written to tests/artifacts/browser_timings.json at the end."""
    import streamlit

    data = {"environment": {"cpus": os.cpu_count(), "loadavg_at_start": os.getloadavg(),
                            "python": platform.python_version(), "streamlit": streamlit.__version__,
                            "note": "headless Chromium with --disable-gpu: WebGL (deck.gl) is software-rendered"}}
    yield data
    data["environment"]["loadavg_at_end"] = os.getloadavg()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "browser_timings.json").write_text(json.dumps(data, indent=2) + "\n")
    print("\nbrowser timings:", json.dumps({k: v for k, v in data.items() if k != "environment"}, indent=1))


@pytest.fixture(scope="module")
def server(timings):
    with streamlit_server(ARTIFACTS / "streamlit_server.log") as (base, healthy_s, started):
        timings["server_start_to_health_s"] = round(healthy_s, 3)
        yield {"base": base, "started": started}


@pytest.fixture(scope="module")
def browser(timings):
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        timings["environment"]["chromium"] = b.version
        yield b
        b.close()


class Session:
    """One browser context: every request to anything but the app's loopback server is blocked
    and remembered, and so is every uncaught page error."""

    def __init__(self, browser, base: str, viewport=VIEW):
        self.base = base
        self.blocked: list[str] = []
        self.requested: list[str] = []
        self.page_errors: list[str] = []
        self.context = browser.new_context(viewport=viewport)
        self.context.add_init_script(RECORDER_JS)
        self.context.route("**/*", self._route)

    def _route(self, route):
        url = route.request.url
        if url.startswith(self.base + "/") or url == self.base:
            self.requested.append(url)
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def new_page(self):
        page = self.context.new_page()
        page.on("pageerror", lambda exc: self.page_errors.append(str(exc)[:500]))
        page.on("websocket", lambda ws: None if ws.url.startswith(self.base.replace("http", "ws", 1))
                else self.blocked.append(ws.url))
        return page, Recorder(page)

    def open(self, url: str, what: str):
        """Load ``url`` in a new page and wait until Streamlit is idle."""
        page, rec = self.new_page()
        page.goto(url)
        wait_idle(page, rec, what=what)
        return page, rec

    def check(self) -> None:
        assert not self.blocked, f"requests outside 127.0.0.1 were attempted: {self.blocked[:5]}"
        assert not self.page_errors, f"uncaught errors in the page: {self.page_errors[:3]}"

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def session(browser, server):
    s = Session(browser, server["base"])
    yield s
    s.close()


@pytest.fixture(scope="module")
def first_visit(browser, server, timings):
    """The first browser visit of the freshly started server, timed: navigation to the headline
    metrics on the screen. The page (explorer, default scenario) is reused by later tests."""
    s = Session(browser, server["base"])
    page, rec = s.new_page()
    t_nav = time.perf_counter()
    page.goto(server["base"] + "/")
    shown_ms = page.wait_for_function(
        f"() => document.querySelectorAll('{METRIC}').length >= 5 && performance.now()",
        timeout=60_000).json_value()
    wall_s = time.perf_counter() - t_nav
    wait_idle(page, rec, what="first visit")
    sent = rec.sent()
    runs = rec.finished_runs()
    timings["first_render"] = {
        "navigation_to_metrics_s": round(shown_ms / 1000, 3),
        "navigation_to_metrics_wall_s": round(wall_s, 3),
        "server_start_to_metrics_s": round(t_nav - server["started"] + wall_s, 3),
        "rerun_request_to_script_finished_s": round((runs[-1][0] - sent[0][0]) / 1000, 3) if sent and runs else None,
        "navigation_to_script_finished_s": round(runs[-1][0] / 1000, 3) if runs else None,
    }
    yield {"session": s, "page": page, "rec": rec, "metrics": metric_texts(page), "url": page.url}
    s.close()


@pytest.fixture(scope="module")
def defaults(first_visit):
    """The metric texts of the default scenario (explorer page)."""
    return first_visit["metrics"]


# --- 1. first render --------------------------------------------------------------------------------

def test_first_render_shows_the_headline_metrics(first_visit, browser, server, timings):
    page = first_visit["page"]
    texts = first_visit["metrics"]
    assert any(t.startswith("Savings vs local") for t in texts), texts
    assert any(t.startswith("Demand moved") for t in texts), texts
    assert "$" in metric_value(page, "Savings vs local")
    assert "s" in parse_qs(urlsplit(first_visit["url"]).query), "the address bar holds no ?s= state"
    assert not problems(page)
    first_visit["session"].check()

    # a second, warm visit (new session, server and caches warm)
    s = Session(browser, server["base"])
    try:
        page2, rec2 = s.new_page()
        page2.goto(server["base"] + "/")
        shown_ms = page2.wait_for_function(
            f"() => document.querySelectorAll('{METRIC}').length >= 5 && performance.now()",
            timeout=60_000).json_value()
        wait_idle(page2, rec2, what="second visit")
        timings["warm_render"] = {"navigation_to_metrics_s": round(shown_ms / 1000, 3)}
        assert metric_texts(page2) == texts, "a second session shows other default numbers"
        s.check()
    finally:
        s.close()


# --- 2. the map ---------------------------------------------------------------------------------------

def test_map_canvas_is_drawn(first_visit):
    """The deck.gl canvas of the first visit has a size and is not blank; the explorer's
    screenshot is taken here (test_every_page does the other pages)."""
    page = first_visit["page"]
    canvas = page.locator(MAP_CANVAS).first
    canvas.wait_for(state="visible", timeout=20_000)
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 200, f"map canvas size {box}"
    stats = None
    end = time.monotonic() + 15
    while time.monotonic() < end:           # deck.gl draws after its data arrived: retry briefly
        img = Image.open(io.BytesIO(canvas.screenshot())).convert("RGB")
        small = img.resize((img.width // 4, img.height // 4))
        colours = len(small.getcolors(maxcolors=small.width * small.height))
        spread = max(ImageStat.Stat(img).stddev)
        stats = {"colours": colours, "stddev": round(spread, 1), "size": img.size}
        if colours > 50 and spread > 10:
            break
        page.wait_for_timeout(250)
    assert stats["colours"] > 50 and stats["stddev"] > 10, f"the map canvas looks blank: {stats}"
    # the country outline comes from the server's static file, once, not inside every rerun's map
    outline = [u for u in first_visit["session"].requested if u.endswith("/app/static/world_countries_3x.geojson")]
    assert outline, "the map did not load its country outline"
    SHOTS.mkdir(parents=True, exist_ok=True)
    shoot_at_every_size(page, DEFAULT_PAGE)                                 # the default view, unchanged
    first_visit["session"].check()


# --- 3. every page --------------------------------------------------------------------------------

def test_every_page_renders_and_is_screenshotted(session, server, timings):
    """Each page but the explorer (the first visit's, see test_map_canvas_is_drawn) opened by its
    url path and a link naming it."""
    assert set(PAGES) == set(PAGE_PATHS), f"the app's pages changed: {PAGE_PATHS}"
    base = server["base"]
    page, _ = session.new_page()
    per_page = {}
    for path in PAGE_PATHS:
        if path == DEFAULT_PAGE:
            continue
        title_word, selectors = PAGES[path]
        link = encode_state(ShareState(page=path))
        page.goto(f"{base}/{path}?s={link}")
        rec = Recorder(page)
        wait_idle(page, rec, what=f"page {path}")
        rendered_ms = page.evaluate("() => performance.now()")
        for sel in selectors:                      # charts render once their JS chunk loaded
            shown(page, sel, f"page {path}")
        title = page.locator("h1").first.inner_text().lower()
        assert title_word in title, f"page {path}: title {title!r} lacks {title_word!r}"
        empty = page.evaluate(f"""() => Array.from(document.querySelectorAll('{PLOT}'))
            .filter(p => p.querySelectorAll('g.trace, g.barlayer path, g.scatterlayer path').length === 0).length""")
        assert empty == 0, f"page {path}: {empty} plotly chart(s) without traces"
        parts = urlsplit(page.url)
        assert parts.path.strip("/") == path, f"page {path}: ended at {page.url}"
        assert decode_state(parse_qs(parts.query)["s"][0]).page == path
        per_page[path] = {"script_finished_s": round(rec.finished_runs()[-1][0] / 1000, 3),
                          "rendered_s": round(rendered_ms / 1000, 3)}
        shoot_at_every_size(page, path)
    timings["page_navigation_to"] = per_page
    session.check()


TRUNCATED_JS = """() => Array.from(document.querySelectorAll(
      '[data-testid="stMetricLabel"], [data-testid="stMetricValue"], [data-testid="stMetricDelta"]'))
    .filter(e => e.offsetParent !== null)
    .flatMap(e => [e, ...e.querySelectorAll('*')])
    .filter(e => e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflow !== 'visible')
    .map(e => e.closest('[data-testid="stMetric"]').innerText.replace(/\\s+/g, ' ').trim())"""


def truncated_metrics(page) -> list[str]:
    """The metrics whose label, value or delta is cut off (ellipsis or clipped) at this size."""
    return sorted(set(page.evaluate(TRUNCATED_JS)))


def shoot_at_every_size(page, path: str) -> None:
    """Screenshots of ``path`` at 1440×900, 1280×720 (a projector; no metric may be cut off
    there) and 390×844 (a phone): the visible screen and the whole page of each."""
    for name, size in SIZES.items():
        page.set_viewport_size(size)
        page.wait_for_timeout(600)                   # plotly and deck.gl resize on the resize event
        page.screenshot(path=str(SHOTS / f"{path}_{name}.png"))
        if size is SLIDE_VIEW:
            cut = truncated_metrics(page)
            assert not cut, f"page {path} at 1280×720: metrics cut off: {cut}"
        full_page_screenshot(page, SHOTS / f"{path}_{name}_full.png", **size)
    page.set_viewport_size(VIEW)


def test_deep_link_to_the_default_page(session, server):
    """/explorer (the default page's url path in pages.common.state.PAGES) opens the explorer
    without Streamlit's "Page not found" dialog."""
    link = encode_state(ShareState(page=DEFAULT_PAGE))
    page, _ = session.new_page()
    page.goto(f"{server['base']}/{DEFAULT_PAGE}?s={link}")
    wait_idle(page, Recorder(page), what=f"/{DEFAULT_PAGE}")
    shown(page, METRIC, f"/{DEFAULT_PAGE}")
    assert PAGES[DEFAULT_PAGE][0] in page.locator("h1").first.inner_text().lower()
    session.check()


# --- 4. a slider move changes the metrics ----------------------------------------------------------

WATCH_JS = """([sel, before]) => {
  window.__elfKey = null; window.__elfChange = null;
  document.addEventListener('keydown', () => { if (window.__elfKey === null) window.__elfKey = performance.now(); },
                            {capture: true, once: true});
  const read = () => Array.from(document.querySelectorAll(sel)).map(e => e.innerText.trim()).join('|');
  const obs = new MutationObserver(() => {
    const now = Array.from(document.querySelectorAll(sel));
    if (now.length === before.length && read() !== before.join('|')) {
      window.__elfChange = performance.now(); obs.disconnect(); }
  });
  obs.observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def press_and_time(page, rec: Recorder, slider, key: str, expect_change: bool = True) -> dict:
    """Press ``key`` on a focused slider; wait for the rerun; the page-clock times from the key
    press to: the rerun request sent, the metrics' text changed, the script run finished."""
    before = metric_texts(page)
    runs_before = len(rec.finished_runs())
    n_recv = len(rec.received())
    slider.focus()
    page.evaluate(WATCH_JS, [METRIC, before])
    page.keyboard.press(key)
    if expect_change:
        page.wait_for_function("() => window.__elfChange !== null", timeout=30_000)
    wait_idle(page, rec, after=runs_before, what=f"after {key}")
    key_t, change_t = page.evaluate("() => [window.__elfKey, window.__elfChange]")
    sent = [t for t, _ in rec.sent() if t >= key_t]
    recv = rec.received()[n_recv:]
    done = [t for t, _, k, _ in recv if k == "script_finished" and t >= key_t]
    return {"key_to_metrics_ms": ms(change_t - key_t) if change_t else None,
            "key_to_rerun_sent_ms": ms(sent[0] - key_t) if sent else None,
            "key_to_script_finished_ms": ms(done[-1] - key_t) if done else None,
            "largest_message_bytes": max((n for _, n, _, _ in recv), default=0),
            "metrics_after": metric_texts(page)}


def sidebar_slider(page, label: str):
    box = page.locator(f'{SIDEBAR} [data-testid="stSlider"]').filter(has_text=label).first
    return box.locator('input[type="range"], [role="slider"]').first


def test_slider_move_changes_the_metrics(first_visit, defaults, timings):
    page, rec = first_visit["page"], first_visit["rec"]
    assert metric_texts(page) == defaults
    savings0 = metric_value(page, "Savings vs local")

    # "relax every budget by Δ": each step is a new (uncached) scenario at the default budgets
    relax = sidebar_slider(page, "Relax every budget")
    moves = []
    for step in range(5):
        before = metric_texts(page)
        m = press_and_time(page, rec, relax, "ArrowRight")
        assert m["metrics_after"] != before, f"relax step {step + 1}: the metrics did not change"
        moves.append(m)
    assert relax.get_attribute("aria-valuetext").startswith("25"), relax.get_attribute("aria-valuetext")

    back = press_and_time(page, rec, relax, "Home")       # relax 0 again: the cached default
    assert back["metrics_after"] == defaults, "back at Δ = 0 ms the numbers differ from the defaults"

    # a latency budget: the first class's budget to the slider's end
    budget = page.locator(f'{SIDEBAR} [data-testid="stSlider"]').first.locator('input[type="range"], [role="slider"]').first
    m = press_and_time(page, rec, budget, "End")
    assert metric_value(page, "Savings vs local") != savings0, "moving a latency budget left the savings unchanged"
    moves.append(m)

    fresh = [x["key_to_metrics_ms"] for x in moves]
    finished = [x["key_to_script_finished_ms"] for x in moves if x["key_to_script_finished_ms"] is not None]
    timings["slider"] = {
        "key_to_metrics_ms": fresh,
        "key_to_metrics_median_ms": ms(statistics.median(fresh)),
        "key_to_metrics_max_ms": ms(max(fresh)),
        "key_to_rerun_sent_ms": [x["key_to_rerun_sent_ms"] for x in moves],
        "key_to_script_finished_ms": finished,
        "key_to_script_finished_median_ms": ms(statistics.median(finished)) if finished else None,
        "cached_move_key_to_metrics_ms": back["key_to_metrics_ms"],
        "largest_websocket_message_per_rerun_bytes": max(x["largest_message_bytes"] for x in moves),
        "moves": "5 × relax +5 ms (default budgets), then the first budget slider to its end",
    }
    first_visit["session"].check()


# --- 5. a copied link round-trips --------------------------------------------------------------------

def test_copied_link_round_trips(first_visit, browser, server, defaults):
    page, rec = first_visit["page"], first_visit["rec"]
    runs = len(rec.finished_runs())
    toggle = page.locator(f'{SIDEBAR} [data-testid="stCheckbox"]').filter(has_text="Egress fees").first
    toggle.locator("label").click()
    wait_idle(page, rec, after=runs, what="egress toggle")
    carbon = sidebar_slider(page, "Carbon price")
    press_and_time(page, rec, carbon, "ArrowRight", expect_change=False)
    texts = metric_texts(page)
    assert texts != defaults, "the settings changed nothing"

    url = page.url
    s = parse_qs(urlsplit(url).query).get("s", [None])[0]
    assert s, f"no ?s= in the address bar: {url}"
    changes = decode_state(s).changes
    assert changes.get("frictions.egress") is False and "objective.carbon_price_usd_per_t" in changes, changes

    runs = len(rec.finished_runs())
    page.locator(f'{SIDEBAR} [data-testid="stPopover"] button').first.click()
    code = page.locator('[data-testid="stPopoverBody"] [data-testid="stCode"]').first
    code.wait_for(state="visible", timeout=10_000)
    copied = code.inner_text().strip()
    page.keyboard.press("Escape")
    assert parse_qs(urlsplit(copied).query).get("s") == [s], f"Copy link shows {copied}, the address bar {url}"
    assert urlsplit(copied).netloc == urlsplit(url).netloc

    other = Session(browser, server["base"])                 # a new browser context: no shared session
    try:
        page2, _ = other.open(copied, what="copied link")
        shown(page2, METRIC, "copied link")
        assert metric_texts(page2) == texts, "the copied link shows other numbers"
        values = lambda p: [e.get_attribute("aria-valuetext") for e in
                            p.locator(f'{SIDEBAR} input[type="range"]').all()]
        assert values(page2) == values(page), "the copied link shows other slider settings"
        assert page2.locator(f'{SIDEBAR} [data-testid="stCheckbox"]').filter(has_text="Egress fees").first \
            .locator("input").is_checked() is False
        assert page2.locator('[data-testid="stAlert"]').count() == 0, "a valid link raised a warning"
        other.check()
    finally:
        other.close()
    first_visit["session"].check()


def test_link_at_the_root_opens_the_page_it_names(session, server):
    link = encode_state(ShareState(changes={"objective.carbon_price_usd_per_t": 80.0}, page="break_even"))
    page, _ = session.open(f"{server['base']}/?s={link}", what="root link naming break_even")
    assert urlsplit(page.url).path.strip("/") == "break_even", page.url
    assert "break-even" in page.locator("h1").first.inner_text().lower()
    assert decode_state(parse_qs(urlsplit(page.url).query)["s"][0]).changes == \
        {"objective.carbon_price_usd_per_t": 80.0}
    session.check()


# --- 6. garbage links -----------------------------------------------------------------------------------

def garbage_links() -> dict[str, tuple[str, str]]:
    """name → (url path, ?s= value): one at the root (the explorer), the rest on a lighter page."""
    rnd = random.Random(7)
    noise = base64.urlsafe_b64encode(bytes(rnd.randrange(256) for _ in range(300))).decode().rstrip("=")
    return {
        "garbage": ("", "garbage"),
        "20k characters": ("layers", "1." + "A" * 20_000),
        "random base64": ("layers", "1." + noise),
        "path traversal": ("layers", "../../etc/passwd"),
        "wrong version": ("layers", "2.abc"),
        "out-of-range value": ("layers", encode_state(ShareState(changes={"nodes.us-va.pue": 0.5}))),
    }


def test_garbage_links_warn_and_show_the_defaults(session, server, defaults):
    page, _ = session.new_page()
    page.goto(f"{server['base']}/layers")
    wait_idle(page, Recorder(page), what="/layers")
    expected = {"": defaults, "layers": metric_texts(page)}
    assert expected["layers"], "the layers page shows no metrics"
    for name, (path, s) in garbage_links().items():
        page.goto(f"{server['base']}/{path}?s={quote(s, safe='')}")
        wait_idle(page, Recorder(page), what=f"link {name!r}")
        alerts = page.locator('[data-testid="stAlert"]')
        assert alerts.count() >= 1, f"link {name!r}: no warning shown"
        text = " ".join(alerts.all_inner_texts())
        assert "could not be used" in text, f"link {name!r}: warning says {text!r}"
        shown(page, METRIC, f"link {name!r}")
        assert metric_texts(page) == expected[path], f"link {name!r}: not the default numbers"
        assert urlsplit(page.url).path.strip("/") == path, f"link {name!r}: ended at {page.url[:120]}"
        now = parse_qs(urlsplit(page.url).query).get("s", [""])[0]
        assert decode_state(now).changes == {}, f"link {name!r}: the address bar now holds {now[:80]}"
    session.check()


# --- 7. keyboard, focus and contrast -------------------------------------------------------------------

CAPTIONS_JS = """() => Array.from(document.querySelectorAll('[data-testid="stCaptionContainer"]'))
  .filter(e => e.offsetParent !== null && e.innerText.trim())
  .map(e => {
    let bg = null;
    for (let a = e; a && !bg; a = a.parentElement) {
      const c = getComputedStyle(a).backgroundColor;
      if (c && c !== 'rgba(0, 0, 0, 0)' && c !== 'transparent') bg = c;
    }
    let opacity = 1;
    for (let a = e; a; a = a.parentElement) opacity *= parseFloat(getComputedStyle(a).opacity);
    return [getComputedStyle(e).color, bg || 'rgb(255, 255, 255)', opacity, e.innerText.slice(0, 60)];
  })"""


def _rgb(css: str) -> tuple[float, ...]:
    return tuple(float(v) for v in re.findall(r"[\d.]+", css)[:3])


def contrast_ratio(fg: str, bg: str) -> float:
    """WCAG 2.x contrast ratio of two CSS rgb() colours."""
    def lum(rgb):
        c = [v / 255 for v in rgb]
        c = [v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4 for v in c]
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]
    a, b = sorted((lum(_rgb(fg)), lum(_rgb(bg))), reverse=True)
    return (a + 0.05) / (b + 0.05)


@pytest.mark.parametrize("size", ["1440x900", "390x844"])
def test_skip_link_focus_ring_and_caption_contrast(browser, server, size):
    """One Tab reaches a visible "Skip to controls" link with a 2 px ring; Enter puts the focus on
    the sidebar's first control (opening the sidebar on a phone); every visible caption has a
    contrast of at least 4.5:1 at full opacity; every chart has its screen-reader description."""
    s = Session(browser, server["base"], viewport=SIZES[size])
    try:
        page, rec = s.open(server["base"] + "/frontier", what=f"frontier at {size}")
        page.keyboard.press("Tab")
        skip = page.evaluate("""() => { const e = document.activeElement; const r = e.getBoundingClientRect();
            const st = getComputedStyle(e);
            return {cls: e.className, text: e.innerText, top: r.top, bottom: r.bottom, width: r.width,
                    outline: [st.outlineWidth, st.outlineStyle]}; }""")
        assert "elf-skip" in skip["cls"] and "Skip to controls" in skip["text"], skip
        assert skip["width"] > 0 and 0 <= skip["top"] < SIZES[size]["height"], f"skip link not on screen: {skip}"
        assert skip["outline"] == ["2px", "solid"], skip
        page.keyboard.press("Enter")
        page.wait_for_function("""() => { const e = document.activeElement;
            return e && e.closest('[data-testid="stSidebar"]') !== null
                   && (e.matches('input, [role="slider"], [role="switch"], [role="radio"], button')); }""",
                               timeout=10_000)
        assert page.locator(SIDEBAR).first.is_visible()
        assert page.locator("a.elf-skip").count() == 1

        for fg, bg, opacity, text in page.evaluate(CAPTIONS_JS):
            assert opacity == 1, f"caption {text!r} drawn at opacity {opacity}"
            assert contrast_ratio(fg, bg) >= 4.5, f"caption {text!r}: {fg} on {bg} is {contrast_ratio(fg, bg):.2f}:1"
        n_plots = page.locator(PLOT).count()
        described = page.evaluate("""() => Array.from(document.querySelectorAll('.elf-sr-only'))
            .filter(e => e.textContent.trim().length > 20).length""")
        assert n_plots > 0 and described >= n_plots, f"{n_plots} charts, {described} descriptions"
        s.check()
    finally:
        s.close()
