"""Typical days (core.typical_days): a year built from a few distinct days, repeated, reduces to
exactly those days, weighted by their repeat counts, and gives the full year's answer; the
errors name the field; the reduction is deterministic; the error against the full year."""
from __future__ import annotations

import math

import numpy as np
import pytest

from core.scenario import ScenarioError, default_scenario, parse_scenario
from core.time_inputs import time_inputs
from core.time_solve import solve_time
from core.typical_days import FIELD_K, typical_days, typical_days_error

COUNTS = (12, 10, 8)
"""Days of each day type in the synthetic year (30 days)."""


def _day_types(seed: int = 7) -> dict[str, np.ndarray]:
    """Three distinct days [type, hour]: prices of A and B, average carbon of A, demand factor of A/w."""
    rng = np.random.default_rng(seed)
    hours = np.arange(24)
    solar = np.clip(np.sin((hours - 6) / 12 * np.pi), 0, None)
    return {
        "price_A": np.stack([60 + 30 * np.cos(hours / 24 * 2 * np.pi + i) + rng.uniform(-5, 5, 24) for i in range(3)]),
        "price_B": np.stack([40 + 50 * (i - 1) * solar + rng.uniform(-5, 5, 24) for i in range(3)]),
        "carbon_A": np.stack([300 - 150 * solar * (i + 1) / 3 + rng.uniform(0, 20, 24) for i in range(3)]),
        "demand_Aw": np.stack([0.6 + 0.8 * solar * (1 + 0.3 * i) for i in range(3)]),
    }


def _scenario(day_type: np.ndarray, types: dict[str, np.ndarray], deferrable: int = 3) -> dict:
    """Two nodes, two classes (w defers ``deferrable`` hours), one day of 24 hourly periods per
    entry of ``day_type`` (an index into ``types``)."""
    series = {name: values[day_type].ravel().round(6).tolist() for name, values in types.items()}
    return {
        "nodes": [
            {"id": "A", "lat": 40, "lon": -75, "price_usd_per_mwh": 60, "carbon_avg_g_per_kwh": 300,
             "carbon_marginal_g_per_kwh": 500, "pue": 1.2, "capacity_mw": 90},
            {"id": "B", "lat": 45, "lon": -70, "price_usd_per_mwh": 40, "carbon_avg_g_per_kwh": 100,
             "carbon_marginal_g_per_kwh": 400, "pue": 1.1, "capacity_mw": 35}],
        "workloads": [
            {"id": "w", "latency_budget_ms": 50, "state_pinned_share": 0.3, "deferrable_periods": deferrable},
            {"id": "v", "latency_budget_ms": 50, "state_pinned_share": 0.1}],
        "demand": [{"node": "A", "workload": "w", "mw": 50}, {"node": "A", "workload": "v", "mw": 20},
                   {"node": "B", "workload": "v", "mw": 10}],
        "rtt_ms": {"A": {"B": 12}},
        "objective": {"carbon_signal": "average", "carbon_price_usd_per_t": 80},
        "time": {"periods": 24 * day_type.size, "weight_hours": 1, "block_periods": 24,
                 "price_usd_per_mwh": {"A": series["price_A"], "B": series["price_B"]},
                 "carbon_avg_g_per_kwh": {"A": series["carbon_A"]},
                 "demand_factor": {"A": {"w": series["demand_Aw"]}}},
    }


def _repeated_year() -> tuple[dict, np.ndarray]:
    """The scenario of 30 days, the day types shuffled over the days, and each day's type."""
    day_type = np.random.default_rng(3).permutation(np.repeat(np.arange(3), COUNTS))
    return _scenario(day_type, _day_types()), day_type


@pytest.fixture(scope="module")
def repeated():
    data, day_type = _repeated_year()
    sc = parse_scenario(data)
    return sc, time_inputs(sc), day_type


def test_repeated_days_give_the_full_years_answer(repeated):
    sc, ti, day_type = repeated
    reduced, info = typical_days(ti, 3)
    assert (info.k, info.n_days, reduced.n_periods, reduced.block_periods) == (3, 30, 72, 24)
    # each typical day is a real day standing for every day of its type, and for nothing else
    types = day_type[list(info.medoid_day)]
    assert sorted(types) == [0, 1, 2] and list(info.medoid_day) == sorted(info.medoid_day)
    assert [COUNTS[t] for t in types] == list(info.days_represented)
    assert all(types[info.assignment[d]] == day_type[d] for d in range(30))
    assert np.array_equal(reduced.weight_hours, np.repeat([COUNTS[t] for t in types], 24).astype(float))
    assert reduced.period_hours == ti.period_hours == 720.0
    full, typical = solve_time(ti), solve_time(reduced)
    assert ti.defers and typical.objective_usd == pytest.approx(full.objective_usd, rel=1e-9)
    assert typical.cost_usd == pytest.approx(full.cost_usd, rel=1e-9)
    assert typical.emissions_t == pytest.approx(full.emissions_t, rel=1e-9)
    err = typical_days_error(full, typical)
    assert set(err) == {"objective", "cost", "emissions"} and max(map(abs, err.values())) < 1e-9


def test_reduced_scenario_is_a_valid_scenario_with_the_same_answer(repeated):
    sc, ti, _ = repeated
    reduced_sc, info = typical_days(sc, 3)
    again = parse_scenario(reduced_sc.to_dict())   # validates as a scenario of its own
    assert again.time.periods == 72 and again.period_hours == 720.0
    typical = solve_time(time_inputs(again))
    reduced_ti, _ = typical_days(ti, 3)
    assert typical.objective_usd == pytest.approx(solve_time(reduced_ti).objective_usd, rel=1e-9)
    # the demand factor of A/w on typical day i is the medoid day's own
    day = info.medoid_day[1]
    assert again.time.demand_factor["A"]["w"][24:48] == sc.time.demand_factor["A"]["w"][24 * day:24 * day + 24]


def test_more_days_than_types_and_every_day_its_own(repeated):
    _, ti, day_type = repeated
    reduced, info = typical_days(ti, 30)
    assert info.days_represented == (1,) * 30 and np.array_equal(reduced.price_usd_per_mwh, ti.price_usd_per_mwh)
    reduced, info = typical_days(ti, 1)
    assert info.days_represented == (30,) and reduced.weight_hours.tolist() == [30.0] * 24


def test_constant_series_need_no_clustering():
    flat = {name: np.full((1, 24), values.mean()) for name, values in _day_types().items()}
    sc = parse_scenario(_scenario(np.zeros(5, dtype=int), flat))
    ti = time_inputs(sc)
    reduced, info = typical_days(ti, 2)
    assert info.features == 0 and sum(info.days_represented) == 5 and reduced.period_hours == 120.0
    assert solve_time(reduced).objective_usd == pytest.approx(solve_time(ti).objective_usd, rel=1e-9)


def test_deterministic_on_noisy_days():
    rng = np.random.default_rng(11)
    types = _day_types()
    noisy = {k: np.repeat(v, 6, axis=0) * rng.uniform(0.9, 1.1, (18, 24)) for k, v in types.items()}
    sc = parse_scenario(_scenario(np.arange(18), noisy))
    a_ti, a = typical_days(time_inputs(sc), 4)
    b_ti, b = typical_days(time_inputs(sc), 4)
    assert (a.medoid_day, a.days_represented, a.assignment) == (b.medoid_day, b.days_represented, b.assignment)
    assert np.array_equal(a_ti.price_usd_per_mwh, b_ti.price_usd_per_mwh)
    assert sum(a.days_represented) == 18 and a_ti.weight_hours.sum() == 18 * 24


def _error_field(source, k) -> str:
    with pytest.raises(ScenarioError) as err:
        typical_days(source, k)
    return err.value.field


def test_errors_name_the_field(repeated):
    sc, ti, _ = repeated
    for bad in (0, 31, -1, 2.5, True, "3"):
        assert _error_field(ti, bad) == FIELD_K
    data = _repeated_year()[0]
    half_days = {**data, "time": {**data["time"], "periods": 36, "block_periods": 12}}
    for name in ("price_usd_per_mwh", "carbon_avg_g_per_kwh"):
        half_days["time"][name] = {n: v[:36] for n, v in data["time"][name].items()}
    half_days["time"]["demand_factor"] = {"A": {"w": data["time"]["demand_factor"]["A"]["w"][:36]}}
    assert _error_field(parse_scenario(half_days), 1) == "time.periods"
    two_day_blocks = {**data, "time": {**data["time"], "block_periods": 48}}
    assert _error_field(parse_scenario(two_day_blocks), 1) == "time.block_periods"
    assert _error_field(default_scenario(), 1) == "time"


def test_relative_errors_by_hand():
    full = {"objective_usd": 100.0, "cost_usd": 80.0, "emissions_t": 10.0}
    reduced = {"objective_usd": 101.0, "cost_usd": 79.0, "emissions_t": 10.0}
    assert typical_days_error(full, reduced) == pytest.approx({"objective": 0.01, "cost": -0.0125, "emissions": 0.0})
    zero = {"objective_usd": 0.0, "cost_usd": 0.0, "emissions_t": 0.0}
    assert typical_days_error(zero, zero) == {"objective": 0.0, "cost": 0.0, "emissions": 0.0}
    assert math.isinf(typical_days_error(zero, reduced)["cost"])
