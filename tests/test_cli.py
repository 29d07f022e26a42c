"""`python -m core solve|frontier|metrics` end to end, in a subprocess."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
from numpy.testing import assert_allclose

REPO = Path(__file__).resolve().parent.parent

SOLVE_KEYS = {"status", "objective_usd", "cost_usd", "emissions_t", "emissions_avg_t",
              "emissions_marginal_t", "unserved_mw", "placement"}
PLACEMENT_KEYS = {"service", "compute", "workload", "mw"}
POINT_KEYS = {"budget_ms", "objective_usd", "cost_usd", "emissions_t", "unserved_mw", "savings_usd",
              "rid", "relocated_share"}


def run(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "core", *map(str, args)], cwd=REPO, input=stdin,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def scenario_file(tmp_path, tiny_scenario):
    # home $100 (carbon 500 g/kWh avg and marginal), away $50 (200 avg / 300 marginal), cap 4 MW,
    # rtt 20 ms, budget 50, 10 MW at home, H = 10 h, τ = 0.
    d = tiny_scenario(nodes=[{"id": "home", "carbon_avg_g_per_kwh": 500, "carbon_marginal_g_per_kwh": 500},
                             {"id": "away", "price_usd_per_mwh": 50, "capacity_mw": 4,
                              "carbon_avg_g_per_kwh": 200, "carbon_marginal_g_per_kwh": 300}])
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(d))
    return path


def _check_solve_output(out: dict):
    assert SOLVE_KEYS <= set(out)
    # 4 MW away (capacity), 6 MW home:
    #   C = 10·(6·100 + 4·50) = 8000 $
    #   E_avg = 10·(6·0.5 + 4·0.2) = 38 t; E_marg = 10·(6·0.5 + 4·0.3) = 42 t (the objective's signal)
    assert out["status"] == "optimal"
    assert_allclose([out["objective_usd"], out["cost_usd"]], [8000.0, 8000.0], rtol=1e-7)
    assert_allclose([out["emissions_t"], out["emissions_avg_t"], out["emissions_marginal_t"]], [42.0, 38.0, 42.0],
                    rtol=1e-7)
    assert_allclose(out["unserved_mw"], 0.0, atol=1e-7)
    rows = {(p["service"], p["compute"], p["workload"]): p["mw"] for p in out["placement"]}
    assert all(PLACEMENT_KEYS <= set(p) for p in out["placement"])
    assert set(rows) == {("home", "home", "w"), ("home", "away", "w")}
    assert_allclose([rows[("home", "home", "w")], rows[("home", "away", "w")]], [6.0, 4.0], atol=1e-6)


def test_solve_prints_model_md_json(scenario_file):
    res = run("solve", scenario_file)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)  # stdout is JSON only: no solver banner
    _check_solve_output(out)
    assert out["engine"] == "cvxpy"  # auto: 2²·1 = 4 arcs ≤ 20 000, the model of record


@pytest.mark.parametrize("engine", ["cvxpy", "highs", "network"])
def test_solve_every_engine_gives_the_hand_placement(scenario_file, engine):
    # every engine prints the same keys and the hand-worked numbers of _check_solve_output
    # (the network path within its ~1e-6 relative bound: the checks use rtol 1e-7 / atol 1e-6,
    # and its gap here is one flow unit, 10 MW / 2**35)
    res = run("solve", scenario_file, "--engine", engine)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["engine"] == engine
    _check_solve_output(out)


def test_solve_reads_stdin(scenario_file):
    res = run("solve", "-", stdin=scenario_file.read_text())
    assert res.returncode == 0, res.stderr
    _check_solve_output(json.loads(res.stdout))


def test_solve_reads_yaml(tmp_path, scenario_file):
    import yaml

    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(json.loads(scenario_file.read_text())))
    res = run("solve", path)
    assert res.returncode == 0, res.stderr
    _check_solve_output(json.loads(res.stdout))


def test_frontier_with_budgets(scenario_file):
    res = run("frontier", scenario_file, "--budgets", "0,10,25")
    assert res.returncode == 0, res.stderr
    points = json.loads(res.stdout)["points"]
    assert [p["budget_ms"] for p in points] == [0, 10, 25]
    assert all(POINT_KEYS <= set(p) for p in points)
    # b = 0, 10: all home, C = 10·10·100 = 10000; b = 25 (≥ 20 ms): C = 8000, savings 2000,
    # RID = 10/10 = 1, relocated share 4/10 = 0.4
    assert_allclose([p["cost_usd"] for p in points], [10000, 10000, 8000], rtol=1e-7)
    assert_allclose([p["savings_usd"] for p in points], [0, 0, 2000], atol=1e-6)
    assert_allclose([p["rid"] for p in points], [0, 0, 1], atol=1e-12)
    assert_allclose([p["relocated_share"] for p in points], [0, 0, 0.4], atol=1e-7)
    assert_allclose([p["unserved_mw"] for p in points], [0, 0, 0], atol=1e-7)


@pytest.mark.parametrize("engine", ["highs", "cvxpy", "network", "auto"])
def test_frontier_engines_give_the_hand_costs(scenario_file, engine):
    res = run("frontier", scenario_file, "--budgets", "0,25", "--engine", engine)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["engine"] == ("highs" if engine == "auto" else engine)  # auto: a sweep is highs
    # as above: C(0) = 10000, C(25) = 8000 (the network path within its ~1e-6 relative bound)
    assert_allclose([p["cost_usd"] for p in out["points"]], [10000, 8000], rtol=1e-6)


def test_frontier_exact_without_budgets(scenario_file):
    res = run("frontier", scenario_file)
    assert res.returncode == 0, res.stderr
    points = json.loads(res.stdout)["points"]
    # breakpoints: 0 and the only admissible arc's rtt, 20 ms
    assert [p["budget_ms"] for p in points] == [0, 20]


def _assert_one_line_error(res, *needles):
    assert res.returncode != 0
    assert res.stdout == ""
    assert "Traceback" not in res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_invalid_scenario_exits_with_one_line_naming_the_field(tmp_path, tiny_scenario):
    d = tiny_scenario()
    d["nodes"][1]["pue"] = 0.8
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(d))
    _assert_one_line_error(run("solve", path), "away (nodes[1]).pue")
    _assert_one_line_error(run("frontier", path, "--budgets", "0,10"), "away (nodes[1]).pue")


def test_invalid_json_on_stdin_is_one_line(tiny_scenario):
    _assert_one_line_error(run("solve", "-", stdin="{not json"), "JSON")


def test_nonexistent_file_is_one_line(tmp_path):
    _assert_one_line_error(run("solve", tmp_path / "nope.json"), "nope.json")


def test_unknown_workload_for_frontier_is_one_line(scenario_file):
    _assert_one_line_error(run("frontier", scenario_file, "--workload", "nope"), "--workload", "nope")


def test_help():
    res = run("--help")
    assert res.returncode == 0
    assert "solve" in res.stdout and "frontier" in res.stdout
    res = run("frontier", "--help")
    assert res.returncode == 0 and "--budgets" in res.stdout


@pytest.mark.parametrize("budgets", ["0,x", "-5", "0,inf", ""])
def test_bad_budgets_fail(scenario_file, budgets):
    res = run("frontier", scenario_file, "--budgets", budgets)
    assert res.returncode != 0
    assert res.stdout == ""
    assert "Traceback" not in res.stderr


def test_metrics_command(scenario_file):
    # Only once core/report.py (metrics_report) exists.
    pytest.importorskip("core.report")
    res = run("metrics", scenario_file)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["engine"] == {"solve": "cvxpy", "sweep": "highs"}   # auto on 4 arcs
    # solution as in _check_solve_output: C = 8000 $, 6 MW home, 4 MW away; local: C = 10·10·100 = 10000
    assert_allclose([out["solution"]["cost_usd"], out["local_baseline"]["cost_usd"]], [8000, 10000], rtol=1e-7)
    # savings 2000 $; carbon (marginal, the objective's signal) 10·10·0.5 − 42 = 50 − 42 = 8 t
    assert_allclose([out["savings"]["savings_usd"], out["savings"]["carbon_savings_t"]], [2000, 8], rtol=1e-7)
    # RID: all 10 MW at home have a strictly cheaper allowed region → 1; realized 4/10
    assert_allclose([out["rid"], out["realized_relocation"]], [1.0, 0.4], rtol=1e-7)
    layers = {(r["workload"], r["layer"]): r["mw"] for r in out["execution_layers"]}
    # away is 20 ms ≤ regional_ms 30 → regional
    assert_allclose([layers[("w", "local")], layers[("w", "regional")], layers[("w", "energy-oriented")]],
                    [6, 4, 0], atol=1e-6)
    cap = {r["node"]: r["capacity_shadow_usd_per_mw"] for r in out["shadow_prices"]["capacity"]}
    # one more MW at away displaces one at home: (100 − 50)·10 h = 500 $/MW; demand at home: 100·10
    assert_allclose([cap["away"], cap["home"]], [500, 0], atol=1e-4)
    dem = {r["service"]: r["marginal_cost_usd_per_mw"] for r in out["shadow_prices"]["demand"]}
    assert_allclose(dem["home"], 1000, rtol=1e-6)
    wf = out["friction_waterfall"]
    # no frictions: capacity unlimited, all 10 MW away: 10·10·50 = 5000; all on: 2000
    assert wf[0]["frictions_on"] == "none" and wf[-1]["frictions_on"].count(",") == 4
    assert_allclose([wf[0]["savings_usd"], wf[-1]["savings_usd"]], [5000, 2000], rtol=1e-7)
    # break-even, home → away: gross 100 − 50 = 50 $/MWh, no transfer (g = 0, φ = 0), e* none (g = 0),
    # g* = 50 / 0.02 = 2500 GB/MWh, τ* = (0 − 50) / ((500 − 300)/1000) = −250 $/t; it is the one
    # pair that carries work (4 MW). away → home: gross 50 − 100 = −50, τ* = 50 / −0.2 = −250.
    (row,) = out["break_even"]["w"]
    assert (row["service"], row["compute"], row["reason"], row["break_even_egress_usd_per_gb"]) == \
        ("home", "away", "allowed", None)
    assert_allclose([row["mw"], row["net_benefit_usd_per_mwh"], row["break_even_gb_per_mwh"],
                     row["break_even_carbon_price_usd_per_t"]], [4, 50, 2500, -250], rtol=1e-9)
    pairs = out["break_even_pairs"]
    assert pairs["nodes"] == ["home", "away"] and (pairs["service"], pairs["compute"]) == ([0, 1], [1, 0])
    w = pairs["workloads"]["w"]
    assert (w["transfer_usd_per_mwh"], w["fee_usd_per_mwh"], w["gb_per_mwh"], w["reason"]) == (0, 0, 0, [0, 0])
    assert_allclose(w["gross_benefit_usd_per_mwh"] + w["break_even_carbon_price_usd_per_t"], [50, -50, -250, -250],
                    rtol=1e-12)
    assert res.stdout.count("\n") == len(out) + 2   # one top-level key per line, between { and }


@pytest.mark.parametrize("engine", ["cvxpy", "highs", "network"])
def test_metrics_engine_is_explicit(scenario_file, engine):
    res = run("metrics", scenario_file, "--engine", engine)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["engine"] == {"solve": engine, "sweep": engine}
    # as in test_metrics_command: C = 8000 $, local 10000 $; waterfall ends at savings 2000 $
    assert_allclose([out["solution"]["cost_usd"], out["local_baseline"]["cost_usd"]], [8000, 10000], rtol=1e-7)
    assert_allclose(out["friction_waterfall"][-1]["savings_usd"], 2000, rtol=1e-6)
    assert_allclose([p["cost_usd"] for p in out["frontier"]], [10000, 8000], rtol=1e-6)  # breakpoints 0, 20
    cap = {r["node"]: r["capacity_shadow_usd_per_mw"] for r in out["shadow_prices"]["capacity"]}
    if engine == "network":   # no duals: null, never a made-up number
        assert cap == {"home": None, "away": None}
    else:                     # (100 − 50)·10 h = 500 $/MW at away
        assert_allclose([cap["away"], cap["home"]], [500, 0], atol=1e-4)


def test_engine_option_on_every_command():
    for command in ("solve", "frontier", "metrics"):
        res = run(command, "--help")
        assert res.returncode == 0 and "--engine" in res.stdout and "auto" in res.stdout, command
    res = run("solve", "x.json", "--engine", "gurobi")
    assert res.returncode == 2 and "invalid choice" in res.stderr
