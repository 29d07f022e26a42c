"""Time mode on the Frontier, Execution layers and Frictions pages: core.time_metrics against
independent values, and the pages' "Model" switch (AppTest).

CONST: three nodes over 48 constant hourly periods, no deferral, every friction biting (egress on
chat, migration overhead on batch, state locality on chat, residency on api, 8 MW at "near"):
its time-mode layers and waterfall must equal the single-period model's (the engine of
core.analysis, not the time LP), with period_hours = Σ w = 48 h.

TINY (tests/test_time_view.py, worked out by hand there) and TINY_CAP, the same with 6 MW at
away. By hand for TINY_CAP with every friction on: day 1, hours 0–22, chat runs 6 MW away (60 $/MWh)
and 4 MW at home (100): 23·(6·60 + 4·100) = 17,480 $; hour 23: 106 MW at home at 40 = 4,240 $;
day 2 as in TINY, 27,240 $. Cost 48,960 $ against the local 65,520 $: realized 16,560 $. With
capacity off (the earlier steps: g = 0, φ = 0, σ = 0, no residency, so they change nothing) it is
TINY's 20,240 $: the capacity step takes 23·4·(100 − 60) = 3,680 $.
TINY's layers (both): chat runs away (20 ms ≤ 30 ms: regional) 230 of its 480 MWh, so
230/48 = 4.7917 MW regional and 250/48 = 5.2083 MW local on average; batch 4 MW local.
"""
from __future__ import annotations

import copy
import json

import pytest

from app_support import keep_navigation_mode, no_exception, open_app, page_text, served_scenario
from core.analysis import Analysis
from core.metrics import SESSION_WATERFALL_ORDER
from core.scenario import parse_scenario
from core.time_inputs import time_inputs
from core.time_metrics import (frontier_beside, frontier_difference_sentence, time_execution_layers,
                               time_friction_waterfall)
from core.time_solve import case_inputs, solve_time
from pages.common import state
from pages.common.theme import fmt_mw, fmt_usd
from test_time_page import _traces, _values
from test_time_view import TINY

CONST = {
    "schema_version": 1, "name": "Constant hours",
    "nodes": [
        {"id": "home", "lat": 50.1, "lon": 8.7, "residency_zone": "eu", "price_usd_per_mwh": 100.0,
         "carbon_avg_g_per_kwh": 400.0, "carbon_marginal_g_per_kwh": 600.0, "pue": 1.1, "capacity_mw": 1000.0},
        {"id": "near", "lat": 52.4, "lon": 4.9, "residency_zone": "eu", "price_usd_per_mwh": 50.0,
         "carbon_avg_g_per_kwh": 100.0, "carbon_marginal_g_per_kwh": 500.0, "pue": 1.1, "capacity_mw": 8.0},
        {"id": "far", "lat": 40.7, "lon": -74.0, "residency_zone": "us", "price_usd_per_mwh": 60.0,
         "carbon_avg_g_per_kwh": 200.0, "carbon_marginal_g_per_kwh": 300.0, "pue": 1.2, "capacity_mw": 100.0}],
    "workloads": [
        {"id": "chat", "latency_budget_ms": 100.0, "state_pinned_share": 0.3, "gb_per_mwh": 500.0},
        {"id": "batch", "latency_budget_ms": 100.0, "migration_overhead": 0.1},
        {"id": "api", "latency_budget_ms": 100.0, "residency_bound": True}],
    "demand": [{"node": "home", "workload": "chat", "mw": 10.0}, {"node": "home", "workload": "batch", "mw": 6.0},
               {"node": "home", "workload": "api", "mw": 5.0}, {"node": "far", "workload": "chat", "mw": 2.0}],
    "rtt_ms": {"home": {"near": 15.0, "far": 60.0}, "near": {"far": 70.0}},
    "time": {"periods": 48, "weight_hours": 1, "block_periods": 24},
}
TINY_CAP = copy.deepcopy(TINY)
TINY_CAP["nodes"][1]["capacity_mw"] = 6.0
COLUMNS = ["savings_usd", "change_usd", "carbon_savings_avg_t", "carbon_savings_marginal_t", "relocated_share",
           "unserved_mw"]


def _ti(raw: dict):
    return time_inputs(parse_scenario(raw))


# --- core ------------------------------------------------------------------------------------------

def test_constant_series_give_the_single_period_layers():
    ti = _ti(CONST)
    assert ti.period_hours == 48 and not ti.defers
    single = Analysis(parse_scenario(CONST)).layers(ti.base)
    hourly = time_execution_layers(solve_time(ti))
    assert list(hourly[["workload", "layer"]].itertuples(index=False)) == \
        list(single[["workload", "layer"]].itertuples(index=False))
    assert hourly["mw"].to_numpy() == pytest.approx(single["mw"].to_numpy(), abs=1e-6)
    assert hourly["share"].to_numpy() == pytest.approx(single["share"].to_numpy(), abs=1e-6)
    assert hourly["mw"].sum() == pytest.approx(23.0, abs=1e-6)            # every MW of demand served


def test_constant_series_give_the_single_period_waterfall():
    ti = _ti(CONST)
    single = Analysis(parse_scenario(CONST)).waterfall(ti.base)
    hourly = time_friction_waterfall(ti)
    assert list(hourly["step"]) == list(single["step"]) == ["potential (no frictions)", *SESSION_WATERFALL_ORDER[:5]]
    assert list(hourly["frictions_on"]) == list(single["frictions_on"])
    for col in COLUMNS:
        assert hourly[col].to_numpy() == pytest.approx(single[col].to_numpy(), rel=1e-7, abs=1e-4), col
    assert (single["change_usd"].iloc[1:] < -1).sum() >= 3               # the frictions do bite here


def test_waterfall_by_hand_its_steps_add_up_and_its_last_step_is_the_scenario():
    ti = _ti(TINY_CAP)
    steps = []
    wf = time_friction_waterfall(ti, progress=steps.append)
    assert list(wf["savings_usd"]) == pytest.approx([20_240] * 5 + [16_560], abs=1e-6)
    assert wf["change_usd"].iloc[-1] == pytest.approx(-3_680, abs=1e-6)
    assert wf["savings_usd"].iloc[0] + wf["change_usd"].iloc[1:].sum() == pytest.approx(wf["savings_usd"].iloc[-1])
    both, local = solve_time(ti), solve_time(case_inputs(ti, "local"))
    assert wf["savings_usd"].iloc[-1] == pytest.approx(local.cost_usd - both.cost_usd)
    assert wf["carbon_savings_t"].iloc[-1] == pytest.approx(local.emissions_t - both.emissions_t)
    assert steps == pytest.approx([i / 6 for i in range(1, 7)])


def test_layers_by_hand():
    layers = time_execution_layers(solve_time(_ti(TINY))).set_index(["workload", "layer"])["mw"]
    assert layers[("chat", "regional")] == pytest.approx(230 / 48, abs=1e-6)
    assert layers[("chat", "local")] == pytest.approx(250 / 48, abs=1e-6)
    assert layers[("batch", "local")] == pytest.approx(4.0, abs=1e-6)
    assert layers[("chat", "energy-oriented")] == layers[("batch", "regional")] == 0.0


def test_frontier_beside_and_its_sentence():
    import pandas as pd
    annual = pd.DataFrame({"budget_ms": [0.0, 10.0, 50.0], "savings_usd": [0.0, 5.0, 5_040.0],
                           "carbon_savings_t": [0.0, 1.0, 2.0], "relocated_share": [0.0, 0.1, 0.7], "rid": 0.0})
    hourly = pd.DataFrame({"budget_ms": [0.0, 50.0], "savings_usd": [11_040.0, 20_240.0],
                           "carbon_savings_t": [3.0, 4.0], "relocated_share": [0.0, 0.4], "cost_usd": 1.0})
    beside = frontier_beside(annual, hourly)
    assert list(beside["budget_ms"]) == [0.0, 50.0]
    assert list(beside["difference_usd"]) == [11_040.0, 20_240.0 - 5_040.0]
    assert list(beside["annual_carbon_savings_t"]) == [0.0, 2.0]
    # 20,240 / 5,040 − 1 = 3.016
    assert frontier_difference_sentence(beside) == (
        "At 50 ms, with hourly prices, relocation saves 302 % more than the annual averages suggest. At 0 ms "
        "nothing moves, and waiting alone saves $11,000 in the hourly model.")
    with pytest.raises(ValueError, match="budget_ms"):
        frontier_beside(annual, hourly.assign(budget_ms=[0.0, 25.0]))


# --- the pages --------------------------------------------------------------------------------------

def _served(tmp_path, monkeypatch, raw, name):
    keep_navigation_mode(monkeypatch)
    state._TIME_READY.clear()
    with served_scenario(tmp_path, monkeypatch, raw, name) as path:
        yield path
    state._TIME_READY.clear()


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    yield from _served(tmp_path, monkeypatch, TINY, "tiny_time.json")


@pytest.fixture
def tiny_cap(tmp_path, monkeypatch):
    yield from _served(tmp_path, monkeypatch, TINY_CAP, "tiny_cap.json")


def _captions(at) -> str:
    return " ".join(c.value for c in at.caption)


def test_frontier_page_hourly_beside_annual(tiny):
    at = open_app(page="frontier")
    switch = at.segmented_control(key="frontier_model")
    assert switch.value == "annual" and switch.options == ["Annual averages", "Hourly (2 typical days)"]
    switch.set_value("hourly").run()
    no_exception(at)
    assert not _traces(at, "scatter")                       # on request only
    at.button(key="frontier_run_hourly").click().run()
    no_exception(at)
    lines = {}
    for t in _traces(at, "scatter"):
        lines.setdefault(t["name"], []).append(_values(t["y"]))
    # budgets 0, 10, 25, 50, 100, 200 ms; savings then carbon savings
    assert lines["Hourly (2 typical days)"][0] == pytest.approx([11_040] * 2 + [20_240] * 4)
    assert lines["Annual averages"][0] == pytest.approx([0] * 2 + [5_040] * 4, abs=1e-6)
    # 20,240 / 5,040 − 1 = 3.016
    assert "At 200 ms, with hourly prices, relocation saves 302 % more" in page_text(at)
    assert "Hourly model on 2 typical days" in _captions(at)
    assert {m.label: m.value for m in at.metric}["Hourly savings at 0 ms ($ over 48 h)"] == fmt_usd(11_040)


def test_layers_page_hourly(tiny):
    at = open_app(page="layers")
    at.segmented_control(key="layers_model").set_value("hourly").run()
    no_exception(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Local, at home (MW)"] == fmt_mw(250 / 48 + 4)
    assert metrics["Regional (MW)"] == fmt_mw(230 / 48)
    assert metrics["Energy-oriented (MW)"] == fmt_mw(0.0)
    # away share: hourly 4.79/14 = 34 %; annual 10/14 = 71 % (chat moves, batch cannot)
    assert "runs away from home on average over the periods; with the annual averages, 71%" in page_text(at)
    assert "34%" in page_text(at)
    captions = _captions(at)
    assert "Hourly model on 2 typical days" in captions and "This part is the annual-averages model" in captions


def test_frictions_page_hourly_on_request(tiny_cap):
    at = open_app(page="frictions")
    at.segmented_control(key="frictions_model").set_value("hourly").run()
    no_exception(at)
    assert any("6 steps" in i.value for i in at.info)
    assert not at.get("plotly_chart")
    at.button(key="frictions_run_hourly").click().run()
    no_exception(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Potential savings ($ over 48 h)"] == fmt_usd(20_240)
    assert metrics["Realized savings ($ over 48 h)"] == fmt_usd(16_560)
    fall = json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0]
    assert _values(fall["y"]) == pytest.approx([20_240, 0, 0, 0, 0, -3_680, 16_560], abs=1e-6)
    assert "Hourly model on 2 typical days" in _captions(at)


def test_the_annual_default_is_unchanged(tiny_cap):
    at = open_app(page="frictions")
    assert at.segmented_control(key="frictions_model").value == "annual"
    # annual model, 48 h at the means: chat may move 6 MW (capacity) at 97.5 − 90: 6·48·7.5 = 2,160 $
    assert {m.label: m.value for m in at.metric}["Realized savings ($ over 48 h)"] == fmt_usd(2_160)
    at.switch_page("pages/layers.py").run()
    no_exception(at)
    assert at.segmented_control(key="layers_model").value == "annual"
    assert {m.label: m.value for m in at.metric}["Regional (MW)"] == fmt_mw(6.0)
    at.switch_page("pages/frontier.py").run()
    no_exception(at)
    assert at.segmented_control(key="frontier_model").value == "annual"
    assert at.selectbox(key="frontier_workload")                         # the annual page as before


@pytest.fixture
def tiny_flat(tmp_path, monkeypatch):
    yield from _served(tmp_path, monkeypatch, {k: v for k, v in TINY.items() if k != "time"}, "tiny_flat.json")


@pytest.mark.parametrize("page", ["frontier", "layers", "frictions"])
def test_no_switch_without_a_time_block(tiny_flat, page):
    at = open_app(page=page)
    with pytest.raises(KeyError):
        at.segmented_control(key=f"{page}_model")
