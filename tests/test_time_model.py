"""The time-resolved model (docs/model.md, "Time-resolved mode") against values worked out
independently: the single-period model with H = Σw, a case worked by hand, and an LP written
here with scipy.optimize.linprog straight from the model's equations."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linprog

from core.inputs import model_inputs, unit_objective_usd_per_mwh
from core.model import PlacementModel
from core.scenario import default_scenario, parse_scenario
from core.time_inputs import time_inputs
from core.time_solve import (assemble, decomposition, independent_ranges, solve_block, solve_range,
                             solve_time)

ENGINES = ("highs", "cvxpy")


def _time_default(periods: int, weight_hours: float) -> dict:
    data = default_scenario().to_dict()
    data.pop("period_hours")
    data["time"] = {"periods": periods, "weight_hours": weight_hours}
    return data


@pytest.mark.parametrize("engine", ENGINES)
def test_constant_series_give_the_single_period_results(engine):
    """Four periods of 2190 h with every series constant, factors 1, no deferral: the single
    period model with H = 8760 h. Placements may differ between tied optima (the LP is
    degenerate: swapping the sources of two relocated flows of one class costs nothing), so the
    period-weighted placement is checked to be an optimum of the single-period LP itself."""
    sc = parse_scenario(_time_default(4, 2190.0))
    ref = PlacementModel.for_scenario(sc).solve(model_inputs(sc))
    sol = solve_time(time_inputs(sc), engine)
    assert sc.period_hours == 8760.0
    for key in ("objective_usd", "cost_usd", "emissions_t", "emissions_avg_t", "emissions_marginal_t"):
        assert getattr(sol, key) == pytest.approx(getattr(ref, key), rel=1e-9, abs=1e-6), key
    assert sol.unserved_mw == pytest.approx(ref.unserved_mw, abs=1e-6)
    inp = ref.inputs
    ids, wl = list(inp.node_ids), list(inp.workload_ids)
    x = np.zeros((inp.n_nodes, inp.n_nodes, inp.n_workloads))
    for row in sol.placement.itertuples():
        x[ids.index(row.service), ids.index(row.compute), wl.index(row.workload)] = row.mw
    home = np.einsum("ssk->sk", x)
    assert np.allclose(x.sum(axis=1), inp.demand_mw, atol=1e-6)          # every MW served
    assert (x.sum(axis=(0, 2)) <= inp.capacity_mw + 1e-6).all()                  # capacity
    assert (home + 1e-6 >= inp.pinned_share[None, :] * inp.demand_mw).all()      # state locality
    assert inp.period_hours * np.sum(x * unit_objective_usd_per_mwh(inp)) == pytest.approx(ref.objective_usd, rel=1e-9)
    assert sol.periods["cost_usd"].sum() == pytest.approx(ref.cost_usd, rel=1e-9)


def _hand_case(deferrable: int) -> dict:
    return {
        "period_hours": 3.0,
        "nodes": [
            {"id": "A", "lat": 0, "lon": 0, "price_usd_per_mwh": 100, "carbon_avg_g_per_kwh": 0,
             "carbon_marginal_g_per_kwh": 0, "pue": 1, "capacity_mw": 20},
            {"id": "B", "lat": 0, "lon": 1, "price_usd_per_mwh": 50, "carbon_avg_g_per_kwh": 0,
             "carbon_marginal_g_per_kwh": 0, "pue": 1, "capacity_mw": 4}],
        "workloads": [{"id": "w", "latency_budget_ms": 50, "state_pinned_share": 0.5,
                       "deferrable_periods": deferrable}],
        "demand": [{"node": "A", "workload": "w", "mw": 10}],
        "rtt_ms": {"A": {"B": 10}},
        "time": {"periods": 3, "weight_hours": 1, "block_periods": 3,
                 "price_usd_per_mwh": {"A": [100, 120, 20], "B": [50, 200, 200]}},
    }


@pytest.mark.parametrize("engine", ENGINES)
def test_hand_worked_deferral_with_state_locality_and_capacity(engine):
    """10 MW arrive at A in each of 3 one-hour periods (one block); work may wait 2 periods,
    so all of it may run by the block's end. Prices $/MWh: A 100, 120, 20; B 50, 200, 200.
    Capacity A 20 MW, B 4 MW; σ = 0.5 (x_AA[t] ≥ x_AB[t]); no egress, PUE 1, V = 10,000.

    Cheapest is A in period 2 ($20), but only 20 MW fit: 20 MWh there, $400. The other 10 MWh
    run earlier (they cannot run after the block). Period 0: a MW at B ($50, a ≤ 4) needs at
    least a at A ($100) by state locality: a = 4, 6 at A: $200 + $600 = $800; period 1 costs
    more everywhere ($120 at A). Total $1,200; capacity binds at B in period 0 and at A in
    period 2. Without deferral each period serves its own 10 MW: $800 + $1,200 (all at A, B
    costs 200) + $200 = $2,200."""
    sol = solve_time(time_inputs(parse_scenario(_hand_case(2))), engine, keep_x=True)
    assert sol.objective_usd == pytest.approx(1200.0, rel=1e-9)
    assert sol.cost_usd == pytest.approx(1200.0, rel=1e-9)
    assert sol.periods["cost_usd"].tolist() == pytest.approx([800.0, 0.0, 400.0], abs=1e-6)
    assert sol.periods["relocated_mw"].tolist() == pytest.approx([4.0, 0.0, 0.0], abs=1e-6)
    np.testing.assert_allclose(sol.result.load_mw, [[6.0, 4.0], [0.0, 0.0], [20.0, 0.0]], atol=1e-6)
    mw = sol.placement.set_index(["service", "compute"])["mw"]
    assert mw[("A", "A")] == pytest.approx(26.0 / 3.0) and mw[("A", "B")] == pytest.approx(4.0 / 3.0)
    assert sol.unserved_mw == pytest.approx(0.0, abs=1e-9)
    now = solve_time(time_inputs(parse_scenario(_hand_case(0))), engine)
    assert now.objective_usd == pytest.approx(2200.0, rel=1e-9)
    assert now.periods["cost_usd"].tolist() == pytest.approx([800.0, 1200.0, 200.0], abs=1e-6)


def test_decomposition_of_the_hand_case():
    """local (home, on arrival): $1,000 + $1,200 + $200 = $2,400 (A's capacity 20 ≥ 10);
    spatial only: $2,200 (above); temporal only (A alone, may wait): 20 MWh at $20 in period 2,
    10 MWh at $100 in period 0: $1,400; both: $1,200."""
    df = decomposition(time_inputs(parse_scenario(_hand_case(2)))).set_index("case")
    assert df["cost_usd"].to_dict() == pytest.approx({"local": 2400.0, "spatial": 2200.0, "temporal": 1400.0,
                                                      "both": 1200.0})
    assert df.loc["both", "savings_usd"] == pytest.approx(1200.0)


# ---------------------------------------------------------------------------------------------
# an independent LP from docs/model.md's equations

def _random_time_scenario(seed: int) -> dict:
    rng = np.random.default_rng(seed)
    n, k, periods, block = 3, 2, 6, 3
    ids = [f"n{i}" for i in range(n)]
    nodes = [{"id": ids[i], "lat": 0.0, "lon": float(i), "residency_zone": [None, "EU"][int(rng.integers(2))],
              "price_usd_per_mwh": float(rng.uniform(20, 120)), "carbon_avg_g_per_kwh": float(rng.uniform(0, 600)),
              "carbon_marginal_g_per_kwh": float(rng.uniform(0, 900)), "pue": float(rng.uniform(1.0, 1.5)),
              "capacity_mw": float(rng.choice([0.0, rng.uniform(2, 15), rng.uniform(2, 15), 100.0]))}
             for i in range(n)]
    workloads = [{"id": f"w{j}", "latency_budget_ms": float(rng.uniform(0, 60)),
                  "state_pinned_share": float(rng.choice([0.0, rng.uniform(0, 1)])),
                  "gb_per_mwh": float(rng.uniform(0, 200)), "migration_overhead": float(rng.uniform(0, 0.1)),
                  "residency_bound": bool(rng.integers(2)), "deferrable_periods": int(rng.integers(0, 4))}
                 for j in range(k)]
    demand = [{"node": ids[i], "workload": f"w{j}", "mw": float(rng.uniform(0, 12))}
              for i in range(n) for j in range(k) if rng.uniform() < 0.8]
    rtt = {ids[a]: {ids[b]: float(rng.uniform(5, 80)) for b in range(n) if b != a} for a in range(n)}
    w_block = rng.uniform(0.5, 3.0, periods // block)
    series = lambda lo, hi: {ids[i]: rng.uniform(lo, hi, periods).tolist() for i in range(n) if rng.uniform() < 0.7}  # noqa: E731
    return {
        "nodes": nodes, "workloads": workloads, "demand": demand, "rtt_ms": rtt,
        "frictions": {f: bool(rng.uniform() < 0.75) for f in ("egress", "migration", "state_locality", "legal", "capacity")},
        "prices": {"egress_usd_per_gb": float(rng.uniform(0, 0.05)), "migration_usd_per_mwh": float(rng.uniform(0, 5)),
                   "unserved_usd_per_mwh": float(rng.uniform(200, 1000))},
        "objective": {"carbon_signal": ["average", "marginal"][int(rng.integers(2))],
                      "carbon_price_usd_per_t": float(rng.choice([0.0, rng.uniform(0, 200)]))},
        "time": {"periods": periods, "block_periods": block, "weight_hours": np.repeat(w_block, block).tolist(),
                 "price_usd_per_mwh": series(-40, 150), "carbon_avg_g_per_kwh": series(0, 700),
                 "carbon_marginal_g_per_kwh": series(0, 900),
                 "demand_factor": {ids[i]: {f"w{j}": rng.uniform(0, 2, periods).tolist() for j in range(k)}
                                   for i in range(n) if rng.uniform() < 0.6}},
    }


def _linprog_objective(data: dict) -> float:
    """docs/model.md's time-mode LP written out densely from the scenario dict (no project code):
    variables x[t, s, r, k] then u[t, s, k]; cumulative demand per block, state locality,
    capacity per period, the mask as zero bounds."""
    nodes, works, tb = data["nodes"], data["workloads"], data["time"]
    n, k, T, B = len(nodes), len(works), tb["periods"], tb["block_periods"]
    ids = [nd["id"] for nd in nodes]
    fr, pr, ob = data["frictions"], data["prices"], data["objective"]
    w = np.asarray(tb["weight_hours"], dtype=float)
    D0 = np.zeros((n, k))
    for d in data["demand"]:
        D0[ids.index(d["node"]), int(d["workload"][1:])] += d["mw"]
    f = np.ones((n, k, T))
    for node, by in tb["demand_factor"].items():
        for wid, vals in by.items():
            f[ids.index(node), int(wid[1:])] = vals
    D = D0[:, :, None] * f
    def series(name, field):
        out = np.array([[nd[field]] * T for nd in nodes], dtype=float)
        for node, vals in tb[name].items():
            out[ids.index(node)] = vals
        return out
    p = series("price_usd_per_mwh", "price_usd_per_mwh")
    c = series("carbon_avg_g_per_kwh", "carbon_avg_g_per_kwh") if ob["carbon_signal"] == "average" \
        else series("carbon_marginal_g_per_kwh", "carbon_marginal_g_per_kwh")
    nx, nu = T * n * n * k, T * n * k
    X = lambda t, s, r, j: ((t * n + s) * n + r) * k + j                 # noqa: E731
    U = lambda t, s, j: nx + (t * n + s) * k + j                          # noqa: E731
    cost = np.zeros(nx + nu)
    bounds = [(0, None)] * (nx + nu)
    for t in range(T):
        for s in range(n):
            for r in range(n):
                for j, wk in enumerate(works):
                    moved = r != s
                    omega = wk["migration_overhead"] if fr["migration"] and moved else 0.0
                    F = nodes[r]["pue"] * (1 + omega)
                    transfer = ((wk["gb_per_mwh"] * pr["egress_usd_per_gb"] if fr["egress"] else 0.0)
                                + (pr["migration_usd_per_mwh"] if fr["migration"] else 0.0)) if moved else 0.0
                    cost[X(t, s, r, j)] = w[t] * (F * (p[r, t] + ob["carbon_price_usd_per_t"] * c[r, t] / 1000) + transfer)
                    ok = nodes[r]["capacity_mw"] > 0
                    if moved:
                        ok &= data["rtt_ms"][ids[s]][ids[r]] <= wk["latency_budget_ms"]
                        zs, zr = nodes[s]["residency_zone"], nodes[r]["residency_zone"]
                        if fr["legal"] and wk["residency_bound"] and zs is not None:
                            ok &= zr == zs
                    if not ok:
                        bounds[X(t, s, r, j)] = (0, 0)
                cost[U(t, s, 0):U(t, s, 0) + k] = w[t] * pr["unserved_usd_per_mwh"]
    A_ub, b_ub, A_eq, b_eq = [], [], [], []
    for start in range(0, T, B):
        for s in range(n):
            for j, wk in enumerate(works):
                d = wk["deferrable_periods"]
                for t in range(start, start + B):
                    row = np.zeros(nx + nu)
                    for tau in range(start, t + 1):
                        row[[X(tau, s, r, j) for r in range(n)]] = 1
                        row[U(tau, s, j)] = 1
                    arrived = D[s, j, start:t + 1].sum()
                    due = D[s, j, start:max(start, t - d + 1)].sum()
                    if t == start + B - 1:
                        A_eq.append(row); b_eq.append(arrived)
                    else:
                        A_ub.append(row); b_ub.append(arrived)
                        A_ub.append(-row); b_ub.append(-due)
    for t in range(T):
        for s in range(n):
            for j, wk in enumerate(works):
                sigma = wk["state_pinned_share"] if fr["state_locality"] else 0.0
                row = np.zeros(nx + nu)          # σ(S + u) − x_home − u ≤ 0
                row[[X(t, s, r, j) for r in range(n)]] = sigma
                row[U(t, s, j)] = sigma - 1
                row[X(t, s, s, j)] = sigma - 1
                A_ub.append(row); b_ub.append(0.0)
        if fr["capacity"]:
            for r in range(n):
                row = np.zeros(nx + nu)
                row[[X(t, s, r, j) for s in range(n) for j in range(k)]] = 1
                A_ub.append(row); b_ub.append(nodes[r]["capacity_mw"])
    res = linprog(cost, A_ub=np.array(A_ub), b_ub=b_ub, A_eq=np.array(A_eq), b_eq=b_eq, bounds=bounds,
                  method="highs")
    assert res.status == 0, res.message
    return float(res.fun)


@pytest.mark.parametrize("seed", range(8))
def test_random_time_scenarios_against_an_independent_linprog(seed):
    data = _random_time_scenario(seed)
    expected = _linprog_objective(data)
    ti = time_inputs(parse_scenario(data))
    for engine in ENGINES:
        assert solve_time(ti, engine).objective_usd == pytest.approx(expected, rel=1e-7, abs=1e-6), engine


def test_blocks_solved_apart_and_assembled_equal_the_serial_solve():
    """Each block alone (any order, fresh inputs objects as a worker would get them) and then
    assembled gives the serial objective and totals."""
    data = _random_time_scenario(3)
    data["workloads"][0]["deferrable_periods"] = 2
    ti = time_inputs(parse_scenario(data))
    serial = solve_time(ti)
    parts = [solve_block(time_inputs(parse_scenario(data)), b) for b in reversed(range(ti.n_blocks))]
    joined = assemble(ti, parts, "highs")
    assert joined.objective_usd == pytest.approx(serial.objective_usd, rel=1e-9)
    assert joined.periods["t"].tolist() == list(range(ti.n_periods))
    ranges = independent_ranges(ti, 5)
    assert [p for r in ranges for p in r] == list(range(ti.n_periods))
    assert all(r.start % ti.block_periods == 0 for r in ranges)
    with pytest.raises(ValueError):
        solve_range(ti, range(1, 3))


def test_negative_prices_stay_bounded():
    """A price of −$50/MWh everywhere in one period: the LP still serves exactly the demand
    (10 MW at A, PUE 1): cost −$500 in that hour, no more."""
    data = _hand_case(0)
    data["time"]["price_usd_per_mwh"] = {"A": [-50, 100, 100], "B": [-50, 100, 100]}
    sol = solve_time(time_inputs(parse_scenario(data)))
    assert sol.periods["cost_usd"].tolist() == pytest.approx([-500.0, 1000.0, 1000.0])


def test_cli_solve_prints_the_single_period_keys_and_the_periods(tmp_path, capsys):
    import json

    from core.cli import main

    path = tmp_path / "hand.json"
    path.write_text(json.dumps(_hand_case(2)), encoding="utf-8")
    assert main(["solve", str(path)]) == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("status", "objective_usd", "cost_usd", "emissions_t", "emissions_avg_t", "emissions_marginal_t",
                "unserved_mw", "placement", "engine"):
        assert key in out
    assert out["objective_usd"] == pytest.approx(1200.0)
    assert out["time"]["periods"] == 3 and out["time"]["blocks"] == 1
    assert [p["t"] for p in out["periods"]] == [0, 1, 2]
    assert [p["relocated_mw"] for p in out["periods"]] == pytest.approx([4.0, 0.0, 0.0], abs=1e-6)
    assert main(["frontier", str(path), "--budgets", "0,20"]) == 0
    points = json.loads(capsys.readouterr().out)["points"]
    assert [p["cost_usd"] for p in points] == pytest.approx([1400.0, 1200.0])       # temporal only; both
    assert [p["savings_usd"] for p in points] == pytest.approx([1000.0, 1200.0])    # against local $2,400
    assert main(["frontier", str(path)]) == 2
    assert "not yet supported for time scenarios" in capsys.readouterr().err
    assert main(["metrics", str(path)]) == 0
    rows = json.loads(capsys.readouterr().out)["decomposition"]
    assert [r["case"] for r in rows] == ["local", "spatial", "temporal", "both"]
