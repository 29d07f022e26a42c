"""The baselines the benchmark compares with, as engines with ``solve(inp) -> Solution``.

* :class:`Linprog`: MODEL.md's LP as the sparse matrices of :mod:`core.highs_lp` — variables
  ``x`` (N²K, C order [s, r, k]) then ``u`` (NK) — solved by ``scipy.optimize.linprog(method="highs")``
  and rebuilt at every solve, duals included (so the frontier prices the same way).
* :class:`RebuildCvxpy`: a new :class:`~core.model.PlacementModel` (build and compile) for every solve.
* :func:`ortools_reference`: bare OR-Tools min-cost flow on prebuilt arc arrays, no result tables.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

from ortools.graph.python.min_cost_flow import SimpleMinCostFlow

from core.highs_lp import lp_bounds, lp_matrix
from core.inputs import ModelInputs, feasibility_mask, unit_objective_usd_per_mwh
from core.model import PlacementModel
from core.network import _build
from core.solution import Solution


def solve_linprog(inp: ModelInputs):
    """``scipy.optimize.linprog`` result of MODEL.md's LP (objective in $/h), from the same
    matrices as :mod:`core.highs_lp`: demand rows as equalities, capacity rows ``≤ cap`` and
    pinned rows ``≥ σD`` as ``−row ≤ −σD``."""
    n, n_u = inp.n_nodes, inp.n_nodes * inp.n_workloads
    a = lp_matrix(inp.n_nodes, inp.n_workloads).tocsr()
    cost, col_upper, row_lower, row_upper = lp_bounds(inp)
    cap, pinned = slice(n_u, n_u + n), slice(n_u + n, None)
    res = linprog(cost, A_ub=sp.vstack([a[cap], -a[pinned]], format="csr"),
                  b_ub=np.concatenate([row_upper[cap], -row_lower[pinned]]),
                  A_eq=a[:n_u], b_eq=row_lower[:n_u],
                  bounds=np.column_stack([np.zeros(cost.size), col_upper]), method="highs")
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
