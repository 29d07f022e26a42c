"""Generated scenarios for the benchmark: N nodes on land-ish boxes × the five workload classes.

``generated_scenario(200, seed=0)`` is the issue's 200-node × 5-workload case (200 000 arcs,
state locality off). Everything is drawn from one ``numpy.random.default_rng(seed)``.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from core.inputs import ModelInputs
from core.scenario import Scenario, parse_scenario

# (lat_min, lat_max, lon_min, lon_max, residency zone or None, price range $/MWh): rough land boxes
LAND_BOXES = (
    (30.0, 48.0, -122.0, -75.0, None, (30.0, 140.0)),   # United States
    (43.0, 55.0, -2.0, 25.0, "EU", (60.0, 250.0)),       # Western and central Europe
    (37.0, 43.0, -8.0, 15.0, "EU", (60.0, 220.0)),       # Southern Europe
    (8.0, 28.0, 70.0, 88.0, "IN", (50.0, 160.0)),        # India
    (23.0, 40.0, 105.0, 140.0, None, (60.0, 200.0)),     # East Asia
    (-34.0, -5.0, -65.0, -38.0, None, (40.0, 150.0)),    # South America
    (-35.0, -20.0, 115.0, 150.0, None, (50.0, 180.0)),   # Australia
    (-30.0, 10.0, 15.0, 38.0, None, (40.0, 200.0)),      # Africa
)

# id, budget ms, pinned share, GB/MWh, migration overhead, residency bound
WORKLOADS = (
    ("chat", 50.0, 0.2, 40.0, 0.03, True),
    ("code", 80.0, 0.1, 20.0, 0.02, False),
    ("search", 30.0, 0.3, 60.0, 0.05, True),
    ("agents", 150.0, 0.05, 10.0, 0.02, False),
    ("batch", 1000.0, 0.0, 2.0, 0.01, False),
)

FRONTIER_BUDGETS_MS = (0, 10, 20, 30, 50, 75, 100, 150, 200, 300, 500, 1000)


def generated_scenario(n_nodes: int, seed: int = 0, *, state_locality: bool = False,
                       capacity_ratio: float = 1.25, unserved_usd_per_mwh: float = 10000.0,
                       carbon_price_usd_per_t: float = 0.0, frictions: dict | None = None) -> Scenario:
    """A random scenario of ``n_nodes`` nodes and the five :data:`WORKLOADS`.

    Prices 30–250 $/MWh, PUE 1.08–1.5, marginal carbon 50–900 gCO2/kWh. Each node's capacity is
    its own demand × U(1, 2·capacity_ratio − 1) (about ``capacity_ratio`` × the total), so the
    cheap nodes fill up (capacity binds); one node in 25 has none (its work must move or go
    unserved, and goes unserved at budget 0).
    """
    rng = np.random.default_rng(seed)
    box = rng.integers(len(LAND_BOXES), size=n_nodes)
    nodes = []
    for i, b in enumerate(box):
        lat0, lat1, lon0, lon1, zone, (p0, p1) = LAND_BOXES[b]
        carbon = float(rng.uniform(20, 700))
        nodes.append({
            "id": f"n{i:03d}", "lat": float(rng.uniform(lat0, lat1)), "lon": float(rng.uniform(lon0, lon1)),
            "residency_zone": zone, "price_usd_per_mwh": float(np.clip(rng.uniform(p0, p1), 30, 250)),
            "carbon_avg_g_per_kwh": carbon, "carbon_marginal_g_per_kwh": float(min(900.0, carbon * rng.uniform(1.1, 2.0) + 50)),
            "pue": float(rng.uniform(1.08, 1.5)), "capacity_mw": 0.0,
        })
    demand = rng.lognormal(mean=2.5, sigma=1.0, size=(n_nodes, len(WORKLOADS)))
    demand[rng.random(demand.shape) < 0.1] = 0.0
    # capacity: the node's own demand × U(1, 2·capacity_ratio − 1), so cheap nodes fill up as work
    # moves to them (capacity binds); one node in 25 has none (its work must move or go unserved)
    cap = demand.sum(axis=1) * rng.uniform(1.0, 2.0 * capacity_ratio - 1.0, n_nodes)
    cap[rng.random(n_nodes) < 0.04] = 0.0
    for n, c in zip(nodes, cap):
        n["capacity_mw"] = float(round(c, 3))
    workloads = [{"id": w, "latency_budget_ms": b, "state_pinned_share": sh, "gb_per_mwh": g,
                  "migration_overhead": om, "residency_bound": rb} for w, b, sh, g, om, rb in WORKLOADS]
    demand_rows = [{"node": nodes[s]["id"], "workload": WORKLOADS[k][0], "mw": float(round(demand[s, k], 3))}
                   for s, k in zip(*np.nonzero(demand))]
    switches = {"egress": True, "migration": True, "state_locality": state_locality, "legal": True,
                "capacity": True} | (frictions or {})
    return parse_scenario({
        "name": f"generated {n_nodes}x{len(WORKLOADS)} seed {seed}", "nodes": nodes,
        "workloads": workloads, "demand": demand_rows, "frictions": switches,
        "prices": {"egress_usd_per_gb": 0.02, "migration_usd_per_mwh": 1.0,
                   "unserved_usd_per_mwh": unserved_usd_per_mwh},
        "objective": {"carbon_signal": "marginal", "carbon_price_usd_per_t": carbon_price_usd_per_t},
    })


def one_change_walk(inp: ModelInputs, steps: int, seed: int = 0) -> list[ModelInputs]:
    """``steps`` inputs, each differing from the one before in exactly one parameter: a node's price
    (×0.9 or ×1.1), a class's latency budget (×0.8 or ×1.25) or a node's capacity (×0.9 or ×1.1)."""
    rng = np.random.default_rng(seed)
    out, cur = [], inp
    for i in range(steps):
        kind = i % 3
        if kind == 0:
            p = cur.price_usd_per_mwh.copy()
            p[rng.integers(inp.n_nodes)] *= rng.choice([0.9, 1.1])
            cur = replace(cur, price_usd_per_mwh=p)
        elif kind == 1:
            b = cur.budget_ms.copy()
            b[rng.integers(inp.n_workloads)] *= rng.choice([0.8, 1.25])
            cur = replace(cur, budget_ms=b)
        else:
            c = cur.capacity_mw.copy()
            c[rng.integers(inp.n_nodes)] *= rng.choice([0.9, 1.1])
            cur = replace(cur, capacity_mw=c)
        out.append(cur)
    return out
