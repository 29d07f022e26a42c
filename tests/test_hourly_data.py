"""The shipped hourly 2024 scenario (data/build_hourly_scenario.py): scenarios/default_hourly_2024.json,
its series in scenarios/default_hourly_2024/ and data/hourly_mapping.csv, read as files (the `time`
block is checked here against MODEL.md's rules, not through core.scenario). Expected values are
recomputed from the raw files and the default scenario with pandas, independently of the builder."""
from __future__ import annotations

import csv
import filecmp
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "data" / "build_hourly_scenario.py"
SCENARIO = ROOT / "scenarios" / "default_hourly_2024.json"
SERIES = ROOT / "scenarios" / "default_hourly_2024"
RAW = ROOT / "data" / "raw" / "hourly"
SHARED = ROOT.parent / "shared" / "data" / "hourly"
HOURS_2024 = 366 * 24
# the mapping, checked against the files in shared/data/hourly
PRICE_ZONE = {"us-va": "US-MIDA-PJM", "us-ca": "US-CAL-CISO", "us-tx": "US-TEX-ERCO", "de-fra": "DE-LU",
              "fr-par": "FR", "nl-ams": "NL", "es-mad": "ES", "sg-sin": "SG", "jp-tyo": "JP-TK", "kr-sel": "KR",
              "au-syd": "AU-NSW", "au-mel": "AU-VIC", "br-sp": "BR-SP", "cl-scl": "CL-SIC", "za-jnb": "ZA",
              "in-bom": "IN-WE"}
CARBON_ZONE = {"us-va": "US-MIDA-PJM", "us-ca": "US-CAL-CISO", "us-tx": "US-TEX-ERCO", "gb-lon": "GB",
               "de-fra": "DE-LU", "sg-sin": "SG", "jp-tyo": "JP-TK", "kr-sel": "KR", "au-syd": "AU-NSW",
               "au-mel": "AU-VIC", "br-sp": "BR-SP", "cl-scl": "CL-SIC", "za-jnb": "ZA", "in-bom": "IN-WE"}
INTERACTIVE = ("voice", "chat", "api", "agentic")


@pytest.fixture(scope="module")
def default() -> dict:
    return json.loads((ROOT / "scenarios" / "default.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def hourly() -> dict:
    return json.loads(SCENARIO.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def nodes(default) -> dict[str, dict]:
    return {n["id"]: n for n in default["nodes"]}


def series(name: str) -> pd.DataFrame:
    return pd.read_csv(SERIES / name)


def units(name: str, decimals: int) -> dict[str, list[int]]:
    """Each column of a shipped CSV as exact integers of 10^-decimals, from its text ("-23.1" → -231
    with one decimal); every cell must show exactly ``decimals`` decimals."""
    with open(SERIES / name, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    cells = [c for r in rows[1:] for c in r]
    assert all(len(c.partition(".")[2]) == decimals for c in cells), name
    return {col: [int(r[i].replace(".", "")) for r in rows[1:]] for i, col in enumerate(rows[0])}


def raw_price(zone: str) -> pd.Series:
    return pd.read_csv(RAW / "prices" / f"{zone}_electricity_prices_2024.csv.gz")["Price (USD/MWh)"]


def raw_carbon(zone: str) -> pd.Series:
    d = pd.read_csv(RAW / "carbon_intensity" / f"{zone}_2024_hourly.csv.gz")
    return d[[c for c in d.columns if c.endswith("(direct)")][0]]


# --- the scenario file -------------------------------------------------------------------------

def test_time_block_is_a_year_of_2024_hours_in_utc_days(hourly):
    t = hourly["time"]
    assert t["periods"] == HOURS_2024 == 8784 and t["weight_hours"] == 1 and t["block_periods"] == 24
    assert t["periods"] % t["block_periods"] == 0
    assert hourly["period_hours"] == t["periods"] * t["weight_hours"]        # MODEL.md: Σ w
    assert t["carbon_marginal_g_per_kwh"] == {}                               # marginal stays annual
    for key in ("price_usd_per_mwh", "carbon_avg_g_per_kwh", "demand_factor"):
        rel = t[key]
        assert isinstance(rel, str) and not Path(rel).is_absolute() and ".." not in Path(rel).parts
        assert (SCENARIO.parent / rel).is_file(), rel


def test_everything_but_time_name_and_hours_is_the_default(default, hourly):
    changed = {"time", "name", "description", "period_hours", "workloads"}
    assert set(hourly) == set(default) | {"time"}
    assert {k: v for k, v in hourly.items() if k not in changed} == {k: v for k, v in default.items() if k not in changed}
    assert [{k: v for k, v in w.items() if k != "deferrable_periods"} for w in hourly["workloads"]] == default["workloads"]


def test_deferral_is_batch_12_hours_agentic_1_interactive_none(hourly):
    d = {w["id"]: w["deferrable_periods"] for w in hourly["workloads"]}
    assert d == {"voice": 0, "chat": 0, "api": 0, "agentic": 1, "batch": 12}
    assert all(isinstance(v, int) and 0 <= v < hourly["time"]["block_periods"] for v in d.values())


def test_the_catalogue_lists_the_json_and_not_the_series_folder():
    from core import catalogue
    cat = catalogue.shipped()
    assert cat["default_hourly_2024"].path == SCENARIO
    assert all(e.path.suffix == ".json" and e.path.parent == catalogue.SCENARIOS_DIR for e in cat.values())


# --- shapes and columns --------------------------------------------------------------------------

def test_series_have_a_row_per_hour_and_the_mapped_columns(default):
    ids = [n["id"] for n in default["nodes"]]
    price, carbon, factor = (series(n) for n in ("price_usd_per_mwh.csv", "carbon_avg_g_per_kwh.csv", "demand_factor.csv"))
    assert len(price) == len(carbon) == len(factor) == HOURS_2024
    assert list(price.columns) == [r for r in ids if r in PRICE_ZONE]
    assert list(carbon.columns) == [r for r in ids if r in CARBON_ZONE]
    assert list(factor.columns) == [f"{r}/{k}" for r in ids for k in INTERACTIVE]     # batch flat: not listed
    for frame in (price, carbon, factor):
        assert np.isfinite(frame.to_numpy()).all()
    assert (carbon.to_numpy() >= 0).all() and (factor.to_numpy() >= 0).all()


def test_mapped_zones_exist_in_the_shared_files():
    for zone in PRICE_ZONE.values():
        assert (RAW / "prices" / f"{zone}_electricity_prices_2024.csv.gz").is_file(), zone
    for zone in CARBON_ZONE.values():
        assert (RAW / "carbon_intensity" / f"{zone}_2024_hourly.csv.gz").is_file(), zone


@pytest.mark.skipif(not SHARED.exists(), reason="no shared/data/hourly here")
def test_raw_copies_are_unchanged():
    for path in sorted(RAW.rglob("*.gz")) + [RAW / "LICENSE-green-dcc.txt"]:
        assert filecmp.cmp(path, SHARED / path.relative_to(RAW), shallow=False), path


def test_odbl_attribution_travels_with_the_carbon_tables():
    for path in (RAW / "README.md", SERIES / "README.md"):
        text = path.read_text(encoding="utf-8")
        assert "Electricity Maps" in text and "ODbL" in text and "opendatacommons.org/licenses/odbl" in text, path


# --- values ------------------------------------------------------------------------------------

def test_demand_factor_means_are_exactly_one():
    for col, n in units("demand_factor.csv", 4).items():
        assert sum(n) == HOURS_2024 * 10_000, col                    # Σ_t w f = Σ_t w, in 1e-4 units


def test_price_means_are_the_default_delivered_price(nodes):
    for col, n in units("price_usd_per_mwh.csv", 1).items():
        assert sum(n) == round(HOURS_2024 * nodes[col]["price_usd_per_mwh"] * 10), col   # mean deviation 0


def test_carbon_means_are_the_default_annual_values(nodes):
    for col, n in units("carbon_avg_g_per_kwh.csv", 0).items():
        assert abs(sum(n) / HOURS_2024 - nodes[col]["carbon_avg_g_per_kwh"]) <= 0.5 / HOURS_2024, col


@pytest.mark.parametrize("region, to_usd", [
    ("us-tx", 1.0),                          # ERCOT, already $
    ("de-fra", 1.082 / 1.07764),             # € at green-dcc's rate → € → $ at the ECB 2024 mean
    ("au-syd", 0.660),                       # A$ (green-dcc did not convert) → $
    ("za-jnb", (1 / 18.33) / 0.05474 / 1.15),  # ZAR incl. VAT → ZAR excl. 15 % VAT → $
])
def test_price_is_delivered_plus_the_converted_wholesale_deviation(nodes, region, to_usd):
    w = raw_price(PRICE_ZONE[region])
    expected = nodes[region]["price_usd_per_mwh"] + (w - w.mean()) * to_usd
    got = series("price_usd_per_mwh.csv")[region]
    assert np.abs(got.to_numpy() - expected.to_numpy()).max() < 0.1 + 1e-9


def test_half_hour_prices_take_the_mean_of_the_two_overlapping_half_hours(nodes):
    # IN-WE stamps are hh:30 UTC; UTC hour h = half of the sample at h−0.5 and half of that at h+0.5
    w = raw_price("IN-WE").to_numpy()
    on_hour = np.concatenate(([w[0]], (w[:-1] + w[1:]) / 2))
    expected = nodes["in-bom"]["price_usd_per_mwh"] + (on_hour - on_hour.mean()) * (1 / 83.7) / 0.01166
    got = series("price_usd_per_mwh.csv")["in-bom"].to_numpy()
    assert np.abs(got - expected).max() < 0.1 + 1e-9


def test_carbon_is_the_zone_shape_at_the_regions_level(nodes):
    for region in ("gb-lon", "us-ca", "cl-scl"):
        z = raw_carbon(CARBON_ZONE[region])
        expected = z * nodes[region]["carbon_avg_g_per_kwh"] / z.mean()
        got = series("carbon_avg_g_per_kwh.csv")[region]
        assert np.abs(got.to_numpy() - expected.to_numpy()).max() < 1.0, region


def test_demand_follows_local_clock_without_dst_in_tokyo():
    # Tokyo is UTC+9 all year: the middle of UTC hour t is local (t + 9.5) mod 24; chat a = 0.5, peak 15 h
    t = np.arange(HOURS_2024)
    raw = 1 + 0.5 * np.cos(2 * math.pi * (((t + 9.5) % 24) - 15) / 24)
    got = series("demand_factor.csv")["jp-tyo/chat"].to_numpy()
    assert np.abs(got - raw / raw.mean()).max() < 1e-4 + 1e-12          # rounding keeps each value within 1e-4
    assert (got.argmax() % 24) in (5, 6)                     # 14:30 / 15:30 local = 05:30 / 06:30 UTC


def test_demand_moves_one_utc_hour_with_summer_time_in_frankfurt():
    f = series("demand_factor.csv")["de-fra/voice"].to_numpy().reshape(366, 24)
    january, july = f[1], f[190]                             # 2 January (CET), 9 July (CEST)
    assert np.abs(july - np.roll(january, -1)).max() < 2e-4 + 1e-12   # July at h = January at h + 1


def test_flat_regions_are_unlisted_and_say_so(nodes):
    with open(ROOT / "data" / "hourly_mapping.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert {(r["region"], r["series"]) for r in rows} == {(n, s) for n in nodes for s in (
        "price_usd_per_mwh", "carbon_avg_g_per_kwh", "carbon_marginal_g_per_kwh", "demand_factor")}
    listed = {"price_usd_per_mwh": set(PRICE_ZONE), "carbon_avg_g_per_kwh": set(CARBON_ZONE),
              "carbon_marginal_g_per_kwh": set()}
    for r in rows:
        assert r["flag"] in {"measured", "estimate", "assumption"} and r["source"] and r["method"]
        if r["series"] in listed:
            mapped = r["region"] in listed[r["series"]]
            assert (r["zone"] != "flat") == mapped, r
            if not mapped:
                assert float(r["annual_value"]) == nodes[r["region"]][r["series"]], r
    flags = {(r["region"], r["series"]): r["flag"] for r in rows}
    assert flags[("in-bom", "carbon_avg_g_per_kwh")] == flags[("jp-tyo", "carbon_avg_g_per_kwh")] == "estimate"


# --- the builder's pieces on hand-worked cases --------------------------------------------------

@pytest.fixture(scope="module")
def builder():
    sys.path.insert(0, str(SCRIPT.parent))
    import build_hourly_scenario
    return build_hourly_scenario


def test_largest_remainder_rounding_keeps_the_total(builder):
    # floors 1, 2, 0 (sum 3), 2 units short: the largest remainders .8 (index 2), then .6 (index 0, the earlier tie)
    assert builder.rounded_units(np.array([1.6, 2.6, 0.8]), 1.0, 5).tolist() == [2, 2, 1]
    assert builder.rounded_units(np.array([0.25] * 4), 1.0, 1).tolist() == [1, 0, 0, 0]
    assert builder.rounded_units(np.array([-0.35, 0.35]), 0.1, 0).tolist() == [-3, 3]
    with pytest.raises(ValueError):
        builder.rounded_units(np.array([0.5, 0.5]), 1.0, 3)


def test_hour_grid_drops_duplicates_fills_short_gaps_refuses_long_ones(builder):
    grid, report = builder.on_hour_grid(np.array([0.0, 1, 1, 2, 4, 5]), np.array([10.0, 20, 99, 30, 50, 60]), periods=6)
    assert grid.tolist() == [10, 20, 30, 40, 50, 60]          # duplicate hour 1 keeps 20; hour 3 interpolated
    assert (report.duplicates, report.filled_hours) == (1, 1)
    with pytest.raises(ValueError):
        builder.on_hour_grid(np.array([0.0, 5]), np.array([1.0, 2]), periods=6, max_gap_h=3)
    with pytest.raises(ValueError):
        builder.on_hour_grid(np.array([0.0, 1.25]), np.array([1.0, 2]), periods=2)
    half, _ = builder.on_hour_grid(np.array([0.5, 1.5, 2.5]), np.array([2.0, 4, 8]), periods=3)
    assert half.tolist() == [2, 3, 6]


def test_linear_runs_are_reported_as_filled_upstream(builder):
    v = np.array([5.0, 1, 2, 3, 4, 5, 6, 7, 2, 2])
    assert builder.linear_runs(v, 6) == [(1, 7)]             # 1 … 7 lies on a line; the flat 2, 2 does not count


# --- determinism and --check -------------------------------------------------------------------

def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=300)


def test_rebuild_is_byte_identical_and_check_catches_a_change(tmp_path):
    # a fresh run reproduces the shipped files byte for byte (they came from an earlier run)
    assert run("--out", str(tmp_path)).returncode == 0
    files = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert len(files) == 6
    for rel in files:
        assert (tmp_path / rel).read_bytes() == (ROOT / rel).read_bytes(), f"shipped {rel} is not what the script writes"
    done = run("--check")
    assert done.returncode == 0, done.stderr
    target = tmp_path / "scenarios" / "default_hourly_2024" / "carbon_avg_g_per_kwh.csv"
    target.write_text(target.read_text(encoding="utf-8").replace("\n", "\n0", 1), encoding="utf-8")
    bad = run("--check", "--out", str(tmp_path))
    assert bad.returncode == 1 and "carbon_avg_g_per_kwh.csv" in bad.stderr
