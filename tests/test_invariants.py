"""Invariants of the placement LP on seeded random scenarios, each recomputed in the test from the
scenario dict with plain numpy (own rtt, own mask, own unit costs) — and the optimum compared to an
independent LP built here and solved with scipy.optimize.linprog (HiGHS)."""
import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.optimize import linprog

from core.model import solve_scenario
from core.scenario import parse_scenario

SEEDS = range(20)
FRICTIONS = ("egress", "migration", "state_locality", "legal", "capacity")


class Reference:
    """MODEL.md recomputed from a scenario dict, independently of core/."""

    def __init__(self, d: dict):
        self.d = d
        nodes, wls = d["nodes"], d["workloads"]
        self.ids = [n["id"] for n in nodes]
        self.wids = [w["id"] for w in wls]
        n, k = len(nodes), len(wls)
        self.n, self.k = n, k
        self.H = d.get("period_hours", 8760.0)
        fr = {f: True for f in FRICTIONS} | d.get("frictions", {})
        self.fr = fr
        prices = {"egress_usd_per_gb": 0.02, "migration_usd_per_mwh": 0.0, "unserved_usd_per_mwh": 10000.0} \
            | d.get("prices", {})
        obj = {"carbon_signal": "marginal", "carbon_price_usd_per_t": 0.0} | d.get("objective", {})
        self.V = prices["unserved_usd_per_mwh"]
        self.tau = obj["carbon_price_usd_per_t"]
        p = np.array([x["price_usd_per_mwh"] for x in nodes])
        pue = np.array([x["pue"] for x in nodes])
        self.cap = np.array([x["capacity_mw"] for x in nodes])
        self.c_avg = np.array([x["carbon_avg_g_per_kwh"] for x in nodes])
        self.c_marg = np.array([x["carbon_marginal_g_per_kwh"] for x in nodes])
        self.c_obj = self.c_avg if obj["carbon_signal"] == "average" else self.c_marg
        zone = [x.get("residency_zone") for x in nodes]
        budget = np.array([w["latency_budget_ms"] for w in wls])
        sigma = np.array([w.get("state_pinned_share", 0.0) for w in wls])
        g = np.array([w.get("gb_per_mwh", 0.0) for w in wls])
        omega = np.array([w.get("migration_overhead", 0.0) for w in wls])
        rho = [w.get("residency_bound", False) for w in wls]
        self.sigma = sigma
        self.D = np.zeros((n, k))
        for e in d["demand"]:
            self.D[self.ids.index(e["node"]), self.wids.index(e["workload"])] += e["mw"]

        # rtt: measured [s][r], else measured [r][s], else the distance model; the distance here
        # is the angle between unit vectors (atan2 form), not the haversine formula.
        lm = {"fixed_ms": 5.0, "route_inflation": 1.5, "fiber_km_per_ms": 200.0} | d.get("latency_model", {})
        lat = np.radians([x["lat"] for x in nodes])
        lon = np.radians([x["lon"] for x in nodes])
        v = np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=1)
        rtt = np.zeros((n, n))
        meas = d.get("rtt_ms", {})
        for s in range(n):
            for r in range(n):
                if s == r:
                    continue
                a, b = self.ids[s], self.ids[r]
                if b in meas.get(a, {}):
                    rtt[s, r] = meas[a][b]
                elif a in meas.get(b, {}):
                    rtt[s, r] = meas[b][a]
                else:
                    angle = np.arctan2(np.linalg.norm(np.cross(v[s], v[r])), v[s] @ v[r])
                    rtt[s, r] = lm["fixed_ms"] + 2 * 6371.0 * angle * lm["route_inflation"] / lm["fiber_km_per_ms"]
        self.rtt = rtt

        mask = np.zeros((n, n, k), dtype=bool)
        unit_cost = np.zeros((n, n, k))
        ff = np.zeros((n, n, k))
        for s in range(n):
            for r in range(n):
                for j in range(k):
                    away = s != r
                    ok = self.cap[r] > 0
                    if away:
                        ok &= rtt[s, r] <= budget[j]
                        if fr["legal"] and rho[j] and zone[s] is not None:
                            ok &= zone[r] == zone[s]
                    mask[s, r, j] = ok
                    f = pue[r] * (1 + (omega[j] if (away and fr["migration"]) else 0.0))
                    ff[s, r, j] = f
                    transfer = 0.0
                    if away:
                        transfer += g[j] * prices["egress_usd_per_gb"] if fr["egress"] else 0.0
                        transfer += prices["migration_usd_per_mwh"] if fr["migration"] else 0.0
                    unit_cost[s, r, j] = f * p[r] + transfer
        self.mask, self.unit_cost, self.ff = mask, unit_cost, ff

    def emissions_t(self, x, carbon):
        return self.H * float(np.sum(x * self.ff * carbon[None, :, None] / 1000.0))

    def linprog_objective_usd(self) -> float:
        """min C + τE + H·V·Σu as an LP in (x, u), built from scratch, solved by linprog/HiGHS."""
        n, k = self.n, self.k
        nx, nu = n * n * k, n * k
        unit = self.unit_cost + self.tau * self.ff * self.c_obj[None, :, None] / 1000.0
        c = np.concatenate([unit.ravel(), np.full(nu, self.V)])
        a_eq = np.zeros((nu, nx + nu))
        for s in range(n):
            for j in range(k):
                row = s * k + j
                for r in range(n):
                    a_eq[row, (s * n + r) * k + j] = 1.0
                a_eq[row, nx + row] = 1.0
        a_ub, b_ub = [], []
        if self.fr["capacity"]:
            for r in range(n):
                row = np.zeros(nx + nu)
                for s in range(n):
                    for j in range(k):
                        row[(s * n + r) * k + j] = 1.0
                a_ub.append(row)
                b_ub.append(self.cap[r])
        if self.fr["state_locality"]:
            for s in range(n):
                for j in range(k):
                    row = np.zeros(nx + nu)
                    row[(s * n + s) * k + j] = -1.0
                    row[nx + s * k + j] = -1.0
                    a_ub.append(row)
                    b_ub.append(-self.sigma[j] * self.D[s, j])
        bounds = [(0, None) if m else (0, 0) for m in self.mask.ravel()] + [(0, None)] * nu
        res = linprog(c, A_ub=np.array(a_ub) if a_ub else None, b_ub=np.array(b_ub) if b_ub else None,
                      A_eq=a_eq, b_eq=self.D.ravel(), bounds=bounds, method="highs")
        assert res.status == 0, res.message
        return self.H * res.fun


@pytest.fixture(params=list(SEEDS), ids=[f"seed{s}" for s in SEEDS])
def case(request, random_scenario):
    d = random_scenario(request.param)
    sc = parse_scenario(d)
    sol = solve_scenario(sc)
    # the engine's index order must be the scenario's order for the comparisons below
    assert list(sol.inputs.node_ids) == [n["id"] for n in d["nodes"]]
    return d, sol, Reference(d)


def test_demand_balance(case):
    _, sol, ref = case
    assert_allclose(sol.x_mw.sum(axis=1) + sol.unserved_by_demand_mw, ref.D, rtol=0, atol=1e-6)
    assert (sol.x_mw >= 0).all() and (sol.unserved_by_demand_mw >= 0).all()


def test_mask_respected(case):
    _, sol, ref = case
    assert np.all(sol.x_mw[~ref.mask] <= 1e-6), np.argwhere((sol.x_mw > 1e-6) & ~ref.mask)


def test_capacity_respected(case):
    _, sol, ref = case
    load = sol.x_mw.sum(axis=(0, 2))
    if ref.fr["capacity"]:
        assert np.all(load <= ref.cap + 1e-6)
    assert np.all(load[ref.cap == 0] <= 1e-9)  # a zero-capacity node takes nothing, friction or not


def test_pinned_share(case):
    d, sol, ref = case
    if not ref.fr["state_locality"]:  # check the rule on the same scenario with it switched on
        d = {**d, "frictions": {**d["frictions"], "state_locality": True}}
        sol, ref = solve_scenario(parse_scenario(d)), Reference(d)
    home = np.einsum("ssk->sk", sol.x_mw)
    assert np.all(home + sol.unserved_by_demand_mw >= ref.sigma[None, :] * ref.D - 1e-6)


def test_cost_and_emissions_recomputed_from_placement_table(case):
    _, sol, ref = case
    table = sol.placement
    s = np.array([ref.ids.index(v) for v in table["service"]], dtype=int)
    r = np.array([ref.ids.index(v) for v in table["compute"]], dtype=int)
    j = np.array([ref.wids.index(v) for v in table["workload"]], dtype=int)
    x = np.zeros((ref.n, ref.n, ref.k))
    np.add.at(x, (s, r, j), table["mw"].to_numpy())
    assert np.all(ref.mask[s, r, j]), "the placement table lists a forbidden arc"
    cost = ref.H * float(np.sum(x * ref.unit_cost))
    scale = max(1.0, cost)
    assert_allclose(sol.cost_usd, cost, rtol=1e-9, atol=1e-6 * scale)
    for got, carbon in ((sol.emissions_avg_t, ref.c_avg), (sol.emissions_marginal_t, ref.c_marg)):
        e = ref.emissions_t(x, carbon)
        assert_allclose(got, e, rtol=1e-9, atol=1e-6 * max(1.0, e))
    # objective = C + τ·E + H·V·Σu
    e_obj = ref.emissions_t(x, ref.c_obj)
    u = float(sol.unserved_by_demand_mw.sum())
    assert_allclose(sol.objective_usd, cost + ref.tau * e_obj + ref.H * ref.V * u, rtol=1e-9)


def test_objective_matches_independent_linprog(case):
    _, sol, ref = case
    assert_allclose(sol.objective_usd, ref.linprog_objective_usd(), rtol=1e-6)


def test_random_scenarios_exercise_the_rules(random_scenario):
    """Guard against a generator that never triggers the rules the invariants are about."""
    seen = {"unserved": 0, "relocated": 0, "legal_blocks": 0, "capacity_full": 0}
    for seed in SEEDS:
        d = random_scenario(seed)
        ref = Reference(d)
        sol = solve_scenario(parse_scenario(d))
        seen["unserved"] += sol.unserved_mw > 1e-6
        seen["relocated"] += sol.relocated_mw > 1e-6
        seen["capacity_full"] += bool(ref.fr["capacity"] and np.any((sol.x_mw.sum(axis=(0, 2)) >= ref.cap - 1e-6) & (ref.cap > 0)))
        if ref.fr["legal"]:  # arcs that only the residency rule forbids
            no_legal = Reference({**d, "frictions": {**d["frictions"], "legal": False}})
            seen["legal_blocks"] += bool(np.any(no_legal.mask & ~ref.mask & (ref.D > 0)[:, None, :]))
    assert all(v >= 2 for v in seen.values()), seen
