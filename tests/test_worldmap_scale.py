"""The map at scale: co-located regions grouped into one disc with a tooltip per region, corridors
summed over classes (and over a group's regions), the largest drawn under a cap, and the note of
what is hidden, each recomputed here from the placement or worked by hand."""
from __future__ import annotations

import json

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
    return next(lay for lay in json.loads(deck.to_json())["layers"] if lay["id"] == layer_id)


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
