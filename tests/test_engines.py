"""core.engines: the auto rule, one ``solve`` interface for every engine, and every engine through
the command line reaching the independent linprog optimum (tests/test_invariants.py ``Reference``).
"""
import json

import numpy as np
import pytest
from numpy.testing import assert_allclose

from conftest import build_random_scenario, build_tiny_scenario
from core.engines import CVXPY_MAX_ARCS, ENGINES, choose_engine, make_engine, resolve, solve_with
from core.inputs import model_inputs
from core.scenario import parse_scenario
from test_cli import run
from test_invariants import Reference

SEEDS = range(12)


def _inputs(n_nodes: int, n_workloads: int, state_locality: bool = False, capacity: bool = False):
    """n nodes (10 MW of each class at n0) and k classes, pinned share 0.5 on every class."""
    d = build_tiny_scenario(
        nodes=[{"id": f"n{i}", "lon": float(i)} for i in range(n_nodes)],
        workloads=[{"id": f"w{j}", "state_pinned_share": 0.5} for j in range(n_workloads)],
        demand=[{"node": "n0", "workload": f"w{j}", "mw": 10.0} for j in range(n_workloads)],
        rtt_ms={}, frictions={"state_locality": state_locality, "capacity": capacity})
    return model_inputs(parse_scenario(d))


def test_auto_small_solve_is_the_model_of_record_and_sweeps_are_highs():
    inp = _inputs(2, 1)                     # 2²·1 = 4 arcs
    assert choose_engine(inp, "solve") == "cvxpy"
    assert choose_engine(inp, "sweep") == "highs"


def test_auto_threshold_is_on_arcs():
    # 20²·50 = 20 000 = CVXPY_MAX_ARCS (still cvxpy); 20²·51 = 20 400 (highs)
    assert CVXPY_MAX_ARCS == 20_000
    assert choose_engine(_inputs(20, 50), "solve") == "cvxpy"
    assert choose_engine(_inputs(20, 51), "solve") == "highs"


@pytest.mark.parametrize("locality", [False, True])
@pytest.mark.parametrize("capacity", [False, True])
def test_auto_large_picks_highs_never_network(locality, capacity):
    # 64²·5 = 20 480 arcs > 20 000: large, with and without the side constraints
    inp = _inputs(64, 5, state_locality=locality, capacity=capacity)
    assert choose_engine(inp, "solve") == "highs"
    assert choose_engine(inp, "sweep") == "highs"


def test_resolve_keeps_an_explicit_engine_and_rejects_unknown_names():
    inp = _inputs(2, 1)
    assert [resolve(e, inp, "solve") for e in ENGINES] == list(ENGINES)
    assert resolve("auto", inp, "solve") == "cvxpy"
    with pytest.raises(ValueError, match="engine"):
        resolve("gurobi", inp, "solve")
    with pytest.raises(ValueError, match="task"):
        choose_engine(inp, "frontier")


@pytest.mark.parametrize("engine", ENGINES)
def test_every_engine_solves_the_tiny_case_by_hand(engine):
    """home $100, away $50 with 4 MW capacity, 10 MW at home, 10 h, τ = 0: 4 MW away and 6 home,
    objective = C = 10·(6·100 + 4·50) = 8000 $."""
    d = build_tiny_scenario(nodes=[{"id": "home"}, {"id": "away", "price_usd_per_mwh": 50, "capacity_mw": 4}])
    inp = model_inputs(parse_scenario(d))
    sol = solve_with(engine, inp)
    assert_allclose(sol.objective_usd, 8000.0, rtol=1e-7)
    assert_allclose(sol.x_mw[0, :, 0], [6.0, 4.0], atol=1e-6)


@pytest.mark.parametrize("seed", SEEDS)
def test_every_engine_matches_the_independent_linprog(seed):
    """Random scenarios (state locality, capacity, legal, … drawn on and off): every engine's
    objective is the linprog optimum within 1e-6 relative; the network path models state
    locality and capacity, so it is never refused."""
    d = build_random_scenario(seed)
    want = Reference(d).linprog_objective_usd()
    inp = model_inputs(parse_scenario(d))
    for engine in ENGINES:
        sol = make_engine(engine, inp.node_ids, inp.workload_ids).solve(inp)
        assert_allclose(sol.objective_usd, want, rtol=1e-6, atol=1e-6, err_msg=f"{engine} seed {seed}")


def test_random_seeds_exercise_the_side_constraints():
    drawn = [build_random_scenario(s)["frictions"] for s in SEEDS]
    assert any(f["state_locality"] for f in drawn) and any(f["capacity"] for f in drawn)
    assert any(f["state_locality"] and f["capacity"] for f in drawn)


@pytest.mark.parametrize("seed", [0, 3])
@pytest.mark.parametrize("engine", ENGINES)
def test_cli_solve_every_engine_matches_linprog(tmp_path, seed, engine):
    d = build_random_scenario(seed)
    path = tmp_path / "random.json"
    path.write_text(json.dumps(d))
    res = run("solve", path, "--engine", engine)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["engine"] == engine
    assert_allclose(out["objective_usd"], Reference(d).linprog_objective_usd(), rtol=1e-6, atol=1e-6)
    placed = sum(p["mw"] for p in out["placement"])
    assert_allclose(placed + out["unserved_mw"], out["demand_mw"], rtol=1e-7)
    assert np.isfinite(out["emissions_avg_t"]) and np.isfinite(out["emissions_marginal_t"])
