"""Digital versus physical relocation: the HVDC line that would move the same electricity.

Two powers, named the same way everywhere: **IT power** x [MW] is the inference load moved
(what the placement reports); **facility power** ``x·PUE[r]·(1+ω)`` [MW] is what the compute
node draws for it, cooling and migration overhead included, instead of at home. Moving that
facility power physically instead would take a high-voltage DC line over the same great-circle
distance. Reference figures (rating, losses, cost: ±800 kV UHVDC by default) come from
``data/hvdc_reference.json`` (estimates; sources in data/SOURCES.md). The line figures are for
overhead lines on land; a corridor whose ends lie on different land masses crosses an ocean
and has no overland line at all (:func:`route_kind`). Line capex is a one-off capital cost;
:func:`annualised_usd_per_year` spreads it over a stated lifetime at a stated discount rate.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from core.inputs import facility_factor
from core.latency import haversine_km
from core.narrative import pct_words, period_words, significant, usd_words
from core.solution import Solution

HVDC_REFERENCE_PATH = Path(__file__).resolve().parent.parent / "data" / "hvdc_reference.json"
REGIONS_PATH = Path(__file__).resolve().parent.parent / "data" / "regions.csv"

CONTINENTS = ("North America", "South America", "Europe", "Africa", "Asia", "Oceania", "Other")
"""Continents in display order; "Other" for a node not matched to data/regions.csv."""
LAND_MASSES = {"North America": "Americas", "South America": "Americas", "Europe": "Afro-Eurasia",
               "Asia": "Afro-Eurasia", "Africa": "Afro-Eurasia", "Oceania": "Australia"}
"""Continents joined by land (Europe–Asia overland, Africa through Sinai, the Americas through
Panama). Two ends on different land masses are separated by an ocean: no overland line exists.
Island regions within a land mass (Dublin, London, Tokyo, Jakarta, Singapore) would still need
short submarine sections; this rule does not flag those."""
MATCH_KM = 100.0
"""A node keeps its data/regions.csv continent while it lies within this distance of that region."""

DEFAULT_LIFETIME_YEARS = 40.0
DEFAULT_DISCOUNT_RATE = 0.07
"""Assumptions for annualising line capex: 40-year conductor lifetime and a 7% weighted average
cost of capital, the defaults of LBNL's REFA transmission-economics module (an assumption, not a
measurement; the page lets the user change both)."""


@lru_cache(maxsize=4)
def load_hvdc_reference(path: str | Path = HVDC_REFERENCE_PATH, line: str = "uhvdc_800kv") -> dict[str, float]:
    """Line rating [MW], line loss [%/1000 km], converter loss [% per station], line cost [$/km]
    and converter-pair cost [$] of the chosen line type (``uhvdc_800kv`` or ``hvdc_500kv``)."""
    figures = json.loads(Path(path).read_text())["figures"]
    prefix = "uhvdc" if line.startswith("uhvdc") else "hvdc_500kv"
    value = {k: v["value"] for k, v in figures.items()}
    return {
        "line": line,
        "rating_mw": value[f"{line}_bipole_rating_mw"],
        "line_loss_pct_per_1000km": value[f"{line}_line_loss_pct_per_1000km"],
        "converter_loss_pct_per_station": value["converter_station_loss_pct"],
        "line_cost_usd_per_km": value[f"{prefix}_line_capex_musd_per_km"] * 1e6,
        "converter_pair_cost_usd": value[f"{prefix}_converter_pair_capex_musd"] * 1e6,
    }


def hvdc_loss_share(distance_km, line_loss_pct_per_1000km: float, converter_loss_pct_per_station: float):
    """Share [0..1] of the sent power lost over ``distance_km`` of line and two converter stations."""
    return (np.asarray(distance_km, dtype=float) / 1000.0 * line_loss_pct_per_1000km
            + 2 * converter_loss_pct_per_station) / 100.0


def hvdc_capex_usd(power_mw, distance_km, rating_mw: float, line_cost_usd_per_km: float,
                   converter_pair_cost_usd: float):
    """Capital cost [$] of HVDC capacity for ``power_mw``, pro rata of a ``rating_mw`` line
    (line cost per km × distance plus a converter pair)."""
    per_line = np.asarray(distance_km, dtype=float) * line_cost_usd_per_km + converter_pair_cost_usd
    return np.asarray(power_mw, dtype=float) / rating_mw * per_line


def annualised_usd_per_year(capex_usd, lifetime_years: float = DEFAULT_LIFETIME_YEARS,
                            discount_rate: float = DEFAULT_DISCOUNT_RATE):
    """A one-off capital cost [$] as an equal yearly payment [$/year] over ``lifetime_years`` at
    ``discount_rate`` (0..1): capex × r(1+r)^n / ((1+r)^n − 1), capex / n at r = 0."""
    n, r = float(lifetime_years), float(discount_rate)
    if n <= 0 or r < 0:
        raise ValueError("lifetime_years must be > 0 and discount_rate ≥ 0")
    factor = 1.0 / n if r == 0 else r * (1 + r) ** n / ((1 + r) ** n - 1)
    return np.asarray(capex_usd, dtype=float) * factor


@lru_cache(maxsize=1)
def _default_regions() -> pd.DataFrame:
    return pd.read_csv(REGIONS_PATH, usecols=["id", "continent", "lat", "lon", "country"], keep_default_na=False)


def node_continents(node_ids, lat_deg, lon_deg, countries) -> list[str]:
    """The continent of each node: data/regions.csv's for a node with a default region's id that
    lies within :data:`MATCH_KM` of it; else the continent of the default regions of its country
    (when they share one); else "Other"."""
    regions = _default_regions()
    by_id = regions.set_index("id")
    by_country = regions.groupby("country")["continent"].agg(lambda c: c.iloc[0] if c.nunique() == 1 else "Other")
    out = []
    for nid, la, lo, country in zip(node_ids, lat_deg, lon_deg, countries):
        if nid in by_id.index and haversine_km(la, lo, by_id.at[nid, "lat"], by_id.at[nid, "lon"]) <= MATCH_KM:
            out.append(str(by_id.at[nid, "continent"]))
        else:
            out.append(str(by_country.get(country, "Other")) if country else "Other")
    return out


def route_kind(continent_from: str, continent_to: str) -> str:
    """"overland" when both ends lie on one land mass (:data:`LAND_MASSES`), "ocean crossing"
    when they lie on different ones (no overland line exists), "unknown" for an "Other" end."""
    a, b = LAND_MASSES.get(continent_from), LAND_MASSES.get(continent_to)
    if a is None or b is None:
        return "unknown"
    return "overland" if a == b else "ocean crossing"


def digital_vs_physical(sol: Solution, reference: dict | None = None,
                        continents: list[str] | None = None) -> tuple[dict, pd.DataFrame]:
    """Relocated electricity × distance against the HVDC line that would carry it.

    Returns a summary and one row per corridor (s → r ≠ s) with: IT power moved ``it_mw`` [MW],
    facility power ``facility_mw`` = Σ x·PUE[r]·(1+ω) [MW], distance [km], facility energy [GWh
    over the period], energy × distance [GWh·km], HVDC losses [GWh] and loss share, HVDC
    capacity cost pro rata [$, one-off] and whole lines needed, data moved [TB] and its egress
    cost [$] (the digital route's transfer price, with the egress friction's price), and
    ``route`` (:func:`route_kind` of the ends' ``continents``, one per node; "unknown" without).
    """
    ref = load_hvdc_reference() if reference is None else reference
    inp = sol.inputs
    hours = inp.period_hours
    it_mw = sol.x_mw.sum(axis=2)                                         # [s, r]
    facility_mw = (sol.x_mw * facility_factor(inp)).sum(axis=2)        # [s, r]
    it_mwh = sol.x_mw * hours                                            # [s, r, k]
    data_gb = (it_mwh * inp.gb_per_mwh[None, None, :]).sum(axis=2)      # [s, r]
    s, r = np.nonzero((facility_mw > 1e-9) & ~np.eye(inp.n_nodes, dtype=bool))
    ids = np.array(inp.node_ids, dtype=object)
    mw, km = facility_mw[s, r], inp.distance_km[s, r]
    gwh = mw * hours / 1000.0
    loss = hvdc_loss_share(km, ref["line_loss_pct_per_1000km"], ref["converter_loss_pct_per_station"])
    route = ([route_kind(continents[a], continents[b]) for a, b in zip(s, r)] if continents is not None
             else ["unknown"] * len(s))
    corridors = pd.DataFrame({
        "service": ids[s], "compute": ids[r], "it_mw": it_mw[s, r], "facility_mw": mw, "distance_km": km,
        "route": pd.Series(route, dtype=object), "gwh": gwh,
        "gwh_km": gwh * km, "hvdc_loss_share": loss, "hvdc_loss_gwh": gwh * loss,
        "hvdc_capex_usd": hvdc_capex_usd(mw, km, ref["rating_mw"], ref["line_cost_usd_per_km"],
                                         ref["converter_pair_cost_usd"]),
        "hvdc_lines": np.ceil(mw / ref["rating_mw"]).astype(int),
        "data_tb": data_gb[s, r] / 1000.0,
        "egress_usd": data_gb[s, r] * (inp.egress_usd_per_gb if inp.friction("egress") else 0.0),
    }).sort_values("gwh_km", ascending=False, ignore_index=True)
    total_gwh = float(corridors["gwh"].sum())
    ocean = corridors["route"] == "ocean crossing"
    summary = {
        "line": ref.get("line", ""), "rating_mw": ref["rating_mw"],
        "relocated_it_mw": float(corridors["it_mw"].sum()),
        "relocated_facility_mw": float(corridors["facility_mw"].sum()), "relocated_gwh": total_gwh,
        "gwh_km": float(corridors["gwh_km"].sum()),
        "mean_distance_km": float(corridors["gwh_km"].sum() / total_gwh) if total_gwh > 0 else 0.0,
        "corridors": int(len(corridors)),
        "hvdc_loss_gwh": float(corridors["hvdc_loss_gwh"].sum()),
        "hvdc_capex_usd": float(corridors["hvdc_capex_usd"].sum()),
        "hvdc_lines": int(corridors["hvdc_lines"].sum()),
        "data_tb": float(corridors["data_tb"].sum()),
        "egress_usd": float(corridors["egress_usd"].sum()),
        "ocean_corridors": int(ocean.sum()), "ocean_facility_mw": float(corridors.loc[ocean, "facility_mw"].sum()),
        "ocean_gwh": float(corridors.loc[ocean, "gwh"].sum()),
        "unknown_corridors": int((corridors["route"] == "unknown").sum()),
    }
    return summary, corridors


def scenario_continents(sc) -> list[str]:
    """:func:`node_continents` of a scenario's nodes, in node order."""
    return node_continents(sc.node_ids, [n.lat for n in sc.nodes], [n.lon for n in sc.nodes],
                           [n.country for n in sc.nodes])


def digital_vs_physical_sentence(summary: dict, period_hours: float, line_words: str = "HVDC") -> str:
    """Digital relocation against the HVDC lines that would move the same power, in plain words,
    from :func:`digital_vs_physical`'s summary: IT and facility power, energy and distance,
    losses, one-off line capex, the data moved instead, and the corridors that cross an ocean."""
    if summary["relocated_gwh"] <= 0:
        return "No work runs away from home, so no electricity demand is relocated."
    when = period_words(period_hours)
    loss_share = summary["hvdc_loss_gwh"] / summary["relocated_gwh"]
    data = (f"moves {significant(summary['data_tb'])} TB of data instead, for {usd_words(summary['egress_usd'])} of egress"
            if summary["data_tb"] > 0 else "moves no metered data")
    text = (f"Relocating inference moves {significant(summary['relocated_it_mw'])} MW of IT power, which draws "
            f"{significant(summary['relocated_facility_mw'])} MW of facility power (IT × PUE, with migration overhead) "
            f"at the compute regions: {significant(summary['relocated_gwh'])} GWh {when}, "
            f"{significant(summary['mean_distance_km'])} km on average. Sending that power over {line_words} lines "
            f"would lose {significant(summary['hvdc_loss_gwh'])} GWh ({pct_words(loss_share)}) and need about "
            f"{usd_words(summary['hvdc_capex_usd'])} of line capacity, paid once; the digital route {data}.")
    if summary["ocean_corridors"]:
        n = summary["ocean_corridors"]
        text += (f" {n} corridor{'s' if n != 1 else ''}, carrying {significant(summary['ocean_facility_mw'])} MW of "
                 f"facility power, cross{'es' if n == 1 else ''} an ocean, where no overland line exists.")
    return text


def physical_alt_text(corridors: pd.DataFrame, period_hours: float) -> str:
    """A plain description of the corridor chart (distance against energy, one bubble each),
    written from ``corridors`` (:func:`digital_vs_physical`)."""
    if corridors.empty:
        return "Chart in words: no corridor to show."
    when = period_words(period_hours)
    big = corridors.loc[corridors["gwh"].idxmax()]
    far = corridors.loc[corridors["distance_km"].idxmax()]
    n_ocean = int((corridors["route"] == "ocean crossing").sum())
    n = len(corridors)
    return (f"Chart in words: {n} corridor{'s' if n != 1 else ''}, by great-circle distance and facility energy. "
            f"The largest, "
            f"{big['service']} → {big['compute']}, carries {significant(big['gwh'])} GWh {when} over "
            f"{significant(big['distance_km'])} km; the longest, {far['service']} → {far['compute']}, spans "
            f"{significant(far['distance_km'])} km and would lose {pct_words(far['hvdc_loss_share'])} of its energy on "
            f"an HVDC line. {n_ocean} of {n} cross{'es' if n_ocean == 1 else ''} an ocean (drawn as diamonds).")
