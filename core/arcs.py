"""Relocated arcs as sparse lists: what a budget admits, without an N×N×K mask per budget.

An arc is a triple (s, r, k) with r ≠ s; its flat index is ``(s·N + r)·K + k`` (C order of
``x[s, r, k]``). Only *candidate* arcs are kept: those that could carry work at an unbounded
budget (D[s,k] > 0, cap[r] > 0, residency and the provider lock allow them when those frictions
are on). A budget vector B admits the candidates with ``rtt[s, r] ≤ B[k]`` (docs/model.md,
"Feasibility mask"); home arcs always pass and are not listed here.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.inputs import ModelInputs, feasibility_mask


@dataclass(frozen=True)
class Arcs:
    """Parallel arrays over a list of relocated arcs (views are fine: nothing is written).

    ``flat`` [s, r, k] flat index, ``sk`` = s·K + k (the arc's demand row), ``r`` its compute node,
    ``unit_usd_per_mwh`` its unit objective (:func:`core.inputs.unit_objective_usd_per_mwh`).
    """

    flat: np.ndarray
    sk: np.ndarray
    r: np.ndarray
    unit_usd_per_mwh: np.ndarray

    def __len__(self) -> int:
        return int(self.flat.size)

    def take(self, index) -> "Arcs":
        return Arcs(self.flat[index], self.sk[index], self.r[index], self.unit_usd_per_mwh[index])

    def reduced_cost_usd_per_mwh(self, demand_dual_usd_per_mwh: np.ndarray,
                                 capacity_dual_usd_per_mwh: np.ndarray) -> np.ndarray:
        """``unit − y[s,k] + π[r]`` per arc: the change of the objective [$/MWh] per MW moved onto
        the arc, against the duals of an optimum (y [s, k] demand, π [r] ≥ 0 capacity)."""
        return (self.unit_usd_per_mwh - demand_dual_usd_per_mwh.ravel()[self.sk]
                + capacity_dual_usd_per_mwh[self.r])


def relocated_mask(inp: ModelInputs, budget_ms: np.ndarray | None = None) -> np.ndarray:
    """[s, r, k] the relocated arcs (r ≠ s) the mask allows at ``budget_ms`` (default ``inp``'s
    budgets) that could carry demand (D[s,k] > 0)."""
    n = inp.n_nodes
    mask = feasibility_mask(inp, budget_ms) & (inp.demand_mw > 0)[:, None, :]
    mask[np.arange(n), np.arange(n), :] = False
    return mask


def admitted_arcs(inp: ModelInputs, unit_usd_per_mwh: np.ndarray) -> Arcs:
    """The relocated arcs ``inp``'s own budgets admit, with D[s,k] > 0 (one dense mask)."""
    return _arcs(np.flatnonzero(relocated_mask(inp)), inp.n_nodes, inp.n_workloads, unit_usd_per_mwh)


def _arcs(flat: np.ndarray, n: int, k: int, unit_usd_per_mwh: np.ndarray) -> Arcs:
    s, rest = np.divmod(flat, n * k)
    r, w = np.divmod(rest, k)
    return Arcs(flat, s * k + w, r, unit_usd_per_mwh.ravel()[flat])


@dataclass(frozen=True)
class SortedArcs:
    """The candidate arcs of one sweep, ordered so that every budget admits a prefix.

    ``arcs[:n_fixed]`` are the arcs of the classes the sweep does not relax that their own budgets
    admit; after them come the swept classes' candidates by rtt, ascending. Budget b (for the
    swept classes) admits ``arcs[:count(b)]``.
    """

    arcs: Arcs
    rtt_ms: np.ndarray          # [listed arcs] rtt[s, r]; ascending from n_fixed on
    n_fixed: int

    @property
    def swept_rtt_ms(self) -> np.ndarray:
        return self.rtt_ms[self.n_fixed:]

    def count(self, budget_ms: float) -> int:
        return self.n_fixed + int(np.searchsorted(self.swept_rtt_ms, budget_ms, side="right"))

    def prefix(self, count: int) -> Arcs:
        """The arcs a budget admits: the first ``count`` (:meth:`count`)."""
        return self.slice(0, count)

    def slice(self, start: int, stop: int) -> Arcs:
        a = self.arcs
        return Arcs(a.flat[start:stop], a.sk[start:stop], a.r[start:stop], a.unit_usd_per_mwh[start:stop])


def sorted_candidates(inp: ModelInputs, unit_usd_per_mwh: np.ndarray, swept: np.ndarray) -> SortedArcs:
    """The candidates of a sweep over the classes where ``swept`` [k] is True (the others keep
    ``inp.budget_ms``), in :class:`SortedArcs` order; ties in rtt keep flat order."""
    n, k = inp.n_nodes, inp.n_workloads
    flat = np.flatnonzero(relocated_mask(inp, np.full(k, np.inf)))
    s, rest = np.divmod(flat, n * k)
    r, w = np.divmod(rest, k)
    rtt = inp.rtt_ms[s, r]
    moving = swept[w]
    fixed = np.flatnonzero(~moving & (rtt <= inp.budget_ms[w]))
    order = np.flatnonzero(moving)
    order = order[np.argsort(rtt[order], kind="stable")]
    index = np.concatenate([fixed, order])
    arcs = Arcs(flat[index], (s * k + w)[index], r[index], unit_usd_per_mwh.ravel()[flat[index]])
    return SortedArcs(arcs, rtt[index], int(fixed.size))
