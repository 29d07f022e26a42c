"""Shared builders of small scenarios (plain dicts, in the scenario file format of MODEL.md).

* ``tiny_scenario(**overrides)``: a two-node scenario; top-level keys are replaced by the
  overrides; ``nodes`` and ``workloads`` given as partial dicts get the defaults below filled in.
* ``random_scenario(seed)``: a small seeded random scenario (≤ 8 nodes × 3 workloads).
* ``build_provider_scenario(seed)``: the same scenario with cloud providers on its nodes and,
  mostly, the provider lock on (``random_scenario(seed)`` itself is unchanged).

Both return dicts, so a test can mutate them, dump them to JSON/YAML text or parse them with
``core.scenario.parse_scenario``.
"""
from __future__ import annotations

import copy

import numpy as np
import pytest

NODE_DEFAULTS = {"lat": 0.0, "lon": 0.0, "price_usd_per_mwh": 100.0, "carbon_avg_g_per_kwh": 0.0,
                 "carbon_marginal_g_per_kwh": 0.0, "pue": 1.0, "capacity_mw": 1000.0}
WORKLOAD_DEFAULTS = {"latency_budget_ms": 50.0}


def _fill(items, defaults):
    return [{**defaults, **item} for item in items]


def build_tiny_scenario(**overrides) -> dict:
    """Two nodes ``home`` ($100/MWh) and ``away`` ($50/MWh), 20 ms apart (measured), one workload
    ``w`` with a 50 ms budget, 10 MW of demand at ``home``, a 10-hour period."""
    sc = {
        "schema_version": 1,
        "period_hours": 10.0,
        "nodes": [{"id": "home", "price_usd_per_mwh": 100.0},
                  {"id": "away", "lon": 1.0, "price_usd_per_mwh": 50.0}],
        "workloads": [{"id": "w"}],
        "demand": [{"node": "home", "workload": "w", "mw": 10.0}],
        "rtt_ms": {"home": {"away": 20.0}},
    }
    sc.update(copy.deepcopy(overrides))
    sc["nodes"] = _fill(sc["nodes"], NODE_DEFAULTS)
    sc["workloads"] = _fill(sc["workloads"], WORKLOAD_DEFAULTS)
    return sc


def build_random_scenario(seed: int, max_nodes: int = 8, max_workloads: int = 3) -> dict:
    """A seeded random scenario: random prices, PUE, carbon, capacities (some 0), zones, measured
    rtts for some pairs, budgets, frictions on/off, carbon price and signal."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, max_nodes + 1))
    k = int(rng.integers(1, max_workloads + 1))
    zones = [None, "EU", "US"]
    nodes = []
    for i in range(n):
        nodes.append({
            "id": f"n{i}", "lat": float(rng.uniform(-50, 60)), "lon": float(rng.uniform(-20, 40)),
            "residency_zone": zones[int(rng.integers(0, 3))],
            "price_usd_per_mwh": float(rng.uniform(20, 150)),
            "carbon_avg_g_per_kwh": float(rng.uniform(0, 700)),
            "carbon_marginal_g_per_kwh": float(rng.uniform(0, 900)),
            "pue": float(rng.uniform(1.0, 1.6)),
            "capacity_mw": float(0.0 if rng.random() < 0.15 else rng.uniform(1, 60)),
        })
    workloads = []
    for j in range(k):
        workloads.append({
            "id": f"w{j}", "latency_budget_ms": float(rng.choice([0, 10, 30, 60, 120, 250])),
            "state_pinned_share": float(rng.choice([0.0, rng.uniform(0, 0.6)])),
            "gb_per_mwh": float(rng.uniform(0, 200)),
            "migration_overhead": float(rng.uniform(0, 0.15)),
            "residency_bound": bool(rng.random() < 0.4),
        })
    demand = []
    for i in range(n):
        for j in range(k):
            if rng.random() < 0.6:
                demand.append({"node": f"n{i}", "workload": f"w{j}", "mw": float(rng.uniform(0.5, 30))})
    if not demand:
        demand.append({"node": "n0", "workload": "w0", "mw": 5.0})
    rtt: dict = {}
    for i in range(n):
        for j in range(n):
            if i != j and rng.random() < 0.2:
                rtt.setdefault(f"n{i}", {})[f"n{j}"] = float(rng.integers(1, 200))
    return {
        "schema_version": 1, "name": f"random {seed}",
        "period_hours": float(rng.choice([1.0, 24.0, 8760.0])),
        "nodes": nodes, "workloads": workloads, "demand": demand, "rtt_ms": rtt,
        "frictions": {f: bool(rng.random() < 0.6)
                      for f in ("egress", "migration", "state_locality", "legal", "capacity")},
        "prices": {"egress_usd_per_gb": float(rng.uniform(0, 0.1)),
                   "migration_usd_per_mwh": float(rng.uniform(0, 5)),
                   "unserved_usd_per_mwh": float(rng.choice([300.0, 10000.0]))},
        "objective": {"carbon_signal": str(rng.choice(["average", "marginal"])),
                      "carbon_price_usd_per_t": float(rng.choice([0.0, rng.uniform(0, 150)]))},
        "regional_ms": 30.0,
    }


PROVIDERS = (None, "aws", "azure", "gcp")


def build_provider_scenario(seed: int, max_nodes: int = 8, max_workloads: int = 3) -> dict:
    """:func:`build_random_scenario` of ``seed`` with a provider (or none) drawn for every node
    and ``frictions.provider_lock`` on with probability 0.8, from a generator of its own (so the
    random scenario's other values are those of the same seed)."""
    d = build_random_scenario(seed, max_nodes, max_workloads)
    rng = np.random.default_rng([seed, 7])
    for node in d["nodes"]:
        node["provider"] = PROVIDERS[int(rng.integers(0, len(PROVIDERS)))]
    d["frictions"]["provider_lock"] = bool(rng.random() < 0.8)
    d["name"] = f"providers {seed}"
    return d


@pytest.fixture
def tiny_scenario():
    """The builder :func:`build_tiny_scenario`: ``tiny_scenario(**overrides) -> dict``."""
    return build_tiny_scenario


@pytest.fixture
def random_scenario():
    """The generator :func:`build_random_scenario`: ``random_scenario(seed) -> dict``."""
    return build_random_scenario
