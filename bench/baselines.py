"""The baselines the benchmark compares with, as engines with ``solve(inp) -> Solution``.

* :class:`Linprog`: MODEL.md's LP built from :class:`~core.inputs.ModelInputs` as sparse
  matrices — variables ``x`` (N²K, C order [s, r, k]) then ``u`` (NK) — and solved by
  ``scipy.optimize.linprog(method="highs")``, duals included (so the frontier prices the same way).
  It shares only the per-arc formulas of :mod:`core.inputs` with the model of record.
* :class:`RebuildCvxpy`: a new :class:`~core.model.PlacementModel` (build and compile) for every solve.
* :func:`ortools_reference`: bare OR-Tools min-cost flow on prebuilt arc arrays, no result tables.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

from ortools.graph.python.min_cost_flow import SimpleMinCostFlow

from core.inputs import ModelInputs, feasibility_mask, unit_objective_usd_per_mwh
from core.model import PlacementModel
from core.network import _build
from core.solution import Solution


def solve_linprog(inp: ModelInputs):
    """``scipy.optimize.linprog`` result of MODEL.md's LP (objective in $/h)."""
    n, k = inp.n_nodes, inp.n_workloads
    n_x, n_u = n * n * k, n * k
    s, r, w = np.unravel_index(np.arange(n_x), (n, n, k))
    demand = inp.demand_mw
    c = np.concatenate([unit_objective_usd_per_mwh(inp).ravel(), np.full(n_u, inp.unserved_usd_per_mwh)])
    # demand balance: Σ_r x[s,r,k] + u[s,k] = D[s,k]
    a_eq = sp.hstack([sp.csr_matrix((np.ones(n_x), (s * k + w, np.arange(n_x))), shape=(n_u, n_x)),
                      sp.identity(n_u, format="csr")], format="csr")
    rows, rhs = [], []
    if inp.friction("capacity"):  # Σ_{s,k} x[s,r,k] ≤ cap[r]
        rows.append(sp.hstack([sp.csr_matrix((np.ones(n_x), (r, np.arange(n_x))), shape=(n, n_x)),
                               sp.csr_matrix((n, n_u))]))
        rhs.append(inp.capacity_mw)
    if inp.friction("state_locality"):  # −(x[s,s,k] + u[s,k]) ≤ −σ[k]·D[s,k]
        sk = np.arange(n_u)
        home = np.ravel_multi_index((sk // k, sk // k, sk % k), (n, n, k))
        rows.append(-sp.hstack([sp.csr_matrix((np.ones(n_u), (sk, home)), shape=(n_u, n_x)),
                                sp.identity(n_u, format="csr")]))
        rhs.append(-(demand * inp.pinned_share[None, :]).ravel())
    upper = np.concatenate([(feasibility_mask(inp) * demand[:, None, :]).ravel(), np.full(n_u, np.inf)])
    res = linprog(c, A_ub=sp.vstack(rows, format="csr") if rows else None,
                  b_ub=np.concatenate(rhs) if rhs else None, A_eq=a_eq, b_eq=demand.ravel(),
                  bounds=np.column_stack([np.zeros(n_x + n_u), upper]), method="highs")
    if res.status != 0:
        raise RuntimeError(f"linprog: {res.message}")
    return res


class Linprog:
    """scipy's HiGHS on the LP, rebuilt from the inputs at every solve."""

    def solve(self, inp: ModelInputs) -> Solution:
        res = solve_linprog(inp)
        n, k = inp.n_nodes, inp.n_workloads
        x = np.clip(res.x[: n * n * k], 0.0, None).reshape(n, n, k)
        u = np.clip(res.x[n * n * k:], 0.0, None).reshape(n, k)
        demand_dual = np.asarray(res.eqlin.marginals).reshape(n, k)  # ∂ objective / ∂ D
        capacity_dual = (-np.asarray(res.ineqlin.marginals)[:n] if inp.friction("capacity") else np.zeros(n))
        return Solution(inp, x, u, demand_dual, capacity_dual, "optimal", "scipy-linprog-highs")


class RebuildCvxpy:
    """The CVXPY model built and compiled anew for every solve (what a naive sweep does)."""

    def solve(self, inp: ModelInputs) -> Solution:
        return PlacementModel(inp.node_ids, inp.workload_ids).solve(inp)


def ortools_arrays(inp: ModelInputs) -> tuple:
    """The direct-arc network of ``inp`` as OR-Tools input arrays (tails, heads, capacities, costs,
    supplies) and the factor from its optimal cost in units to the objective in $ over the period."""
    net = _build(inp, feasibility_mask(inp), unit_objective_usd_per_mwh(inp), None)  # direct arcs only
    usd_per_unit = inp.period_hours / (net.scale.cost_per_usd * net.scale.flow_per_mw)
    return (net.tails, net.heads, net.capacities, net.costs, net.supplies), usd_per_unit


def ortools_reference(arrays: tuple) -> int:
    """Solve one prebuilt network with OR-Tools ``SimpleMinCostFlow``; the optimal cost in units."""
    tails, heads, caps, costs, supplies = arrays
    mcf = SimpleMinCostFlow()
    mcf.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    mcf.set_nodes_supplies(np.arange(supplies.size, dtype=np.int32), supplies)
    if mcf.solve() != mcf.OPTIMAL:
        raise RuntimeError("OR-Tools min-cost flow: not optimal")
    return mcf.optimal_cost()
