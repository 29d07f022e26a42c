"""Digital vs physical: IT and facility power, the ocean-crossing rule, annualised line capex."""
from __future__ import annotations

import numpy as np
import pytest

from core.analysis import Analysis
from core.inputs import model_inputs
from core.physical import (annualised_usd_per_year, digital_vs_physical, digital_vs_physical_sentence,
                           load_hvdc_reference, node_continents, route_kind, scenario_continents)
from core.scenario import default_scenario, parse_scenario


@pytest.fixture(scope="module")
def default_continents():
    sc = default_scenario()
    return dict(zip(sc.node_ids, scenario_continents(sc)))


@pytest.mark.parametrize("a, b, kind", [
    ("us-va", "ie-dub", "ocean crossing"),      # the Atlantic
    ("au-syd", "us-ca", "ocean crossing"),      # the Pacific
    ("sg-sin", "au-syd", "ocean crossing"),     # Asia to Australia
    ("jp-tyo", "us-wa", "ocean crossing"),
    ("de-fra", "se-sto", "overland"),           # the Baltic is a sea, and the rule goes by land mass
    ("de-fra", "in-bom", "overland"),           # Europe to Asia by land
    ("za-jnb", "fr-par", "overland"),           # Africa to Europe through Sinai
    ("br-sp", "us-va", "overland"),             # the Americas through Panama
    ("au-syd", "au-mel", "overland"),
])
def test_ocean_crossing_on_known_pairs(default_continents, a, b, kind):
    assert route_kind(default_continents[a], default_continents[b]) == kind
    assert route_kind(default_continents[b], default_continents[a]) == kind


def test_continents_of_nodes_outside_the_shipped_data():
    # a default id at its own place; the same id moved 1,000 km (falls back to its country);
    # a new id in a known country; an unknown country; no country
    got = node_continents(["us-va", "us-va", "us-ny", "xx-1", "yy-2"],
                          [39.03, 48.0, 40.7, 0.0, 0.0], [-77.46, -77.46, -74.0, 0.0, 0.0], ["US", "FR", "US", "ZZ", ""])
    assert got == ["North America", "Europe", "North America", "Other", "Other"]
    assert route_kind("Other", "Europe") == "unknown"


def test_annualised_capex_by_hand():
    # n = 2 years at r = 10%: 1000 · 0.1 · 1.21 / 0.21 = 576.19...; at r = 0 simply 1000 / 2
    assert float(annualised_usd_per_year(1000.0, 2, 0.1)) == pytest.approx(121 / 0.21)
    assert float(annualised_usd_per_year(1000.0, 2, 0.0)) == 500.0
    # the payments discounted back are the capex (an independent identity)
    pay = float(annualised_usd_per_year(1e9, 40, 0.07))
    assert sum(pay / 1.07 ** t for t in range(1, 41)) == pytest.approx(1e9)
    with pytest.raises(ValueError):
        annualised_usd_per_year(1.0, 0, 0.05)


TWO = {
    "schema_version": 1, "name": "across the Atlantic",
    "nodes": [
        {"id": "fra", "name": "Frankfurt", "lat": 50.1, "lon": 8.7, "country": "DE", "price_usd_per_mwh": 200,
         "carbon_avg_g_per_kwh": 300, "carbon_marginal_g_per_kwh": 500, "pue": 1.2, "capacity_mw": 100},
        {"id": "virg", "name": "Virginia", "lat": 39.0, "lon": -77.5, "country": "US", "price_usd_per_mwh": 50,
         "carbon_avg_g_per_kwh": 300, "carbon_marginal_g_per_kwh": 500, "pue": 1.1, "capacity_mw": 100},
    ],
    "workloads": [{"id": "batch", "latency_budget_ms": 1000, "gb_per_mwh": 1, "migration_overhead": 0.05}],
    "demand": [{"node": "fra", "workload": "batch", "mw": 10}],
    "prices": {"egress_usd_per_gb": 0.01},
}


def test_it_and_facility_power_and_the_ocean_flag_by_hand():
    sc = parse_scenario(TWO)
    sol = Analysis(sc).solve(model_inputs(sc))
    summary, corridors = digital_vs_physical(sol, load_hvdc_reference(), scenario_continents(sc))
    # all 10 MW move (200 $/MWh · 1.2 at home against 50 · 1.1 · 1.05 + 0.01 away)
    assert summary["relocated_it_mw"] == pytest.approx(10)
    assert summary["relocated_facility_mw"] == pytest.approx(10 * 1.1 * 1.05)
    assert summary["relocated_gwh"] == pytest.approx(10 * 1.1 * 1.05 * 8760 / 1000)
    assert list(corridors["route"]) == ["ocean crossing"]
    assert summary["ocean_corridors"] == 1 and summary["ocean_facility_mw"] == pytest.approx(11.55)
    text = digital_vs_physical_sentence(summary, sc.period_hours, "UHVDC")
    assert "moves 10.0 MW of IT power, which draws 11.6 MW of facility power" in text
    assert "1 corridor, carrying 11.6 MW of facility power, crosses an ocean" in text
    assert "paid once" in text
    # without continents the route is not known
    _, plain = digital_vs_physical(sol)
    assert list(plain["route"]) == ["unknown"]
    assert np.allclose(plain["facility_mw"], plain["it_mw"] * 1.1 * 1.05)
