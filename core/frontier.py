"""The energy–latency frontier: cost, emissions, savings and RID against the latency budget.

C(b) is a non-increasing step function that changes only where b crosses the rtt of an arc, so
the exact frontier solves at those breakpoints. Between solves it *prices out* the arcs a new
budget admits: with the duals of the last LP (y[s,k] for demand, π[r] for capacity), an arc whose
reduced cost ``unit objective − y[s,k] + π[r]`` is ≥ 0 cannot improve the optimum, so when every
newly admitted arc prices out the last solution stays optimal and no LP is solved. The compiled
model is re-solved with new parameter values, never rebuilt.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from core.inputs import LAYERS, ModelInputs, feasibility_mask, layer_of_arc, unit_objective_usd_per_mwh
from core.metrics import relocatable_demand_share
from core.solution import Solution

PRICE_TOL_USD_PER_MWH = 1e-7


def budget_vector_ms(inp: ModelInputs, budget_ms: float, workload: str | None = None) -> np.ndarray:
    """Budgets [ms] per class: all set to ``budget_ms`` (uniform), or only ``workload``'s."""
    if workload is None:
        return np.full(inp.n_workloads, float(budget_ms))
    b = inp.budget_ms.copy()
    b[inp.workload_ids.index(workload)] = budget_ms
    return b


def breakpoints_ms(inp: ModelInputs, workload: str | None = None) -> np.ndarray:
    """0 and every distinct rtt [ms] at which an arc that could carry demand is admitted.

    An arc (s, r ≠ s, k) counts when D[s,k] > 0, cap[r] > 0 and residency allows it (if the legal
    friction is on); for a per-class frontier only the arcs of that class count.
    """
    big = np.full(inp.n_workloads, np.inf)
    admitted = feasibility_mask(inp, big) & (inp.demand_mw > 0)[:, None, :]
    admitted[np.arange(inp.n_nodes), np.arange(inp.n_nodes), :] = False
    if workload is not None:
        keep = np.zeros(inp.n_workloads, dtype=bool)
        keep[inp.workload_ids.index(workload)] = True
        admitted &= keep[None, None, :]
    rtt = np.broadcast_to(inp.rtt_ms[:, :, None], admitted.shape)[admitted]
    return np.unique(np.concatenate([[0.0], rtt[np.isfinite(rtt)]]))


def _layer_mw(sol: Solution) -> dict[str, float]:
    layer = layer_of_arc(sol.inputs)
    per_pair = sol.x_mw.sum(axis=2)
    return {f"{name.replace('-', '_')}_mw": float(per_pair[layer == i].sum()) for i, name in enumerate(LAYERS)}


def _point(b: float, sol: Solution, inp: ModelInputs, unit: np.ndarray, solved: bool) -> dict:
    return {"budget_ms": float(b), "objective_usd": sol.objective_usd, "cost_usd": sol.cost_usd,
            "emissions_t": sol.emissions_t, "emissions_avg_t": sol.emissions_avg_t,
            "emissions_marginal_t": sol.emissions_marginal_t, "unserved_mw": sol.unserved_mw,
            "rid": relocatable_demand_share(inp, unit_usd_per_mwh=unit), "relocated_share": sol.relocated_share,
            **_layer_mw(sol), "solved": solved}


class _Pricer:
    """Decides whether a newly admitted arc set can improve the last optimum (see module doc)."""

    def __init__(self, inp: ModelInputs):
        self.unit = unit_objective_usd_per_mwh(inp)

    def improves(self, sol: Solution, new_arcs: np.ndarray) -> bool:
        y = sol.demand_dual_usd_per_mwh[:, None, :]
        pi = sol.capacity_dual_usd_per_mwh[None, :, None]
        reduced = self.unit - y + pi
        tol = PRICE_TOL_USD_PER_MWH * max(1.0, float(np.abs(self.unit).max()))
        return bool((reduced[new_arcs] < -tol).any())


def frontier(model, inp: ModelInputs, budgets_ms=None, workload: str | None = None,
             exact_pricing: bool = True) -> pd.DataFrame:
    """The frontier as a tidy DataFrame, one row per budget [ms], sorted by budget.

    ``budgets_ms=None`` gives the exact frontier at every breakpoint (:func:`breakpoints_ms`).
    ``workload=None`` relaxes every class to b; otherwise only that class (the others as given).
    Savings are against the local baseline (every budget 0). Columns: budget_ms, objective_usd,
    cost_usd, emissions_t (objective's signal), emissions_avg_t, emissions_marginal_t, unserved_mw,
    savings_usd, carbon_savings_t, carbon_savings_avg_t, carbon_savings_marginal_t, rid,
    relocated_share, local_mw, regional_mw, energy_oriented_mw, solved (an LP was solved, rather
    than the point priced out), and the returns on latency (see :func:`returns_on_latency`).
    """
    budgets = breakpoints_ms(inp, workload) if budgets_ms is None else np.asarray(budgets_ms, dtype=float)
    order = np.unique(budgets)
    local = model.solve(replace(inp, budget_ms=np.zeros(inp.n_workloads)))
    pricer = _Pricer(inp)
    rows, last, last_mask = [], None, None
    for b in order:
        b_inp = replace(inp, budget_ms=budget_vector_ms(inp, b, workload))
        mask = feasibility_mask(b_inp)
        solve = (last is None or not exact_pricing or (last_mask & ~mask).any()
                 or pricer.improves(last, mask & ~last_mask))
        if solve:
            last = model.solve(b_inp)
        else:
            last = replace(last, inputs=b_inp)
        last_mask = mask
        rows.append(_point(b, last, b_inp, pricer.unit, solve))
    zero = local if workload is None else model.solve(replace(inp, budget_ms=budget_vector_ms(inp, 0.0, workload)))
    return _table(rows, local, inp, zero)


def _table(rows: list[dict], local: Solution, inp: ModelInputs, zero: Solution | None = None) -> pd.DataFrame:
    """The frontier table from :func:`_point` rows: savings against ``local`` and the returns
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
