"""The placement LP on tiny cases whose answers are worked out by hand in the comments.

Unless stated otherwise the tiny scenario has H = 10 h, PUE 1, no carbon, g = 0, φ = 0, σ = 0,
and 10 MW of demand at ``home`` ($100/MWh); ``away`` costs $50/MWh and is 20 ms away.
"""
from dataclasses import replace

import numpy as np
import pytest
from numpy.testing import assert_allclose

from core.analysis import Analysis
from core.inputs import model_inputs
from core.metrics import friction_waterfall
from core.model import PlacementModel, solve_scenario
from core.scenario import parse_scenario

RTOL = 1e-7   # relative tolerance on $ and t
ATOL_MW = 1e-6


def solve(d):
    sc = parse_scenario(d)
    sol = solve_scenario(sc)
    idx = {n: i for i, n in enumerate(sc.node_ids)}
    wdx = {w: i for i, w in enumerate(sc.workload_ids)}

    def x(s, r, k="w"):
        return sol.x_mw[idx[s], idx[r], wdx[k]]
    return sol, x


# --- (a) relocation starts at the break-even egress price -------------------------------------

@pytest.mark.parametrize("egress,moved", [(0.599, True), (0.601, False)])
def test_a_break_even_egress_price_flips_placement(tiny_scenario, egress, moved):
    # gross = PUE_s·p_s − PUE_r·(1+ω)·p_r = 1·100 − 1·1.1·60 = 34 $/MWh; φ = 4, g = 50 GB/MWh
    # e* = (gross − φ)/g = (34 − 4)/50 = 0.6 $/GB.
    d = tiny_scenario(
        nodes=[{"id": "home", "price_usd_per_mwh": 100}, {"id": "away", "price_usd_per_mwh": 60}],
        workloads=[{"id": "w", "gb_per_mwh": 50, "migration_overhead": 0.1}],
        prices={"egress_usd_per_gb": egress, "migration_usd_per_mwh": 4})
    sol, x = solve(d)
    if moved:
        # e = 0.599: away unit = 66 + 50·0.599 + 4 = 99.95 < 100 → all 10 MW move;
        # C = 10 h · 10 MW · 99.95 = 9995 $
        assert_allclose([x("home", "home"), x("home", "away")], [0.0, 10.0], atol=ATOL_MW)
        assert_allclose(sol.cost_usd, 9995.0, rtol=RTOL)
    else:
        # e = 0.601: away unit = 66 + 30.05 + 4 = 100.05 > 100 → all stay; C = 10·10·100
        assert_allclose([x("home", "home"), x("home", "away")], [10.0, 0.0], atol=ATOL_MW)
        assert_allclose(sol.cost_usd, 10000.0, rtol=RTOL)


# --- (b) the pinned share stays home ----------------------------------------------------------

@pytest.mark.parametrize("locality,home_mw", [(True, 3.0), (False, 0.0)])
def test_b_pinned_share_stays_home(tiny_scenario, locality, home_mw):
    # σ = 0.3: 0.3·10 = 3 MW at home ($100), 7 MW away ($50): C = 10·(3·100 + 7·50) = 6500 $.
    # state_locality off: all 10 MW away: C = 10·10·50 = 5000 $.
    d = tiny_scenario(workloads=[{"id": "w", "state_pinned_share": 0.3}],
                      frictions={"state_locality": locality})
    sol, x = solve(d)
    assert_allclose([x("home", "home"), x("home", "away")], [home_mw, 10.0 - home_mw], atol=ATOL_MW)
    assert_allclose(sol.cost_usd, 6500.0 if locality else 5000.0, rtol=RTOL)
    assert_allclose(sol.unserved_mw, 0.0, atol=ATOL_MW)


# --- (c) residency blocks a cheaper region -----------------------------------------------------

def _residency(legal: bool, tiny_scenario):
    # a: EU $100; b: EU $80, cap 3; c: US $50; n: no zone, $120. Every pair 10 ms, budget 50.
    nodes = [{"id": "a", "residency_zone": "EU", "price_usd_per_mwh": 100},
             {"id": "b", "residency_zone": "EU", "price_usd_per_mwh": 80, "capacity_mw": 3},
             {"id": "c", "residency_zone": "US", "price_usd_per_mwh": 50},
             {"id": "n", "residency_zone": None, "price_usd_per_mwh": 120}]
    ids = [n["id"] for n in nodes]
    rtt = {s: {r: 10.0 for r in ids if r != s} for s in ids}
    return tiny_scenario(
        nodes=nodes, rtt_ms=rtt, frictions={"legal": legal},
        workloads=[{"id": "bound", "residency_bound": True}, {"id": "free"}],
        demand=[{"node": "a", "workload": "bound", "mw": 10}, {"node": "a", "workload": "free", "mw": 5},
                {"node": "n", "workload": "bound", "mw": 4}])


def test_c_residency_blocks_cheaper_region(tiny_scenario):
    sol, x = solve(_residency(True, tiny_scenario))
    # bound work from EU node a: c (US) and n (no zone) are forbidden; b (EU) takes its 3 MW
    # capacity, the other 7 MW stay at a.
    assert_allclose([x("a", "a", "bound"), x("a", "b", "bound"), x("a", "c", "bound"), x("a", "n", "bound")],
                    [7.0, 3.0, 0.0, 0.0], atol=ATOL_MW)
    # work that is not residency_bound moves to the cheapest region c
    assert_allclose(x("a", "c", "free"), 5.0, atol=ATOL_MW)
    # bound work at a node without a zone can go anywhere: n → c (US)
    assert_allclose(x("n", "c", "bound"), 4.0, atol=ATOL_MW)
    # C = 10·(7·100 + 3·80 + 5·50 + 4·50) = 10·1390 = 13900 $
    assert_allclose(sol.cost_usd, 13900.0, rtol=RTOL)


def test_c_legal_friction_off_lets_bound_work_move(tiny_scenario):
    sol, x = solve(_residency(False, tiny_scenario))
    # everything to c ($50): C = 10·19·50 = 9500 $
    assert_allclose(x("a", "c", "bound"), 10.0, atol=ATOL_MW)
    assert_allclose(sol.cost_usd, 9500.0, rtol=RTOL)


# --- (d) capacity spills to the next region; shadow prices --------------------------------------

def _spill(tiny_scenario, demand_mw=10.0, cap_b=4.0):
    # home $100; b $50 with cap 4; c $70 (cap 1000); rtt home–b 10, home–c 20, b–c 10.
    return tiny_scenario(
        nodes=[{"id": "home", "price_usd_per_mwh": 100}, {"id": "b", "price_usd_per_mwh": 50, "capacity_mw": cap_b},
               {"id": "c", "price_usd_per_mwh": 70}],
        rtt_ms={"home": {"b": 10, "c": 20}, "b": {"c": 10}},
        demand=[{"node": "home", "workload": "w", "mw": demand_mw}])


def test_d_capacity_spills_and_shadow_prices(tiny_scenario):
    sol, x = solve(_spill(tiny_scenario))
    # b fills to 4 MW, the other 6 MW go to c: C = 10·(4·50 + 6·70) = 6200 $
    assert_allclose([x("home", "home"), x("home", "b"), x("home", "c")], [0.0, 4.0, 6.0], atol=ATOL_MW)
    assert_allclose(sol.cost_usd, 6200.0, rtol=RTOL)
    load = sol.load.set_index("node")
    # one more MW at b displaces one at c: (70 − 50) $/MWh · 10 h = 200 $/MW over the period
    assert_allclose(load.loc["b", "capacity_shadow_usd_per_mw"], 200.0, rtol=1e-6)
    assert_allclose(load.loc[["home", "c"], "capacity_shadow_usd_per_mw"], 0.0, atol=1e-6)
    # one more MW of demand at home runs at c: 70 $/MWh · 10 h = 700 $/MW
    dem = sol.demand.set_index("service")
    assert_allclose(dem.loc["home", "marginal_cost_usd_per_mw"], 700.0, rtol=1e-6)
    # and both duals agree with finite differences of the primal optimum
    more_cap, _ = solve(_spill(tiny_scenario, cap_b=5.0))
    more_dem, _ = solve(_spill(tiny_scenario, demand_mw=11.0))
    assert_allclose(sol.objective_usd - more_cap.objective_usd, 200.0, rtol=1e-6)
    assert_allclose(more_dem.objective_usd - sol.objective_usd, 700.0, rtol=1e-6)


# --- (e) a node without capacity: unserved demand and its penalty -------------------------------

def _no_capacity(tiny_scenario, budget=50.0, capacity=True):
    # home: cap 0, 5 MW demand; away: $40, 500 g/kWh marginal, 2 MW demand, rtt 100 ms.
    # τ = 20 $/t, V = 1000 $/MWh, H = 10 h.
    return tiny_scenario(
        nodes=[{"id": "home", "capacity_mw": 0}, {"id": "away", "price_usd_per_mwh": 40, "carbon_marginal_g_per_kwh": 500}],
        workloads=[{"id": "w", "latency_budget_ms": budget}],
        demand=[{"node": "home", "workload": "w", "mw": 5}, {"node": "away", "workload": "w", "mw": 2}],
        rtt_ms={"home": {"away": 100}}, frictions={"capacity": capacity},
        prices={"unserved_usd_per_mwh": 1000}, objective={"carbon_price_usd_per_t": 20})


@pytest.mark.parametrize("capacity", [True, False])
def test_e_zero_capacity_node_leaves_its_demand_unserved(tiny_scenario, capacity):
    sol, x = solve(_no_capacity(tiny_scenario, capacity=capacity))
    assert sol.status == "optimal"
    assert_allclose(x("home", "home"), 0.0, atol=ATOL_MW)
    assert_allclose(sol.unserved_mw, 5.0, rtol=RTOL)
    # C = 10·2·40 = 800 $; E = 10·2·500/1000 = 10 t; H·V·Σu = 10·1000·5 = 50000 $
    # objective = 800 + 20·10 + 50000 = 51000 $
    assert_allclose(sol.cost_usd, 800.0, rtol=RTOL)
    assert_allclose(sol.emissions_t, 10.0, rtol=RTOL)
    assert_allclose(sol.objective_usd, 51000.0, rtol=RTOL)
    # the marginal cost of demand at home is the penalty: 1000 $/MWh · 10 h
    dem = sol.demand.set_index("service")
    assert_allclose(dem.loc["home", "marginal_cost_usd_per_mw"], 10000.0, rtol=1e-6)


def test_e_budget_that_reaches_a_region_serves_it(tiny_scenario):
    sol, x = solve(_no_capacity(tiny_scenario, budget=100.0))
    # 7 MW at away: C = 10·7·40 = 2800; E = 10·7·0.5 = 35 t; objective = 2800 + 20·35 = 3500
    assert_allclose([x("home", "away"), sol.unserved_mw], [5.0, 0.0], atol=ATOL_MW)
    assert_allclose(sol.objective_usd, 3500.0, rtol=RTOL)


# --- (f) latency mask: rtt ≤ B --------------------------------------------------------------------

@pytest.mark.parametrize("budget,away_mw", [(19.999, 0.0), (20.0, 10.0), (20.001, 10.0)])
def test_f_latency_mask_is_inclusive(tiny_scenario, budget, away_mw):
    sol, x = solve(tiny_scenario(workloads=[{"id": "w", "latency_budget_ms": budget}]))  # rtt = 20 ms
    assert_allclose(x("home", "away"), away_mw, atol=ATOL_MW)
    assert_allclose(x("home", "home"), 10.0 - away_mw, atol=ATOL_MW)


def test_f_latency_mask_with_modelled_rtt(tiny_scenario):
    # no measured rtt: away at 1° of longitude on the equator, d = 6371·π/180 = 111.19 km
    # rtt = 5 + 2·111.19·1.5/200 = 6.668 ms
    d_km = 6371.0 * np.pi / 180
    rtt = 5 + 2 * d_km * 1.5 / 200
    for budget, away in [(rtt - 1e-6, 0.0), (rtt + 1e-6, 10.0)]:
        _, x = solve(tiny_scenario(rtt_ms={}, workloads=[{"id": "w", "latency_budget_ms": budget}]))
        assert_allclose(x("home", "away"), away, atol=ATOL_MW)


# --- (g) migration overhead and the carbon signal -------------------------------------------------

@pytest.mark.parametrize("migration", [True, False])
def test_g_migration_overhead_raises_facility_energy(tiny_scenario, migration):
    # away: $50, PUE 1.25, 400 g/kWh; ω = 0.2. Unit away = 1.25·1.2·50 = 75 < 100 → all moves.
    # facility = 10 MW · 1.25 · 1.2 = 15 MW: C = 10 h·15·50 = 7500 $, E = 10·15·0.4 = 60 t.
    # migration off: facility = 12.5 MW: C = 10·12.5·50 = 6250 $, E = 10·12.5·0.4 = 50 t.
    d = tiny_scenario(
        nodes=[{"id": "home"}, {"id": "away", "price_usd_per_mwh": 50, "pue": 1.25,
                                "carbon_avg_g_per_kwh": 400, "carbon_marginal_g_per_kwh": 400}],
        workloads=[{"id": "w", "migration_overhead": 0.2}], frictions={"migration": migration})
    sol, x = solve(d)
    assert_allclose(x("home", "away"), 10.0, atol=ATOL_MW)
    assert_allclose(sol.cost_usd, 7500.0 if migration else 6250.0, rtol=RTOL)
    assert_allclose([sol.emissions_avg_t, sol.emissions_marginal_t], [60.0, 60.0] if migration else [50.0, 50.0],
                    rtol=RTOL)


@pytest.mark.parametrize("signal,winner", [("average", "r1"), ("marginal", "r2")])
def test_g_carbon_signal_picks_the_region(tiny_scenario, signal, winner):
    # home $100, 500 g/kWh both; r1 $50, avg 100 / marginal 600; r2 $50, avg 600 / marginal 100.
    # τ = 100 $/t. Average: r1 50 + 100·0.1 = 60, r2 50 + 60 = 110, home 150 → r1.
    # Marginal: r1 50 + 60 = 110, r2 50 + 10 = 60 → r2.
    d = tiny_scenario(
        nodes=[{"id": "home", "carbon_avg_g_per_kwh": 500, "carbon_marginal_g_per_kwh": 500},
               {"id": "r1", "price_usd_per_mwh": 50, "carbon_avg_g_per_kwh": 100, "carbon_marginal_g_per_kwh": 600},
               {"id": "r2", "price_usd_per_mwh": 50, "carbon_avg_g_per_kwh": 600, "carbon_marginal_g_per_kwh": 100}],
        rtt_ms={"home": {"r1": 10, "r2": 10}, "r1": {"r2": 10}},
        objective={"carbon_signal": signal, "carbon_price_usd_per_t": 100})
    sol, x = solve(d)
    assert_allclose(x("home", winner), 10.0, atol=ATOL_MW)
    # winner's emissions: on its signal 10 h·10 MW·0.1 t/MWh = 10 t, on the other 60 t
    # objective = C + τ·E = 10·10·50 + 100·10 = 6000 $
    e_avg, e_marg = (10.0, 60.0) if winner == "r1" else (60.0, 10.0)
    assert_allclose([sol.emissions_avg_t, sol.emissions_marginal_t, sol.emissions_t], [e_avg, e_marg, 10.0], rtol=RTOL)
    assert_allclose([sol.cost_usd, sol.objective_usd], [5000.0, 6000.0], rtol=RTOL)


# --- (h) DPP: compiled once, re-solved with new parameter values ------------------------------------

def test_h_problem_is_dpp_and_not_rebuilt(tiny_scenario):
    sc = parse_scenario(tiny_scenario())
    model = PlacementModel.for_scenario(sc)
    assert model.problem.is_dpp() is True
    problem, pid = model.problem, id(model.problem)
    inp = model_inputs(sc)
    first = model.solve(inp)
    assert model.solves == 1
    # all 10 MW away: 10·10·50 = 5000 $
    assert_allclose(first.cost_usd, 5000.0, rtol=RTOL)
    # new values: budget 0 (all home, 10·10·100 = 10000 $), then 30 MW demand away at budget 50
    # with away's capacity 25 MW: 25 at away, 5 home: 10·(25·50 + 5·100) = 17500 $
    second = model.solve(replace(inp, budget_ms=np.zeros(1)))
    third = model.solve(replace(inp, demand_mw=inp.demand_mw * 3, capacity_mw=np.array([1000.0, 25.0])))
    assert model.problem is problem and id(model.problem) == pid
    assert model.solves == 3
    assert_allclose([second.cost_usd, third.cost_usd], [10000.0, 17500.0], rtol=RTOL)
    # the first solution's placement is not overwritten by later solves
    assert_allclose(first.x_mw[:, :, 0], [[0.0, 10.0], [0.0, 0.0]], atol=ATOL_MW)


# --- (i) home capacity below home demand: the waterfall's per-step local baseline ---------------

def _short_home(tiny_scenario):
    # home: $100, cap 6 MW, 10 MW of demand; away: $50, cap 5 MW, 20 ms. Carbon (avg / marginal):
    # home 400 / 600, away 100 / 300 g/kWh. g = 50 GB/MWh at e = 0.2 $/GB (10 $/MWh), ω = 0.1,
    # σ = 0.3, φ = 0, τ = 0, V = 1000 $/MWh, H = 10 h, budget 50 ms, no residency zones.
    return tiny_scenario(
        nodes=[{"id": "home", "capacity_mw": 6, "carbon_avg_g_per_kwh": 400, "carbon_marginal_g_per_kwh": 600},
               {"id": "away", "price_usd_per_mwh": 50, "capacity_mw": 5,
                "carbon_avg_g_per_kwh": 100, "carbon_marginal_g_per_kwh": 300}],
        workloads=[{"id": "w", "state_pinned_share": 0.3, "gb_per_mwh": 50, "migration_overhead": 0.1}],
        prices={"egress_usd_per_gb": 0.2, "unserved_usd_per_mwh": 1000})


def test_i_waterfall_local_baseline_follows_the_capacity_friction(tiny_scenario):
    """Each step's savings are against the local baseline solved with the same frictions.

    Local baseline (budget 0, home only):
      capacity off: 10 MW at home: C = 10 h·10·100 = 10000 $; E_avg = 10·10·0.4 = 40 t, E_marg = 60 t.
      capacity on:  6 MW at home, 4 MW unserved: C = 10·6·100 = 6000 $ (unserved is not a cost, it
                    is penalised in the objective: 6000 + 10·1000·4 = 46000 $); E_avg = 10·6·0.4 = 24 t,
                    E_marg = 10·6·0.6 = 36 t.
    Steps (away's unit cost; placement; C; E_avg; E_marg):
      none:        50;                 10 away, F = 10;          5000; 10;   30
      + egress:    50 + 10 = 60;       same;                      6000; 10;   30
      + migration: 1.1·50 + 10 = 65;   F = 11;                    6500; 11;   33
      + locality:  3 MW pinned home, 7 away (F = 7.7): C = 10·(300 + 455) = 7550;
                   E_avg = 10·(3·0.4 + 7.7·0.1) = 19.7; E_marg = 10·(3·0.6 + 7.7·0.3) = 41.1
      + legal:     no zones, unchanged
      + capacity:  away full at 5 MW, the other 5 at home (100 < V): C = 10·(5·100 + 5·65) = 8250;
                   E_avg = 10·(5·0.4 + 5.5·0.1) = 25.5; E_marg = 10·(5·0.6 + 5.5·0.3) = 46.5
    Savings (against the baseline of the same frictions: 10000 $ / 40 t / 60 t, and with capacity
    on 6000 $ / 24 t / 36 t):
      $: 5000, 4000, 3500, 2450, 2450, 6000 − 8250 = −2250 (against 10000 it would be +1750)
      t avg: 30, 30, 29, 20.3, 20.3, 24 − 25.5 = −1.5;  t marginal: 30, 30, 27, 18.9, 18.9, 36 − 46.5 = −10.5
      objective $ at the capacity step: 46000 − 8250 = 37750 (serving 4 MW more pays).
    """
    sc = parse_scenario(_short_home(tiny_scenario))
    df = friction_waterfall(PlacementModel.for_scenario(sc), model_inputs(sc))
    assert_allclose(df["savings_usd"], [5000, 4000, 3500, 2450, 2450, -2250], rtol=RTOL)
    assert_allclose(df["change_usd"], [5000, -1000, -500, -1050, 0, -4700], rtol=RTOL, atol=1e-6)
    assert_allclose(df["carbon_savings_avg_t"], [30, 30, 29, 20.3, 20.3, -1.5], rtol=RTOL)
    assert_allclose(df["carbon_savings_marginal_t"], [30, 30, 27, 18.9, 18.9, -10.5], rtol=RTOL)
    assert_allclose(df["carbon_savings_t"], df["carbon_savings_marginal_t"], rtol=0)   # the marginal signal
    assert_allclose(df["objective_savings_usd"].iloc[-1], 37750, rtol=RTOL)
    assert_allclose(df["relocated_share"], [1, 1, 1, 0.7, 0.7, 0.5], atol=ATOL_MW)
    assert_allclose(df["unserved_mw"], 0.0, atol=ATOL_MW)


def test_i_headline_against_a_baseline_with_unserved_demand(tiny_scenario):
    """All frictions on (the capacity step above): the explorer's headline numbers by hand.

    C = 8250 $, E_avg = 25.5 t, E_marg = 46.5 t, nothing unserved; local: C = 6000 $, 4 MW
    unserved. Savings −2250 $, carbon savings −1.5 t (avg) and −10.5 t (marginal). RID: home's
    unit objective 100 $/MWh, away's 65 within 20 ≤ 50 ms → all 10 MW relocatable: RID = 1;
    realized relocation 5/10 = 0.5.
    """
    sc = parse_scenario(_short_home(tiny_scenario))
    h = Analysis(sc).headline(model_inputs(sc))
    assert_allclose([h["cost_usd"], h["emissions_avg_t"], h["emissions_marginal_t"]], [8250, 25.5, 46.5], rtol=RTOL)
    assert_allclose([h["local_cost_usd"], h["local_unserved_mw"], h["unserved_mw"]], [6000, 4, 0], atol=ATOL_MW)
    assert_allclose([h["savings_usd"], h["carbon_savings_avg_t"], h["carbon_savings_marginal_t"]],
                    [-2250, -1.5, -10.5], rtol=RTOL)
    assert_allclose([h["rid"], h["relocated_share"]], [1.0, 0.5], atol=1e-9)


# --- cloud providers: the provider lock (docs/model.md, "Cloud providers") ----------------------

def _providers(tiny_scenario, lock: bool):
    """Three nodes: ``a`` (aws, $100/MWh, 10 MW of demand), ``b`` (azure, $40/MWh) and ``c`` (aws,
    $70/MWh); rtt a–b 10, a–c 20, b–c 15 ms (measured), budget 50 ms, H = 10 h, PUE 1, g = 0."""
    return parse_scenario(tiny_scenario(
        nodes=[{"id": "a", "provider": "aws", "price_usd_per_mwh": 100.0},
               {"id": "b", "provider": "azure", "price_usd_per_mwh": 40.0},
               {"id": "c", "provider": "aws", "price_usd_per_mwh": 70.0}],
        demand=[{"node": "a", "workload": "w", "mw": 10.0}],
        rtt_ms={"a": {"b": 10.0, "c": 20.0}, "b": {"c": 15.0}},
        frictions={"provider_lock": lock}))


@pytest.mark.parametrize("lock,cost,to", [(True, 7000.0, "c"), (False, 4000.0, "b")])
def test_j_provider_lock_refuses_the_cheap_region_of_another_provider(tiny_scenario, lock, cost, to):
    """Lock on: a (aws) may send work to c (aws) but not to b (azure), although b is cheapest
    (both within 20 ≤ 50 ms): all 10 MW run at c, C = 10 h · 10 MW · 70 = 7000 $. Lock off: all
    10 MW run at b, C = 10 · 10 · 40 = 4000 $. The local baseline is 10 · 10 · 100 = 10000 $,
    so the savings are 3000 $ and 6000 $. Every engine reaches the same optimum."""
    from core.highs_lp import HighsLP
    from core.network import objective_error_bound_usd, solve_network

    sc = _providers(tiny_scenario, lock)
    inp = model_inputs(sc)
    r = sc.node_ids.index(to)
    sol = solve_scenario(sc)                                           # the CVXPY model of record
    assert_allclose(sol.x_mw[0, r, 0], 10.0, atol=ATOL_MW)
    assert_allclose([sol.cost_usd, sol.objective_usd], [cost, cost], rtol=RTOL)
    assert_allclose(Analysis(sc).headline(inp)["savings_usd"], 10000.0 - cost, rtol=RTOL)
    highs = HighsLP.for_inputs(inp).solve(inp)
    assert_allclose(highs.objective_usd, cost, rtol=RTOL)
    assert_allclose(highs.x_mw[0, r, 0], 10.0, atol=ATOL_MW)
    net = solve_network(inp)
    assert abs(net.objective_usd - cost) <= objective_error_bound_usd(inp) + RTOL * cost
    assert_allclose(net.x_mw[0, r, 0], 10.0, rtol=1e-6)
    if lock:   # nothing at b, from any engine
        assert net.x_mw[0, 1, 0] == 0.0 and highs.x_mw[0, 1, 0] <= ATOL_MW and sol.x_mw[0, 1, 0] <= ATOL_MW


def test_j_provider_reasons_break_even_and_ranking(tiny_scenario):
    """Lock on, the reason of every pair s ≠ r: a→b, b→a, b→c, c→b cross providers ("provider");
    a→c and c→a stay within aws ("allowed"). Where to run from a: c at 70 $/MWh, then home at
    100; b is excluded by the lock. With the lock off every pair is allowed."""
    from core.metrics import break_even
    from core.recommend import run_here

    be = break_even(model_inputs(_providers(tiny_scenario, True)), "w")
    reasons = {(r.service, r.compute): r.reason for r in be.itertuples()}
    assert reasons == {("a", "b"): "provider", ("a", "c"): "allowed", ("b", "a"): "provider",
                       ("b", "c"): "provider", ("c", "a"): "allowed", ("c", "b"): "provider"}
    assert set(break_even(model_inputs(_providers(tiny_scenario, False)), "w")["reason"]) == {"allowed"}
    t = run_here(model_inputs(_providers(tiny_scenario, True)), "a", "w")
    assert list(t["compute"]) == ["c", "a", "b"] and list(t["reason"]) == ["allowed", "allowed", "provider"]
    assert_allclose(t["unit_objective_usd_per_mwh"].iloc[:2], [70.0, 100.0], rtol=RTOL)
    assert t["why"].iloc[2] == ("Excluded: the provider lock keeps this work with its cloud provider, aws, and "
                                "this region is with azure.")


def test_j_provider_lock_is_the_session_waterfalls_last_step(tiny_scenario):
    """The session waterfall (Analysis.waterfall) with every friction on: the potential is 6000 $
    (all 10 MW at b); egress (g = 0), migration (ω = φ = 0), state locality (σ = 0), legal (no
    zones) and capacity (1000 MW) take nothing; the provider lock, last, takes 3000 $ (the work
    goes to c): 3000 $. docs/model.md's full order (the CLI) never switches the lock on: 6000 $."""
    sc = _providers(tiny_scenario, True)
    inp = model_inputs(sc)
    wf = Analysis(sc).waterfall(inp)
    assert list(wf["step"]) == ["potential (no frictions)", "egress", "migration", "state_locality", "legal",
                                "capacity", "provider_lock"]
    assert_allclose(wf["savings_usd"], [6000, 6000, 6000, 6000, 6000, 6000, 3000], rtol=RTOL)
    assert_allclose(wf["change_usd"], [6000, 0, 0, 0, 0, 0, -3000], rtol=RTOL, atol=1e-6)
    full = friction_waterfall(PlacementModel.for_scenario(sc), inp)
    assert "provider_lock" not in full["frictions_on"].iloc[-1]
    assert_allclose(full["savings_usd"].iloc[-1], 6000, rtol=RTOL)
