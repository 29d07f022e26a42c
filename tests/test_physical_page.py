"""The Digital vs physical page on a hand-worked two-region case across the Atlantic: IT and
facility power named apart, the ocean crossing flagged, line capex one-off and annualised."""
from __future__ import annotations

import math

import pytest

from app_support import open_app, page_text, served_scenario
from core.physical import load_hvdc_reference
from pages.common.theme import fmt_mw, fmt_usd
from test_physical import TWO


@pytest.fixture
def page(tmp_path, monkeypatch):
    with served_scenario(tmp_path, monkeypatch, TWO, "two.json"):
        yield open_app(page="physical")


def great_circle_km(lat1, lon1, lat2, lon2) -> float:
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    return 6371.0 * math.acos(math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl))


def test_physical_page_by_hand(page):
    at = page
    m = {x.label: x.value for x in at.metric}
    facility = 10 * 1.1 * 1.05                                  # IT × PUE of Virginia × (1 + ω)
    assert m["IT power (MW)"] == fmt_mw(10)
    assert m["Facility power (MW)"] == fmt_mw(facility)
    ref = load_hvdc_reference(line="uhvdc_800kv")
    km = great_circle_km(50.1, 8.7, 39.0, -77.5)
    capex = facility / ref["rating_mw"] * (km * ref["line_cost_usd_per_km"] + ref["converter_pair_cost_usd"])
    assert m["HVDC capex, one-off ($)"] == fmt_usd(capex)
    assert m["HVDC capex per year ($)"] == fmt_usd(capex * 0.07 / (1 - 1.07 ** -40))
    corridors = at.dataframe[0].value
    assert list(corridors["Route"]) == ["ocean crossing"]
    assert corridors["IT power (MW)"].iloc[0] == pytest.approx(10)
    assert corridors["Facility power (MW)"].iloc[0] == pytest.approx(facility)
    text = page_text(at)
    assert "crosses an ocean, where no overland line exists" in text
    assert "Chart in words: 1 corridor, " in text and "1 of 1 crosses an ocean" in text

    at.number_input(key="physical_lifetime").set_value(20.0).run()
    at.number_input(key="physical_rate").set_value(5.0).run()
    assert not at.exception
    m = {x.label: x.value for x in at.metric}
    assert m["HVDC capex per year ($)"] == fmt_usd(capex * 0.05 / (1 - 1.05 ** -20))
