"""The dashboard on a tiny scenario worked out by hand (served through ``ELF_SCENARIO``): the
Explorer and the Presentation show the hand-worked dollars and tonnes, the Presentation's HTML
export carries them, and the Data page's downloads read back to the same scenario and numbers.

The expected values below are computed by hand from the scenario, not by core; they are found in
the rendered text (metric values and deltas, markdown, captions) in the app's own formats
(pages.common.theme.fmt_usd / fmt_t, or the narrative's "million" / "thousand tonnes"), so the
tests do not depend on where a page puts them.

Scenario: H = 8760 h. One class "chat" (budget 50 ms, σ = 0.25, g = 0, ω = 0), 10 MW at home.
  home: $100/MWh, 400 (average) / 600 (marginal) gCO2/kWh, PUE 1, 100 MW.
  away: $58.8/MWh, 100 / 700 gCO2/kWh, PUE 1, 100 MW, 20 ms from home.
Local baseline (budget 0): 10 MW at home.
  C = 8760·10·100 = 8,760,000 $; E_avg = 8760·10·0.4 = 35,040 t; E_marg = 8760·10·0.6 = 52,560 t.
Optimum: away is cheaper (58.8 < 100); σ keeps 2.5 MW at home, 7.5 MW move.
  C = 8760·(2.5·100 + 7.5·58.8) = 8760·691 = 6,053,160 $  → savings 2,706,840 $ ("$2.71 M")
  E_avg = 8760·(2.5·0.4 + 7.5·0.1) = 15,330 t → change −19,710 t ("19.7 kt" lower)
  E_marg = 8760·(2.5·0.6 + 7.5·0.7) = 59,130 t → change +6,570 t ("6.57 kt" higher)
With state locality off, all 10 MW move (the friction waterfall's potential, too):
  C = 8760·10·58.8 = 5,150,880 $ → savings 3,609,120 $ ("$3.61 M"); E_avg 8,760 t → −26,280 t
  ("26.3 kt" lower); E_marg 61,320 t → +8,760 t ("8.76 kt" higher). State locality therefore
  costs 3,609,120 − 2,706,840 = 902,280 $ ("$902 k") a year.
"""
from __future__ import annotations

import html
import io
import json
import re

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from app_support import by_key, capture_downloads, keep_navigation_mode, no_exception, open_app, served_scenario
from core.scenario import loads_scenario, parse_scenario
from core.share import ShareState, encode_state
from pages.common.theme import fmt_t, fmt_usd

SCENARIO = {
    "schema_version": 1, "name": "Hand-worked pair",
    "nodes": [
        {"id": "home", "name": "Home region", "lat": 50.1, "lon": 8.7, "price_usd_per_mwh": 100.0,
         "carbon_avg_g_per_kwh": 400.0, "carbon_marginal_g_per_kwh": 600.0, "pue": 1.0, "capacity_mw": 100.0},
        {"id": "away", "name": "Away region", "lat": 59.3, "lon": 18.1, "price_usd_per_mwh": 58.8,
         "carbon_avg_g_per_kwh": 100.0, "carbon_marginal_g_per_kwh": 700.0, "pue": 1.0, "capacity_mw": 100.0}],
    "workloads": [{"id": "chat", "name": "Chat", "latency_budget_ms": 50.0, "state_pinned_share": 0.25}],
    "demand": [{"node": "home", "workload": "chat", "mw": 10.0}],
    "rtt_ms": {"home": {"away": 20.0}},
}
H = 8760.0
# by hand (see the module docstring)
LOCAL_COST_USD = H * 10 * 100
COST_USD = H * (2.5 * 100 + 7.5 * 58.8)
SAVINGS_USD = LOCAL_COST_USD - COST_USD                       # 2,706,840
AVG_CHANGE_T = H * (2.5 * 0.4 + 7.5 * 0.1) - H * 10 * 0.4     # −19,710
MARG_CHANGE_T = H * (2.5 * 0.6 + 7.5 * 0.7) - H * 10 * 0.6    # +6,570
FREE_SAVINGS_USD = LOCAL_COST_USD - H * 10 * 58.8             # 3,609,120 (state locality off)
FREE_AVG_CHANGE_T = H * 10 * 0.1 - H * 10 * 0.4               # −26,280
FREE_MARG_CHANGE_T = H * 10 * 0.7 - H * 10 * 0.6              # +8,760
LOCALITY_COST_USD = FREE_SAVINGS_USD - SAVINGS_USD            # 902,280


# --- the app, served with the hand-worked scenario ---------------------------------------------

@pytest.fixture(autouse=True)
def hand_scenario(tmp_path, monkeypatch):
    keep_navigation_mode(monkeypatch)
    with served_scenario(tmp_path, monkeypatch, SCENARIO, "hand.json") as path:
        yield path


@pytest.fixture
def files(monkeypatch) -> dict[str, bytes]:
    """Every file a download button hands to the browser, by file name."""
    return capture_downloads(monkeypatch)


def without_state_locality(page: str | None = None) -> AppTest:
    """The app with state locality switched off in the sidebar, then switched to ``page`` if given."""
    at = open_app()
    by_key(at.toggle, "friction_state_locality").set_value(False)
    at.run()
    if page:
        at.switch_page(f"pages/{page}.py").run()
    no_exception(at)
    return at


def shown_text(at: AppTest) -> str:
    """Every label, value, delta and body on the page, with HTML entities and Markdown escapes undone."""
    parts: list[str] = []

    def walk(node):
        for attr in ("label", "value", "delta", "body"):
            try:
                v = getattr(node, attr, None)
            except Exception:          # a widget without a value in this run
                v = None
            if isinstance(v, str):
                parts.append(v)
        children = getattr(node, "children", None)
        if isinstance(children, dict):
            for child in children.values():
                walk(child)

    walk(at.main)
    return plain("\n".join(parts))


def plain(text: str) -> str:
    return html.unescape(text).replace("\\", "")


# --- the hand-worked figures as the app writes them ---------------------------------------------

_WORDS = {"k": "thousand", "M": "million", "bn": "billion", "kt": "thousand tonnes", "Mt": "million tonnes"}


def usd_pattern(x: float) -> str:
    """fmt_usd's "$2.71 M", or the narrative's "$2.71 million"."""
    m = re.fullmatch(r"-?\$([\d.,]+)(?: (k|M|bn))?", fmt_usd(abs(x)))
    num, suffix = m.group(1), m.group(2)
    tail = rf"\s?(?:{suffix}|{_WORDS[suffix]})\b" if suffix else r"\b"
    return r"\$" + re.escape(num) + tail


def tonnes_pattern(x: float) -> str:
    """fmt_t's "19.7 kt CO₂" (or "19.7 kt"), or the narrative's "19.7 thousand tonnes"."""
    m = re.fullmatch(r"([\d.,]+) (kt|Mt|t) CO₂", fmt_t(abs(x)))
    num, suffix = m.group(1), m.group(2)
    return re.escape(num) + rf"\s?(?:{suffix}|{_WORDS.get(suffix, 'tonnes')})"


def assert_usd(text: str, x: float) -> None:
    assert re.search(usd_pattern(x), text), f"{fmt_usd(x)} not shown:\n{text[:3000]}"


def assert_tonnes_change(text: str, change_t: float) -> None:
    """The change's size is shown, and never with the opposite sign."""
    pattern = tonnes_pattern(change_t)
    assert re.search(pattern, text), f"{fmt_t(abs(change_t))} not shown:\n{text[:3000]}"
    wrong = r"\+\s?" if change_t < 0 else r"[-−]\s?"
    assert not re.search(wrong + pattern, text), f"{fmt_t(abs(change_t))} shown with the wrong sign"


# --- Explorer --------------------------------------------------------------------------------------

def test_explorer_shows_the_hand_worked_savings_and_emissions():
    text = shown_text(open_app())
    assert_usd(text, SAVINGS_USD)                  # $2.71 M
    assert_tonnes_change(text, AVG_CHANGE_T)       # 19.7 kt lower on the average signal
    assert_tonnes_change(text, MARG_CHANGE_T)      # 6.57 kt higher on the marginal signal


def test_explorer_shows_the_hand_worked_costs():
    text = shown_text(open_app())
    assert_usd(text, COST_USD)                     # $6.05 M
    assert_usd(text, LOCAL_COST_USD)               # $8.76 M


def test_explorer_says_what_state_locality_costs():
    # the "what binds" panel: switching state locality off alone saves $902 k a year
    at = open_app()
    at.session_state["explorer_tab"] = "What binds"
    at.run()
    no_exception(at)
    assert_usd(shown_text(at), LOCALITY_COST_USD)


def test_explorer_follows_a_friction_switch():
    at = without_state_locality()
    text = shown_text(at)
    assert_usd(text, FREE_SAVINGS_USD)             # $3.61 M
    assert_tonnes_change(text, FREE_AVG_CHANGE_T)  # 26.3 kt lower
    assert_tonnes_change(text, FREE_MARG_CHANGE_T)  # 8.76 kt higher


def test_a_link_reopens_the_hand_worked_setting():
    at = open_app(link=encode_state(ShareState(changes={"frictions.state_locality": False})))
    assert not at.warning, [w.value for w in at.warning]
    text = shown_text(at)
    assert_usd(text, FREE_SAVINGS_USD)
    assert_tonnes_change(text, FREE_AVG_CHANGE_T)


def test_frictions_page_shows_the_hand_worked_waterfall():
    # potential $3.61 M (every friction off), realized $2.71 M; state locality keeps 2.5 of 10 MW
    # at home, so 75% of the potential survives (the other frictions cost nothing here: g = ω = φ = 0)
    text = shown_text(open_app(page="frictions"))
    assert_usd(text, FREE_SAVINGS_USD)
    assert_usd(text, SAVINGS_USD)
    assert re.search(r"\b75(?:\.0)?\s?%", text), text[:3000]


# --- Presentation ----------------------------------------------------------------------------------

def _built(at):
    """The Presentation page after "Build the deck" (the deck is built only when asked)."""
    at.button(key="pres_build").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _deck(files: dict[str, bytes]) -> str:
    decks = [name for name in files if name.endswith(".html")]
    assert len(decks) == 1, list(files)
    return plain(re.sub(r"<[^>]+>", " ", files[decks[0]].decode("utf-8")))


def test_presentation_and_its_export_show_the_hand_worked_numbers(files):
    at = _built(open_app(page="presentation"))
    for text in (shown_text(at), _deck(files)):
        assert_usd(text, SAVINGS_USD)
        assert_tonnes_change(text, AVG_CHANGE_T)
        assert_tonnes_change(text, MARG_CHANGE_T)


def test_presentation_export_shows_the_friction_waterfall_by_hand(files):
    # the waterfall's potential (every friction off) is the state-locality-free saving, $3.61 M
    _built(open_app(page="presentation"))
    deck = _deck(files)
    assert_usd(deck, FREE_SAVINGS_USD)
    assert_usd(deck, SAVINGS_USD)


def test_presentation_follows_the_session_settings(files):
    at = _built(without_state_locality("presentation"))
    for text in (shown_text(at), _deck(files)):
        assert_usd(text, FREE_SAVINGS_USD)
        assert_tonnes_change(text, FREE_AVG_CHANGE_T)
        assert_tonnes_change(text, FREE_MARG_CHANGE_T)


# --- Data page: the downloads read back --------------------------------------------------------------

def _downloads(files: dict[str, bytes]) -> dict[str, object]:
    """The Data page's files, recognised by their content: scenario, summary, placement, load."""
    out: dict[str, object] = {}
    for name, data in files.items():
        if name.endswith((".json", ".yaml", ".yml")):
            obj = json.loads(data.decode("utf-8")) if name.endswith(".json") else None
            if isinstance(obj, dict) and "nodes" in obj:
                out["scenario"] = data
            elif isinstance(obj, dict) and "savings_usd" in obj:
                out["summary"] = obj
        elif name.endswith(".csv"):
            df = pd.read_csv(io.BytesIO(data))
            if {"service", "compute", "mw"} <= set(df.columns):
                out["placement"] = df
            elif {"node", "load_mw"} <= set(df.columns):
                out["load"] = df
    return out


def test_data_page_downloads_read_back_to_the_scenario_and_the_hand_worked_numbers(files):
    open_app(page="data")
    got = _downloads(files)
    assert set(got) == {"scenario", "summary", "placement", "load"}, list(files)
    assert loads_scenario(got["scenario"]).to_json() == parse_scenario(SCENARIO).to_json()
    s = got["summary"]
    assert s["savings_usd"] == pytest.approx(SAVINGS_USD, rel=1e-7)
    assert s["cost_usd"] == pytest.approx(COST_USD, rel=1e-7)
    assert s["carbon_savings_avg_t"] == pytest.approx(-AVG_CHANGE_T, rel=1e-7)
    assert s["carbon_savings_marginal_t"] == pytest.approx(-MARG_CHANGE_T, rel=1e-7)
    flows = got["placement"].set_index(["service", "compute"])
    assert flows.loc[("home", "home"), "mw"] == pytest.approx(2.5, abs=1e-6)
    assert flows.loc[("home", "away"), "mw"] == pytest.approx(7.5, abs=1e-6)
    # cost per flow: 8760·2.5·100 = 2,190,000 $ and 8760·7.5·58.8 = 3,863,160 $
    assert flows.loc[("home", "home"), "cost_usd"] == pytest.approx(2_190_000, rel=1e-7)
    assert flows.loc[("home", "away"), "cost_usd"] == pytest.approx(3_863_160, rel=1e-7)
    load = got["load"].set_index("node")
    assert load.loc["away", "load_mw"] == pytest.approx(7.5, abs=1e-6)
    assert load.loc["away", "imported_mw"] == pytest.approx(7.5, abs=1e-6)


def test_data_page_downloads_follow_the_session_settings(files):
    at = without_state_locality("data")
    got = _downloads(files)
    sc = loads_scenario(got["scenario"])
    expected = parse_scenario({**SCENARIO, "frictions": {"state_locality": False}})
    assert sc.to_json() == expected.to_json()
    assert got["summary"]["savings_usd"] == pytest.approx(FREE_SAVINGS_USD, rel=1e-7)


def test_downloaded_scenario_uploads_back_to_the_same_numbers(files):
    at = open_app(page="data")
    scenario = _downloads(files)["scenario"]
    at.file_uploader[0].set_value(("hand.json", scenario, "application/json"))
    at.run()
    no_exception(at)
    assert not at.error, [e.value for e in at.error]
    at.switch_page("pages/explorer.py").run()
    no_exception(at)
    text = shown_text(at)
    assert_usd(text, SAVINGS_USD)
    assert_tonnes_change(text, AVG_CHANGE_T)
    assert_tonnes_change(text, MARG_CHANGE_T)
