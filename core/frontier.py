"""The energy–latency frontier: cost, emissions, savings and RID against the latency budget.

C(b) is a non-increasing step function that changes only where b crosses the rtt of an arc, so
the exact frontier solves at those breakpoints. The sweep is incremental: the candidate arcs are
sorted by rtt once (:func:`core.arcs.sorted_candidates`), and each breakpoint touches only the
arcs it admits. With the duals of the last LP (y[s,k] for demand, π[r] for capacity), an arc whose
reduced cost ``unit objective − y[s,k] + π[r]`` is ≥ 0 cannot improve the optimum, so when every
newly admitted arc prices out the last solution stays optimal and no LP is solved (an engine
without duals solves whenever a new arc is admitted). Every engine of :mod:`core.engines` runs
behind the same call, ``engine.solve(inputs, arcs=admitted) -> Solution``.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pandas as pd

from core.arcs import SortedArcs, relocated_mask, sorted_candidates
from core.highs_lp import price_tolerance_usd_per_mwh
from core.inputs import (ModelInputs, layer_of_arc, unit_cost_usd_per_mwh,
                         unit_emissions_t_per_mwh, unit_objective_usd_per_mwh)
from core.solution import Solution


def budget_vector_ms(inp: ModelInputs, budget_ms: float, workload: str | None = None) -> np.ndarray:
    """Budgets [ms] per class: all set to ``budget_ms`` (uniform), or only ``workload``'s."""
    if workload is None:
        return np.full(inp.n_workloads, float(budget_ms))
    b = inp.budget_ms.copy()
    b[inp.workload_ids.index(workload)] = budget_ms
    return b


def swept_classes(inp: ModelInputs, workload: str | None = None) -> np.ndarray:
    """[k] True for the classes a sweep relaxes: all (uniform) or only ``workload``."""
    if workload is None:
        return np.ones(inp.n_workloads, dtype=bool)
    return np.asarray(inp.workload_ids) == workload


def breakpoints_ms(inp: ModelInputs, workload: str | None = None) -> np.ndarray:
    """0 and every distinct rtt [ms] at which an arc that could carry demand is admitted.

    An arc (s, r ≠ s, k) counts when D[s,k] > 0, cap[r] > 0 and residency allows it (if the legal
    friction is on); for a per-class frontier only the arcs of that class count.
    """
    admitted = relocated_mask(inp, np.full(inp.n_workloads, np.inf)) & swept_classes(inp, workload)[None, None, :]
    return _breakpoints(np.broadcast_to(inp.rtt_ms[:, :, None], admitted.shape)[admitted])


def _breakpoints(rtt_ms: np.ndarray) -> np.ndarray:
    """0 and every distinct finite rtt [ms] of the admitting arcs, sorted."""
    return np.unique(np.concatenate([[0.0], rtt_ms[np.isfinite(rtt_ms)]]))


class _Totals:
    """A sweep's budget-independent unit terms, to total a placement over its nonzero arcs (the
    formulas of :class:`~core.solution.Solution`: C = H·Σ x·unit cost, and so on)."""

    def __init__(self, inp: ModelInputs):
        self.inp = inp
        layer = np.repeat(layer_of_arc(inp).ravel(), inp.n_workloads)
        # per arc: unit cost [$/MWh], tCO2/MWh average and marginal, home and regional indicators
        self.terms = np.ascontiguousarray(np.stack([
            unit_cost_usd_per_mwh(inp).ravel(),
            unit_emissions_t_per_mwh(inp, inp.carbon_avg_g_per_kwh).ravel(),
            unit_emissions_t_per_mwh(inp, inp.carbon_marginal_g_per_kwh).ravel(),
            (layer == 0).astype(float), (layer == 1).astype(float)], axis=1))
        self.demand_mw = float(inp.demand_mw.sum())

    def row(self, sol: Solution) -> dict:
        inp, h = self.inp, self.inp.period_hours
        x = sol.x_mw.ravel()
        nz = np.flatnonzero(x) if sol.support_flat is None else sol.support_flat
        mw = x[nz]
        cost, e_avg, e_marg, local, regional = (float(v) for v in mw @ self.terms[nz])
        cost, e_avg, e_marg = h * cost, h * e_avg, h * e_marg
        emissions = e_avg if inp.carbon_signal == "average" else e_marg
        unserved = float(sol.unserved_by_demand_mw.sum())
        relocated = float(mw.sum()) - local
        return {"objective_usd": cost + inp.carbon_price_usd_per_t * emissions + h * inp.unserved_usd_per_mwh * unserved,
                "cost_usd": cost, "emissions_t": emissions, "emissions_avg_t": e_avg,
                "emissions_marginal_t": e_marg, "unserved_mw": unserved, "rid": None,
                "relocated_share": relocated / self.demand_mw if self.demand_mw > 0 else 0.0,
                "local_mw": local, "regional_mw": regional, "energy_oriented_mw": relocated - regional}


class _Rid:
    """RID (:func:`core.metrics.relocatable_demand_share`) at any budget vector in O(N·K): the
    smallest rtt [ms] at which each (s, k) gets an admitted r ≠ s strictly cheaper than home."""

    def __init__(self, inp: ModelInputs, cands: SortedArcs, unit: np.ndarray):
        n, k = inp.n_nodes, inp.n_workloads
        home = np.einsum("ssk->sk", unit).ravel()
        a = cands.arcs
        better = a.unit_usd_per_mwh < home[a.sk] - 1e-9
        self.threshold_ms = np.full(n * k, np.inf)
        np.minimum.at(self.threshold_ms, a.sk[better], cands.rtt_ms[better])
        self.k_of = np.tile(np.arange(k), n)
        self.demand = inp.demand_mw.ravel()
        self.total = float(self.demand.sum())

    def share(self, budget_ms: np.ndarray) -> float:
        if self.total <= 0:
            return 0.0
        return float(self.demand[self.threshold_ms <= budget_ms[self.k_of]].sum() / self.total)


def _has_duals(sol: Solution) -> bool:
    return bool(np.isfinite(sol.demand_dual_usd_per_mwh).all() and np.isfinite(sol.capacity_dual_usd_per_mwh).all())


def frontier(engine, inp: ModelInputs, budgets_ms=None, workload: str | None = None,
             exact_pricing: bool = True, progress: Callable[[float], None] | None = None) -> pd.DataFrame:
    """The frontier as a tidy DataFrame, one row per budget [ms], sorted by budget.

    ``engine``: any engine of :mod:`core.engines` (``solve(inputs, arcs=...) -> Solution``).
    ``budgets_ms=None`` gives the exact frontier at every breakpoint (:func:`breakpoints_ms`).
    ``workload=None`` relaxes every class to b; otherwise only that class (the others as given).
    ``exact_pricing=False`` solves every point where an arc is admitted (for tests).
    ``progress``, if given, is called with the share of budgets done (0..1), at most 101 times, 1 last.
    Savings are against the local baseline (every budget 0). Columns: budget_ms, objective_usd,
    cost_usd, emissions_t (objective's signal), emissions_avg_t, emissions_marginal_t, unserved_mw,
    savings_usd, carbon_savings_t, carbon_savings_avg_t, carbon_savings_marginal_t, rid,
    relocated_share, local_mw, regional_mw, energy_oriented_mw, solved (an LP was solved, rather
    than the point priced out or unchanged), and the returns on latency (:func:`returns_on_latency`).
    """
    unit = unit_objective_usd_per_mwh(inp)
    cands = sorted_candidates(inp, unit, swept_classes(inp, workload))
    if budgets_ms is None:
        budgets = _breakpoints(cands.swept_rtt_ms)
    else:
        budgets = np.unique(np.asarray(budgets_ms, dtype=float))
        if budgets.size == 0 or not np.isfinite(budgets).all() or (budgets < 0).any():
            raise ValueError(f"budgets_ms: expected finite budgets ≥ 0 ms, at least one; got {list(budgets_ms)}")
    totals, rid = _Totals(inp), _Rid(inp, cands, unit)
    tol = price_tolerance_usd_per_mwh(inp)
    local = engine.solve(replace(inp, budget_ms=np.zeros(inp.n_workloads)))
    rows, last, last_row, last_count = [], None, None, -1
    report_every = max(1, len(budgets) // 100)
    for i, b in enumerate(budgets):
        if progress is not None and i % report_every == 0:
            progress(i / len(budgets))
        b_ms = budget_vector_ms(inp, b, workload)
        count = cands.count(b)
        if last is None:
            solve = True
        elif count == last_count:
            solve = False
        elif not exact_pricing or not _has_duals(last):
            solve = True
        else:
            new = cands.slice(last_count, count)
            reduced = new.reduced_cost_usd_per_mwh(last.demand_dual_usd_per_mwh, last.capacity_dual_usd_per_mwh)
            solve = bool((reduced < -tol).any())
        if solve:
            last = engine.solve(replace(inp, budget_ms=b_ms), arcs=cands.prefix(count))
            last_row = totals.row(last)
        last_count = count
        rows.append({"budget_ms": float(b), **last_row, "rid": rid.share(b_ms), "solved": solve})
    if progress is not None:
        progress(1.0)
    if workload is None:
        zero = local
    else:
        zero_inp = replace(inp, budget_ms=budget_vector_ms(inp, 0.0, workload))
        zero = engine.solve(zero_inp, arcs=cands.prefix(cands.count(0.0)))
    return _table(rows, local, inp, zero)


def _table(rows: list[dict], local: Solution, inp: ModelInputs, zero: Solution | None = None) -> pd.DataFrame:
    """The frontier table from the sweep's rows: savings against ``local`` and the returns
    on latency against ``zero``, the sweep's own budget-0 solution (default: ``local``)."""
    df = pd.DataFrame(rows)
    df["savings_usd"] = local.cost_usd - df["cost_usd"]
    df["carbon_savings_t"] = local.emissions_t - df["emissions_t"]
    df["carbon_savings_avg_t"] = local.emissions_avg_t - df["emissions_avg_t"]
    df["carbon_savings_marginal_t"] = local.emissions_marginal_t - df["emissions_marginal_t"]
    return returns_on_latency(df, float(inp.demand_mw.sum() * inp.period_hours), local if zero is None else zero)


def marginal_returns(budget_ms: pd.Series, values: pd.Series) -> pd.Series:
    """Marginal return on latency between successive rows sorted by budget:
    ``(V(b_{i-1}) − V(b_i)) / (b_i − b_{i-1})`` (per ms; nan on the first row), with ``values``
    V the cost [$] for ERoL or the emissions [tCO2] for CRoL."""
    return -values.diff() / budget_ms.diff()


def returns_on_latency(df: pd.DataFrame, demand_mwh: float, zero: Solution) -> pd.DataFrame:
    """Add ERoL [$/ms] and CRoL [tCO2/ms], marginal and average, and per MWh of demand.

    Marginal: ``(C(b_{i-1}) − C(b_i)) / (b_i − b_{i-1})`` between successive rows (none on the
    first); average: ``(C(0) − C(b_i)) / b_i`` with ``zero`` the solution at budget 0 of the same
    sweep (the local baseline for a uniform frontier; none at b = 0).
    """
    df = df.sort_values("budget_ms").reset_index(drop=True)
    b = df["budget_ms"].where(df["budget_ms"] > 0)
    per_mwh = demand_mwh if demand_mwh > 0 else np.nan
    for name, col, at_zero in (("erol", "cost_usd", zero.cost_usd), ("crol", "emissions_t", zero.emissions_t)):
        unit = "usd_per_ms" if name == "erol" else "t_per_ms"
        df[f"{name}_marginal_{unit}"] = marginal_returns(df["budget_ms"], df[col])
        df[f"{name}_avg_{unit}"] = (at_zero - df[col]) / b
        df[f"{name}_marginal_{unit}_per_mwh"] = df[f"{name}_marginal_{unit}"] / per_mwh
        df[f"{name}_avg_{unit}_per_mwh"] = df[f"{name}_avg_{unit}"] / per_mwh
    return df
