"""core.binding: full regions and their capacity shadow prices, binding frictions, the value of
more latency budget, against hand-worked cases and independent re-solves of edited scenarios."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import build_random_scenario, build_tiny_scenario
from core.binding import (HOURS_PER_YEAR, binding_frictions, binding_sentence, capacity_holds_back,
                          full_regions, latency_value)
from core.highs_lp import HighsLP
from core.inputs import model_inputs
from core.model import PlacementModel, solve_scenario
from core.scenario import default_scenario, parse_scenario, update_scenario
from core.setting_change import budgets_raised, headline_delta


def spill_scenario(**overrides):
    """10 MW at ``home`` ($100/MWh); ``cheap`` ($50, 4 MW) and ``mid`` ($70, 100 MW) both within
    the budget; 10 hours. The optimum fills cheap (4 MW) and sends 6 MW to mid, so cheap's
    capacity is worth 70 − 50 = $20/MWh: $200 per MW over the 10 h, $175,200 per MW-year."""
    return parse_scenario(build_tiny_scenario(
        nodes=[{"id": "home", "price_usd_per_mwh": 100.0},
               {"id": "cheap", "lon": 1.0, "price_usd_per_mwh": 50.0, "capacity_mw": 4.0},
               {"id": "mid", "lon": 2.0, "price_usd_per_mwh": 70.0, "capacity_mw": 100.0}],
        rtt_ms={"home": {"cheap": 20.0, "mid": 20.0}, "cheap": {"mid": 20.0}}, **overrides))


@pytest.fixture(params=["cvxpy", "highs"])
def engine(request):
    def make(sc):
        return PlacementModel.for_scenario(sc) if request.param == "cvxpy" else HighsLP.for_inputs(model_inputs(sc))
    return make


def test_hand_case_full_region_and_its_shadow_price(engine):
    sc = spill_scenario()
    sol = engine(sc).solve(model_inputs(sc))
    full = full_regions(sol)
    assert list(full["node"]) == ["cheap"]
    assert full["load_mw"].iloc[0] == pytest.approx(4.0) and full["capacity_mw"].iloc[0] == 4.0
    assert full["capacity_shadow_usd_per_mw"].iloc[0] == pytest.approx(20.0 * 10.0, rel=1e-6)
    assert full["capacity_shadow_usd_per_mw_year"].iloc[0] == pytest.approx(20.0 * 8760.0, rel=1e-6)


def test_shadow_price_equals_a_finite_difference_of_capacity(engine):
    """Re-solve with capacity + 1 MW: the objective falls by the shadow price over the period."""
    sc = spill_scenario()
    base = solve_scenario(sc).objective_usd
    more = solve_scenario(update_scenario(sc, {"nodes.cheap.capacity_mw": 5.0})).objective_usd
    full = full_regions(engine(sc).solve(model_inputs(sc)))
    assert full["capacity_shadow_usd_per_mw"].iloc[0] == pytest.approx(base - more, rel=1e-6)
    assert base - more == pytest.approx(200.0, rel=1e-6)          # by hand: 1 MW × $20/MWh × 10 h


def test_shadow_prices_of_the_default_scenario_match_finite_differences():
    sc = default_scenario()
    inp = model_inputs(sc)
    lp = HighsLP.for_inputs(inp)
    full = full_regions(lp.solve(inp))
    base = lp.solve(inp).objective_usd
    checked = 0
    for node, shadow in zip(full["node"], full["capacity_shadow_usd_per_mw"]):
        if shadow <= 0 or checked == 3:
            continue
        cap = next(n.capacity_mw for n in sc.nodes if n.id == node)
        step = 0.01                       # small enough to stay within the optimal basis
        edited = update_scenario(sc, {f"nodes.{node}.capacity_mw": cap + step})
        more = solve_scenario(edited).objective_usd       # the CVXPY model of record, rebuilt
        assert (base - more) / step == pytest.approx(shadow, rel=1e-3, abs=1.0), node
        checked += 1
    assert checked == 3


@pytest.mark.parametrize("seed", range(12))
def test_full_regions_are_exactly_those_at_capacity(seed):
    sc = parse_scenario({**build_random_scenario(seed),
                         "frictions": {**build_random_scenario(seed)["frictions"], "capacity": True}})
    inp = model_inputs(sc)
    sol = PlacementModel.for_scenario(sc).solve(inp)
    load = sol.x_mw.sum(axis=(0, 2))
    at_cap = {r for r, (ld, cap) in zip(inp.node_ids, zip(load, inp.capacity_mw)) if cap > 0 and ld >= cap - 1e-6}
    full = full_regions(sol)
    assert set(full["node"]) == at_cap
    # complementary slackness: a region whose capacity has a positive price is full
    priced = {r for r, y in zip(inp.node_ids, sol.capacity_dual_usd_per_mwh) if y > 1e-6}
    assert priced <= at_cap


def test_no_region_is_full_with_the_capacity_friction_off():
    sc = spill_scenario(frictions={"capacity": False})
    assert full_regions(solve_scenario(sc)).empty


def test_binding_frictions_hand_case():
    """Capacity: all 10 MW at $50 without it (5,000 $) against 4 at $50 and 6 at $70 (6,200 $):
    it binds at $1,200. Egress with g = 0 costs nothing: it does not bind."""
    sc = spill_scenario()
    inp = model_inputs(sc)
    df = binding_frictions(HighsLP.for_inputs(inp), inp).set_index("friction")
    assert set(df.index) == {"egress", "migration", "state_locality", "legal", "capacity"}
    assert df.at["capacity", "binds"] and df.at["capacity", "cost_usd_of_friction"] == pytest.approx(1200.0, rel=1e-6)
    assert df.at["capacity", "objective_without_usd"] == pytest.approx(5000.0, rel=1e-6)
    for f in ("egress", "migration", "state_locality", "legal"):
        assert not df.at[f, "binds"] and df.at[f, "cost_usd_of_friction"] == 0.0


def test_binding_frictions_lists_only_frictions_that_are_on():
    sc = spill_scenario(frictions={"egress": False, "legal": False})
    inp = model_inputs(sc)
    assert set(binding_frictions(HighsLP.for_inputs(inp), inp)["friction"]) == {"migration", "state_locality", "capacity"}


def test_latency_value_hand_case():
    """Budget 15 ms, the cheaper region 20 ms away: +10 ms lets all 10 MW move to $50 instead of
    $100: 10 MW × $50/MWh × 10 h = $5,000; capacity does not hold it back."""
    sc = parse_scenario(build_tiny_scenario(workloads=[{"id": "w", "latency_budget_ms": 15.0}]))
    inp = model_inputs(sc)
    v = latency_value(HighsLP.for_inputs(inp), inp, 10.0).set_index("workload")
    assert v.at["w", "value_usd"] == pytest.approx(5000.0, rel=1e-9)
    assert v.at["w", "savings_change_usd"] == pytest.approx(5000.0, rel=1e-9)
    assert v.at["w", "relocated_share_change"] == pytest.approx(1.0)
    assert v.at["w", "value_without_capacity_usd"] == pytest.approx(5000.0, rel=1e-9)
    assert not capacity_holds_back(v.reset_index())["w"]


def test_latency_value_equals_an_independent_re_solve_of_the_default_scenario():
    sc = default_scenario()
    inp = model_inputs(sc)
    v = latency_value(HighsLP.for_inputs(inp), inp, 10.0)
    base = solve_scenario(sc)
    for w, value, saving in zip(v["workload"], v["value_usd"], v["savings_change_usd"]):
        budget = next(x.latency_budget_ms for x in sc.workloads if x.id == w)
        more = solve_scenario(update_scenario(sc, {f"workloads.{w}.latency_budget_ms": budget + 10.0}))
        tol = 1e-6 * base.objective_usd
        assert value == pytest.approx(base.objective_usd - more.objective_usd, abs=tol), w
        assert value >= 0.0
    # without capacity limits: the same re-solve on a scenario with the friction off
    free = update_scenario(sc, {"frictions.capacity": False})
    free_base = solve_scenario(free).objective_usd
    w = "chat"
    free_more = solve_scenario(update_scenario(free, {"workloads.chat.latency_budget_ms": 70.0})).objective_usd
    got = v.set_index("workload").at[w, "value_without_capacity_usd"]
    assert got == pytest.approx(free_base - free_more, abs=1e-6 * free_base)


def test_binding_sentence_names_full_regions_and_the_held_back_class():
    sc = spill_scenario(workloads=[{"id": "w", "latency_budget_ms": 50.0}])
    inp = model_inputs(sc)
    lp = HighsLP.for_inputs(inp)
    full = full_regions(lp.solve(inp))
    text = binding_sentence(full, None, 10.0, {"cheap": "Cheapville"})
    assert "1 region is full: Cheapville (4 of 4 MW)" in text
    assert "One more MW in Cheapville would save $200 over 10" in text
    values = pd.DataFrame({"workload": ["w"], "step_ms": [10.0], "value_usd": [50.0],
                           "value_without_capacity_usd": [5000.0]})
    text = binding_sentence(full, values, 10.0, {"cheap": "Cheapville"}, {"w": "Chat"})
    assert "With capacity unlimited, +10 ms on Chat would be worth $5,000 instead of $50.00." in text
    assert binding_sentence(full.iloc[0:0], None, 10.0) == "No region is full: capacity does not limit where work runs."


def test_capacity_holds_back_compares_with_unlimited_capacity():
    v = pd.DataFrame({"workload": ["a", "b", "c"], "value_usd": [100.0, 100.0, 0.0],
                      "value_without_capacity_usd": [1000.0, 150.0, np.nan]})
    assert capacity_holds_back(v).to_dict() == {"a": True, "b": False, "c": False}


def test_headline_delta_and_budgets_raised():
    prev = {"savings_usd": 933e6, "emissions_avg_t": 100.0, "emissions_marginal_t": 50.0,
            "relocated_share": 0.40, "relocated_mw": 1000.0, "unserved_mw": 0.0}
    cur = {"savings_usd": 934e6, "emissions_avg_t": 90.0, "emissions_marginal_t": 55.0,
           "relocated_share": 0.41, "relocated_mw": 1025.0, "unserved_mw": 1.0}
    d = headline_delta(prev, cur)
    assert d["savings_usd"] == pytest.approx(1e6) and d["emissions_avg_t"] == -10.0
    assert d["emissions_marginal_t"] == 5.0 and d["relocated_share"] == pytest.approx(0.01)
    assert d["relocated_mw"] == 25.0 and d["unserved_mw"] == 1.0
    sc = default_scenario()
    more = update_scenario(sc, {"workloads.voice.latency_budget_ms": 60.0})
    less = update_scenario(sc, {"workloads.voice.latency_budget_ms": 10.0})
    assert budgets_raised(sc, 0.0, more, 0.0) and budgets_raised(sc, 0.0, sc, 5.0)
    assert not budgets_raised(sc, 0.0, less, 0.0) and not budgets_raised(sc, 0.0, sc, 0.0)
    assert not budgets_raised(sc, 10.0, more, 0.0)       # voice +35 but every other class −10


def test_hours_per_year():
    assert HOURS_PER_YEAR == 365 * 24
