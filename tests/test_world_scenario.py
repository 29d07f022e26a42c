"""The shipped world scenario: scenarios/world_cloud_regions.json and data/world_*.csv (data/SOURCES.md)."""
from __future__ import annotations

import csv
import importlib.util
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.engines import solve_with
from core.inputs import model_inputs
from core.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
RAW = DATA / "raw"
SCRIPT = DATA / "build_world_cloud_scenario.py"
BUILT = ("data/world_regions.csv", "data/world_demand.csv", "data/world_rtt_pairs.csv",
         "scenarios/world_cloud_regions.json")
FLAGS = {"measured", "estimate", "assumption"}


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def coordinates(provider: str) -> dict:
    return json.loads((RAW / f"{provider}_region_coordinates.json").read_text(encoding="utf-8"))


def km(lat1, lon1, lat2, lon2) -> float:
    """Great-circle distance on a 6371 km sphere, written out here (not core.latency)."""
    p1, p2, dp, dl = map(math.radians, (lat1, lat2, lat2 - lat1, lon2 - lon1))
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


@pytest.fixture(scope="module")
def world():
    return load_scenario(ROOT / "scenarios" / "world_cloud_regions.json")


@pytest.fixture(scope="module")
def default():
    return load_scenario(ROOT / "scenarios" / "default.json")


@pytest.fixture(scope="module")
def regions():
    return {r["id"]: r for r in read_csv(DATA / "world_regions.csv")}


@pytest.fixture(scope="module")
def azure_matrix_ms():
    """(key, key) → measured median [ms], read from the CSV with the display names of the coordinate file."""
    key_of = {v["displayName"]: k for k, v in coordinates("azure").items()}
    rows = list(csv.reader(open(RAW / "azure_rtt_ms_2025-07.csv", newline="", encoding="utf-8")))
    return {(key_of[row[0]], key_of[dst]): float(cell)
            for row in rows[1:] for dst, cell in zip(rows[0][1:], row[1:]) if cell.strip()}


def given_rtt_ms(sc, a: str, b: str) -> float | None:
    return sc.rtt_ms.get(a, {}).get(b, sc.rtt_ms.get(b, {}).get(a))


def test_one_node_per_region_of_the_three_coordinate_files(world):
    expected = {f"{p}-{key}": p for p in ("aws", "azure", "gcp") for key in coordinates(p)}
    assert len(world.nodes) == len(expected) == 32 + 56 + 29
    assert {n.id: n.provider for n in world.nodes} == expected
    assert all("." not in n.id for n in world.nodes)


def test_provider_lock_on_and_the_default_settings_otherwise(world, default):
    assert world.frictions.provider_lock is True
    assert world.frictions.model_dump() | {"provider_lock": False} == default.frictions.model_dump()
    assert world.prices == default.prices
    assert world.objective == default.objective
    assert world.latency_model == default.latency_model
    assert world.workloads == default.workloads
    assert world.period_hours == default.period_hours
    assert world.name and "derived" in world.description.lower()
    assert "data/build_world_cloud_scenario.py" in world.description


def test_every_value_has_a_source_and_a_flag(world, regions):
    assert list(regions) == world.node_ids
    for row in regions.values():
        for value in ("coords", "price", "carbon_avg", "carbon_marginal", "pue", "capacity", "demand"):
            assert row[f"{value}_source"], (row["id"], value)
            assert row[f"{value}_flag"] in FLAGS, (row["id"], value)
    for node in world.nodes:
        row = regions[node.id]
        assert (node.lat, node.lon) == (float(row["lat"]), float(row["lon"]))
        assert node.price_usd_per_mwh == float(row["price_usd_per_mwh"])
        assert node.carbon_marginal_g_per_kwh == float(row["carbon_marginal_g_per_kwh"])
        assert node.capacity_mw == float(row["capacity_mw"])
        assert node.residency_zone == (row["residency_zone"] or None)


def test_each_provider_runs_at_its_published_fleet_pue(world):
    fleet = {"aws": 1.15, "azure": 1.18, "gcp": 1.10}
    assert all(n.pue == fleet[n.provider] for n in world.nodes)


def test_google_regions_carry_their_own_2024_carbon(world):
    google = {r["Google Cloud Region"]: float(r["Grid carbon intensity (gCO2eq / kWh)"])
              for r in read_csv(RAW / "google_region_carbon_2024.csv")}
    for n in world.nodes:
        if n.provider == "gcp":
            assert n.carbon_avg_g_per_kwh == google[n.id.removeprefix("gcp-")], n.id


def test_aws_and_azure_carbon_is_a_matched_google_value_or_the_country_value(world, regions):
    google = {r["Google Cloud Region"]: float(r["Grid carbon intensity (gCO2eq / kWh)"])
              for r in read_csv(RAW / "google_region_carbon_2024.csv")}
    owid = {r["alpha-2"]: float(r["Carbon intensity of electricity (gCO2eq/kWh)"])
            for r in read_csv(RAW / "owid_ember_carbon_intensity_2023.csv")}
    kinds = set()
    for n in world.nodes:
        if n.provider == "gcp":
            continue
        row = regions[n.id]
        kind, key = row["carbon_avg_match"].split(":")
        kinds.add(kind)
        if kind == "google":
            assert n.carbon_avg_g_per_kwh == google[key] and row["carbon_avg_flag"] == "measured", n.id
            assert "same grid" in row["carbon_avg_source"]
        else:
            assert kind == "owid" and key == n.country, n.id
            assert n.carbon_avg_g_per_kwh == round(owid[key], 1) and row["carbon_avg_flag"] == "estimate", n.id
    assert kinds == {"google", "owid"}
    # by hand: AWS Frankfurt is on Google's Frankfurt grid; Azure Dublin has no Google region on its grid
    assert world.nodes[world.node_ids.index("aws-eu-central-1")].carbon_avg_g_per_kwh == 275.82
    assert world.nodes[world.node_ids.index("azure-northeurope")].carbon_avg_g_per_kwh == round(owid["IE"], 1)


def test_azure_pairs_take_microsofts_measured_medians(world, azure_matrix_ms):
    azure = [n.id.removeprefix("azure-") for n in world.nodes if n.provider == "azure"]
    checked = 0
    for i, a in enumerate(azure):
        for b in azure[i + 1:]:
            both = [azure_matrix_ms[k] for k in ((a, b), (b, a)) if k in azure_matrix_ms]
            if both:
                assert given_rtt_ms(world, f"azure-{a}", f"azure-{b}") == round(sum(both) / len(both), 1), (a, b)
                checked += 1
    assert checked > 1000


def test_other_measured_rtts_come_from_the_nearest_azure_region_within_300_km(world, azure_matrix_ms):
    keys = {k for pair in azure_matrix_ms for k in pair}
    azure_ll = {k: (v["lat"], v["lon"]) for k, v in coordinates("azure").items() if k in keys}
    node = {n.id: n for n in world.nodes}
    pairs = read_csv(DATA / "world_rtt_pairs.csv")
    assert sum(len(v) for v in world.rtt_ms.values()) == len(pairs)
    for p in pairs[::7]:
        for side in ("a", "b"):
            n = node[p[side]]
            own = n.id.removeprefix("azure-")
            nearest = own if n.provider == "azure" and own in keys else min(
                azure_ll, key=lambda k: km(n.lat, n.lon, *azure_ll[k]))
            assert p[f"proxy_{side}"] == nearest
            assert km(n.lat, n.lon, *azure_ll[nearest]) <= 300.0
        pa, pb = p["proxy_a"], p["proxy_b"]
        both = [azure_matrix_ms[k] for k in ((pa, pb), (pb, pa)) if k in azure_matrix_ms]
        assert given_rtt_ms(world, p["a"], p["b"]) == float(p["rtt_ms"]) == round(sum(both) / len(both), 1)
    # co-located regions of different providers share a proxy: their round trip is the distance model's
    assert given_rtt_ms(world, "aws-ap-southeast-2", "gcp-australia-southeast1") is None


def test_demand_keeps_the_defaults_totals_per_node_macro_region_and_class(world, default):
    pieces = read_csv(DATA / "world_demand.csv")
    home = {n.id: n.country for n in default.nodes}

    def macro(default_node: str) -> str:
        europe = {"IE", "GB", "NL", "DE", "FR", "ES", "IT", "PL", "SE", "FI"}
        return "US" if home[default_node] == "US" else "Europe" if home[default_node] in europe else "Rest"

    def tenths(mw) -> int:
        return round(float(mw) * 10)

    want, got = {}, {}
    for d in default.demand:
        for key in ((d.node, d.workload), (macro(d.node), d.workload), macro(d.node)):
            want[key] = want.get(key, 0) + tenths(d.mw)
    for p in pieces:
        for key in ((p["default_node"], p["workload"]), (macro(p["default_node"]), p["workload"]),
                    macro(p["default_node"])):
            got[key] = got.get(key, 0) + tenths(p["mw"])
    assert got == want
    assert want["US"] + want["Europe"] + want["Rest"] == tenths(2664.5)
    # the scenario's demand is the pieces added up per region and class
    per_node = {}
    for p in pieces:
        per_node[p["node"], p["workload"]] = per_node.get((p["node"], p["workload"]), 0) + tenths(p["mw"])
    assert {(d.node, d.workload): tenths(d.mw) for d in world.demand} == per_node


def test_each_default_nodes_demand_splits_by_market_share(world):
    share = {"aws": 30 / 63, "azure": 21 / 63, "gcp": 12 / 63}
    provider = {n.id: n.provider for n in world.nodes}
    by_node: dict[str, dict[str, float]] = {}
    for p in read_csv(DATA / "world_demand.csv"):
        if p["workload"] == "chat":
            by = by_node.setdefault(p["default_node"], {})
            by[provider[p["node"]]] = by.get(provider[p["node"]], 0.0) + float(p["mw"])
    assert len(by_node) == 31
    for node, by in by_node.items():
        total = sum(by.values())
        for prov, mw in by.items():
            assert abs(mw - share[prov] * total) <= 0.1 * 4, (node, prov)


def test_closed_partitions_hold_no_demand_and_no_capacity(world):
    closed = {"aws-us-gov-east-1", "aws-us-gov-west-1", "aws-cn-north-1", "aws-cn-northwest-1"}
    assert {n.id for n in world.nodes if n.capacity_mw == 0} == closed
    assert not {d.node for d in world.demand} & closed
    for n in world.nodes:
        own = sum(d.mw for d in world.demand if d.node == n.id)
        assert n.capacity_mw >= own - 1e-9, n.id


def test_rebuild_reproduces_the_shipped_files_byte_for_byte(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("build_world_cloud_scenario", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    outputs = module.build_outputs()
    assert sorted(outputs) == sorted(BUILT)
    for rel, text in outputs.items():
        assert (ROOT / rel).read_text(encoding="utf-8") == text, rel
    # --check names the first file that differs
    for rel, text in outputs.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text if rel != "data/world_demand.csv" else text + "\n", encoding="utf-8")
    run = subprocess.run([sys.executable, str(SCRIPT), "--check", "--out", str(tmp_path)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 1 and "data/world_demand.csv" in run.stderr


def test_one_solve_is_optimal_and_serves_all_demand(world):
    sol = solve_with("highs", model_inputs(world))
    assert sol.status == "optimal"
    assert sol.unserved_mw == pytest.approx(0.0, abs=1e-6)
    # with the provider lock on, no MW leaves its provider
    provider = np.array([n.provider for n in world.nodes])
    across = provider[:, None] != provider[None, :]
    assert sol.x_mw[across].sum() == pytest.approx(0.0, abs=1e-6)
    assert sol.relocated_mw > 0
