"""The incremental sweep and the column-generation HiGHS engine against independent references.

* Warm sequences: one engine instance of each kind solves a chain of scenarios that change demand,
  capacity, pinned shares, prices and frictions; each optimum is the independent linprog one
  (tests/test_invariants.py ``Reference``, which shares no code with core/).
* Duals: the HiGHS duals that decide which frontier points are skipped are dual feasible and
  complementary to the placement, for every arc the mask admits (not only the columns in the LP).
* The exact frontier of medium scenarios: every breakpoint present (recomputed from the rtt
  matrix here), and at sampled breakpoints each point's objective equals a solve from scratch.
"""
import copy

import numpy as np
import pytest
from numpy.testing import assert_allclose

from bench.scenarios import generated_scenario
from conftest import build_provider_scenario, build_random_scenario
from core.arcs import sorted_candidates
from core.engines import ENGINES, make_engine
from core.frontier import budget_vector_ms, frontier, swept_classes
from core.highs_lp import HighsLP
from core.inputs import (feasibility_mask, home_unit_objective_usd_per_mwh, model_inputs,
                         unit_objective_usd_per_mwh)
from core.scenario import parse_scenario
from test_invariants import Reference

RTOL = 1e-6


def _chain(d: dict) -> list[dict]:
    """``d`` and six scenarios after it, each one change on top of the last: demand ×1.7 at one
    node, every capacity halved, pinned shares raised, prices shuffled, two frictions flipped,
    every budget raised by 80 ms."""
    out = [copy.deepcopy(d)]
    cur = copy.deepcopy(d)
    first = cur["demand"][0]["node"]
    for e in cur["demand"]:
        if e["node"] == first:
            e["mw"] *= 1.7
    out.append(copy.deepcopy(cur))
    for n in cur["nodes"]:
        n["capacity_mw"] *= 0.5
    cur["frictions"]["capacity"] = True
    out.append(copy.deepcopy(cur))
    for w in cur["workloads"]:
        w["state_pinned_share"] = min(1.0, w["state_pinned_share"] + 0.3)
    cur["frictions"]["state_locality"] = True
    out.append(copy.deepcopy(cur))
    prices = [n["price_usd_per_mwh"] for n in cur["nodes"]]
    for n, p in zip(cur["nodes"], prices[::-1]):
        n["price_usd_per_mwh"] = p
    out.append(copy.deepcopy(cur))
    cur["frictions"]["egress"] = not cur["frictions"]["egress"]
    cur["frictions"]["legal"] = not cur["frictions"]["legal"]
    out.append(copy.deepcopy(cur))
    for w in cur["workloads"]:
        w["latency_budget_ms"] += 80.0
    out.append(copy.deepcopy(cur))
    return out


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("engine", ENGINES)
def test_warm_sequences_reach_the_independent_optimum(engine, seed):
    base = build_provider_scenario(seed) if seed % 2 else build_random_scenario(seed)
    chain = _chain(base)
    inputs = [model_inputs(parse_scenario(d)) for d in chain]
    warm = make_engine(engine, inputs[0].node_ids, inputs[0].workload_ids)
    for i, (d, inp) in enumerate(zip(chain, inputs)):
        want = Reference(d).linprog_objective_usd()
        assert_allclose(warm.solve(inp).objective_usd, want, rtol=RTOL, atol=1e-6, err_msg=f"step {i}")
    # and back to the start: columns added for later steps must not change the first optimum
    assert_allclose(warm.solve(inputs[0]).objective_usd, Reference(chain[0]).linprog_objective_usd(),
                    rtol=RTOL, atol=1e-6)


def _check_duals(inp, sol, tol_usd_per_mwh: float) -> int:
    """Dual feasibility and complementary slackness of (x, y, π) over every admitted relocated arc
    (reduced cost ``unit − y + π``: ≥ 0 at x = 0, ≤ 0 at x = D, 0 between), π ≥ 0 and zero where
    capacity is slack; returns the number of admitted arcs checked."""
    n, k = inp.n_nodes, inp.n_workloads
    unit = unit_objective_usd_per_mwh(inp)
    y, pi = sol.demand_dual_usd_per_mwh, sol.capacity_dual_usd_per_mwh
    reduced = unit - y[:, None, :] + pi[None, :, None]
    admitted = feasibility_mask(inp) & (inp.demand_mw > 0)[:, None, :]
    admitted[np.arange(n), np.arange(n), :] = False
    x, d = sol.x_mw, np.broadcast_to(inp.demand_mw[:, None, :], (n, n, k))
    eps = 1e-7 * max(1.0, float(inp.demand_mw.sum()))
    at_zero, at_top = admitted & (x <= eps), admitted & (x >= d - eps)
    between = admitted & ~at_zero & ~at_top
    assert (reduced[at_zero & ~at_top] >= -tol_usd_per_mwh).all()
    assert (reduced[at_top & ~at_zero] <= tol_usd_per_mwh).all()
    assert (np.abs(reduced[between]) <= tol_usd_per_mwh).all()
    assert (pi >= -tol_usd_per_mwh).all()
    if inp.friction("capacity"):
        slack = inp.capacity_mw - x.sum(axis=(0, 2))
        assert (pi[slack > eps] <= tol_usd_per_mwh).all()
    return int(admitted.sum())


@pytest.mark.parametrize("seed", range(10))
def test_highs_duals_are_feasible_and_complementary(seed):
    d = build_provider_scenario(seed, max_nodes=10) if seed % 2 else build_random_scenario(seed, max_nodes=10)
    d["frictions"]["capacity"] = True
    inp = model_inputs(parse_scenario(d))
    lp = HighsLP.for_inputs(inp)
    checked = 0
    for b in (0.0, 40.0, 120.0, 1000.0):
        b_inp = inp.__class__(**{**inp.__dict__, "budget_ms": np.full(inp.n_workloads, b)})
        sol = lp.solve(b_inp)
        scale = max(1.0, float(np.abs(unit_objective_usd_per_mwh(b_inp)).max()), b_inp.unserved_usd_per_mwh)
        checked += _check_duals(b_inp, sol, 1e-6 * scale)
    assert checked > 0


def test_home_unit_objective_is_the_diagonal():
    inp = model_inputs(parse_scenario(build_random_scenario(5)))
    assert_allclose(home_unit_objective_usd_per_mwh(inp), np.einsum("ssk->sk", unit_objective_usd_per_mwh(inp)))


def _rtt_breakpoints(inp, workload=None) -> np.ndarray:
    """Breakpoints recomputed here: 0 and every rtt[s, r≠s] of an arc with D > 0, cap[r] > 0 and
    residency and provider allowing it (when on), over the swept classes."""
    n = inp.n_nodes
    values = {0.0}
    zone, prov = inp.residency_zone, inp.provider
    for s in range(n):
        for r in range(n):
            if r == s or inp.capacity_mw[r] <= 0:
                continue
            if inp.friction("provider_lock") and prov[s] is not None and prov[r] != prov[s]:
                continue
            for k, wid in enumerate(inp.workload_ids):
                if workload is not None and wid != workload or inp.demand_mw[s, k] <= 0:
                    continue
                if (inp.friction("legal") and inp.residency_bound[k] and zone[s] is not None
                        and zone[r] != zone[s]):
                    continue
                values.add(float(inp.rtt_ms[s, r]))
    return np.array(sorted(values))


@pytest.mark.parametrize("case", [
    dict(n=36, seed=1, state_locality=True),
    dict(n=40, seed=2, state_locality=False, frictions={"provider_lock": True}),
    dict(n=30, seed=3, state_locality=True, workload="chat"),
])
def test_exact_frontier_every_breakpoint_each_optimal(case):
    case = dict(case)
    workload = case.pop("workload", None)
    n, seed = case.pop("n"), case.pop("seed")
    sc = generated_scenario(n, seed, **case)
    if sc.frictions.provider_lock:
        d = sc.model_dump(mode="json")
        for i, node in enumerate(d["nodes"]):
            node["provider"] = ("aws", "azure", None)[i % 3]
        sc = parse_scenario(d)
    inp = model_inputs(sc)
    df = frontier(HighsLP.for_inputs(inp), inp, None, workload)
    assert_allclose(df["budget_ms"].to_numpy(), _rtt_breakpoints(inp, workload))
    assert (~df["solved"]).sum() > 0, "pricing should skip some breakpoints"
    rng = np.random.default_rng(seed)
    picks = np.unique(np.concatenate([rng.choice(len(df), 12, replace=False), [0, len(df) - 1],
                                      np.flatnonzero(~df["solved"].to_numpy())[:6]]))
    for i in picks:
        b = float(df["budget_ms"].iloc[i])
        b_inp = inp.__class__(**{**inp.__dict__, "budget_ms": budget_vector_ms(inp, b, workload)})
        fresh = HighsLP.for_inputs(inp).solve(b_inp)
        assert_allclose(df["objective_usd"].iloc[i], fresh.objective_usd, rtol=1e-7, err_msg=f"b={b}")
        assert_allclose(df["cost_usd"].iloc[i] - fresh.cost_usd, 0.0,
                        atol=1e-6 * max(1.0, abs(fresh.objective_usd)))
    # and two sampled points against the independent linprog (no code shared with core/)
    d = sc.to_dict()
    for i in picks[[0, len(picks) // 2]]:
        b = float(df["budget_ms"].iloc[i])
        d["workloads"] = [dict(w, latency_budget_ms=b if workload in (None, w["id"]) else w["latency_budget_ms"])
                          for w in d["workloads"]]
        assert_allclose(df["objective_usd"].iloc[i], Reference(d).linprog_objective_usd(), rtol=1e-6,
                        err_msg=f"linprog at b={b}")


def test_sorted_candidates_admit_exactly_the_mask():
    """For every budget, the prefix :meth:`SortedArcs.count` gives is the mask's relocated arcs."""
    inp = model_inputs(parse_scenario(build_provider_scenario(3, max_nodes=9)))
    for workload in (None, inp.workload_ids[0]):
        cands = sorted_candidates(inp, unit_objective_usd_per_mwh(inp), swept_classes(inp, workload))
        for b in (0.0, 7.0, 30.0, 95.0, 400.0, 1e6):
            b_inp = inp.__class__(**{**inp.__dict__, "budget_ms": budget_vector_ms(inp, b, workload)})
            mask = feasibility_mask(b_inp) & (inp.demand_mw > 0)[:, None, :]
            mask[np.arange(inp.n_nodes), np.arange(inp.n_nodes), :] = False
            got = np.sort(cands.prefix(cands.count(b)).flat)
            assert got.tolist() == np.flatnonzero(mask).tolist()


def test_the_lp_holds_only_what_priced_in():
    """At 60 nodes the exact frontier's LP keeps far fewer columns than the N²·K arcs."""
    inp = model_inputs(generated_scenario(60, 4))
    lp = HighsLP.for_inputs(inp)
    frontier(lp, inp, [0, 50, 200, 1000])
    assert lp.n_columns < 0.5 * inp.n_nodes ** 2 * inp.n_workloads


def test_a_solve_after_a_purge_runs_again(monkeypatch):
    """Dropping columns invalidates HiGHS's solution: the same inputs twice give the same optimum."""
    import core.highs_lp as highs_lp
    from core.scenario import default_scenario

    monkeypatch.setattr(highs_lp, "PURGE_ABOVE_ROWS", 0.0)   # purge after every solve
    inp = model_inputs(default_scenario())
    lp = HighsLP.for_inputs(inp)
    first, again = lp.solve(inp), lp.solve(inp)
    assert lp.n_columns < 2 * inp.n_nodes * inp.n_workloads + len(sorted_candidates(
        inp, unit_objective_usd_per_mwh(inp), swept_classes(inp)).arcs)
    assert_allclose(again.objective_usd, first.objective_usd, rtol=1e-9)
    assert_allclose(again.x_mw.sum(), first.x_mw.sum(), rtol=1e-9)


def test_progress_is_reported_in_order_up_to_the_end():
    inp = model_inputs(parse_scenario(build_random_scenario(2)))
    seen = []
    df = frontier(HighsLP.for_inputs(inp), inp, list(range(0, 300, 1)), progress=seen.append)
    assert seen[0] == 0.0 and seen == sorted(seen) and seen[-1] == 1.0 and len(seen) <= 102
    assert len(df) == 300


def test_a_failed_run_is_not_reused(monkeypatch):
    """After HiGHS fails once, the same inputs again are solved, not answered from the last duals."""
    from core.model import SolveError
    from core.scenario import default_scenario, update_scenario

    sc = default_scenario()
    inp = model_inputs(sc)
    lp = HighsLP.for_inputs(inp)
    lp.solve(inp)
    tight = model_inputs(update_scenario(sc, {f"nodes.{n}.capacity_mw": 0.3 * c for n, c in
                                              zip(sc.node_ids, inp.capacity_mw)}))
    real_run = HighsLP._run

    def failing(self):
        monkeypatch.setattr(HighsLP, "_run", real_run)
        raise SolveError("simulated")

    monkeypatch.setattr(HighsLP, "_run", failing)
    with pytest.raises(SolveError):
        lp.solve(tight)
    want = HighsLP.for_inputs(tight).solve(tight).objective_usd
    assert_allclose(lp.solve(tight).objective_usd, want, rtol=1e-9)
