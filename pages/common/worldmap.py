"""The Explorer's world map as a pydeck Deck, with no tile server.

``map_provider=None`` (and pydeck's default ``map_style``) is what tells Streamlit's deck.gl
renderer to draw no basemap: with ``map_style=None`` it would fetch a CARTO style instead. The
world is drawn from ``data/world_countries.geojson`` as a GeoJsonLayer on a plain background.

Layers, bottom to top: countries (with the copies a wrapped arc lands on); corridors, one arc
per service → compute pair (width ∝ MW, colour = its main workload class, faint at the service
node and solid where the work runs); compute regions as discs (area ∝ capacity, fill = price,
carbon intensity or the capacity shadow price); demand as a dark ring (area ∝ demand);
unserved demand as a thick vermillion ring; labels of the top corridors and of the regions that
matter. Tooltips are plain text (Streamlit escapes HTML in tooltip fields).

Longitudes: the map is cut where the fewest MW of corridors cross (then where the regions that
matter leave the widest gap), every arc runs the shorter way round the world (|Δlon| ≤ 180°),
and an arc whose far end falls outside the cut lands beyond the view's edge on a copy of its
region and of the countries there, 360° away.
Pure: no streamlit import.
"""
from __future__ import annotations

import hashlib
import json
import marshal
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pydeck as pdk
from pydeck.bindings.json_tools import default_serialize

from core.binding import full_regions
from core.map_groups import (MAX_CORRIDORS, colocated_groups, corridor_cap, corridor_flows_mw, group_name,
                             within_group_mw)
from core.scenario import Scenario
from core.solution import Solution
from pages.common.theme import (MAP_SCALE, UNSERVED_COLOUR, fmt_g_per_kwh, fmt_mw, fmt_ms,
                                fmt_pct, fmt_usd, fmt_usd_per_mwh, hex_to_rgb, ramp_rgb, workload_colour)

COLOUR_BY = {"price": "Energy price", "carbon": "Carbon intensity", "capacity_value": "Where new capacity pays"}
LAND_RGBA = [229, 232, 236, 255]
BORDER_RGBA = [255, 255, 255, 255]
RING_RGBA = [38, 39, 48, 200]
NO_VALUE_RGBA = [250, 250, 250, 230]
TEXT_RGBA = [38, 39, 48, 255]
# pydeck reads a string prop as an expression unless the whole of it is quoted ('"..."')
LABEL_FONT = '"Source Sans Pro, Source Sans, Helvetica Neue, Arial, sans-serif"'
ARC_HEIGHT = 0.35            # ArcLayer get_height: the arc's bulge, as a fraction of its length
ARC_ALPHA = (60, 235)        # at the service node, where the work runs
TOP_CORRIDORS, TOP_REGIONS = 5, 8
TOOLTIP_STYLE = {"backgroundColor": "#262730", "color": "white", "fontSize": "13px", "padding": "6px 8px",
                 "maxWidth": "300px", "whiteSpace": "pre-line", "lineHeight": "1.35"}
WORLD_MARGIN_DEG = 60.0     # countries drawn this far beyond the outermost region [°]
REFERENCE_WIDTH_PX = 760.0  # the map width the disc and arc sizes are made for [px]
WORLD_PX = 512.0             # deck.gl's web-mercator world at zoom 0 [px]
TOL_MW = 1e-6


# --- geometry --------------------------------------------------------------------------------

def short_way_lon(src_lon, dst_lon) -> np.ndarray:
    """The target longitude [°] shifted by a multiple of 360 so that |target − source| ≤ 180:
    an arc from the source to it runs the shorter way round the world."""
    src, dst = np.asarray(src_lon, dtype=float), np.asarray(dst_lon, dtype=float)
    return src + (dst - src + 180.0) % 360.0 - 180.0


def frame_lon(lon, cut_lon: float) -> np.ndarray:
    """Longitudes [°] mapped into the map's window [cut, cut + 360)."""
    return (np.asarray(lon, dtype=float) - cut_lon) % 360.0 + cut_lon


def choose_cut_lon(lons, arc_pairs=(), weights=None) -> float:
    """Where to cut the world [°]: the window [cut, cut + 360) whose arcs ``(i, j)`` (indices into
    ``lons``, of ``weights`` each, 1 when None) that cross its edge weigh least (their short-way
    end lies outside it, on a copy of the world), then that holds every longitude in ``lons`` and
    every short-way arc end in the least span; ties (within 1°) go to the usual cut at −180°."""
    lons = np.asarray(lons, dtype=float)
    if lons.size == 0:
        return -180.0
    s = np.sort(frame_lon(lons, -180.0))
    gaps = np.diff(np.concatenate([s, [s[0] + 360.0]]))
    candidates = [-180.0] + [float(frame_lon(s[i] + gaps[i] / 2.0, -180.0)) for i in range(len(s))]
    src = np.array([i for i, _ in arc_pairs], dtype=int)
    dst = np.array([j for _, j in arc_pairs], dtype=int)
    w = np.ones(src.size) if weights is None else np.asarray(weights, dtype=float)
    tol = 1e-9 * max(float(w.sum()), 1.0)
    best, best_key = -180.0, (np.inf, np.inf)
    for cut in candidates:
        framed = frame_lon(lons, cut)
        ends = short_way_lon(framed[src], framed[dst]) if src.size else np.array([])
        crossing = float(w[(ends < cut) | (ends >= cut + 360.0)].sum()) if src.size else 0.0
        points = np.concatenate([framed, ends])
        span = float(points.max() - points.min())
        if crossing < best_key[0] - tol or (crossing <= best_key[0] + tol and span < best_key[1] - 1.0):
            best, best_key = cut, (crossing, span)
    return best


def mercator_y(lat) -> np.ndarray:
    """Web-mercator y [rad] of a latitude [°] (clipped to ±85°)."""
    phi = np.radians(np.clip(np.asarray(lat, dtype=float), -85.0, 85.0))
    return np.log(np.tan(np.pi / 4.0 + phi / 2.0))


def mercator_lat(y) -> np.ndarray:
    """Inverse of :func:`mercator_y`: latitude [°]."""
    return np.degrees(2.0 * np.arctan(np.exp(np.asarray(y, dtype=float))) - np.pi / 2.0)


def arc_label_position(src, dst, height: float = ARC_HEIGHT) -> list[float]:
    """[lon, lat] of the top of a flat arc (ArcLayer with get_tilt 90, pitch 0): deck.gl lifts the
    midpoint by height·length/2 in mercator space and tilts it to the left of the direction."""
    x0, x1 = math.radians(src[0]), math.radians(dst[0])
    y0, y1 = (float(v) for v in mercator_y([src[1], dst[1]]))
    lift = 0.5 * height
    x, y = (x0 + x1) / 2.0 - lift * (y1 - y0), (y0 + y1) / 2.0 + lift * (x1 - x0)
    return [math.degrees(x), float(mercator_lat(y))]


def fit_view(lons, lats, width_px: float, height_px: float, pad: float = 0.08,
             max_zoom: float = 5.0) -> pdk.ViewState:
    """The view centred on the points' bounds with the zoom at which they all fit in a
    ``width_px`` × ``height_px`` map, ``pad`` of each side left free (web mercator)."""
    lons, lats = np.asarray(lons, dtype=float), np.asarray(lats, dtype=float)
    lo, hi = float(lons.min()), float(lons.max())
    y = mercator_y(lats)
    y_lo, y_hi = float(y.min()), float(y.max())
    span_x = max(hi - lo, 1.0) / 360.0                       # share of the world's width
    span_y = max(y_hi - y_lo, 0.02) / (2.0 * np.pi)          # share of the world's height
    free = 1.0 - 2.0 * pad
    zoom = math.log2(min(width_px * free / (WORLD_PX * span_x), height_px * free / (WORLD_PX * span_y)))
    zoom = min(zoom, max_zoom)
    return pdk.ViewState(longitude=(lo + hi) / 2.0, latitude=float(mercator_lat((y_lo + y_hi) / 2.0)),
                         zoom=round(zoom, 3), min_zoom=min(-1.5, zoom - 0.5), max_zoom=8, pitch=0, bearing=0)


def fitted_height_px(lons, lats, width_px: float, lo_px: int, hi_px: int) -> int:
    """A map height [px] that shows the points' bounds at ``width_px`` without empty bands (the
    bounds' aspect ratio in web mercator), within [lo_px, hi_px]."""
    lons, lats = np.asarray(lons, dtype=float), np.asarray(lats, dtype=float)
    y = mercator_y(lats)
    span_x = max(float(lons.max() - lons.min()), 1.0) / 360.0
    span_y = max(float(y.max() - y.min()), 0.02) / (2.0 * np.pi)
    return int(min(hi_px, max(lo_px, round(width_px * span_y / span_x))))


def _polygons(geom: dict) -> list:
    """The polygons (lists of rings) of a Polygon or MultiPolygon geometry."""
    coords = geom.get("coordinates") or []
    return [coords] if geom.get("type") == "Polygon" else list(coords)


def _lon_range(poly: list) -> tuple[float, float]:
    """Least and largest longitude [°] of a polygon's rings (inf, -inf when it has no point)."""
    lons = [p[0] for ring in poly for p in ring]
    return (min(lons), max(lons)) if lons else (np.inf, -np.inf)


@dataclass(frozen=True)
class Outline:
    """A GeoJSON's countries ready to cut: per feature its properties, polygons and their
    longitude ranges [°] (:func:`_lon_range`)."""

    features: tuple[tuple[dict, list, list], ...]


_OUTLINES: dict[bytes, Outline] = {}         # by content digest: world_geojson() hands out copies
_OUTLINE_JSON: dict[tuple, str] = {}         # by (digest, selection): the JSON text of world_copies
OUTLINE_CACHE = 8


def _digest(geojson: dict) -> bytes:
    return hashlib.blake2b(marshal.dumps(geojson), digest_size=16).digest()


def _outline(digest: bytes, geojson: dict) -> Outline:
    hit = _OUTLINES.get(digest)
    if hit is None:
        feats = []
        for f in geojson.get("features", []):
            polys = _polygons(f.get("geometry") or {})
            feats.append((f.get("properties") or {}, polys, [_lon_range(poly) for poly in polys]))
        hit = Outline(tuple(feats))
        if len(_OUTLINES) >= OUTLINE_CACHE:
            _OUTLINES.clear()
        _OUTLINES[digest] = hit
    return hit


def _selection(outline: Outline, lo_lon: float, hi_lon: float) -> tuple:
    """Which polygons :func:`world_copies` keeps: (feature index, shift [°], polygon indices) each."""
    return tuple((i, dlon, keep) for i, (_, _, ranges) in enumerate(outline.features)
                 for dlon in (-360.0, 0.0, 360.0)
                 if (keep := tuple(j for j, (a, b) in enumerate(ranges) if b + dlon >= lo_lon and a + dlon <= hi_lon)))


def _copies(outline: Outline, selection: tuple) -> dict:
    out = []
    for i, dlon, keep in selection:
        props, polys, _ = outline.features[i]
        kept = [polys[j] for j in keep]
        if dlon:
            kept = [[[[x + dlon, y, *rest] for x, y, *rest in ring] for ring in poly] for poly in kept]
        out.append({"type": "Feature", "properties": dict(props),
                    "geometry": {"type": "MultiPolygon", "coordinates": kept}})
    return {"type": "FeatureCollection", "features": out}


def world_copies(geojson: dict, lo_lon: float, hi_lon: float) -> dict:
    """The countries' polygons whose longitudes, as they are or shifted by ±360°, reach into
    [lo_lon, hi_lon], each at every such place (so that a region drawn beyond ±180° lies on its
    land); one MultiPolygon per country and shift."""
    outline = _outline(_digest(geojson), geojson)
    return _copies(outline, _selection(outline, lo_lon, hi_lon))


class SplicedJSON:
    """Data already written as JSON text: :meth:`CompactDeck.to_json` puts the text in as it is
    (the world outline, ~180 kB, is written once per process and window, not once per map)."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text

    def __str__(self) -> str:           # what pydeck's serializer writes in its place
        return f"\x00spliced-{id(self)}\x00"


def world_copies_json(geojson: dict, lo_lon: float, hi_lon: float) -> SplicedJSON:
    """:func:`world_copies` as compact JSON text (sorted keys), kept per outline and selection."""
    digest = _digest(geojson)
    outline = _outline(digest, geojson)
    selection = _selection(outline, lo_lon, hi_lon)
    key = (digest, selection)
    text = _OUTLINE_JSON.get(key)
    if text is None:
        text = json.dumps(_copies(outline, selection), sort_keys=True, separators=(",", ":"))
        if len(_OUTLINE_JSON) >= OUTLINE_CACHE:
            _OUTLINE_JSON.clear()
        _OUTLINE_JSON[key] = text
    return SplicedJSON(text)


# --- region colours ----------------------------------------------------------------------------

def radius_px(mw) -> np.ndarray:
    """Circle radius [px] for a power [MW]: area ∝ MW, 3 px + √MW·0.55 (0 MW → 0 px)."""
    mw = np.clip(np.asarray(mw, dtype=float), 0.0, None)
    return np.where(mw > 0, 3.0 + 0.55 * np.sqrt(mw), 0.0)


def capacity_value_usd_per_mw_year(sol: Solution, full: pd.DataFrame | None = None) -> np.ndarray:
    """[r] The capacity shadow price per MW-year of the full regions (``full``:
    :func:`core.binding.full_regions` of ``sol``, computed when not given), 0 elsewhere."""
    full = full_regions(sol) if full is None else full
    value = dict(zip(full["node"], full["capacity_shadow_usd_per_mw_year"]))
    return np.array([float(value.get(n, 0.0)) for n in sol.inputs.node_ids], dtype=float)


def colour_values(sc: Scenario, sol: Solution, colour_by: str,
                  full: pd.DataFrame | None = None) -> tuple[np.ndarray, str]:
    """The per-node quantity the discs are coloured by, and its label with unit (``full``: the
    full regions, :func:`core.binding.full_regions`, computed when needed and not given)."""
    inp = sol.inputs
    if colour_by == "carbon":
        return np.asarray(inp.carbon_g_per_kwh, dtype=float), \
            f"Carbon intensity, {inp.carbon_signal} signal (gCO₂/kWh)"
    if colour_by == "capacity_value":
        return capacity_value_usd_per_mw_year(sol, full), "Value of one more MW of capacity ($ per MW-year)"
    return np.asarray(inp.price_usd_per_mwh, dtype=float), "Energy price ($/MWh)"


def colour_range(values: np.ndarray, capacity_mw: np.ndarray) -> tuple[float, float]:
    """Min and max of ``values`` over nodes with capacity (all nodes when none has any)."""
    v = values[capacity_mw > 0] if (capacity_mw > 0).any() else values
    return float(np.min(v)), float(np.max(v))


def _fill(value: float, lo: float, hi: float, colour_by: str, cap: float) -> list[int]:
    if cap <= 0:
        return [255, 255, 255, 0]
    if not math.isfinite(value):        # no value (a solution without duals): ramp_rgb's grey
        return ramp_rgb(value) + [230]
    if colour_by == "capacity_value":
        if value <= 0:
            return NO_VALUE_RGBA
        lo = 0.0
    t = (value - lo) / (hi - lo) if hi > lo else 0.5
    return ramp_rgb(t) + [230]


# --- tables ------------------------------------------------------------------------------------

def _names(sc: Scenario) -> dict[str, str]:
    return {n.id: n.name or n.id for n in sc.nodes}


def node_table(sc: Scenario, sol: Solution, colour_by: str = "price", cut_lon: float = -180.0,
               full: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per node with everything the map draws and its plain-text tooltip (``tip``);
    ``lon`` is in the map's window [cut_lon, cut_lon + 360). ``full``: the full regions
    (:func:`core.binding.full_regions` of ``sol``; computed when not given)."""
    inp = sol.inputs
    load = sol.x_mw.sum(axis=(0, 2))
    home = np.einsum("ssk->s", sol.x_mw)
    demand_mw = inp.demand_mw.sum(axis=1)
    sent_mw = sol.x_mw.sum(axis=(1, 2)) - home
    sent_mw = np.where(sent_mw > TOL_MW, sent_mw, 0.0)           # no "-0.0000000000000568 MW"
    unserved_mw = sol.unserved_by_demand_mw.sum(axis=1)
    full = full_regions(sol) if full is None else full
    values, _ = colour_values(sc, sol, colour_by, full)
    lo, hi = colour_range(values, inp.capacity_mw)
    shadow = capacity_value_usd_per_mw_year(sol, full)
    full = set(full["node"])
    limits = inp.friction("capacity")
    rows = []
    for i, n in enumerate(sc.nodes):
        cap, ld, unserved = float(inp.capacity_mw[i]), float(load[i]), float(unserved_mw[i])
        d = {"demand_mw": float(demand_mw[i]), "relocated_mw": float(sent_mw[i])}
        lines = [f"{n.name or n.id} ({n.id})",
                 f"Capacity {fmt_mw(cap)}, load {fmt_mw(ld)}"
                 + ("" if cap <= 0 else f" ({fmt_pct(ld / cap, 0)})" if limits else " (limit off)")]
        if n.id in full:
            lines.append(f"Full: one more MW is worth {fmt_usd(shadow[i])} a year" if math.isfinite(shadow[i])
                         else "Full (no shadow price in this model)")
        lines += [f"Demand here {fmt_mw(d['demand_mw'])}, sent away {fmt_mw(d['relocated_mw'])}",
                  f"Price {fmt_usd_per_mwh(inp.price_usd_per_mwh[i])}, PUE {inp.pue[i]:.2f}",
                  f"Carbon: average {fmt_g_per_kwh(inp.carbon_avg_g_per_kwh[i])}",
                  f"Carbon: marginal {fmt_g_per_kwh(inp.carbon_marginal_g_per_kwh[i])} (assumed)"]
        if unserved > TOL_MW:
            lines.append(f"UNSERVED {fmt_mw(unserved)}")
        rows.append({
            "id": n.id, "name": n.name or n.id, "lon": float(frame_lon(n.lon, cut_lon)), "lat": n.lat,
            "capacity_mw": cap, "load_mw": ld, "imported_mw": max(ld - float(home[i]), 0.0),
            "demand_mw": float(d["demand_mw"]), "relocated_mw": float(d["relocated_mw"]), "unserved_mw": unserved,
            "value": float(values[i]), "fill": _fill(values[i], lo, hi, colour_by, cap),
            "r_cap": float(radius_px(cap)), "r_demand": float(radius_px(d["demand_mw"])),
            "r_unserved": float(max(radius_px(d["demand_mw"]), radius_px(cap)) + 4.0),
            "tip": "\n".join(lines),
        })
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class MapGroups:
    """Co-located regions (:func:`core.map_groups.colocated_groups`) as map markers: each node's
    marker id (its own id when alone, ``"group:"`` + its first member's id in a group), each
    group marker's members (in scenario order) and place name."""

    marker_of: dict
    members: dict
    place: dict

    def name(self, marker: str, names: dict[str, str]) -> str:
        """"Frankfurt: 3 regions" for a group, the region's name for a lone region."""
        if marker in self.members:
            return f"{self.place[marker]}: {len(self.members[marker])} regions"
        return names[marker]


def node_groups(sc: Scenario) -> MapGroups:
    """The scenario's co-located regions as :class:`MapGroups` (weights of the place name:
    capacity plus demand [MW])."""
    ids = sc.node_ids
    number = colocated_groups(ids, [n.lat for n in sc.nodes], [n.lon for n in sc.nodes])
    by_number: dict[int, list[int]] = {}
    for i, g in enumerate(number):
        by_number.setdefault(g, []).append(i)
    demand = {n: 0.0 for n in ids}
    for d in sc.demand:
        demand[d.node] += float(d.mw)
    marker_of, members, place = {}, {}, {}
    for rows in by_number.values():
        if len(rows) == 1:
            marker_of[ids[rows[0]]] = ids[rows[0]]
            continue
        key = f"group:{ids[rows[0]]}"
        nodes = [sc.nodes[i] for i in rows]
        lon0 = nodes[0].lon
        lon = float(np.mean(short_way_lon(lon0, [n.lon for n in nodes])))
        members[key] = [n.id for n in nodes]
        place[key] = group_name([n.name or n.id for n in nodes], [n.capacity_mw + demand[n.id] for n in nodes],
                                float(np.mean([n.lat for n in nodes])), lon)
        marker_of.update({n.id: key for n in nodes})
    return MapGroups(marker_of, members, place)


def _marker_positions(sc: Scenario, groups: MapGroups | None, cut_lon: float) -> dict[str, tuple[float, float]]:
    """[lon, lat] of every marker in the window [cut_lon, cut_lon + 360): a region's own place, a
    group's centre (the mean of its members, taken the short way round)."""
    pos = {n.id: (float(frame_lon(n.lon, cut_lon)), n.lat) for n in sc.nodes}
    if groups is None:
        return pos
    out = {m: p for m, p in pos.items() if groups.marker_of.get(m, m) == m}
    at = {n.id: n for n in sc.nodes}
    for key, ids in groups.members.items():
        lons = short_way_lon(at[ids[0]].lon, [at[i].lon for i in ids])
        out[key] = (float(frame_lon(np.mean(lons), cut_lon)), float(np.mean([at[i].lat for i in ids])))
    return out


def corridor_table(sc: Scenario, sol: Solution, workloads=None, cut_lon: float = -180.0,
                   groups: MapGroups | None = None) -> pd.DataFrame:
    """One row per relocated service → compute pair (a corridor), largest first: service,
    compute, mw (of the classes in ``workloads``; all when None), main workload, classes (text),
    rtt_ms (of its largest flow), src / dst [lon, lat] (dst the short way round from src),
    colours, width, tip, label, label_position. With ``groups`` the ends are map markers (a
    group of co-located regions is one end; flows within a group have no corridor). Widths are
    relative to the largest corridor of all classes, so that hiding a class does not rescale the
    others."""
    cols = ["service", "compute", "mw", "workload", "classes", "rtt_ms", "src", "dst", "source_colour",
            "target_colour", "width", "tip", "label", "label_position"]
    marker_of = groups.marker_of if groups is not None else None
    every = corridor_flows_mw(sol.placement, marker_of)
    top = float(every["mw"].iloc[0]) if len(every) else 1.0
    p = sol.placement
    p = p[p["service"] != p["compute"]]
    if workloads is not None:
        p = p[p["workload"].isin(list(workloads))]
    if marker_of is not None:
        p = p.assign(service=p["service"].map(marker_of), compute=p["compute"].map(marker_of))
        p = p[p["service"] != p["compute"]]
    if p.empty:
        return pd.DataFrame(columns=cols)
    node_names = _names(sc)
    names = {m: (groups.name(m, node_names) if groups is not None else node_names[m])
             for m in set(p["service"]) | set(p["compute"])}
    wnames = {w.id: w.name or w.id for w in sc.workloads}
    ids = sc.workload_ids
    pos = _marker_positions(sc, groups, cut_lon)
    pairs: dict[tuple[str, str], dict] = {}
    p = p.sort_values("mw", ascending=False, kind="stable")
    for s, r, k, mw, rtt in zip(p["service"], p["compute"], p["workload"], p["mw"], p["rtt_ms"]):
        pair = pairs.setdefault((s, r), {"classes": {}, "rtts": []})
        pair["classes"][k] = pair["classes"].get(k, 0.0) + float(mw)
        pair["rtts"].append(float(rtt))
    rows = []
    for (s, r), pair in pairs.items():
        flows = sorted(pair["classes"].items(), key=lambda km: -km[1])
        mw = sum(m for _, m in flows)
        main, rtt = flows[0][0], pair["rtts"][0]
        lo, hi = min(pair["rtts"]), max(pair["rtts"])
        rtt_words = f"round trip {fmt_ms(rtt)}" if hi - lo < 0.05 else f"round trips {fmt_ms(lo)}–{fmt_ms(hi)}"
        src = [pos[s][0], pos[s][1]]
        dst = [float(short_way_lon(src[0], pos[r][0])), pos[r][1]]
        colour = hex_to_rgb(workload_colour(main, ids))
        rows.append({
            "service": s, "compute": r, "mw": mw, "workload": main,
            "classes": ", ".join(f"{wnames[k]} {fmt_mw(m)}" for k, m in flows),
            "rtt_ms": rtt, "src": src, "dst": dst,
            "source_colour": colour + [ARC_ALPHA[0]], "target_colour": colour + [ARC_ALPHA[1]],
            "width": 1.0 + 6.0 * math.sqrt(mw / top),
            "tip": "\n".join([f"{names[s]} → {names[r]}", f"{fmt_mw(mw)}, {rtt_words}",
                              *(f"{wnames[k]}: {fmt_mw(m)}" for k, m in flows)]),
            "label": f"{names[s]} → {names[r]} {fmt_mw(mw)}", "label_position": arc_label_position(src, dst),
        })
    return pd.DataFrame(rows, columns=cols).sort_values("mw", ascending=False, ignore_index=True)


MEMBER_LINES = ("Capacity", "Full", "Demand here", "Price", "Carbon: average", "UNSERVED")
"""The lines of a region's own tooltip that a group's tooltip repeats for each member."""
MARKER_SUMS = ("capacity_mw", "load_mw", "imported_mw", "demand_mw", "relocated_mw", "unserved_mw")


def marker_table(sc: Scenario, nodes: pd.DataFrame, groups: MapGroups, colour_by: str, cut_lon: float,
                 values: tuple[float, float]) -> pd.DataFrame:
    """The map's markers: :func:`node_table`'s rows (at ``cut_lon``) with each group of
    co-located regions merged into one row at its centre: MW columns summed, the fill from the
    members' capacity-weighted mean value (within the colour range ``values``, (lo, hi)), and a
    tooltip that lists each region with its numbers."""
    if not groups.members:
        return nodes
    names = dict(zip(nodes["id"], nodes["name"]))
    pos = _marker_positions(sc, groups, cut_lon)
    alone = nodes[[groups.marker_of[i] == i for i in nodes["id"]]]
    at = {r["id"]: r for r in nodes.to_dict("records")}
    rows = []
    for key, ids in groups.members.items():
        part = [at[i] for i in ids]
        sums = {c: float(sum(r[c] for r in part)) for c in MARKER_SUMS}
        cap = np.array([r["capacity_mw"] for r in part])
        vals = np.array([r["value"] for r in part])
        value = float(np.average(vals, weights=cap)) if cap.sum() > 0 else float(vals.mean())
        tips = [f"{groups.name(key, names)} (one disc; each region keeps its own capacity)"]
        for r in part:
            lines = r["tip"].split("\n")
            tips += ["• " + lines[0], *(line for line in lines[1:] if line.startswith(MEMBER_LINES))]
        rows.append({"id": key, "name": groups.name(key, names), "lon": pos[key][0], "lat": pos[key][1], **sums,
                     "value": value, "fill": _fill(value, *values, colour_by, sums["capacity_mw"]),
                     "r_cap": float(radius_px(sums["capacity_mw"])), "r_demand": float(radius_px(sums["demand_mw"])),
                     "r_unserved": float(max(radius_px(sums["demand_mw"]), radius_px(sums["capacity_mw"])) + 4.0),
                     "tip": "\n".join(tips)})
    return pd.concat([alone, pd.DataFrame(rows, columns=nodes.columns)], ignore_index=True)


def marker_full(full: pd.DataFrame, groups: MapGroups) -> pd.DataFrame:
    """The full regions (:func:`core.binding.full_regions`) with each node named by its map marker
    (a group's first full member stands for it)."""
    return full.assign(node=full["node"].map(groups.marker_of)).drop_duplicates("node", ignore_index=True)


def hidden_corridors_note(sc: Scenario, sol: Solution, workloads=None, cap: int = MAX_CORRIDORS,
                          groups: MapGroups | None = None) -> str:
    """What the map leaves out, in one sentence ("" when nothing): the corridors beyond the
    ``cap`` largest and the flows within a group of co-located regions, each with its MW and its
    share of the relocated IT power of the classes in ``workloads`` (all when None)."""
    groups = node_groups(sc) if groups is None else groups
    p = sol.placement
    moved = p[p["service"] != p["compute"]]
    if workloads is not None:
        moved = moved[moved["workload"].isin(list(workloads))]
    total = float(moved["mw"].sum())
    flows = corridor_flows_mw(sol.placement, groups.marker_of, workloads)
    c = corridor_cap(flows["mw"], cap, total)
    inside = within_group_mw(sol.placement, groups.marker_of, workloads)
    parts = []
    if c["hidden"]:
        parts.append(f"{c['hidden']:,} smaller corridor{'s' if c['hidden'] != 1 else ''} carrying "
                     f"{fmt_mw(c['hidden_mw'])} ({fmt_pct(c['hidden_share'], 1)} of relocated work) not drawn "
                     f"(the map draws the {cap} largest)")
    if inside > TOL_MW:
        parts.append(f"{fmt_mw(inside)} ({fmt_pct(inside / total, 1)}) moves between regions of one metro, "
                     "inside a group disc")
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + "." if parts else ""


def regions_that_matter(nodes: pd.DataFrame, full: pd.DataFrame, n: int = TOP_REGIONS) -> list[str]:
    """Ids of the regions worth a label: the largest importers, the largest demand, the fullest
    regions with the highest capacity value; at most ``n``, in that order of preference."""
    picks: list[str] = []
    for ids in (nodes[nodes["imported_mw"] > TOL_MW].sort_values("imported_mw", ascending=False)["id"].head(3),
                nodes[nodes["demand_mw"] > 0].sort_values("demand_mw", ascending=False)["id"].head(3),
                full[full["capacity_shadow_usd_per_mw"] > 0]["node"].head(3),
                nodes.sort_values("demand_mw", ascending=False)["id"]):
        for i in ids:
            if i not in picks and len(picks) < n:
                picks.append(i)
    return picks


def _matters(nodes: pd.DataFrame) -> pd.Series:
    return (nodes["demand_mw"] > 0) | (nodes["load_mw"] > TOL_MW)


def map_layout(sc: Scenario, sol: Solution) -> float:
    """The map's cut longitude [°] for this solution: :func:`choose_cut_lon` over the regions
    with demand or load and the relocated flows between them, weighted by their MW (the cut
    crosses the fewest MW of corridors)."""
    inp = sol.inputs
    keep = np.flatnonzero((inp.demand_mw.sum(axis=1) > 0) | (sol.x_mw.sum(axis=(0, 2)) > TOL_MW))
    index = {int(i): j for j, i in enumerate(keep)}
    by_pair = sol.x_mw.sum(axis=2)
    np.fill_diagonal(by_pair, 0.0)
    moved = [(int(s), int(r)) for s, r in zip(*np.nonzero(by_pair > TOL_MW)) if s in index and r in index]
    lons = np.array([sc.nodes[i].lon for i in keep], dtype=float)
    return choose_cut_lon(lons, [(index[s], index[r]) for s, r in moved], [by_pair[s, r] for s, r in moved])


class CompactDeck(pdk.Deck):
    """A Deck whose JSON has no indentation: pydeck indents by 2, which makes the world outline's
    ~160 kB of coordinates a ~1.1 MB message on every rerun."""

    def to_json(self) -> str:
        text = json.dumps(self, sort_keys=True, default=default_serialize, separators=(",", ":"))
        for lay in self.layers:
            if isinstance(lay.data, SplicedJSON):
                text = text.replace(json.dumps(str(lay.data)), lay.data.text, 1)
        return text


@dataclass(frozen=True)
class MapFrame:
    """Where the map is cut and what it shows: the cut longitude [°], the fitted view, the map's
    height [px], and the copies of regions that wrapped arcs land on (id, lon)."""

    cut_lon: float
    view: pdk.ViewState
    height_px: int
    ghosts: pd.DataFrame


MIN_HEIGHT_PX, MAX_HEIGHT_PX = 220, 470


def markers(sc: Scenario, sol: Solution, colour_by: str, cut_lon: float, full: pd.DataFrame,
            groups: MapGroups) -> pd.DataFrame:
    """:func:`marker_table` of the node table coloured by ``colour_by`` at ``cut_lon``."""
    values, _ = colour_values(sc, sol, colour_by, full)
    return marker_table(sc, node_table(sc, sol, colour_by, cut_lon, full), groups, colour_by, cut_lon,
                        colour_range(values, sol.inputs.capacity_mw))


def map_frame(sc: Scenario, sol: Solution, width_px: float, height_px: int | None = None, *,
              cut_lon: float | None = None, nodes: pd.DataFrame | None = None,
              arcs: pd.DataFrame | None = None) -> MapFrame:
    """The map's window and a view fitted to a ``width_px`` wide map: the bounds of the regions
    with demand or flow in the window (the copies that arcs across the cut land on lie beyond the
    edge, with their land); the height is ``height_px`` or the bounds'
    aspect ratio within 220..470 px. Pass what is already computed: ``cut_lon``
    (:func:`map_layout`), and at that cut ``nodes`` (:func:`markers`, any colouring) and
    ``arcs`` (:func:`corridor_table` of every class between markers; the first
    :data:`core.map_groups.MAX_CORRIDORS` are drawn)."""
    cut = map_layout(sc, sol) if cut_lon is None else cut_lon
    if nodes is None or arcs is None:
        groups = node_groups(sc)
        nodes = markers(sc, sol, "price", cut, full_regions(sol), groups) if nodes is None else nodes
        arcs = corridor_table(sc, sol, None, cut, groups) if arcs is None else arcs
    arcs = arcs.head(MAX_CORRIDORS)
    at = nodes.set_index("id")
    ends = pd.DataFrame({"id": arcs["compute"], "lon": [d[0] for d in arcs["dst"]]}, columns=["id", "lon"])
    ghosts = ends[(ends["lon"] - at.loc[ends["id"], "lon"].to_numpy()).abs() > 1.0].drop_duplicates(ignore_index=True)
    matters = nodes[_matters(nodes)]
    if matters.empty:
        matters = nodes
    # the view holds each region once: an arc across the cut runs past the edge to a copy
    lons, lats = matters["lon"].to_numpy(dtype=float), matters["lat"].to_numpy(dtype=float)
    # deck.gl keeps the view's centre within ±180°: move the whole window (a whole turn) there
    turn = 360.0 * round((lons.min() + lons.max()) / 2.0 / 360.0)
    cut, lons = cut - turn, lons - turn
    ghosts = ghosts.assign(lon=ghosts["lon"] - turn)
    height = height_px or fitted_height_px(lons, lats, width_px, MIN_HEIGHT_PX, MAX_HEIGHT_PX)
    return MapFrame(cut, fit_view(lons, lats, width_px, height), int(height), ghosts)


def deck(sc: Scenario, sol: Solution, geojson: dict | str | None, colour_by: str = "price",
         width_px: float = 760, workloads=None, frame: MapFrame | None = None, *,
         nodes: pd.DataFrame | None = None, arcs: pd.DataFrame | None = None,
         full: pd.DataFrame | None = None, groups: MapGroups | None = None) -> CompactDeck:
    """The whole map, its view fitted to a ``width_px`` wide map (:func:`map_frame`; pass
    ``frame`` when already computed); arcs only for the classes in ``workloads`` (all when None),
    the :data:`core.map_groups.MAX_CORRIDORS` largest; co-located regions as one disc each
    (``groups``, :func:`node_groups`). Pass what is already computed: ``full``
    (:func:`core.binding.full_regions`), ``groups``, and at ``frame.cut_lon`` ``nodes``
    (:func:`markers` coloured by ``colour_by``) and ``arcs`` (:func:`corridor_table` of
    ``workloads`` between markers). ``geojson``: the country outlines (cut to the drawn
    longitudes, :func:`world_copies`), or the URL of a GeoJSON that holds every copy already
    (the browser fetches it once; :func:`pages.common.datafiles.world_outline`), or None."""
    frame = frame or map_frame(sc, sol, width_px)
    cut = frame.cut_lon
    full = full_regions(sol) if full is None else full
    groups = node_groups(sc) if groups is None else groups
    nodes = markers(sc, sol, colour_by, cut, full, groups) if nodes is None else nodes
    arcs = corridor_table(sc, sol, workloads, cut, groups) if arcs is None else arcs
    arcs = arcs.head(MAX_CORRIDORS)
    at = nodes.set_index("id")
    ghost_rows = at.loc[frame.ghosts["id"]].reset_index().assign(lon=frame.ghosts["lon"].to_numpy())
    drawn = pd.concat([nodes, ghost_rows], ignore_index=True)
    view = frame.view
    scale = min(1.0, math.sqrt(width_px / REFERENCE_WIDTH_PX))   # smaller discs and arcs on a phone
    layers = []
    world = (geojson if isinstance(geojson, str)      # the URL of an outline with every copy (a file)
             else world_copies_json(geojson, float(drawn["lon"].min()) - WORLD_MARGIN_DEG,
                                    float(drawn["lon"].max()) + WORLD_MARGIN_DEG) if geojson else None)
    if world:
        layers.append(pdk.Layer("GeoJsonLayer", data=world, id="countries", stroked=True, filled=True,
                                get_fill_color=LAND_RGBA, get_line_color=BORDER_RGBA,
                                line_width_min_pixels=0.6, pickable=False))
    if not arcs.empty:
        layers.append(pdk.Layer("ArcLayer", data=arcs, id="corridors", get_source_position="src",
                                get_target_position="dst", get_source_color="source_colour",
                                get_target_color="target_colour", get_width="width", width_units="pixels",
                                get_height=ARC_HEIGHT, get_tilt=90, width_scale=scale, pickable=True,
                                auto_highlight=True))
    layers.append(pdk.Layer("ScatterplotLayer", data=drawn, id="regions", get_position="[lon, lat]",
                            get_radius="r_cap", radius_units="pixels", radius_scale=scale, get_fill_color="fill",
                            stroked=True, get_line_color=[90, 90, 90, 200], line_width_min_pixels=0.8,
                            pickable=True, auto_highlight=True))
    demand = drawn[drawn["demand_mw"] > 0]
    layers.append(pdk.Layer("ScatterplotLayer", data=demand, id="demand", get_position="[lon, lat]",
                            get_radius="r_demand", radius_units="pixels", radius_scale=scale, filled=False,
                            stroked=True,
                            get_line_color=RING_RGBA, line_width_min_pixels=1.4, pickable=True))
    unserved = drawn[drawn["unserved_mw"] > TOL_MW]
    if not unserved.empty:
        layers.append(pdk.Layer("ScatterplotLayer", data=unserved, id="unserved", get_position="[lon, lat]",
                                get_radius="r_unserved", radius_units="pixels", radius_scale=scale, filled=False,
                                stroked=True,
                                get_line_color=hex_to_rgb(UNSERVED_COLOUR, 255), line_width_min_pixels=3.5,
                                pickable=True))
    labels = label_table(nodes, arcs, marker_full(full, groups), view.zoom)
    if not labels.empty:
        layers.append(pdk.Layer("TextLayer", data=labels, id="labels", get_position="position", get_text="text",
                                get_size="size", size_units="pixels", get_color=TEXT_RGBA,
                                get_text_anchor='"middle"', get_alignment_baseline='"center"',
                                font_family=LABEL_FONT, character_set='"auto"', background=True,
                                get_background_color=[255, 255, 255, 200], background_padding=[3, 1],
                                pickable=False))
    return CompactDeck(layers=layers, initial_view_state=view, map_provider=None,
                       tooltip={"text": "{tip}", "style": TOOLTIP_STYLE})


def map_decks(sc: Scenario, sol: Solution, geojson: dict | str | None, colour_by: str, widths_px,
              workloads=None) -> tuple[list[tuple[CompactDeck, int]], str]:
    """The maps of one result, one (deck, height px) per map width [px], and their description
    (:func:`map_description`): the groups, the cut, the full regions, the marker and corridor
    tables are computed once for every width."""
    groups, cut, full = node_groups(sc), map_layout(sc, sol), full_regions(sol)
    nodes = markers(sc, sol, colour_by, cut, full, groups)
    every = corridor_table(sc, sol, None, cut, groups)
    tables: dict[float, tuple[pd.DataFrame, pd.DataFrame]] = {}   # at the window's cut (the same for every width)
    decks = []
    for width in widths_px:
        frame = map_frame(sc, sol, width, cut_lon=cut, nodes=nodes, arcs=every)
        c = frame.cut_lon                        # the cut, or the window turned by a whole turn
        if c not in tables:
            every_class = workloads is None or set(sc.workload_ids) <= set(workloads)
            shown = every if every_class else corridor_table(sc, sol, workloads, cut, groups)
            tables[c] = (nodes, shown) if c == cut else turned(nodes, shown, c - cut)
        at_nodes, arcs = tables[c]
        decks.append((deck(sc, sol, geojson, colour_by, width, workloads, frame, nodes=at_nodes, arcs=arcs,
                           full=full, groups=groups), frame.height_px))
    return decks, map_description(sc, sol, arcs=every, full=full, groups=groups)


def turned(nodes: pd.DataFrame, arcs: pd.DataFrame, dlon: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The marker and corridor tables of a window turned by ``dlon`` [°, a multiple of 360]:
    every longitude moved by it (what building them at the cut + ``dlon`` gives)."""
    move = lambda points: [[p[0] + dlon, *p[1:]] for p in points]  # noqa: E731
    return (nodes.assign(lon=nodes["lon"] + dlon),
            arcs.assign(src=move(arcs["src"]), dst=move(arcs["dst"]), label_position=move(arcs["label_position"])))


def short_name(name: str) -> str:
    """A region's name without its parenthesis: "California (Los Angeles)" → "California",
    "AWS US East (Ohio): 2 regions" → "AWS US East: 2 regions"."""
    head, paren, tail = name.partition(" (")
    return head + tail.partition(")")[2] if paren and ")" in tail else name


def paren_place(name: str) -> str:
    """A region's name as its parenthesis, the place: "AWS US East (Ohio): 2 regions" → "Ohio: 2
    regions" (the name itself when it has none)."""
    _, paren, tail = name.partition(" (")
    place, close, rest = tail.partition(")")
    return place + rest if paren and close else name


def label_names(names: dict[str, str]) -> dict[str, str]:
    """Each marker's name on the map's labels: :func:`short_name`; where two markers' names agree
    before their parenthesis ("AWS US East (N. Virginia)", "AWS US East (Ohio): 2 regions") the
    parenthesis (:func:`paren_place`: "N. Virginia", "Ohio: 2 regions"); the whole name where
    labels would still read the same."""
    head = {m: name.split(" (")[0] for m, name in names.items()}
    shared = pd.Series(head).duplicated(keep=False).to_dict() if names else {}
    label = {m: paren_place(name) if shared[m] else short_name(name) for m, name in names.items()}
    twice = pd.Series(label).duplicated(keep=False).to_dict() if names else {}
    return {m: names[m] if twice[m] else text for m, text in label.items()}


def screen_px(lon, lat, zoom: float) -> tuple[float, float]:
    """Web-mercator pixel coordinates [px] of a point at ``zoom`` (x east, y south; any origin)."""
    world = WORLD_PX * 2.0 ** zoom
    return world * float(lon) / 360.0, -world * float(mercator_y(lat)) / (2.0 * np.pi)


def label_box(text: str, size_px: float, lon: float, lat: float, zoom: float) -> tuple[float, float, float, float]:
    """The screen box [px] (x0, y0, x1, y1) a centred label of ``size_px`` takes (0.6 em a character)."""
    x, y = screen_px(lon, lat, zoom)
    half_w, half_h = 0.3 * size_px * len(text) + 3.0, 0.5 * size_px + 2.0
    return x - half_w, y - half_h, x + half_w, y + half_h


def _overlaps(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def label_table(nodes: pd.DataFrame, arcs: pd.DataFrame, full: pd.DataFrame, zoom: float) -> pd.DataFrame:
    """Text labels that do not overlap at ``zoom``: the top corridors (at the top of their arc),
    then the regions that matter (just below their disc), each kept only when its box is free.
    Columns text, position [lon, lat], size [px]."""
    candidates = []
    names = label_names(dict(zip(nodes["id"], nodes["name"])))
    for s, r, mw, pos in zip(arcs["service"].head(TOP_CORRIDORS), arcs["compute"].head(TOP_CORRIDORS),
                             arcs["mw"].head(TOP_CORRIDORS), arcs["label_position"].head(TOP_CORRIDORS)):
        candidates.append((f"{names[s]} → {names[r]} {fmt_mw(mw)}", list(pos), 11))
    at = nodes.set_index("id")
    for i in regions_that_matter(nodes, full):
        lon, lat = float(at.loc[i, "lon"]), float(at.loc[i, "lat"])
        px_to_y = 2.0 * np.pi / (WORLD_PX * 2.0 ** zoom)          # mercator y per screen pixel
        below = float(mercator_lat(mercator_y(lat) - (at.loc[i, "r_cap"] + 9.0) * px_to_y))
        candidates.append((names[i], [lon, below], 12))
    rows, boxes = [], []
    for text, pos, size in candidates:
        box = label_box(text, size, pos[0], pos[1], zoom)
        if any(_overlaps(box, b) for b in boxes):
            continue
        boxes.append(box)
        rows.append({"text": text, "position": pos, "size": size})
    return pd.DataFrame(rows, columns=["text", "position", "size"])


# --- words ---------------------------------------------------------------------------------------

def map_description(sc: Scenario, sol: Solution, n: int = 3, *, arcs: pd.DataFrame | None = None,
                    full: pd.DataFrame | None = None, groups: MapGroups | None = None) -> str:
    """The map in one plain sentence (its alt text), written from the solution: regions (and
    groups of co-located ones), the relocated IT power, the largest corridors, the full regions
    and unserved demand. Pass what is already computed: ``groups`` (:func:`node_groups`),
    ``arcs`` (:func:`corridor_table` of every class between its markers, at any cut) and
    ``full`` (:func:`core.binding.full_regions`)."""
    groups = node_groups(sc) if groups is None else groups
    arcs = corridor_table(sc, sol, groups=groups) if arcs is None else arcs
    names = _names(sc)
    names.update({m: groups.name(m, names) for m in groups.members})
    together = sum(len(ids) for ids in groups.members.values())
    text = (f"Map: {len(sc.nodes)} regions"
            + (f" ({together} of them in {len(groups.members)} group{'s' if len(groups.members) != 1 else ''} "
                  "of co-located regions, one disc each)"
               if groups.members else "")
            + f"; {fmt_mw(sol.relocated_mw)} of IT power runs away from home in "
            f"{len(arcs)} corridor{'s' if len(arcs) != 1 else ''}")
    if len(arcs):
        text += "; largest: " + ", ".join(f"{names[s]} to {names[r]} {fmt_mw(m)}" for s, r, m in
                                          zip(arcs["service"].head(n), arcs["compute"].head(n), arcs["mw"].head(n)))
    full = full_regions(sol) if full is None else full
    if len(full):
        text += f"; {len(full)} region{'s' if len(full) != 1 else ''} full: " + ", ".join(
            names.get(i, i) for i in full["node"].head(n)) + (" and more" if len(full) > n else "")
    if sol.unserved_mw > TOL_MW:
        text += f"; {fmt_mw(sol.unserved_mw)} unserved"
    return text + "."


def legend_html(sc: Scenario, sol: Solution, colour_by: str, full: pd.DataFrame | None = None) -> str:
    """A short HTML legend: the colour ramp with its range, rings, corridors per main class
    (``full``: :func:`core.binding.full_regions` of ``sol``, computed when needed and not given)."""
    values, label = colour_values(sc, sol, colour_by, full)
    lo, hi = colour_range(values, sol.inputs.capacity_mw)
    if colour_by == "capacity_value":
        lo_text, hi_text = "$0 (not full)", fmt_usd(hi)
    else:
        fmt = fmt_g_per_kwh if colour_by == "carbon" else fmt_usd_per_mwh
        lo_text, hi_text = fmt(lo), fmt(hi)
    ramp = ", ".join(MAP_SCALE)
    chips = "".join(
        f"<span style='white-space:nowrap;margin-right:12px'><span style='display:inline-block;width:18px;"
        f"height:4px;background:{workload_colour(w.id, sc.workload_ids)};vertical-align:middle;"
        f"margin-right:4px'></span>{w.name or w.id}</span>" for w in sc.workloads)
    return (
        "<div style='font-size:0.85rem;line-height:1.9;color:#3d3d47'>"
        f"<span style='margin-right:18px'>Disc fill = {label}: {lo_text} "
        f"<span style='display:inline-block;width:90px;height:10px;vertical-align:middle;border-radius:2px;"
        f"background:linear-gradient(to right,{ramp})'></span> {hi_text}</span>"
        "<span style='margin-right:18px'>Disc area = capacity · dark ring = demand at that node · "
        f"<span style='color:{UNSERVED_COLOUR};font-weight:600'>vermillion ring = unserved</span></span><br/>"
        + ("A disc for several co-located regions: their summed capacity and demand, filled by their "
           "capacity-weighted mean; its tooltip lists each region.<br/>" if node_groups(sc).members else "")
        + "Arcs = corridors, one per service → compute pair, width ∝ MW, faint where the requests enter and "
        f"solid where they run; colour = the corridor's main class: {chips}</div>")
