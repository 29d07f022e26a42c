"""The energy–latency frontier (MODEL.md "Frontier", ERoL/CRoL)."""
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from core.frontier import breakpoints_ms, frontier, marginal_returns
from core.inputs import model_inputs
from core.model import PlacementModel, solve_scenario
from core.scenario import parse_scenario, update_scenario
from test_invariants import Reference, variant

SEEDS = range(8)


def _model(d):
    sc = parse_scenario(d)
    return sc, PlacementModel.for_scenario(sc), model_inputs(sc)


def _scale(values):
    return max(1.0, float(np.max(np.abs(values))))


# --- monotonicity on random scenarios ---------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
def test_objective_non_increasing_in_budget(random_scenario, seed):
    _, model, inp = _model(random_scenario(seed))
    df = frontier(model, inp)  # exact: every breakpoint
    obj = df["objective_usd"].to_numpy()
    assert np.all(np.diff(obj) <= 1e-7 * _scale(obj)), obj
    assert df["budget_ms"].is_monotonic_increasing


@pytest.mark.parametrize("seed", SEEDS)
def test_cost_non_increasing_without_carbon_price_and_with_room(random_scenario, seed):
    d = random_scenario(seed)
    total = sum(e["mw"] for e in d["demand"])
    for node in d["nodes"]:  # every node can take all demand: nothing is ever unserved
        node["capacity_mw"] = total + 1.0
    d["objective"]["carbon_price_usd_per_t"] = 0.0
    _, model, inp = _model(d)
    df = frontier(model, inp, budgets_ms=[0, 5, 10, 20, 40, 80, 160, 320, 1000])
    assert_allclose(df["unserved_mw"], 0.0, atol=1e-6)
    cost = df["cost_usd"].to_numpy()
    assert np.all(np.diff(cost) <= 1e-7 * _scale(cost)), cost


# --- exact frontier -------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
def test_exact_frontier_equals_solving_every_breakpoint(random_scenario, seed):
    sc, model, inp = _model(random_scenario(seed))
    problem, solves = model.problem, model.solves
    exact = frontier(model, inp)
    # one LP for the local baseline plus one per point marked solved; the problem is not rebuilt
    assert model.solves - solves == 1 + int(exact["solved"].sum())
    assert model.problem is problem
    full = frontier(model, inp, budgets_ms=exact["budget_ms"].to_numpy(), exact_pricing=False)
    assert full["solved"].all()
    assert (~exact["solved"]).any()  # the pricing shortcut was used, so the comparison tests it
    assert_allclose(exact["budget_ms"], full["budget_ms"], rtol=0)
    obj = full["objective_usd"].to_numpy()
    assert_allclose(exact["objective_usd"], obj, rtol=1e-6, atol=1e-9 * _scale(obj))


@pytest.mark.parametrize("seed", SEEDS)
def test_exact_per_class_frontier_equals_solving_every_breakpoint(random_scenario, seed):
    sc, model, inp = _model(random_scenario(seed))
    wid = sc.workload_ids[0]
    exact = frontier(model, inp, workload=wid)
    full = frontier(model, inp, budgets_ms=exact["budget_ms"].to_numpy(), workload=wid, exact_pricing=False)
    obj = full["objective_usd"].to_numpy()
    assert_allclose(exact["objective_usd"], obj, rtol=1e-6, atol=1e-9 * _scale(obj))


@pytest.mark.parametrize("seed", SEEDS[:4])
def test_frontier_is_a_step_function_between_breakpoints(random_scenario, seed):
    # between two breakpoints no arc is admitted, so the optimum equals the lower breakpoint's
    _, model, inp = _model(random_scenario(seed))
    b = breakpoints_ms(inp)
    at = frontier(model, inp, budgets_ms=b, exact_pricing=False)["objective_usd"].to_numpy()
    mid = frontier(model, inp, budgets_ms=(b[:-1] + b[1:]) / 2, exact_pricing=False)["objective_usd"].to_numpy()
    assert_allclose(mid, at[:-1], rtol=1e-6, atol=1e-9 * _scale(at))


def _step_row(exact, b: float):
    """The exact frontier's row in force at budget ``b`` [ms]: the last breakpoint ≤ b (a
    breakpoint within 1e-9 ms of b counts as b: the reference's great-circle distance is computed
    by another formula, equal to ~1e-12 ms)."""
    bps = exact["budget_ms"].to_numpy()
    return exact.iloc[int(np.searchsorted(bps, b + 1e-9, side="right")) - 1]


def _assert_row_matches(row, ref: Reference, what: str):
    want = ref.outcome()
    scale = max(1.0, abs(want["objective_usd"]), abs(want["cost_usd"]))
    t_scale = max(1.0, want["emissions_avg_t"], want["emissions_marginal_t"])
    assert_allclose(row["objective_usd"], want["objective_usd"], rtol=1e-6, atol=1e-7 * scale, err_msg=what)
    assert_allclose(row["cost_usd"], want["cost_usd"], rtol=1e-6, atol=1e-6 * scale, err_msg=what)
    assert_allclose(row["emissions_avg_t"], want["emissions_avg_t"], rtol=1e-6, atol=1e-6 * t_scale, err_msg=what)
    assert_allclose(row["emissions_marginal_t"], want["emissions_marginal_t"], rtol=1e-6, atol=1e-6 * t_scale, err_msg=what)
    assert_allclose(row["unserved_mw"], want["unserved_mw"], atol=1e-6, err_msg=what)
    assert row["rid"] == pytest.approx(ref.rid(), abs=1e-12), what


def _distinct_rtts_ms(ref: Reference) -> np.ndarray:
    rtt = ref.rtt[~np.eye(ref.n, dtype=bool)]
    return np.unique(rtt[np.isfinite(rtt)])


@pytest.mark.parametrize("seed", SEEDS)
def test_exact_frontier_at_every_rtt_of_the_reference_and_beyond(random_scenario, seed):
    # C(b) steps only at rtt values: at every distinct rtt of the independent reference (not only
    # the breakpoints core chose) the exact frontier's step equals the reference's optimum at that
    # budget, so a missed breakpoint shows; beyond the last breakpoint it equals a huge budget's.
    d = random_scenario(seed)
    _, model, inp = _model(d)
    exact = frontier(model, inp)
    ref = Reference(d)
    rtts = _distinct_rtts_ms(ref)
    bps = exact["budget_ms"].to_numpy()
    assert bps[0] == 0.0 and all(np.isclose(rtts, b, rtol=0, atol=1e-9).any() for b in bps[1:])
    for b in rtts:
        _assert_row_matches(_step_row(exact, b), Reference(variant(d, budget_ms=b)), f"b = {b} ms")
    huge = Reference(variant(d, budget_ms=1e9))
    _assert_row_matches(exact.iloc[-1], huge, "beyond the last breakpoint")
    _assert_row_matches(_step_row(exact, 1e9), huge, "beyond the last breakpoint")


@pytest.mark.parametrize("seed", SEEDS[:4])
def test_exact_per_class_frontier_at_every_rtt_of_the_reference_and_beyond(random_scenario, seed):
    d = random_scenario(seed)
    sc, model, inp = _model(d)
    wid = sc.workload_ids[0]
    exact = frontier(model, inp, workload=wid)

    def only_class(b):  # that class's budget b, the others as given
        out = variant(d)
        out["workloads"][0]["latency_budget_ms"] = float(b)
        return Reference(out)

    for b in list(_distinct_rtts_ms(Reference(d))) + [1e9]:
        _assert_row_matches(_step_row(exact, b), only_class(b), f"{wid} at b = {b} ms")


def _breakpoint_case(tiny_scenario, legal=True):
    # a (EU), b (US), c (EU), d (EU, capacity 0). Measured rtts (reverse rule fills the rest):
    #   a–b 12, a–c 30, b→c 25, c→b 40, a–d 7, c–d 9.
    # Demand: a/bound 5, c/free 3; b and d have none.
    return tiny_scenario(
        nodes=[{"id": "a", "residency_zone": "EU"}, {"id": "b", "residency_zone": "US"},
               {"id": "c", "residency_zone": "EU"}, {"id": "d", "residency_zone": "EU", "capacity_mw": 0}],
        workloads=[{"id": "bound", "residency_bound": True}, {"id": "free"}],
        rtt_ms={"a": {"b": 12, "c": 30, "d": 7}, "b": {"c": 25}, "c": {"b": 40, "d": 9}},
        demand=[{"node": "a", "workload": "bound", "mw": 5}, {"node": "c", "workload": "free", "mw": 3}],
        frictions={"legal": legal})


def test_breakpoints_by_hand(tiny_scenario):
    # admissible arcs (demand > 0, capacity > 0, residency allows):
    #   a/bound: a→b (12) forbidden (EU→US), a→c 30 ok, a→d 7 no capacity
    #   c/free : c→a 30, c→b 40, c→d 9 no capacity
    #   b→c 25: b has no demand.  → {0} ∪ {30, 40}
    _, model, inp = _model(_breakpoint_case(tiny_scenario))
    assert breakpoints_ms(inp).tolist() == [0.0, 30.0, 40.0]
    assert frontier(model, inp)["budget_ms"].tolist() == [0.0, 30.0, 40.0]
    # per class: bound {0, 30}; free {0, 30, 40}
    assert breakpoints_ms(inp, "bound").tolist() == [0.0, 30.0]
    assert breakpoints_ms(inp, "free").tolist() == [0.0, 30.0, 40.0]
    # legal off: a→b (12) is admissible too → {0, 12, 30, 40}
    _, _, inp = _model(_breakpoint_case(tiny_scenario, legal=False))
    assert breakpoints_ms(inp).tolist() == [0.0, 12.0, 30.0, 40.0]


# --- per-class frontier ---------------------------------------------------------------------------

def test_per_class_frontier_by_hand(tiny_scenario):
    # home $100, away $50, rtt 20, H = 10. Class x (budget 50) 10 MW, class y (budget 0) 4 MW, both at home.
    d = tiny_scenario(workloads=[{"id": "x", "latency_budget_ms": 50}, {"id": "y", "latency_budget_ms": 0}],
                      demand=[{"node": "home", "workload": "x", "mw": 10}, {"node": "home", "workload": "y", "mw": 4}])
    _, model, inp = _model(d)
    per = frontier(model, inp, budgets_ms=[0, 20], workload="y")
    # y relaxed only; x keeps 50 ms: b=0: 10·(10·50 + 4·100) = 9000; b=20: 10·14·50 = 7000
    assert_allclose(per["cost_usd"], [9000.0, 7000.0], rtol=1e-9)
    uni = frontier(model, inp, budgets_ms=[0, 20])
    # uniform: b=0 everything home 10·14·100 = 14000; b=20: 7000
    assert_allclose(uni["cost_usd"], [14000.0, 7000.0], rtol=1e-9)
    # savings are against the local baseline (every budget 0: 14000 $)
    assert_allclose(per["savings_usd"], [5000.0, 7000.0], rtol=1e-9)
    assert_allclose(uni["savings_usd"], [0.0, 7000.0], atol=1e-6)


@pytest.mark.parametrize("seed", [s for s in range(20) if s % 3 == 0])
def test_per_class_frontier_matches_direct_solves(random_scenario, seed):
    d = random_scenario(seed)
    sc, model, inp = _model(d)
    wid = sc.workload_ids[-1]
    budgets = [0.0, 30.0, 120.0]
    per = frontier(model, inp, budgets_ms=budgets, workload=wid)
    for b, got in zip(budgets, per["objective_usd"]):
        # a fresh model on the scenario with only that class's budget changed
        direct = solve_scenario(update_scenario(sc, {f"workloads.{wid}.latency_budget_ms": b}))
        assert_allclose(got, direct.objective_usd, rtol=1e-6, atol=1e-6)


# --- ERoL / CRoL and savings by hand ------------------------------------------------------------------

def _erol_case(tiny_scenario):
    # home $100, 500 g/kWh; away $60, 200 g/kWh; rtt 20; 10 MW; H = 10 h; τ = 0.
    return tiny_scenario(nodes=[{"id": "home", "carbon_marginal_g_per_kwh": 500},
                                {"id": "away", "price_usd_per_mwh": 60, "carbon_marginal_g_per_kwh": 200}])


def test_erol_and_crol_by_hand(tiny_scenario):
    _, model, inp = _model(_erol_case(tiny_scenario))
    df = frontier(model, inp, budgets_ms=[0, 10, 20, 40])
    # C = [10·10·100]*2 + [10·10·60]*2 = [10000, 10000, 6000, 6000] $
    # E = 10·10·0.5 = 50 t at home, 10·10·0.2 = 20 t away: [50, 50, 20, 20]
    assert_allclose(df["cost_usd"], [10000, 10000, 6000, 6000], rtol=1e-9)
    assert_allclose(df["emissions_t"], [50, 50, 20, 20], rtol=1e-9)
    assert_allclose(df["savings_usd"], [0, 0, 4000, 4000], atol=1e-6)
    assert_allclose(df["carbon_savings_t"], [0, 0, 30, 30], atol=1e-9)
    # marginal ERoL: (C(b_{i-1}) − C(b_i)) / (b_i − b_{i-1}) = [—, 0/10, 4000/10, 0/20]
    assert np.isnan(df["erol_marginal_usd_per_ms"].iloc[0])
    assert_allclose(df["erol_marginal_usd_per_ms"].iloc[1:], [0, 400, 0], atol=1e-9)
    # average: (C(0) − C(b)) / b = [—, 0, 4000/20, 4000/40] = [—, 0, 200, 100]
    assert_allclose(df["erol_avg_usd_per_ms"].iloc[1:], [0, 200, 100], atol=1e-9)
    # per MWh of demand (10 MW · 10 h = 100 MWh)
    assert_allclose(df["erol_marginal_usd_per_ms_per_mwh"].iloc[1:], [0, 4, 0], atol=1e-9)
    assert_allclose(df["erol_avg_usd_per_ms_per_mwh"].iloc[1:], [0, 2, 1], atol=1e-9)
    # CRoL: marginal [—, 0, 30/10, 0]; average [—, 0, 30/20, 30/40]
    assert_allclose(df["crol_marginal_t_per_ms"].iloc[1:], [0, 3, 0], atol=1e-9)
    assert_allclose(df["crol_avg_t_per_ms"].iloc[1:], [0, 1.5, 0.75], atol=1e-9)
    # RID and realized relocation: at 0 nothing may move; from 20 ms all 10 MW can and do
    assert_allclose(df["rid"], [0, 0, 1, 1], atol=1e-12)
    assert_allclose(df["relocated_share"], [0, 0, 1, 1], atol=1e-9)


def test_average_erol_is_against_budget_zero_when_frontier_starts_later(tiny_scenario):
    # MODEL.md: average ERoL_i = (C(0) − C(b_i)) / b_i, with C(0) the local baseline — also when
    # the list of budgets does not contain 0 (the savings_usd column already is against C(0)).
    # C(0) = C(10) = 10000, C(20) = C(40) = 6000 → average at 10: 0; at 20: 4000/20 = 200; at 40: 100 $/ms.
    _, model, inp = _model(_erol_case(tiny_scenario))
    df = frontier(model, inp, budgets_ms=[10, 20, 40])
    assert_allclose(df["savings_usd"], [0, 4000, 4000], atol=1e-6)
    assert_allclose(df["erol_avg_usd_per_ms"], [0, 200, 100], atol=1e-9)


@pytest.mark.parametrize("seed", SEEDS)
def test_savings_at_budget_zero_is_zero(random_scenario, seed):
    _, model, inp = _model(random_scenario(seed))
    df = frontier(model, inp, budgets_ms=[0, 50])
    cost = df["cost_usd"].to_numpy()
    assert_allclose(df["savings_usd"].iloc[0], 0.0, atol=1e-7 * _scale(cost))
    assert_allclose(df["carbon_savings_t"].iloc[0], 0.0, atol=1e-7 * _scale(df["emissions_t"]))
    # and savings_usd = C(0) − C(b) at every point
    assert_allclose(df["savings_usd"], cost[0] - cost, rtol=1e-9, atol=1e-7 * _scale(cost))


def test_marginal_returns_between_successive_rows():
    # (C(b_{i-1}) − C(b_i)) / (b_i − b_{i-1}): (100 − 80) / 5 = 4, (80 − 80) / 5 = 0, (80 − 50) / 20 = 1.5
    r = marginal_returns(pd.Series([0.0, 5.0, 10.0, 30.0]), pd.Series([100.0, 80.0, 80.0, 50.0]))
    assert np.isnan(r[0])
    assert list(r[1:]) == pytest.approx([4.0, 0.0, 1.5])
