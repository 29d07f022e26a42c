"""Warm block LPs kept across solves (core.time_solve.WarmEngines, HighsBlockLP over the arcs of
any budget) give the independent LP's optimum after every change of settings; the helpers they
rest on (block_structure, copy, the same-numbers shortcut, compact, the clustering memo)."""
from __future__ import annotations

import copy

import numpy as np
import pytest

from core import typical_days as td
from core.scenario import parse_scenario
from core.time_inputs import time_inputs
from core.time_model import HighsBlockLP, block_result, block_structure
from core.time_solve import CASES, WarmEngines, solve_time
from core.time_view import case_engines, solve_cases
from tests.test_time_model import _linprog_objective, _random_time_scenario


def _settings(data: dict):
    """The random scenario under a walk of slider-like changes (budgets up and down, carbon
    price, egress price, demand level), each a fresh dict."""
    yield data
    for step in ({"budget": 30.0}, {"budget": -30.0}, {"carbon": 80.0}, {"egress": 0.03}, {"demand": 1.4},
                 {"budget": 60.0}, {}):
        data = copy.deepcopy(data)
        for w in data["workloads"]:
            w["latency_budget_ms"] = max(0.0, w["latency_budget_ms"] + step.get("budget", 0.0))
        data["objective"]["carbon_price_usd_per_t"] += step.get("carbon", 0.0)
        data["prices"]["egress_usd_per_gb"] += step.get("egress", 0.0)
        for d in data["demand"]:
            d["mw"] *= step.get("demand", 1.0)
        yield data


@pytest.mark.parametrize("seed", range(6))
def test_warm_engines_follow_every_change_to_the_independent_optimum(seed):
    data = _random_time_scenario(seed)
    engines = WarmEngines()
    for setting in _settings(data):
        ti = time_inputs(parse_scenario(setting))
        expected = _linprog_objective(setting)
        assert solve_time(ti, engines=engines).objective_usd == pytest.approx(expected, rel=1e-7, abs=1e-6)
    assert len(engines) == 2                    # 6 periods in blocks of 3: one LP per block, kept


def test_block_structure_ignores_budgets_and_prices_but_not_frictions():
    data = _random_time_scenario(1)
    data["frictions"]["capacity"] = True
    ti = time_inputs(parse_scenario(data))
    key = block_structure(ti, 3)
    moved = list(_settings(data))[1:6]
    assert all(block_structure(time_inputs(parse_scenario(d)), 3) == key for d in moved)
    data["frictions"]["capacity"] = False
    assert block_structure(time_inputs(parse_scenario(data)), 3) != key
    lp = HighsBlockLP(ti, 3)
    with pytest.raises(ValueError, match="structure"):
        lp.solve(time_inputs(parse_scenario(data)), range(0, 3))


def test_a_copy_starts_from_the_basis_and_solves_another_block_exactly():
    data = _random_time_scenario(2)
    data["workloads"][0]["deferrable_periods"] = 2
    ti = time_inputs(parse_scenario(data))
    first = HighsBlockLP(ti, 3)
    first.solve(ti, range(0, 3))
    twin = first.copy()
    assert twin.n_cols == first.n_cols and twin.highs is not first.highs
    x_twin, u_twin = twin.solve(ti, range(3, 6))
    x_new, u_new = HighsBlockLP(ti, 3).solve(ti, range(3, 6))
    # placements may tie; the objective of the block is unique
    a = block_result(ti, twin.arcs_of(ti), range(3, 6), x_twin, u_twin, "t")
    b = block_result(ti, HighsBlockLP(ti, 3).arcs_of(ti), range(3, 6), x_new, u_new, "t")
    assert a.objective_usd == pytest.approx(b.objective_usd, rel=1e-9)
    # the first LP is untouched by its copy's solve: block 0 again is the same numbers, no HiGHS run
    rounds = first.pricing_rounds
    x0, _ = first.solve(ti, range(0, 3))
    assert first.pricing_rounds == rounds
    x0[:] = -1.0                                   # a returned array is the caller's own
    assert (first.solve(ti, range(0, 3))[0] >= 0).all()


def test_compact_keeps_every_total_and_only_arcs_that_carry_work():
    data = _random_time_scenario(4)
    ti = time_inputs(parse_scenario(data))
    full = solve_time(ti, keep_x=True).result
    small = full.compact()
    assert small.objective_usd == full.objective_usd
    assert set(small.arc_flat) <= set(full.arc_flat)
    assert small.arc_energy_mwh.sum() == pytest.approx(full.arc_energy_mwh.sum(), rel=1e-12)
    assert (small.x_mw > 0).any(axis=0).all() or small.arc_flat.size == 0
    keep = np.isin(full.arc_flat, small.arc_flat)
    assert np.array_equal(full.x_mw[:, keep], small.x_mw)
    assert (full.x_mw[:, ~keep] == 0).all()


def test_solve_cases_on_warm_engines_equals_the_plain_solve_and_keeps_x():
    data = _random_time_scenario(5)
    data["workloads"][1]["deferrable_periods"] = 2
    ti = time_inputs(parse_scenario(data))
    plain = solve_cases(ti)
    engines = case_engines()
    for _ in range(2):                         # the second call re-uses every LP
        warm = solve_cases(ti, engines=engines, keep_x=("both",))
        for case in CASES:
            assert warm.solutions[case].objective_usd == pytest.approx(plain.solutions[case].objective_usd,
                                                                       rel=1e-9, abs=1e-9), case
    assert warm.solutions["both"].result.x_mw is not None and plain.solutions["both"].result.x_mw is None
    assert all(len(e) == ti.n_blocks for e in engines.values())


def test_the_clustering_is_remembered_per_features_and_k(monkeypatch):
    rng = np.random.default_rng(0)
    days = 6
    base = rng.uniform(20, 90, (days, 24))
    data = _random_time_scenario(0)
    data["time"] = {"periods": 24 * days, "block_periods": 24,
                    "price_usd_per_mwh": {data["nodes"][0]["id"]: base.ravel().tolist()}}
    ti = time_inputs(parse_scenario(data))
    calls = []
    real = td._cluster_days
    monkeypatch.setattr(td, "_cluster_days", lambda *a: calls.append(a[1]) or real(*a))
    td._CLUSTER_MEMO.clear()
    first = td.typical_days(ti, 3)[1]
    again = td.typical_days(ti, 3)[1]
    assert len(calls) == 1 and again.assignment == first.assignment and again.medoid_day == first.medoid_day
    td.typical_days(ti, 2)
    assert calls == [3, 2]
