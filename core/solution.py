"""A solved placement: the primal, the duals, and tidy tables recomputed from them."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from core.inputs import (LAYERS, ModelInputs, layer_of_arc, unit_cost_usd_per_mwh,
                         unit_emissions_t_per_mwh)

TOL_MW = 1e-7


@dataclass(frozen=True, eq=False)
class Solution:
    """Placement ``x[s, r, k]`` and unserved ``u[s, k]`` [MW]; totals over ``period_hours``."""

    inputs: ModelInputs
    x_mw: np.ndarray
    unserved_by_demand_mw: np.ndarray
    demand_dual_usd_per_mwh: np.ndarray    # [s, k] marginal cost of demand
    capacity_dual_usd_per_mwh: np.ndarray  # [r] value of one more MW of capacity, per hour
    status: str = "optimal"
    solver: str = ""
    support_flat: np.ndarray | None = None  # flat [s, r, k] indices outside which x is 0, if the engine knows

    # --- totals (docs/model.md) --------------------------------------------------------------
    @cached_property
    def cost_usd(self) -> float:
        """C = H · Σ x · unit cost [$], recomputed from the placement."""
        return float(self.inputs.period_hours * np.sum(self.x_mw * unit_cost_usd_per_mwh(self.inputs)))

    def _emissions_t(self, carbon_g_per_kwh: np.ndarray) -> float:
        return float(self.inputs.period_hours * np.sum(self.x_mw * unit_emissions_t_per_mwh(self.inputs, carbon_g_per_kwh)))

    @cached_property
    def emissions_avg_t(self) -> float:
        return self._emissions_t(self.inputs.carbon_avg_g_per_kwh)

    @cached_property
    def emissions_marginal_t(self) -> float:
        return self._emissions_t(self.inputs.carbon_marginal_g_per_kwh)

    @property
    def emissions_t(self) -> float:
        """E on the objective's carbon signal [tCO2]."""
        return self.emissions_avg_t if self.inputs.carbon_signal == "average" else self.emissions_marginal_t

    @property
    def unserved_mw(self) -> float:
        return float(self.unserved_by_demand_mw.sum())

    @property
    def objective_usd(self) -> float:
        """C + τ·E + H·V·Σu [$]."""
        inp = self.inputs
        return (self.cost_usd + inp.carbon_price_usd_per_t * self.emissions_t
                + inp.period_hours * inp.unserved_usd_per_mwh * self.unserved_mw)

    @property
    def demand_mw(self) -> float:
        return float(self.inputs.demand_mw.sum())

    @property
    def relocated_mw(self) -> float:
        off_home = ~np.eye(self.inputs.n_nodes, dtype=bool)
        return float(self.x_mw[off_home].sum())

    @property
    def relocated_share(self) -> float:
        """Realized relocation: ``Σ_{r≠s} x / Σ D`` (0 when there is no demand)."""
        return self.relocated_mw / self.demand_mw if self.demand_mw > 0 else 0.0

    def summary(self) -> dict:
        """The result keys of docs/model.md's ``solve`` output, plus a few more."""
        return {"status": self.status, "objective_usd": self.objective_usd, "cost_usd": self.cost_usd,
                "emissions_t": self.emissions_t, "emissions_avg_t": self.emissions_avg_t,
                "emissions_marginal_t": self.emissions_marginal_t, "unserved_mw": self.unserved_mw,
                "demand_mw": self.demand_mw, "relocated_mw": self.relocated_mw,
                "relocated_share": self.relocated_share, "solver": self.solver}

    # --- tidy tables ----------------------------------------------------------------------
    @cached_property
    def placement(self) -> pd.DataFrame:
        """One row per used arc: service, compute, workload, mw, rtt_ms, layer, and its cost and emissions."""
        inp = self.inputs
        s, r, k = np.nonzero(self.x_mw > TOL_MW)
        mw = self.x_mw[s, r, k]
        hours = inp.period_hours
        cost = unit_cost_usd_per_mwh(inp)[s, r, k] * mw * hours
        e_avg = unit_emissions_t_per_mwh(inp, inp.carbon_avg_g_per_kwh)[s, r, k] * mw * hours
        e_marg = unit_emissions_t_per_mwh(inp, inp.carbon_marginal_g_per_kwh)[s, r, k] * mw * hours
        ids, wl = np.array(inp.node_ids, dtype=object), np.array(inp.workload_ids, dtype=object)
        return pd.DataFrame({
            "service": ids[s], "compute": ids[r], "workload": wl[k], "mw": mw,
            "rtt_ms": inp.rtt_ms[s, r], "distance_km": inp.distance_km[s, r],
            "layer": np.array(LAYERS, dtype=object)[layer_of_arc(inp)[s, r]],
            "energy_mwh": mw * hours, "cost_usd": cost,
            "emissions_avg_t": e_avg, "emissions_marginal_t": e_marg,
        })

    @cached_property
    def load(self) -> pd.DataFrame:
        """Per compute node: load, capacity, utilisation and the capacity shadow price over the period."""
        inp = self.inputs
        load = self.x_mw.sum(axis=(0, 2))
        cap = inp.capacity_mw
        return pd.DataFrame({
            "node": list(inp.node_ids), "load_mw": load, "capacity_mw": cap,
            "utilisation": np.divide(load, cap, out=np.zeros_like(load), where=cap > 0),
            "imported_mw": load - np.einsum("ssk->s", self.x_mw),
            "capacity_shadow_usd_per_mw": self.capacity_dual_usd_per_mwh * inp.period_hours,
        })

    @cached_property
    def demand(self) -> pd.DataFrame:
        """Per (service node, workload): demand, where it ran, unserved, marginal cost over the period."""
        inp = self.inputs
        n, k = inp.n_nodes, inp.n_workloads
        home = np.einsum("ssk->sk", self.x_mw)
        s, w = np.unravel_index(np.arange(n * k), (n, k))
        return pd.DataFrame({
            "service": np.array(inp.node_ids, dtype=object)[s],
            "workload": np.array(inp.workload_ids, dtype=object)[w],
            "demand_mw": inp.demand_mw.ravel(), "home_mw": home.ravel(),
            "relocated_mw": (self.x_mw.sum(axis=1) - home).ravel(),
            "unserved_mw": self.unserved_by_demand_mw.ravel(),
            "marginal_cost_usd_per_mw": self.demand_dual_usd_per_mwh.ravel() * inp.period_hours,
        })
