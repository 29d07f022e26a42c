"""The scaling benchmark's code at tiny size: structure and objective agreement, never a time."""
from __future__ import annotations

import numpy as np
import pytest

from bench import scaling
from bench.baselines import highs_full_lp, highs_reference, ortools_arrays, ortools_reference
from bench.scenarios import FRONTIER_BUDGETS_MS, generated_scenario
from core.inputs import model_inputs
from core.network import objective_error_bound_usd


@pytest.fixture(scope="module")
def tiny():
    return generated_scenario(8, seed=3, state_locality=True)


@pytest.fixture(scope="module")
def rows(tiny):
    settings = {"repeats": 1, "walk_steps": 4, "sample": 5, "max_highs": 3}
    return {task: scaling.measure(tiny, task, **settings) for task in scaling.TASKS}


def test_rows_have_every_field_and_count_the_work(rows):
    for task, r in rows.items():
        assert r["task"] == task and r["nodes"] == 8 and r["workloads"] == 5 and r["arcs"] == 8 * 8 * 5
        assert r["ours_s"] > 0 and r["ortools_s"] > 0 and r["peak_mb"] >= r["start_mb"] > 0
        assert ("highs_s" in r) == (task != "frontier12-network")
    assert rows["frontier12"]["points"] == len(set(FRONTIER_BUDGETS_MS))
    assert rows["frontier12"]["ortools_solves"] == 12 and not rows["frontier12"]["ortools_estimated"]
    assert rows["frontier12"]["highs_solves"] == 3 and rows["frontier12"]["highs_estimated"]
    exact = rows["exact"]
    assert exact["ortools_solves"] == min(5, exact["points"])
    assert rows["resolve"]["ours_runs"] == 4
    assert rows["metrics"]["json_mb"] > 0 and rows["metrics"]["report_s"] <= rows["metrics"]["ours_s"]


def test_every_engine_reaches_the_baselines_optimum(rows, tiny):
    inp = model_inputs(tiny)
    # OR-Tools is exact to its integer-scaling bound; bare HiGHS to the LP tolerance
    objective = abs(highs_reference(highs_full_lp(inp)) * inp.period_hours)
    ortools_tol = 2 * objective_error_bound_usd(inp) / max(objective, 1.0)
    for task, r in rows.items():
        assert r["gap_ortools"] <= ortools_tol, task
        if "gap_highs" in r:
            assert r["gap_highs"] <= 1e-7, task


def test_bare_baselines_agree_with_each_other(tiny):
    inp = model_inputs(tiny)
    arrays, usd_per_unit = ortools_arrays(inp)
    via_flow = ortools_reference(arrays) * usd_per_unit
    via_lp = highs_reference(highs_full_lp(inp)) * inp.period_hours
    assert abs(via_flow - via_lp) <= 2 * objective_error_bound_usd(inp)


def test_fitted_exponent_recovers_a_power_law():
    arcs = np.array([5e3, 7e4, 2e5, 1.25e6, 5e6])
    assert scaling.fitted_exponent(arcs, 3e-6 * arcs ** 1.4) == pytest.approx(1.4)
    assert np.isnan(scaling.fitted_exponent([1e4], [1.0]))


def test_samples_spread_over_the_range():
    assert list(scaling.even_sample(10, 4)) == [0, 3, 6, 9]
    assert list(scaling.even_sample(3, 12)) == [0, 1, 2]
    assert list(scaling.interior_sample(12, 3)) == [3, 6, 8]    # 2.75, 5.5, 8.25 of 0..11
    assert list(scaling.interior_sample(12, 1)) == [6]
    assert list(scaling.interior_sample(4, 12)) == [0, 1, 2, 3]


def _row(key, task, ours_s, ortools_s, peak_mb, **extra):
    return {"key": key, "task": task, "nodes": 1000, "arcs": 5_000_000, "engine": "highs", "ours_s": ours_s,
            "ours_cpu_s": ours_s, "ours_runs": 1, "peak_mb": peak_mb, "start_mb": 200.0, "ortools_s": ortools_s,
            **extra}


def test_goals_say_met_or_not_from_the_figures():
    rows = [_row("1000", "frontier12", 20.0, 10.0, 5000.0),           # 2× and 5 GB: met
            _row("1000", "frontier12-network", 40.0, 10.0, 1000.0),   # 4×: not met
            _row("200", "metrics", 31.0, 1.0, 900.0),                 # 31 s > 30 s: not met
            {"key": "200-sl", "task": "exact", "error": "timed out after 10 s"}]
    lines = scaling.goals_markdown(rows).splitlines()
    assert lines[0].endswith("not measured")                          # the exact frontier errored
    assert lines[1].endswith("not met")
    assert "2.00×" in lines[2] and lines[2].endswith(": 2.00× (20.00 s against 10.00 s), 5,000 MB, met")
    assert "4.00×" in lines[3] and lines[3].endswith("not met")
    table = scaling.table_markdown(rows).splitlines()
    assert len(table) == 2 + len(rows) and "timed out after 10 s" in table[-1]


def test_one_size_runs_in_a_child_process():
    row = scaling.run_child("default", "solve", quick=True, timeout_s=300)
    assert "error" not in row, row.get("error")
    assert row["key"] == "default" and row["nodes"] == 31 and row["engine"] == "cvxpy"
    assert row["gap_highs"] <= 1e-7
