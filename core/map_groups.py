"""What a map or a pair heatmap of many regions shows at once: co-located regions grouped, the
largest corridors kept under a cap with a summary of the rest, and regions ordered and filtered
by continent or provider. Pure: no streamlit import.

A *group* is a set of regions chained by distances ≤ ``within_km`` (single linkage: A–B and B–C
within 50 km put A, B, C in one group even when A–C is 90 km). It is drawn as one marker; each
region stays a node of the model with its own capacity.
"""
from __future__ import annotations

from typing import Sequence

from functools import lru_cache

import numpy as np
import pandas as pd

from core.latency import haversine_km
from core.physical import REGIONS_PATH

GROUP_KM = 50.0
"""Regions this close [km] share a map marker: one metro (the three clouds' Frankfurt regions lie
within ~30 km of each other); far below the ~1,000 km that separates the default's regions on a
world map at zoom 1, where 50 km is under one pixel."""

MAX_CORRIDORS = 100
"""Arcs drawn at most: the default scenario's 82 corridors all fit, while a 200-region scenario's
300–500 overlap into one smear at world zoom and take seconds to draw in a browser (504 arcs:
7.7 s until the Explorer settled in headless Chromium, issue 7)."""

ORDER_BY = {"continent": "Continent", "provider": "Cloud provider", "scenario": "Scenario order"}
NO_PROVIDER = "no provider"


def colocated_groups(node_ids: Sequence[str], lat_deg, lon_deg, within_km: float = GROUP_KM) -> list[int]:
    """The group number of each node (0, 1, … in order of each group's first node): nodes chained
    by great-circle distances ≤ ``within_km`` [km] share one."""
    lat, lon = np.asarray(lat_deg, dtype=float), np.asarray(lon_deg, dtype=float)
    n = len(node_ids)
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    if n:
        close = haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :]) <= within_km
        for i, j in zip(*np.nonzero(np.triu(close, k=1))):
            a, b = root(int(i)), root(int(j))
            if a != b:
                parent[max(a, b)] = min(a, b)
    first: dict[int, int] = {}
    return [first.setdefault(root(i), len(first)) for i in range(n)]


@lru_cache(maxsize=1)
def _metros() -> pd.DataFrame:
    return pd.read_csv(REGIONS_PATH, usecols=["id", "name", "lat", "lon"], keep_default_na=False)


def group_name(names: Sequence[str], weights, lat_deg: float, lon_deg: float, within_km: float = GROUP_KM) -> str:
    """A group's place name: the default region (data/regions.csv) nearest its centre when one
    lies within ``within_km`` [km] ("Frankfurt"), else the whole name of its member of largest
    ``weights`` ("AWS US East (Ohio)": its parenthesis is often the place)."""
    metros = _metros()
    if len(metros):
        d = haversine_km(lat_deg, lon_deg, metros["lat"].to_numpy(), metros["lon"].to_numpy())
        if float(d.min()) <= within_km:
            return str(metros["name"].iloc[int(np.argmin(d))]).split(" (")[0]
    return str(list(names)[int(np.argmax(np.asarray(weights, dtype=float)))])


def corridor_flows_mw(placement: pd.DataFrame, group_of: dict[str, str] | None = None,
                      workloads=None) -> pd.DataFrame:
    """Relocated IT power [MW] per corridor, largest first: the placement's flows (service ≠
    compute, of the classes in ``workloads``, all when None) summed over classes per (service,
    compute); with ``group_of`` (node id → group key) per (source group, target group), flows
    within one group left out. Columns service, compute, mw."""
    p = placement[placement["service"] != placement["compute"]]
    if workloads is not None:
        p = p[p["workload"].isin(list(workloads))]
    s, r = p["service"], p["compute"]
    if group_of is not None:
        s, r = s.map(group_of), r.map(group_of)
    flows = pd.DataFrame({"service": s.to_numpy(), "compute": r.to_numpy(), "mw": p["mw"].to_numpy(dtype=float)})
    flows = flows[flows["service"] != flows["compute"]]
    out = flows.groupby(["service", "compute"], as_index=False, sort=False)["mw"].sum()
    return out.sort_values("mw", ascending=False, kind="stable", ignore_index=True)


def within_group_mw(placement: pd.DataFrame, group_of: dict[str, str], workloads=None) -> float:
    """Relocated IT power [MW] whose service and compute node share a group (no arc shows it)."""
    p = placement[placement["service"] != placement["compute"]]
    if workloads is not None:
        p = p[p["workload"].isin(list(workloads))]
    same = p["service"].map(group_of) == p["compute"].map(group_of)
    return float(p.loc[same, "mw"].sum())


def corridor_cap(mw, cap: int = MAX_CORRIDORS, total_mw: float | None = None) -> dict:
    """What drawing the ``cap`` largest of the corridors ``mw`` [MW] (any order) leaves out:
    shown and hidden counts, hidden MW and its share of ``total_mw`` [MW] (the corridors' sum when
    None; 0 when the total is 0)."""
    mw = np.sort(np.asarray(mw, dtype=float))[::-1]
    hidden = mw[cap:]
    total = float(mw.sum()) if total_mw is None else float(total_mw)
    return {"shown": int(min(cap, mw.size)), "hidden": int(hidden.size), "hidden_mw": float(hidden.sum()),
            "hidden_share": float(hidden.sum()) / total if total > 0 else 0.0}


def region_order(node_ids: Sequence[str], by: str, continents: dict[str, str], providers: dict[str, str | None],
                 continent_order: Sequence[str]) -> list[str]:
    """The node ids in drawing order: ``by`` "continent" (in ``continent_order``), "provider"
    (alphabetical, nodes without one last) or "scenario" (as given); scenario order within a
    block."""
    ids = list(node_ids)
    pos = {n: i for i, n in enumerate(ids)}
    if by == "continent":
        rank = {c: i for i, c in enumerate(continent_order)}
        return sorted(ids, key=lambda n: (rank.get(continents[n], len(rank)), pos[n]))
    if by == "provider":
        return sorted(ids, key=lambda n: (providers.get(n) is None, providers.get(n) or "", pos[n]))
    if by == "scenario":
        return ids
    raise ValueError(f"order by: must be one of {', '.join(ORDER_BY)}, got {by!r}")


def region_block(node_id: str, by: str, continents: dict[str, str], providers: dict[str, str | None]) -> str:
    """The block a node falls in under an order: its continent, its provider (or "no provider"),
    or "" in scenario order."""
    if by == "continent":
        return continents[node_id]
    if by == "provider":
        return providers.get(node_id) or NO_PROVIDER
    return ""


def regions_shown(node_ids: Sequence[str], continents: dict[str, str], providers: dict[str, str | None],
                  continents_shown: Sequence[str] = (), providers_shown: Sequence[str] = ()) -> list[str]:
    """The nodes of ``node_ids`` (order kept) on one of ``continents_shown`` and of one of
    ``providers_shown`` (:data:`NO_PROVIDER` for a node without one); an empty choice keeps all."""
    return [n for n in node_ids
            if (not continents_shown or continents[n] in continents_shown)
            and (not providers_shown or (providers.get(n) or NO_PROVIDER) in providers_shown)]


def top_by_demand(node_ids: Sequence[str], demand_mw, n: int | None) -> list[str]:
    """The ``n`` nodes of ``node_ids`` with the most demand ``demand_mw`` [MW, aligned with them],
    in their given order (ties go to the earlier node); all of them when ``n`` is None."""
    ids = list(node_ids)
    if n is None or n >= len(ids):
        return ids
    d = np.asarray(demand_mw, dtype=float)
    keep = set(np.argsort(-d, kind="stable")[:max(n, 0)].tolist())
    return [i for k, i in enumerate(ids) if k in keep]
