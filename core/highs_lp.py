"""The same LP handed to HiGHS directly: the fast path for sweeps (frontier, waterfall).

The CVXPY model of :mod:`core.model` stays the model of record. For a sweep, this builds the LP
of docs/model.md once as sparse matrices and keeps one ``highspy.Highs`` instance: each solve only
changes the costs and bounds that differ, so HiGHS restarts from the last optimal basis (a
relaxed budget only opens column bounds: the old basis stays primal feasible). Tests check that
it reaches the same optimum as the CVXPY model.

Rows: demand ``Σ_r x + u = D`` (N·K), capacity ``Σ x ≤ cap`` (N), pinned ``x_home + u ≥ σD`` (N·K).
Columns: ``x`` (N·N·K, C order [s, r, k]) with upper bound ``D·mask``, then ``u`` (N·K).
"""
from __future__ import annotations

import highspy
import numpy as np
import scipy.sparse as sp

from core.inputs import ModelInputs, feasibility_mask, unit_objective_usd_per_mwh
from core.model import SolveError, quiet_stdout
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


class HighsLP:
    """docs/model.md's LP in one warm HiGHS instance; ``solve(inp)`` has :class:`PlacementModel`'s contract."""

    def __init__(self, node_ids: tuple[str, ...], workload_ids: tuple[str, ...]):
        self.node_ids, self.workload_ids = tuple(node_ids), tuple(workload_ids)
        n, k = len(node_ids), len(workload_ids)
        a = lp_matrix(n, k)
        self.n_cols, self.n_rows = a.shape[1], a.shape[0]
        with quiet_stdout():
            self.highs = highspy.Highs()
        self.highs.setOptionValue("output_flag", False)
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = self.n_cols, self.n_rows
        lp.col_cost_ = np.zeros(self.n_cols)
        lp.col_lower_, lp.col_upper_ = np.zeros(self.n_cols), np.zeros(self.n_cols)
        lp.row_lower_, lp.row_upper_ = np.zeros(self.n_rows), np.zeros(self.n_rows)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = a.indptr, a.indices, a.data
        self.highs.passModel(lp)
        self._cost = np.zeros(self.n_cols)
        self._col_upper = np.zeros(self.n_cols)
        self._row_lower, self._row_upper = np.zeros(self.n_rows), np.zeros(self.n_rows)
        self.solves = 0

    @classmethod
    def for_inputs(cls, inp: ModelInputs) -> "HighsLP":
        return cls(inp.node_ids, inp.workload_ids)

    def fits(self, inp: ModelInputs) -> bool:
        return inp.node_ids == self.node_ids and inp.workload_ids == self.workload_ids

    def _update(self, inp: ModelInputs) -> None:
        cost, col_upper, row_lower, row_upper = lp_bounds(inp)
        changed = np.flatnonzero(cost != self._cost).astype(np.int32)
        if changed.size:
            self.highs.changeColsCost(changed.size, changed, cost[changed])
        changed = np.flatnonzero(col_upper != self._col_upper).astype(np.int32)
        if changed.size:
            self.highs.changeColsBounds(changed.size, changed, np.zeros(changed.size), col_upper[changed])
        changed = np.flatnonzero((row_lower != self._row_lower) | (row_upper != self._row_upper)).astype(np.int32)
        if changed.size:
            self.highs.changeRowsBounds(changed.size, changed, row_lower[changed], row_upper[changed])
        self._cost, self._col_upper, self._row_lower, self._row_upper = cost, col_upper, row_lower, row_upper

    def solve(self, inp: ModelInputs) -> Solution:
        """Update what changed and re-solve from the last basis; raises :class:`SolveError`."""
        if not self.fits(inp):
            raise ValueError("these inputs have other nodes or workloads than this LP")
        self._update(inp)
        self.highs.run()
        status = self.highs.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise SolveError(f"HiGHS: {self.highs.modelStatusToString(status)}")
        self.solves += 1
        n, k = inp.n_nodes, inp.n_workloads
        n_x = n * n * k
        sol = self.highs.getSolution()
        col = np.asarray(sol.col_value)
        row_dual = np.asarray(sol.row_dual)
        x = np.clip(col[:n_x], 0.0, None).reshape(n, n, k)
        u = np.clip(col[n_x:], 0.0, None).reshape(n, k)
        demand_dual = row_dual[: n * k].reshape(n, k)        # marginal cost of demand [$/MWh]
        capacity_dual = -row_dual[n * k: n * k + n]           # value of capacity [$/MWh] ≥ 0
        if not inp.friction("capacity"):
            capacity_dual = np.zeros(n)
        return Solution(inp, x, u, demand_dual, capacity_dual, "optimal", "HIGHS-warm")
