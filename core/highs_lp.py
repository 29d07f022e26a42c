"""The same LP handed to HiGHS directly, by column generation: the engine for sweeps and scale.

The CVXPY model of :mod:`core.model` stays the model of record. This keeps one
``highspy.Highs`` instance whose columns are the home arcs x[s,s,k], the unserved u[s,k] and only
those relocated arcs that have ever priced in; every other admitted arc is priced against the
duals of the last optimum (``unit − y[s,k] + π[r]``, :meth:`core.arcs.Arcs.reduced_cost_usd_per_mwh`)
and added when its reduced cost is negative, until none is. Then the duals are feasible for every
admitted arc and the optimum is the full LP's (docs/model.md): column generation, exact. Each
solve only changes the costs and bounds that differ, so HiGHS restarts from the last optimal
basis (new columns enter at zero, so the basis stays primal feasible).

Rows: demand ``Σ_r x + u = D`` (N·K), capacity ``Σ x ≤ cap`` (N), pinned ``x_home + u ≥ σD`` (N·K).
Columns: home x (N·K), u (N·K), then relocated x in the order they were added.
"""
from __future__ import annotations

import highspy
import numpy as np

from core.arcs import Arcs, admitted_arcs
from core.inputs import (ModelInputs, home_unit_objective_usd_per_mwh, transfer_usd_per_mwh,
                         unit_objective_usd_per_mwh)
from core.model import SolveError, quiet_stdout
from core.solution import Solution

PRICE_TOL_USD_PER_MWH = 1e-7
"""Relative tolerance of pricing: an arc prices in when ``unit − y + π < −tol·max(1, max|unit|)``."""

PURGE_ABOVE_ROWS = 1.0
"""When the relocated columns outnumber the rows this many times, those nonbasic at zero are
dropped, between pricing rounds and after a solve (they stay priced: pricing adds them back if
they price in again). The cost of every HiGHS run grows with its columns: at 1,000 nodes, a
12-budget frontier took 83 s CPU without purging, 26 s purging after each solve (2× rows) and
17 s purging between rounds too (1× rows)."""

MAX_NEW_COLUMNS = 4000
"""At most this many arcs (those of most negative reduced cost) enter per pricing round: the LP
stays small, and later rounds price the rest against the new duals."""


def price_tolerance_usd_per_mwh(inp: ModelInputs) -> float:
    """The absolute pricing tolerance [$/MWh] of ``inp``: :data:`PRICE_TOL_USD_PER_MWH` times the
    larger of V and a bound on every unit objective (it does not depend on the budgets, so a sweep
    and the engine price with the same tolerance)."""
    omega = float(inp.migration_overhead.max(initial=0.0)) if inp.friction("migration") else 0.0
    energy = inp.pue * (1.0 + omega) * (inp.price_usd_per_mwh + inp.carbon_price_usd_per_t * inp.carbon_g_per_kwh / 1000.0)
    bound = float(np.abs(energy).max(initial=0.0)) + float(transfer_usd_per_mwh(inp).max(initial=0.0))
    return PRICE_TOL_USD_PER_MWH * max(1.0, float(inp.unserved_usd_per_mwh), bound)


class HighsLP:
    """docs/model.md's LP in one warm HiGHS instance; ``solve(inp)`` has :class:`PlacementModel`'s contract."""

    def __init__(self, node_ids: tuple[str, ...], workload_ids: tuple[str, ...]):
        self.node_ids, self.workload_ids = tuple(node_ids), tuple(workload_ids)
        n, k = len(node_ids), len(workload_ids)
        self.n, self.k = n, k
        nk = n * k
        self.n_rows = 2 * nk + n
        with quiet_stdout():
            self.highs = highspy.Highs()
        self.highs.setOptionValue("output_flag", False)
        self.highs.setOptionValue("presolve", "off")   # warm restarts from a basis skip it anyway
        self.highs.setOptionValue("simplex_strategy", 4)   # primal: new columns keep the basis primal feasible
        self.highs.setOptionValue("parallel", "off")       # one thread: no per-run thread set-up
        sk = np.arange(nk)
        s = sk // k
        # rows: demand sk (0..NK), capacity r (NK..NK+N), pinned sk (NK+N..); home (s,k) is in all three
        home_rows = np.stack([sk, nk + s, nk + n + sk], axis=1).ravel()
        u_rows = np.stack([sk, nk + n + sk], axis=1).ravel()
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = 2 * nk, self.n_rows
        lp.col_cost_ = np.zeros(2 * nk)
        lp.col_lower_, lp.col_upper_ = np.zeros(2 * nk), np.zeros(2 * nk)
        lp.row_lower_, lp.row_upper_ = np.zeros(self.n_rows), np.zeros(self.n_rows)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = np.concatenate([np.arange(0, 3 * nk + 1, 3), 3 * nk + np.arange(2, 2 * nk + 1, 2)])
        lp.a_matrix_.index_ = np.concatenate([home_rows, u_rows]).astype(np.int32)
        lp.a_matrix_.value_ = np.ones(5 * nk)
        self.highs.passModel(lp)
        self._fixed_cost = np.zeros(2 * nk)        # home x then u
        self._fixed_upper = np.zeros(2 * nk)
        self._row_lower, self._row_upper = np.zeros(self.n_rows), np.zeros(self.n_rows)
        self._col_of_arc = np.full(n * n * k, -1, dtype=np.int64)   # flat [s,r,k] -> relocated column
        self._arc_flat = np.zeros(0, dtype=np.int64)                 # relocated column -> flat
        self._arc_sk = np.zeros(0, dtype=np.int64)
        self._arc_cost = np.zeros(0)
        self._arc_upper = np.zeros(0)
        self._duals: tuple[np.ndarray, np.ndarray] | None = None   # of the last run, if the LP is unchanged since
        self._last = None                                           # HiGHS's solution of that run
        self.solves = 0
        self.pricing_rounds = 0

    @classmethod
    def for_inputs(cls, inp: ModelInputs) -> "HighsLP":
        return cls(inp.node_ids, inp.workload_ids)

    def fits(self, inp: ModelInputs) -> bool:
        return inp.node_ids == self.node_ids and inp.workload_ids == self.workload_ids

    @property
    def n_columns(self) -> int:
        """Columns in the HiGHS LP now: 2·N·K fixed plus the relocated arcs added so far."""
        return 2 * self.n * self.k + int(self._arc_flat.size)

    # --- updates ---------------------------------------------------------------------------
    def _update_rows_and_fixed(self, inp: ModelInputs) -> bool:
        n, k = self.n, self.k
        nk = n * k
        demand = inp.demand_mw.ravel()
        home_ok = np.repeat(inp.capacity_mw > 0, k)
        home_cost = home_unit_objective_usd_per_mwh(inp).ravel()
        cost = np.concatenate([home_cost, np.full(nk, inp.unserved_usd_per_mwh)])
        upper = np.concatenate([demand * home_ok, np.full(nk, np.inf)])
        cap = inp.capacity_mw if inp.friction("capacity") else np.full(n, inp.demand_mw.sum() + 1.0)
        pinned = (inp.demand_mw * inp.pinned_share[None, :]).ravel() * inp.friction("state_locality")
        row_lower = np.concatenate([demand, np.full(n, -np.inf), pinned])
        row_upper = np.concatenate([demand, cap, np.full(nk, np.inf)])
        any_change = False
        changed = np.flatnonzero(cost != self._fixed_cost).astype(np.int32)
        if changed.size:
            self.highs.changeColsCost(changed.size, changed, cost[changed])
        any_change |= bool(changed.size)
        changed = np.flatnonzero(upper != self._fixed_upper).astype(np.int32)
        if changed.size:
            self.highs.changeColsBounds(changed.size, changed, np.zeros(changed.size), upper[changed])
        any_change |= bool(changed.size)
        changed = np.flatnonzero((row_lower != self._row_lower) | (row_upper != self._row_upper)).astype(np.int32)
        for i in changed.tolist():       # highspy 1.12 (the HiGHS ortools 9.15 bundles) has no changeRowsBounds
            self.highs.changeRowBounds(i, float(row_lower[i]), float(row_upper[i]))
        any_change |= bool(changed.size)
        self._fixed_cost, self._fixed_upper = cost, upper
        self._row_lower, self._row_upper = row_lower, row_upper
        return any_change

    def _update_arc_columns(self, inp: ModelInputs, arcs: Arcs, col: np.ndarray) -> bool:
        """Costs and bounds of the relocated columns: admitted ones get D[s,k], the others 0;
        True when any changed."""
        inside = col >= 0
        cost = self._arc_cost.copy()
        cost[col[inside]] = arcs.unit_usd_per_mwh[inside]
        upper = np.zeros(self._arc_flat.size)
        upper[col[inside]] = inp.demand_mw.ravel()[arcs.sk[inside]]
        first = 2 * self.n * self.k
        changed_cost = np.flatnonzero(cost != self._arc_cost)
        if changed_cost.size:
            self.highs.changeColsCost(changed_cost.size, (first + changed_cost).astype(np.int32), cost[changed_cost])
        changed_upper = np.flatnonzero(upper != self._arc_upper)
        if changed_upper.size:
            self.highs.changeColsBounds(changed_upper.size, (first + changed_upper).astype(np.int32),
                                        np.zeros(changed_upper.size), upper[changed_upper])
        self._arc_cost, self._arc_upper = cost, upper
        return bool(changed_cost.size or changed_upper.size)

    def _add_columns(self, inp: ModelInputs, arcs: Arcs) -> None:
        nk, m = self.n * self.k, len(arcs)
        rows = np.stack([arcs.sk, nk + arcs.r], axis=1).ravel().astype(np.int32)
        upper = inp.demand_mw.ravel()[arcs.sk]
        self.highs.addCols(m, arcs.unit_usd_per_mwh.astype(float), np.zeros(m), upper,
                           2 * m, np.arange(0, 2 * m, 2, dtype=np.int32), rows, np.ones(2 * m))
        start = self._arc_flat.size
        self._col_of_arc[arcs.flat] = start + np.arange(m)
        self._arc_flat = np.concatenate([self._arc_flat, arcs.flat])
        self._arc_sk = np.concatenate([self._arc_sk, arcs.sk])
        self._arc_cost = np.concatenate([self._arc_cost, arcs.unit_usd_per_mwh])
        self._arc_upper = np.concatenate([self._arc_upper, upper])

    def _run(self) -> tuple[np.ndarray, np.ndarray]:
        self.highs.run()
        status = self.highs.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise SolveError(f"HiGHS: {self.highs.modelStatusToString(status)}")
        self._last = self.highs.getSolution()
        row_dual = np.asarray(self._last.row_dual)
        nk = self.n * self.k
        return row_dual[:nk].reshape(self.n, self.k), -row_dual[nk: nk + self.n]

    # --- solve -----------------------------------------------------------------------------
    def solve(self, inp: ModelInputs, arcs: Arcs | None = None) -> Solution:
        """Update what changed and re-solve from the last basis; raises :class:`SolveError`.

        ``arcs``: the relocated arcs ``inp`` admits (D > 0), when the caller has them (a sweep);
        otherwise they come from ``inp``'s mask. After a failure the last duals are not reused:
        the next solve runs HiGHS (the cached costs and bounds are those HiGHS holds).
        """
        try:
            return self._solve(inp, arcs)
        except BaseException:
            self._duals = self._last = None
            raise

    def _solve(self, inp: ModelInputs, arcs: Arcs | None) -> Solution:
        if not self.fits(inp):
            raise ValueError("these inputs have other nodes or workloads than this LP")
        if arcs is None:
            arcs = admitted_arcs(inp, unit_objective_usd_per_mwh(inp))
        changed = self._update_rows_and_fixed(inp)
        col = self._col_of_arc[arcs.flat]
        changed |= self._update_arc_columns(inp, arcs, col)
        tol = price_tolerance_usd_per_mwh(inp)
        # the last duals still hold when nothing but new arcs changed: price those before running
        duals = None if changed else self._duals
        while True:
            if duals is None:
                duals = self._run()
            enter = self._pricing(arcs, col, *duals, tol)
            if not enter.size:
                break
            if self._arc_flat.size > PURGE_ABOVE_ROWS * self.n_rows:   # keep each run small
                self._purge()
                col = self._col_of_arc[arcs.flat]
            self._add_columns(inp, arcs.take(enter))
            col[enter] = self._col_of_arc[arcs.flat[enter]]
            duals = None
        self._duals = duals
        self.solves += 1
        sol = self._solution(inp, *duals)
        if self._arc_flat.size > PURGE_ABOVE_ROWS * self.n_rows:
            self._purge()
        return sol

    def _pricing(self, arcs: Arcs, col: np.ndarray, y: np.ndarray, pi: np.ndarray, tol: float) -> np.ndarray:
        """Indices into ``arcs`` of the arcs outside the LP (``col`` < 0) that price in against
        (y, π), at most :data:`MAX_NEW_COLUMNS` of the most negative."""
        self.pricing_rounds += 1
        reduced = arcs.reduced_cost_usd_per_mwh(y, pi)
        enter = np.flatnonzero((reduced < -tol) & (col < 0))
        if enter.size > MAX_NEW_COLUMNS:
            enter = enter[np.argpartition(reduced[enter], MAX_NEW_COLUMNS)[:MAX_NEW_COLUMNS]]
        return enter

    def _purge(self) -> None:
        """Delete the relocated columns that are nonbasic at zero; the basis stays valid, the
        solution does not (the next solve runs HiGHS again)."""
        first = 2 * self.n * self.k
        status = np.asarray([int(s) for s in self.highs.getBasis().col_status[first:]])
        values = np.asarray(self._last.col_value[first:])
        drop = (status != int(highspy.HighsBasisStatus.kBasic)) & (values <= 0.0)
        if not drop.any():
            return
        gone = np.flatnonzero(drop)
        self._duals = self._last = None
        self.highs.deleteCols(gone.size, (first + gone).astype(np.int32))
        keep = ~drop
        self._col_of_arc[self._arc_flat[drop]] = -1
        self._arc_flat, self._arc_sk = self._arc_flat[keep], self._arc_sk[keep]
        self._arc_cost, self._arc_upper = self._arc_cost[keep], self._arc_upper[keep]
        self._col_of_arc[self._arc_flat] = np.arange(self._arc_flat.size)

    def _solution(self, inp: ModelInputs, y: np.ndarray, pi: np.ndarray) -> Solution:
        n, k = self.n, self.k
        nk = n * k
        col = np.clip(np.asarray(self._last.col_value), 0.0, None)
        x = np.zeros(n * n * k)
        home = (np.arange(n)[:, None] * (n + 1) * k + np.arange(k)[None, :]).ravel()  # flat of (s,s,k)
        x[home] = col[:nk]
        x[self._arc_flat] = col[2 * nk:]
        u = col[nk:2 * nk].reshape(n, k)
        capacity_dual = pi if inp.friction("capacity") else np.zeros(n)
        return Solution(inp, x.reshape(n, n, k), u, y, capacity_dual, "optimal", "HIGHS-colgen",
                        support_flat=np.concatenate([home, self._arc_flat]))
