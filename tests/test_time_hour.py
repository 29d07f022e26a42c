"""core.time_hour: the hourly model's placement at one UTC hour, the mean over the year's days,
and the Explorer's map over a day that draws it.

* Constant series, no waiting: every hour is the single-period problem, so the mean at any hour
  is the single-period optimum (CVXPY's PlacementModel, unique by construction: chat 5 MW home →
  away at 60 < 100 $/MWh until away's 5 MW are full, 5 MW at home; batch, budget 0, 1 MW at c,
  whose 1 MW capacity leaves 1 MW unserved).
* TINY (tests/test_time_view.py, worked out there by hand): at 0:00 UTC chat runs away on day 1
  (10 MW) and at home on day 2 → mean 5 MW each; batch waits to 23:00 → 0 MW at 0:00, and at
  23:00 home runs 10 + 96 = 106 MW. (The single-period placement of the average day's prices,
  90 < 100, would have sent all 10 MW away at 0:00.)
* Three days, days 0 and 2 the same: 2 typical days stand for them (weights 2 and 1); at 0:00
  chat runs away on days 0 and 2 (60 < 100), at home on day 1 (120 > 100): mean 20/3 MW, on the
  typical days as on the full year.
* Home capacity 3 MW in TINY: batch (96 MWh a day, budget 0) runs 3 MW at home every hour and
  leaves 96 − 72 = 24 MWh a day unserved; chat runs 10 MW away every hour.
"""
from __future__ import annotations

import copy
import json

import numpy as np
import pytest

from app_support import keep_navigation_mode, no_exception, open_app, served_scenario
from core import time_view as tv
from core.model import PlacementModel
from core.inputs import model_inputs
from core.scenario import parse_scenario
from core.share import decode_state
from core.time_hour import hour_inputs, hour_placement, hour_solution, hour_weights
from core.time_inputs import time_inputs
from core.time_solve import solve_time
from core.typical_days import typical_days
from pages.common import worldmap
from test_time_view import TINY

CONSTANT = {
    "schema_version": 1, "name": "Constant two days",
    "nodes": [
        {"id": "a", "name": "A", "lat": 48.1, "lon": 11.6, "price_usd_per_mwh": 100.0, "carbon_avg_g_per_kwh": 300.0,
         "carbon_marginal_g_per_kwh": 500.0, "pue": 1.0, "capacity_mw": 10.0},
        {"id": "b", "name": "B", "lat": 59.3, "lon": 18.1, "price_usd_per_mwh": 60.0, "carbon_avg_g_per_kwh": 50.0,
         "carbon_marginal_g_per_kwh": 400.0, "pue": 1.0, "capacity_mw": 5.0},
        {"id": "c", "name": "C", "lat": 40.4, "lon": -3.7, "price_usd_per_mwh": 80.0, "carbon_avg_g_per_kwh": 200.0,
         "carbon_marginal_g_per_kwh": 450.0, "pue": 1.0, "capacity_mw": 1.0}],
    "workloads": [
        {"id": "chat", "latency_budget_ms": 50.0, "state_pinned_share": 0.0},
        {"id": "batch", "latency_budget_ms": 0.0, "state_pinned_share": 0.0}],
    "demand": [{"node": "a", "workload": "chat", "mw": 10.0}, {"node": "c", "workload": "batch", "mw": 2.0}],
    "rtt_ms": {"a": {"b": 20.0, "c": 200.0}, "b": {"c": 200.0}},
    "time": {"periods": 48, "weight_hours": 1, "block_periods": 24},
}
AWAY_3_DAYS = [60.0] * 24 + [120.0] * 24 + [60.0] * 24


def _tiny_variant(**changes) -> dict:
    d = copy.deepcopy(TINY)
    for path, value in changes.items():
        node, key = path.split(".")
        d["nodes"][[n["id"] for n in d["nodes"]].index(node)][key] = value
    return d


def _solved(scenario: dict):
    ti = time_inputs(parse_scenario(scenario))
    return ti, solve_time(ti, keep_x=True), tv.calendar(ti)


def test_constant_series_every_hour_is_the_single_period_optimum():
    ti, sol, cal = _solved(CONSTANT)
    single = PlacementModel.for_scenario(parse_scenario(CONSTANT)).solve(model_inputs(parse_scenario(CONSTANT)))
    for hour in (0, 7, 23):
        x, u = hour_placement(sol, cal, hour)
        np.testing.assert_allclose(x, single.x_mw, atol=1e-6)
        np.testing.assert_allclose(u, single.unserved_by_demand_mw, atol=1e-6)
    assert x[0, 1, 0] == pytest.approx(5.0) and x[0, 0, 0] == pytest.approx(5.0)     # by hand
    assert x[2, 2, 1] == pytest.approx(1.0) and u[2, 1] == pytest.approx(1.0)


def test_the_two_day_hand_case():
    ti, sol, cal = _solved(TINY)
    x, u = hour_placement(sol, cal, 0)
    # [s, r, k]: nodes home, away; classes chat, batch
    np.testing.assert_allclose(x[0], [[5.0, 0.0], [5.0, 0.0]], atol=1e-6)
    np.testing.assert_allclose(x[1], 0.0, atol=1e-9)
    x, u = hour_placement(sol, cal, 23)
    np.testing.assert_allclose(x[0], [[10.0, 96.0], [0.0, 0.0]], atol=1e-6)
    np.testing.assert_allclose(u, 0.0, atol=1e-9)
    inp = hour_inputs(ti, cal, 23)
    assert inp.price_usd_per_mwh.tolist() == pytest.approx([40.0, 90.0])
    assert inp.demand_mw[0].tolist() == pytest.approx([10.0, 4.0])     # demand arriving at 23:00
    assert inp.period_hours == pytest.approx(2.0)                        # two real hours at 23:00


def test_typical_days_weight_each_day_by_the_days_it_stands_for():
    three = copy.deepcopy(TINY)
    home = [40.0 if t % 24 == 23 else 100.0 for t in range(72)]
    three["time"] = {**three["time"], "periods": 72, "price_usd_per_mwh": {"home": home, "away": AWAY_3_DAYS}}
    ti, full, full_cal = _solved(three)
    reduced, info = typical_days(ti, 2)
    assert sorted(info.days_represented) == [1, 2]
    typical = solve_time(reduced, keep_x=True)
    typical_cal = tv.calendar(reduced, info)
    assert hour_weights(typical_cal, 0, reduced.n_periods)[[0, 24]].tolist() == pytest.approx(
        [c / 3 for c in info.days_represented])
    for hour in range(24):
        x_typical, _ = hour_placement(typical, typical_cal, hour)
        x_full, _ = hour_placement(full, full_cal, hour)
        by_day = np.zeros_like(x_full)                 # the full year's own periods d·24 + h, averaged here
        flat = by_day.reshape(-1)
        for day in range(3):
            flat[full.result.arc_flat] += full.result.x_mw[day * 24 + hour] / 3
        np.testing.assert_allclose(x_full, by_day, atol=1e-9)
        np.testing.assert_allclose(x_typical, x_full, atol=1e-6)
    assert hour_placement(typical, typical_cal, 0)[0][0, 1, 0] == pytest.approx(20 / 3)   # by hand


def test_unserved_of_a_class_that_waits():
    ti, sol, cal = _solved(_tiny_variant(**{"home.capacity_mw": 3.0}))
    xs, us = zip(*(hour_placement(sol, cal, h) for h in range(24)))
    for x in xs:
        assert x[0, 0, 1] == pytest.approx(3.0) and x[0, 1, 0] == pytest.approx(10.0)   # batch home, chat away
    assert sum(u[0, 1] for u in us) == pytest.approx(24.0)        # MWh a day, the mean over both days
    engine = sol.result.unserved_mw.reshape(2, 24).mean(axis=0)   # one class unserved: all of the period's
    assert [u[0, 1] for u in us] == pytest.approx(engine.tolist())


def test_the_kept_unserved_matches_the_placement_and_the_engines_totals():
    sc = _tiny_variant(**{"home.capacity_mw": 3.0})
    sc["workloads"].append({"id": "batch2", "latency_budget_ms": 0.0, "state_pinned_share": 0.0,
                            "deferrable_periods": 5})
    sc["demand"].append({"node": "home", "workload": "batch2", "mw": 2.0})
    ti, sol, cal = _solved(sc)
    r = sol.result
    n, k = ti.base.n_nodes, ti.base.n_workloads
    s_, rest = np.divmod(r.arc_flat, n * k)
    served = np.zeros((ti.n_periods, n * k))                       # S = Σ_r x [t, s·K + k]
    np.add.at(served.T, s_ * k + rest % k, r.x_mw.T)
    u = r.u_mw.reshape(ti.n_periods, n * k)
    np.testing.assert_allclose(u.sum(axis=1), r.unserved_mw, atol=1e-9)
    gap = np.moveaxis(ti.demand_mw, 2, 0).reshape(ti.n_periods, -1) - served      # D − S [t, sk]
    for block in range(ti.n_blocks):                      # each (s, k)'s unserved energy in the block
        rows = slice(block * 24, block * 24 + 24)
        np.testing.assert_allclose(u[rows].sum(axis=0), gap[rows].sum(axis=0), atol=1e-6)
    assert u.sum() == pytest.approx(2 * (96 + 48 - 72))          # MW·periods: 72 MWh a day fit at home


def test_errors_name_what_is_wrong():
    ti = time_inputs(parse_scenario(TINY))
    sol, cal = solve_time(ti), tv.calendar(ti)
    with pytest.raises(ValueError, match="keep_x"):
        hour_placement(sol, cal, 0)
    with pytest.raises(ValueError, match="hour"):
        hour_placement(solve_time(ti, keep_x=True), cal, 24)


@pytest.mark.parametrize("colour_by", list(worldmap.COLOUR_BY))
def test_the_map_draws_the_hour_of_a_full_region(colour_by):
    sc = parse_scenario(_tiny_variant(**{"home.capacity_mw": 3.0}))
    ti = time_inputs(sc)
    hour = hour_solution(solve_time(ti, keep_x=True), tv.calendar(ti), 5)
    assert np.isnan(hour.capacity_dual_usd_per_mwh).all()
    nodes = worldmap.node_table(sc, hour, colour_by).set_index("id")
    assert "Full (no shadow price in this model)" in nodes.at["home", "tip"]
    assert "Capacity 3.00 MW, load 3.00 MW" in nodes.at["home", "tip"]
    if colour_by == "capacity_value":
        assert nodes.at["home", "fill"][:3] == worldmap.ramp_rgb(float("nan"))     # grey: no value
    decks, text = worldmap.map_decks(sc, hour, None, colour_by, (760.0,))
    assert "10.0 MW of IT power runs away from home in 1 corridor" in text


# --- the Explorer's map over a day (AppTest) -------------------------------------------------------

@pytest.fixture
def tiny(tmp_path, monkeypatch):
    keep_navigation_mode(monkeypatch)
    with served_scenario(tmp_path, monkeypatch, TINY, "tiny_time.json") as path:
        yield path


def _arcs(at) -> list[dict]:
    deck = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    return [row for layer in deck["layers"] if layer.get("@@type") == "ArcLayer" for row in layer.get("data", [])]


def _captions(at) -> str:
    return " ".join(c.value for c in at.caption)


def test_explorer_hour_slider_draws_the_hourly_models_mean(tiny):
    at = open_app()
    at.slider(key="explorer_hour").set_value(0).run()
    no_exception(at)
    arcs = _arcs(at)
    assert [a["label"] for a in arcs] == ["Home → Away 5.00 MW"]           # by hand: the mean of 10 and 0
    text = _captions(at)
    assert "hourly model** on 2 typical days" in text and "at 0:00 UTC" in text
    assert "work that waits counted in the hour it runs" in text and "(MW)" in text
    assert "5.00 MW of IT power runs away from home in 1 corridor" in text
    assert decode_state(at.query_params["s"][0] if isinstance(at.query_params["s"], list)
                        else at.query_params["s"]).hour == 0
    at.slider(key="explorer_hour").set_value(23).run()
    assert _arcs(at) == []
    assert "at 23:00 UTC" in _captions(at)
    at.button(key="explorer_next_hour").click().run()
    no_exception(at)
    assert at.slider(key="explorer_hour").value == 0
    assert [a["label"] for a in _arcs(at)] == ["Home → Away 5.00 MW"]


def test_explorer_without_whole_days_shows_the_annual_map(tmp_path, monkeypatch):
    keep_navigation_mode(monkeypatch)
    part_days = {**CONSTANT, "time": {"periods": 36, "weight_hours": 1, "block_periods": 12}}
    with served_scenario(tmp_path, monkeypatch, part_days, "part_days.json"):
        at = open_app()
        assert not [s for s in at.slider if s.key == "explorer_hour"]
        assert "The map shows the **annual model**" in _captions(at)
        assert "time.block_periods 24" in _captions(at)
