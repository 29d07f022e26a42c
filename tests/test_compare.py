"""Two scenarios side by side (core/compare.py) on a tiny case worked out by hand, and the link that
carries both (core/share.py's optional ``compare`` part).

Scenario A: H = 10 h, PUE 1, no carbon price, egress $0.1/GB, no migration fee, σ = 0.
  home: $100/MWh, carbon 500 (average) / 600 (marginal) gCO2/kWh; 10 MW of w1 and 4 MW of w2 there.
  away: $50/MWh, 100 / 800 gCO2/kWh, capacity 6 MW, 20 ms from home.
  far:  $40/MWh, 300 / 200 gCO2/kWh, 30 ms from home.
  w1: budget 25 ms, no data moved; w2: budget 25 ms, 100 GB/MWh (egress 100 · 0.1 = $10/MWh).
  Within 25 ms only away is reachable: w1 there costs 50, w2 60 (both < 100), and away's 6 MW go to
  w1 (it saves more per MWh). A: w1 6 MW away + 4 home, w2 4 home.
    cost = 10 · (6·50 + 4·100 + 4·100) = 11,000 $; local = 10 · 14 · 100 = 14,000 $ → savings 3,000 $
    E_avg = 10 · (6·0.1 + 8·0.5) = 46 t; E_marg = 10 · (6·0.8 + 8·0.6) = 96 t; relocated 6/14.
Scenario B: A with every budget relaxed by 10 ms (35 ms): far is reachable, w1 costs 40 there and w2
  50 (away: 60): all 14 MW run at far.
    cost = 10 · (10·40 + 4·50) = 6,000 $ → savings 8,000 $; E_avg = 10·14·0.3 = 42 t;
    E_marg = 10·14·0.2 = 28 t; relocated 14/14.
B − A: cost −5,000 $, savings +5,000 $, E_avg −4 t, E_marg −68 t, relocated +8/14, unserved 0 (same).
Flows that changed (relocated): (home, far, w1) 0 → 10, (home, away, w1) 6 → 0, (home, far, w2) 0 → 4;
  summed per corridor: home → far 0 → 14, home → away 6 → 0.
"""
from __future__ import annotations

import base64
import json
import zlib

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from core.analysis import Analysis, relaxed_inputs
from core.compare import (CHANGE_TOL_MW, OVERLAY_COLUMNS, changed_flows, comparison_sentence, difference_lines,
                          frontier_overlay, headline_deltas, waterfall_pair, waterfall_range_usd)
from core.narrative import period_words
from core.scenario import default_scenario, parse_scenario
from core.share import (MAX_ID_CHARS, MAX_LINK_CHARS, CompareLinkError, LinkError, ShareState, apply_state,
                        decode_state, encode_state, scenario_changes)

H = 10.0
RTOL = 1e-7


def hand_scenario(tiny_scenario):
    nodes = [{"id": "home", "price_usd_per_mwh": 100.0, "carbon_avg_g_per_kwh": 500.0,
              "carbon_marginal_g_per_kwh": 600.0},
             {"id": "away", "lon": 1.0, "price_usd_per_mwh": 50.0, "carbon_avg_g_per_kwh": 100.0,
              "carbon_marginal_g_per_kwh": 800.0, "capacity_mw": 6.0},
             {"id": "far", "lon": 2.0, "price_usd_per_mwh": 40.0, "carbon_avg_g_per_kwh": 300.0,
              "carbon_marginal_g_per_kwh": 200.0}]
    return parse_scenario(tiny_scenario(
        nodes=nodes,
        workloads=[{"id": "w1", "latency_budget_ms": 25.0, "gb_per_mwh": 0.0},
                   {"id": "w2", "latency_budget_ms": 25.0, "gb_per_mwh": 100.0}],
        demand=[{"node": "home", "workload": "w1", "mw": 10.0}, {"node": "home", "workload": "w2", "mw": 4.0}],
        rtt_ms={"home": {"away": 20.0, "far": 30.0}, "away": {"far": 20.0}},
        prices={"egress_usd_per_gb": 0.1, "migration_usd_per_mwh": 0.0}))


@pytest.fixture(scope="module")
def solved():
    from conftest import build_tiny_scenario
    sc = hand_scenario(build_tiny_scenario)
    an = Analysis(sc)
    ia, ib = relaxed_inputs(sc, 0.0), relaxed_inputs(sc, 10.0)
    return {"sc": sc, "an": an, "inputs": (ia, ib), "headlines": (an.headline(ia), an.headline(ib)),
            "placements": (an.solve(ia).placement, an.solve(ib).placement)}


# --- headline deltas ---------------------------------------------------------------------------------

def test_headline_deltas_by_hand(solved):
    d = headline_deltas(*solved["headlines"]).set_index("key")
    expected = {  # key: (A, B) by hand (module docstring)
        "cost_usd": (11_000.0, 6_000.0), "savings_usd": (3_000.0, 8_000.0),
        "emissions_avg_t": (46.0, 42.0), "emissions_marginal_t": (96.0, 28.0),
        "relocated_share": (6 / 14, 1.0), "unserved_mw": (0.0, 0.0)}
    assert list(d.index) == list(expected)
    for key, (a, b) in expected.items():
        assert_allclose([d.at[key, "a"], d.at[key, "b"], d.at[key, "change"]], [a, b, b - a], rtol=RTOL, atol=1e-6)
    assert d["direction"].to_dict() == {"cost_usd": "lower", "savings_usd": "higher", "emissions_avg_t": "lower",
                                        "emissions_marginal_t": "lower", "relocated_share": "higher",
                                        "unserved_mw": "same"}
    assert set(d["unit"]) == {"usd", "t", "share", "mw"}


def test_same_scenario_has_no_change(solved):
    h = solved["headlines"][0]
    d = headline_deltas(h, dict(h))
    assert (d["change"] == 0).all() and (d["direction"] == "same").all()


def test_comparison_sentence_names_the_hand_worked_changes(solved):
    text = comparison_sentence(headline_deltas(*solved["headlines"]), H)
    assert f"saves $5,000 more {period_words(H)} ($8,000 against $3,000)" in text, text
    assert "4.00 tonnes of CO2 less counted with each grid's average intensity" in text, text
    assert "68.0 tonnes of CO2 less with its marginal intensity" in text, text
    assert f"{100 * 8 / 14:.1f} percentage points more" in text and "(100% against 43%)" in text, text
    assert "Unserved" not in text


# --- flows that changed ------------------------------------------------------------------------------

def test_changed_flows_per_class_by_hand(solved):
    f = changed_flows(*solved["placements"])
    assert list(f.columns) == ["service", "compute", "workload", "mw_a", "mw_b", "change_mw"]
    assert list(zip(f["service"], f["compute"], f["workload"])) == [("home", "far", "w1"), ("home", "away", "w1"),
                                                                     ("home", "far", "w2")]
    assert_allclose(f[["mw_a", "mw_b", "change_mw"]].to_numpy(),
                    [[0, 10, 10], [6, 0, -6], [0, 4, 4]], atol=1e-6)


def test_changed_flows_summed_per_corridor_by_hand(solved):
    f = changed_flows(*solved["placements"], per_workload=False)
    assert list(f.columns) == ["service", "compute", "mw_a", "mw_b", "change_mw"]
    assert list(zip(f["service"], f["compute"])) == [("home", "far"), ("home", "away")]
    assert_allclose(f[["mw_a", "mw_b", "change_mw"]].to_numpy(), [[0, 14, 14], [6, 0, -6]], atol=1e-6)


def placement(rows):
    return pd.DataFrame(rows, columns=["service", "compute", "workload", "mw"])


def test_changed_flows_tolerance_and_home_work():
    a = placement([("s", "r", "k", 5.0), ("s", "s", "k", 5.0), ("s", "q", "k", 2.0)])
    # (s, r): +CHANGE_TOL_MW/2 is noise; (s, q): +2·tol counts; work at home (s, s) is never listed
    b = placement([("s", "r", "k", 5.0 + CHANGE_TOL_MW / 2), ("s", "s", "k", 1.0),
                   ("s", "q", "k", 2.0 + 2 * CHANGE_TOL_MW)])
    f = changed_flows(a, b)
    assert list(zip(f["service"], f["compute"])) == [("s", "q")]
    assert_allclose(f["change_mw"], [2 * CHANGE_TOL_MW])
    assert changed_flows(a, a).empty


def test_changed_flows_that_cancel_within_a_corridor():
    # one class moves 3 MW off the corridor, another 3 MW onto it: per class two changes, summed none
    a = placement([("s", "r", "k1", 3.0)])
    b = placement([("s", "r", "k2", 3.0)])
    assert len(changed_flows(a, b)) == 2
    assert changed_flows(a, b, per_workload=False).empty


def test_changed_flows_of_empty_placements():
    empty = placement([])
    assert changed_flows(empty, empty).empty
    f = changed_flows(empty, placement([("s", "r", "k", 1.5)]))
    assert_allclose(f[["mw_a", "mw_b", "change_mw"]].to_numpy(), [[0, 1.5, 1.5]])


# --- frontiers and waterfalls ------------------------------------------------------------------------

def test_frontier_overlay_by_hand(solved):
    # uniform budgets set every class's budget themselves, so A's and B's frontiers agree (the
    # relaxation is the only difference): breakpoints 0, 20 (away) and 30 ms (far) with savings
    # 0 (all at home), 3,000 (as A) and 8,000 $ (as B)
    an, (ia, ib) = solved["an"], solved["inputs"]
    o = frontier_overlay(an.frontier(ia), an.frontier(ib))
    assert list(o.columns) == ["scenario", *OVERLAY_COLUMNS]
    for name in ("A", "B"):
        part = o[o["scenario"] == name]
        assert_allclose(part["budget_ms"], [0.0, 20.0, 30.0])
        assert_allclose(part["savings_usd"], [0.0, 3_000.0, 8_000.0], atol=1e-6)
        assert_allclose(part["relocated_share"], [0.0, 6 / 14, 1.0], atol=1e-9)
        assert_allclose(part["carbon_savings_avg_t"], [0.0, 70.0 - 46.0, 70.0 - 42.0], atol=1e-6)


def test_waterfall_pair_by_hand(solved):
    # A (25 ms): potential (every friction off) all 14 MW at away, 50 $/MWh: 7,000 $ saved; egress
    # on: w2 pays 10 $/MWh more: −400; capacity on: away takes 6 MW of w1 only: −3,600 → 3,000.
    # B (35 ms): potential all at far, 40 $/MWh: 8,400; egress: −400 → 8,000; capacity: far unlimited.
    an, (ia, ib) = solved["an"], solved["inputs"]
    pair = waterfall_pair(an.waterfall(ia), an.waterfall(ib))
    assert list(pair.columns) == ["scenario", "step", "savings_usd", "change_usd"]
    a, b = (pair[pair["scenario"] == s].set_index("step") for s in ("A", "B"))
    assert_allclose([a["savings_usd"].iloc[0], a.at["egress", "change_usd"], a.at["capacity", "change_usd"],
                     a["savings_usd"].iloc[-1]], [7_000.0, -400.0, -3_600.0, 3_000.0], atol=1e-6)
    assert_allclose([b["savings_usd"].iloc[0], b.at["egress", "change_usd"], b.at["capacity", "change_usd"],
                     b["savings_usd"].iloc[-1]], [8_400.0, -400.0, 0.0, 8_000.0], atol=1e-6)
    assert_allclose(waterfall_range_usd(pair), (0.0, 8_400.0 * 1.15))


def test_waterfall_range_with_a_negative_saving():
    pair = pd.DataFrame({"scenario": ["A", "B"], "step": ["x", "x"], "savings_usd": [-100.0, 50.0],
                         "change_usd": [0.0, 0.0]})
    assert_allclose(waterfall_range_usd(pair), (-110.0, 57.5))


def test_difference_lines(solved):
    sc = solved["sc"]
    assert difference_lines(sc, 0.0, sc, 0.0) == []
    assert difference_lines(sc, 0.0, sc, 10.0) == ["relaxation of every budget 0 ms → 10 ms"]


# --- the link carries both scenarios -----------------------------------------------------------------

def payload_of(text: str) -> dict:
    body = text[2:]
    return json.loads(zlib.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))))


def pack_json(payload) -> str:
    return "1." + base64.urlsafe_b64encode(zlib.compress(json.dumps(payload).encode(), 9)).decode().rstrip("=")


B_STATE = {"changes": {"frictions.egress": False}, "relax_ms": 5.0, "page": "compare"}


def test_link_round_trip_with_both_scenarios():
    default = default_scenario()
    a_sc = apply_state(default, ShareState(changes={"objective.carbon_price_usd_per_t": 80.0}))
    a = ShareState(scenario="default", changes=scenario_changes(default, a_sc), relax_ms=12.5)
    state = ShareState(changes={"frictions.egress": False}, relax_ms=5.0, page="compare", compare=a)
    text = encode_state(state)
    assert text.startswith("1.") and len(text) <= MAX_LINK_CHARS
    back = decode_state(text)
    assert back == state
    assert apply_state(default, back.compare).to_json() == a_sc.to_json()
    assert payload_of(text)["compare"] == {"changes": {"objective.carbon_price_usd_per_t": 80.0}, "relax_ms": 12.5}


def test_a_link_without_a_comparison_is_as_before():
    text = encode_state(ShareState(changes={"frictions.legal": False}, page="data"))
    assert "compare" not in payload_of(text)
    assert decode_state(text).compare is None
    # a link written before the key existed decodes as it did
    assert decode_state(pack_json({"changes": {}, "relax_ms": 0})) == ShareState()


def test_the_pinned_scenario_id_travels():
    a = ShareState(scenario="world_cloud_regions", changes={"frictions.provider_lock": False})
    back = decode_state(encode_state(ShareState(compare=a)))
    assert back.compare == a and back.scenario == "default"


@pytest.mark.parametrize("compare,reason", [
    ({"changes": {}, "page": "data"}, "unknown keys"),                      # A has no page
    ({"changes": {}, "compare": {}}, "unknown keys"),                       # no A inside A
    ({"evil": 1}, "unknown keys"),
    ([1, 2], "not an object"),
    ("default", "not an object"),
    ({"scenario": "../default"}, "scenario is not a scenario id"),
    ({"scenario": "a" * (MAX_ID_CHARS + 1)}, "scenario is not a scenario id"),   # too long an id
    ({"changes": [["name", "x"]]}, "changes are not"),
    ({"relax_ms": -1}, "relaxation is out of range"),
    ({"relax_ms": True}, "relaxation is out of range"),
    ({"relax_ms": 1e9}, "relaxation is out of range"),
])
def test_a_bad_pinned_part_is_refused_and_keeps_b(compare, reason):
    with pytest.raises(CompareLinkError) as err:
        decode_state(pack_json({**B_STATE, "compare": compare}))
    assert "pinned scenario A" in str(err.value) and reason in str(err.value), str(err.value)
    assert err.value.kept == ShareState(changes={"frictions.egress": False}, relax_ms=5.0, page="compare")
    assert isinstance(err.value, LinkError)


def test_a_bad_b_part_loses_both():
    with pytest.raises(LinkError) as err:
        decode_state(pack_json({"changes": {}, "relax_ms": -5, "compare": {"changes": {}}}))
    assert not isinstance(err.value, CompareLinkError)


def test_a_link_too_long_with_a_is_refused_whole():
    rng = np.random.default_rng(1)
    noise = "".join(rng.choice(list("abcdefghijklmnopqrstuvwxyz0123456789"), size=12_000))   # incompressible
    with pytest.raises(LinkError, match="a link holds"):
        encode_state(ShareState(compare=ShareState(changes={"name": noise})))


def test_an_invalid_pinned_scenario_is_found_when_applied():
    # the decoder checks the shape; the scenario's own rules are checked when A is applied
    back = decode_state(pack_json({**B_STATE, "compare": {"changes": {"nodes.us-va.pue": 0.5}}}))
    with pytest.raises(LinkError, match="pue"):
        apply_state(default_scenario(), back.compare)


def test_encode_refuses_a_pinned_part_with_a_page():
    with pytest.raises(LinkError, match="no page"):
        encode_state(ShareState(compare=ShareState(page="data")))
