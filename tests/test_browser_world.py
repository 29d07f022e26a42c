"""The big clouds' 117 regions in a real browser: a link that names the world scenario opens it,
the map is drawn, a slider re-solves, and the address bar's link reopens the same numbers in a
fresh browser context (Playwright + Debian's Chromium against a served app on 127.0.0.1)."""
from __future__ import annotations

import io
import json
import time
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from PIL import Image, ImageStat

from core.share import ShareState, decode_state, encode_state
from browser_support import (ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, METRIC, full_page_screenshot,
                             metric_texts, streamlit_server, wait_idle)
from test_browser import MAP_CANVAS, SIDEBAR, VIEW, Session, press_and_time, sidebar_slider

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.browser

WORLD = "world_cloud_regions"
SHOTS = ARTIFACTS / "screenshots"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with streamlit_server(ARTIFACTS / "streamlit_server_world.log") as (base, _, _t0):
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            s = Session(browser, base)
            page, rec = s.new_page()
            link = f"{base}/?s={quote(encode_state(ShareState(scenario=WORLD)))}"
            t0 = time.perf_counter()
            page.goto(link)
            page.wait_for_function(f"() => document.querySelectorAll('{METRIC}').length >= 5", timeout=90_000)
            wait_idle(page, rec, what="world link", timeout_s=90)
            opened_s = time.perf_counter() - t0
            yield {"browser": browser, "base": base, "session": s, "page": page, "rec": rec,
                   "opened_s": opened_s}
            s.close()
            browser.close()


def test_the_link_opens_the_world_and_the_map_is_drawn(world):
    page = world["page"]
    with open("scenarios/world_cloud_regions.json", encoding="utf-8") as f:
        name = json.load(f)["name"]
    picker = page.locator(f'{SIDEBAR} [data-testid="stSelectbox"]').filter(has_text="Scenario").first
    shown_value = picker.text_content() + " " + " ".join(
        e.get_attribute("value") or e.get_attribute("aria-label") or "" for e in picker.locator("input").all())
    assert name in shown_value, shown_value
    canvas = page.locator(MAP_CANVAS).first
    canvas.wait_for(state="visible", timeout=30_000)
    canvas.scroll_into_view_if_needed()
    stats = None
    end = time.monotonic() + 20
    while time.monotonic() < end:
        img = Image.open(io.BytesIO(canvas.screenshot())).convert("RGB")
        small = img.resize((img.width // 4, img.height // 4))
        stats = {"colours": len(small.getcolors(maxcolors=small.width * small.height)),
                 "stddev": max(ImageStat.Stat(img).stddev)}
        if stats["colours"] > 50 and stats["stddev"] > 10:
            break
        page.wait_for_timeout(250)
    assert stats["colours"] > 50 and stats["stddev"] > 10, f"the world map looks blank: {stats}"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "world_explorer_1440x900.png"))
    full_page_screenshot(page, SHOTS / "world_explorer_1440x900_full.png", VIEW["width"], VIEW["height"])
    world["session"].check()


def test_a_slider_move_resolves_and_the_link_round_trips(world):
    page, rec = world["page"], world["rec"]
    before = metric_texts(page)
    move = press_and_time(page, rec, sidebar_slider(page, "Relax every budget"), "ArrowRight")
    assert move["metrics_after"] != before, "relaxing every budget on the world changed nothing"
    url = page.url
    state = decode_state(parse_qs(urlsplit(url).query)["s"][0])
    assert state.scenario == WORLD and state.relax_ms > 0, state
    other = Session(world["browser"], world["base"])
    try:
        page2, rec2 = other.new_page()
        page2.goto(url)
        page2.wait_for_function(f"() => document.querySelectorAll('{METRIC}').length >= 5", timeout=90_000)
        wait_idle(page2, rec2, what="world link again", timeout_s=90)
        assert metric_texts(page2) == move["metrics_after"], "the link shows other numbers"
        other.check()
    finally:
        other.close()
    (ARTIFACTS / "browser_world_timings.json").write_text(json.dumps({
        "link_open_to_idle_s": round(world["opened_s"], 2),
        "relax_key_to_metrics_ms": move["key_to_metrics_ms"],
        "relax_key_to_script_finished_ms": move["key_to_script_finished_ms"]}, indent=1) + "\n")
    world["session"].check()
