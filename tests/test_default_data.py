"""The shipped default data: scenarios/default.json and the tables in data/ (see data/SOURCES.md)."""
from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from core.latency import haversine_km, rtt_from_distance_ms
from core.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
RAW = DATA / "raw"
SHARED_DATA = ROOT.parent / "shared" / "data"
FLAGS = {"measured", "estimate", "assumption"}
CONTINENTS = {"North America", "South America", "Europe", "Africa", "Asia", "Oceania"}
EU_EEA = {"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV",
          "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO"}
BUILT = ("data/regions.csv", "data/workloads.csv", "data/demand.csv", "data/rtt_pairs.csv",
         "data/hvdc_reference.json", "data/world_countries.geojson", "static/world_countries_3x.geojson",
         "scenarios/default.json")


def read_csv(name: str) -> list[dict]:
    with open(DATA / name, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def continent_of(lat: float, lon: float) -> str:
    """A coarse continent from coordinates, independent of the regions.csv column."""
    if lon < -30:
        return "North America" if lat > 12 else "South America"
    if lat < -10 and lon > 110:
        return "Oceania"
    if -35 < lat < 37 and -18 < lon < 52 and not (lon > 32 and lat > 12):
        return "Africa"
    if lat >= 35 and -25 < lon < 45:
        return "Europe"
    return "Asia"


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(ROOT / "scenarios" / "default.json")


@pytest.fixture(scope="module")
def regions():
    return read_csv("regions.csv")


def test_default_scenario_loads_with_the_documented_settings(scenario, regions):
    assert scenario.name == "Stylised global simulation"
    assert "data/SOURCES.md" in scenario.description
    assert scenario.period_hours == 8760
    # the five frictions on; the provider lock off, and no region has a provider (docs/model.md)
    assert all(getattr(scenario.frictions, f) for f in ("egress", "migration", "state_locality", "legal", "capacity"))
    assert scenario.frictions.provider_lock is False
    assert all(n.provider is None for n in scenario.nodes)
    assert scenario.prices.egress_usd_per_gb == 0.02
    assert scenario.prices.unserved_usd_per_mwh == 10000
    assert scenario.objective.carbon_signal == "marginal"
    assert scenario.objective.carbon_price_usd_per_t == 0
    assert scenario.regional_ms == 30
    assert scenario.node_ids == [r["id"] for r in regions]
    for node, row in zip(scenario.nodes, regions):
        assert node.price_usd_per_mwh == float(row["price_usd_per_mwh"])
        assert node.capacity_mw == float(row["capacity_mw"])
        assert node.residency_zone == (row["residency_zone"] or None)
    assert scenario.workload_ids == [w["id"] for w in read_csv("workloads.csv")]


def test_at_least_20_regions_on_every_inhabited_continent(regions):
    assert len(regions) >= 20
    for r in regions:
        assert continent_of(float(r["lat"]), float(r["lon"])) == r["continent"], r["id"]
    assert {r["continent"] for r in regions} == CONTINENTS


def test_residency_zones_follow_the_law_in_scope(regions):
    for r in regions:
        expected = "EU" if r["country"] in EU_EEA else "IN" if r["country"] == "IN" else ""
        assert r["residency_zone"] == expected, r["id"]


def test_each_region_serves_its_own_demand_with_finite_spare(scenario, regions):
    demand = {n: 0.0 for n in scenario.node_ids}
    for d in scenario.demand:
        demand[d.node] += d.mw
    assert [(d["node"], d["workload"], float(d["mw"])) for d in read_csv("demand.csv")] == \
        [(d.node, d.workload, d.mw) for d in scenario.demand]
    for node in scenario.nodes:
        assert demand[node.id] > 0
        assert demand[node.id] <= node.capacity_mw <= 3 * demand[node.id] + 5, node.id
    # capacity friction must bite somewhere: some cheap regions have little room to spare
    cheap = [n for n in scenario.nodes if n.price_usd_per_mwh < 110]
    assert any(n.capacity_mw - demand[n.id] < 0.6 * demand[n.id] + 5 for n in cheap)


def test_every_region_value_has_a_source_and_a_flag(regions):
    values = ("price", "carbon_avg", "carbon_marginal", "pue", "capacity", "coords")
    for r in regions:
        for v in values:
            assert r[f"{v}_flag"] in FLAGS, (r["id"], v)
            assert r[f"{v}_source"].strip(), (r["id"], v)
        assert r["carbon_marginal_flag"] == "assumption"
    for w in read_csv("workloads.csv"):
        assert all(w[k] in FLAGS for k in w if k.endswith("_flag")), w["id"]


def test_measured_rtts_in_the_scenario_equal_rtt_pairs_csv(scenario, regions):
    pairs = read_csv("rtt_pairs.csv")
    n = len(regions)
    assert len(pairs) == n * (n - 1) // 2
    measured = {(p["a"], p["b"]): float(p["rtt_ms"]) for p in pairs if p["source"] == "azure-measured"}
    in_scenario = {(a, b): v for a, row in scenario.rtt_ms.items() for b, v in row.items()}
    assert measured and in_scenario == measured
    for p in pairs:
        if p["source"] == "azure-measured":
            assert max(float(p["proxy_km_a"]), float(p["proxy_km_b"])) <= 300
        else:
            assert p["source"] == "distance-model"


def test_a_measured_rtt_is_the_azure_median_by_hand():
    with open(RAW / "azure_rtt_ms_2025-07.csv", newline="", encoding="utf-8") as f:
        matrix = {row["Source"]: row for row in csv.DictReader(f)}
    by_hand = (float(matrix["Germany West Central"]["Japan East"]) + float(matrix["Japan East"]["Germany West Central"])) / 2
    pair = next(p for p in read_csv("rtt_pairs.csv") if {p["a"], p["b"]} == {"de-fra", "jp-tyo"})
    assert pair["source"] == "azure-measured"
    assert float(pair["rtt_ms"]) == round(by_hand, 1)


def test_distance_model_pairs_follow_core_latency(regions):
    where = {r["id"]: (float(r["lat"]), float(r["lon"])) for r in regions}
    modelled = [p for p in read_csv("rtt_pairs.csv") if p["source"] == "distance-model"]
    assert modelled
    for p in modelled:
        km = float(haversine_km(*where[p["a"]], *where[p["b"]]))
        assert float(p["rtt_ms"]) == round(float(rtt_from_distance_ms(km)), 1), (p["a"], p["b"])


def test_rebuild_reproduces_the_shipped_files_byte_for_byte(tmp_path):
    subprocess.run([sys.executable, str(DATA / "build_default_scenario.py"), "--out", str(tmp_path)],
                   check=True, capture_output=True, cwd=tmp_path)
    for rel in BUILT:
        assert (tmp_path / rel).read_bytes() == (ROOT / rel).read_bytes(), rel


def test_oregon_and_ireland_values_worked_by_hand(regions):
    row = {r["id"]: r for r in regions}
    assert float(row["us-or"]["price_usd_per_mwh"]) == pytest.approx(7.52 * 10)  # EIA 2023, ¢/kWh → $/MWh
    # Ireland: day-ahead 109 €/MWh (project facts) + adder 40 €/MWh, × 1.082 $/€ (ECB 2024)
    assert float(row["ie-dub"]["price_usd_per_mwh"]) == pytest.approx(round((109 + 40) * 1.082, 1))
    assert row["ie-dub"]["price_flag"] == "estimate"
    with open(RAW / "google_region_carbon_2024.csv", newline="", encoding="utf-8") as f:
        google = {r["Google Cloud Region"]: float(r["Grid carbon intensity (gCO2eq / kWh)"]) for r in csv.DictReader(f)}
    assert float(row["us-or"]["carbon_avg_g_per_kwh"]) == google["us-west1"]
    assert row["us-or"]["carbon_avg_flag"] == "measured"


def test_gb_per_mwh_is_bytes_over_energy():
    for w in read_csv("workloads.csv"):
        by_hand = float(w["kb_per_request"]) * 1e3 / float(w["wh_per_request"]) * 1e6 / 1e9
        assert float(w["gb_per_mwh"]) == pytest.approx(by_hand, abs=0.05), w["id"]
    chat = next(w for w in read_csv("workloads.csv") if w["id"] == "chat")
    assert float(chat["gb_per_mwh"]) == pytest.approx(12e3 / 0.3 * 1e6 / 1e9)


def test_world_outline_is_a_clean_geojson():
    world = json.loads((DATA / "world_countries.geojson").read_text(encoding="utf-8"))
    assert world["type"] == "FeatureCollection"
    features = world["features"]
    assert len(features) >= 170
    assert "Antarctica" not in {f["properties"]["name"] for f in features}
    for f in features:
        geometry = f["geometry"]
        polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
        for ring in (ring for polygon in polygons for ring in polygon):
            assert len(ring) >= 4 and ring[0] == ring[-1], f["properties"]["name"]
            assert all(-180 <= x <= 180 and -90 <= y <= 90 and round(x, 2) == x and round(y, 2) == y for x, y in ring)
            jumps = [abs(q[0] - p[0]) for p, q in zip(ring, ring[1:])]
            assert max(jumps) <= 180, f["properties"]["name"]


def test_hvdc_figures_have_unit_source_and_flag():
    figures = json.loads((DATA / "hvdc_reference.json").read_text(encoding="utf-8"))["figures"]
    assert len(figures) >= 6
    for name, fig in figures.items():
        assert fig["value"] > 0 and fig["unit"] and fig["source"] and fig["flag"] in FLAGS, name


def test_raw_files_are_attributed_and_unchanged():
    sources = (DATA / "SOURCES.md").read_text(encoding="utf-8")
    for path in sorted(RAW.iterdir()):
        if path.is_dir():       # data/raw/hourly: copies of shared/data/hourly, attributed in its README
            continue
        assert path.name in sources, path.name
        if SHARED_DATA.exists():
            originals = [d / path.name for d in (SHARED_DATA, SHARED_DATA / "hourly", SHARED_DATA / "hourly" / "prices")]
            original = next(o for o in originals if o.exists())
            assert path.read_bytes() == original.read_bytes(), path.name


def test_hourly_raw_copies_are_attributed_and_unchanged():
    hourly = RAW / "hourly"
    readme = (hourly / "README.md").read_text(encoding="utf-8")
    assert "ODbL" in readme and "Electricity Maps" in readme
    copies = [p for p in sorted(hourly.rglob("*")) if p.is_file() and p.name != "README.md"]
    assert copies
    for path in copies:
        rel = path.relative_to(hourly)
        assert path.name in readme or rel.parent.name in readme, rel
        if SHARED_DATA.exists():
            assert path.read_bytes() == (SHARED_DATA / "hourly" / rel).read_bytes(), rel


def wholesale_mean(zone: str) -> float:
    """Mean of a raw hourly price file's price column, read independently of the build script."""
    return float(pd.read_csv(RAW / f"{zone}_electricity_prices_2024.csv.gz")["Price (USD/MWh)"].mean())


def test_frankfurt_and_sydney_prices_from_the_hourly_files_by_hand(regions):
    row = {r["id"]: r for r in regions}
    # green-dcc converted € at 1.07764 $/€; back to €, rounded to 0.1 €/MWh, + 45 €/MWh, × 1.082 $/€
    de_eur = round(wholesale_mean("DE-LU") / 1.07764, 1)
    assert 75 < de_eur < 82  # EPEX Germany-Luxembourg 2024 averaged ≈78-80 €/MWh
    assert float(row["de-fra"]["price_usd_per_mwh"]) == pytest.approx(round((de_eur + 45) * 1.082, 1))
    # AEMO's prices are A$ (green-dcc applied no conversion): + A$50/MWh, × 0.660 $/A$
    nsw_aud = round(wholesale_mean("AU-NSW"), 1)
    assert float(row["au-syd"]["price_usd_per_mwh"]) == pytest.approx(round((nsw_aud + 50) * 0.660, 1))


def test_europe_uses_the_large_consumer_basis(regions):
    for r in regions:
        if r["continent"] == "Europe" or r["country"] == "AU":
            source = r["price_source"]
            assert source.startswith("large-consumer basis"), r["id"]
            assert "wholesale" in source and "network, levies and supply" in source, r["id"]
            assert "band IC" not in source, r["id"]
            assert r["price_flag"] == "estimate", r["id"]  # the adder is an estimate
    # the 440 GWh consumer pays far less than band IC's 0.256 €/kWh in Dublin (277 $/MWh)
    dublin = next(r for r in regions if r["id"] == "ie-dub")
    assert float(dublin["price_usd_per_mwh"]) < 0.75 * 0.256 * 1000 * 1.082


def test_delivered_prices_exceed_the_wholesale_mean_of_their_market(regions):
    row = {r["id"]: r for r in regions}
    # region → (raw hourly file, $ per unit of the market's currency in the file's column, $ per unit in 2024)
    markets = {"de-fra": ("DE-LU", 1.07764, 1.082), "nl-ams": ("NL", 1.07764, 1.082), "fr-par": ("FR", 1.07764, 1.082),
               "es-mad": ("ES", 1.07764, 1.082), "au-syd": ("AU-NSW", 1.0, 0.660), "au-mel": ("AU-VIC", 1.0, 0.660)}
    for region, (zone, file_rate, rate) in markets.items():
        wholesale_usd = wholesale_mean(zone) / file_rate * rate
        adder_usd = float(row[region]["price_usd_per_mwh"]) - wholesale_usd
        assert 5 <= adder_usd <= 120, (region, adder_usd)
