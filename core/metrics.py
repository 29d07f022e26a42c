"""The metrics of MODEL.md: local baseline and savings, relocatable inference demand, execution
layers, break-even, friction waterfall. Each returns numbers or a tidy DataFrame."""
from __future__ import annotations

from dataclasses import replace

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
    """Every pair (s, r ≠ s) for one workload class: the break-even condition of MODEL.md.

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


def friction_waterfall(model, inp: ModelInputs) -> pd.DataFrame:
    """Savings with every friction off (the potential), then with egress, migration, state
    locality, legal and capacity switched on one after another. Each step's savings are against
    the local baseline solved with the same frictions. Columns: step, frictions_on, savings_usd,
    change_usd (what the step took away is negative), carbon savings [tCO2] on both signals."""
    rows, on = [], {f: False for f in FRICTIONS}
    steps = [("potential (no frictions)", None)] + [(f, f) for f in WATERFALL_ORDER]
    previous = None
    for label, friction in steps:
        if friction:
            on[friction] = True
        step_inp = inp.with_frictions(**on)
        sol, local = model.solve(step_inp), model.solve(local_inputs(step_inp))
        s = savings(sol, local)
        rows.append({"step": label, "frictions_on": ",".join(f for f in FRICTIONS if on[f]) or "none",
                     **s, "relocated_share": sol.relocated_share, "unserved_mw": sol.unserved_mw,
                     "change_usd": s["savings_usd"] - previous if previous is not None else s["savings_usd"]})
        previous = s["savings_usd"]
    return pd.DataFrame(rows)
