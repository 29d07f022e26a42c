"""What binds at an optimum, and what loosening it is worth.

* :func:`full_mask` / :func:`full_regions`: regions whose load reaches their capacity, with the
  capacity shadow price (docs/model.md: the dual of the capacity constraint) over the period and
  per MW-year.
* :func:`binding_frictions`: for each friction that is on, the objective with it switched off;
  it binds when that changes the objective.
* :func:`latency_value`: what +Δ ms on one class's budget is worth (a re-solve per class), and
  the same with capacity unlimited, which says whether full regions are what holds it back.

``model`` is anything with ``solve(ModelInputs) -> Solution`` of the same structure (the
session's warm :class:`~core.highs_lp.HighsLP` or :class:`~core.model.PlacementModel`); ``base``
is its solution of ``inp`` (the session has it cached).
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from core.inputs import ModelInputs
from core.narrative import HOURS_PER_YEAR, ms_words, period_words, usd_words
from core.scenario import FRICTIONS
from core.solution import Solution

FULL_TOL_MW = 1e-6            # MW: a region is full when its load ≥ capacity − this (solver tolerance)
OBJECTIVE_REL_TOL = 1e-7      # solver noise on the objective: |Δ| ≤ this × |objective| counts as 0
LATENCY_STEP_MS = 10.0


def objective_tol_usd(objective_usd: float) -> float:
    """The smallest objective change [$] that is not solver noise: 1e-7 relative, at least $1."""
    return max(1.0, OBJECTIVE_REL_TOL * abs(float(objective_usd)))


def full_mask(sol: Solution, tol_mw: float = FULL_TOL_MW) -> np.ndarray:
    """[r] True where the capacity friction is on, capacity > 0 and the optimum's load
    Σ_{s,k} x reaches capacity: load ≥ cap − ``tol_mw`` [MW]. The one rule of "full"."""
    inp = sol.inputs
    if not inp.friction("capacity"):
        return np.zeros(inp.n_nodes, dtype=bool)
    load, cap = sol.load["load_mw"].to_numpy(), inp.capacity_mw
    return (cap > 0) & (load >= cap - max(tol_mw, 0.0))


def full_regions(sol: Solution, tol_mw: float = FULL_TOL_MW) -> pd.DataFrame:
    """The rows of :attr:`Solution.load` where :func:`full_mask` holds, largest shadow price
    first, with one more column: capacity_shadow_usd_per_mw_year (dual × 8760 h, $ per MW-year;
    capacity_shadow_usd_per_mw is dual × H, what one more MW held over the period saves in the
    objective, $/MW)."""
    mask = full_mask(sol, tol_mw)
    full = sol.load[mask].assign(capacity_shadow_usd_per_mw_year=sol.capacity_dual_usd_per_mwh[mask] * HOURS_PER_YEAR)
    return full.sort_values(["capacity_shadow_usd_per_mw", "node"], ascending=[False, True], ignore_index=True)


def binding_frictions(model, inp: ModelInputs, base: Solution | None = None) -> pd.DataFrame:
    """Each friction that is on, switched off alone: columns friction, objective_without_usd,
    cost_usd_of_friction (= objective − objective without it, ≥ 0 up to solver noise; 0 within
    :func:`objective_tol_usd`) and binds (that cost exceeds :func:`objective_tol_usd`). ``base``:
    ``model``'s solution of ``inp`` (solved here when not given)."""
    base = model.solve(inp) if base is None else base
    tol = objective_tol_usd(base.objective_usd)
    rows = []
    for f in FRICTIONS:
        if not inp.friction(f):
            continue
        off = model.solve(inp.with_frictions(**{f: False}))
        cost = base.objective_usd - off.objective_usd
        rows.append({"friction": f, "objective_without_usd": off.objective_usd,
                     "cost_usd_of_friction": cost if abs(cost) > tol else 0.0, "binds": bool(cost > tol)})
    return pd.DataFrame(rows, columns=["friction", "objective_without_usd", "cost_usd_of_friction", "binds"])


def with_budget_step(inp: ModelInputs, workload: str, step_ms: float) -> ModelInputs:
    """``inp`` with one class's latency budget raised by ``step_ms`` [ms]."""
    budget = inp.budget_ms.astype(float).copy()
    budget[inp.workload_ids.index(workload)] += float(step_ms)
    return replace(inp, budget_ms=budget)


def _gain(model, inp: ModelInputs, base: Solution, workload: str, step_ms: float) -> tuple[float, Solution]:
    more = model.solve(with_budget_step(inp, workload, step_ms))
    gain = base.objective_usd - more.objective_usd
    return (gain if abs(gain) > objective_tol_usd(base.objective_usd) else 0.0), more


def latency_value(model, inp: ModelInputs, step_ms: float = LATENCY_STEP_MS,
                  base: Solution | None = None) -> pd.DataFrame:
    """What ``step_ms`` more budget on each class alone is worth, over the period. ``base``:
    ``model``'s solution of ``inp`` (solved here when not given).

    Columns: workload, budget_ms (as set), step_ms, value_usd (objective now − objective with the
    class's budget + step, $; the saving when no carbon price is set and all demand is served),
    savings_change_usd (the change of the savings with the step: cost C now − C with it, $),
    relocated_share_change (with the step − now), and value_without_capacity_usd (the same value
    with the capacity friction off; nan when it is off already): a much larger value there means
    full regions hold the class back.
    """
    base = model.solve(inp) if base is None else base
    rows = []
    for k, w in enumerate(inp.workload_ids):
        value, more = _gain(model, inp, base, w, step_ms)
        rows.append({
            "workload": w, "budget_ms": float(inp.budget_ms[k]), "step_ms": float(step_ms), "value_usd": value,
            "savings_change_usd": base.cost_usd - more.cost_usd,
            "relocated_share_change": more.relocated_share - base.relocated_share,
            "value_without_capacity_usd": np.nan,
        })
    if inp.friction("capacity"):            # after the capacity-on solves: one switch of the warm basis
        free_inp = inp.with_frictions(capacity=False)
        free_base = model.solve(free_inp)
        for row in rows:
            row["value_without_capacity_usd"] = _gain(model, free_inp, free_base, row["workload"], step_ms)[0]
    return pd.DataFrame(rows)


def capacity_holds_back(values: pd.DataFrame, factor: float = 2.0) -> pd.Series:
    """[workload] True where unlimited capacity would make the next milliseconds worth more than
    ``factor`` × what they are worth now (and more than solver noise, :func:`objective_tol_usd` of
    that value): full regions are the limit."""
    v = values.set_index("workload")
    free = v["value_without_capacity_usd"]
    noise = free.fillna(0.0).map(objective_tol_usd)
    return (free.notna() & (free > factor * v["value_usd"].clip(lower=0.0)) & (free > noise)).rename("capacity_holds_back")


def binding_sentence(full: pd.DataFrame, values: pd.DataFrame | None, period_hours: float,
                     names: dict[str, str] | None = None, workload_names: dict[str, str] | None = None) -> str:
    """Why more latency budget may add little, in plain words: which regions are full (from
    :func:`full_regions`), what one more MW there is worth, and, from :func:`latency_value`, the
    classes whose next milliseconds unlimited capacity would make worth much more."""
    names, workload_names = names or {}, workload_names or {}
    if full.empty:
        return "No region is full: capacity does not limit where work runs."
    shown = full.head(3)
    listed = ", ".join(f"{names.get(n, n)} ({load:,.0f} of {cap:,.0f} MW)"
                       for n, load, cap in zip(shown["node"], shown["load_mw"], shown["capacity_mw"]))
    more = f" and {len(full) - 3} more" if len(full) > 3 else ""
    text = (f"{len(full)} region{'s are' if len(full) > 1 else ' is'} full: {listed}{more}. The cheapest regions "
            "within reach cannot take more work, so a longer latency budget moves little more of it.")
    top = full.iloc[0]
    if top["capacity_shadow_usd_per_mw"] > 0:
        text += (f" One more MW in {names.get(top['node'], top['node'])} would save "
                 f"{usd_words(top['capacity_shadow_usd_per_mw'])} {period_words(period_hours)}.")
    if values is not None and len(values):
        held = capacity_holds_back(values)
        v = values.set_index("workload")
        for w in [w for w in v.index if held.get(w, False)][:2]:
            row = v.loc[w]
            text += (f" With capacity unlimited, +{ms_words(row['step_ms'])} on {workload_names.get(w, w)} would be "
                     f"worth {usd_words(row['value_without_capacity_usd'])} instead of "
                     f"{usd_words(max(row['value_usd'], 0.0))}.")
    return text
