"""The metrics report (core/report.py) and its JSON (core/cli.py): every part present, valid JSON
(no NaN), the break-even pairs by hand on three nodes, and the compact pair table expanded back,
by docs/model.md's formulas, to core.metrics.break_even's rows."""
import json
import math

import numpy as np
import pandas as pd
import pytest
from conftest import build_provider_scenario
from numpy.testing import assert_allclose

from core import cli
from core.inputs import model_inputs
from core.metrics import break_even
from core.model import solve_scenario
from core.report import json_rows, metrics_report
from core.scenario import parse_scenario

REPORT_KEYS = {"scenario", "engine", "solution", "local_baseline", "savings", "rid", "realized_relocation",
               "frontier", "execution_layers", "friction_waterfall", "shadow_prices", "break_even",
               "break_even_pairs", "digital_vs_physical"}
ROW_KEYS = ["service", "compute", "workload", "rtt_ms", "gross_benefit_usd_per_mwh", "transfer_usd_per_mwh",
            "net_benefit_usd_per_mwh", "break_even_egress_usd_per_gb", "break_even_gb_per_mwh",
            "break_even_carbon_price_usd_per_t", "allowed", "reason"]


def expand_pairs(pairs: dict) -> dict[str, list[dict]]:
    """``break_even_pairs`` back to one record per pair, as docs/model.md defines its columns:
    net = gross − transfer, e* = (gross − φ)/g (null when g = 0), g* = (gross − φ)/e (null when
    e = 0), allowed = reason 0."""
    nodes, reasons, e = pairs["nodes"], pairs["reasons"], pairs["egress_usd_per_gb"]
    out = {}
    for w, block in pairs["workloads"].items():
        g, phi, transfer = block["gb_per_mwh"], block["fee_usd_per_mwh"], block["transfer_usd_per_mwh"]
        rows = []
        for i, (s, r) in enumerate(zip(pairs["service"], pairs["compute"])):
            gross, reason = block["gross_benefit_usd_per_mwh"][i], block["reason"][i]
            rows.append({"service": nodes[s], "compute": nodes[r], "workload": w, "rtt_ms": pairs["rtt_ms"][i],
                         "gross_benefit_usd_per_mwh": gross, "transfer_usd_per_mwh": transfer,
                         "net_benefit_usd_per_mwh": gross - transfer,
                         "break_even_egress_usd_per_gb": (gross - phi) / g if g > 0 else None,
                         "break_even_gb_per_mwh": (gross - phi) / e if e > 0 else None,
                         "break_even_carbon_price_usd_per_t": block["break_even_carbon_price_usd_per_t"][i],
                         "allowed": reason == 0, "reason": reasons[reason]})
        out[w] = rows
    return out


def no_constants(text: str):
    """json.loads that refuses NaN, Infinity and -Infinity (not JSON)."""
    def refuse(name):
        raise AssertionError(f"{name} in the JSON")
    return json.loads(text, parse_constant=refuse)


def run_metrics(capsys, path) -> tuple[str, dict]:
    assert cli.main(["metrics", str(path)]) == 0
    text = capsys.readouterr().out
    return text, no_constants(text)


def _three_nodes(tiny_scenario, **overrides):
    # a: $100, PUE 1.2, 500 g/kWh (marginal: the objective's signal), 10 MW of w at home.
    # b: $60, PUE 1.1, 100 g/kWh, capacity 4 MW, 20 ms from a.
    # c: $40, PUE 1.0, 50 g/kWh, 100 ms from a (beyond the 50 ms budget), 90 ms from b.
    # w: g = 20 GB/MWh, ω = 0.1; e = 0.05 $/GB, φ = 1 $/MWh, τ = 20 $/t; every friction on.
    kw = dict(
        name="three nodes",
        nodes=[{"id": "a", "pue": 1.2, "carbon_marginal_g_per_kwh": 500},
               {"id": "b", "lon": 1, "price_usd_per_mwh": 60, "pue": 1.1, "carbon_marginal_g_per_kwh": 100,
                "capacity_mw": 4},
               {"id": "c", "lon": 2, "price_usd_per_mwh": 40, "carbon_marginal_g_per_kwh": 50}],
        rtt_ms={"a": {"b": 20, "c": 100}, "b": {"c": 90}},
        workloads=[{"id": "w", "gb_per_mwh": 20, "migration_overhead": 0.1}],
        demand=[{"node": "a", "workload": "w", "mw": 10}],
        prices={"egress_usd_per_gb": 0.05, "migration_usd_per_mwh": 1},
        objective={"carbon_price_usd_per_t": 20})
    return tiny_scenario(**{**kw, **overrides})


@pytest.fixture
def three_nodes_file(tmp_path, tiny_scenario):
    path = tmp_path / "three.json"
    path.write_text(json.dumps(_three_nodes(tiny_scenario)))
    return path


def test_break_even_pairs_by_hand(capsys, three_nodes_file):
    _, out = run_metrics(capsys, three_nodes_file)
    pairs = out["break_even_pairs"]
    assert pairs["nodes"] == ["a", "b", "c"] and pairs["reasons"][0] == "allowed"
    # every ordered pair s ≠ r, by s then r
    assert list(zip(pairs["service"], pairs["compute"])) == [(0, 1), (0, 2), (1, 0), (1, 2), (2, 0), (2, 1)]
    assert_allclose(pairs["rtt_ms"], [20, 100, 20, 90, 100, 90])
    assert pairs["egress_usd_per_gb"] == 0.05
    w = pairs["workloads"]["w"]
    # transfer g·e + φ = 20·0.05 + 1 = 2 $/MWh
    assert (w["transfer_usd_per_mwh"], w["fee_usd_per_mwh"], w["gb_per_mwh"]) == (pytest.approx(2.0), 1.0, 20.0)
    # a → b: energy gap 1.2·100 − 1.1·1.1·60 = 120 − 72.6 = 47.4 $/MWh;
    #        carbon gap (1.2·500 − 1.21·100)/1000 = 0.479 t/MWh; gross 47.4 + 20·0.479 = 56.98;
    #        τ* = (2 − 47.4)/0.479 = −94.78 $/t (cleaner, pays at every τ)
    # a → c: energy gap 120 − 1.1·40 = 76; carbon gap (600 − 55)/1000 = 0.545; gross 76 + 10.9 = 86.9
    # b → a: energy gap 1.1·60 − 1.2·1.1·100 = 66 − 132 = −66; carbon gap (110 − 660)/1000 = −0.55;
    #        gross −66 − 11 = −77; τ* = (2 + 66)/(−0.55) = −123.6
    gross = w["gross_benefit_usd_per_mwh"]
    assert_allclose([gross[0], gross[1], gross[2]], [56.98, 86.9, -77.0], rtol=1e-12)
    tau = w["break_even_carbon_price_usd_per_t"]
    assert_allclose([tau[0], tau[2]], [(2 - 47.4) / 0.479, 68 / -0.55], rtol=1e-12)
    # a–c and b–c (90, 100 ms) are beyond the 50 ms budget; a–b (20 ms) allowed both ways
    assert [pairs["reasons"][i] for i in w["reason"]] == ["allowed", "latency", "allowed", "latency", "latency",
                                                          "latency"]
    # rows: only a → b carries work (b holds 4 MW): net 56.98 − 2 = 54.98, e* = (56.98 − 1)/20,
    # g* = (56.98 − 1)/0.05
    (row,) = out["break_even"]["w"]
    assert (row["service"], row["compute"], row["workload"], row["allowed"], row["reason"]) == ("a", "b", "w", True,
                                                                                                 "allowed")
    assert_allclose([row["mw"], row["net_benefit_usd_per_mwh"], row["break_even_egress_usd_per_gb"],
                     row["break_even_gb_per_mwh"]], [4.0, 54.98, 55.98 / 20, 55.98 / 0.05], rtol=1e-9)


def test_the_report_is_complete_and_valid_json(capsys, tmp_path, random_scenario, three_nodes_file):
    for path in (three_nodes_file, tmp_path / "random.json"):
        if path.name == "random.json":
            path.write_text(json.dumps(random_scenario(5)))
        text, out = run_metrics(capsys, path)
        sc = parse_scenario(json.loads(path.read_text()))
        n, workloads = len(sc.nodes), sc.workload_ids
        assert set(out) == REPORT_KEYS
        # one top-level key per line, so a reader can find a part with grep
        lines = text.splitlines()
        assert lines[0] == "{" and lines[-1] == "}" and len(lines) == len(REPORT_KEYS) + 2
        assert out["frontier"] and out["frontier"][0]["budget_ms"] == 0
        assert [r["step"] for r in out["friction_waterfall"]][1:] == ["egress", "migration", "state_locality",
                                                                      "legal", "capacity"]
        assert len(out["execution_layers"]) == 3 * len(workloads)
        assert len(out["shadow_prices"]["capacity"]) == n
        assert set(out["break_even"]) == set(workloads) == set(out["break_even_pairs"]["workloads"])
        pairs = out["break_even_pairs"]
        for key in ("service", "compute", "rtt_ms"):
            assert len(pairs[key]) == n * (n - 1)
        for block in pairs["workloads"].values():
            for key in ("gross_benefit_usd_per_mwh", "break_even_carbon_price_usd_per_t", "reason"):
                assert len(block[key]) == n * (n - 1)
        assert set(out["digital_vs_physical"]) == {"summary", "corridors"}


def _records_of(inp, workload: str) -> list[dict]:
    """break_even's rows with non-finite numbers as null, as the JSON has them."""
    def plain(v):
        v = v.item() if isinstance(v, np.generic) else v
        return None if isinstance(v, float) and not math.isfinite(v) else v
    return [{k: plain(v) for k, v in row.items()} for row in break_even(inp, workload).to_dict(orient="records")]


def _edge_case(tiny_scenario):
    # a second class with g = 0 (e* infinite for every pair) and a 200 ms budget (a–c allowed)
    return _three_nodes(tiny_scenario, workloads=[{"id": "w", "gb_per_mwh": 20, "migration_overhead": 0.1},
                                                  {"id": "nodata", "latency_budget_ms": 200}])


@pytest.mark.parametrize("case", ["random 2", "random 7", "random 13", "providers 4", "edge", "free egress"])
def test_compact_pairs_expand_to_the_break_even_records(capsys, tmp_path, tiny_scenario, random_scenario, case):
    data = {"edge": lambda: _edge_case(tiny_scenario),
            "free egress": lambda: {**_edge_case(tiny_scenario), "prices": {"egress_usd_per_gb": 0.0}},
            "providers 4": lambda: build_provider_scenario(4)}.get(case, lambda: random_scenario(int(case.split()[1])))()
    path = tmp_path / "s.json"
    path.write_text(json.dumps(data))
    _, out = run_metrics(capsys, path)
    inp = model_inputs(parse_scenario(data))
    expanded = expand_pairs(out["break_even_pairs"])
    for w in inp.workload_ids:
        want = _records_of(inp, w)
        assert len(expanded[w]) == len(want)
        for got, row in zip(expanded[w], want):
            assert list(got) == ROW_KEYS == list(row)
            for key in ROW_KEYS:
                if isinstance(row[key], float):
                    assert got[key] == pytest.approx(row[key], rel=1e-12, abs=1e-12), key
                else:
                    assert got[key] == row[key], key
    if case == "edge":
        nodata = expanded["nodata"]
        assert all(r["break_even_egress_usd_per_gb"] is None for r in nodata)
    if case == "free egress":
        assert all(r["break_even_gb_per_mwh"] is None for rows in expanded.values() for r in rows)


@pytest.mark.parametrize("seed", [1, 3, 8])
def test_break_even_rows_are_the_relocations_of_the_solution(random_scenario, seed):
    sc = parse_scenario(random_scenario(seed))
    out = metrics_report(sc, solve_engine="cvxpy", sweep_engine="highs")
    placement = solve_scenario(sc).placement
    moved = placement[placement["service"] != placement["compute"]]
    want = {(r.service, r.compute, r.workload): r.mw for r in moved.itertuples()}
    got = {(r["service"], r["compute"], r["workload"]): r["mw"] for rows in out["break_even"].values() for r in rows}
    assert set(got) == set(want)
    for key, mw in want.items():
        assert got[key] == pytest.approx(mw, abs=1e-7)
    # each row is break_even's row of its pair, plus mw
    inp = model_inputs(sc)
    for w, rows in out["break_even"].items():
        table = {(r["service"], r["compute"]): r for r in _records_of(inp, w)}
        for row in rows:
            assert {k: v for k, v in row.items() if k != "mw"} == table[(row["service"], row["compute"])]


def test_json_text_writes_numpy_and_non_finite_numbers():
    out = {"a": np.float64(1.5), "b": [np.int64(3), np.bool_(True), float("nan")],
           "c": {"x": np.array([1.0, np.inf, -np.inf]), "y": np.float32(0.25)}, "d": "NaN"}
    text = cli.json_text(out)
    assert no_constants(text) == {"a": 1.5, "b": [3, True, None], "c": {"x": [1.0, None, None], "y": 0.25},
                                  "d": "NaN"}
    assert text.endswith("}\n") and len(text.splitlines()) == 2 + len(out)


def test_json_rows_turns_non_finite_numbers_into_null():
    df = pd.DataFrame({"s": ["x", "y"], "v": [np.nan, 2.0], "n": [1, 2], "ok": [True, False], "i": [np.inf, 0.0]})
    rows = json_rows(df)
    assert rows == [{"s": "x", "v": None, "n": 1, "ok": True, "i": None}, {"s": "y", "v": 2.0, "n": 2, "ok": False,
                                                                            "i": 0.0}]
    assert all(type(r["n"]) is int and type(r["ok"]) is bool for r in rows)
