"""The warm HiGHS fast path reaches the CVXPY model's optimum, solve after solve."""
from dataclasses import replace

import numpy as np
import pytest
from numpy.testing import assert_allclose

from core.frontier import frontier
from core.highs_lp import HighsLP
from core.inputs import model_inputs
from core.model import PlacementModel
from core.scenario import parse_scenario

SEEDS = range(12)


@pytest.mark.parametrize("seed", SEEDS)
def test_same_optimum_as_the_model_of_record(random_scenario, seed):
    inp = model_inputs(parse_scenario(random_scenario(seed)))
    a = PlacementModel(inp.node_ids, inp.workload_ids).solve(inp)
    b = HighsLP.for_inputs(inp).solve(inp)
    assert_allclose(b.objective_usd, a.objective_usd, rtol=1e-7, atol=1e-6)
    # the placement is feasible: every MW of demand is placed or unserved
    assert_allclose(b.x_mw.sum(axis=1) + b.unserved_by_demand_mw, inp.demand_mw, atol=1e-6)


@pytest.mark.parametrize("seed", SEEDS)
def test_warm_resolves_equal_fresh_solves(random_scenario, seed):
    """One instance re-solved over changed budgets, frictions and prices (the warm path) gives
    the optimum a fresh instance gives for each of them."""
    inp = model_inputs(parse_scenario(random_scenario(seed)))
    rng = np.random.default_rng(seed)
    warm = HighsLP.for_inputs(inp)
    for _ in range(6):
        step = replace(inp, budget_ms=rng.choice([0.0, 20.0, 80.0, 300.0], inp.n_workloads),
                       egress_usd_per_gb=float(rng.uniform(0, 0.2)),
                       carbon_price_usd_per_t=float(rng.uniform(0, 200)))
        step = step.with_frictions(**{f: bool(rng.random() < 0.5) for f in ("egress", "capacity", "state_locality", "legal")})
        fresh = HighsLP.for_inputs(step).solve(step)
        assert_allclose(warm.solve(step).objective_usd, fresh.objective_usd, rtol=1e-7, atol=1e-6)


def test_duals_price_out_like_the_model_of_record():
    """Two nodes, home $100/MWh and away $50/MWh + $2/MWh egress, away capacity 30 MW with 10 MW of
    its own demand: 20 MW move, away's capacity is worth 100 − 52 = $48/MWh, demand at home costs
    $100/MWh at the margin and at away 50 + 48 = $98/MWh."""
    sc = parse_scenario({
        "period_hours": 1,
        "nodes": [{"id": "a", "lat": 0, "lon": 0, "price_usd_per_mwh": 100, "carbon_avg_g_per_kwh": 0,
                   "carbon_marginal_g_per_kwh": 0, "pue": 1, "capacity_mw": 100},
                  {"id": "b", "lat": 0, "lon": 1, "price_usd_per_mwh": 50, "carbon_avg_g_per_kwh": 0,
                   "carbon_marginal_g_per_kwh": 0, "pue": 1, "capacity_mw": 30}],
        "workloads": [{"id": "w", "latency_budget_ms": 50, "gb_per_mwh": 100}],
        "demand": [{"node": "a", "workload": "w", "mw": 50}, {"node": "b", "workload": "w", "mw": 10}]})
    sol = HighsLP.for_inputs(model_inputs(sc)).solve(model_inputs(sc))
    assert_allclose(sol.x_mw[0, 1, 0], 20.0, atol=1e-9)
    assert_allclose(sol.capacity_dual_usd_per_mwh, [0.0, 48.0], atol=1e-9)
    assert_allclose(sol.demand_dual_usd_per_mwh[:, 0], [100.0, 98.0], atol=1e-9)


@pytest.mark.parametrize("seed", range(6))
def test_frontier_on_the_fast_path_equals_the_model_of_record(random_scenario, seed):
    inp = model_inputs(parse_scenario(random_scenario(seed)))
    fast = frontier(HighsLP.for_inputs(inp), inp)
    record = frontier(PlacementModel(inp.node_ids, inp.workload_ids), inp, exact_pricing=False)
    assert_allclose(fast["budget_ms"], record["budget_ms"])
    assert_allclose(fast["objective_usd"], record["objective_usd"], rtol=1e-7, atol=1e-6)
