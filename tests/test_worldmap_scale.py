"""The map at scale: co-located regions grouped into one disc with a tooltip per region, corridors
summed over classes (and over a group's regions), the largest drawn under a cap, and the note of
what is hidden, each recomputed here from the placement or worked by hand."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.sparse.csgraph import connected_components

from bench.scenarios import generated_scenario
from core.latency import haversine_km
from core.map_groups import GROUP_KM, MAX_CORRIDORS, colocated_groups, corridor_cap, corridor_flows_mw, within_group_mw
from core.model import solve_scenario
from core.scenario import default_scenario, parse_scenario
from pages.common import worldmap
from pages.common.theme import fmt_mw, fmt_pct


def layer(deck, layer_id: str) -> dict:
    """A layer of a Deck or of its parsed JSON."""
    spec = deck if isinstance(deck, dict) else json.loads(deck.to_json())
    return next(lay for lay in spec["layers"] if lay["id"] == layer_id)


def test_groups_chain_regions_within_50_km_by_hand():
    # 1° of latitude is 111.19 km: a–b 20.0 km, b–c 44.5 km (a–c 64.5 km, chained through b), d in Paris
    lat, lon = [50.0, 50.18, 50.58, 48.85], [8.0, 8.0, 8.0, 2.35]
    assert colocated_groups(["a", "b", "c", "d"], lat, lon) == [0, 0, 0, 1]
    assert colocated_groups(["a", "b", "c", "d"], lat, lon, within_km=30.0) == [0, 0, 1, 2]
    assert colocated_groups([], [], []) == []


def test_corridor_flows_caps_and_groups_by_hand():
    p = pd.DataFrame({"service": ["a", "a", "b", "a", "c", "a"], "compute": ["b", "b", "a", "c", "a", "a"],
                      "workload": ["chat", "batch", "chat", "chat", "batch", "chat"],
                      "mw": [5.0, 3.0, 1.0, 2.0, 0.5, 10.0]})
    flows = corridor_flows_mw(p)
    assert list(zip(flows["service"], flows["compute"], flows["mw"])) == [
        ("a", "b", 8.0), ("a", "c", 2.0), ("b", "a", 1.0), ("c", "a", 0.5)]
    assert corridor_cap(flows["mw"], 2) == {"shown": 2, "hidden": 2, "hidden_mw": 1.5, "hidden_share": 1.5 / 11.5}
    assert corridor_cap([], 2)["hidden_share"] == 0.0
    chat = corridor_flows_mw(p, workloads=["chat"])
    assert list(chat["mw"]) == [5.0, 2.0, 1.0]
    group_of = {"a": "g", "b": "g", "c": "c"}
    grouped = corridor_flows_mw(p, group_of)
    assert list(zip(grouped["service"], grouped["compute"], grouped["mw"])) == [("g", "c", 2.0), ("c", "g", 0.5)]
    assert within_group_mw(p, group_of) == 9.0


@pytest.fixture(scope="module")
def clustered():
    """60 generated regions, with n001 and n002 moved next to n000 (3 and 6 km away) and n004 next
    to n003 (one metro each), solved."""
    base = json.loads(generated_scenario(60, seed=3).to_json())
    nodes = base["nodes"]
    for moved, anchor, dlat in ((1, 0, 0.027), (2, 0, 0.054), (4, 3, 0.03)):
        nodes[moved]["lat"], nodes[moved]["lon"] = nodes[anchor]["lat"] + dlat, nodes[anchor]["lon"]
    sc = parse_scenario(base)
    return sc, solve_scenario(sc)


def test_groups_on_the_map_are_the_connected_metros(clustered):
    sc, sol = clustered
    lat = np.array([n.lat for n in sc.nodes])
    lon = np.array([n.lon for n in sc.nodes])
    close = haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :]) <= GROUP_KM
    n_groups, label = connected_components(close, directed=False)
    groups = worldmap.node_groups(sc)
    assert len(groups.members) == sum(np.bincount(label) > 1) >= 2
    assert set(groups.members[groups.marker_of["n000"]]) >= {"n000", "n001", "n002"}
    decks, text = worldmap.map_decks(sc, sol, None, "price", (760,))
    regions = layer(decks[0][0], "regions")["data"]
    ids = sc.node_ids
    # one disc per metro (copies of wrapped arcs' ends aside), its capacity the members' sum
    assert len({r["id"] for r in regions}) == n_groups
    cap = {n.id: n.capacity_mw for n in sc.nodes}
    key = groups.marker_of["n000"]
    disc = next(r for r in regions if r["id"] == key)
    members = [ids[i] for i in np.flatnonzero(label == label[0])]
    assert disc["capacity_mw"] == pytest.approx(sum(cap[m] for m in members))
    # its tooltip names every member with its own capacity
    for m in members:
        assert f"{m} ({m})" in disc["tip"] and f"Capacity {fmt_mw(cap[m])}" in disc["tip"]
    assert f"{len(members)} regions" in disc["tip"]
    assert f"{sum(len(v) for v in groups.members.values())} of them in {len(groups.members)} groups" in text


def test_drawn_corridors_are_the_largest_group_pairs_and_the_note_says_the_rest(clustered):
    sc, sol = clustered
    groups = worldmap.node_groups(sc)
    ids = list(sc.node_ids)
    keys = sorted(set(groups.marker_of.values()))
    g = np.zeros((len(ids), len(keys)))                     # node → marker indicator
    for i, n in enumerate(ids):
        g[i, keys.index(groups.marker_of[n])] = 1.0
    by_pair = sol.x_mw.sum(axis=2)
    np.fill_diagonal(by_pair, 0.0)
    moved = by_pair.sum()
    between = g.T @ by_pair @ g                             # MW per marker pair
    inside = np.trace(between)
    np.fill_diagonal(between, 0.0)
    mw = np.sort(between[between > 1e-7])[::-1]
    arcs = worldmap.corridor_table(sc, sol, groups=groups)
    assert np.allclose(arcs["mw"], mw, rtol=1e-9)
    cap = 12
    assert len(mw) > cap
    hidden = mw[cap:].sum()
    note = worldmap.hidden_corridors_note(sc, sol, cap=cap, groups=groups)
    assert note.startswith(f"{len(mw) - cap} smaller corridors carrying {fmt_mw(hidden)} "
                           f"({fmt_pct(hidden / moved, 1)} of relocated work) not drawn")
    if inside > 1e-6:
        assert f"{fmt_mw(inside)} ({fmt_pct(inside / moved, 1)}) moves between regions of one metro" in note
    decks, _ = worldmap.map_decks(sc, sol, None, "price", (760,))
    drawn = layer(decks[0][0], "corridors")["data"]
    assert len(drawn) == min(MAX_CORRIDORS, len(mw))
    assert [d["mw"] for d in drawn] == pytest.approx(list(mw[:MAX_CORRIDORS]), rel=1e-9)


def test_the_default_map_draws_every_corridor_and_no_group():
    sc = default_scenario()
    sol = solve_scenario(sc)
    assert worldmap.node_groups(sc).members == {}
    decks, text = worldmap.map_decks(sc, sol, None, "price", (760,))
    by_pair = sol.x_mw.sum(axis=2)
    np.fill_diagonal(by_pair, 0.0)
    assert len(layer(decks[0][0], "corridors")["data"]) == int((by_pair > 1e-7).sum()) <= MAX_CORRIDORS
    assert worldmap.hidden_corridors_note(sc, sol) == ""
    assert "groups" not in text


def test_a_turned_window_moves_every_longitude_by_the_turn(clustered):
    sc, sol = clustered
    groups, full = worldmap.node_groups(sc), worldmap.full_regions(sol)
    cut = worldmap.map_layout(sc, sol)
    nodes, arcs = worldmap.turned(worldmap.markers(sc, sol, "price", cut, full, groups),
                                  worldmap.corridor_table(sc, sol, None, cut, groups), -360.0)
    again = worldmap.markers(sc, sol, "price", cut - 360.0, full, groups)
    arcs_again = worldmap.corridor_table(sc, sol, None, cut - 360.0, groups)
    assert np.allclose(nodes["lon"], again["lon"])
    for col in ("src", "dst", "label_position"):
        assert np.allclose(np.array(arcs[col].tolist()), np.array(arcs_again[col].tolist()))


# --- the world scenario: where the map is cut, and every arc the short way -----------------------

def great_circle_mid_lon(lat0, lon0, lat1, lon1) -> float:
    """Longitude [°] of the midpoint of the minor great-circle arc (unit vectors summed)."""
    def unit(lat, lon):
        la, lo = np.radians(lat), np.radians(lon)
        return np.array([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])
    m = unit(lat0, lon0) + unit(lat1, lon1)
    return float(np.degrees(np.arctan2(m[1], m[0])))


@pytest.fixture(scope="module")
def world():
    from core.analysis import Analysis, relaxed_inputs
    from core.scenario import load_scenario
    from pages.common.datafiles import world_geojson
    sc = load_scenario("scenarios/world_cloud_regions.json")
    sol = Analysis(sc).solve(relaxed_inputs(sc))
    decks, _ = worldmap.map_decks(sc, sol, world_geojson(), "price", (760, 340))
    return sc, sol, [(json.loads(d.to_json()), h) for d, h in decks]


def test_world_arcs_run_the_great_circle_way_and_land_on_their_discs(world):
    sc, sol, decks = world
    at = {n.id: n for n in sc.nodes}
    groups = worldmap.node_groups(sc)
    for deck, _ in decks:
        discs = layer(deck, "regions")["data"]
        where = {}
        for d in discs:
            where.setdefault(d["id"], []).append((d["lon"], d["lat"]))
        arcs = layer(deck, "corridors")["data"]
        assert len(arcs) == MAX_CORRIDORS
        for a in arcs:
            (lon0, lat0), (lon1, lat1) = a["src"], a["dst"]
            assert abs(lon1 - lon0) <= 180.0, (a["service"], a["compute"])          # the short way
            # the way of the great circle: its midpoint lies between the drawn ends (mod 360)
            ends = []
            for m in (a["service"], a["compute"]):
                ids = groups.members.get(m, [m])
                ends.append((np.mean([at[i].lat for i in ids]), at[ids[0]].lon))
            mid = great_circle_mid_lon(ends[0][0], ends[0][1], ends[1][0], ends[1][1])
            lo, hi = sorted((lon0, lon1))
            k = np.ceil((lo - mid) / 360.0)
            assert mid + 360.0 * k <= hi + 1.0, (a["service"], a["compute"], lon0, lon1, mid)
            # both ends sit on a drawn disc of their marker
            for m, (lon, lat) in ((a["service"], a["src"]), (a["compute"], a["dst"])):
                assert any(abs(x - lon) < 1e-6 and abs(y - lat) < 1e-6 for x, y in where[m]), (m, lon)
        # every disc at its region's longitude modulo 360 (a lone region; a group at its members' mean)
        for d in discs:
            ids = groups.members.get(d["id"], [d["id"]])
            lons = worldmap.short_way_lon(at[ids[0]].lon, [at[i].lon for i in ids])
            assert (d["lon"] - float(np.mean(lons)) + 180.0) % 360.0 - 180.0 == pytest.approx(0.0, abs=1e-9)
            assert d["lat"] == pytest.approx(float(np.mean([at[i].lat for i in ids])))


def crossing_mw(sc, sol, cut: float) -> float:
    """Relocated MW between regions with demand or load whose short way leaves [cut, cut + 360)."""
    inp = sol.inputs
    keep = np.flatnonzero((inp.demand_mw.sum(axis=1) > 0) | (sol.x_mw.sum(axis=(0, 2)) > 1e-6))
    lons = np.array([sc.nodes[i].lon for i in keep])
    x = sol.x_mw.sum(axis=2)[np.ix_(keep, keep)]
    np.fill_diagonal(x, 0.0)
    s, r = np.nonzero(x > 1e-6)
    f = (lons - cut) % 360.0 + cut
    end = f[s] + (f[r] - f[s] + 180.0) % 360.0 - 180.0
    return float(x[s, r][(end < cut) | (end >= cut + 360.0)].sum())


def test_the_default_map_is_cut_where_no_corridor_crosses():
    sc = default_scenario()
    sol = solve_scenario(sc)
    assert crossing_mw(sc, sol, worldmap.map_layout(sc, sol)) == 0.0 < crossing_mw(sc, sol, -180.0)


def test_world_map_is_cut_where_the_fewest_mw_cross_and_the_view_holds_each_region_once(world):
    sc, sol, decks = world
    best = min(crossing_mw(sc, sol, c) for c in np.arange(-180.0, 180.0, 0.25))
    cut = worldmap.map_layout(sc, sol)
    assert crossing_mw(sc, sol, cut) <= best + 1e-6
    assert crossing_mw(sc, sol, cut) < 0.05 * sol.relocated_mw     # a ring of flows, yet ~1 % crosses the cut
    assert crossing_mw(sc, sol, -180.0) > 5 * max(crossing_mw(sc, sol, cut), 1e-3)   # the Pacific cut: far more
    # like the default's: Asia at the left edge, the Americas in the middle, Europe on the right
    for deck, height in decks:
        view = deck["initialViewState"]
        assert -180.0 <= view["longitude"] <= 180.0
        discs = layer(deck, "regions")["data"]
        by_id = {}
        for d in discs:
            by_id.setdefault(d["id"], []).append(d["lon"])
        tokyo, iowa, frankfurt = (by_id[worldmap.node_groups(sc).marker_of[i]][0]
                                  for i in ("aws-ap-northeast-1", "gcp-us-central1", "aws-eu-central-1"))
        assert tokyo < iowa < frankfurt < tokyo + 360.0
        assert abs(view["longitude"] - iowa) < 60.0


def test_world_labels_name_distinct_places_and_do_not_overlap(world):
    sc, _, decks = world
    groups = worldmap.node_groups(sc)
    for deck, _ in decks:
        rows = layer(deck, "labels")["data"]
        assert rows
        zoom = deck["initialViewState"]["zoom"]
        boxes = [worldmap.label_box(r["text"], r["size"], *r["position"], zoom) for r in rows]
        for i, a in enumerate(boxes):
            for b in boxes[i + 1:]:
                assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), (a, b)
        for r in rows:
            if " → " in r["text"]:
                a, b = r["text"].rsplit(" ", 2)[0].split(" → ")
                assert a != b and not b.startswith(a + ":"), r["text"]     # never "X → X: 2 regions"
    # the Ohio pair has no default metro within 50 km: named by its largest member, whole
    key = groups.marker_of["aws-us-east-2"]
    assert groups.place[key] == next(n.name for n in sc.nodes if n.id == "aws-us-east-2") == "AWS US East (Ohio)"


def test_label_names_by_hand():
    names = {"a": "AWS US East (N. Virginia)", "g": "AWS US East (Ohio): 2 regions",
             "c": "California (Los Angeles)", "t": "Texas", "i": "Iowa: 2 regions",
             "x": "AWS Asia (Tokyo)", "y": "AWS Asia (Osaka)", "z": "Tokyo"}
    assert worldmap.label_names(names) == {
        "a": "N. Virginia", "g": "Ohio: 2 regions",          # the same head: the parenthesis tells them apart
        "c": "California", "t": "Texas", "i": "Iowa: 2 regions",
        "x": "AWS Asia (Tokyo)", "y": "Osaka", "z": "Tokyo"}  # "Tokyo" twice: the whole name
    assert worldmap.short_name("AWS US East (Ohio): 2 regions") == "AWS US East: 2 regions"
    assert worldmap.label_names({}) == {}


def test_choose_cut_by_hand_prefers_the_cut_the_least_mw_crosses():
    # a ring: A (0°) → B (120°) 10 MW, B → C (−120°) 1 MW, C → A 10 MW: the cut goes between B and C
    lons = [0.0, 120.0, -120.0]
    pairs = [(0, 1), (1, 2), (2, 0)]
    cut = worldmap.choose_cut_lon(lons, pairs, [10.0, 1.0, 10.0])
    assert 120.0 < worldmap.frame_lon(cut, -180.0) + 360.0 * (cut < 0) < 240.0
    cut = worldmap.choose_cut_lon(lons, pairs, [1.0, 10.0, 10.0])         # now between A and B
    assert 0.0 < worldmap.frame_lon(cut, 0.0) < 120.0


def countries_by_hand(geo: dict, lo_lon: float, hi_lon: float) -> list[dict]:
    """Each country's polygons that reach into [lo, hi] as they are or 360° either way, at each such place."""
    out = []
    for f in geo["features"]:
        g = f.get("geometry") or {}
        polys = [g["coordinates"]] if g.get("type") == "Polygon" else list(g.get("coordinates") or [])
        for dlon in (-360.0, 0.0, 360.0):
            keep = [[[[p[0] + dlon, *p[1:]] for p in ring] for ring in poly] for poly in polys
                    if any(ring for ring in poly)
                    and max(p[0] for ring in poly for p in ring) + dlon >= lo_lon
                    and min(p[0] for ring in poly for p in ring) + dlon <= hi_lon]
            if keep:
                out.append({"type": "Feature", "properties": f.get("properties") or {},
                            "geometry": {"type": "MultiPolygon", "coordinates": keep}})
    return out


def test_map_decks_equal_decks_built_from_scratch(clustered):
    sc, sol = clustered
    geo = json.loads((Path(__file__).resolve().parents[1] / "data" / "world_countries.geojson").read_text(encoding="utf-8"))
    every = [w.id for w in sc.workloads]
    for shown in (every, every[:1], None):
        decks, _ = worldmap.map_decks(sc, sol, geo, "price", (760, 340), workloads=shown)
        for (deck, height), width in zip(decks, (760, 340)):
            fast = json.loads(deck.to_json())
            plain = json.loads(worldmap.deck(sc, sol, geo, "price", width, shown).to_json())
            assert height == worldmap.map_frame(sc, sol, width).height_px
            assert {k: v for k, v in fast.items() if k != "layers"} == {k: v for k, v in plain.items() if k != "layers"}
            assert [l["id"] for l in fast["layers"]] == [l["id"] for l in plain["layers"]]
            for a, b in zip(fast["layers"], plain["layers"]):
                assert a == b, a["id"]
            lons = [d["lon"] for d in layer(fast, "regions")["data"]]
            want = countries_by_hand(geo, min(lons) - worldmap.WORLD_MARGIN_DEG, max(lons) + worldmap.WORLD_MARGIN_DEG)
            assert layer(fast, "countries")["data"] == {"type": "FeatureCollection", "features": want}
    # every class listed is the same map as no filter
    listed, _ = worldmap.map_decks(sc, sol, geo, "price", (760,), workloads=every)
    unfiltered, _ = worldmap.map_decks(sc, sol, geo, "price", (760,))
    assert json.loads(listed[0][0].to_json()) == json.loads(unfiltered[0][0].to_json())


def test_the_written_outline_follows_the_outline_given():
    # two outlines of the same shape, one moved 10° east: each map gets its own land
    square = [[[0.0, 0.0], [20.0, 0.0], [20.0, 20.0], [0.0, 20.0], [0.0, 0.0]]]
    geo = {"type": "FeatureCollection",
           "features": [{"type": "Feature", "properties": {"name": "A"},
                         "geometry": {"type": "Polygon", "coordinates": square}}]}
    moved = json.loads(json.dumps(geo))
    for ring in moved["features"][0]["geometry"]["coordinates"]:
        for p in ring:
            p[0] += 10.0
    for g in (geo, moved, geo):
        for lo, hi in ((-30.0, 5.0), (200.0, 400.0), (25.0, 40.0)):
            text = worldmap.world_copies_json(g, lo, hi).text
            assert json.loads(text) == {"type": "FeatureCollection", "features": countries_by_hand(g, lo, hi)}
    assert json.loads(worldmap.world_copies_json(geo, 25.0, 40.0).text)["features"] == []
    assert len(json.loads(worldmap.world_copies_json(moved, 25.0, 40.0).text)["features"]) == 1
