"""The Data page's CSV files (AppTest, from the app's entry point): an import becomes the scenario,
a bad import names the file, row and column and keeps the last valid scenario, the downloaded zip
holds core.scenario_csv's files of the scenario shown, and the provider of a region is editable."""
from __future__ import annotations

import csv
import io
import zipfile

import pytest

from app_support import capture_downloads, cleared_caches, keep_navigation_mode, served_scenario
from core import scenario_csv
from core.scenario import parse_scenario
from pages.common.theme import fmt_usd
from test_data_page import changes, edit, metric, open_data_page, row, tiny

HEADER = ("id,name,country,lat,lon,residency_zone,provider,price_usd_per_mwh,carbon_avg_g_per_kwh,"
          "carbon_marginal_g_per_kwh,pue,capacity_mw\n")
# tiny() with away at $40/MWh instead of $50 and home on aws
REGIONS = HEADER + "home,Home,,0,0,,aws,100,500,500,1,1000\naway,Away,,0,1,,,40,200,300,1,4\n"
WORKLOADS = "id,latency_budget_ms\nw,50\n"
DEMAND = "node,workload,mw\nhome,w,10\n"
SETTINGS = '{"name": "imported", "period_hours": 10}'


@pytest.fixture(autouse=True)
def _app_mode(monkeypatch):
    keep_navigation_mode(monkeypatch)
    with cleared_caches():
        yield


@pytest.fixture
def tiny_app(tmp_path, monkeypatch, tiny_scenario):
    with served_scenario(tmp_path, monkeypatch, tiny(tiny_scenario), "tiny.json"):
        at = open_data_page()
        at.session_state["data_tab"] = "Files"
        at.run()
        yield at


def import_csv(at, files: dict[str, str | bytes]):
    uploader = [u for u in at.file_uploader if u.key == "data_csv_upload"]
    assert len(uploader) == 1
    uploader[0].set_value([(name, text.encode() if isinstance(text, str) else text, "text/csv")
                           for name, text in files.items()])
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def good_files() -> dict[str, str]:
    return {"regions.csv": REGIONS, "workloads.csv": WORKLOADS, "demand.csv": DEMAND, "settings.json": SETTINGS}


def test_an_import_becomes_the_scenario(tiny_app):
    at = import_csv(tiny_app, good_files())
    assert [s.value for s in at.success] == ["Loaded regions.csv, workloads.csv, demand.csv and settings.json: "
                                             "scenario “imported”, 2 regions, 1 workload class."]
    assert row(at, "edit_nodes", "away")["price_usd_per_mwh"] == 40
    assert row(at, "edit_nodes", "home")["provider"] == "aws"
    # by hand, H = 10 h, no egress (0 GB/MWh), PUE 1: 4 MW away (its capacity) at $40 instead of $100:
    # savings 10·4·(100 − 40) = $2,400 (before: 10·4·(100 − 50) = $2,000)
    assert metric(at, "Savings vs local").value == fmt_usd(2400)
    assert metric(at, "Savings vs local").proto.delta == "+" + fmt_usd(400)


def test_a_zip_import(tiny_app):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for name, text in good_files().items():
            archive.writestr(f"mine/{name}", text)
    at = import_csv(tiny_app, {"mine.zip": buf.getvalue()})
    assert [s.value for s in at.success] == ["Loaded mine.zip: scenario “imported”, 2 regions, 1 workload class."]
    assert row(at, "edit_nodes", "away")["price_usd_per_mwh"] == 40


def test_a_bad_import_names_file_row_and_column_and_keeps_the_last_valid_scenario(tiny_app):
    at = import_csv(tiny_app, good_files())                        # a valid import first
    bad = good_files() | {"regions.csv": REGIONS.replace("away,Away,,0,1,,,40,200,300,1,4",
                                                         "away,Away,,0,1,,,40,200,300,0.9,4")}
    at = import_csv(at, bad)
    assert [e.value for e in at.error] == ["regions.csv, workloads.csv, demand.csv and settings.json were not "
                                           "loaded: regions.csv row 3, pue: must be ≥ 1.0, got 0.9"]
    assert not at.success
    assert row(at, "edit_nodes", "away")["price_usd_per_mwh"] == 40 and row(at, "edit_nodes", "away")["pue"] == 1
    assert metric(at, "Savings vs local").value == fmt_usd(2400)   # the imported scenario's, unchanged
    at = import_csv(at, {"regions.csv": REGIONS, "demand.csv": DEMAND})
    assert [e.value for e in at.error] == ["regions.csv and demand.csv were not loaded: workloads.csv: missing file; "
                                           "a scenario needs regions.csv, workloads.csv, demand.csv (and optionally "
                                           "rtt.csv, settings.json)"]
    assert row(at, "edit_nodes", "away")["price_usd_per_mwh"] == 40


def _zip_files(data: bytes) -> dict[str, str]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    return {name: archive.read(name).decode("utf-8") for name in archive.namelist()}


def test_the_downloaded_zip_holds_the_scenario_files(tmp_path, monkeypatch, tiny_scenario):
    saved = capture_downloads(monkeypatch, ".zip")
    with served_scenario(tmp_path, monkeypatch, tiny(tiny_scenario), "tiny.json"):
        at = open_data_page()
        assert sorted(saved) == ["tiny-csv.zip"]
        expected = scenario_csv.scenario_files(parse_scenario(tiny(tiny_scenario)))
        assert _zip_files(saved["tiny-csv.zip"]) == {f"tiny/{name}": text for name, text in expected.items()}
        saved.clear()
        at = edit(at, "edit_nodes", {1: {"capacity_mw": 6.0, "provider": "gcp"}})
        regions = _zip_files(saved["tiny-csv.zip"])["tiny/regions.csv"]
        away = [r for r in csv.DictReader(io.StringIO(regions)) if r["id"] == "away"]
        assert len(away) == 1 and (away[0]["capacity_mw"], away[0]["provider"]) == ("6", "gcp")


def test_the_provider_of_a_region_is_editable(tiny_app):
    at = tiny_app
    assert row(at, "edit_nodes", "home")["provider"] == ""         # null shows as an empty cell
    at = edit(at, "edit_nodes", {0: {"provider": "azure"}})
    assert not at.error, [e.value for e in at.error]
    assert row(at, "edit_nodes", "home")["provider"] == "azure"
    assert at.session_state["elf_scenario"].nodes[0].provider == "azure"
    assert changes(at) == {"nodes.home.provider": "azure"}            # and the link carries it
    at = edit(at, "edit_nodes", {0: {"provider": ""}})             # emptied: no provider again
    assert at.session_state["elf_scenario"].nodes[0].provider is None
    assert changes(at) == {}
