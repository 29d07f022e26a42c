"""Numerical inputs of the time-resolved model (docs/model.md, "Time-resolved mode").

:class:`TimeInputs` holds the per-period series as arrays, periods last: ``[r, t]`` for node
series, ``[s, k, t]`` for demand, ``[t]`` for the weights, ``[k]`` for the deferral; everything
that does not depend on t (PUE, capacity, the mask, frictions, ...) is the single-period
:class:`~core.inputs.ModelInputs` ``base``, whose ``period_hours`` is Σ w and whose prices,
intensities and demand are the scenario's constant values. Units as in :mod:`core.inputs`.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from core.inputs import ModelInputs, model_inputs
from core.scenario import Scenario


@dataclass(frozen=True, eq=False)
class TimeInputs:
    """A time scenario as arrays. ``eq=False``: compared and hashed by identity (an engine cache
    keys on the object, :mod:`core.time_solve`)."""

    base: ModelInputs
    weight_hours: np.ndarray               # [t] w: hours period t stands for
    block_periods: int                     # B: periods per block; divides T
    price_usd_per_mwh: np.ndarray          # [r, t] p, may be negative
    carbon_avg_g_per_kwh: np.ndarray       # [r, t] a
    carbon_marginal_g_per_kwh: np.ndarray  # [r, t] m
    demand_mw: np.ndarray                  # [s, k, t] D = D_base · f
    deferrable_periods: np.ndarray         # [k] d, whole periods ≥ 0

    @property
    def n_periods(self) -> int:
        return int(self.weight_hours.size)

    @property
    def n_blocks(self) -> int:
        return self.n_periods // self.block_periods

    def block_range(self, block: int) -> range:
        """The periods of block ``block`` (0-based)."""
        if not 0 <= block < self.n_blocks:
            raise IndexError(f"block {block} outside 0..{self.n_blocks - 1}")
        return range(block * self.block_periods, (block + 1) * self.block_periods)

    @property
    def defers(self) -> bool:
        """True when some class with demand may wait (d > 0) and blocks have more than one
        period: only then are the periods of a block coupled."""
        has_demand = self.base.demand_mw.sum(axis=0) > 0
        return self.block_periods > 1 and bool((self.deferrable_periods[has_demand] > 0).any())

    @property
    def carbon_g_per_kwh(self) -> np.ndarray:
        """[r, t] the signal the objective prices (average or marginal)."""
        return self.carbon_avg_g_per_kwh if self.base.carbon_signal == "average" else self.carbon_marginal_g_per_kwh

    @property
    def period_hours(self) -> float:
        return float(self.weight_hours.sum())

    def period_inputs(self, t: int) -> ModelInputs:
        """Period ``t`` alone as single-period inputs of ``w[t]`` hours."""
        return replace(self.base, period_hours=float(self.weight_hours[t]),
                       price_usd_per_mwh=self.price_usd_per_mwh[:, t].copy(),
                       carbon_avg_g_per_kwh=self.carbon_avg_g_per_kwh[:, t].copy(),
                       carbon_marginal_g_per_kwh=self.carbon_marginal_g_per_kwh[:, t].copy(),
                       demand_mw=self.demand_mw[:, :, t].copy())

    def with_base(self, base: ModelInputs) -> "TimeInputs":
        """The same series over other single-period settings (budgets, frictions); ``base`` must
        have the same nodes and workloads."""
        if base.node_ids != self.base.node_ids or base.workload_ids != self.base.workload_ids:
            raise ValueError("base has other nodes or workloads")
        return replace(self, base=base)

    def with_deferral(self, deferrable_periods) -> "TimeInputs":
        """The same inputs with d[k] = ``deferrable_periods`` (a number for every class, or [k])."""
        d = np.broadcast_to(np.asarray(deferrable_periods, dtype=np.int64), self.deferrable_periods.shape)
        return replace(self, deferrable_periods=d.copy())


def time_inputs(sc: Scenario) -> TimeInputs:
    """Arrays of a validated scenario. A node or (node, workload) without a series keeps its
    constant value (factor 1) in every period; a scenario without a ``time`` block is one
    period of ``period_hours``."""
    base = model_inputs(sc)
    n, k = base.n_nodes, base.n_workloads
    tb = sc.time
    if tb is None:
        weights, block = np.array([sc.period_hours]), 1
    else:
        weights, block = tb.weights_hours(), tb.block_length
    periods = weights.size
    node_index = {node: i for i, node in enumerate(base.node_ids)}
    work_index = {w: i for i, w in enumerate(base.workload_ids)}

    def node_series(name: str, constant: np.ndarray) -> np.ndarray:
        out = np.repeat(constant[:, None], periods, axis=1)
        for node, values in (getattr(tb, name).items() if tb is not None else ()):
            out[node_index[node]] = values
        return out

    factor = np.ones((n, k, periods))
    for node, by_workload in (tb.demand_factor.items() if tb is not None else ()):
        for workload, values in by_workload.items():
            factor[node_index[node], work_index[workload]] = values
    return TimeInputs(
        base=base, weight_hours=weights, block_periods=int(block),
        price_usd_per_mwh=node_series("price_usd_per_mwh", base.price_usd_per_mwh),
        carbon_avg_g_per_kwh=node_series("carbon_avg_g_per_kwh", base.carbon_avg_g_per_kwh),
        carbon_marginal_g_per_kwh=node_series("carbon_marginal_g_per_kwh", base.carbon_marginal_g_per_kwh),
        demand_mw=base.demand_mw[:, :, None] * factor,
        deferrable_periods=np.array([w.deferrable_periods for w in sc.workloads], dtype=np.int64),
    )
