"""The placement LP as composable terms (cvxportfolio style).

Each term creates its ``cp.Parameter``s once in :meth:`build`, hands back a CVXPY expression
(cost terms, in $ per hour of the period) or constraints, and sets its parameter values from
:class:`~core.inputs.ModelInputs` in :meth:`update`. The problem is compiled once per scenario
structure (node and workload ids); every later change only updates values (DPP).
"""
from __future__ import annotations

from dataclasses import dataclass

import cvxpy as cp
import numpy as np
import scipy.sparse as sp

from core.inputs import (ModelInputs, facility_factor, feasibility_mask, relocated,
                         transfer_usd_per_mwh, unit_emissions_t_per_mwh)


@dataclass(frozen=True)
class Variables:
    """Decision variables and the constant incidence structure of the N×N×K arcs (C order)."""

    n_nodes: int
    n_workloads: int
    x: cp.Variable  # [s·N·K + r·K + k] MW of IT power of class k entering at s, run at r
    u: cp.Variable  # [s·K + k] MW unserved

    @property
    def n_arcs(self) -> int:
        return self.n_nodes * self.n_nodes * self.n_workloads

    def demand_incidence(self) -> sp.csr_matrix:
        return demand_incidence(self.n_nodes, self.n_workloads)

    def capacity_incidence(self) -> sp.csr_matrix:
        return capacity_incidence(self.n_nodes, self.n_workloads)

    def home_arcs(self) -> np.ndarray:
        return home_arcs(self.n_nodes, self.n_workloads)


def demand_incidence(n_nodes: int, n_workloads: int) -> sp.csr_matrix:
    """(N·K × arcs) sums the arcs of each (s, k)."""
    n, k = n_nodes, n_workloads
    n_arcs = n * n * k
    s, _, w = np.unravel_index(np.arange(n_arcs), (n, n, k))
    return sp.csr_matrix((np.ones(n_arcs), (s * k + w, np.arange(n_arcs))), shape=(n * k, n_arcs))


def capacity_incidence(n_nodes: int, n_workloads: int) -> sp.csr_matrix:
    """(N × arcs) sums the arcs that run at each compute node r."""
    n, k = n_nodes, n_workloads
    n_arcs = n * n * k
    _, r, _ = np.unravel_index(np.arange(n_arcs), (n, n, k))
    return sp.csr_matrix((np.ones(n_arcs), (r, np.arange(n_arcs))), shape=(n, n_arcs))


def home_arcs(n_nodes: int, n_workloads: int) -> np.ndarray:
    """Flat indices of the arcs (s, s, k), in (s, k) order."""
    n, k = n_nodes, n_workloads
    s, w = np.unravel_index(np.arange(n * k), (n, k))
    return np.ravel_multi_index((s, s, w), (n, n, k))


def _flat(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=float).ravel()


class Term:
    """A part of the model: parameters created once, values set by :meth:`update`."""

    def build(self, v: Variables) -> None:
        raise NotImplementedError

    def update(self, inp: ModelInputs) -> None:
        raise NotImplementedError


class CostTerm(Term):
    """A linear cost ``w @ x`` in $/h, with ``w`` [$/MWh] one parameter per arc."""

    def build(self, v: Variables) -> None:
        self.weight = cp.Parameter(v.n_arcs, nonneg=True, name=type(self).__name__)
        self.expr = self.weight @ v.x

    def update(self, inp: ModelInputs) -> None:
        self.weight.value = _flat(self.unit_usd_per_mwh(inp))

    def unit_usd_per_mwh(self, inp: ModelInputs) -> np.ndarray:
        raise NotImplementedError


class EnergyCost(CostTerm):
    """Facility energy bought: ``PUE[r]·(1 + ω[k]·[r≠s])·p[r]``."""

    def unit_usd_per_mwh(self, inp):
        return facility_factor(inp) * inp.price_usd_per_mwh[None, :, None]


class CarbonPrice(CostTerm):
    """Carbon priced at τ on the chosen signal: ``τ · PUE·(1+ω[r≠s]) · c[r] / 1000``."""

    def unit_usd_per_mwh(self, inp):
        return inp.carbon_price_usd_per_t * unit_emissions_t_per_mwh(inp, inp.carbon_g_per_kwh)


class TransferCost(CostTerm):
    """Egress and migration fee on relocated work: ``[r≠s]·(g[k]·e + φ)`` (frictions egress, migration)."""

    def unit_usd_per_mwh(self, inp):
        return relocated(inp.n_nodes) * transfer_usd_per_mwh(inp)[None, None, :] * np.ones((1, inp.n_nodes, 1))


class UnservedPenalty(Term):
    """``V · Σ u`` in $/h: demand left unserved, priced at V [$/MWh]."""

    def build(self, v):
        self.price = cp.Parameter(nonneg=True, name="unserved_usd_per_mwh")
        self.expr = self.price * cp.sum(v.u)

    def update(self, inp):
        self.price.value = inp.unserved_usd_per_mwh


class DemandBalance(Term):
    """``Σ_r x[s,r,k] + u[s,k] = D[s,k]``; its dual is the marginal cost of demand at s."""

    def build(self, v):
        self.demand = cp.Parameter(v.n_nodes * v.n_workloads, nonneg=True, name="demand_mw")
        self.constraint = v.demand_incidence() @ v.x + v.u == self.demand
        self.constraints = [self.constraint]

    def update(self, inp):
        self.demand.value = _flat(inp.demand_mw)


class ArcMask(Term):
    """``x[s,r,k] ≤ D[s,k]·mask[s,r,k]``: latency, legal and zero-capacity tests as upper bounds."""

    def build(self, v):
        self.upper = cp.Parameter(v.n_arcs, nonneg=True, name="arc_upper_mw")
        self.constraints = [v.x <= self.upper]

    def update(self, inp):
        self.upper.value = _flat(feasibility_mask(inp) * inp.demand_mw[:, None, :])


class StateLocality(Term):
    """``x[s,s,k] + u[s,k] ≥ σ[k]·D[s,k]`` (friction state_locality; right side 0 when off)."""

    def build(self, v):
        self.pinned = cp.Parameter(v.n_nodes * v.n_workloads, nonneg=True, name="pinned_mw")
        self.constraints = [v.x[v.home_arcs()] + v.u >= self.pinned]

    def update(self, inp):
        on = inp.friction("state_locality")
        self.pinned.value = _flat(inp.demand_mw * inp.pinned_share[None, :] * on)


class Capacity(Term):
    """``Σ_{s,k} x[s,r,k] ≤ cap[r]`` (friction capacity; unbounded in effect when off)."""

    def build(self, v):
        self.cap = cp.Parameter(v.n_nodes, nonneg=True, name="capacity_mw")
        self.constraint = v.capacity_incidence() @ v.x <= self.cap
        self.constraints = [self.constraint]

    def update(self, inp):
        if inp.friction("capacity"):
            self.cap.value = _flat(inp.capacity_mw)
        else:  # a bound no placement can reach: all demand fits anywhere
            self.cap.value = np.full(inp.n_nodes, inp.demand_mw.sum() + 1.0)
