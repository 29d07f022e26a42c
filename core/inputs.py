"""Numerical inputs of the placement model, and the pure per-arc formulas of docs/model.md.

An *arc* is (service node s, compute node r, workload k). Arrays are indexed ``[s, r, k]``
(N×N×K), ``[s, k]`` (N×K), ``[r]`` (N) or ``[k]`` (K). Money in $, energy in MWh, power in
MW of IT load, carbon intensity in gCO2/kWh (= kg/MWh), time in ms or hours as named.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from core.latency import distance_matrix_km, rtt_matrix_ms
from core.scenario import FRICTIONS, Scenario


@dataclass(frozen=True)
class ModelInputs:
    """A scenario as arrays. Built by :func:`model_inputs`; edit with :func:`dataclasses.replace`."""

    node_ids: tuple[str, ...]
    workload_ids: tuple[str, ...]
    period_hours: float
    price_usd_per_mwh: np.ndarray          # [r]
    pue: np.ndarray                        # [r]
    carbon_avg_g_per_kwh: np.ndarray       # [r]
    carbon_marginal_g_per_kwh: np.ndarray  # [r]
    capacity_mw: np.ndarray                # [r]
    residency_zone: tuple[str | None, ...]  # [r]
    provider: tuple[str | None, ...]        # [r] cloud provider or None
    demand_mw: np.ndarray                  # [s, k]
    budget_ms: np.ndarray                  # [k]
    pinned_share: np.ndarray               # [k]
    gb_per_mwh: np.ndarray                 # [k]
    migration_overhead: np.ndarray         # [k]
    residency_bound: np.ndarray            # [k] bool
    rtt_ms: np.ndarray                     # [s, r]
    rtt_measured: np.ndarray               # [s, r] bool: given in the scenario, not modelled
    distance_km: np.ndarray                # [s, r]
    egress_usd_per_gb: float
    migration_usd_per_mwh: float
    unserved_usd_per_mwh: float
    carbon_price_usd_per_t: float
    carbon_signal: str
    frictions: tuple[tuple[str, bool], ...]
    regional_ms: float

    @property
    def n_nodes(self) -> int:
        return len(self.node_ids)

    @property
    def n_workloads(self) -> int:
        return len(self.workload_ids)

    def friction(self, name: str) -> bool:
        return dict(self.frictions)[name]

    def with_frictions(self, **switches: bool) -> "ModelInputs":
        merged = dict(self.frictions) | switches
        return replace(self, frictions=tuple((f, bool(merged[f])) for f in FRICTIONS))

    @property
    def carbon_g_per_kwh(self) -> np.ndarray:
        """The carbon signal the objective prices: average or marginal [gCO2/kWh], per node."""
        return self.carbon_avg_g_per_kwh if self.carbon_signal == "average" else self.carbon_marginal_g_per_kwh


def model_inputs(sc: Scenario) -> ModelInputs:
    """Arrays of a validated scenario; demand entries for the same node and workload add up."""
    nodes, workloads = sc.node_ids, sc.workload_ids
    n_index = {n: i for i, n in enumerate(nodes)}
    k_index = {k: i for i, k in enumerate(workloads)}
    demand = np.zeros((len(nodes), len(workloads)))
    for d in sc.demand:
        demand[n_index[d.node], k_index[d.workload]] += d.mw
    lat = np.array([n.lat for n in sc.nodes])
    lon = np.array([n.lon for n in sc.nodes])
    lm = sc.latency_model
    rtt, measured = rtt_matrix_ms(nodes, lat, lon, sc.rtt_ms, lm.fixed_ms, lm.route_inflation, lm.fiber_km_per_ms)

    def col(attr, items=sc.nodes, dtype=float):
        return np.array([getattr(item, attr) for item in items], dtype=dtype)

    return ModelInputs(
        node_ids=tuple(nodes), workload_ids=tuple(workloads), period_hours=sc.period_hours,
        price_usd_per_mwh=col("price_usd_per_mwh"), pue=col("pue"),
        carbon_avg_g_per_kwh=col("carbon_avg_g_per_kwh"),
        carbon_marginal_g_per_kwh=col("carbon_marginal_g_per_kwh"),
        capacity_mw=col("capacity_mw"), residency_zone=tuple(n.residency_zone for n in sc.nodes),
        provider=tuple(n.provider for n in sc.nodes),
        demand_mw=demand,
        budget_ms=col("latency_budget_ms", sc.workloads),
        pinned_share=col("state_pinned_share", sc.workloads),
        gb_per_mwh=col("gb_per_mwh", sc.workloads),
        migration_overhead=col("migration_overhead", sc.workloads),
        residency_bound=col("residency_bound", sc.workloads, bool),
        rtt_ms=rtt, rtt_measured=measured, distance_km=distance_matrix_km(lat, lon),
        egress_usd_per_gb=sc.prices.egress_usd_per_gb,
        migration_usd_per_mwh=sc.prices.migration_usd_per_mwh,
        unserved_usd_per_mwh=sc.prices.unserved_usd_per_mwh,
        carbon_price_usd_per_t=sc.objective.carbon_price_usd_per_t,
        carbon_signal=sc.objective.carbon_signal,
        frictions=tuple((f, getattr(sc.frictions, f)) for f in FRICTIONS),
        regional_ms=sc.regional_ms,
    )


# ---------------------------------------------------------------------------------------------
# masks

def relocated(n_nodes: int) -> np.ndarray:
    """``[r≠s]`` as an N×N×1 float array (1 for relocated work)."""
    return (1.0 - np.eye(n_nodes))[:, :, None]


def legal_ok(inp: ModelInputs) -> np.ndarray:
    """[s, r, k] True where data residency allows running k from s at r (docs/model.md legal test)."""
    zone = np.array([z if z is not None else "" for z in inp.residency_zone], dtype=object)
    same_zone = zone[:, None] == zone[None, :]
    unzoned_home = (zone == "")[:, None]
    ok_pair = same_zone | unzoned_home | np.eye(inp.n_nodes, dtype=bool)
    return ok_pair[:, :, None] | ~inp.residency_bound[None, None, :]


def provider_ok(inp: ModelInputs) -> np.ndarray:
    """[s, r, 1] True where the provider lock allows running work from s at r (docs/model.md):
    home, a sender without a provider, or a receiver of the sender's own provider."""
    provider = np.array([p if p is not None else "" for p in inp.provider], dtype=object)
    ok_pair = (provider[:, None] == provider[None, :]) | (provider == "")[:, None] | np.eye(inp.n_nodes, dtype=bool)
    return ok_pair[:, :, None]


def latency_ok(inp: ModelInputs, budget_ms: np.ndarray | None = None) -> np.ndarray:
    """[s, r, k] True where ``rtt[s, r] ≤ B[k]``; home always passes."""
    b = inp.budget_ms if budget_ms is None else np.asarray(budget_ms, dtype=float)
    ok = inp.rtt_ms[:, :, None] <= b[None, None, :]
    ok |= np.eye(inp.n_nodes, dtype=bool)[:, :, None]
    return ok


def feasibility_mask(inp: ModelInputs, budget_ms: np.ndarray | None = None) -> np.ndarray:
    """[s, r, k] True where work of class k from s may run at r (latency, legal, provider lock,
    capacity > 0)."""
    mask = latency_ok(inp, budget_ms) & (inp.capacity_mw > 0)[None, :, None]
    if inp.friction("legal"):
        mask &= legal_ok(inp)
    if inp.friction("provider_lock"):
        mask &= provider_ok(inp)
    return mask


MASK_REASONS = ("allowed", "latency", "residency", "no capacity", "provider")
"""Indices of :func:`mask_reason`; the tests run in the order latency, residency, provider, no
capacity ("provider" comes last in the tuple only so that the older indices keep their meaning)."""


def mask_reason(inp: ModelInputs) -> np.ndarray:
    """[s, r, k] the first test that forbids each arc, as an index into :data:`MASK_REASONS`."""
    reason = np.zeros((inp.n_nodes, inp.n_nodes, inp.n_workloads), dtype=int)
    reason[~latency_ok(inp)] = 1
    if inp.friction("legal"):
        reason[(reason == 0) & ~legal_ok(inp)] = 2
    if inp.friction("provider_lock"):
        reason[(reason == 0) & ~provider_ok(inp)] = 4
    reason[(reason == 0) & (inp.capacity_mw <= 0)[None, :, None]] = 3
    return reason


# ---------------------------------------------------------------------------------------------
# unit economics per MWh of IT energy

def facility_factor(inp: ModelInputs) -> np.ndarray:
    """[s, r, k] facility MWh per IT MWh: ``PUE[r] · (1 + ω[k]·[r≠s])`` (ω only with migration on)."""
    omega = inp.migration_overhead if inp.friction("migration") else np.zeros(inp.n_workloads)
    return inp.pue[None, :, None] * (1.0 + relocated(inp.n_nodes) * omega[None, None, :])


def transfer_usd_per_mwh(inp: ModelInputs) -> np.ndarray:
    """[k] cost of relocating 1 MWh of IT energy: ``g[k]·e + φ`` with the frictions that are on."""
    egress = inp.gb_per_mwh * inp.egress_usd_per_gb if inp.friction("egress") else np.zeros(inp.n_workloads)
    fee = inp.migration_usd_per_mwh if inp.friction("migration") else 0.0
    return egress + fee


def unit_cost_usd_per_mwh(inp: ModelInputs) -> np.ndarray:
    """[s, r, k] cost C per MWh of IT energy: facility energy bought plus transfer on relocated work."""
    return (facility_factor(inp) * inp.price_usd_per_mwh[None, :, None]
            + relocated(inp.n_nodes) * transfer_usd_per_mwh(inp)[None, None, :])


def unit_emissions_t_per_mwh(inp: ModelInputs, carbon_g_per_kwh: np.ndarray) -> np.ndarray:
    """[s, r, k] tCO2 per MWh of IT energy: facility MWh × intensity [kg/MWh] / 1000."""
    return facility_factor(inp) * carbon_g_per_kwh[None, :, None] / 1000.0


def unit_objective_usd_per_mwh(inp: ModelInputs) -> np.ndarray:
    """[s, r, k] docs/model.md's unit objective: ``PUE·(1+ω[r≠s])·(p + τ·c/1000) + [r≠s]·(g·e + φ)``."""
    return (unit_cost_usd_per_mwh(inp)
            + inp.carbon_price_usd_per_t * unit_emissions_t_per_mwh(inp, inp.carbon_g_per_kwh))


def home_unit_objective_usd_per_mwh(inp: ModelInputs) -> np.ndarray:
    """[s, k] the unit objective of running at home (r = s): ``PUE[s]·(p[s] + τ·c[s]/1000)``, the
    diagonal of :func:`unit_objective_usd_per_mwh` in O(N·K) (no ω, no transfer at home)."""
    per_node = inp.pue * (inp.price_usd_per_mwh + inp.carbon_price_usd_per_t * inp.carbon_g_per_kwh / 1000.0)
    return np.repeat(per_node[:, None], inp.n_workloads, axis=1)


def layer_of_arc(inp: ModelInputs) -> np.ndarray:
    """[s, r] execution layer: 0 local (r = s), 1 regional (rtt ≤ regional_ms), 2 energy-oriented."""
    layer = np.where(inp.rtt_ms <= inp.regional_ms, 1, 2)
    np.fill_diagonal(layer, 0)
    return layer


LAYERS = ("local", "regional", "energy-oriented")
