"""The min-cost-flow fast path (core.network) reaches the optimum of the CVXPY model of record.

Tolerance (core.network's module doc): |objective − LP optimum| ≤ ``objective_error_bound_usd``
(integer scaling for OR-Tools), plus HiGHS's own 1e-7 relative on the model's side. Placements
may differ where optima tie (MODEL.md allows ties), so tests compare objectives and check each
placement's feasibility from the scenario, not arc by arc.
"""
from dataclasses import replace

import numpy as np
import pytest
from numpy.testing import assert_allclose

from core.frontier import frontier
from core.inputs import feasibility_mask, model_inputs, unit_objective_usd_per_mwh
from core.model import PlacementModel
from core.engines import NetworkEngine
from core.network import (FLOW_BITS, _build, _solve, objective_error_bound_usd,
                          relocated_unit_usd_per_mwh, solve_network)
from core.scenario import parse_scenario

HIGHS_RTOL = 1e-7


def _tolerance(inp, objective: float) -> float:
    return objective_error_bound_usd(inp) + HIGHS_RTOL * max(abs(objective), 1.0)


def _both(d: dict):
    inp = model_inputs(parse_scenario(d))
    return inp, solve_network(inp), PlacementModel(inp.node_ids, inp.workload_ids).solve(inp)


def _stressed(d: dict) -> dict:
    """Every friction on, state locality pinning every class, capacity at 60 % of demand spread
    over the nodes (so it binds and some demand is unserved), unserved at 300 $/MWh."""
    d = dict(d, frictions={f: True for f in ("egress", "migration", "state_locality", "legal", "capacity")})
    d["workloads"] = [dict(w, state_pinned_share=max(w["state_pinned_share"], 0.3)) for w in d["workloads"]]
    total = sum(e["mw"] for e in d["demand"])
    d["nodes"] = [dict(n, capacity_mw=0.0 if n["capacity_mw"] == 0 else 0.6 * total / len(d["nodes"]))
                  for n in d["nodes"]]
    d["prices"] = dict(d["prices"], unserved_usd_per_mwh=300.0)
    return d


def assert_feasible(sol, inp):
    """Demand balance (to one flow unit per (s, k)), capacity, mask, state locality, signs."""
    x, u, demand = sol.x_mw, sol.unserved_by_demand_mw, inp.demand_mw
    unit = demand.sum() / 2.0 ** FLOW_BITS
    assert (x >= 0).all() and (u >= 0).all()
    assert_allclose(x.sum(axis=1) + u, demand, rtol=0, atol=2 * unit + 1e-12)
    assert not x[~feasibility_mask(inp)].any()
    if inp.friction("capacity"):
        assert (x.sum(axis=(0, 2)) <= inp.capacity_mw + 1e-12).all()
    if inp.friction("state_locality"):
        home = np.einsum("ssk->sk", x)
        assert (home + u >= demand * inp.pinned_share[None, :] - 2 * unit - 1e-12).all()


@pytest.mark.parametrize("seed", range(30))
def test_network_objective_equals_model(random_scenario, seed):
    inp, net, model = _both(random_scenario(seed, max_nodes=12, max_workloads=3))
    assert abs(net.objective_usd - model.objective_usd) <= _tolerance(inp, model.objective_usd)
    assert_feasible(net, inp)


def test_network_equals_model_with_binding_capacity_pinning_and_unserved(random_scenario):
    regimes = {"capacity binds": 0, "unserved": 0, "pinned binds": 0}
    for seed in range(12):
        inp, net, model = _both(_stressed(random_scenario(seed, max_nodes=12, max_workloads=3)))
        assert abs(net.objective_usd - model.objective_usd) <= _tolerance(inp, model.objective_usd)
        assert_feasible(net, inp)
        load = net.x_mw.sum(axis=(0, 2))
        regimes["capacity binds"] += bool((np.isclose(load, inp.capacity_mw, rtol=1e-6) & (inp.capacity_mw > 0)).any())
        regimes["unserved"] += net.unserved_mw > 1e-6
        pinned = inp.demand_mw * inp.pinned_share[None, :]
        regimes["pinned binds"] += bool(np.isclose(np.einsum("ssk->sk", net.x_mw) + net.unserved_by_demand_mw,
                                                   pinned, rtol=1e-6)[pinned > 0].any())
    assert min(regimes.values()) >= 3, regimes  # each regime is really exercised


def test_network_on_a_hand_worked_case(tiny_scenario):
    # 10 MW at home ($100/MWh) may run away ($50/MWh, 20 ms ≤ 50 ms, no transfer cost): all moves
    sol = solve_network(model_inputs(parse_scenario(tiny_scenario())))
    assert_allclose(sol.x_mw[0, 1, 0], 10.0, rtol=1e-9)
    assert_allclose(sol.objective_usd, 10.0 * 10.0 * 50.0, rtol=1e-9)
    assert sol.solver == "ortools-mcf" and sol.status == "optimal"


def test_network_duals_are_not_given(tiny_scenario):
    sol = solve_network(model_inputs(parse_scenario(tiny_scenario())))
    assert np.isnan(sol.demand_dual_usd_per_mwh).all() and np.isnan(sol.capacity_dual_usd_per_mwh).all()


def test_network_without_demand(tiny_scenario):
    sol = solve_network(model_inputs(parse_scenario(tiny_scenario(demand=[]))))
    assert sol.objective_usd == 0.0 and not sol.x_mw.any()


def test_error_bound_is_small(random_scenario):
    for seed in range(10):
        inp = model_inputs(parse_scenario(random_scenario(seed, max_nodes=12)))
        sol = solve_network(inp)
        if sol.objective_usd > 0:
            assert objective_error_bound_usd(inp) <= 1e-5 * sol.objective_usd


def _frontier_case(random_scenario, seed):
    d = random_scenario(seed, max_nodes=10, max_workloads=3)
    d["objective"] = dict(d["objective"], carbon_price_usd_per_t=0.0)  # cost = objective − H·V·Σu
    inp = model_inputs(parse_scenario(d))
    return inp, PlacementModel(inp.node_ids, inp.workload_ids)


def frontier_network(inp, budgets=None, workload=None):
    """The one frontier sweep with the network engine behind it."""
    return frontier(NetworkEngine(inp.node_ids, inp.workload_ids), inp, budgets, workload)


def _assert_frontiers_equal(net, ref, inp):
    assert list(net.columns) == list(ref.columns)
    assert_allclose(net["budget_ms"], ref["budget_ms"])
    assert_allclose(net["rid"], ref["rid"])
    scale = max(float(ref["objective_usd"].abs().max()), 1.0)
    tol = objective_error_bound_usd(inp) + HIGHS_RTOL * scale
    for col in ("objective_usd", "cost_usd", "savings_usd"):
        assert np.abs(net[col] - ref[col]).max() <= 2 * tol, col
    assert_allclose(net["unserved_mw"], ref["unserved_mw"], atol=1e-6 * max(inp.demand_mw.sum(), 1.0))


@pytest.mark.parametrize("seed", range(12))
def test_frontier_network_equals_frontier_at_budgets(random_scenario, seed):
    inp, model = _frontier_case(random_scenario, seed)
    budgets = [0, 5, 10, 20, 30, 50, 75, 100, 200, 1000]
    _assert_frontiers_equal(frontier_network(inp, budgets), frontier(model, inp, budgets), inp)


@pytest.mark.parametrize("seed", range(6))
def test_exact_frontier_network_equals_exact_frontier(random_scenario, seed):
    inp, model = _frontier_case(random_scenario, seed)
    _assert_frontiers_equal(frontier_network(inp), frontier(model, inp), inp)


@pytest.mark.parametrize("seed", range(4))
def test_per_class_frontier_network_equals_frontier(random_scenario, seed):
    inp, model = _frontier_case(random_scenario, seed)
    workload = inp.workload_ids[-1]
    _assert_frontiers_equal(frontier_network(inp, None, workload), frontier(model, inp, None, workload), inp)


def test_frontier_network_reuses_a_placement_only_when_no_arc_is_admitted(random_scenario):
    inp, _ = _frontier_case(random_scenario, 3)
    df = frontier_network(inp, [0, 1000, 1001, 1002])
    assert df["solved"].tolist()[2:] == [False, False]  # beyond every rtt: the same LP
    assert df["objective_usd"].iloc[3] == df["objective_usd"].iloc[1]


def test_network_on_the_default_scenario():
    from core.scenario import default_scenario

    inp = model_inputs(default_scenario())
    model = PlacementModel(inp.node_ids, inp.workload_ids)
    for budget in (0.0, 25.0, 100.0):
        b_inp = replace(inp, budget_ms=np.full(inp.n_workloads, budget))
        net, ref = solve_network(b_inp), model.solve(b_inp)
        assert abs(net.objective_usd - ref.objective_usd) <= _tolerance(b_inp, ref.objective_usd)
        assert_feasible(net, b_inp)


def _hub_case(d: dict, budget_ms: float | None):
    if budget_ms is not None:
        d["workloads"] = [dict(w, latency_budget_ms=budget_ms) for w in d["workloads"]]
    inp = model_inputs(parse_scenario(d))
    unit = unit_objective_usd_per_mwh(inp)
    return inp, unit, relocated_unit_usd_per_mwh(unit)


def test_hubs_give_the_same_optimum_as_direct_arcs(random_scenario):
    hubs_seen = 0
    for seed in range(16):
        for budget in (None, 60.0, 1000.0):
            inp, unit, rel = _hub_case(random_scenario(seed, max_nodes=12, max_workloads=3), budget)
            assert rel is not None  # MODEL.md: the relocated unit cost does not depend on s
            mask = feasibility_mask(inp)
            if inp.demand_mw.sum() == 0:
                continue
            hub_net = _build(inp, mask, unit, rel)
            hubs_seen += hub_net.hub_in_arcs.size > 0
            with_hubs, direct = _solve(inp, hub_net), _solve(inp, _build(inp, mask, unit, None))
            assert abs(with_hubs.objective_usd - direct.objective_usd) <= 2 * _tolerance(inp, direct.objective_usd)
            assert_feasible(with_hubs, inp)
    assert hubs_seen >= 10


def test_no_hubs_when_the_relocated_cost_depends_on_the_service_node(random_scenario):
    inp, unit, _ = _hub_case(random_scenario(1, max_nodes=6), 1000.0)
    unit = unit.copy()
    unit[0, 1, 0] += 1.0
    assert relocated_unit_usd_per_mwh(unit) is None
