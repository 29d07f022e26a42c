"""core.sweep and ``python -m core sweep``: hand-checked draws, determinism by seed (batch sizes,
in process against a real Dask scheduler with two workers started here), rows re-solved with
the model of record, quantiles against numpy, cancellation, the CLI's JSON, CSV and errors."""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from browser_support import free_port, stop_process_groups
from core.cli import main
from core.distributed import ENV_SCHEDULER, SchedulerUnreachable
from core.inputs import model_inputs
from core.metrics import local_inputs
from core.model import PlacementModel
from core.scenario import ScenarioError, default_scenario, parse_scenario
from core.sweep import IN_PROCESS, OUTPUTS, QUANTILES, SUMMARY_OUTPUTS, sweep, sweep_iter
from core.uncertainty import apply_draw, uncertain_inputs

REPO = Path(__file__).resolve().parent.parent
DASK = REPO / ".venv" / "bin" / "dask"
DEFAULT_PATH = REPO / "scenarios" / "default.json"
H, D = 10.0, 10.0   # the tiny scenario's period [h] and demand at home [MW]


def _tiny_dict(tiny_scenario) -> dict:
    """home ($90–110/MWh, 500 g/kWh) and away ($40–60, 300 g/kWh marginal, capacity 2–8 MW),
    20 ms apart, budget 50 ms, 10 MW at home for 10 h, τ = 0, no transfer cost."""
    return tiny_scenario(
        nodes=[{"id": "home", "carbon_avg_g_per_kwh": 500, "carbon_marginal_g_per_kwh": 500},
               {"id": "away", "price_usd_per_mwh": 50, "capacity_mw": 4,
                "carbon_avg_g_per_kwh": 200, "carbon_marginal_g_per_kwh": 300}],
        uncertainty=[{"field": "nodes[home].price_usd_per_mwh", "low": 90, "high": 110},
                     {"field": "nodes[away].price_usd_per_mwh", "low": 40, "high": 60},
                     {"field": "nodes[away].capacity_mw", "low": 2, "high": 8}])


@pytest.fixture
def tiny(tiny_scenario):
    return parse_scenario(_tiny_dict(tiny_scenario))


@pytest.fixture(scope="module")
def default_sc():
    return default_scenario()


@pytest.fixture(scope="module")
def reference(default_sc):
    """12 draws of the default scenario, in this process, one batch."""
    return sweep(default_sc, 12, 4, scheduler=IN_PROCESS, batch_size=50)


# --- values worked out by hand ------------------------------------------------------------------

def test_tiny_draws_match_the_hand_solution(tiny):
    r = sweep(tiny, 16, 1, scheduler=IN_PROCESS)
    d = r.draws
    ph, pa, cap = (d[f] for f in ("nodes[home].price_usd_per_mwh", "nodes[away].price_usd_per_mwh",
                                  "nodes[away].capacity_mw"))
    # away is always cheaper (≤ 60 < 90 $/MWh), so it fills its capacity c; home serves 10 − c:
    #   C = H·((D − c)·p_home + c·p_away), local C = H·D·p_home, savings = H·c·(p_home − p_away)
    #   E_marg = H·((D − c)·0.5 + c·0.3) t, local 50 t, carbon savings = H·c·0.2 t
    assert_allclose(d["cost_usd"], H * ((D - cap) * ph + cap * pa), rtol=1e-9)
    assert_allclose(d["objective_usd"], d["cost_usd"], rtol=1e-12)
    assert_allclose(d["savings_usd"], H * cap * (ph - pa), rtol=1e-9)
    assert_allclose(d["emissions_t"], H * ((D - cap) * 0.5 + cap * 0.3), rtol=1e-9)
    assert_allclose(d["carbon_savings_t"], H * cap * 0.2, rtol=1e-9)
    assert_allclose(d["carbon_savings_avg_t"], H * cap * 0.3, rtol=1e-9)   # 500 − 200 g/kWh avg
    assert_allclose(d["relocated_share"], cap / D, rtol=1e-9)
    assert_allclose(d["unserved_mw"], 0.0, atol=1e-9)
    assert list(d.columns) == ["draw", *(e.field for e in r.inputs), *OUTPUTS]
    assert list(d["draw"]) == list(range(16))
    # one corridor per draw, home → away, carrying the capacity drawn
    c = r.corridors
    assert list(c["draw"]) == list(range(16))
    assert set(zip(c["service"], c["compute"])) == {("home", "away")}
    assert_allclose(c["mw"], cap, rtol=1e-9)
    shares = r.corridor_shares()
    assert shares[["service", "compute", "draws_with_flow", "share"]].values.tolist() == [["home", "away", 16, 1.0]]
    assert_allclose(shares["mean_mw"], cap.mean(), rtol=1e-9)
    # the draws span their ranges: a Latin hypercube has one draw in each 1/16 of each range
    assert sorted(np.floor((pa - 40) / 20 * 16).astype(int)) == list(range(16))


def test_tiny_frontier_band(tiny):
    r = sweep(tiny, 8, 2, scheduler=IN_PROCESS, frontier_budgets_ms=[50, 0, 10])
    f = r.frontier
    assert sorted(f["budget_ms"].unique()) == [0.0, 10.0, 50.0]
    savings = H * r.draws["nodes[away].capacity_mw"] * (r.draws["nodes[home].price_usd_per_mwh"]
                                                         - r.draws["nodes[away].price_usd_per_mwh"])
    # below the 20 ms round trip nothing moves; at 50 ms the draw's own savings
    assert_allclose(f.loc[f["budget_ms"] < 20, "savings_usd"], 0.0, atol=1e-6)
    assert_allclose(f.loc[f["budget_ms"] == 50, "savings_usd"].to_numpy(), savings.to_numpy(), rtol=1e-9)
    band = r.frontier_band("savings_usd").set_index("budget_ms")
    assert_allclose(band.loc[50.0, list(QUANTILES)].to_numpy(dtype=float),
                    np.percentile(savings, [5, 25, 50, 75, 95]), rtol=1e-9)


def test_engines_agree_on_the_tiny_case(tiny):
    highs = sweep(tiny, 6, 3, scheduler=IN_PROCESS)
    cvxpy = sweep(tiny, 6, 3, scheduler=IN_PROCESS, engine="cvxpy")
    assert (highs.engine, cvxpy.engine) == ("highs", "cvxpy")
    assert_allclose(cvxpy.draws[list(OUTPUTS)].to_numpy(), highs.draws[list(OUTPUTS)].to_numpy(), rtol=1e-7, atol=1e-6)


# --- determinism, quantiles, re-solves ---------------------------------------------------------

@pytest.mark.parametrize("batch_size", [1, 7])
def test_same_numbers_whatever_the_batch_size(default_sc, reference, batch_size):
    r = sweep(default_sc, 12, 4, scheduler=IN_PROCESS, batch_size=batch_size)
    pd.testing.assert_frame_equal(r.draws, reference.draws, check_exact=True)
    pd.testing.assert_frame_equal(r.corridors, reference.corridors, check_exact=True)


def test_another_seed_gives_other_draws(default_sc, reference):
    other = sweep(default_sc, 3, 5, scheduler=IN_PROCESS)
    fields = [e.field for e in reference.inputs]
    assert not np.allclose(other.draws[fields].to_numpy(), reference.draws[fields].to_numpy()[:3])


def test_summary_is_numpy_on_the_same_draws(reference):
    s = reference.summary()
    assert set(s) == {*SUMMARY_OUTPUTS, "draws", "draws_requested", "seed", "cancelled"}
    assert (s["draws"], s["draws_requested"], s["seed"], s["cancelled"]) == (12, 12, 4, False)
    for name in SUMMARY_OUTPUTS:
        v = reference.draws[name].to_numpy()
        assert s[name]["mean"] == pytest.approx(v.sum() / v.size, rel=1e-12)
        # numpy's default (linear) method: p = v_sorted[j] + (q·(n−1) − j)·(v_sorted[j+1] − v_sorted[j])
        srt = np.sort(v)
        for key, q in QUANTILES.items():
            pos = q * (v.size - 1)
            j = int(np.floor(pos))
            expected = srt[j] + (pos - j) * (srt[min(j + 1, v.size - 1)] - srt[j])
            assert s[name][key] == pytest.approx(expected, rel=1e-12, abs=1e-9), (name, key)


def test_rows_resolved_with_the_model_of_record(default_sc, reference):
    inputs = list(reference.inputs)
    fields = [e.field for e in inputs]
    for i in (0, 11):
        row = reference.draws.iloc[i]
        sc = apply_draw(default_sc, inputs, row[fields].to_numpy(dtype=float))
        model = PlacementModel.for_scenario(sc)
        inp = model_inputs(sc)
        sol, local = model.solve(inp), model.solve(local_inputs(inp))
        assert row["objective_usd"] == pytest.approx(sol.objective_usd, rel=1e-6)
        assert row["savings_usd"] == pytest.approx(local.cost_usd - sol.cost_usd, abs=1e-6 * local.cost_usd)
        assert row["emissions_marginal_t"] == pytest.approx(sol.emissions_marginal_t, rel=1e-6)


def test_bad_arguments_name_the_field(tiny):
    for kwargs, field in (({"draws": 0, "seed": 1}, "draws"), ({"draws": 2.5, "seed": 1}, "draws"),
                          ({"draws": 3, "seed": -1}, "seed"), ({"draws": 3, "seed": 1, "batch_size": 0}, "batch_size"),
                          ({"draws": 3, "seed": 1, "engine": "network"}, "engine"),
                          ({"draws": 3, "seed": 1, "frontier_budgets_ms": [-1]}, "frontier_budgets_ms")):
        with pytest.raises(ScenarioError) as err:
            sweep(tiny, scheduler=IN_PROCESS, **kwargs)
        assert err.value.field == field
    with pytest.raises(ScenarioError) as err:
        sweep(tiny.model_copy(update={"uncertainty": []}), 3, 1, scheduler=IN_PROCESS)
    assert err.value.field == "uncertainty"


# --- cancellation ----------------------------------------------------------------------------------

def test_cancel_in_process_stops_early_and_says_so(tiny):
    shares = []
    partials = list(sweep_iter(tiny, 40, 1, scheduler=IN_PROCESS, batch_size=5, progress=shares.append,
                               cancelled=lambda: len(shares) > 2))   # 0, then two batches of 5
    assert [p.n_draws for p in partials] == [5, 10, 10]
    last = partials[-1]
    assert last.cancelled and not last.complete and last.n_requested == 40
    assert list(last.draws["draw"]) == list(range(10))
    assert shares == [0.0, 5 / 40, 10 / 40]
    assert sweep(tiny, 40, 1, scheduler=IN_PROCESS, batch_size=5, cancelled=lambda: True).n_draws == 0


# --- a real scheduler and two workers, started here --------------------------------------------


@pytest.fixture(scope="module")
def scheduler_address(tmp_path_factory):
    """``dask scheduler`` and two ``dask worker`` processes on 127.0.0.1 (own process groups,
    stopped after the module: SIGTERM, then SIGKILL after 10 s)."""
    from distributed import Client

    folder = tmp_path_factory.mktemp("dask")
    file = folder / "scheduler.json"
    env = {**os.environ, "PYTHONPATH": str(REPO), "DASK_DISTRIBUTED__LOGGING__DISTRIBUTED": "error"}
    env.pop(ENV_SCHEDULER, None)
    common = dict(cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    procs = [subprocess.Popen([str(DASK), "scheduler", "--host", "127.0.0.1", "--port", "0",
                               "--scheduler-file", str(file), "--no-dashboard",
                               "--dashboard-address", "127.0.0.1:0"], **common)]   # HTTP routes: not :8787
    try:
        deadline = time.monotonic() + 60
        while not file.exists() or not file.read_text().strip():
            assert procs[0].poll() is None and time.monotonic() < deadline, "the scheduler did not start"
            time.sleep(0.1)
        for _ in range(2):
            procs.append(subprocess.Popen([str(DASK), "worker", "--scheduler-file", str(file), "--nworkers", "1",
                                           "--nthreads", "1", "--host", "127.0.0.1", "--no-dashboard"], **common))
        address = json.loads(file.read_text())["address"]
        with Client(address, timeout="30s", set_as_default=False) as client:
            client.wait_for_workers(2, timeout=90)
        yield address
    finally:
        stop_process_groups(procs)


def test_real_scheduler_gives_the_in_process_numbers(default_sc, reference, scheduler_address):
    r = sweep(default_sc, 12, 4, scheduler=scheduler_address, batch_size=3)
    assert r.scheduler == scheduler_address and r.complete
    pd.testing.assert_frame_equal(r.draws, reference.draws, check_exact=True)
    pd.testing.assert_frame_equal(r.corridors, reference.corridors, check_exact=True)


def test_cancel_on_the_cluster(tiny, scheduler_address):
    shares = []
    r = sweep(tiny, 200, 1, scheduler=scheduler_address, batch_size=1, progress=shares.append,
              cancelled=lambda: len(shares) > 1)   # after the first batch
    assert r.cancelled and 1 <= r.n_draws < 200
    assert list(r.draws["draw"]) == sorted(r.draws["draw"])


def test_unreachable_scheduler_is_bounded(tiny, monkeypatch):
    monkeypatch.setattr("core.distributed.CONNECT_TIMEOUT_S", 1.0)
    address = f"tcp://127.0.0.1:{free_port()}"
    t0 = time.monotonic()
    with pytest.raises(SchedulerUnreachable) as err:
        sweep(tiny, 3, 1, scheduler=address)
    assert time.monotonic() - t0 < 15
    assert err.value.source == "scheduler" and address in str(err.value)


# --- the CLI ------------------------------------------------------------------------------------

def run(*args):
    return subprocess.run([sys.executable, "-m", "core", "sweep", *map(str, args)], cwd=REPO,
                          capture_output=True, text=True, timeout=120)


def test_cli_json_csv_and_parquet(tmp_path, capfd, default_sc):
    csv, parquet = tmp_path / "draws.csv", tmp_path / "draws.parquet"
    code = main(["sweep", str(DEFAULT_PATH), "--draws", "12", "--seed", "3", "--scheduler", IN_PROCESS,
                 "--draws-csv", str(csv), "--parquet", str(parquet)])
    captured = capfd.readouterr()   # file descriptors: solver output would show here
    assert code == 0, captured.err
    out = json.loads(captured.out)
    assert "sweep" in captured.err and "12/12" in captured.err   # the tqdm bar, on stderr
    inputs = uncertain_inputs(default_sc)
    assert {*SUMMARY_OUTPUTS, "draws", "seed", "engine", "inputs", "scheduler"} <= set(out)
    assert (out["draws"], out["seed"], out["engine"], out["scheduler"], out["inputs"]) == \
        (12, 3, "highs", IN_PROCESS, len(inputs))
    draws = pd.read_csv(csv)
    for name in SUMMARY_OUTPUTS:
        assert set(out[name]) == {"mean", *QUANTILES}
        assert_allclose([out[name][q] for q in QUANTILES], np.quantile(draws[name], list(QUANTILES.values())),
                        rtol=1e-12, atol=1e-9)
    fields = [e.field for e in inputs]
    assert list(draws.columns) == ["draw", *fields, *OUTPUTS]
    assert list(draws["draw"]) == list(range(12))
    pd.testing.assert_frame_equal(pd.read_parquet(parquet), draws, check_exact=False, rtol=1e-15)
    for i in (2, 9):   # rows re-solved from the base scenario with their values, model of record
        row = draws.iloc[i]
        sc = apply_draw(default_sc, inputs, row[fields].to_numpy(dtype=float))
        assert row["objective_usd"] == pytest.approx(PlacementModel.for_scenario(sc).solve(sc).objective_usd, rel=1e-6)


def test_cli_end_to_end(tmp_path, tiny_scenario):
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(_tiny_dict(tiny_scenario)))
    res = run(path, "--draws", 5, "--seed", 1, "--draws-csv", tmp_path / "d.csv")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert (out["draws"], out["inputs"], out["scheduler"]) == (5, 3, IN_PROCESS)   # below 400 draws
    d = pd.read_csv(tmp_path / "d.csv")
    assert_allclose(out["savings_usd"]["mean"], np.mean(H * d["nodes[away].capacity_mw"] * (
        d["nodes[home].price_usd_per_mwh"] - d["nodes[away].price_usd_per_mwh"])), rtol=1e-9)


def _one_line(capsys, argv, *needles):
    code = main(["sweep", *map(str, argv)])
    captured = capsys.readouterr()
    assert code == 2, captured.err
    assert captured.out == "" and "Traceback" not in captured.err
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_cli_errors_are_one_line(tmp_path, tiny_scenario, capsys, monkeypatch):
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(_tiny_dict(tiny_scenario)))
    _one_line(capsys, [path, "--draws", "0", "--seed", 1], "--draws: expected a whole number ≥ 1, got '0'")
    _one_line(capsys, [path, "--draws", "x", "--seed", 1], "--draws", "'x'")
    _one_line(capsys, [path, "--draws", 3, "--seed", "-1"], "--seed")
    _one_line(capsys, [path, "--draws", 3, "--seed", 1, "--batch-size", 0], "--batch-size")
    _one_line(capsys, [path, "--draws", 3, "--seed", 1, "--draws-csv", tmp_path / "missing" / "d.csv"], "--draws-csv")
    monkeypatch.setattr("core.distributed.CONNECT_TIMEOUT_S", 1.0)
    address = f"tcp://127.0.0.1:{free_port()}"
    t0 = time.monotonic()
    _one_line(capsys, [path, "--draws", 3, "--seed", 1, "--scheduler", address], "--scheduler", address, "1 s")
    monkeypatch.setenv(ENV_SCHEDULER, address)
    _one_line(capsys, [path, "--draws", 3, "--seed", 1], ENV_SCHEDULER, address)
    assert time.monotonic() - t0 < 20


def test_a_draw_highs_cannot_finish_is_solved_by_the_model_of_record():
    """Draw 5,139 of 10,000 (seed 0) on the default scenario ended in HiGHS status "Unknown"
    (highspy 1.12, primal simplex); the sweep solves such a draw with the CVXPY model of record.
    Whatever HiGHS does with it, the sweep's row equals an independent solve of the model of record."""
    from core.inputs import model_inputs
    from core.model import PlacementModel
    from core.scenario import default_scenario
    from core.sweep import _solve_batch, _Spec
    from core.uncertainty import draw_design, draw_inputs, uncertain_inputs

    sc = default_scenario()
    inputs = tuple(uncertain_inputs(sc))
    values = draw_design(list(inputs), 10_000, 0)[5139:5140]
    spec = _Spec(key="test-fallback", scenario_json=sc.to_json(), inputs=inputs, engine="highs",
                 frontier_budgets_ms=None)
    out, _, _ = _solve_batch((spec, 5139, values))
    inp = draw_inputs(model_inputs(sc), sc, list(inputs), values[0])
    want = PlacementModel(sc.node_ids, sc.workload_ids).solve(inp)
    assert out["objective_usd"].iloc[0] == pytest.approx(want.objective_usd, rel=1e-6)
