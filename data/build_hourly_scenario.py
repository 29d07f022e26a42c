"""Build the hourly 2024 scenario: scenarios/default_hourly_2024.json with its series (and their
licence note) in scenarios/default_hourly_2024/ and the provenance table data/hourly_mapping.csv.

The scenario is scenarios/default.json (as data/build_default_scenario.py writes it) with a `time`
block over the 8,784 hours of 2024 (UTC; period t is the hour that starts at 2024-01-01 00:00 UTC
+ t h) and `deferrable_periods` per workload (MODEL.md, "Time-resolved mode"). The hourly shapes
come from data/raw/hourly/ (Electricity Maps carbon intensity, ODbL; wholesale prices extracted by
green-dcc from the market operators, MIT); each region's annual level stays the default's:

* average carbon a[r,t] = the zone's direct intensity in hour t × (the default's annual value ÷ the
  zone's 2024 mean), so its mean over the year is the default's value;
* price p[r,t] = the default's delivered price + (the zone's wholesale price in hour t − its 2024
  mean), the deviation converted to $ at the project's 2024 rates (network charges and levies
  flat), so its mean is the default's price;
* demand factor f[s,k,t]: a waking-hours cosine per class in the users' local time, normalised to
  a mean of exactly 1 per (node, class); batch is flat (not listed, factor 1);
* regions without a zone, and marginal carbon everywhere, keep their annual value (not listed).

data/SOURCES.md, section "Hourly 2024 series", explains every choice. Run

    .venv/bin/python data/build_hourly_scenario.py [--out DIR] [--check]

to write the files under DIR (default: the repository). ``--check`` re-derives them in memory and
exits 1 naming the first file that differs from the one on disk. The output is deterministic,
byte for byte.
"""
from __future__ import annotations

import csv
import json
import math
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from build_default_scenario import USD_PER_EUR, USD_PER_UNIT_2024, csv_text, json_text, write_or_check  # noqa: E402

RAW_HOURLY = ROOT / "data" / "raw" / "hourly"
SCENARIO_ID = "default_hourly_2024"
SERIES_DIR = SCENARIO_ID  # beside the scenario, relative to scenarios/
START_UTC = datetime(2024, 1, 1, tzinfo=timezone.utc)
PERIODS = 8784  # 2024 is a leap year: 366 × 24 hours
BLOCK_PERIODS = 24  # a block is a UTC day: deferred work never crosses 00:00 UTC
MAX_GAP_HOURS = 3  # missing hours up to this run length are interpolated linearly; longer is an error
UPSTREAM_FILL_MIN_HOURS = 6  # a run this long of exactly linear, non-constant hours is reported as filled upstream
FLAG_ORDER = ("measured", "estimate", "assumption")
PRICE_DECIMALS, CARBON_DECIMALS, FACTOR_DECIMALS = 1, 0, 4  # shipped resolution: 0.1 $/MWh, 1 g/kWh, 1e-4
PRICE_STEP, CARBON_STEP, FACTOR_STEP = (10.0 ** -d for d in (PRICE_DECIMALS, CARBON_DECIMALS, FACTOR_DECIMALS))

# Each region's IANA time zone (its users' local time for the demand profile; DST by zoneinfo).
# A catchment that spans several zones (us-ca: Pacific and Mountain; us-tx: Central and Mexico;
# ae-dxb: the Gulf, UTC+3/+4; za-jnb: sub-Saharan Africa) takes its node's zone: an approximation.
TIMEZONES = {
    "us-va": "America/New_York", "us-or": "America/Los_Angeles", "us-wa": "America/Los_Angeles",
    "us-ca": "America/Los_Angeles", "us-tx": "America/Chicago", "us-ia": "America/Chicago",
    "ca-qc": "America/Toronto", "br-sp": "America/Sao_Paulo", "cl-scl": "America/Santiago",
    "ie-dub": "Europe/Dublin", "gb-lon": "Europe/London", "nl-ams": "Europe/Amsterdam",
    "de-fra": "Europe/Berlin", "fr-par": "Europe/Paris", "es-mad": "Europe/Madrid",
    "it-mil": "Europe/Rome", "pl-waw": "Europe/Warsaw", "se-sto": "Europe/Stockholm",
    "fi-hel": "Europe/Helsinki", "ae-dxb": "Asia/Dubai", "il-tlv": "Asia/Jerusalem",
    "za-jnb": "Africa/Johannesburg", "in-bom": "Asia/Kolkata", "in-del": "Asia/Kolkata",
    "sg-sin": "Asia/Singapore", "id-jkt": "Asia/Jakarta", "hk-hkg": "Asia/Hong_Kong",
    "jp-tyo": "Asia/Tokyo", "kr-sel": "Asia/Seoul", "au-syd": "Australia/Sydney",
    "au-mel": "Australia/Melbourne",
}


@dataclass(frozen=True)
class PriceZone:
    """An hourly wholesale series for a region: ``zone`` names data/raw/hourly/prices/<zone>_
    electricity_prices_2024.csv.gz; ``currency`` is what green-dcc converted from; ``vat`` the
    VAT share green-dcc's series includes (removed from the deviation: delivered prices exclude
    VAT); ``flag`` the quality of the hourly shape."""

    zone: str
    currency: str
    vat: float
    market: str
    flag: str


PRICE_ZONES = {
    "us-va": PriceZone("US-MIDA-PJM", "USD", 0.0, "PJM real-time hourly LMP, Dominion zone", "measured"),
    "us-ca": PriceZone("US-CAL-CISO", "USD", 0.0, "CAISO day-ahead LMP, NP15 hub (OASIS; Los Angeles lies in SP15)", "measured"),
    "us-tx": PriceZone("US-TEX-ERCO", "USD", 0.0, "ERCOT day-ahead settlement point price, hub average", "measured"),
    "de-fra": PriceZone("DE-LU", "EUR", 0.0, "EPEX day-ahead Germany-Luxembourg (ENTSO-E)", "measured"),
    "fr-par": PriceZone("FR", "EUR", 0.0, "EPEX day-ahead France (ENTSO-E)", "measured"),
    "nl-ams": PriceZone("NL", "EUR", 0.0, "EPEX day-ahead Netherlands (ENTSO-E)", "measured"),
    "es-mad": PriceZone("ES", "EUR", 0.0, "OMIE day-ahead Spain", "measured"),
    "sg-sin": PriceZone("SG", "SGD", 0.0, "EMC Singapore, USEP", "measured"),
    "jp-tyo": PriceZone("JP-TK", "JPY", 0.0, "JEPX day-ahead, Tokyo area", "measured"),
    "kr-sel": PriceZone("KR", "KRW", 0.0, "KPX system marginal price", "measured"),
    "au-syd": PriceZone("AU-NSW", "AUD", 0.0, "AEMO NEM regional reference price NSW1", "measured"),
    "au-mel": PriceZone("AU-VIC", "AUD", 0.0, "AEMO NEM regional reference price VIC1", "measured"),
    "br-sp": PriceZone("BR-SP", "BRL", 0.0, "PLD, Sudeste/Centro-Oeste submarket (CCEE/ONS)", "measured"),
    # green-dcc extract_prices_CL.py: 2023 marginal costs at Quillota + 18,000 CLP/MWh of charges,
    # × 1.19 VAT, re-dated to 2024 (29 February filled linearly): a 2023 shape standing for 2024
    "cl-scl": PriceZone("CL-SIC", "CLP", 0.19, "Coordinador Eléctrico Nacional marginal cost at Quillota, "
                        "2023 hours re-dated to 2024 by green-dcc", "estimate"),
    # green-dcc extract_prices_ZA.py: Eskom Megaflex 2024 active-energy charges by season and
    # time-of-use period, VAT included: a tariff's time-of-use shape, not a market price
    "za-jnb": PriceZone("ZA", "ZAR", 0.15, "Eskom Megaflex 2024 time-of-use energy charges (a tariff, "
                        "not a market)", "estimate"),
    "in-bom": PriceZone("IN-WE", "INR", 0.0, "IEX day-ahead market (Grid-India)", "measured"),
}

# green-dcc standardize_prices_to_utc_usd.py: fixed rates, $ per unit (oanda.com, 2025-03-27);
# AEMO's prices reach that script labelled USD (extract_prices_AU.py), so AU files hold A$/MWh
GREEN_DCC_USD_PER_UNIT = {"USD": 1.0, "EUR": 1.07764, "AUD": 1.0, "BRL": 0.17488, "INR": 0.01166,
                          "JPY": 0.00665, "KRW": 0.00068, "SGD": 0.74694, "CLP": 0.00108, "ZAR": 0.05474}
# the project's 2024 average rates ($ per unit; data/build_default_scenario.py), plus the peso
USD_PER_CLP_2024 = 1 / 944  # 2024 average ≈944 CLP/$ (recalled, rounded; estimate)
PROJECT_USD_PER_UNIT = {**USD_PER_UNIT_2024, "EUR": USD_PER_EUR.value, "CLP": USD_PER_CLP_2024}

# region → Electricity Maps zone of data/raw/hourly/carbon_intensity/<zone>_2024_hourly.csv.gz
CARBON_ZONES = {
    "us-va": "US-MIDA-PJM", "us-ca": "US-CAL-CISO", "us-tx": "US-TEX-ERCO", "gb-lon": "GB",
    "de-fra": "DE-LU", "sg-sin": "SG", "jp-tyo": "JP-TK", "kr-sel": "KR", "au-syd": "AU-NSW",
    "au-mel": "AU-VIC", "br-sp": "BR-SP", "cl-scl": "CL-SIC", "za-jnb": "ZA", "in-bom": "IN-WE",
}
ESTIMATED_SHARE_LIMIT = 0.5  # a zone with more hours than this estimated by Electricity Maps: flag estimate

# why a region has no zone for a series (the rest: no file for its grid in shared/data/hourly)
NO_ZONE_REASON = {
    ("ca-qc", "price_usd_per_mwh"): "no Hydro-Québec series (CA-ON is Ontario, another grid)",
    ("ca-qc", "carbon_avg_g_per_kwh"): "no Hydro-Québec series (CA-ON is Ontario, another grid)",
    ("in-del", "price_usd_per_mwh"): "IN-WE is western India; Delhi is on the northern grid",
    ("in-del", "carbon_avg_g_per_kwh"): "IN-WE is western India; Delhi is on the northern grid",
    ("gb-lon", "price_usd_per_mwh"): "no hourly GB price file",
    ("fr-par", "carbon_avg_g_per_kwh"): "no hourly FR carbon file",
    ("nl-ams", "carbon_avg_g_per_kwh"): "no hourly NL carbon file",
    ("es-mad", "carbon_avg_g_per_kwh"): "no hourly ES carbon file",
}


@dataclass(frozen=True)
class DiurnalShape:
    """f(τ) ∝ 1 + amplitude · cos(2π (τ − peak_local_h) / 24) at local clock time τ [h]."""

    amplitude: float
    peak_local_h: float
    why: str


# assumption: stylised waking-hours profiles, not fitted to a trace (no per-class, per-country
# hourly profile of AI inference is published); trough/peak = (1 − a)/(1 + a)
DIURNAL = {
    "voice": DiurnalShape(0.6, 12.0, "calls and voice agents follow business and waking hours, late-morning "
                                    "peak: trough/peak 0.25"),
    "chat": DiurnalShape(0.5, 15.0, "consumer and office chat, afternoon-evening peak, night trough at 03:00: "
                                    "trough/peak 0.33"),
    "api": DiurnalShape(0.6, 13.0, "developer and copilot traffic follows working hours: trough/peak 0.25"),
    "agentic": DiurnalShape(0.3, 14.0, "tasks launched in waking hours run asynchronously for minutes: a "
                                       "damped cycle, trough/peak 0.54"),
}
# assumption: how many hourly periods work of a class may wait (MODEL.md `deferrable_periods`)
DEFERRABLE_PERIODS = {
    "voice": (0, "real time"),
    "chat": (0, "a person waits for the reply"),
    "api": (0, "synchronous calls"),
    "agentic": (1, "asynchronous tasks of minutes; one hour is the smallest non-zero step"),
    "batch": (12, "batch APIs promise results within 24 h; half of it leaves room for queues and retries"),
}


# ---------------------------------------------------------------------------------------------
# reading the raw series onto the UTC hour grid

@dataclass(frozen=True)
class GridReport:
    """What regularising a raw series did: duplicate stamps dropped, missing hours filled, runs of
    exactly linear hours that look filled upstream (start as ISO text, length [h]), and the hours
    held constant at the start and at the end of the year (extrapolated upstream, if long)."""

    duplicates: int
    filled_hours: int
    upstream_linear_runs: tuple[tuple[str, int], ...]
    edge_constant_h: tuple[int, int]

    def text(self) -> str:
        runs = "; ".join(f"{start} +{n} h" for start, n in self.upstream_linear_runs)
        first, last = self.edge_constant_h
        edges = [f"first {first} h" if first >= UPSTREAM_FILL_MIN_HOURS else "",
                 f"last {last} h" if last >= UPSTREAM_FILL_MIN_HOURS else ""]
        edges_text = " and ".join(e for e in edges if e)
        return (f"{self.duplicates} duplicate and {self.filled_hours} missing hours"
                + (f"; linear runs filled upstream: {runs}" if runs else "")
                + (f"; {edges_text} of the year held constant (extrapolated upstream?)" if edges_text else ""))


def edge_constant_h(values: np.ndarray) -> tuple[int, int]:
    """How many hours at the start and at the end of a series equal its first and its last value."""
    def run(v):
        return int(np.argmax(v != v[0])) if np.any(v != v[0]) else len(v)
    return run(values), run(values[::-1])


def hours_since_start(stamps: pd.Series) -> np.ndarray:
    """Hours [h] from START_UTC of timestamps given as text ("2024-01-01 00:00:00", naive = UTC,
    or with an offset)."""
    utc = pd.to_datetime(stamps.str.strip(), utc=True, format="ISO8601")
    return ((utc - pd.Timestamp(START_UTC)) / pd.Timedelta(hours=1)).to_numpy(dtype=float)


def linear_runs(values: np.ndarray, min_hours: int) -> list[tuple[int, int]]:
    """(first index, length) of every run of ≥ ``min_hours`` values on a straight, non-flat line."""
    d1 = np.diff(values)
    on_line = (np.abs(np.diff(d1)) <= 1e-6 * np.maximum(1.0, np.abs(values[1:-1]))) & (np.abs(d1[1:]) > 1e-9)
    runs, count = [], 0
    for i, flag in enumerate(np.append(on_line, False)):
        if flag:
            count += 1
        else:
            if count + 2 >= min_hours:
                runs.append((i - count, count + 2))
            count = 0
    return runs


def on_hour_grid(offsets_h: np.ndarray, values: np.ndarray, periods: int = PERIODS,
                 max_gap_h: int = MAX_GAP_HOURS) -> tuple[np.ndarray, GridReport]:
    """Values on the hours 0 … periods−1 after START_UTC from samples at ``offsets_h`` [h].

    Stamps on the half hour (India, UTC+5:30) stand for the hour that starts there: UTC hour h
    overlaps the samples at h−0.5 and h+0.5 by half each and takes their mean (hour 0 the first
    sample alone). Duplicate stamps keep the first (DST repeats), non-finite values count as
    missing, runs of up to ``max_gap_h`` missing hours are interpolated linearly, a longer gap or
    a stamp off the grid raises ValueError."""
    order = np.argsort(offsets_h, kind="stable")
    offsets_h, values = offsets_h[order], np.asarray(values, dtype=float)[order]
    keep = np.concatenate(([True], np.diff(offsets_h) != 0))
    duplicates = int((~keep).sum())
    offsets_h, values = offsets_h[keep], values[keep]
    half = np.all(np.isclose(offsets_h % 1.0, 0.5))
    slots = offsets_h - 0.5 if half else offsets_h
    if not np.allclose(slots, np.round(slots)):
        raise ValueError("timestamps are neither on the hour nor on the half hour")
    index = np.round(slots).astype(int)
    inside = (index >= 0) & (index < periods)
    grid = np.full(periods, np.nan)
    grid[index[inside]] = values[inside]
    missing = ~np.isfinite(grid)
    run = longest = 0
    for m in missing:
        run = run + 1 if m else 0
        longest = max(longest, run)
    if longest > max_gap_h or missing[0] or missing[-1]:
        raise ValueError(f"a gap of {longest} h (or at the year's edge) is longer than {max_gap_h} h")
    if missing.any():
        t = np.arange(periods)
        grid[missing] = np.interp(t[missing], t[~missing], grid[~missing])
    if half:
        grid = np.concatenate((grid[:1], (grid[:-1] + grid[1:]) / 2.0))
    runs = tuple(((START_UTC + timedelta(hours=int(i))).strftime("%Y-%m-%d %H:00"), n)
                 for i, n in linear_runs(grid, UPSTREAM_FILL_MIN_HOURS))
    return grid, GridReport(duplicates, int(missing.sum()), runs, edge_constant_h(grid))


def read_price_usd_per_mwh(zone: str) -> tuple[np.ndarray, GridReport]:
    """green-dcc's "Price (USD/MWh)" column of a zone on the UTC hour grid (units as in the file)."""
    rows = pd.read_csv(RAW_HOURLY / "prices" / f"{zone}_electricity_prices_2024.csv.gz", dtype={"Datetime (UTC)": str},
                       float_precision="round_trip")
    return on_hour_grid(hours_since_start(rows["Datetime (UTC)"]), rows["Price (USD/MWh)"].to_numpy(dtype=float))


@dataclass(frozen=True)
class CarbonSeries:
    """A zone's direct (operational) intensity [gCO2eq/kWh] per UTC hour, the zone id the file
    gives, the share of hours Electricity Maps estimated, and the regularisation report."""

    g_per_kwh: np.ndarray
    file_zone: str
    estimated_share: float
    report: GridReport


def read_carbon(zone: str) -> CarbonSeries:
    """Electricity Maps' hourly direct carbon intensity of a zone on the UTC hour grid."""
    rows = pd.read_csv(RAW_HOURLY / "carbon_intensity" / f"{zone}_2024_hourly.csv.gz",
                       dtype={"Datetime (UTC)": str, "Data Estimated": str, "Zone Id": str},
                       float_precision="round_trip")
    column = next(k for k in rows.columns if k.startswith("Carbon Intensity") and k.endswith("(direct)"))
    values, report = on_hour_grid(hours_since_start(rows["Datetime (UTC)"]), rows[column].to_numpy(dtype=float))
    estimated = float((rows["Data Estimated"].str.strip().str.lower() == "true").mean())
    return CarbonSeries(values, rows["Zone Id"].iloc[0], estimated, report)


# ---------------------------------------------------------------------------------------------
# the series

def hourly_price_usd_per_mwh(delivered_usd_per_mwh: float, wholesale_file: np.ndarray, pz: PriceZone) -> np.ndarray:
    """p[t] = delivered + (w[t] − mean w) ÷ green-dcc's rate ÷ (1 + VAT) × the project's 2024 rate [$/MWh]."""
    deviation_local = (wholesale_file - wholesale_file.mean()) / GREEN_DCC_USD_PER_UNIT[pz.currency] / (1.0 + pz.vat)
    return delivered_usd_per_mwh + deviation_local * PROJECT_USD_PER_UNIT[pz.currency]


def scaled_carbon_g_per_kwh(annual_g_per_kwh: float, zone_g_per_kwh: np.ndarray) -> np.ndarray:
    """a[t] = zone[t] × annual ÷ mean(zone) [gCO2/kWh]: the zone's hourly shape at the region's level."""
    return zone_g_per_kwh * (annual_g_per_kwh / zone_g_per_kwh.mean())


def local_clock_h(tz: str, periods: int = PERIODS) -> np.ndarray:
    """Local clock time [h, 0-24) at the middle of each UTC hour from START_UTC, DST by zoneinfo."""
    middles = pd.date_range(pd.Timestamp(START_UTC) + pd.Timedelta(minutes=30), periods=periods, freq="h")
    local = middles.tz_convert(ZoneInfo(tz))
    return (local.hour + local.minute / 60.0).to_numpy(dtype=float)


def demand_factor(clock_h: np.ndarray, shape: DiurnalShape) -> np.ndarray:
    """1 + a·cos(2π(τ − peak)/24) at the local clock times τ [h], divided by its mean (mean 1)."""
    raw = 1.0 + shape.amplitude * np.cos(2.0 * math.pi * (clock_h - shape.peak_local_h) / 24.0)
    return raw / raw.mean()


def rounded_units(values: np.ndarray, step: float, total_units: int) -> np.ndarray:
    """Integers n[t] ≈ values[t] ÷ step whose sum is ``total_units``: floor every value, then add 1
    to the values with the largest remainders (ties: the earlier period), so the rounded series
    keeps the exact total (largest-remainder rounding); |n·step − value| < step."""
    scaled = values / step
    base = np.floor(scaled)
    short = int(total_units - base.sum())
    if not 0 <= short <= len(values):
        raise ValueError("the total is out of reach of the rounded values")
    order = np.argsort(-(scaled - base), kind="stable")
    base[order[:short]] += 1
    return base.astype(np.int64)


def series_csv_text(columns: dict[str, np.ndarray], decimals: int) -> str:
    """CSV with one column per key, integer units n shown as n ÷ 10^decimals, "\\n" line ends."""
    values = np.column_stack([columns[name] for name in columns]) / 10.0 ** decimals
    row = ",".join([f"%.{decimals}f"] * values.shape[1])
    return "\n".join([",".join(columns)] + [row % tuple(r) for r in values.tolist()]) + "\n"


# ---------------------------------------------------------------------------------------------
# assembly

def worst_flag(*flags: str) -> str:
    """The weakest of the flags (measured < estimate < assumption)."""
    return max(flags, key=FLAG_ORDER.index)


def read_default() -> tuple[dict, dict[str, dict]]:
    """scenarios/default.json and data/regions.csv (rows by id), as data/build_default_scenario.py wrote them."""
    scenario = json.loads((ROOT / "scenarios" / "default.json").read_text(encoding="utf-8"))
    with open(ROOT / "data" / "regions.csv", newline="", encoding="utf-8") as f:
        regions = {r["id"]: r for r in csv.DictReader(f)}
    return scenario, regions


def build_series(scenario: dict, regions: dict[str, dict]) -> tuple[dict[str, str], list[dict]]:
    """The three series CSVs (file name → text) and the provenance rows of data/hourly_mapping.csv."""
    nodes = scenario["nodes"]
    ids = [n["id"] for n in nodes]
    unknown = (set(PRICE_ZONES) | set(CARBON_ZONES) | set(TIMEZONES)) - set(ids)
    if unknown or set(TIMEZONES) != set(ids):
        raise ValueError(f"mapping and default regions differ: {sorted(unknown or set(ids) ^ set(TIMEZONES))}")
    price_cols, carbon_cols, factor_cols, mapping = {}, {}, {}, []

    def row(r, series, zone, method, source, flag, note, annual):
        mapping.append({"region": r, "series": series, "zone": zone, "timezone": TIMEZONES[r],
                        "annual_value": annual, "method": method, "source": source, "flag": flag, "note": note})

    for node in nodes:
        r = node["id"]
        price, carbon = node["price_usd_per_mwh"], node["carbon_avg_g_per_kwh"]
        if r in PRICE_ZONES:
            pz = PRICE_ZONES[r]
            wholesale, report = read_price_usd_per_mwh(pz.zone)
            p = hourly_price_usd_per_mwh(price, wholesale, pz)
            price_cols[r] = rounded_units(p, PRICE_STEP, round(PERIODS * price / PRICE_STEP))
            mean_local = wholesale.mean() / GREEN_DCC_USD_PER_UNIT[pz.currency] / (1.0 + pz.vat)
            row(r, "price_usd_per_mwh", pz.zone, "delivered annual price + (hourly wholesale − its 2024 mean)",
                f"{pz.market}; green-dcc data/electricity_prices/standardized (MIT)",
                worst_flag(pz.flag, regions[r]["price_flag"]),
                f"2024 mean {mean_local:.1f} {pz.currency}/MWh"
                + (f" excl. {pz.vat:.0%} VAT" if pz.vat else "")
                + f"; deviation × {PROJECT_USD_PER_UNIT[pz.currency]:.6g} $/{pz.currency}; {report.text()}", price)
        else:
            row(r, "price_usd_per_mwh", "flat", "annual value in every hour", regions[r]["price_source"],
                regions[r]["price_flag"], NO_ZONE_REASON.get((r, "price_usd_per_mwh"), "no hourly file for this grid"),
                price)
        if r in CARBON_ZONES:
            cs = read_carbon(CARBON_ZONES[r])
            carbon_cols[r] = rounded_units(scaled_carbon_g_per_kwh(carbon, cs.g_per_kwh), CARBON_STEP,
                                           round(PERIODS * carbon / CARBON_STEP))
            shape_flag = "estimate" if cs.estimated_share > ESTIMATED_SHARE_LIMIT else "measured"
            row(r, "carbon_avg_g_per_kwh", CARBON_ZONES[r],
                "zone's hourly direct intensity × annual value ÷ zone's 2024 mean",
                f"Electricity Maps (ODbL 1.0), zone {cs.file_zone} in the file, via green-dcc",
                worst_flag(shape_flag, regions[r]["carbon_avg_flag"]),
                f"zone 2024 mean {cs.g_per_kwh.mean():.1f} g/kWh, scale {carbon / cs.g_per_kwh.mean():.4f}; "
                f"{cs.estimated_share:.0%} of hours estimated by Electricity Maps; {cs.report.text()}", carbon)
        else:
            row(r, "carbon_avg_g_per_kwh", "flat", "annual value in every hour", regions[r]["carbon_avg_source"],
                regions[r]["carbon_avg_flag"],
                NO_ZONE_REASON.get((r, "carbon_avg_g_per_kwh"), "no hourly file for this grid"), carbon)
        row(r, "carbon_marginal_g_per_kwh", "flat", "annual value in every hour", regions[r]["carbon_marginal_source"],
            regions[r]["carbon_marginal_flag"], "no open hourly marginal data", node["carbon_marginal_g_per_kwh"])
        clock = local_clock_h(TIMEZONES[r])
        for k, shape in DIURNAL.items():
            factor_cols[f"{r}/{k}"] = rounded_units(demand_factor(clock, shape), FACTOR_STEP,
                                                    round(PERIODS / FACTOR_STEP))
        row(r, "demand_factor", "local time", "waking-hours cosine per class in local time, mean 1; batch flat",
            "; ".join(f"{k}: a {s.amplitude}, peak {s.peak_local_h:g} h" for k, s in DIURNAL.items()),
            "assumption", "users' local time = the node's time zone", 1)
    files = {
        "price_usd_per_mwh.csv": series_csv_text(price_cols, PRICE_DECIMALS),
        "carbon_avg_g_per_kwh.csv": series_csv_text(carbon_cols, CARBON_DECIMALS),
        "demand_factor.csv": series_csv_text(factor_cols, FACTOR_DECIMALS),
    }
    return files, mapping


def hourly_scenario(scenario: dict) -> dict:
    """The default with the `time` block and each workload's `deferrable_periods`."""
    out = json.loads(json.dumps(scenario))
    out["name"] = "Stylised global simulation, hourly 2024"
    out["description"] = (
        scenario["description"] + " Hourly 2024 (8,784 periods of one hour, UTC; period 0 starts "
        "2024-01-01 00:00 UTC; blocks are UTC days): average carbon and prices follow real 2024 "
        "hourly shapes where a zone exists (Electricity Maps carbon, ODbL; market prices via "
        "green-dcc), demand follows local waking hours, batch may wait 12 hours and agentic work 1; "
        "built by data/build_hourly_scenario.py, sources in data/hourly_mapping.csv.")
    out["period_hours"] = float(PERIODS)
    for w in out["workloads"]:
        w["deferrable_periods"] = DEFERRABLE_PERIODS[w["id"]][0]
    out["time"] = {
        "periods": PERIODS, "weight_hours": 1, "block_periods": BLOCK_PERIODS,
        "price_usd_per_mwh": f"{SERIES_DIR}/price_usd_per_mwh.csv",
        "carbon_avg_g_per_kwh": f"{SERIES_DIR}/carbon_avg_g_per_kwh.csv",
        "carbon_marginal_g_per_kwh": {},
        "demand_factor": f"{SERIES_DIR}/demand_factor.csv",
    }
    return out


SERIES_README = """\
# Hourly series of scenarios/default_hourly_2024.json

Written by data/build_hourly_scenario.py (do not edit by hand; `--check` compares). One row per
period t = 0 … 8783, the hour that starts at 2024-01-01 00:00 UTC + t h; one column per node
(`node/workload` in demand_factor.csv). A node or class not listed keeps its annual value
(factor 1). Method, source and flag per region and series: data/hourly_mapping.csv and
data/SOURCES.md ("Hourly 2024 series").

- price_usd_per_mwh.csv [$/MWh]: the default's delivered price + the hour's deviation from the
  zone's 2024 mean wholesale price (market operators' data via HewlettPackard/green-dcc, MIT).
- carbon_avg_g_per_kwh.csv [gCO2eq/kWh]: the zone's hourly direct intensity scaled to the
  default's annual value. **Derived from Electricity Maps data ("Electricity Maps",
  https://www.electricitymaps.com), licensed under the Open Database License (ODbL) 1.0,
  https://opendatacommons.org/licenses/odbl/1-0/: this table is shared under ODbL 1.0 too.**
- demand_factor.csv [1]: stylised waking-hours profiles in the users' local time, mean exactly 1
  per column (assumption).
"""


def build_outputs() -> dict[str, str]:
    """Relative path → text of every file this script writes."""
    scenario, regions = read_default()
    if set(DEFERRABLE_PERIODS) != {w["id"] for w in scenario["workloads"]} or not set(DIURNAL) < set(DEFERRABLE_PERIODS):
        raise ValueError("DEFERRABLE_PERIODS and DIURNAL must name the default's workloads")
    files, mapping = build_series(scenario, regions)
    out = {f"scenarios/{SERIES_DIR}/{name}": text for name, text in files.items()}
    out[f"scenarios/{SERIES_DIR}/README.md"] = SERIES_README
    out[f"scenarios/{SCENARIO_ID}.json"] = json_text(hourly_scenario(scenario))
    out["data/hourly_mapping.csv"] = csv_text(mapping)
    return out


if __name__ == "__main__":
    sys.exit(write_or_check(build_outputs, __doc__.splitlines()[0]))
