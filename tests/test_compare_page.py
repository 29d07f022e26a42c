"""The Compare page (AppTest) on a hand-worked pair served through ``ELF_SCENARIO``: pin the
scenario as A, switch state locality off (B), see the deltas worked out by hand; a comparison link
opens A and B; bad A parts of a link keep B with a warning; unpin and swap; the Presentation's
export includes the comparison when asked.

Scenario (the pair of tests/test_hand_app.py): H = 8760 h; one class "chat" (budget 50 ms,
σ = 0.25), 10 MW at home ($100/MWh, 400 / 600 gCO2/kWh average / marginal); away $58.8/MWh,
100 / 700 gCO2/kWh, 20 ms from home; capacities 100 MW, PUE 1, g = ω = 0.
  A (state locality on): 2.5 MW at home, 7.5 MW away.
    C = 8760·(2.5·100 + 7.5·58.8) = 6,053,160 $; local 8,760,000 $ → savings 2,706,840 $
    E_avg = 8760·(2.5·0.4 + 7.5·0.1) = 15,330 t; E_marg = 8760·(2.5·0.6 + 7.5·0.7) = 59,130 t; moved 75 %.
  B (state locality off): all 10 MW away.
    C = 8760·10·58.8 = 5,150,880 $ → savings 3,609,120 $; E_avg = 8,760 t; E_marg = 61,320 t; moved 100 %.
  B − A: savings +902,280 $, cost −902,280 $, E_avg −6,570 t, E_marg +2,190 t, moved +25 percentage
  points; the corridor home → away carries 7.5 → 10 MW (+2.5 MW).
"""
from __future__ import annotations

import html
import re

import pytest

from app_support import by_key, capture_downloads, keep_navigation_mode, no_exception, open_app, served_scenario
from core.analysis import Analysis, relaxed_inputs
from core.compare import headline_deltas
from core.scenario import parse_scenario, update_scenario
from core.share import ShareState, decode_state, encode_state
from pages.common.theme import fmt_pp, fmt_signed, fmt_t, fmt_usd

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
A = {"cost_usd": H * (2.5 * 100 + 7.5 * 58.8), "savings_usd": H * 10 * 100 - H * (2.5 * 100 + 7.5 * 58.8),
     "emissions_avg_t": H * (2.5 * 0.4 + 7.5 * 0.1), "emissions_marginal_t": H * (2.5 * 0.6 + 7.5 * 0.7),
     "relocated_share": 0.75}
B = {"cost_usd": H * 10 * 58.8, "savings_usd": H * 10 * 100 - H * 10 * 58.8,
     "emissions_avg_t": H * 10 * 0.1, "emissions_marginal_t": H * 10 * 0.7, "relocated_share": 1.0}
OFF = {"frictions.state_locality": False}


@pytest.fixture(autouse=True)
def hand_scenario(tmp_path, monkeypatch):
    keep_navigation_mode(monkeypatch)
    with served_scenario(tmp_path, monkeypatch, SCENARIO, "hand.json") as path:
        yield path


def metrics(at) -> dict[str, tuple[str, str]]:
    """label → (value, delta) of every metric on the page."""
    return {m.label: (m.value, m.delta) for m in at.metric}


def metric(at, start: str) -> tuple[str, str]:
    found = [v for label, v in metrics(at).items() if label.startswith(start)]
    assert len(found) == 1, metrics(at)
    return found[0]


def table_with(at, column: str):
    """The one dataframe on the page with a column named ``column``."""
    found = [d.value for d in at.dataframe if column in d.value.columns]
    assert len(found) == 1, [list(d.value.columns) for d in at.dataframe]
    return found[0]


def link_of(at) -> ShareState:
    return decode_state(at.query_params["s"][0] if isinstance(at.query_params["s"], list) else at.query_params["s"])


def assert_hand_deltas(at) -> None:
    """The metrics show B's hand-worked values and B − A."""
    assert metric(at, "Savings against running at home") == (fmt_usd(B["savings_usd"]), "+$902 k")
    assert metric(at, "Cost") == (fmt_usd(B["cost_usd"]), "-$902 k")
    assert metric(at, "Emissions, average signal") == (fmt_t(B["emissions_avg_t"]), "-6.57 kt CO₂")
    assert metric(at, "Emissions, marginal signal") == (fmt_t(B["emissions_marginal_t"]), "+2.19 kt CO₂")
    assert metric(at, "Demand moved") == ("100.0%", "+25.0 percentage points")
    assert metric(at, "Unserved demand") == ("0 MW", "same as A")


def pinned_and_changed():
    at = open_app(page="compare")
    at.button(key="compare_pin").click().run()
    no_exception(at)
    by_key(at.toggle, "friction_state_locality").set_value(False).run()
    no_exception(at)
    return at


def test_without_a_pin_the_page_says_how_to_start():
    at = open_app(page="compare")
    text = " ".join(m.value for m in at.markdown)
    assert "Pin the current scenario as **A**" in text
    assert at.button(key="compare_pin") is not None and not at.metric
    assert link_of(at).compare is None


def test_pin_then_change_a_setting_shows_the_hand_worked_deltas():
    at = open_app(page="compare")
    at.button(key="compare_pin").click().run()
    no_exception(at)
    assert {v[1] for v in metrics(at).values()} == {"same as A"}
    assert any("B is still the same as A" in i.value for i in at.info)
    by_key(at.toggle, "friction_state_locality").set_value(False).run()
    no_exception(at)
    assert_hand_deltas(at)
    assert any("state locality on → off" in c.value for c in at.caption)
    table = table_with(at, "B against A").set_index("Quantity")
    savings = table.loc[[q for q in table.index if q.startswith("Savings")][0]]
    assert list(savings) == [fmt_usd(A["savings_usd"]), fmt_usd(B["savings_usd"]), "+$902 k", "higher"]
    flows = table_with(at, "B − A (MW)")
    assert list(flows["From (service)"]) == ["Home region"] and list(flows["To (compute)"]) == ["Away region"]
    assert flows[["A (MW)", "B (MW)", "B − A (MW)"]].iloc[0].tolist() == pytest.approx([7.5, 10.0, 2.5], abs=1e-6)
    assert len(at.get("deck_gl_json_chart")) == 1
    assert len(at.get("plotly_chart")) == 3                       # frontiers, A's and B's waterfalls
    # the address bar carries both: B with its edit, A as pinned
    link = link_of(at)
    assert link.changes == OFF and link.page == "compare"
    assert link.compare == ShareState()


def test_a_comparison_link_opens_a_and_b():
    text = encode_state(ShareState(changes=OFF, page="compare", compare=ShareState()))
    at = open_app(link=text, page="compare")
    assert not at.warning, [w.value for w in at.warning]
    assert_hand_deltas(at)
    assert by_key(at.toggle, "friction_state_locality").value is False


def test_a_link_with_b_as_a_and_a_as_b():
    # the same pair the other way round: A has state locality off, B on; every delta flips its sign
    at = open_app(link=encode_state(ShareState(page="compare", compare=ShareState(changes=OFF))), page="compare")
    assert metric(at, "Savings against running at home") == (fmt_usd(A["savings_usd"]), "-$902 k")
    assert metric(at, "Emissions, average signal") == (fmt_t(A["emissions_avg_t"]), "+6.57 kt CO₂")
    assert metric(at, "Demand moved") == ("75.0%", fmt_signed(fmt_pp, -0.25))


@pytest.mark.parametrize("compare,words", [
    ({"evil": 1}, "comparison could not be used"),                                   # unknown key
    ({"relax_ms": -3}, "comparison could not be used"),                              # invalid value
    ({"scenario": "x" * 100}, "comparison could not be used"),                       # too long an id
    ({"scenario": "nowhere"}, "pinned scenario A could not be used"),                # no such scenario
    ({"changes": {"nodes.home.pue": 0.5}}, "pinned scenario A could not be used"),   # an invalid A
])
def test_a_bad_pinned_part_keeps_b_with_a_warning(compare, words):
    from test_compare import pack_json
    # opened at the root: the link names the Compare page, which shows the warning of the first run
    at = open_app(link=pack_json({"changes": OFF, "relax_ms": 0, "page": "compare", "compare": compare}))
    assert at.title[0].value == "Compare two scenarios"
    warnings = " ".join(w.value for w in at.warning)
    assert words in warnings and "without" in warnings, warnings
    assert by_key(at.toggle, "friction_state_locality").value is False          # B is kept
    assert not at.metric and at.button(key="compare_pin") is not None          # nothing pinned
    if compare == {"changes": {"nodes.home.pue": 0.5}}:
        assert "pue" in warnings


def test_unpin_forgets_a():
    at = pinned_and_changed()
    at.button(key="compare_unpin").click().run()
    no_exception(at)
    assert not at.metric and link_of(at).compare is None and link_of(at).changes == OFF


def test_swap_makes_a_current():
    at = pinned_and_changed()
    at.button(key="compare_swap").click().run()
    no_exception(at)
    assert by_key(at.toggle, "friction_state_locality").value is True          # A (locality on) is current
    assert metric(at, "Savings against running at home") == (fmt_usd(A["savings_usd"]), "-$902 k")
    link = link_of(at)
    assert link.changes == {} and link.compare == ShareState(changes=OFF)


def _deck_text(saved: dict[str, bytes]) -> str:
    (name,) = [n for n in saved if n.endswith(".html")]
    return html.unescape(re.sub(r"<[^>]+>", " ", saved[name].decode("utf-8")))


def test_presentation_export_includes_the_comparison_when_asked(monkeypatch):
    at = pinned_and_changed()
    at.switch_page("pages/presentation.py").run()
    no_exception(at)
    saved = capture_downloads(monkeypatch, ".html")
    at.button(key="pres_build").click().run()
    no_exception(at)
    assert "Scenario B against scenario A" not in _deck_text(saved)          # not unless asked
    saved.clear()
    at.toggle(key="pres_compare").set_value(True).run()
    at.button(key="pres_build").click().run()
    no_exception(at)
    deck = _deck_text(saved)
    assert "Scenario B against scenario A" in deck and "The settings behind scenario A" in deck
    # the numbers of core.compare for A and B, solved here independently of the app
    sc_a = parse_scenario(SCENARIO)
    sc_b = update_scenario(sc_a, OFF)
    an = Analysis(sc_a)
    d = headline_deltas(an.headline(relaxed_inputs(sc_a)), an.headline(relaxed_inputs(sc_b))).set_index("key")
    for key in ("cost_usd", "savings_usd"):
        assert abs(d.at[key, "a"] - A[key]) < 1e-3 and abs(d.at[key, "b"] - B[key]) < 1e-3   # = by hand
        row = f"{fmt_usd(d.at[key, 'a'])} {fmt_usd(d.at[key, 'b'])} {fmt_signed(fmt_usd, d.at[key, 'change'])}"
        assert row in " ".join(deck.split()), row
    for key in ("emissions_avg_t", "emissions_marginal_t"):
        row = f"{fmt_t(d.at[key, 'a'])} {fmt_t(d.at[key, 'b'])} {fmt_signed(fmt_t, d.at[key, 'change'])}"
        assert row in " ".join(deck.split()), row
    assert "state locality on → off" in deck


def test_a_and_b_of_different_structures():
    # B adds a region "cheap" ($30/MWh, 10 ms from home): A keeps its own model. B: 2.5 MW at home
    # (σ), 7.5 MW at cheap: C = 8760·(2.5·100 + 7.5·30) = 4,161,000 $ → savings 4,599,000 $, +1,892,160 $
    # against A; the corridor home → away loses its 7.5 MW, home → cheap gains them.
    cheap = {"id": "cheap", "name": "Cheap region", "lat": 48.1, "lon": 11.6, "price_usd_per_mwh": 30.0,
             "carbon_avg_g_per_kwh": 0.0, "carbon_marginal_g_per_kwh": 0.0, "pue": 1.0, "capacity_mw": 100.0}
    changes = {"nodes": SCENARIO["nodes"] + [cheap], "rtt_ms": {"home": {"away": 20.0, "cheap": 10.0}}}
    at = open_app(link=encode_state(ShareState(changes=changes, page="compare", compare=ShareState())),
                  page="compare")
    savings_b = H * 10 * 100 - H * (2.5 * 100 + 7.5 * 30)
    assert metric(at, "Savings against running at home") == (fmt_usd(savings_b),
                                                             fmt_signed(fmt_usd, savings_b - A["savings_usd"]))
    flows = table_with(at, "B − A (MW)")
    assert list(flows["To (compute)"]) == ["Away region", "Cheap region"]
    assert flows["B − A (MW)"].tolist() == pytest.approx([-7.5, 7.5], abs=1e-6)
    assert any("regions: replaced" in c.value for c in at.caption)


def test_a_pin_too_big_for_the_link_leaves_a_out_and_says_so(monkeypatch):
    # a link limit between the size of B's link alone and that of B with A pinned: the address bar
    # keeps B alone and the sidebar says that A was left out
    at = pinned_and_changed()
    b = {**OFF, "frictions.egress": False}
    alone = encode_state(ShareState(changes=b, page="compare"))
    both = encode_state(ShareState(changes=b, page="compare", compare=ShareState()))
    assert len(alone) < len(both)
    monkeypatch.setattr("core.share.MAX_LINK_CHARS", len(alone))
    by_key(at.toggle, "friction_egress").set_value(False).run()         # any rerun writes the link again
    no_exception(at)
    assert at.metric                                                    # A is still pinned
    link = link_of(at)
    assert link.compare is None and link.changes == b
    assert any("leaves out the pinned scenario A" in c.value for c in at.sidebar.caption)
