"""Build the big clouds' regions: scenarios/world_cloud_regions.json and the data/world_*.csv tables.

Every AWS, Azure and Google Cloud region of data/raw/{aws,azure,gcp}_region_coordinates.json is a
node with its provider. The raw files, the facts and the helpers of data/build_default_scenario.py
are reused (prices, marginal-carbon classes, capacity slack, demand, workloads, RTT proxies,
scenario settings); the constants below add what the default does not cover, each with its source
and a flag ("measured", "estimate", "assumption"; data/SOURCES.md, section "The big clouds'
regions"). Run

    .venv/bin/python data/build_world_cloud_scenario.py [--out DIR] [--check]

to write DIR/data/world_{regions,demand,rtt_pairs}.csv and DIR/scenarios/world_cloud_regions.json
(DIR defaults to the repository). ``--check`` re-derives them in memory and exits 1 naming the
first file that differs from the one on disk. The output is deterministic, byte for byte.
"""
from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import build_default_scenario as base  # noqa: E402
from build_default_scenario import Fact  # noqa: E402

from core.latency import haversine_km, rtt_from_distance_ms  # noqa: E402
from core.scenario import parse_scenario  # noqa: E402

ROOT = base.ROOT
PROVIDERS = ("aws", "azure", "gcp")
PROVIDER_LABEL = {"aws": "AWS", "azure": "Azure", "gcp": "Google Cloud"}


# ---------------------------------------------------------------------------------------------
# sites: one grid, price and site class per metro; a region names its site in REGION_SITE

@dataclass(frozen=True)
class Site:
    """A metro where regions stand. ``google`` is the Google Cloud region of
    google_region_carbon_2024.csv on the same grid (same metro, balancing authority or bidding
    zone, named in ``grid``), or None: then the OWID/Ember country value stands in. ``price`` is a
    key of :func:`world_price_facts`, ``margin`` a key of MARGINAL_G_PER_KWH, ``site_class`` a key
    of CAPACITY_SLACK."""

    country: str
    grid: str
    google: str | None
    price: str
    margin: str
    margin_note: str
    site_class: str


def from_default(region_id: str, google: str | None, grid: str) -> Site:
    """A site in the metro of a default region: its country, price, marginal plant and site class."""
    r = next(r for r in base.REGIONS if r.id == region_id)
    return Site(r.country, grid, google, r.price, r.margin, r.margin_note, r.site)


SITES = {
    # North America
    "virginia": from_default("us-va", "us-east4", "PJM (Dominion zone)"),
    "ohio": Site("US", "PJM (AEP zone)", "us-east5", "EIA:OH", "coal-gas", "PJM: coal and gas units set the price",
                 "hub"),
    "chicago": Site("US", "PJM (ComEd zone; Google's PJM figure, equal for us-east4 and us-east5)", "us-east4",
                    "EIA:IL", "coal-gas", "PJM: coal and gas units set the price", "hub"),
    "bay-area": Site("US", "CAISO (no Google region in it)", None, "EIA:CA", "gas", "CAISO: gas outside solar hours",
                     "hub"),
    "los-angeles": from_default("us-ca", "us-west2", "LADWP (Los Angeles)"),
    "oregon": from_default("us-or", "us-west1", "Bonneville Power Administration"),
    "quincy": from_default("us-wa", None, "Grant County PUD (Google's Oregon region is in BPA)"),
    "iowa": from_default("us-ia", "us-central1", "MISO (Iowa)"),
    "san-antonio": from_default("us-tx", "us-south1", "ERCOT"),
    "south-carolina": Site("US", "Santee Cooper (South Carolina)", "us-east1", "EIA:SC", "coal-gas",
                           "Carolinas: coal and gas", "hub"),
    "salt-lake": Site("US", "PacifiCorp East", "us-west3", "EIA:UT", "coal-gas", "PacifiCorp East: coal and gas",
                      "hub"),
    "las-vegas": Site("US", "NV Energy", "us-west4", "EIA:NV", "gas", "Nevada: gas", "hub"),
    "phoenix": Site("US", "APS/SRP (no Google region in them)", None, "EIA:AZ", "gas", "Desert Southwest: gas", "hub"),
    "wyoming": Site("US", "WACM (Cheyenne; no Google region in it)", None, "EIA:WY", "coal-gas",
                    "Rocky Mountains: coal and gas", "hub"),
    "montreal": from_default("ca-qc", "northamerica-northeast1", "Hydro-Québec"),
    "toronto": Site("CA", "IESO (Ontario)", "northamerica-northeast2", "LOCAL:CA-ON", "gas",
                    "Ontario: gas on the margin over nuclear and hydro", "hub"),
    "queretaro": Site("MX", "CENACE national grid (Google's Querétaro region)", "northamerica-south1", "LOCAL:MX",
                      "gas", "Mexico: combined-cycle gas", "hub"),
    # South America
    "sao-paulo": from_default("br-sp", "southamerica-east1", "SIN, South-East/Centre-West subsystem"),
    "rio": Site("BR", "SIN, South-East/Centre-West subsystem", "southamerica-east1", "LOCAL:BR", "gas",
                "hydro-rich; gas thermal dispatched at the margin", "hub"),
    "santiago": from_default("cl-scl", "southamerica-west1", "SEN (Chile)"),
    # Europe
    "dublin": from_default("ie-dub", None, "all-island grid (no Google region on it)"),
    "london": from_default("gb-lon", "europe-west2", "GB"),
    "uk-west": Site("GB", "GB", "europe-west2", "WHOLESALE:GB", "gas", "GB: gas sets the price most hours", "hub"),
    "amsterdam": from_default("nl-ams", "europe-west4", "Netherlands bidding zone"),
    "belgium": Site("BE", "Belgium bidding zone", "europe-west1", "WHOLESALE:BE", "gas",
                    "Belgium: gas over nuclear baseload", "hub"),
    "frankfurt": from_default("de-fra", "europe-west3", "Germany-Luxembourg bidding zone"),
    "germany-north": Site("DE", "Germany-Luxembourg bidding zone", "europe-west3", "WHOLESALE:DE", "coal-gas",
                          "Germany: coal, lignite and gas", "hub"),
    "paris": from_default("fr-par", "europe-west9", "France bidding zone"),
    "marseille": Site("FR", "France bidding zone", "europe-west9", "WHOLESALE:FR", "gas",
                      "nuclear/hydro; extra load cuts exports that displace gas", "hub"),
    "madrid": from_default("es-mad", "europe-southwest1", "Spain bidding zone"),
    "milan": from_default("it-mil", "europe-west8", "Italy North bidding zone"),
    "zurich": Site("CH", "Switzerland bidding zone", "europe-west6", "WHOLESALE:CH", "gas",
                   "Swiss hydro/nuclear; extra load cuts exports that displace gas", "hub"),
    "geneva": Site("CH", "Switzerland bidding zone", "europe-west6", "WHOLESALE:CH", "gas",
                   "Swiss hydro/nuclear; extra load cuts exports that displace gas", "hub"),
    "vienna": Site("AT", "Austria bidding zone (no Google region in it)", None, "WHOLESALE:AT", "gas",
                   "Austria: gas over hydro", "hub"),
    "warsaw": from_default("pl-waw", "europe-central2", "Poland bidding zone"),
    "stockholm": from_default("se-sto", "europe-north2", "Sweden SE3 bidding zone"),
    "finland": from_default("fi-hel", "europe-north1", "Finland bidding zone"),
    "oslo": Site("NO", "Norway NO1 (no Google region in Norway)", None, "WHOLESALE:NO", "gas",
                 "Nordic hydro; extra load cuts exports that displace gas", "energy"),
    "stavanger": Site("NO", "Norway NO2 (no Google region in Norway)", None, "WHOLESALE:NO", "gas",
                      "Nordic hydro; extra load cuts exports that displace gas", "energy"),
    # Middle East and Africa
    "dubai": from_default("ae-dxb", None, "DEWA (no Google region in the UAE)"),
    "abu-dhabi": Site("AE", "TAQA/EWEC (no Google region in the UAE)", None, "LOCAL:AE", "gas", "UAE: gas", "hub"),
    "bahrain": Site("BH", "EWA (no Google region in Bahrain)", None, "LOCAL:BH", "gas", "Bahrain: gas", "hub"),
    "doha": Site("QA", "Kahramaa (Google's Doha region)", "me-central1", "LOCAL:QA", "gas", "Qatar: gas", "hub"),
    "tel-aviv": from_default("il-tlv", "me-west1", "Israel (IEC/Noga)"),
    "johannesburg": from_default("za-jnb", "africa-south1", "Eskom national grid"),
    "cape-town": Site("ZA", "Eskom national grid", "africa-south1", "LOCAL:ZA", "coal", "Eskom: coal", "hub"),
    # Asia
    "mumbai": from_default("in-bom", "asia-south1", "India Western regional grid (Maharashtra)"),
    "indore": Site("IN", "India Western regional grid (Madhya Pradesh)", "asia-south1", "LOCAL:IN-MP", "coal",
                   "India: coal", "hub"),
    "delhi": from_default("in-del", "asia-south2", "India Northern regional grid"),
    "hyderabad": Site("IN", "India Southern regional grid (no Google region in it)", None, "LOCAL:IN-TG", "coal",
                      "India: coal", "hub"),
    "chennai": Site("IN", "India Southern regional grid (no Google region in it)", None, "LOCAL:IN-TN", "coal",
                    "India: coal", "hub"),
    "singapore": from_default("sg-sin", "asia-southeast1", "Singapore"),
    "kuala-lumpur": Site("MY", "Peninsular Malaysia, TNB (no Google region in it)", None, "LOCAL:MY", "coal-gas",
                         "Peninsular Malaysia: coal and gas", "hub"),
    "jakarta": from_default("id-jkt", "asia-southeast2", "Java-Bali grid"),
    "hong-kong": from_default("hk-hkg", "asia-east2", "Hong Kong"),
    "taiwan": Site("TW", "Taipower", "asia-east1", "LOCAL:TW", "coal-gas", "Taipower: coal and LNG", "constrained"),
    "tokyo": from_default("jp-tyo", "asia-northeast1", "TEPCO area"),
    "osaka": Site("JP", "Kansai area", "asia-northeast2", "LOCAL:JP", "gas", "Kansai area: LNG-fired units", "hub"),
    "seoul": from_default("kr-sel", "asia-northeast3", "KEPCO national grid"),
    "busan": Site("KR", "KEPCO national grid", "asia-northeast3", "LOCAL:KR", "coal-gas", "Korea: coal and LNG", "hub"),
    "beijing": Site("CN", "North China grid (no Google region in China)", None, "LOCAL:CN-BJ", "coal",
                    "North China: coal", "hub"),
    "ningxia": Site("CN", "Northwest China grid (no Google region in China)", None, "LOCAL:CN-NX", "coal",
                    "Northwest China: coal", "hub"),
    # Oceania
    "sydney": from_default("au-syd", "australia-southeast1", "NEM New South Wales region"),
    "canberra": Site("AU", "NEM New South Wales region (the ACT is in it)", "australia-southeast1",
                     "WHOLESALE:AU-NSW", "coal", "NEM New South Wales: black coal", "hub"),
    "melbourne": from_default("au-mel", "australia-southeast2", "NEM Victoria region"),
    "auckland": Site("NZ", "New Zealand (no Google region in it)", None, "LOCAL:NZ", "gas",
                     "New Zealand: gas, Huntly coal in dry years", "hub"),
}

REGION_SITE = {
    "aws:us-east-1": "virginia", "aws:us-east-2": "ohio", "aws:us-west-1": "bay-area", "aws:us-west-2": "oregon",
    "aws:af-south-1": "cape-town", "aws:ap-east-1": "hong-kong", "aws:ap-south-1": "mumbai",
    "aws:ap-southeast-1": "singapore", "aws:ap-southeast-2": "sydney", "aws:ap-northeast-1": "tokyo",
    "aws:ap-northeast-2": "seoul", "aws:ap-northeast-3": "osaka", "aws:ca-central-1": "montreal",
    "aws:eu-central-1": "frankfurt", "aws:eu-west-1": "dublin", "aws:eu-west-2": "london", "aws:eu-west-3": "paris",
    "aws:eu-north-1": "stockholm", "aws:eu-south-1": "milan", "aws:me-central-1": "dubai", "aws:me-south-1": "bahrain",
    "aws:sa-east-1": "sao-paulo", "aws:ap-south-2": "hyderabad", "aws:ap-southeast-3": "jakarta",
    "aws:ap-southeast-4": "melbourne", "aws:eu-south-2": "madrid", "aws:eu-central-2": "zurich",
    "aws:il-central-1": "tel-aviv", "aws:us-gov-east-1": "ohio", "aws:us-gov-west-1": "oregon",
    "aws:cn-north-1": "beijing", "aws:cn-northwest-1": "ningxia",
    "azure:australiacentral": "canberra", "azure:australiacentral2": "canberra", "azure:australiaeast": "sydney",
    "azure:australiasoutheast": "melbourne", "azure:austriaeast": "vienna", "azure:belgiumcentral": "belgium",
    "azure:brazilsouth": "sao-paulo", "azure:brazilsoutheast": "rio", "azure:canadacentral": "toronto",
    "azure:canadaeast": "montreal", "azure:chilecentral": "santiago", "azure:centralindia": "mumbai",
    "azure:centralus": "iowa", "azure:eastasia": "hong-kong", "azure:eastus": "virginia", "azure:eastus2": "virginia",
    "azure:francecentral": "paris", "azure:francesouth": "marseille", "azure:germanynorth": "germany-north",
    "azure:germanywestcentral": "frankfurt", "azure:indonesiacentral": "jakarta", "azure:israelcentral": "tel-aviv",
    "azure:italynorth": "milan", "azure:japaneast": "tokyo", "azure:japanwest": "osaka", "azure:jioindiawest": "indore",
    "azure:koreacentral": "seoul", "azure:koreasouth": "busan", "azure:malaysiawest": "kuala-lumpur",
    "azure:mexicocentral": "queretaro", "azure:newzealandnorth": "auckland", "azure:northcentralus": "chicago",
    "azure:northeurope": "dublin", "azure:norwayeast": "oslo", "azure:norwaywest": "stavanger",
    "azure:polandcentral": "warsaw", "azure:qatarcentral": "doha", "azure:southafricanorth": "johannesburg",
    "azure:southafricawest": "cape-town", "azure:southcentralus": "san-antonio", "azure:southindia": "chennai",
    "azure:southeastasia": "singapore", "azure:spaincentral": "madrid", "azure:swedencentral": "stockholm",
    "azure:switzerlandnorth": "zurich", "azure:switzerlandwest": "geneva", "azure:uaecentral": "abu-dhabi",
    "azure:uaenorth": "dubai", "azure:uksouth": "london", "azure:ukwest": "uk-west", "azure:westcentralus": "wyoming",
    "azure:westeurope": "amsterdam", "azure:westindia": "mumbai", "azure:westus": "bay-area", "azure:westus2": "quincy",
    "azure:westus3": "phoenix",
    "gcp:us-central1": "iowa", "gcp:us-east1": "south-carolina", "gcp:us-east4": "virginia", "gcp:us-west1": "oregon",
    "gcp:us-west2": "los-angeles", "gcp:us-west3": "salt-lake", "gcp:us-west4": "las-vegas",
    "gcp:europe-west1": "belgium",
    "gcp:europe-west2": "london", "gcp:europe-west3": "frankfurt", "gcp:europe-west4": "amsterdam",
    "gcp:europe-west6": "zurich", "gcp:europe-west8": "milan", "gcp:europe-west9": "paris",
    "gcp:europe-north1": "finland",
    "gcp:asia-east1": "taiwan", "gcp:asia-east2": "hong-kong", "gcp:asia-northeast1": "tokyo",
    "gcp:asia-northeast2": "osaka", "gcp:asia-northeast3": "seoul", "gcp:asia-south1": "mumbai",
    "gcp:asia-south2": "delhi", "gcp:asia-southeast1": "singapore", "gcp:asia-southeast2": "jakarta",
    "gcp:australia-southeast1": "sydney", "gcp:australia-southeast2": "melbourne",
    "gcp:southamerica-east1": "sao-paulo",
    "gcp:southamerica-west1": "santiago", "gcp:me-west1": "tel-aviv",
}

# where the coordinate files misplace a region (estimate): region → (lat, lon, why)
COORDINATE_FIXES = {
    "aws:ca-central-1": (45.5019, -73.5674,
                         "AWS's Canada (Central) region is in the Montréal area; the file gives Toronto"),
    "aws:us-gov-east-1": (40.367474, -82.996216,
                          "the file gives the centre of the contiguous US for both GovCloud regions; "
                          "AWS GovCloud (US-East) is in Ohio (recalled): aws:us-east-2's point"),
    "aws:us-gov-west-1": (45.523064, -122.676483,
                          "the file gives the centre of the contiguous US for both GovCloud regions; "
                          "AWS GovCloud (US-West) is in the US Northwest (recalled): aws:us-west-2's point"),
}

# AWS partitions closed to the commercial partition's tenants: no demand and no capacity (assumption)
CLOSED_PARTITIONS = {"aws:us-gov-east-1": "aws-us-gov", "aws:us-gov-west-1": "aws-us-gov",
                     "aws:cn-north-1": "aws-cn", "aws:cn-northwest-1": "aws-cn"}

# country names of the AWS and Google coordinate files → ISO 3166-1 alpha-2 (a consistency check of SITES)
COUNTRY_ISO2 = {"United States": "US", "South Africa": "ZA", "Hong Kong": "HK", "India": "IN", "Singapore": "SG",
                "Australia": "AU", "Japan": "JP", "South Korea": "KR", "Canada": "CA", "Germany": "DE",
                "Ireland": "IE", "United Kingdom": "GB", "France": "FR", "Sweden": "SE", "Italy": "IT",
                "United Arab Emirates": "AE", "Bahrain": "BH", "Brazil": "BR", "Indonesia": "ID", "Spain": "ES",
                "Switzerland": "CH", "Israel": "IL", "China": "CN", "Belgium": "BE", "Netherlands": "NL",
                "Finland": "FI", "Taiwan": "TW", "Chile": "CL"}
CONTINENT = {
    "North America": ("US", "CA", "MX"), "South America": ("BR", "CL"),
    "Europe": ("IE", "GB", "NL", "BE", "DE", "FR", "ES", "IT", "CH", "AT", "PL", "SE", "FI", "NO"),
    "Africa": ("ZA",), "Oceania": ("AU", "NZ"),
    "Asia": ("AE", "BH", "QA", "IL", "IN", "SG", "MY", "ID", "HK", "TW", "JP", "KR", "CN"),
}
# residency zones as in the default (data/SOURCES.md): EU/EEA → EU, India → IN; China → CN (PIPL:
# personal data leaves only after a security assessment or a standard contract)
EU_EEA = {"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT", "LU",
          "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO"}
ZONE_OF_COUNTRY = {"IN": "IN", "CN": "CN"} | {c: "EU" for c in EU_EEA}

# --- PUE (estimate): each provider's published fleet figure, applied to each of its regions ---
PROVIDER_PUE = {
    "aws": Fact(1.15, "AWS global fleet PUE 2024 (1.15), applied to every AWS region", "estimate"),
    "azure": Fact(1.18, "Microsoft fleet PUE 1.18 (new builds 1.12), applied to every Azure region", "estimate"),
    "gcp": Fact(1.10, "Google fleet PUE about 1.10, applied to every Google Cloud region", "estimate"),
}

# --- demand (estimate): cloud infrastructure market shares, renormalised over the three ---------
MARKET_SHARE = {"aws": 0.30, "azure": 0.21, "gcp": 0.12}
MARKET_SHARE_SOURCE = ("Synergy Research Group, cloud infrastructure services, Q4 2024 (press release, "
                       "February 2025; recalled): AWS 30 %, Microsoft 21 %, Google 12 %")
# default catchments whose country holds one catchment: country → default node (CATCHMENTS' texts);
# in the US, India and Australia a region takes the nearest default node of its country
COUNTRY_CATCHMENT = {
    "GB": "gb-lon", "IE": "ie-dub", "NL": "nl-ams", "BE": "nl-ams", "DE": "de-fra", "AT": "de-fra", "CH": "de-fra",
    "FR": "fr-par", "ES": "es-mad", "IT": "it-mil", "PL": "pl-waw", "SE": "se-sto", "NO": "se-sto", "FI": "fi-hel",
    "CA": "ca-qc", "MX": "us-tx", "BR": "br-sp", "CL": "cl-scl", "AE": "ae-dxb", "BH": "ae-dxb", "QA": "ae-dxb",
    "IL": "il-tlv", "ZA": "za-jnb", "SG": "sg-sin", "MY": "sg-sin", "ID": "id-jkt", "HK": "hk-hkg", "TW": "hk-hkg",
    "JP": "jp-tyo", "KR": "kr-sel", "NZ": "au-syd",
}
MULTI_CATCHMENT_COUNTRIES = ("US", "IN", "AU")

# --- prices the default does not cover ------------------------------------------------------
# US EIA Electric Power Annual 2023, average industrial price [¢/kWh]: recalled, rounded to 0.1 (estimate)
EIA_2023_INDUSTRIAL_RECALLED = {"OH": 8.0, "IL": 8.4, "SC": 7.0, "UT": 6.7, "NV": 9.6, "AZ": 7.8, "WY": 7.2}
# 2024 wholesale annual mean [€/MWh] and the network, levies and supply adder [€/MWh], as the default's Europe
WHOLESALE_2024_EXTRA = {
    "BE": Fact(70.3, "2024 mean of 8,784 hourly day-ahead prices, Belgium (EPEX; ENTSO-E), computed from "
                     "shared/data/hourly/prices/BE_electricity_prices_2024.csv.gz ÷ 1.07764", "measured"),
    "AT": Fact(81.5, "2024 mean of 8,784 hourly day-ahead prices, Austria (EPEX; ENTSO-E), computed from "
                     "shared/data/hourly/prices/AT_electricity_prices_2024.csv.gz ÷ 1.07764", "measured"),
    "CH": Fact(76.0, "2024 mean of 8,784 hourly day-ahead prices, Switzerland (EPEX; ENTSO-E), computed from "
                     "shared/data/hourly/prices/CH_electricity_prices_2024.csv.gz ÷ 1.07764", "measured"),
    "NO": Fact(45.0, "2024 day-ahead average, southern Norway NO1/NO2 (Nord Pool; recalled, rounded)", "estimate"),
}
NETWORK_LEVIES_SUPPLY_EXTRA = {
    "BE": Fact(25.0, "Elia and high-voltage distribution ≈10, federal levies and excise (degressive) ≈2, green "
                     "certificate quota ≈9, supply ≈4", "estimate"),
    "AT": Fact(15.0, "APG and network level 3-4 ≈10, electricity levy cut to 0.1 c/kWh in 2024 ≈1, renewable "
                     "flat fees suspended, supply ≈4", "estimate"),
    "CH": Fact(40.0, "Swissgrid and regional high-voltage network ≈13, network surcharge 2.3 Rp/kWh ≈24, "
                     "supply ≈3",
               "estimate"),
    "NO": Fact(15.0, "Statnett and regional network ≈10, electricity tax at the reduced industrial rate ≈1, "
                     "supply ≈4", "estimate"),
}
# delivered price for a large consumer, per kWh in local currency: (value, currency, reasoning) (estimate)
LOCAL_PRICE_EXTRA = {
    "CA-ON": (0.085, "CAD", "Ontario Class A transmission-connected customer: HOEP ≈3 ¢ + Global Adjustment ≈4 ¢ "
                            "+ transmission and wholesale charges ≈1.5 ¢/kWh"),
    "MX": (1.7, "MXN", "CFE high-voltage industrial tariffs (DIT/GDMTH) 2024, ≈MX$1.6-1.9/kWh"),
    "BH": (0.029, "BHD", "EWA non-residential tariff for large users, ≈29 fils/kWh"),
    "QA": (0.13, "QAR", "Kahramaa commercial and industrial tariff, ≈QR0.12-0.14/kWh"),
    "IN-MP": (8.0, "INR", "Madhya Pradesh HT industrial tariff 2024 incl. demand charges, ≈₹7.5-8.5/kWh"),
    "IN-TG": (8.0, "INR", "Telangana HT-I industrial tariff 2024 incl. demand charges, ≈₹7.5-8.5/kWh"),
    "IN-TN": (8.5, "INR", "Tamil Nadu HT industrial tariff 2024 incl. demand charges, ≈₹8-9/kWh"),
    "MY": (0.50, "MYR", "TNB high-voltage tariff E3 ≈RM0.34/kWh + 2024 surcharge for large users ≈RM0.17/kWh"),
    "TW": (4.0, "TWD", "Taipower extra-high-voltage industrial price after the April 2024 rise, ≈NT$3.8-4.2/kWh"),
    "CN-BJ": (0.65, "CNY", "Beijing large industrial catalogue price incl. surcharges, ≈¥0.6-0.7/kWh"),
    "CN-NX": (0.40, "CNY", "Ningxia large industrial price, among China's lowest, ≈¥0.35-0.45/kWh"),
    "NZ": (0.18, "NZD", "large industrial: 2024 wholesale ≈NZ$160/MWh (a dry year) + lines ≈NZ$20/MWh"),
}
# 2024 annual average exchange rates, US$ per unit (rounded; estimate; BHD and QAR are pegged)
USD_PER_UNIT_EXTRA = {"MXN": 1 / 18.3, "BHD": 1 / 0.376, "QAR": 1 / 3.64, "MYR": 1 / 4.58, "TWD": 1 / 32.1,
                      "CNY": 1 / 7.19, "NZD": 0.61}

DEMAND_SOURCE = "default_mw × the catchment's part × provider_share ÷ split_over, rounded (data/SOURCES.md)"
CLOSED_CAPACITY_NOTE = "closed partition ({partition}): commercial tenants cannot place work there"


# ---------------------------------------------------------------------------------------------
# values

def world_price_facts() -> dict[str, Fact]:
    """Delivered electricity price [$/MWh] per price key: the default's keys and the extra ones."""
    facts = dict(base.price_facts())
    for state, cents in EIA_2023_INDUSTRIAL_RECALLED.items():
        facts[f"EIA:{state}"] = Fact(round(base.usd_per_mwh_from_cents_per_kwh(cents), 1),
                                     f"{base.EIA_SOURCE}: {state} {cents} ¢/kWh (recalled, rounded)", "estimate")
    rate = base.USD_PER_EUR.value
    for key, wholesale in WHOLESALE_2024_EXTRA.items():
        adder = NETWORK_LEVIES_SUPPLY_EXTRA[key]
        local = wholesale.value + adder.value
        facts[f"WHOLESALE:{key}"] = Fact(
            round(base.usd_per_mwh_from_local_per_mwh(local, rate), 1),
            f"large-consumer basis (≈440 GWh a year, Eurostat band IG scale) = wholesale, {wholesale.source}: "
            f"{wholesale.value:g} EUR/MWh ({wholesale.flag}) + network, levies and supply: {adder.value:g} EUR/MWh "
            f"({adder.source}; {adder.flag}, recalled) = {local:g} EUR/MWh × {rate:.6g} $/EUR", "estimate")
    rates = base.USD_PER_UNIT_2024 | USD_PER_UNIT_EXTRA
    for key, (value, currency, why) in LOCAL_PRICE_EXTRA.items():
        facts[f"LOCAL:{key}"] = Fact(round(base.usd_per_mwh_from_local_per_kwh(value, rates[currency]), 1),
                                     f"{why}: {value} {currency}/kWh × {rates[currency]:.6g} $/{currency}", "estimate")
    return facts


def carbon_fact(provider: str, key: str, site: Site, google: dict[str, float],
                owid: dict[str, tuple[float, int]]) -> tuple[Fact, str]:
    """Average grid carbon [gCO2eq/kWh] and its match ("google:<region>" or "owid:<ISO2>"): a
    Google region's own 2024 value; for AWS and Azure the Google region on the same grid
    (measured), else the OWID/Ember country value (estimate: a country average, lifecycle)."""
    if provider == "gcp":
        return base.carbon_avg_fact(f"google:{key}", google, owid), f"google:{key}"
    if site.google is not None:
        fact = base.carbon_avg_fact(f"google:{site.google}", google, owid)
        return replace(fact, source=f"{fact.source}, same grid: {site.grid}"), f"google:{site.google}"
    fact = base.carbon_avg_fact(f"owid:{site.country}", google, owid)
    return (replace(fact, source=f"{fact.source}, country average for this region's grid ({site.grid})",
                    flag="estimate"), f"owid:{site.country}")


def continent_of(country: str) -> str:
    """Continent of an ISO alpha-2 country (CONTINENT)."""
    return next(c for c, members in CONTINENT.items() if country in members)


def region_list() -> list[dict]:
    """Every region of the three coordinate files: id, provider, key, name, site, lat/lon [deg]."""
    out = []
    for provider in PROVIDERS:
        raw = json.loads((base.RAW / f"{provider}_region_coordinates.json").read_text(encoding="utf-8"))
        for key, v in raw.items():
            ref = f"{provider}:{key}"
            site = SITES[REGION_SITE[ref]]
            if "country" in v and COUNTRY_ISO2[v["country"]] != site.country:
                raise ValueError(f"{ref}: the file says {v['country']}, its site is in {site.country}")
            lat, lon = float(v.get("latitude", v.get("lat"))), float(v.get("longitude", v.get("lon")))
            coords_source, coords_flag = f"{ref} (city-level)", "estimate"
            if ref in COORDINATE_FIXES:
                lat, lon, why = COORDINATE_FIXES[ref]
                coords_source = f"{ref}: {why}"
            label = v.get("displayName") or v["location"]
            out.append({"ref": ref, "id": f"{provider}-{key}", "provider": provider, "key": key,
                        "name": f"{PROVIDER_LABEL[provider]} {label}", "site": REGION_SITE[ref],
                        "lat": lat, "lon": lon, "coords_source": coords_source, "coords_flag": coords_flag})
    if len({r["id"] for r in out}) != len(out) or set(REGION_SITE) != {r["ref"] for r in out}:
        raise ValueError("region ids must be unique and REGION_SITE must name every region of the files")
    return out


# ---------------------------------------------------------------------------------------------
# demand

def largest_remainder(total_units: int, weights: list[float]) -> list[int]:
    """Integers summing to ``total_units`` in proportion to ``weights`` (Hamilton's method; ties by order)."""
    quotas = [total_units * w / math.fsum(weights) for w in weights]
    units = [math.floor(q) for q in quotas]
    order = sorted(range(len(weights)), key=lambda i: (-(quotas[i] - units[i]), i))
    for i in order[:total_units - sum(units)]:
        units[i] += 1
    return units


def catchment_of(region: dict, default_ll: dict[str, tuple[float, float]]) -> tuple[str, str] | None:
    """The catchment (default node, macro region) a region serves: its country's (COUNTRY_CATCHMENT),
    or in the US, India and Australia the nearest default node of its country; the US macro region
    for a US region, the other one elsewhere (us-tx also serves Mexico). None in a closed partition."""
    if region["ref"] in CLOSED_PARTITIONS:
        return None
    country = SITES[region["site"]].country
    if country in MULTI_CATCHMENT_COUNTRIES:
        same = [r.id for r in base.REGIONS if r.country == country]
        node = min(same, key=lambda n: (float(haversine_km(region["lat"], region["lon"], *default_ll[n])), n))
    else:
        node = COUNTRY_CATCHMENT[country]
    macros = [c[1] for c in base.CATCHMENTS if c[0] == node]
    return node, next(m for m in macros if (m == "US") == (country == "US"))


def demand_pieces(regions: list[dict]) -> list[dict]:
    """world_demand.csv rows: each default (node, class) demand [MW] split over its catchments
    (by their IEA × GDP demand), each catchment over the providers (MARKET_SHARE, renormalised) and
    each provider's part equally over its regions serving the catchment, or its nearest open region
    when it has none there; rounded to 0.1 MW so that every default (node, class) total is kept."""
    coords = {p: base.read_coordinates_deg(p) for p in PROVIDERS}
    default_ll = {r.id: coords[r.coords.split(":")[0]][r.coords.split(":")[1]] for r in base.REGIONS}
    serving = {r["id"]: catchment_of(r, default_ll) for r in regions}
    share_total = math.fsum(MARKET_SHARE.values())
    gdp_of_macro = {m: sum(c[3] for c in base.CATCHMENTS if c[1] == m) for m in base.MACRO_SHARE}
    weights_of: dict[str, list[tuple[dict, float]]] = {}
    for node, macro, area, gdp in base.CATCHMENTS:
        mw = base.world_inference_mw(macro) * gdp / gdp_of_macro[macro]
        for provider in PROVIDERS:
            share = MARKET_SHARE[provider] / share_total
            own = [r for r in regions if r["provider"] == provider and serving[r["id"]] == (node, macro)]
            rule = "its regions serving the catchment"
            if not own:
                open_ = [r for r in regions if r["provider"] == provider and serving[r["id"]] is not None]
                own = [min(open_, key=lambda r: (float(haversine_km(r["lat"], r["lon"], *default_ll[node])), r["id"]))]
                rule = "its nearest region (none in the catchment)"
            for r in own:
                piece = {"node": r["id"], "default_node": node, "macro_region": macro, "catchment": area,
                         "provider_share": round(share, 4), "split_over": len(own), "rule": rule}
                weights_of.setdefault(node, []).append((piece, mw * share / len(own)))
    rows = []
    for d in base.demand_rows():
        pieces = weights_of[d["node"]]
        units = largest_remainder(round(d["mw"] * 10), [w for _, w in pieces])
        for (piece, _), u in zip(pieces, units):
            rows.append({"node": piece["node"], "workload": d["workload"], "mw": u / 10,
                         "default_node": d["node"], "default_mw": d["mw"], "macro_region": piece["macro_region"],
                         "catchment": piece["catchment"], "provider_share": piece["provider_share"],
                         "split_over": piece["split_over"], "rule": piece["rule"],
                         "mw_source": DEMAND_SOURCE,
                         "mw_flag": "assumption"})
    return rows


def scenario_demand(pieces: list[dict], regions: list[dict], workloads: list[dict]) -> list[dict]:
    """Demand [MW] per (node, class) in the scenario: the pieces added up, in region × class order."""
    total: dict[tuple[str, str], float] = {}
    for p in pieces:
        total[p["node"], p["workload"]] = total.get((p["node"], p["workload"]), 0) + round(p["mw"] * 10)
    return [{"node": r["id"], "workload": w["id"], "mw": total[r["id"], w["id"]] / 10}
            for r in regions for w in workloads if (r["id"], w["id"]) in total]


# ---------------------------------------------------------------------------------------------
# tables

def region_rows(regions: list[dict], pieces: list[dict]) -> list[dict]:
    """world_regions.csv rows: every model value with its source and flag."""
    google, owid, prices = base.read_google_carbon_g_per_kwh(), base.read_owid_carbon_g_per_kwh(), world_price_facts()
    own = {r["id"]: 0 for r in regions}
    for p in pieces:
        own[p["node"]] += round(p["mw"] * 10)
    rows = []
    for r in regions:
        site = SITES[r["site"]]
        price, pue = prices[site.price], PROVIDER_PUE[r["provider"]]
        carbon, match = carbon_fact(r["provider"], r["key"], site, google, owid)
        demand_mw = own[r["id"]] / 10
        if r["ref"] in CLOSED_PARTITIONS:
            capacity = 0
            capacity_source = CLOSED_CAPACITY_NOTE.format(partition=CLOSED_PARTITIONS[r["ref"]])
        else:
            slack = base.CAPACITY_SLACK[site.site_class]
            capacity = base.capacity_mw(demand_mw, slack)
            capacity_source = (f"{site.site_class} site: own demand {demand_mw} MW × (1 + {slack}), "
                               f"rounded up to {base.CAPACITY_STEP_MW} MW")
        rows.append({
            "id": r["id"], "provider": r["provider"], "name": r["name"], "site": r["site"],
            "continent": continent_of(site.country), "country": site.country,
            "lat": round(r["lat"], 4), "lon": round(r["lon"], 4),
            "coords_source": r["coords_source"], "coords_flag": r["coords_flag"],
            "residency_zone": ZONE_OF_COUNTRY.get(site.country, ""),
            "price_usd_per_mwh": price.value, "price_source": price.source, "price_flag": price.flag,
            "carbon_avg_g_per_kwh": carbon.value, "carbon_avg_match": match, "carbon_avg_source": carbon.source,
            "carbon_avg_flag": carbon.flag,
            "carbon_marginal_g_per_kwh": base.MARGINAL_G_PER_KWH[site.margin],
            "carbon_marginal_source": f"{site.margin} on the margin ({site.margin_note})",
            "carbon_marginal_flag": "assumption",
            "pue": pue.value, "pue_source": pue.source, "pue_flag": pue.flag,
            "capacity_mw": capacity, "capacity_source": capacity_source, "capacity_flag": "assumption",
            "demand_mw": demand_mw,
            "demand_source": f"sum of this region's rows in data/world_demand.csv; provider shares: "
                             f"{MARKET_SHARE_SOURCE}, renormalised over the three",
            "demand_flag": "assumption",
        })
    return rows


def azure_proxies(regions: list[dict], in_matrix: dict[str, tuple[float, float]]) -> dict[str, tuple[str, float]]:
    """Each region's Azure proxy [key, km]: an Azure region of the RTT matrix is its own proxy;
    any other region takes the nearest Azure region of the matrix (the default's rule)."""
    return {r["id"]: (r["key"], 0.0) if r["provider"] == "azure" and r["key"] in in_matrix
            else base.nearest_azure(r["lat"], r["lon"], in_matrix) for r in regions}


def rtt_pair_rows(regions: list[dict]) -> tuple[list[dict], dict[str, tuple[str, float]]]:
    """world_rtt_pairs.csv rows: the unordered pairs whose RTT [ms] is Microsoft's measured median
    (the pair's own, or its proxies' within RTT_PROXY_MAX_KM), and every region's proxy. Every
    other pair follows the distance model of docs/model.md."""
    measured = base.read_azure_rtt_ms()
    keys = {k for pair in measured for k in pair}
    in_matrix = {k: ll for k, ll in base.read_coordinates_deg("azure").items() if k in keys}
    proxy = azure_proxies(regions, in_matrix)
    rows = []
    for i, a in enumerate(regions):
        for b in regions[i + 1:]:
            (pa, ka), (pb, kb) = proxy[a["id"]], proxy[b["id"]]
            if max(ka, kb) > base.RTT_PROXY_MAX_KM or pa == pb:
                continue
            value = base.measured_rtt_ms(pa, pb, measured)
            if value is None:
                continue
            km = float(haversine_km(a["lat"], a["lon"], b["lat"], b["lon"]))
            rows.append({"a": a["id"], "b": b["id"], "rtt_ms": round(value, 1), "source": "azure-measured",
                         "distance_km": round(km, 1), "model_rtt_ms": round(float(rtt_from_distance_ms(km)), 1),
                         "proxy_a": pa, "proxy_b": pb, "proxy_km_a": round(ka, 1), "proxy_km_b": round(kb, 1)})
    return rows, proxy


def scenario_dict(rows: list[dict], demand: list[dict], rtt: list[dict]) -> dict:
    """The scenario (docs/model.md): the default's settings and classes, every node with its provider,
    the provider lock on, the measured RTTs listed (the others follow the distance model)."""
    workloads = base.workload_rows()
    scenario = base.scenario_dict(rows, workloads, demand, rtt)
    for node, row in zip(scenario["nodes"], rows):
        node["provider"] = row["provider"]
    counts = {p: sum(r["provider"] == p for r in rows) for p in PROVIDERS}
    scenario["name"] = "The big clouds' regions (AWS, Azure, Google Cloud)"
    scenario["description"] = (
        f"Every AWS ({counts['aws']}), Azure ({counts['azure']}) and Google Cloud ({counts['gcp']}) region of the "
        f"shipped coordinate files, {len(workloads)} inference classes, the default's demand split by cloud market "
        "share, the provider lock on (a tenant relocates within its own cloud). Derived by "
        "data/build_world_cloud_scenario.py; each value's source and measured/estimate/assumption flag: "
        "data/world_regions.csv and data/SOURCES.md.")
    scenario["frictions"]["provider_lock"] = True
    return scenario


def build_outputs() -> dict[str, str]:
    """Relative path → text of every file this script writes."""
    regions = region_list()
    pieces = demand_pieces(regions)
    rows = region_rows(regions, pieces)
    rtt, proxy = rtt_pair_rows(regions)
    for row in rows:
        row["rtt_proxy"], row["rtt_proxy_km"] = proxy[row["id"]][0], round(proxy[row["id"]][1], 1)
    demand = scenario_demand(pieces, regions, base.workload_rows())
    scenario = scenario_dict(rows, demand, rtt)
    parse_scenario(scenario)  # fails loudly if the scenario breaks docs/model.md
    return {
        "data/world_regions.csv": base.csv_text(rows),
        "data/world_demand.csv": base.csv_text(pieces),
        "data/world_rtt_pairs.csv": base.csv_text(rtt),
        "scenarios/world_cloud_regions.json": base.json_text(scenario),
    }


if __name__ == "__main__":
    sys.exit(base.write_or_check(build_outputs, __doc__.splitlines()[0]))
