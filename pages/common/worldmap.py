"""The Explorer's world map as a pydeck Deck, with no tile server.

``map_provider=None`` (and pydeck's default ``map_style``) is what tells Streamlit's deck.gl
renderer to draw no basemap: with ``map_style=None`` it would fetch a CARTO style instead. The
world is drawn from ``data/world_countries.geojson`` as a GeoJsonLayer on a plain background.

Layers, bottom to top: countries; relocated demand as arcs from service node to compute node
(width ∝ MW, colour = workload class); compute regions as discs (area ∝ capacity, fill = price
or carbon intensity); demand at each service node as a dark ring (area ∝ demand); unserved
demand as a thick vermillion ring. Pure: no streamlit import.
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pydeck as pdk
from pydeck.bindings.json_tools import default_serialize

from core.scenario import Scenario
from core.solution import Solution
from pages.common.theme import (MAP_SCALE, UNSERVED_COLOUR, fmt_g_per_kwh, fmt_mw, fmt_ms, fmt_pct,
                                fmt_usd_per_mwh, hex_to_rgb, ramp_rgb, workload_colour)

COLOUR_BY = {"price": "Energy price ($/MWh)", "carbon": "Carbon intensity (gCO₂/kWh)"}
LAND_RGBA = [229, 232, 236, 255]
BORDER_RGBA = [255, 255, 255, 255]
RING_RGBA = [38, 39, 48, 200]


def radius_px(mw) -> np.ndarray:
    """Circle radius [px] for a power [MW]: area ∝ MW, 3 px + √MW·0.55 (0 MW → 0 px)."""
    mw = np.clip(np.asarray(mw, dtype=float), 0.0, None)
    return np.where(mw > 0, 3.0 + 0.55 * np.sqrt(mw), 0.0)


def colour_values(sc: Scenario, sol: Solution, colour_by: str) -> tuple[np.ndarray, str]:
    """The per-node quantity the discs are coloured by, and its label with unit."""
    inp = sol.inputs
    if colour_by == "carbon":
        return np.asarray(inp.carbon_g_per_kwh, dtype=float), \
            f"Carbon intensity, {inp.carbon_signal} signal (gCO₂/kWh)"
    return np.asarray(inp.price_usd_per_mwh, dtype=float), "Energy price ($/MWh)"


def colour_range(values: np.ndarray, capacity_mw: np.ndarray) -> tuple[float, float]:
    """Min and max of ``values`` over nodes with capacity (all nodes when none has any)."""
    v = values[capacity_mw > 0] if (capacity_mw > 0).any() else values
    return float(np.min(v)), float(np.max(v))


def node_table(sc: Scenario, sol: Solution, colour_by: str = "price") -> pd.DataFrame:
    """One row per node with everything the map draws and its tooltip."""
    inp = sol.inputs
    load = sol.load.set_index("node")
    demand = sol.demand.groupby("service")[["demand_mw", "relocated_mw", "unserved_mw"]].sum()
    values, _ = colour_values(sc, sol, colour_by)
    lo, hi = colour_range(values, inp.capacity_mw)
    rows = []
    for i, n in enumerate(sc.nodes):
        t = (values[i] - lo) / (hi - lo) if hi > lo else 0.5
        cap = float(inp.capacity_mw[i])
        d = demand.loc[n.id] if n.id in demand.index else pd.Series({"demand_mw": 0.0, "relocated_mw": 0.0,
                                                                      "unserved_mw": 0.0})
        ld = float(load.loc[n.id, "load_mw"])
        unserved = float(d["unserved_mw"])
        tip = (f"<b>{n.name or n.id}</b> <span style='opacity:.7'>{n.id}</span><br/>"
               f"Capacity {fmt_mw(cap)} · load {fmt_mw(ld)}"
               + (f" ({fmt_pct(ld / cap, 0)})" if cap > 0 else "") + "<br/>"
               f"Demand here {fmt_mw(d['demand_mw'])} · sent away {fmt_mw(d['relocated_mw'])}<br/>"
               f"Price {fmt_usd_per_mwh(inp.price_usd_per_mwh[i])} · PUE {inp.pue[i]:.2f}<br/>"
               f"Carbon avg {fmt_g_per_kwh(inp.carbon_avg_g_per_kwh[i])} · "
               f"marginal {fmt_g_per_kwh(inp.carbon_marginal_g_per_kwh[i])}"
               + (f"<br/><b style='color:{UNSERVED_COLOUR}'>Unserved {fmt_mw(unserved)}</b>" if unserved > 1e-6 else ""))
        rows.append({
            "id": n.id, "lon": n.lon, "lat": n.lat, "capacity_mw": cap, "load_mw": ld,
            "demand_mw": float(d["demand_mw"]), "unserved_mw": unserved,
            "fill": ramp_rgb(t) + [230] if cap > 0 else [255, 255, 255, 0],
            "r_cap": float(radius_px(cap)), "r_demand": float(radius_px(d["demand_mw"])),
            "r_unserved": float(max(radius_px(d["demand_mw"]), radius_px(cap)) + 4.0),
            "tip": tip,
        })
    return pd.DataFrame(rows)


def arc_table(sc: Scenario, sol: Solution, workloads=None) -> pd.DataFrame:
    """One row per relocated (service, compute, workload) with positions, colour, width, tooltip;
    only the classes in ``workloads`` (all when None). Widths are relative to the largest flow
    of all classes, so that hiding a class does not rescale the others."""
    p = sol.placement
    p = p[p["service"] != p["compute"]]
    top = float(p["mw"].max()) if len(p) else 1.0
    if workloads is not None:
        p = p[p["workload"].isin(list(workloads))]
    if p.empty:
        return pd.DataFrame(columns=["src", "dst", "mw", "colour", "width", "tip"])
    pos = {n.id: [n.lon, n.lat] for n in sc.nodes}
    names = {n.id: n.name or n.id for n in sc.nodes}
    wnames = {w.id: w.name or w.id for w in sc.workloads}
    ids = sc.workload_ids
    out = pd.DataFrame({
        "src": [pos[s] for s in p["service"]], "dst": [pos[r] for r in p["compute"]],
        "mw": p["mw"].to_numpy(),
        "colour": [hex_to_rgb(workload_colour(k, ids), 190) for k in p["workload"]],
        "width": 1.0 + 5.0 * np.sqrt(p["mw"].to_numpy() / top),
        "tip": [f"<b>{wnames[k]}</b><br/>{names[s]} → {names[r]}<br/>{fmt_mw(mw)} · "
                f"round trip {fmt_ms(rtt)} · {layer}"
                for s, r, k, mw, rtt, layer in zip(p["service"], p["compute"], p["workload"], p["mw"],
                                                   p["rtt_ms"], p["layer"])],
    })
    return out.sort_values("mw", ascending=False)


class CompactDeck(pdk.Deck):
    """A Deck whose JSON has no indentation: pydeck indents by 2, which makes the world outline's
    ~160 kB of coordinates a ~1.1 MB message on every rerun."""

    def to_json(self) -> str:
        return json.dumps(self, sort_keys=True, default=default_serialize, separators=(",", ":"))


def deck(sc: Scenario, sol: Solution, geojson: dict | None, colour_by: str = "price",
         height: int = 470, workloads=None) -> CompactDeck:
    """The whole map; arcs only for the classes in ``workloads`` (all when None)."""
    nodes = node_table(sc, sol, colour_by)
    arcs = arc_table(sc, sol, workloads)
    layers = []
    if geojson:
        layers.append(pdk.Layer("GeoJsonLayer", data=geojson, id="countries", stroked=True, filled=True,
                                get_fill_color=LAND_RGBA, get_line_color=BORDER_RGBA,
                                line_width_min_pixels=0.6, pickable=False))
    if not arcs.empty:
        layers.append(pdk.Layer("ArcLayer", data=arcs, id="relocations", get_source_position="src",
                                get_target_position="dst", get_source_color="colour",
                                get_target_color="colour", get_width="width", width_units="pixels",
                                get_height=0.35, get_tilt=90, pickable=True, auto_highlight=True))
    layers.append(pdk.Layer("ScatterplotLayer", data=nodes, id="regions", get_position="[lon, lat]",
                            get_radius="r_cap", radius_units="pixels", get_fill_color="fill",
                            stroked=True, get_line_color=[90, 90, 90, 200], line_width_min_pixels=0.8,
                            pickable=True, auto_highlight=True))
    demand = nodes[nodes["demand_mw"] > 0]
    layers.append(pdk.Layer("ScatterplotLayer", data=demand, id="demand", get_position="[lon, lat]",
                            get_radius="r_demand", radius_units="pixels", filled=False, stroked=True,
                            get_line_color=RING_RGBA, line_width_min_pixels=1.4, pickable=True))
    unserved = nodes[nodes["unserved_mw"] > 1e-6]
    if not unserved.empty:
        layers.append(pdk.Layer("ScatterplotLayer", data=unserved, id="unserved", get_position="[lon, lat]",
                                get_radius="r_unserved", radius_units="pixels", filled=False, stroked=True,
                                get_line_color=hex_to_rgb(UNSERVED_COLOUR, 255), line_width_min_pixels=3.5,
                                pickable=True))
    view = pdk.ViewState(latitude=20.0, longitude=8.0, zoom=0.8, min_zoom=0.5, max_zoom=8, pitch=0)
    return CompactDeck(layers=layers, initial_view_state=view, map_provider=None, height=height,
                    tooltip={"html": "{tip}", "style": {"backgroundColor": "#262730", "color": "white",
                                                        "fontSize": "13px", "padding": "6px 8px"}})


def legend_html(sc: Scenario, sol: Solution, colour_by: str) -> str:
    """A one-line HTML legend: the colour ramp with its range, rings, arcs per workload class."""
    values, label = colour_values(sc, sol, colour_by)
    lo, hi = colour_range(values, sol.inputs.capacity_mw)
    fmt = fmt_g_per_kwh if colour_by == "carbon" else fmt_usd_per_mwh
    ramp = ", ".join(MAP_SCALE)
    chips = "".join(
        f"<span style='white-space:nowrap;margin-right:12px'><span style='display:inline-block;width:18px;"
        f"height:4px;background:{workload_colour(w.id, sc.workload_ids)};vertical-align:middle;"
        f"margin-right:4px'></span>{w.name or w.id}</span>" for w in sc.workloads)
    return (
        "<div style='font-size:0.85rem;line-height:1.9;color:#4a4a55'>"
        f"<span style='margin-right:18px'>Disc fill = {label}: {fmt(lo)} "
        f"<span style='display:inline-block;width:90px;height:10px;vertical-align:middle;border-radius:2px;"
        f"background:linear-gradient(to right,{ramp})'></span> {fmt(hi)}</span>"
        "<span style='margin-right:18px'>Disc area = capacity · dark ring = demand at that node · "
        f"<span style='color:{UNSERVED_COLOUR};font-weight:600'>vermillion ring = unserved</span></span><br/>"
        f"Arcs = relocated demand, width ∝ MW: {chips}</div>")
