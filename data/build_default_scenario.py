"""Build the stylised global simulation: scenarios/default.json and the tables in data/.

Every number comes from a raw file in data/raw/ or from a constant below that names its source
and a quality flag: "measured" (a published statistic or measurement), "estimate" (our reading
of published figures, or a figure recalled without the primary document at hand) or
"assumption" (a modelling choice). data/SOURCES.md explains them. Run

    .venv/bin/python data/build_default_scenario.py [--out DIR]

to write DIR/data/{regions,workloads,demand,rtt_pairs}.csv, DIR/data/world_countries.geojson,
DIR/data/hvdc_reference.json, DIR/scenarios/default.json and the map's outline as the app serves
it, DIR/static/world_countries_3x.geojson (DIR defaults to the repository).
The output is deterministic: re-running it reproduces the files byte for byte.
"""
from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import math
import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.latency import haversine_km, rtt_from_distance_ms  # noqa: E402
from core.scenario import parse_scenario  # noqa: E402

RAW = ROOT / "data" / "raw"
FLAGS = ("measured", "estimate", "assumption")


@dataclass(frozen=True)
class Fact:
    """A number with where it comes from and how sure it is (flag in FLAGS)."""

    value: float
    source: str
    flag: str

    def __post_init__(self):
        if self.flag not in FLAGS:
            raise ValueError(f"flag must be one of {FLAGS}, got {self.flag!r}")


# ---------------------------------------------------------------------------------------------
# regions

@dataclass(frozen=True)
class RegionSpec:
    """One compute region. ``coords`` is "<provider>:<region>" in data/raw/<provider>_region_
    coordinates.json; ``carbon`` is "google:<region>" (Google 2024, this grid), "~google:<region>"
    (a neighbouring grid's Google value, an estimate) or "owid:<ISO2>"; ``price`` a key of
    :func:`price_facts`; ``margin`` a key of MARGINAL_G_PER_KWH with the reason; ``temp_c`` the
    annual mean air temperature [°C] that sets the PUE class; ``site`` a key of CAPACITY_SLACK."""

    id: str
    name: str
    continent: str
    country: str
    zone: str | None
    coords: str
    carbon: str
    price: str
    margin: str
    margin_note: str
    temp_c: float
    site: str


REGIONS = (
    RegionSpec("us-va", "N. Virginia", "North America", "US", None, "aws:us-east-1",
               "google:us-east4", "EIA:VA", "coal-gas", "PJM: coal and gas units set the price", 13, "constrained"),
    RegionSpec("us-or", "Oregon", "North America", "US", None, "aws:us-west-2",
               "google:us-west1", "EIA:OR", "gas", "Northwest: hydro-rich, gas units on the margin", 12.5, "energy"),
    RegionSpec("us-wa", "Washington (Quincy)", "North America", "US", None, "azure:westus2",
               "~google:us-west1", "EIA:WA", "gas", "Northwest: hydro-rich, gas units on the margin", 10, "energy"),
    RegionSpec("us-ca", "California (Los Angeles)", "North America", "US", None, "gcp:us-west2",
               "google:us-west2", "EIA:CA", "gas", "CAISO/LADWP: gas outside solar hours", 18.5, "hub"),
    RegionSpec("us-tx", "Texas (San Antonio)", "North America", "US", None, "azure:southcentralus",
               "google:us-south1", "EIA:TX", "gas", "ERCOT: gas", 21, "hub"),
    RegionSpec("us-ia", "Iowa", "North America", "US", None, "gcp:us-central1",
               "google:us-central1", "EIA:IA", "coal-gas", "MISO: coal and gas", 10.5, "energy"),
    RegionSpec("ca-qc", "Québec", "North America", "CA", None, "azure:canadaeast",
               "google:northamerica-northeast1", "LOCAL:CA-QC", "gas",
               "hydro; extra load cuts exports that displace gas in New England/New York", 4.5, "energy"),
    RegionSpec("br-sp", "São Paulo", "South America", "BR", None, "aws:sa-east-1",
               "google:southamerica-east1", "LOCAL:BR", "gas", "hydro-rich; gas thermal dispatched at the margin", 19.5, "hub"),
    RegionSpec("cl-scl", "Santiago", "South America", "CL", None, "gcp:southamerica-west1",
               "google:southamerica-west1", "LOCAL:CL", "coal-gas", "SEN: coal and gas thermal at the margin", 14.5, "hub"),
    RegionSpec("ie-dub", "Dublin", "Europe", "IE", "EU", "aws:eu-west-1",
               "owid:IE", "WHOLESALE:IE", "gas", "all-island market: gas", 9.8, "constrained"),
    RegionSpec("gb-lon", "London", "Europe", "GB", None, "aws:eu-west-2",
               "google:europe-west2", "WHOLESALE:GB", "gas", "GB: gas sets the price most hours", 11.8, "constrained"),
    RegionSpec("nl-ams", "Amsterdam", "Europe", "NL", "EU", "gcp:europe-west4",
               "google:europe-west4", "WHOLESALE:NL", "gas", "Netherlands: gas", 10.5, "constrained"),
    RegionSpec("de-fra", "Frankfurt", "Europe", "DE", "EU", "gcp:europe-west3",
               "google:europe-west3", "WHOLESALE:DE", "coal-gas", "Germany: coal, lignite and gas", 10.5, "constrained"),
    RegionSpec("fr-par", "Paris", "Europe", "FR", "EU", "gcp:europe-west9",
               "google:europe-west9", "WHOLESALE:FR", "gas",
               "nuclear/hydro; extra load cuts exports that displace gas", 12.4, "hub"),
    RegionSpec("es-mad", "Madrid", "Europe", "ES", "EU", "aws:eu-south-2",
               "google:europe-southwest1", "WHOLESALE:ES", "gas", "Spain: gas outside solar hours", 15, "hub"),
    RegionSpec("it-mil", "Milan", "Europe", "IT", "EU", "gcp:europe-west8",
               "google:europe-west8", "WHOLESALE:IT", "gas", "Italy: gas", 13, "hub"),
    RegionSpec("pl-waw", "Warsaw", "Europe", "PL", "EU", "azure:polandcentral",
               "google:europe-central2", "WHOLESALE:PL", "coal", "Poland: hard coal and lignite", 8.5, "hub"),
    RegionSpec("se-sto", "Stockholm", "Europe", "SE", "EU", "aws:eu-north-1",
               "google:europe-north2", "WHOLESALE:SE", "gas",
               "Nordic hydro/nuclear; extra load cuts exports that displace gas", 7.5, "energy"),
    RegionSpec("fi-hel", "Finland (Helsinki)", "Europe", "FI", "EU", "gcp:europe-north1",
               "google:europe-north1", "WHOLESALE:FI", "gas",
               "Nordic hydro/nuclear; extra load cuts exports that displace gas", 6, "energy"),
    RegionSpec("ae-dxb", "Dubai", "Asia", "AE", None, "aws:me-central-1",
               "owid:AE", "LOCAL:AE", "gas", "UAE: gas", 28, "hub"),
    RegionSpec("il-tlv", "Tel Aviv", "Asia", "IL", None, "gcp:me-west1",
               "google:me-west1", "LOCAL:IL", "gas", "Israel: gas", 20.5, "hub"),
    RegionSpec("za-jnb", "Johannesburg", "Africa", "ZA", None, "azure:southafricanorth",
               "google:africa-south1", "LOCAL:ZA", "coal", "Eskom: coal", 17, "hub"),
    RegionSpec("in-bom", "Mumbai", "Asia", "IN", "IN", "aws:ap-south-1",
               "google:asia-south1", "LOCAL:IN-MH", "coal", "India: coal", 27, "hub"),
    RegionSpec("in-del", "Delhi", "Asia", "IN", "IN", "gcp:asia-south2",
               "google:asia-south2", "LOCAL:IN-DL", "coal", "India: coal", 25, "hub"),
    RegionSpec("sg-sin", "Singapore", "Asia", "SG", None, "aws:ap-southeast-1",
               "google:asia-southeast1", "LOCAL:SG", "gas", "Singapore: gas", 27.5, "constrained"),
    RegionSpec("id-jkt", "Jakarta", "Asia", "ID", None, "aws:ap-southeast-3",
               "google:asia-southeast2", "LOCAL:ID", "coal", "Java-Bali grid: coal", 27, "hub"),
    RegionSpec("hk-hkg", "Hong Kong", "Asia", "HK", None, "gcp:asia-east2",
               "google:asia-east2", "LOCAL:HK", "coal-gas", "CLP/HK Electric: coal and gas", 23.5, "hub"),
    RegionSpec("jp-tyo", "Tokyo", "Asia", "JP", None, "gcp:asia-northeast1",
               "google:asia-northeast1", "LOCAL:JP", "gas", "TEPCO area: LNG-fired units", 16, "hub"),
    RegionSpec("kr-sel", "Seoul", "Asia", "KR", None, "gcp:asia-northeast3",
               "google:asia-northeast3", "LOCAL:KR", "coal-gas", "Korea: coal and LNG", 12.5, "hub"),
    RegionSpec("au-syd", "Sydney", "Oceania", "AU", None, "aws:ap-southeast-2",
               "google:australia-southeast1", "WHOLESALE:AU-NSW", "coal", "NEM New South Wales: black coal", 18, "hub"),
    RegionSpec("au-mel", "Melbourne", "Oceania", "AU", None, "aws:ap-southeast-4",
               "google:australia-southeast2", "WHOLESALE:AU-VIC", "coal", "NEM Victoria: brown and black coal", 15, "hub"),
)

# --- electricity prices ----------------------------------------------------------------------
EIA_2023_INDUSTRIAL_CENTS_PER_KWH = {"VA": 8.92, "OR": 7.52, "WA": 6.35, "TX": 6.60, "IA": 6.91, "CA": 18.64}
EIA_SOURCE = "US EIA Electric Power Annual 2023, average industrial revenue per kWh"

# Price basis: the delivered price, excluding VAT, of a large baseload consumer. A 50 MW data centre
# uses ≈440 GWh a year, Eurostat band IG (≥150,000 MWh), not band IC (500-2,000 MWh), whose network
# charges and levies are far higher. No band IG table is at hand, so in Europe and Australia
# delivered = 2024 wholesale annual mean + network, levies and supply adder (both per MWh, local
# currency); the adder is always an estimate, so these prices are too.
WHOLESALE_CURRENCY = {"IE": "EUR", "GB": "GBP", "NL": "EUR", "DE": "EUR", "FR": "EUR", "ES": "EUR", "IT": "EUR",
                      "PL": "EUR", "SE": "EUR", "FI": "EUR", "AU-NSW": "AUD", "AU-VIC": "AUD"}
# measured: data/raw/<zone>_electricity_prices_2024.csv.gz (key → zone, market and operator)
WHOLESALE_2024_FILES = {
    "DE": ("DE-LU", "day-ahead, Germany-Luxembourg (EPEX; ENTSO-E)"),
    "NL": ("NL", "day-ahead, Netherlands (EPEX; ENTSO-E)"),
    "FR": ("FR", "day-ahead, France (EPEX; ENTSO-E)"),
    "ES": ("ES", "day-ahead, Spain (OMIE)"),
    "AU-NSW": ("AU-NSW", "NEM regional reference price, NSW1 (AEMO)"),
    "AU-VIC": ("AU-VIC", "NEM regional reference price, VIC1 (AEMO)"),
}
# green-dcc's fixed conversion to its "USD/MWh" column (standardize_prices_to_utc_usd.py: oanda.com,
# 2025-03-27); AEMO's A$ prices enter that script already labelled USD (extract_prices_AU.py), so
# they were not converted and the column holds A$/MWh
GREEN_DCC_USD_PER_UNIT = {"EUR": 1.07764, "AUD": 1.0}
HOURS_2024 = 8784
# markets without an hourly file here: the project facts (shared data/SOURCES.md) or recalled
WHOLESALE_2024_GIVEN = {
    "IE": Fact(109.0, "2024 day-ahead average, Ireland (SEM), project facts", "measured"),
    "IT": Fact(107.0, "2024 day-ahead average, Italy (PUN), project facts", "measured"),
    "SE": Fact(36.0, "2024 day-ahead average, Sweden (Stockholm is in SE3), project facts", "measured"),
    "FI": Fact(46.0, "2024 day-ahead average, Finland (Nord Pool; recalled, rounded)", "estimate"),
    "PL": Fact(98.0, "2024 day-ahead average, Poland (TGE; recalled, rounded)", "estimate"),
    "GB": Fact(72.0, "2024 day-ahead average, Great Britain (recalled, rounded; ≈70-75 £/MWh)", "estimate"),
}
# network (incl. losses), levies and non-recoverable taxes, supplier margin for a ≈50 MW high-voltage
# consumer running ≈8,000 h a year, 2024, per MWh in WHOLESALE_CURRENCY: components recalled, rounded
# to 5 (estimate)
NETWORK_LEVIES_SUPPLY_2024 = {
    "IE": Fact(40.0, "TUoS for a transmission connection ≈10, capacity, imperfections and market-operator "
                     "charges ≈20, PSO levy and electricity tax ≈5, supply ≈5", "estimate"),
    "GB": Fact(80.0, "TNUoS, DUoS, BSUoS and losses ≈25, policy costs (RO ≈30, FiT, CfD, capacity market) ≈50, "
                     "CCL with the data-centre Climate Change Agreement discount ≈1, supply ≈4", "estimate"),
    "NL": Fact(15.0, "TenneT/DSO high-voltage transport ≈8, energy tax in its top bands ≈2 averaged over "
                     "440 GWh, supply ≈5", "estimate"),
    "DE": Fact(45.0, "high-voltage network 5-15 (§19(2) StromNEV cuts it for ≥7,000 h), offshore, CHP, §19 "
                     "and concession levies ≈10, electricity tax 20.5 (no manufacturing rebate for data "
                     "centres), supply ≈4", "estimate"),
    "FR": Fact(30.0, "TURPE high-voltage ≈8, excise (data-centre rate) ≈12, capacity obligation and energy-"
                     "savings certificates ≈6, supply ≈3", "estimate"),
    "ES": Fact(20.0, "6.x access tolls and charges ≈6, balancing and capacity services ≈8, electricity tax "
                     "(2.5-5.1 % in 2024) ≈3, supply ≈3", "estimate"),
    "IT": Fact(40.0, "transmission and distribution ≈5, system charges (ASOS/ARIM, restored in 2024) ≈20, "
                     "dispatching uplift and capacity ≈10, excise (capped above 1.2 GWh/month) ≈1, supply ≈3",
               "estimate"),
    "PL": Fact(30.0, "high-voltage network (tariff B) ≈8, capacity fee ≈8, cogeneration, quality and "
                     "certificate obligations ≈8, excise ≈1, supply ≈3", "estimate"),
    "SE": Fact(45.0, "regional network ≈6, energy tax ≈37 (standard rate ≈43 öre/kWh; the data-centre "
                     "reduction ended in July 2023), supply ≈2", "estimate"),
    "FI": Fact(10.0, "Fingrid and high-voltage distribution ≈7, electricity tax class II ≈1 (data centres "
                     "qualified in 2024), supply ≈2", "estimate"),
    "AU-NSW": Fact(50.0, "high-voltage TUoS and DUoS ≈25, renewable certificates (LRET, SRES) ≈15, "
                         "AEMO fees and retail ≈10", "estimate"),
    "AU-VIC": Fact(50.0, "high-voltage TUoS and DUoS ≈25, renewable certificates (LRET, SRES) ≈15, "
                         "AEMO fees and retail ≈10", "estimate"),
}
USD_PER_EUR = Fact(1.082, "ECB euro reference rate, 2024 average (1.0824 $/€)", "measured")

# 2024 annual average exchange rates, US$ per unit of currency (rounded; estimate)
USD_PER_UNIT_2024 = {"USD": 1.0, "CAD": 1 / 1.370, "BRL": 1 / 5.39, "GBP": 1.278, "AED": 1 / 3.6725,
                     "ILS": 1 / 3.70, "ZAR": 1 / 18.33, "INR": 1 / 83.7, "SGD": 1 / 1.336,
                     "IDR": 1 / 15850, "HKD": 1 / 7.80, "JPY": 1 / 151.5, "KRW": 1 / 1364, "AUD": 0.660}

# delivered price for a large consumer, per kWh in local currency: (value, currency, reasoning)
LOCAL_PRICE_ESTIMATES = {
    "CA-QC": (0.058, "CAD", "Hydro-Québec rate L 2024: ≈3.5 ¢/kWh energy + ≈14 $/kW-month demand charge at 85 % load factor"),
    "BR": (0.45, "BRL", "ANEEL regulated industrial (A4) tariffs excl. taxes, order of magnitude; free-market buyers pay less"),
    "CL": (0.11, "USD", "Chilean regulated and free-client prices after the 2024 tariff unfreeze, ≈100-130 $/MWh"),
    "AE": (0.445, "AED", "DEWA commercial/industrial tariff: 38 fils/kWh above 10 MWh/month + 6.5 fils fuel surcharge"),
    "IL": (0.35, "ILS", "IEC high-voltage time-of-use tariff, annual average ≈0.35 ₪/kWh"),
    "ZA": (1.55, "ZAR", "Eskom Megaflex 2024/25 incl. network charges, ≈R1.5-1.6/kWh"),
    "IN-MH": (9.5, "INR", "MSEDCL HT-I industrial tariff 2024 incl. demand and wheeling charges, ≈₹9-10/kWh"),
    "IN-DL": (8.5, "INR", "north Indian HT industrial tariffs (Delhi, Uttar Pradesh, Haryana), ≈₹8-9/kWh"),
    "SG": (0.26, "SGD", "SP Group high-tension tariff 2024, ≈26 S¢/kWh"),
    "ID": (1114.74, "IDR", "PLN tariff for large business/industrial customers (B-3, I-4), Rp 1,114.74/kWh in 2024"),
    "HK": (1.35, "HKD", "CLP Power large-power tariff incl. fuel clause charge, ≈HK$1.3-1.4/kWh"),
    "JP": (22.0, "JPY", "extra-high-voltage industrial price incl. fuel-cost adjustment and renewable levy, ≈¥20-24/kWh"),
    "KR": (182.0, "KRW", "KEPCO industrial average sales price 2024, ≈₩180/kWh"),
}

# --- marginal carbon (assumption): emission factor of the plant type usually on the margin ---
MARGINAL_G_PER_KWH = {"gas": 430.0, "coal-gas": 650.0, "coal": 975.0}

# --- PUE (estimate): hyperscale fleets report 1.10 (Google), 1.15 (AWS 2024), 1.18 (Microsoft) --
PUE_BY_CLIMATE = (  # (annual mean temperature below [°C], PUE)
    (12.0, 1.10),    # cool: free cooling most of the year
    (20.0, 1.15),    # temperate
    (math.inf, 1.20),  # hot or humid
)

# --- capacity (assumption): spare capacity over the region's own demand, as a fraction ------
CAPACITY_SLACK = {
    "constrained": 0.2,  # hub with grid or permitting limits (moratoria, connection queues)
    "hub": 0.5,          # ordinary hub
    "energy": 2.0,       # cheap or clean site built to export compute, still finite
}
CAPACITY_STEP_MW = 5

# --- demand (assumption on IEA figures) ------------------------------------------------------
DATA_CENTRE_TWH_2024 = Fact(415.0, "IEA, Energy and AI (2025): data-centre electricity use in 2024", "estimate")
ACCELERATED_SHARE = Fact(0.15, "IEA, Energy and AI (2025): accelerated servers ≈15 % of data-centre electricity in 2024", "estimate")
INFERENCE_SHARE = Fact(0.5, "share of accelerated-server energy spent on inference rather than training", "assumption")
MACRO_SHARE = {  # IEA, Energy and AI (2025): shares of data-centre electricity in 2024; China (25 %) is out of scope
    "US": 0.45, "Europe": 0.15, "Rest": 0.15,
}
HOURS_PER_YEAR = 8760.0

# (node, macro region, catchment, rough 2024 GDP of the catchment [US$ trillion]); within a macro
# region demand is split in proportion to the GDP of the users nearest to each node (assumption)
CATCHMENTS = (
    ("us-va", "US", "US North-East, Mid-Atlantic, South-East, Ohio, Michigan", 12.5),
    ("us-ia", "US", "US Midwest (IL, IN, WI, MN, IA, MO, KS, NE, Dakotas)", 3.4),
    ("us-tx", "US", "TX, OK, LA, AR, MS, AL", 3.9),
    ("us-ca", "US", "CA, NV, AZ, UT, CO, NM, HI", 5.4),
    ("us-or", "US", "OR, ID, MT, WY", 0.55),
    ("us-wa", "US", "WA, AK", 0.95),
    ("gb-lon", "Europe", "United Kingdom", 3.6),
    ("ie-dub", "Europe", "Ireland", 0.55),
    ("nl-ams", "Europe", "Netherlands, Belgium", 1.85),
    ("de-fra", "Europe", "Germany, Austria, Switzerland, Czechia, Luxembourg", 6.6),
    ("fr-par", "Europe", "France", 3.2),
    ("es-mad", "Europe", "Spain, Portugal", 2.0),
    ("it-mil", "Europe", "Italy, Slovenia, Croatia, Greece", 2.8),
    ("pl-waw", "Europe", "Poland, Baltics, Hungary, Slovakia, Romania, Bulgaria", 1.9),
    ("se-sto", "Europe", "Sweden, Norway, Denmark", 1.5),
    ("fi-hel", "Europe", "Finland", 0.3),
    ("ca-qc", "Rest", "Canada", 2.2),
    ("us-tx", "Rest", "Mexico", 1.85),
    ("br-sp", "Rest", "Brazil, Paraguay, Uruguay", 2.3),
    ("cl-scl", "Rest", "Chile, Argentina, Peru, Bolivia", 1.3),
    ("ae-dxb", "Rest", "Gulf Cooperation Council", 2.2),
    ("il-tlv", "Rest", "Israel, Türkiye, Egypt, Jordan", 2.3),
    ("za-jnb", "Rest", "sub-Saharan Africa", 1.9),
    ("in-bom", "Rest", "western and southern India", 2.1),
    ("in-del", "Rest", "northern and eastern India, Pakistan, Bangladesh", 2.6),
    ("sg-sin", "Rest", "Singapore, Malaysia, Thailand, Vietnam", 2.0),
    ("id-jkt", "Rest", "Indonesia", 1.4),
    ("hk-hkg", "Rest", "Hong Kong, Taiwan, Philippines", 1.7),
    ("jp-tyo", "Rest", "Japan", 4.0),
    ("kr-sel", "Rest", "South Korea", 1.7),
    ("au-syd", "Rest", "NSW, Queensland, ACT, New Zealand", 1.2),
    ("au-mel", "Rest", "Victoria, South, Western Australia, Tasmania", 0.85),
)

# --- workloads -------------------------------------------------------------------------------
# energy per request: Epoch AI (2025), "How much energy does ChatGPT use?": ≈0.3 Wh for a typical
# GPT-4o query, ≈2.5 Wh with 10k input tokens (estimate)
@dataclass(frozen=True)
class WorkloadSpec:
    """An inference class; ``kb``/``wh`` per request set g = kB/request ÷ Wh/request [GB/MWh]."""

    id: str
    name: str
    budget_ms: float
    budget_why: str
    pinned: float
    pinned_why: str
    kb: float
    wh: float
    request: str
    overhead: float
    overhead_why: str
    residency: bool
    residency_why: str
    share: float


WORKLOADS = (
    WorkloadSpec("voice", "Realtime voice and agents", 25,
                 "voice-to-voice target <≈800 ms is mostly ASR+LLM+TTS time; a detour may add a few tens of ms",
                 0.5, "live audio sessions stay on their media server with their KV cache",
                 500, 1.5, "one minute of conversation: Opus 32 kbit/s each way (480 kB) + 4 turns × 5 kB text; "
                 "4 LLM turns × 0.3 Wh (Epoch AI) + 0.3 Wh speech recognition and synthesis",
                 0.05, "warm standby of speech models and session hand-over",
                 True, "voice carries personal (possibly biometric) data", 0.05),
    WorkloadSpec("chat", "Interactive chat", 60,
                 "token streaming starts within ≈1 s; 60 ms keeps a continent, not an ocean crossing",
                 0.3, "ongoing conversations keep prompt/KV caches at home",
                 12, 0.3, "one query: 8 kB prompt and history (≈2,000 tokens) + 4 kB streamed reply; 0.3 Wh (Epoch AI)",
                 0.03, "relocated requests lose prefix-cache hits and re-run prefill",
                 True, "conversations carry personal data", 0.35),
    WorkloadSpec("api", "API and copilots", 150,
                 "completion and RAG APIs tolerate ≈100-200 ms of network on top of inference",
                 0.2, "deployments tied to local retrieval indexes or customer data",
                 26, 0.5, "one call: 24 kB code/RAG context (≈6,000 tokens) + 2 kB completion; "
                 "0.5 Wh, between Epoch AI's 0.3 Wh short and 2.5 Wh 10k-token queries, smaller models",
                 0.03, "prefix caches lost on relocation",
                 False, "B2B developer traffic, mostly non-personal; transfers under contract clauses", 0.25),
    WorkloadSpec("agentic", "Agentic / asynchronous", 500,
                 "multi-step tasks take seconds to minutes; half a second of network is immaterial",
                 0.1, "agents bound to local tools or data stores",
                 500, 25.0, "one task: 10 model calls × ≈10k-token contexts × 2.5 Wh (Epoch AI); "
                 "task, tool results relayed via home services and result ≈500 kB",
                 0.02, "context re-sent and re-encoded at the remote site",
                 True, "agents act on mailboxes, calendars and files: personal data", 0.15),
    WorkloadSpec("batch", "Batch", 10000,
                 "deadlines are hours (e.g. 24 h batch APIs); any budget above the largest RTT on Earth "
                 "(≈300 ms by the distance model) is equivalent, 10 s keeps charts readable",
                 0.0, "no session state",
                 510, 3.0, "one document: 500 kB source file shipped + 10 kB output; ≈12k tokens ≈3 Wh (Epoch AI scaling)",
                 0.01, "job staging only",
                 False, "anonymised, pseudonymised or public documents", 0.20),
)
WORKLOAD_FLAGS = {"latency_budget": "assumption", "state_pinned": "assumption", "gb_per_mwh": "estimate",
                  "migration_overhead": "assumption", "residency": "assumption", "demand_share": "assumption"}

# --- scenario settings -----------------------------------------------------------------------
RTT_PROXY_MAX_KM = 300.0  # a region uses its nearest Azure region's measured RTTs within this radius
MIGRATION_USD_PER_MWH = 0.0  # state transfer is priced through ω (energy) and g·e (egress) already
UNSERVED_USD_PER_MWH = 10000.0
REGIONAL_MS = 30.0

# --- HVDC reference figures (estimate) -------------------------------------------------------
HVDC_REFERENCE = {
    "uhvdc_800kv_bipole_rating_mw": Fact(
        8000, "±800 kV LCC bipoles: Xiangjiaba-Shanghai 6,400 MW (ABB, 2010), Jinping-Sunan 7,200 MW, "
              "Hami-Zhengzhou 8,000 MW; ±1,100 kV Changji-Guquan 12,000 MW", "estimate"),
    "hvdc_500kv_bipole_rating_mw": Fact(
        2500, "±500 kV bipoles: 2,000-3,000 MW (e.g. Three Gorges-Changzhou 3,000 MW; ±525 kV VSC links 2,000 MW)",
        "estimate"),
    "uhvdc_800kv_line_loss_pct_per_1000km": Fact(
        3.0, "physics at rating: 6 × ACSR 1,000 mm² per pole ≈0.0048 Ω/km, I = 8 GW / 1.6 MV = 5 kA, "
             "2·I²·R·1,000 km ≈ 240 MW = 3.0 %; vendors (ABB/Hitachi Energy, Siemens Energy) quote ≈3-3.5 %", "estimate"),
    "hvdc_500kv_line_loss_pct_per_1000km": Fact(
        5.0, "physics at rating: 4 × ACSR 720 mm² per pole ≈0.010 Ω/km, I = 2.5 GW / 1.0 MV = 2.5 kA, "
             "2·I²·R·1,000 km ≈ 125 MW = 5 %", "estimate"),
    "converter_station_loss_pct": Fact(
        0.7, "per converter station at rating, LCC (ABB/Hitachi Energy ≈0.7 %); VSC ≈1 %", "estimate"),
    "uhvdc_line_capex_musd_per_km": Fact(
        1.0, "±800 kV overhead line, order of magnitude: ≈0.7 M$/km in China, 2 M$/km or more in Europe/US", "estimate"),
    "hvdc_500kv_line_capex_musd_per_km": Fact(
        0.8, "±500 kV overhead line, order of magnitude: 0.4-2 M$/km by country and terrain", "estimate"),
    "uhvdc_converter_pair_capex_musd": Fact(
        1600, "8 GW LCC terminal pair at ≈0.2 M$/MW (both ends), order of magnitude", "estimate"),
    "hvdc_500kv_converter_pair_capex_musd": Fact(
        600, "2.5 GW VSC terminal pair at ≈0.24 M$/MW (both ends), order of magnitude", "estimate"),
}


# ---------------------------------------------------------------------------------------------
# raw files

def read_coordinates_deg(provider: str) -> dict[str, tuple[float, float]]:
    """(lat, lon) [degrees] of each region in data/raw/<provider>_region_coordinates.json."""
    data = json.loads((RAW / f"{provider}_region_coordinates.json").read_text(encoding="utf-8"))
    return {key: (float(v.get("latitude", v.get("lat"))), float(v.get("longitude", v.get("lon"))))
            for key, v in data.items()}


def read_google_carbon_g_per_kwh() -> dict[str, float]:
    """Google Cloud region → 2024 grid carbon intensity [gCO2eq/kWh] (google_region_carbon_2024.csv)."""
    with open(RAW / "google_region_carbon_2024.csv", newline="", encoding="utf-8") as f:
        return {row["Google Cloud Region"]: float(row["Grid carbon intensity (gCO2eq / kWh)"])
                for row in csv.DictReader(f)}


def read_owid_carbon_g_per_kwh() -> dict[str, tuple[float, int]]:
    """ISO alpha-2 → (lifecycle carbon intensity [gCO2eq/kWh], year) (owid_ember_carbon_intensity_2023.csv)."""
    with open(RAW / "owid_ember_carbon_intensity_2023.csv", newline="", encoding="utf-8") as f:
        return {row["alpha-2"]: (float(row["Carbon intensity of electricity (gCO2eq/kWh)"]), int(row["Year"]))
                for row in csv.DictReader(f)}


def read_azure_rtt_ms() -> dict[tuple[str, str], float]:
    """(source key, destination key) → measured median RTT [ms], Azure keys (e.g. "eastus")."""
    display = json.loads((RAW / "azure_region_coordinates.json").read_text(encoding="utf-8"))
    key_of = {v["displayName"]: k for k, v in display.items()}
    with open(RAW / "azure_rtt_ms_2025-07.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header = rows[0][1:]
    return {(key_of[row[0]], key_of[dst]): float(cell)
            for row in rows[1:] for dst, cell in zip(header, row[1:]) if cell.strip()}


def read_wholesale_mean_2024(zone: str) -> float:
    """Mean [green-dcc "USD/MWh" column] of the hourly 2024 prices in <zone>_electricity_prices_2024.csv.gz,
    every hour weighted equally."""
    with gzip.open(RAW / f"{zone}_electricity_prices_2024.csv.gz", "rt", encoding="utf-8", newline="") as f:
        prices = [float(row["Price (USD/MWh)"]) for row in csv.DictReader(f)]
    if len(prices) != HOURS_2024:
        raise ValueError(f"{zone}: expected {HOURS_2024} hourly prices, got {len(prices)}")
    return math.fsum(prices) / len(prices)


def aws_inter_region_egress_usd_per_gb() -> float:
    """Median AWS region-to-region transfer price [$/GB] (aws_transfer_costs_usd_per_gb.csv)."""
    with open(RAW / "aws_transfer_costs_usd_per_gb.csv", newline="", encoding="utf-8") as f:
        return statistics.median(float(r["cost"]) for r in csv.DictReader(f) if r["dst"] != "internet")


# ---------------------------------------------------------------------------------------------
# region values

def usd_per_mwh_from_cents_per_kwh(cents_per_kwh: float) -> float:
    """¢/kWh → $/MWh (× 10)."""
    return cents_per_kwh * 10.0


def usd_per_mwh_from_local_per_mwh(local_per_mwh: float, usd_per_unit: float) -> float:
    """Local currency per MWh → $/MWh at ``usd_per_unit`` $ per unit of currency."""
    return local_per_mwh * usd_per_unit


def usd_per_mwh_from_local_per_kwh(local_per_kwh: float, usd_per_unit: float) -> float:
    """Local currency per kWh → $/MWh at ``usd_per_unit`` $ per unit of currency."""
    return local_per_kwh * usd_per_unit * 1000.0


def wholesale_2024_facts() -> dict[str, Fact]:
    """2024 wholesale annual mean [WHOLESALE_CURRENCY/MWh] per key: hourly files, else the given values."""
    facts = dict(WHOLESALE_2024_GIVEN)
    for key, (zone, market) in WHOLESALE_2024_FILES.items():
        mean = read_wholesale_mean_2024(zone) / GREEN_DCC_USD_PER_UNIT[WHOLESALE_CURRENCY[key]]
        facts[key] = Fact(round(mean, 1), f"2024 mean of {HOURS_2024:,} hourly prices, {market}", "measured")
    return dict(sorted(facts.items()))


def price_facts() -> dict[str, Fact]:
    """Delivered electricity price [$/MWh] per price key of REGIONS, with source and flag."""
    facts = {f"EIA:{st}": Fact(round(usd_per_mwh_from_cents_per_kwh(c), 1), f"{EIA_SOURCE}: {st} {c} ¢/kWh", "measured")
             for st, c in EIA_2023_INDUSTRIAL_CENTS_PER_KWH.items()}
    for key, wholesale in wholesale_2024_facts().items():
        currency, adder = WHOLESALE_CURRENCY[key], NETWORK_LEVIES_SUPPLY_2024[key]
        rate = USD_PER_EUR.value if currency == "EUR" else USD_PER_UNIT_2024[currency]
        local = wholesale.value + adder.value
        flag = "measured" if wholesale.flag == adder.flag == "measured" else "estimate"
        facts[f"WHOLESALE:{key}"] = Fact(
            round(usd_per_mwh_from_local_per_mwh(local, rate), 1),
            f"large-consumer basis (≈440 GWh a year, Eurostat band IG scale) = wholesale, {wholesale.source}: "
            f"{wholesale.value:g} {currency}/MWh ({wholesale.flag}) + network, levies and supply: "
            f"{adder.value:g} {currency}/MWh ({adder.source}; {adder.flag}, recalled) = {local:g} {currency}/MWh "
            f"× {rate:.6g} $/{currency}", flag)
    for key, (value, currency, why) in LOCAL_PRICE_ESTIMATES.items():
        rate = USD_PER_UNIT_2024[currency]
        facts[f"LOCAL:{key}"] = Fact(round(usd_per_mwh_from_local_per_kwh(value, rate), 1),
                                     f"{why}: {value} {currency}/kWh × {rate:.6g} $/{currency}", "estimate")
    return facts


def carbon_avg_fact(carbon: str, google: dict[str, float], owid: dict[str, tuple[float, int]]) -> Fact:
    """Average grid carbon intensity [gCO2eq/kWh] for a REGIONS ``carbon`` key."""
    kind, key = carbon.split(":")
    if kind == "owid":
        value, year = owid[key]
        return Fact(round(value, 1), f"OWID/Ember {year}, {key} (lifecycle)", "measured")
    if kind == "~google":
        return Fact(google[key], f"Google 2024 grid intensity of {key}, a neighbouring grid", "estimate")
    return Fact(google[key], f"Google 2024 grid intensity, {key}", "measured")


def pue_from_temperature(temp_c: float) -> float:
    """PUE [-] of a hyperscale site by annual mean temperature [°C] (PUE_BY_CLIMATE)."""
    return next(pue for limit, pue in PUE_BY_CLIMATE if temp_c < limit)


def capacity_mw(demand_mw: float, slack: float) -> int:
    """IT capacity [MW]: own demand × (1 + slack), rounded up to CAPACITY_STEP_MW."""
    return int(math.ceil(demand_mw * (1.0 + slack) / CAPACITY_STEP_MW - 1e-9) * CAPACITY_STEP_MW)


# ---------------------------------------------------------------------------------------------
# demand

def world_inference_mw(macro: str) -> float:
    """Average AI-inference IT power [MW] of a macro region: TWh × share × accelerated × inference ÷ h."""
    mwh = DATA_CENTRE_TWH_2024.value * 1e6 * MACRO_SHARE[macro] * ACCELERATED_SHARE.value * INFERENCE_SHARE.value
    return mwh / HOURS_PER_YEAR


def node_demand_mw() -> dict[str, float]:
    """Total inference demand [MW] per node: each macro total split by catchment GDP."""
    gdp_of_macro = {m: sum(c[3] for c in CATCHMENTS if c[1] == m) for m in MACRO_SHARE}
    out: dict[str, float] = {}
    for node, macro, _, gdp in CATCHMENTS:
        out[node] = out.get(node, 0.0) + world_inference_mw(macro) * gdp / gdp_of_macro[macro]
    return out


def demand_rows() -> list[dict]:
    """Demand [MW] per (node, workload), split by the workloads' shares, rounded to 0.1 MW."""
    total = node_demand_mw()
    return [{"node": r.id, "workload": w.id, "mw": round(total[r.id] * w.share, 1)}
            for r in REGIONS for w in WORKLOADS]


# ---------------------------------------------------------------------------------------------
# round-trip times

def nearest_azure(lat_deg: float, lon_deg: float, azure: dict[str, tuple[float, float]]) -> tuple[str, float]:
    """The Azure region nearest to a point and its distance [km]."""
    return min(((key, float(haversine_km(lat_deg, lon_deg, *ll))) for key, ll in sorted(azure.items())),
               key=lambda kv: kv[1])


def measured_rtt_ms(pa: str, pb: str, measured: dict[tuple[str, str], float]) -> float | None:
    """Mean of the measured RTTs [ms] between two Azure regions over both directions, or None."""
    values = [measured[k] for k in ((pa, pb), (pb, pa)) if k in measured]
    return sum(values) / len(values) if values else None


def rtt_pair_rows(regions: list[dict]) -> list[dict]:
    """One row per unordered region pair: RTT [ms], its source and the Azure proxies used."""
    measured = read_azure_rtt_ms()
    in_matrix = {k for pair in measured for k in pair}
    azure = {k: ll for k, ll in read_coordinates_deg("azure").items() if k in in_matrix}
    proxy = {r["id"]: nearest_azure(r["lat"], r["lon"], azure) for r in regions}
    rows = []
    for i, a in enumerate(regions):
        for b in regions[i + 1:]:
            (pa, ka), (pb, kb) = proxy[a["id"]], proxy[b["id"]]
            km = float(haversine_km(a["lat"], a["lon"], b["lat"], b["lon"]))
            value = measured_rtt_ms(pa, pb, measured) if max(ka, kb) <= RTT_PROXY_MAX_KM and pa != pb else None
            source = "azure-measured" if value is not None else "distance-model"
            if value is None:
                value = float(rtt_from_distance_ms(km))
            rows.append({"a": a["id"], "b": b["id"], "rtt_ms": round(value, 1), "source": source,
                         "distance_km": round(km, 1), "proxy_a": pa, "proxy_b": pb,
                         "proxy_km_a": round(ka, 1), "proxy_km_b": round(kb, 1)})
    return rows


# ---------------------------------------------------------------------------------------------
# tables

def region_rows(demand: list[dict]) -> list[dict]:
    """regions.csv rows: every model value with its source and flag."""
    coords = {p: read_coordinates_deg(p) for p in ("aws", "gcp", "azure")}
    google, owid, prices = read_google_carbon_g_per_kwh(), read_owid_carbon_g_per_kwh(), price_facts()
    total = {r.id: sum(d["mw"] for d in demand if d["node"] == r.id) for r in REGIONS}
    rows = []
    for r in REGIONS:
        provider, key = r.coords.split(":")
        lat, lon = coords[provider][key]
        price, carbon = prices[r.price], carbon_avg_fact(r.carbon, google, owid)
        pue = pue_from_temperature(r.temp_c)
        slack = CAPACITY_SLACK[r.site]
        rows.append({
            "id": r.id, "name": r.name, "continent": r.continent,
            "lat": round(lat, 4), "lon": round(lon, 4), "country": r.country, "residency_zone": r.zone or "",
            "price_usd_per_mwh": price.value, "price_source": price.source, "price_flag": price.flag,
            "carbon_avg_g_per_kwh": carbon.value, "carbon_avg_source": carbon.source, "carbon_avg_flag": carbon.flag,
            "carbon_marginal_g_per_kwh": MARGINAL_G_PER_KWH[r.margin],
            "carbon_marginal_source": f"{r.margin} on the margin ({r.margin_note})",
            "carbon_marginal_flag": "assumption",
            "pue": pue, "pue_source": f"hyperscale fleet range by climate: annual mean {r.temp_c} °C",
            "pue_flag": "estimate",
            "capacity_mw": capacity_mw(total[r.id], slack),
            "capacity_source": f"{r.site} site: own demand {round(total[r.id], 1)} MW × (1 + {slack}), "
                               f"rounded up to {CAPACITY_STEP_MW} MW",
            "capacity_flag": "assumption",
            "coords_source": f"{provider}:{key} (city-level)", "coords_flag": "estimate",
        })
    return rows


def gb_per_mwh(kb_per_request: float, wh_per_request: float) -> float:
    """Data intensity [GB/MWh] = kB × 1e3 B/kB ÷ Wh × 1e6 Wh/MWh ÷ 1e9 B/GB, rounded to 0.1."""
    return round(kb_per_request * 1e3 / wh_per_request * 1e6 / 1e9, 1)


def workload_rows() -> list[dict]:
    """workloads.csv rows: every class value with its justification and flag."""
    f = WORKLOAD_FLAGS
    return [{
        "id": w.id, "name": w.name,
        "latency_budget_ms": w.budget_ms, "latency_budget_source": w.budget_why, "latency_budget_flag": f["latency_budget"],
        "state_pinned_share": w.pinned, "state_pinned_source": w.pinned_why, "state_pinned_flag": f["state_pinned"],
        "kb_per_request": w.kb, "wh_per_request": w.wh,
        "gb_per_mwh": gb_per_mwh(w.kb, w.wh),
        "gb_per_mwh_source": f"{w.kb:g} kB ÷ {w.wh:g} Wh per request; {w.request}",
        "gb_per_mwh_flag": f["gb_per_mwh"],
        "migration_overhead": w.overhead, "migration_overhead_source": w.overhead_why,
        "migration_overhead_flag": f["migration_overhead"],
        "residency_bound": str(w.residency).lower(), "residency_source": w.residency_why, "residency_flag": f["residency"],
        "demand_share": w.share, "demand_share_source": "share of inference IT energy, stylised",
        "demand_share_flag": f["demand_share"],
    } for w in WORKLOADS]


def scenario_dict(regions: list[dict], workloads: list[dict], demand: list[dict], rtt: list[dict]) -> dict:
    """The MODEL.md scenario; only the Azure-measured RTTs are listed (the rest follow the model)."""
    node_keys = ("id", "name", "lat", "lon", "country", "residency_zone", "price_usd_per_mwh",
                 "carbon_avg_g_per_kwh", "carbon_marginal_g_per_kwh", "pue", "capacity_mw")
    nodes = [{k: (r[k] or None) if k == "residency_zone" else r[k] for k in node_keys} for r in regions]
    rtt_ms: dict[str, dict[str, float]] = {}
    for p in rtt:
        if p["source"] == "azure-measured":
            rtt_ms.setdefault(p["a"], {})[p["b"]] = p["rtt_ms"]
    return {
        "schema_version": 1,
        "name": "Stylised global simulation",
        "description": (f"{len(regions)} representative compute regions on six continents and {len(workloads)} "
                        "inference classes. Prices, grid carbon, PUE, capacity, demand and round-trip times, "
                        "each with its source and a measured/estimate/assumption flag: data/SOURCES.md; "
                        "built by data/build_default_scenario.py."),
        "period_hours": HOURS_PER_YEAR,
        "nodes": nodes,
        "workloads": [{"id": w["id"], "name": w["name"], "latency_budget_ms": w["latency_budget_ms"],
                       "state_pinned_share": w["state_pinned_share"], "gb_per_mwh": w["gb_per_mwh"],
                       "migration_overhead": w["migration_overhead"],
                       "residency_bound": w["residency_bound"] == "true"} for w in workloads],
        "demand": demand,
        "rtt_ms": rtt_ms,
        "latency_model": {"fixed_ms": 5.0, "route_inflation": 1.5, "fiber_km_per_ms": 200.0},
        "frictions": {"egress": True, "migration": True, "state_locality": True, "legal": True, "capacity": True},
        "prices": {"egress_usd_per_gb": aws_inter_region_egress_usd_per_gb(),
                   "migration_usd_per_mwh": MIGRATION_USD_PER_MWH, "unserved_usd_per_mwh": UNSERVED_USD_PER_MWH},
        "objective": {"carbon_signal": "marginal", "carbon_price_usd_per_t": 0.0},
        "regional_ms": REGIONAL_MS,
    }


def hvdc_reference() -> dict:
    """hvdc_reference.json: each figure as {value, unit, source, flag}."""
    units = {"_mw": "MW", "_pct_per_1000km": "% of rated power per 1000 km", "_pct": "% of rated power",
             "_musd_per_km": "million US$ per km", "_musd": "million US$"}
    figures = {}
    for name, fact in HVDC_REFERENCE.items():
        unit = next(u for suffix, u in units.items() if name.endswith(suffix))
        figures[name] = {"value": fact.value, "unit": unit, "source": fact.source, "flag": fact.flag}
    return {"description": "Reference figures for moving the same power physically over HVDC instead of "
                           "moving the computation (see data/SOURCES.md). All are order-of-magnitude estimates.",
            "figures": figures}


# ---------------------------------------------------------------------------------------------
# world outline (TopoJSON → GeoJSON)

def decode_arcs_deg(topology: dict) -> list[list[tuple[float, float]]]:
    """Absolute (lon, lat) [degrees] of every arc of a quantized, delta-encoded TopoJSON topology."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def ring_deg(arc_indices: list[int], arcs: list[list[tuple[float, float]]]) -> list[tuple[float, float]]:
    """A closed ring from TopoJSON arc indices (a negative index ~i is arc i reversed)."""
    ring: list[tuple[float, float]] = []
    for i in arc_indices:
        points = arcs[i] if i >= 0 else arcs[~i][::-1]
        ring.extend(points if not ring else points[1:])
    return ring


def clip_ring_lon(ring: list[tuple[float, float]], bound_deg: float, keep_below: bool) -> list[tuple[float, float]]:
    """Sutherland-Hodgman: the part of a closed ring with lon ≤ bound (or ≥ bound), closed again."""
    def inside(p):
        return p[0] <= bound_deg if keep_below else p[0] >= bound_deg

    out = []
    for p, q in zip(ring[:-1], ring[1:]):
        if inside(p) != inside(q):
            t = (bound_deg - p[0]) / (q[0] - p[0])
            cut = (bound_deg, p[1] + t * (q[1] - p[1]))
            out.extend([cut, q] if inside(q) else [cut])
        elif inside(q):
            out.append(q)
    return out + out[:1] if out else []


def split_antimeridian(ring: list[tuple[float, float]]) -> list[list[tuple[float, float]]]:
    """Rings with no step > 180° in longitude: a crossing ring is unwrapped, then cut at ±180°."""
    if all(abs(q[0] - p[0]) <= 180 for p, q in zip(ring, ring[1:])):
        return [ring]
    unwrapped, shift = [ring[0]], 0.0
    for p, q in zip(ring, ring[1:]):
        shift += -360.0 if q[0] - p[0] > 180 else 360.0 if q[0] - p[0] < -180 else 0.0
        unwrapped.append((q[0] + shift, q[1]))
    pieces = []
    for offset in (-360.0, 0.0, 360.0):
        moved = [(x + offset, y) for x, y in unwrapped]
        piece = clip_ring_lon(clip_ring_lon(moved, 180.0, True), -180.0, False)
        if len(piece) >= 4:
            pieces.append(piece)
    return pieces


def rounded_ring(ring: list[tuple[float, float]], digits: int = 2) -> list[list[float]]:
    """Ring rounded to ``digits`` decimals [degrees], repeated points dropped, closed."""
    out: list[list[float]] = []
    for x, y in ring:
        p = [round(x, digits), round(y, digits)]
        if not out or p != out[-1]:
            out.append(p)
    if out and out[0] != out[-1]:
        out.append(out[0])
    return out


def signed_area_deg2(ring: list[list[float]]) -> float:
    """Shoelace area [deg²] in the lon/lat plane; > 0 for a counter-clockwise ring."""
    return sum(p[0] * q[1] - q[0] * p[1] for p, q in zip(ring, ring[1:])) / 2.0


def oriented(ring: list[list[float]], exterior: bool) -> list[list[float]]:
    """RFC 7946 winding: exterior rings counter-clockwise, holes clockwise."""
    return ring if (signed_area_deg2(ring) > 0) == exterior else ring[::-1]


def world_geojson(topology: dict, drop: tuple[str, ...] = ("Antarctica",)) -> dict:
    """The countries of a world-atlas TopoJSON as a GeoJSON FeatureCollection, antimeridian-safe."""
    arcs = decode_arcs_deg(topology)
    features = []
    for geom in topology["objects"]["countries"]["geometries"]:
        name = geom["properties"]["name"]
        if name in drop:
            continue
        polygons = [geom["arcs"]] if geom["type"] == "Polygon" else geom["arcs"]
        out = []
        for polygon in polygons:
            exteriors = [rounded_ring(r) for r in split_antimeridian(ring_deg(polygon[0], arcs))]
            holes = [rounded_ring(ring_deg(h, arcs)) for h in polygon[1:]]
            for k, ext in enumerate(exteriors):
                if len(ext) >= 4 and signed_area_deg2(ext) != 0:
                    out.append([oriented(ext, True)] + ([oriented(h, False) for h in holes if len(h) >= 4]
                                                        if k == 0 else []))
        geometry = ({"type": "Polygon", "coordinates": out[0]} if len(out) == 1
                    else {"type": "MultiPolygon", "coordinates": out})
        features.append({"type": "Feature", "properties": {"name": name}, "geometry": geometry})
    return {"type": "FeatureCollection", "features": features}


# ---------------------------------------------------------------------------------------------
# output

def csv_text(rows: list[dict]) -> str:
    """CSV with a header row, "\\n" line ends."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def json_text(data: dict) -> str:
    """Indented, key-sorted JSON with a final newline (stable diffs)."""
    return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def geojson_text(collection: dict) -> str:
    """A FeatureCollection with one compact feature per line."""
    lines = [json.dumps(f, separators=(",", ":"), ensure_ascii=False) for f in collection["features"]]
    return '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"


def world_copies(collection: dict, shifts_deg: tuple[float, ...] = (-360.0, 0.0, 360.0)) -> dict:
    """Every country at each longitude shift [°]: the map's outline, served as a static file
    (``static/world_countries_3x.geojson``), so that a view framed across ±180° lies on land
    wherever its regions are drawn (pages/common/worldmap.py)."""
    def shifted(geometry: dict, dlon: float) -> dict:
        polys = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
        return {"type": "MultiPolygon",
                "coordinates": [[[[round(x + dlon, 2), y] for x, y in ring] for ring in poly] for poly in polys]}
    return {"type": "FeatureCollection",
            "features": [{"type": "Feature", "properties": f["properties"], "geometry": shifted(f["geometry"], d)}
                         for d in shifts_deg for f in collection["features"]]}


def build_outputs() -> dict[str, str]:
    """Relative path → text of every file this script writes."""
    demand = demand_rows()
    regions = region_rows(demand)
    workloads = workload_rows()
    rtt = rtt_pair_rows(regions)
    scenario = scenario_dict(regions, workloads, demand, rtt)
    parse_scenario(scenario)  # fails loudly if the scenario breaks MODEL.md
    topology = json.loads((RAW / "world_countries_110m.topo.json").read_text(encoding="utf-8"))
    world = world_geojson(topology)
    return {
        "data/regions.csv": csv_text(regions),
        "data/workloads.csv": csv_text(workloads),
        "data/demand.csv": csv_text(demand),
        "data/rtt_pairs.csv": csv_text(rtt),
        "data/hvdc_reference.json": json_text(hvdc_reference()),
        "data/world_countries.geojson": geojson_text(world),
        "static/world_countries_3x.geojson": geojson_text(world_copies(world)),
        "scenarios/default.json": json_text(scenario),
    }


def first_difference(outputs: dict[str, str], root: Path) -> str | None:
    """The first output whose file under ``root`` is missing or differs, or None."""
    for rel, text in outputs.items():
        path = root / rel
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            return rel
    return None


def write_or_check(build: Callable[[], dict[str, str]], description: str, argv: list[str] | None = None) -> int:
    """The command line of a derived-data script: write ``build()``'s files under ``--out`` (the
    repository by default), or with ``--check`` re-derive them in memory and exit 1 naming the
    first file that differs."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--out", type=Path, default=ROOT, help="root directory to write into (default: the repository)")
    parser.add_argument("--check", action="store_true",
                        help="re-derive in memory; exit 1 naming the first file under --out that differs")
    args = parser.parse_args(argv)
    outputs = build()
    if args.check:
        differing = first_difference(outputs, args.out)
        if differing:
            print(f"differs from a re-derivation: {differing}", file=sys.stderr)
            return 1
        print("all files up to date")
        return 0
    for rel, text in outputs.items():
        path = args.out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(write_or_check(build_outputs, __doc__.splitlines()[0]))
