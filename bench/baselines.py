"""The baselines the benchmark compares with, as engines with ``solve(inp) -> Solution``.

* :func:`lp_matrix`, :func:`lp_bounds`: MODEL.md's full LP as sparse matrices — columns ``x``
  (N·N·K, C order [s, r, k], upper bound ``D·mask``) then ``u`` (N·K); rows demand ``Σ_r x + u = D``
  (N·K), capacity ``Σ x ≤ cap`` (N), pinned ``x_home + u ≥ σD`` (N·K).
* :class:`Linprog`: that LP solved by ``scipy.optimize.linprog(method="highs")`` and rebuilt at
  every solve, duals included (so the frontier prices the same way).
* :func:`highs_full_lp`, :func:`highs_reference`: bare HiGHS, that LP passed once to ``highspy``
  and solved cold (default options), no result tables.
* :class:`RebuildCvxpy`: a new :class:`~core.model.PlacementModel` (build and compile) for every solve.
* :func:`ortools_reference`: bare OR-Tools min-cost flow on prebuilt arc arrays, no result tables.
"""
from __future__ import annotations

import highspy
import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

from ortools.graph.python.min_cost_flow import SimpleMinCostFlow

from core.inputs import ModelInputs, feasibility_mask, unit_objective_usd_per_mwh
from core.model import PlacementModel, quiet_stdout
from core.network import _build
from core.solution import Solution
from core.terms import capacity_incidence, demand_incidence, home_arcs


def lp_matrix(n_nodes: int, n_workloads: int) -> sp.csc_matrix:
    """The constraint matrix (demand, capacity, pinned rows × x, u columns); it depends only on N, K."""
    n, k = n_nodes, n_workloads
    n_u = n * k
    pinned = sp.csr_matrix((np.ones(n_u), (np.arange(n_u), home_arcs(n, k))), shape=(n_u, n * n * k))
    return sp.vstack([sp.hstack([demand_incidence(n, k), sp.identity(n_u)]),
                      sp.hstack([capacity_incidence(n, k), sp.csr_matrix((n, n_u))]),
                      sp.hstack([pinned, sp.identity(n_u)])], format="csc")


def lp_bounds(inp: ModelInputs) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Objective [$/MWh], column upper bounds [MW], row lower and upper bounds [MW] of ``inp``."""
    n_u = inp.n_nodes * inp.n_workloads
    demand = inp.demand_mw.ravel()
    cost = np.concatenate([unit_objective_usd_per_mwh(inp).ravel(), np.full(n_u, inp.unserved_usd_per_mwh)])
    col_upper = np.concatenate([(feasibility_mask(inp) * inp.demand_mw[:, None, :]).ravel(), np.full(n_u, np.inf)])
    cap = inp.capacity_mw if inp.friction("capacity") else np.full(inp.n_nodes, inp.demand_mw.sum() + 1.0)
    pinned = (inp.demand_mw * inp.pinned_share[None, :]).ravel() * inp.friction("state_locality")
    row_lower = np.concatenate([demand, np.full(inp.n_nodes, -np.inf), pinned])
    row_upper = np.concatenate([demand, cap, np.full(n_u, np.inf)])
    return cost, col_upper, row_lower, row_upper


def highs_full_lp(inp: ModelInputs, matrix: sp.csc_matrix | None = None) -> highspy.HighsLp:
    """The full N·N·K LP of ``inp`` (:func:`lp_matrix`, :func:`lp_bounds`) as a ``highspy.HighsLp``;
    ``matrix``: :func:`lp_matrix` of the same N, K when the caller has it."""
    a = lp_matrix(inp.n_nodes, inp.n_workloads) if matrix is None else matrix
    cost, col_upper, row_lower, row_upper = lp_bounds(inp)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = a.shape[1], a.shape[0]
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = cost, np.zeros(cost.size), col_upper
    lp.row_lower_, lp.row_upper_ = row_lower, row_upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = a.indptr, a.indices, a.data
    return lp


def highs_reference(lp: highspy.HighsLp, time_limit_s: float = float("inf")) -> float:
    """Pass ``lp`` to a new ``highspy.Highs`` (default options) and solve it cold; the optimal
    objective [$/h], or NaN when HiGHS stopped at ``time_limit_s``."""
    with quiet_stdout():
        highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("time_limit", float(time_limit_s))
    highs.passModel(lp)
    highs.run()
    status = highs.getModelStatus()
    if status == highspy.HighsModelStatus.kTimeLimit:
        return float("nan")
    if status != highspy.HighsModelStatus.kOptimal:
        raise RuntimeError(f"bare HiGHS: {highs.modelStatusToString(status)}")
    return float(highs.getInfo().objective_function_value)


def solve_linprog(inp: ModelInputs):
    """``scipy.optimize.linprog`` result of MODEL.md's LP (objective in $/h), from the same
    matrices as :func:`highs_full_lp`: demand rows as equalities, capacity rows ``≤ cap`` and
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

    def solve(self, inp: ModelInputs, arcs=None) -> Solution:
        res = solve_linprog(inp)
        n, k = inp.n_nodes, inp.n_workloads
        x = np.clip(res.x[: n * n * k], 0.0, None).reshape(n, n, k)
        u = np.clip(res.x[n * n * k:], 0.0, None).reshape(n, k)
        demand_dual = np.asarray(res.eqlin.marginals).reshape(n, k)  # ∂ objective / ∂ D
        capacity_dual = (-np.asarray(res.ineqlin.marginals)[:n] if inp.friction("capacity") else np.zeros(n))
        return Solution(inp, x, u, demand_dual, capacity_dual, "optimal", "scipy-linprog-highs")


class RebuildCvxpy:
    """The CVXPY model built and compiled anew for every solve (what a naive sweep does)."""

    def solve(self, inp: ModelInputs, arcs=None) -> Solution:
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
