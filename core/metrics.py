"""The metrics of docs/model.md: local baseline and savings, relocatable inference demand, execution
layers, break-even, friction waterfall. Each returns numbers or a tidy DataFrame."""
from __future__ import annotations

from dataclasses import replace
from typing import Sequence

import numpy as np
import pandas as pd

from core.inputs import (LAYERS, MASK_REASONS, ModelInputs, facility_factor, feasibility_mask,
                         layer_of_arc, mask_reason, transfer_usd_per_mwh, unit_objective_usd_per_mwh)
from core.scenario import FRICTIONS
from core.solution import Solution


# --- local baseline and savings ----------------------------------------------------------

def local_inputs(inp: ModelInputs) -> ModelInputs:
    """The local baseline: the same inputs with every latency budget set to 0 ms (only home)."""
    return replace(inp, budget_ms=np.zeros(inp.n_workloads))


def savings(sol: Solution, local: Solution) -> dict[str, float]:
    """Savings against the local baseline: cost [$], emissions on both signals [tCO2], objective [$]."""
    return {
        "savings_usd": local.cost_usd - sol.cost_usd,
        "objective_savings_usd": local.objective_usd - sol.objective_usd,
        "carbon_savings_t": local.emissions_t - sol.emissions_t,
        "carbon_savings_avg_t": local.emissions_avg_t - sol.emissions_avg_t,
        "carbon_savings_marginal_t": local.emissions_marginal_t - sol.emissions_marginal_t,
    }


# --- relocatable inference demand -----------------------------------------------------------

def relocatable(inp: ModelInputs, budget_ms: np.ndarray | None = None,
                unit_usd_per_mwh: np.ndarray | None = None) -> np.ndarray:
    """[s, k] True where the mask allows some r ≠ s with a strictly lower unit objective than home.

    ``unit_usd_per_mwh`` may pass :func:`unit_objective_usd_per_mwh` of ``inp`` when already computed."""
    unit = unit_objective_usd_per_mwh(inp) if unit_usd_per_mwh is None else unit_usd_per_mwh
    home = np.einsum("ssk->sk", unit)
    better = feasibility_mask(inp, budget_ms) & (unit < home[:, None, :] - 1e-9)
    better[np.arange(inp.n_nodes), np.arange(inp.n_nodes), :] = False
    return better.any(axis=1)


def relocatable_demand_share(inp: ModelInputs, budget_ms: np.ndarray | None = None,
                             unit_usd_per_mwh: np.ndarray | None = None) -> float:
    """RID: share of total demand [MW/MW] whose (s, k) could move somewhere strictly cheaper."""
    total = inp.demand_mw.sum()
    movable = relocatable(inp, budget_ms, unit_usd_per_mwh)
    return float(inp.demand_mw[movable].sum() / total) if total > 0 else 0.0


# --- execution layers --------------------------------------------------------------------

def execution_layers(sol: Solution) -> pd.DataFrame:
    """Served MW per workload and layer (local, regional, energy-oriented) and its share of the
    workload's served MW; regional means r ≠ s and rtt ≤ ``regional_ms``."""
    inp = sol.inputs
    layer = layer_of_arc(inp)
    rows = []
    for k, wid in enumerate(inp.workload_ids):
        served = sol.x_mw[:, :, k].sum()
        for li, name in enumerate(LAYERS):
            mw = float(sol.x_mw[:, :, k][layer == li].sum())
            rows.append({"workload": wid, "layer": name, "mw": mw,
                         "share": mw / served if served > 0 else 0.0})
    return pd.DataFrame(rows)


# --- break-even ----------------------------------------------------------------------------

def net_benefit_usd_per_mwh(home_unit_usd_per_mwh, away_unit_usd_per_mwh, transfer_usd_per_mwh_):
    """Net benefit of moving 1 MWh of IT energy: home − away energy-and-carbon cost − transfer [$/MWh]."""
    return home_unit_usd_per_mwh - away_unit_usd_per_mwh - transfer_usd_per_mwh_


def break_even_egress_usd_per_gb(gross_usd_per_mwh, fee_usd_per_mwh, gb_per_mwh):
    """The egress price e [$/GB] at which ``gross = g·e + φ``; inf where g = 0 (egress never binds)."""
    g = np.asarray(gb_per_mwh, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(g > 0, (np.asarray(gross_usd_per_mwh) - fee_usd_per_mwh) / np.where(g > 0, g, 1), np.inf)


def break_even_gb_per_mwh(gross_usd_per_mwh, fee_usd_per_mwh, egress_usd_per_gb):
    """The data intensity g [GB/MWh] at which ``gross = g·e + φ``; inf where e = 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(egress_usd_per_gb > 0, (np.asarray(gross_usd_per_mwh) - fee_usd_per_mwh)
                        / (egress_usd_per_gb if egress_usd_per_gb > 0 else 1), np.inf)


def break_even_carbon_price_usd_per_t(energy_gap_usd_per_mwh, carbon_gap_t_per_mwh, transfer_usd_per_mwh_):
    """The carbon price τ [$/t] at which the net benefit is zero.

    With ``gap_$ = PUE_s·p_s − PUE_r(1+ω)·p_r`` and ``gap_t = (PUE_s·c_s − PUE_r(1+ω)·c_r)/1000``,
    net(τ) = gap_$ + τ·gap_t − transfer, so τ* = (transfer − gap_$) / gap_t (nan where gap_t = 0).
    """
    gap_t = np.asarray(carbon_gap_t_per_mwh, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(gap_t != 0, (transfer_usd_per_mwh_ - np.asarray(energy_gap_usd_per_mwh)) / gap_t, np.nan)


def break_even(inp: ModelInputs, workload: str) -> pd.DataFrame:
    """Every pair (s, r ≠ s) for one workload class, one row each by s then r (node order): the
    break-even condition of docs/model.md.

    Columns: net benefit [$/MWh] (> 0: relocation pays), its parts, break-even egress price
    [$/GB], data intensity [GB/MWh] and carbon price [$/t], and whether the mask allows the pair
    and if not, why.
    """
    k = inp.workload_ids.index(workload)
    ff = facility_factor(inp)[:, :, k]
    home_ff = np.diag(ff)[:, None]
    p, c = inp.price_usd_per_mwh, inp.carbon_g_per_kwh / 1000.0
    tau = inp.carbon_price_usd_per_t
    energy_gap = home_ff * p[:, None] - ff * p[None, :]
    carbon_gap = home_ff * c[:, None] - ff * c[None, :]
    gross = energy_gap + tau * carbon_gap
    transfer = float(transfer_usd_per_mwh(inp)[k])
    fee = inp.migration_usd_per_mwh if inp.friction("migration") else 0.0
    reason = mask_reason(inp)[:, :, k]
    s, r = np.nonzero(~np.eye(inp.n_nodes, dtype=bool))
    ids = np.array(inp.node_ids, dtype=object)
    return pd.DataFrame({
        "service": ids[s], "compute": ids[r], "workload": workload,
        "rtt_ms": inp.rtt_ms[s, r], "gross_benefit_usd_per_mwh": gross[s, r],
        "transfer_usd_per_mwh": transfer,
        "net_benefit_usd_per_mwh": net_benefit_usd_per_mwh(gross[s, r], 0.0, transfer),
        "break_even_egress_usd_per_gb": break_even_egress_usd_per_gb(gross[s, r], fee, inp.gb_per_mwh[k]),
        "break_even_gb_per_mwh": break_even_gb_per_mwh(gross[s, r], fee, inp.egress_usd_per_gb),
        "break_even_carbon_price_usd_per_t": break_even_carbon_price_usd_per_t(energy_gap[s, r], carbon_gap[s, r], transfer),
        "allowed": reason[s, r] == 0,
        "reason": np.array(MASK_REASONS, dtype=object)[reason[s, r]],
    })


# --- friction waterfall --------------------------------------------------------------------

WATERFALL_ORDER = ("egress", "migration", "state_locality", "legal", "capacity")
"""docs/model.md's full order (the ``metrics`` command); the provider lock is not part of it."""
SESSION_WATERFALL_ORDER = WATERFALL_ORDER + ("provider_lock",)
"""The dashboard's order: the provider lock, when it is on in the session, is the last step."""


def friction_waterfall(model, inp: ModelInputs, frictions: Sequence[str] = WATERFALL_ORDER) -> pd.DataFrame:
    """Savings with every friction off (the potential), then with each friction of ``frictions``
    switched on one after another, in that order; a friction not listed stays off throughout.

    The default is docs/model.md's full order (egress, migration, state locality, legal, capacity).
    With ``frictions`` the ones switched on in ``inp``, the last row is ``inp``'s own savings.
    Each step's savings are against the local baseline solved with the same frictions. Columns:
    step, frictions_on, savings_usd, change_usd (what the step took away is negative), carbon
    savings [tCO2] on both signals, relocated_share, unserved_mw.
    """
    steps = waterfall_steps(inp, frictions)
    # The steps from the last back to the first, then the local baselines: each step then only
    # drops a friction from the one solved before it, which a warm engine re-solves from a basis
    # that stays feasible (HiGHS at 200 nodes: 0.6 s for the six, 1.9 s in the order of the rows).
    sols = [model.solve(step_inp) for _, _, step_inp in reversed(steps)][::-1]
    locals_ = [model.solve(local_inputs(step_inp)) for _, _, step_inp in steps]
    return waterfall_table(steps, sols, locals_)


def waterfall_steps(inp: ModelInputs, frictions: Sequence[str] = WATERFALL_ORDER) -> list[tuple[str, str, ModelInputs]]:
    """The steps of :func:`friction_waterfall`: (step, frictions_on, the step's inputs), first
    every friction off, then each friction of ``frictions`` switched on in turn. Raises
    ValueError for an unknown or repeated friction."""
    steps = tuple(frictions)
    unknown = [f for f in steps if f not in FRICTIONS]
    if unknown or len(set(steps)) != len(steps):
        raise ValueError(f"frictions: each of {', '.join(FRICTIONS)} at most once, got {', '.join(steps)}")
    on, out = {f: False for f in FRICTIONS}, []
    for label, friction in [("potential (no frictions)", None)] + [(f, f) for f in steps]:
        if friction:
            on[friction] = True
        out.append((label, ",".join(f for f in FRICTIONS if on[f]) or "none", inp.with_frictions(**on)))
    return out


def waterfall_table(steps, sols, locals_) -> pd.DataFrame:
    """:func:`friction_waterfall`'s rows from its ``steps`` (:func:`waterfall_steps`), each
    step's solution and its local baseline (anything with the totals of
    :class:`~core.solution.Solution`, e.g. a time solution)."""
    rows, previous = [], None
    for (label, frictions_on, _), sol, local in zip(steps, sols, locals_):
        s = savings(sol, local)
        rows.append({"step": label, "frictions_on": frictions_on,
                     **s, "relocated_share": sol.relocated_share, "unserved_mw": sol.unserved_mw,
                     "change_usd": s["savings_usd"] - previous if previous is not None else s["savings_usd"]})
        previous = s["savings_usd"]
    return pd.DataFrame(rows)


# --- break-even sweeps (the dashboard's heatmaps) -------------------------------------------
# Appended for the Break-even page. Each is pure and vectorised; the page only draws them.

def pair_break_even_terms(inp: ModelInputs, workload: str, service: str, compute: str) -> dict[str, float | str | bool]:
    """The parts of docs/model.md's break-even condition for moving 1 MWh of IT energy of ``workload``
    from ``service`` (s) to ``compute`` (r ≠ s), with the frictions as they are switched on.

    Returns (per MWh of IT energy): ``energy_gap_usd_per_mwh`` = PUE_s·p_s − PUE_r(1+ω)·p_r,
    ``carbon_gap_t_per_mwh`` = (PUE_s·c_s − PUE_r(1+ω)·c_r)/1000 [tCO2/MWh] on the objective's
    signal, ``gross_benefit_usd_per_mwh`` = energy gap + τ·carbon gap [$/MWh],
    ``fee_usd_per_mwh`` φ (0 with the migration friction off), ``gb_per_mwh`` g [GB/MWh],
    ``egress_usd_per_gb`` e [$/GB] (the scenario's price, also when the egress friction is off),
    ``egress_on`` (the egress friction), ``transfer_usd_per_mwh`` (g·e + φ as the model prices it),
    ``net_benefit_usd_per_mwh`` = gross − transfer, ``break_even_carbon_price_usd_per_t``,
    ``rtt_ms``, ``budget_ms`` (the class's budget), ``reason`` (first mask test that forbids the
    pair at the current budget, or "allowed") and ``reason_ignoring_latency`` (the same with
    an unlimited budget: "allowed", "residency", "provider" or "no capacity").
    """
    k = inp.workload_ids.index(workload)
    s, r = inp.node_ids.index(service), inp.node_ids.index(compute)
    if s == r:
        raise ValueError("service and compute must differ: home is not a relocation")
    ff = facility_factor(inp)[:, :, k]
    p, c = inp.price_usd_per_mwh, inp.carbon_g_per_kwh / 1000.0
    energy_gap = float(ff[s, s] * p[s] - ff[s, r] * p[r])
    carbon_gap = float(ff[s, s] * c[s] - ff[s, r] * c[r])
    gross = energy_gap + inp.carbon_price_usd_per_t * carbon_gap
    transfer = float(transfer_usd_per_mwh(inp)[k])
    fee = inp.migration_usd_per_mwh if inp.friction("migration") else 0.0
    unlimited = replace(inp, budget_ms=np.full(inp.n_workloads, np.inf))
    return {
        "service": service, "compute": compute, "workload": workload,
        "energy_gap_usd_per_mwh": energy_gap, "carbon_gap_t_per_mwh": carbon_gap,
        "carbon_price_usd_per_t": float(inp.carbon_price_usd_per_t),
        "gross_benefit_usd_per_mwh": gross, "fee_usd_per_mwh": float(fee),
        "gb_per_mwh": float(inp.gb_per_mwh[k]), "egress_usd_per_gb": float(inp.egress_usd_per_gb),
        "egress_on": bool(inp.friction("egress")), "transfer_usd_per_mwh": transfer,
        "net_benefit_usd_per_mwh": gross - transfer,
        "break_even_carbon_price_usd_per_t": float(break_even_carbon_price_usd_per_t(energy_gap, carbon_gap, transfer)),
        "rtt_ms": float(inp.rtt_ms[s, r]), "budget_ms": float(inp.budget_ms[k]),
        "reason": MASK_REASONS[int(mask_reason(inp)[s, r, k])],
        "reason_ignoring_latency": MASK_REASONS[int(mask_reason(unlimited)[s, r, k])],
    }


def net_benefit_egress_grid(gross_usd_per_mwh: float, fee_usd_per_mwh: float,
                            egress_usd_per_gb, gb_per_mwh) -> pd.DataFrame:
    """Net benefit [$/MWh] ``gross − g·e − φ`` of one relocation on every (e, g) of two grids.

    ``egress_usd_per_gb`` e [$/GB] and ``gb_per_mwh`` g [GB/MWh] are 1-D grids; ``gross`` [$/MWh]
    and φ [$/MWh] are the pair's (see :func:`pair_break_even_terms`). Tidy: one row per (e, g),
    columns egress_usd_per_gb, gb_per_mwh, net_benefit_usd_per_mwh. Egress is priced on the whole
    grid, whether or not the egress friction is on: the grid asks "what if egress cost e".
    """
    e = np.asarray(egress_usd_per_gb, dtype=float)
    g = np.asarray(gb_per_mwh, dtype=float)
    ee, gg = np.meshgrid(e, g, indexing="xy")
    net = gross_usd_per_mwh - gg * ee - fee_usd_per_mwh
    return pd.DataFrame({"egress_usd_per_gb": ee.ravel(), "gb_per_mwh": gg.ravel(),
                         "net_benefit_usd_per_mwh": net.ravel()})


def break_even_gb_per_mwh_line(gross_usd_per_mwh: float, fee_usd_per_mwh: float, egress_usd_per_gb) -> np.ndarray:
    """The break-even line ``g·e = gross − φ`` as g [GB/MWh] for each egress price e [$/GB].

    inf where e = 0 (no data intensity is too much when data is free); negative where
    gross ≤ φ (relocation never pays at any g ≥ 0). Vectorised over e.
    """
    e = np.asarray(egress_usd_per_gb, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(e > 0, (gross_usd_per_mwh - fee_usd_per_mwh) / np.where(e > 0, e, 1.0), np.inf)


def relocation_threshold_ms(inp: ModelInputs, workload: str, carbon_price_usd_per_t: float | None = None) -> np.ndarray:
    """[s] The smallest budget [ms] of ``workload`` at which its demand at s has an allowed
    r ≠ s with a strictly lower unit objective than home, at carbon price τ [$/t] (the
    scenario's when None); inf where no destination is better at any budget.

    The demand at s counts in RID (docs/model.md) exactly when the class's budget is ≥ this value.
    """
    k = inp.workload_ids.index(workload)
    tau_inp = inp if carbon_price_usd_per_t is None else replace(inp, carbon_price_usd_per_t=float(carbon_price_usd_per_t))
    unit = unit_objective_usd_per_mwh(tau_inp)[:, :, k]
    home = np.diag(unit)
    unlimited = np.full(inp.n_workloads, np.inf)
    better = feasibility_mask(inp, unlimited)[:, :, k] & (unit < home[:, None] - 1e-9)
    np.fill_diagonal(better, False)
    rtt = np.where(better, inp.rtt_ms, np.inf)
    return rtt.min(axis=1)


def relocatable_share_grid(inp: ModelInputs, workload: str, carbon_prices_usd_per_t, budgets_ms) -> pd.DataFrame:
    """RID of one class over a grid of carbon price τ [$/t] × that class's budget B [ms].

    ``relocatable_share`` is the share of the class's demand [MW/MW] whose (s, k) has an allowed
    r ≠ s within B with a strictly lower unit objective than home at τ (docs/model.md's RID,
    restricted to the class; the other classes do not enter); ``relocatable_mw`` the same in MW.
    It is the potential: capacity and state locality do not limit it. Tidy: one row per (τ, B).
    """
    k = inp.workload_ids.index(workload)
    d = inp.demand_mw[:, k]
    total = d.sum()
    taus = np.asarray(carbon_prices_usd_per_t, dtype=float)
    budgets = np.asarray(budgets_ms, dtype=float)
    rows = []
    for tau in taus:
        threshold = relocation_threshold_ms(inp, workload, tau)
        movable = threshold[None, :] <= budgets[:, None]          # [B, s]
        mw = movable.astype(float) @ d
        rows.append(pd.DataFrame({"carbon_price_usd_per_t": tau, "budget_ms": budgets, "relocatable_mw": mw,
                                  "relocatable_share": mw / total if total > 0 else np.zeros_like(mw)}))
    return pd.concat(rows, ignore_index=True)
