"""Metrics of MODEL.md on hand-worked cases: RID, execution layers, break-even, friction waterfall."""
import numpy as np
import pytest
from numpy.testing import assert_allclose

from core.engines import make_engine
from core.inputs import model_inputs
from core.metrics import (WATERFALL_ORDER, break_even, execution_layers, friction_waterfall, local_inputs,
                          relocatable_demand_share)
from core.model import PlacementModel, solve_scenario
from core.scenario import FRICTIONS, parse_scenario, update_scenario, with_budgets_ms


# --- RID ----------------------------------------------------------------------------------------

def _rid_case(tiny_scenario, egress=0.2, budget=30.0):
    # a $100, b $80, c $120; rtt a–b 50, a–c 10, b–c 20; demand a 10, b 30, c 60 MW.
    # g = 100 GB/MWh: transfer = 100·e $/MWh.
    return tiny_scenario(
        nodes=[{"id": "a", "price_usd_per_mwh": 100}, {"id": "b", "price_usd_per_mwh": 80},
               {"id": "c", "price_usd_per_mwh": 120}],
        rtt_ms={"a": {"b": 50, "c": 10}, "b": {"c": 20}},
        workloads=[{"id": "w", "latency_budget_ms": budget, "gb_per_mwh": 100}],
        demand=[{"node": "a", "workload": "w", "mw": 10}, {"node": "b", "workload": "w", "mw": 30},
                {"node": "c", "workload": "w", "mw": 60}],
        prices={"egress_usd_per_gb": egress})


def test_rid_by_hand(tiny_scenario):
    # e = 0.2 → transfer 20 $/MWh; budget 30 ms.
    #   a: b is cheaper (80 + 20 = 100, not < 100 anyway) but 50 ms is beyond the budget;
    #      c is 120 + 20 > 100 → not relocatable.
    #   b: a 100 + 20, c 120 + 20 > 80 → not relocatable.
    #   c: b (20 ms) 80 + 20 = 100 < 120 → relocatable.
    # RID = 60 / 100 = 0.6
    sc = parse_scenario(_rid_case(tiny_scenario))
    inp = model_inputs(sc)
    assert_allclose(relocatable_demand_share(inp), 0.6, rtol=1e-12)
    # budget 50 admits a→b, but 100 is not strictly below home's 100: still 0.6
    assert_allclose(relocatable_demand_share(inp, np.array([50.0])), 0.6, rtol=1e-12)
    # e = 0.19 → transfer 19: a→b costs 99 < 100 → (10 + 60)/100 = 0.7 at 50 ms, 0.6 at 30 ms
    inp = model_inputs(parse_scenario(_rid_case(tiny_scenario, egress=0.19)))
    assert_allclose(relocatable_demand_share(inp, np.array([50.0])), 0.7, rtol=1e-12)
    assert_allclose(relocatable_demand_share(inp), 0.6, rtol=1e-12)
    # budget 0: nothing relocatable
    assert_allclose(relocatable_demand_share(inp, np.array([0.0])), 0.0, atol=0)


def test_realized_relocation_by_hand(tiny_scenario):
    # e = 0.2, budget 30: c's 60 MW go to b (100 < 120; a would cost 120, a tie with home);
    # realized relocation = 60 / 100 = 0.6; C = 10 h · (10·100 + 30·80 + 60·100) = 94000 $
    sol = solve_scenario(parse_scenario(_rid_case(tiny_scenario)))
    assert_allclose(sol.relocated_share, 0.6, rtol=1e-7)
    assert_allclose(sol.cost_usd, 94000.0, rtol=1e-9)


# --- execution layers --------------------------------------------------------------------------

def _layers_case(tiny_scenario, regional_ms=30.0):
    # a $100 (σ = 0.3, 10 MW); b $60 cap 4 at 20 ms; c $70 at 60 ms; budget 100.
    # Optimum: 3 MW home (pinned), 4 at b (full), 3 at c.
    return tiny_scenario(
        nodes=[{"id": "a"}, {"id": "b", "price_usd_per_mwh": 60, "capacity_mw": 4},
               {"id": "c", "price_usd_per_mwh": 70}],
        rtt_ms={"a": {"b": 20, "c": 60}, "b": {"c": 50}},
        workloads=[{"id": "w", "latency_budget_ms": 100, "state_pinned_share": 0.3}, {"id": "idle"}],
        demand=[{"node": "a", "workload": "w", "mw": 10}],
        regional_ms=regional_ms)


@pytest.mark.parametrize("regional_ms,expected", [
    (30.0, [3.0, 4.0, 3.0]),   # b (20 ms) regional, c (60 ms) energy-oriented
    (60.0, [3.0, 7.0, 0.0]),   # rtt ≤ regional_ms: c at exactly 60 ms is regional
    (19.0, [3.0, 0.0, 7.0]),   # both beyond 19 ms
])
def test_execution_layers_by_hand(tiny_scenario, regional_ms, expected):
    sol = solve_scenario(parse_scenario(_layers_case(tiny_scenario, regional_ms)))
    df = execution_layers(sol).set_index(["workload", "layer"])
    got = [df.loc[("w", layer), "mw"] for layer in ("local", "regional", "energy-oriented")]
    assert_allclose(got, expected, atol=1e-6)
    assert_allclose([df.loc[("w", layer), "share"] for layer in ("local", "regional", "energy-oriented")],
                    np.array(expected) / 10.0, atol=1e-7)
    # a class with no demand has no served MW in any layer
    assert_allclose(df.loc["idle", "mw"], 0.0, atol=0)


# --- break-even ---------------------------------------------------------------------------------

def _break_even_case(tiny_scenario, tau=50.0, egress=0.05):
    # s: $50, 800 g/kWh marginal, PUE 1.2; r: $70, 100 g/kWh, PUE 1.1; ω = 0.1, g = 40 GB/MWh,
    # φ = 2 $/MWh; far: beyond the budget; zero: capacity 0. 10 MW at s.
    return tiny_scenario(
        nodes=[{"id": "s", "price_usd_per_mwh": 50, "carbon_marginal_g_per_kwh": 800, "pue": 1.2},
               {"id": "r", "price_usd_per_mwh": 70, "carbon_marginal_g_per_kwh": 100, "pue": 1.1},
               {"id": "far", "price_usd_per_mwh": 1}, {"id": "zero", "price_usd_per_mwh": 1, "capacity_mw": 0}],
        rtt_ms={"s": {"r": 10, "far": 500, "zero": 10}, "r": {"far": 500, "zero": 10}, "far": {"zero": 500}},
        workloads=[{"id": "w", "gb_per_mwh": 40, "migration_overhead": 0.1}],
        demand=[{"node": "s", "workload": "w", "mw": 10}],
        prices={"egress_usd_per_gb": egress, "migration_usd_per_mwh": 2},
        objective={"carbon_price_usd_per_t": tau})


# τ = 50: home unit = 1.2·(50 + 50·0.8) = 1.2·90 = 108
#         away unit = 1.1·1.1·(70 + 50·0.1) = 1.21·75 = 90.75
#         gross = 108 − 90.75 = 17.25; transfer = 40·0.05 + 2 = 4; net = 13.25
#         e* = (17.25 − 2)/40 = 0.38125 $/GB; g* = (17.25 − 2)/0.05 = 305 GB/MWh
#         energy gap = 1.2·50 − 1.21·70 = 60 − 84.7 = −24.7 $/MWh
#         carbon gap = (1.2·800 − 1.21·100)/1000 = 0.839 t/MWh
#         τ* = (4 + 24.7)/0.839 = 34.20738... $/t
E_STAR, G_STAR, TAU_STAR = 0.38125, 305.0, 28.7 / 0.839


def test_break_even_columns_by_hand(tiny_scenario):
    inp = model_inputs(parse_scenario(_break_even_case(tiny_scenario)))
    df = break_even(inp, "w").set_index(["service", "compute"])
    assert len(df) == 4 * 3  # every ordered pair s ≠ r
    row = df.loc[("s", "r")]
    assert_allclose(row["gross_benefit_usd_per_mwh"], 17.25, rtol=1e-12)
    assert_allclose(row["transfer_usd_per_mwh"], 4.0, rtol=1e-12)
    assert_allclose(row["net_benefit_usd_per_mwh"], 13.25, rtol=1e-12)
    assert_allclose(row["break_even_egress_usd_per_gb"], E_STAR, rtol=1e-12)
    assert_allclose(row["break_even_gb_per_mwh"], G_STAR, rtol=1e-12)
    assert_allclose(row["break_even_carbon_price_usd_per_t"], TAU_STAR, rtol=1e-12)
    assert bool(row["allowed"]) and row["reason"] == "allowed"
    assert df.loc[("s", "far"), "reason"] == "latency" and not df.loc[("s", "far"), "allowed"]
    assert df.loc[("s", "zero"), "reason"] == "no capacity"


@pytest.mark.parametrize("change,moves", [
    ({"prices.egress_usd_per_gb": E_STAR - 1e-3}, True),
    ({"prices.egress_usd_per_gb": E_STAR + 1e-3}, False),
    ({"workloads.w.gb_per_mwh": G_STAR + 1.0}, False),
    ({"objective.carbon_price_usd_per_t": TAU_STAR + 0.01}, True),
    ({"objective.carbon_price_usd_per_t": TAU_STAR - 0.01}, False),
])
def test_break_even_values_are_where_the_lp_flips(tiny_scenario, change, moves):
    sc = update_scenario(parse_scenario(_break_even_case(tiny_scenario)), change)
    sol = solve_scenario(sc)
    assert_allclose(sol.x_mw[0, 1, 0], 10.0 if moves else 0.0, atol=1e-6)


# --- friction waterfall -------------------------------------------------------------------------

def _waterfall_case(tiny_scenario, **overrides):
    # a: EU $100 cap 100; b: EU $60 cap 4; c: no zone, $50. rtt a–b 10, a–c 20, b–c 20; budget 50.
    # 10 MW of a residency-bound class at a: σ = 0.3, g = 50, ω = 0.1; e = 0.2, φ = 2; H = 10.
    return tiny_scenario(
        nodes=[{"id": "a", "residency_zone": "EU", "capacity_mw": 100},
               {"id": "b", "residency_zone": "EU", "price_usd_per_mwh": 60, "capacity_mw": 4},
               {"id": "c", "price_usd_per_mwh": 50}],
        rtt_ms={"a": {"b": 10, "c": 20}, "b": {"c": 20}},
        workloads=[{"id": "w", "state_pinned_share": 0.3, "gb_per_mwh": 50, "migration_overhead": 0.1,
                    "residency_bound": True}],
        demand=[{"node": "a", "workload": "w", "mw": 10}],
        prices={"egress_usd_per_gb": 0.2, "migration_usd_per_mwh": 2}, **overrides)


def test_friction_waterfall_by_hand(tiny_scenario):
    sc = parse_scenario(_waterfall_case(tiny_scenario))
    df = friction_waterfall(PlacementModel.for_scenario(sc), model_inputs(sc))
    # local baseline: 10 MW at a, 10·10·100 = 10000 $ at every step.
    # none:            c at 50, all 10 MW:                 10·10·(100 − 50)            = 5000
    # + egress:        c at 50 + 10 = 60:                  10·10·40                    = 4000
    # + migration:     c at 1.1·50 + 12 = 67:              10·10·33                    = 3300
    # + state locality: only 7 MW may leave:               10·7·33                     = 2310
    # + legal:         c (no zone) forbidden, b 1.1·60+12 = 78: 10·7·22                = 1540
    # + capacity:      b holds 4 MW:                       10·4·22                     = 880
    assert df["frictions_on"].iloc[0] == "none"
    assert df["frictions_on"].iloc[-1] == "egress,migration,state_locality,legal,capacity"
    assert_allclose(df["savings_usd"], [5000, 4000, 3300, 2310, 1540, 880], rtol=1e-7)
    assert_allclose(df["change_usd"], [5000, -1000, -700, -990, -770, -660], rtol=1e-7)
    assert_allclose(df["relocated_share"], [1, 1, 1, 0.7, 0.7, 0.4], atol=1e-7)


def test_friction_waterfall_ends_match_direct_solves(tiny_scenario, random_scenario):
    for d in (_waterfall_case(tiny_scenario), random_scenario(3), random_scenario(11)):
        sc = parse_scenario(d)
        df = friction_waterfall(PlacementModel.for_scenario(sc), model_inputs(sc))
        for row, on in ((0, False), (-1, True)):
            sc_f = update_scenario(sc, {f"frictions.{f}": on for f in
                                        ("egress", "migration", "state_locality", "legal", "capacity")})
            sol, local = solve_scenario(sc_f), solve_scenario(with_budgets_ms(sc_f, 0))
            scale = max(1.0, local.cost_usd)
            assert_allclose(df["savings_usd"].iloc[row], local.cost_usd - sol.cost_usd, rtol=1e-6, atol=1e-7 * scale)


# --- break-even edge cases through break_even (g = 0, e = 0, no carbon gap) ------------------------

def _pair(tiny_scenario, **kw):
    sc = parse_scenario(tiny_scenario(**kw))
    inp = model_inputs(sc)
    return sc, break_even(inp, "w").set_index(["service", "compute"])


def test_break_even_without_data_egress_price_is_infinite(tiny_scenario):
    # g = 0: no egress price makes relocation stop. home $100, 500 g/kWh; away $50, 100 g/kWh; φ = 2.
    # gross (τ = 0) = 100 − 50 = 50; transfer = 0·e + 2 = 2; net 48; g* = (50 − 2)/0.02 = 2400 GB/MWh;
    # carbon gap = (500 − 100)/1000 = 0.4 t/MWh; τ* = (2 − 50)/0.4 = −120 $/t (pays at any τ ≥ 0).
    # Reverse (away → home): gross = 50 − 100 = −50, τ* = (2 + 50)/(−0.4) = −130 $/t, e* = inf too.
    kw = dict(nodes=[{"id": "home", "carbon_marginal_g_per_kwh": 500},
                     {"id": "away", "price_usd_per_mwh": 50, "carbon_marginal_g_per_kwh": 100}],
              workloads=[{"id": "w", "gb_per_mwh": 0}], prices={"migration_usd_per_mwh": 2})
    sc, df = _pair(tiny_scenario, **kw)
    row = df.loc[("home", "away")]
    assert row["break_even_egress_usd_per_gb"] == np.inf and df.loc[("away", "home"), "break_even_egress_usd_per_gb"] == np.inf
    assert_allclose([row["gross_benefit_usd_per_mwh"], row["transfer_usd_per_mwh"], row["net_benefit_usd_per_mwh"]],
                    [50, 2, 48], rtol=1e-12)
    assert_allclose(row["break_even_gb_per_mwh"], 2400, rtol=1e-12)
    assert_allclose(row["break_even_carbon_price_usd_per_t"], -120, rtol=1e-12)
    assert_allclose(df.loc[("away", "home"), "break_even_carbon_price_usd_per_t"], -130, rtol=1e-12)
    # and the LP agrees: at an absurd egress price the 10 MW still move (no data to pay for)
    sol = solve_scenario(update_scenario(sc, {"prices.egress_usd_per_gb": 1e4}))
    assert_allclose(sol.x_mw[0, 1, 0], 10.0, atol=1e-6)


def test_break_even_with_free_egress_data_intensity_is_infinite(tiny_scenario):
    # e = 0: no data intensity makes relocation stop. g = 40, φ = 2, gross = 50:
    # e* = (50 − 2)/40 = 1.2 $/GB; g* = inf (every pair); no carbon anywhere → τ* nan.
    kw = dict(workloads=[{"id": "w", "gb_per_mwh": 40}],
              prices={"egress_usd_per_gb": 0.0, "migration_usd_per_mwh": 2})
    sc, df = _pair(tiny_scenario, **kw)
    assert (df["break_even_gb_per_mwh"] == np.inf).all()
    row = df.loc[("home", "away")]
    assert_allclose([row["net_benefit_usd_per_mwh"], row["break_even_egress_usd_per_gb"]], [48, 1.2], rtol=1e-12)
    assert np.isnan(row["break_even_carbon_price_usd_per_t"])
    # the LP: with free egress even 10^6 GB/MWh move
    sol = solve_scenario(update_scenario(sc, {"workloads.w.gb_per_mwh": 1e6}))
    assert_allclose(sol.x_mw[0, 1, 0], 10.0, atol=1e-6)


@pytest.mark.parametrize("kw", [
    # the same intensity and PUE at both ends
    dict(nodes=[{"id": "home", "carbon_marginal_g_per_kwh": 300}, {"id": "away", "price_usd_per_mwh": 50,
                                                                   "carbon_marginal_g_per_kwh": 300}]),
    # different PUE and overhead that cancel: home 1.2·500 = away 1.0·(1 + 0.2)·500 = 600 kg/MWh
    dict(nodes=[{"id": "home", "pue": 1.2, "carbon_marginal_g_per_kwh": 500},
                {"id": "away", "price_usd_per_mwh": 50, "carbon_marginal_g_per_kwh": 500}],
         workloads=[{"id": "w", "migration_overhead": 0.2}]),
])
def test_break_even_without_a_carbon_gap_has_no_carbon_price(tiny_scenario, kw):
    # carbon gap (PUE_s·c_s − PUE_r(1+ω)·c_r)/1000 = 0 for home → away: no τ changes it → nan
    # (in the second case the reverse pair has a gap: 1.0·0.5 − 1.2·1.2·0.5 = −0.22 t/MWh)
    sc, df = _pair(tiny_scenario, objective={"carbon_price_usd_per_t": 40}, **kw)
    assert np.isnan(df.loc[("home", "away"), "break_even_carbon_price_usd_per_t"])
    assert np.isnan(df.loc[("away", "home"), "break_even_carbon_price_usd_per_t"]) == ("workloads" not in kw)
    # the net benefit is then the energy gap alone, at any τ: first case 100 − 50 = 50;
    # second 1.2·100 − 1.2·50 = 60 $/MWh (g = 0, φ = 0)
    expected = 50.0 if "workloads" not in kw else 60.0
    assert_allclose(df.loc[("home", "away"), "net_benefit_usd_per_mwh"], expected, rtol=1e-12)
    low, high = (solve_scenario(update_scenario(sc, {"objective.carbon_price_usd_per_t": tau})) for tau in (0.0, 1e4))
    assert_allclose(low.x_mw, high.x_mw, atol=1e-6)


@pytest.mark.parametrize("seed", [3, 11, 21])
def test_friction_waterfall_on_one_warm_engine_matches_fresh_solves(random_scenario, seed):
    """The waterfall re-solves one warm engine in an order of its own; every step must still be the
    optimum of that step's frictions, as fresh engines solve it."""
    sc = parse_scenario(random_scenario(seed))
    inp = model_inputs(sc)
    warm = make_engine("highs", sc.node_ids, sc.workload_ids)
    warm.solve(inp)
    df = friction_waterfall(warm, inp)
    on = dict.fromkeys(FRICTIONS, False)
    for row, friction in zip(df.itertuples(), (None,) + WATERFALL_ORDER):
        if friction:
            on[friction] = True
        step = inp.with_frictions(**on)
        sol = make_engine("highs", sc.node_ids, sc.workload_ids).solve(step)
        local = make_engine("highs", sc.node_ids, sc.workload_ids).solve(local_inputs(step))
        scale = max(1.0, local.cost_usd)
        assert_allclose(row.savings_usd, local.cost_usd - sol.cost_usd, rtol=1e-9, atol=1e-9 * scale)
        assert_allclose(row.unserved_mw, sol.unserved_mw, atol=1e-7)
