"""The Explorer's map (pages.common.worldmap), read from the deck's JSON as the browser gets it:
plain-text tooltips, arcs the shorter way round the world that land on drawn land, corridors
that add up to the relocated MW, a view that holds every region that matters."""
from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

from conftest import build_tiny_scenario
from core.model import solve_scenario
from core.scenario import default_scenario, parse_scenario
from pages.common import worldmap

GEO = json.loads((Path(__file__).resolve().parents[1] / "data" / "world_countries.geojson").read_text())
TAG = re.compile(r"<[^>]*>|&[a-z]+;")


def deck_json(sc, sol, **kw) -> dict:
    return json.loads(worldmap.deck(sc, sol, GEO, **kw).to_json())


def layer(deck: dict, layer_id: str) -> dict:
    found = [l for l in deck["layers"] if l["id"] == layer_id]
    assert len(found) == 1, [l["id"] for l in deck["layers"]]
    return found[0]


@pytest.fixture(scope="module")
def default():
    sc = default_scenario()
    return sc, solve_scenario(sc)


def pacific_scenario():
    """Sydney's demand can only run in Los Angeles (cheaper) or stay; Frankfurt and São Paulo
    have demand of their own, so the map holds three continents."""
    return parse_scenario(build_tiny_scenario(
        period_hours=8760.0,
        nodes=[{"id": "au-syd", "name": "Sydney", "lat": -33.87, "lon": 151.21, "price_usd_per_mwh": 200.0},
               {"id": "us-ca", "name": "Los Angeles", "lat": 34.05, "lon": -118.24, "price_usd_per_mwh": 30.0},
               {"id": "de-fra", "name": "Frankfurt", "lat": 50.11, "lon": 8.68, "price_usd_per_mwh": 90.0},
               {"id": "br-sp", "name": "São Paulo", "lat": -23.55, "lon": -46.63, "price_usd_per_mwh": 90.0}],
        workloads=[{"id": "batch", "latency_budget_ms": 200.0}],
        demand=[{"node": "au-syd", "workload": "batch", "mw": 40.0},
                {"node": "de-fra", "workload": "batch", "mw": 10.0},
                {"node": "br-sp", "workload": "batch", "mw": 10.0}],
        rtt_ms={"au-syd": {"us-ca": 140.0, "de-fra": 500.0, "br-sp": 500.0},
                "us-ca": {"de-fra": 500.0, "br-sp": 500.0}, "de-fra": {"br-sp": 500.0}}))


def test_tooltips_are_plain_text_in_short_lines(default):
    sc, sol = default
    deck = deck_json(sc, sol)
    tooltip = worldmap.deck(sc, sol, GEO)._tooltip          # what st.pydeck_chart sends beside the JSON
    assert tooltip["text"] == "{tip}" and "html" not in tooltip
    tips = [row["tip"] for l in deck["layers"] if l.get("pickable") and isinstance(l.get("data"), list)
            for row in l["data"]]
    assert len(tips) > len(sc.nodes)
    for tip in tips:
        assert not TAG.search(tip), tip
        assert max(len(line) for line in tip.split("\n")) <= 48, tip


def test_au_syd_to_us_ca_runs_east_over_the_pacific():
    sc = pacific_scenario()
    sol = solve_scenario(sc)
    deck = deck_json(sc, sol)
    arcs = layer(deck, "corridors")["data"]
    arc = next(a for a in arcs if a["service"] == "au-syd" and a["compute"] == "us-ca")
    (lon0, lat0), (lon1, lat1) = arc["src"], arc["dst"]
    # the map may be cut anywhere (deck.gl keeps its centre within ±180°), so longitudes are
    # Sydney's and Los Angeles' up to a whole turn: 151.21 → −118.24 + 360 = 241.76, or both −360
    assert lon0 % 360.0 == pytest.approx(151.21) and lat0 == pytest.approx(-33.87)
    assert lon1 % 360.0 == pytest.approx(-118.24 + 360.0) and lat1 == pytest.approx(34.05)
    assert lon1 - lon0 == pytest.approx(-118.24 + 360.0 - 151.21)   # 90.55° east: across the Pacific
    assert -180.0 <= deck["initialViewState"]["longitude"] <= 180.0
    # it lands on a drawn region: a disc and the United States' land at that longitude
    discs = layer(deck, "regions")["data"]
    assert any(d["id"] == "us-ca" and d["lon"] == pytest.approx(lon1) for d in discs)
    usa = [f for f in layer(deck, "countries")["data"]["features"]
           if f["properties"]["name"] == "United States of America"]
    ranges = [(min(p[0] for poly in f["geometry"]["coordinates"] for ring in poly for p in ring),
               max(p[0] for poly in f["geometry"]["coordinates"] for ring in poly for p in ring)) for f in usa]
    assert any(a <= lon1 <= b for a, b in ranges), ranges


def test_every_arc_of_the_default_runs_the_short_way(default):
    sc, sol = default
    for a in layer(deck_json(sc, sol), "corridors")["data"]:
        assert abs(a["dst"][0] - a["src"][0]) <= 180.0


def test_short_way_lon_by_hand():
    assert worldmap.short_way_lon(151.0, -122.0) == pytest.approx(238.0)
    assert worldmap.short_way_lon(-122.0, 151.0) == pytest.approx(-209.0)
    assert worldmap.short_way_lon(10.0, 40.0) == pytest.approx(40.0)
    assert worldmap.short_way_lon(350.0, 10.0) == pytest.approx(370.0)


def test_corridors_add_up_to_the_relocated_mw(default):
    sc, sol = default
    arcs = worldmap.corridor_table(sc, sol)
    assert arcs["mw"].sum() == pytest.approx(sol.relocated_mw, rel=1e-9)
    # one corridor per relocated service → compute pair, each the sum of its classes' x
    ids = list(sc.node_ids)
    by_pair = sol.x_mw.sum(axis=2)
    np.fill_diagonal(by_pair, 0.0)
    assert len(arcs) == int((by_pair > 1e-7).sum())
    for s, r, mw in zip(arcs["service"], arcs["compute"], arcs["mw"]):
        assert mw == pytest.approx(by_pair[ids.index(s), ids.index(r)], rel=1e-9)
    # direction: faint at the service node, solid where the work runs
    assert all(a[3] < b[3] for a, b in zip(arcs["source_colour"], arcs["target_colour"]))


def test_hidden_classes_leave_the_others_corridors(default):
    sc, sol = default
    one = worldmap.corridor_table(sc, sol, workloads=["batch"])
    p = sol.placement
    moved = p[(p["service"] != p["compute"]) & (p["workload"] == "batch")]
    assert one["mw"].sum() == pytest.approx(moved["mw"].sum(), rel=1e-9)


def visible_box(view: dict, width_px: float, height_px: float) -> tuple[float, float, float, float]:
    """Lon/lat bounds a web-mercator view shows at that size (world = 512·2^zoom px wide)."""
    world = 512.0 * 2.0 ** view["zoom"]
    half_lon = width_px / 2.0 / world * 360.0
    y0 = math.log(math.tan(math.pi / 4 + math.radians(view["latitude"]) / 2))
    half_y = height_px / 2.0 / world * 2 * math.pi
    lat = lambda y: math.degrees(2 * math.atan(math.exp(y)) - math.pi / 2)  # noqa: E731
    return view["longitude"] - half_lon, view["longitude"] + half_lon, lat(y0 - half_y), lat(y0 + half_y)


@pytest.mark.parametrize("width", [340, 760])
def test_the_view_holds_every_region_with_demand_or_flow(default, width):
    sc, sol = default
    frame = worldmap.map_frame(sc, sol, width)
    deck = json.loads(worldmap.deck(sc, sol, GEO, width_px=width, frame=frame).to_json())
    lo_lon, hi_lon, lo_lat, hi_lat = visible_box(deck["initialViewState"], width, frame.height_px)
    discs = layer(deck, "regions")["data"]
    demand = {d["id"] for d in layer(deck, "demand")["data"]}
    shown = [d for d in discs if d["id"] in demand or d["load_mw"] > 1e-6]
    assert len({d["id"] for d in shown}) == len(sc.nodes)        # every default region has demand
    assert -180.0 <= deck["initialViewState"]["longitude"] <= 180.0
    for d in shown:
        assert lo_lon <= d["lon"] <= hi_lon and lo_lat <= d["lat"] <= hi_lat, (d["id"], d["lon"], d["lat"])
    assert worldmap.MIN_HEIGHT_PX <= frame.height_px <= worldmap.MAX_HEIGHT_PX


def test_arc_label_sits_on_the_top_of_a_flat_arc():
    # eastward along the equator: deck.gl tilts the arc to the left of its direction (north), by
    # height × length / 2 at its middle
    lon, lat = worldmap.arc_label_position([0.0, 0.0], [40.0, 0.0], height=0.35)
    assert lon == pytest.approx(20.0)
    assert math.radians(lat) == pytest.approx(2 * math.atan(math.exp(0.175 * math.radians(40.0))) - math.pi / 2)
    lon, lat = worldmap.arc_label_position([40.0, 0.0], [0.0, 0.0], height=0.35)
    assert lat < 0                                                  # westward: south


def test_labels_name_the_top_corridors_and_regions(default):
    sc, sol = default
    deck = deck_json(sc, sol)
    rows = layer(deck, "labels")["data"]
    labels = [row["text"] for row in rows]
    top = worldmap.corridor_table(sc, sol).iloc[0]
    names = {n.id: n.name.split(" (")[0] for n in sc.nodes}
    assert labels[0] == f"{names[top['service']]} → {names[top['compute']]} {worldmap.fmt_mw(top['mw'])}"
    assert len(labels) <= worldmap.TOP_CORRIDORS + worldmap.TOP_REGIONS
    # no two labels overlap on screen at the deck's zoom (boxes of 0.6 em a character)
    zoom = deck["initialViewState"]["zoom"]
    boxes = [worldmap.label_box(r["text"], r["size"], *r["position"], zoom) for r in rows]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), (a, b)
    text_layer = layer(deck_json(sc, sol), "labels")
    # literal strings: pydeck would turn an unquoted string prop into an expression ("@@=...")
    assert text_layer["characterSet"] == "auto" and not text_layer["fontFamily"].startswith("@@=")


def test_capacity_value_colours_only_full_regions(default):
    sc, sol = default
    nodes = worldmap.node_table(sc, sol, "capacity_value")
    priced = set(np.array(sc.node_ids)[sol.capacity_dual_usd_per_mwh > 0])
    for node_id, fill, cap in zip(nodes["id"], nodes["fill"], nodes["capacity_mw"]):
        if cap > 0 and node_id not in priced:
            assert fill == worldmap.NO_VALUE_RGBA
        elif node_id in priced:
            assert fill != worldmap.NO_VALUE_RGBA


def test_map_description_is_written_from_the_solution(default):
    sc, sol = default
    text = worldmap.map_description(sc, sol)
    arcs = worldmap.corridor_table(sc, sol)
    names = {n.id: n.name for n in sc.nodes}
    assert text.startswith(f"Map: {len(sc.nodes)} regions; ")
    assert f"in {len(arcs)} corridors" in text
    assert f"largest: {names[arcs['service'].iloc[0]]} to {names[arcs['compute'].iloc[0]]}" in text
    assert not TAG.search(text)


def test_world_copies_shift_whole_polygons():
    geo = {"features": [{"type": "Feature", "properties": {"name": "X"},
                         "geometry": {"type": "Polygon",
                                      "coordinates": [[[-120, 30], [-100, 30], [-100, 40], [-120, 30]]]}}]}
    out = worldmap.world_copies(geo, 200.0, 300.0)["features"]
    assert len(out) == 1
    assert out[0]["geometry"]["coordinates"] == [[[[240, 30], [260, 30], [260, 40], [240, 30]]]]
    both = worldmap.world_copies(geo, -130.0, 300.0)["features"]
    assert len(both) == 2


def test_the_served_outline_holds_every_country_at_three_longitudes_and_the_map_names_it(monkeypatch):
    """static/world_countries_3x.geojson (what the browser fetches) = data/world_countries.geojson at
    −360°, 0 and +360°; with static serving on, the map's countries layer is that file's URL."""
    from pages.common import datafiles

    served = json.loads((datafiles.STATIC / datafiles.OUTLINE_FILE).read_text(encoding="utf-8"))
    feats = GEO["features"]
    assert len(served["features"]) == 3 * len(feats)
    for k, dlon in enumerate((-360.0, 0.0, 360.0)):
        for f, g in zip(feats, served["features"][k * len(feats):(k + 1) * len(feats)]):
            assert g["properties"] == f["properties"]
            first = f["geometry"]["coordinates"] if f["geometry"]["type"] == "MultiPolygon" else [f["geometry"]["coordinates"]]
            x, y = first[0][0][0]
            assert g["geometry"]["coordinates"][0][0][0] == [round(x + dlon, 2), y]
    monkeypatch.setattr(datafiles.st, "get_option", lambda name: name == "server.enableStaticServing")
    url = datafiles.world_outline()
    assert url == "app/static/world_countries_3x.geojson"
    sc = default_scenario()
    deck = json.loads(worldmap.deck(sc, solve_scenario(sc), url).to_json())
    assert layer(deck, "countries")["data"] == url
