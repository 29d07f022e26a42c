"""The ``time`` block of a scenario (docs/model.md, "Time-resolved mode"): every validation rule,
the canonical JSON of scenarios without it, and CSV series files beside a scenario on disk."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest

from core.scenario import ScenarioError, default_scenario, load_scenario, loads_scenario, parse_scenario
from core.time_inputs import time_inputs


def _base(**time) -> dict:
    """Two nodes a, b; workloads chat, batch; a 4-period time block (period_hours left out)."""
    return {
        "nodes": [{"id": n, "lat": 0.0, "lon": float(i), "price_usd_per_mwh": 50.0 + i,
                   "carbon_avg_g_per_kwh": 100.0, "carbon_marginal_g_per_kwh": 300.0, "pue": 1.2,
                   "capacity_mw": 10.0} for i, n in enumerate(("a", "b"))],
        "workloads": [{"id": "chat", "latency_budget_ms": 50.0}, {"id": "batch", "latency_budget_ms": 500.0}],
        "demand": [{"node": "a", "workload": "chat", "mw": 2.0}, {"node": "b", "workload": "batch", "mw": 3.0}],
        "time": {"periods": 4, **time},
    }


def _error(data: dict) -> str:
    with pytest.raises(ScenarioError) as err:
        parse_scenario(data)
    return str(err.value)


CASES = [
    ({"periods": 0}, "time.periods: must be ≥ 1"),
    ({"periods": 2.0}, "time.periods: must be a whole number"),
    ({"periods": 40_000}, "time.periods: must be ≤ 35136"),
    ({"weight_hours": 0}, "time.weight_hours: must be a finite number > 0, got 0"),
    ({"weight_hours": -1.5}, "time.weight_hours: must be a finite number > 0"),
    ({"weight_hours": True}, "time.weight_hours: must be a number or a list of 4 numbers"),
    ({"weight_hours": "1"}, "time.weight_hours: must be a number or a list of 4 numbers"),
    ({"weight_hours": [1, 1, 1]}, "time.weight_hours: expected 4 numbers, got 3"),
    ({"weight_hours": [1, 1, "x", 1]}, "time.weight_hours[2]: must be a finite number > 0"),
    ({"weight_hours": [1, 1, 0, 1]}, "time.weight_hours[2]: must be a finite number > 0"),
    ({"block_periods": 3}, "time.block_periods: must divide periods (4), got 3"),
    ({"block_periods": 8}, "time.block_periods: must divide periods (4), got 8"),
    ({"block_periods": 0}, "time.block_periods: must be ≥ 1"),
    ({"block_periods": 2, "weight_hours": [1, 2, 3, 3]}, "time.weight_hours[1]: must equal the weight of its block's first period 0"),
    ({"weight_hours": 300_000}, "time.weight_hours: the periods add up to 1.2e+06 h"),
    ({"price_usd_per_mwh": {"a": [1, 2, 3]}}, "time.price_usd_per_mwh.a: expected 4 numbers, got 3"),
    ({"price_usd_per_mwh": {"zz": [1, 2, 3, 4]}}, "time.price_usd_per_mwh.zz: unknown node id 'zz'"),
    ({"price_usd_per_mwh": {"a": [1, 2, "3", 4]}}, "time.price_usd_per_mwh.a[2]: must be a number"),
    ({"price_usd_per_mwh": {"a": [1, 2, None, 4]}}, "time.price_usd_per_mwh.a[2]: must be a number"),
    ({"carbon_avg_g_per_kwh": {"a": [1, -2, 3, 4]}}, "time.carbon_avg_g_per_kwh.a[1]: must be ≥ 0"),
    ({"carbon_marginal_g_per_kwh": {"b": [1, 2, 3, -4]}}, "time.carbon_marginal_g_per_kwh.b[3]: must be ≥ 0"),
    ({"carbon_marginal_g_per_kwh": {"b": [1, 2, 3, 4, 5]}}, "time.carbon_marginal_g_per_kwh.b: expected 4 numbers, got 5"),
    ({"demand_factor": {"a": {"chat": [1, -1, 1, 1]}}}, "time.demand_factor.a.chat[1]: must be ≥ 0"),
    ({"demand_factor": {"a": {"chat": [1, 1]}}}, "time.demand_factor.a.chat: expected 4 numbers, got 2"),
    ({"demand_factor": {"zz": {"chat": [1, 1, 1, 1]}}}, "time.demand_factor.zz: unknown node id 'zz'"),
    ({"demand_factor": {"a": {"zz": [1, 1, 1, 1]}}}, "time.demand_factor.a.zz: unknown workload id 'zz'"),
    ({"demand_factor": {"a": [1, 1, 1, 1]}}, "time.demand_factor.a: must be an object"),
    ({"prices": {}}, "time.prices: unknown field"),
    ({"price_usd_per_mwh": "prices.csv"}, "time.price_usd_per_mwh: a series file ('prices.csv') is read only from a scenario file on disk"),
]


@pytest.mark.parametrize("time, message", CASES, ids=[c[1][:45] for c in CASES])
def test_every_rule_names_the_field(time, message):
    assert message in _error(_base(**time))


def test_non_finite_numbers_in_text_are_refused():
    text = json.dumps(_base(price_usd_per_mwh={"a": [1, 2, 3, 4]})).replace("[1, 2, 3, 4]", "[1, 2, NaN, 4]")
    with pytest.raises(ScenarioError, match=r"time.price_usd_per_mwh.a\[2\]: must be a finite number"):
        loads_scenario(text)


def test_period_hours_equals_the_weights_or_becomes_them():
    assert parse_scenario(_base(weight_hours=2.5)).period_hours == 10.0
    assert parse_scenario({**_base(weight_hours=[1, 1, 3, 3], block_periods=2), "period_hours": 8}).period_hours == 8.0
    assert "period_hours: must equal the time block's total weight_hours (4 h), got 8760" in _error(
        {**_base(), "period_hours": 8760})


def test_deferrable_periods_is_a_whole_number_at_least_zero():
    data = _base()
    data["workloads"][1]["deferrable_periods"] = -1
    assert "batch (workloads[1]).deferrable_periods: must be ≥ 0" in _error(data)
    data["workloads"][1]["deferrable_periods"] = 1.5
    assert "batch (workloads[1]).deferrable_periods: must be a whole number" in _error(data)
    data["workloads"][1]["deferrable_periods"] = 9     # more than a block: waits until the block's end
    assert parse_scenario(data).workloads[1].deferrable_periods == 9


def test_negative_prices_are_allowed_and_series_fill_the_arrays():
    sc = parse_scenario(_base(weight_hours=2, block_periods=2, price_usd_per_mwh={"b": [-10, 0, 20, 30]},
                              demand_factor={"a": {"chat": [0, 1, 2, 1]}}))
    ti = time_inputs(sc)
    assert ti.price_usd_per_mwh.tolist() == [[50.0] * 4, [-10.0, 0.0, 20.0, 30.0]]
    assert ti.demand_mw[0, 0].tolist() == [0.0, 2.0, 4.0, 2.0]          # 2 MW × factor
    assert ti.demand_mw[1, 1].tolist() == [3.0] * 4                     # no factor: 1
    assert ti.carbon_marginal_g_per_kwh.tolist() == [[300.0] * 4] * 2   # no series: constant
    assert ti.weight_hours.tolist() == [2.0] * 4 and ti.n_blocks == 2 and ti.period_hours == 8.0


def test_scenarios_without_the_new_fields_keep_their_canonical_json():
    sc = default_scenario()
    data = sc.to_dict()
    assert "time" not in data and all("deferrable_periods" not in w for w in data["workloads"])
    timed = parse_scenario(_base(weight_hours=[1, 1, 2, 2], block_periods=2))
    again = loads_scenario(timed.to_json())
    assert again.to_json() == timed.to_json() and again.time.weight_hours == [1.0, 1.0, 2.0, 2.0]


# ---------------------------------------------------------------------------------------------
# CSV series files

def _write(folder, name: str, text: str) -> None:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _scenario_file(folder, **time) -> str:
    path = folder / "sc.json"
    path.write_text(json.dumps(_base(**time)), encoding="utf-8")
    return str(path)


def test_series_files_beside_the_scenario_are_read(tmp_path):
    _write(tmp_path, "prices.csv", "utc,a,b\n2024-01-01T00,10,-5\n2024-01-01T01,11,6\n\n2024-01-01T02,12,7\n"
                                   "2024-01-01T03,13,8.5\n")
    _write(tmp_path, "series/demand.csv", "a/chat,b/batch\n1,0\n2,0.5\n1,1\n0,2\n")
    sc = load_scenario(_scenario_file(tmp_path, price_usd_per_mwh="prices.csv", demand_factor="series/demand.csv"))
    assert sc.time.price_usd_per_mwh == {"a": [10.0, 11.0, 12.0, 13.0], "b": [-5.0, 6.0, 7.0, 8.5]}
    assert sc.time.demand_factor == {"a": {"chat": [1.0, 2.0, 1.0, 0.0]}, "b": {"batch": [0.0, 0.5, 1.0, 2.0]}}
    # the loaded scenario carries the numbers: its JSON text is self-contained
    assert loads_scenario(sc.to_json()).to_json() == sc.to_json()


@pytest.mark.parametrize("name, text, message", [
    ("p.csv", "a,b\n1,2\n3,4\n", "time.price_usd_per_mwh.a: expected 4 numbers, got 2"),
    ("p.csv", "a,zz\n1,2\n3,4\n5,6\n7,8\n", "time.price_usd_per_mwh.zz: unknown node id 'zz'"),
    ("p.csv", "a,b\n1,2\n3,x\n5,6\n7,8\n", "time.price_usd_per_mwh.b: p.csv row 3: expected a finite number, got 'x'"),
    ("p.csv", "a,b\n1,2\n3,nan\n5,6\n7,8\n", "time.price_usd_per_mwh.b: p.csv row 3: expected a finite number"),
    ("p.csv", "a,a\n1,2\n3,4\n5,6\n7,8\n", "time.price_usd_per_mwh: p.csv: column 'a' is given twice"),
    ("p.csv", "", "time.price_usd_per_mwh: p.csv is empty"),
])
def test_bad_series_files_name_the_field(tmp_path, name, text, message):
    _write(tmp_path, name, text)
    with pytest.raises(ScenarioError) as err:
        load_scenario(_scenario_file(tmp_path, price_usd_per_mwh=name))
    assert message in str(err.value)


def test_demand_factor_columns_are_node_slash_workload(tmp_path):
    _write(tmp_path, "d.csv", "a\n1\n1\n1\n1\n")
    with pytest.raises(ScenarioError, match="time.demand_factor: d.csv: column 'a' must be named node/workload"):
        load_scenario(_scenario_file(tmp_path, demand_factor="d.csv"))


@pytest.mark.parametrize("name, message", [
    ("../p.csv", "without '..'"),
    ("sub/../../p.csv", "without '..'"),
    ("/etc/p.csv", "relative path"),
    ("C:\\p.csv", "relative path"),
    ("p.txt", "must be a .csv file"),
    ("missing.csv", "cannot read missing.csv"),
])
def test_series_paths_stay_inside_the_scenario_folder(tmp_path, name, message):
    inner = tmp_path / "inner"
    inner.mkdir()
    _write(tmp_path, "p.csv", "a\n1\n2\n3\n4\n")
    with pytest.raises(ScenarioError) as err:
        load_scenario(_scenario_file(inner, price_usd_per_mwh=name))
    assert str(err.value).startswith("time.price_usd_per_mwh: ") and message in str(err.value)


def test_a_symbolic_link_out_of_the_folder_is_refused(tmp_path):
    inner = tmp_path / "inner"
    inner.mkdir()
    _write(tmp_path, "p.csv", "a\n1\n2\n3\n4\n")
    (inner / "p.csv").symlink_to(tmp_path / "p.csv")
    with pytest.raises(ScenarioError, match="lies outside the scenario's folder"):
        load_scenario(_scenario_file(inner, price_usd_per_mwh="p.csv"))


def test_text_never_reads_a_file(tmp_path):
    _write(tmp_path, "p.csv", "a\n1\n2\n3\n4\n")
    text = json.dumps(_base(price_usd_per_mwh="p.csv"))
    cwd = os.getcwd()
    try:
        os.chdir(tmp_path)           # even with the file in the working folder
        with pytest.raises(ScenarioError, match="time.price_usd_per_mwh: a series file"):
            loads_scenario(text)
    finally:
        os.chdir(cwd)


def test_inline_series_in_text_are_bounded_by_the_text_limit():
    data = _base(periods=35_000, price_usd_per_mwh={"a": list(np.linspace(0, 1, 35_000)),
                                                    "b": list(np.linspace(1, 2, 35_000))})
    for name in ("carbon_avg_g_per_kwh", "carbon_marginal_g_per_kwh"):
        data["time"][name] = {n: list(np.linspace(0, 1, 35_000)) for n in ("a", "b")}
    data["time"]["demand_factor"] = {"a": {"chat": list(np.linspace(0, 1, 35_000))},
                                     "b": {"batch": list(np.linspace(0, 1, 35_000))}}
    with pytest.raises(ScenarioError, match="the limit is 5,000,000"):
        loads_scenario(json.dumps(data))
