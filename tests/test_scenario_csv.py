"""A scenario as a folder of CSV files (core.scenario_csv): export → import is the identity, every
bad file is refused with its file, row (the header is row 1) and column, and ``python -m core
solve DIR/`` reads such a folder as it reads the same scenario in JSON."""
from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from bench.scenarios import generated_scenario
from core import scenario_csv as sc_csv
from core.scenario import Scenario, ScenarioError, default_scenario, parse_scenario

REPO = Path(__file__).resolve().parent.parent

# a hand-written folder: two regions, one class, demand at home, one given round trip
REGIONS = ("id,name,country,lat,lon,residency_zone,provider,price_usd_per_mwh,carbon_avg_g_per_kwh,"
           "carbon_marginal_g_per_kwh,pue,capacity_mw\n"
           "home,Home,DE,50,8,EU,aws,100,500,500,1.2,20\n"
           "away,\"Away, far\",SE,59,18,EU,,50,20,300,1.1,4\n")
WORKLOADS = ("id,name,latency_budget_ms,state_pinned_share,gb_per_mwh,migration_overhead,residency_bound\n"
             "w,Chat,50,0.2,40,0.03,true\n")
DEMAND = "node,workload,mw\nhome,w,10\n"
RTT = "a,b,rtt_ab_ms,rtt_ba_ms\nhome,away,20,\n"
# the same scenario written as the scenario-file dict of docs/model.md (settings: every default)
EXPECTED = {
    "nodes": [{"id": "home", "name": "Home", "country": "DE", "lat": 50.0, "lon": 8.0, "residency_zone": "EU",
               "provider": "aws", "price_usd_per_mwh": 100.0, "carbon_avg_g_per_kwh": 500.0,
               "carbon_marginal_g_per_kwh": 500.0, "pue": 1.2, "capacity_mw": 20.0},
              {"id": "away", "name": "Away, far", "country": "SE", "lat": 59.0, "lon": 18.0, "residency_zone": "EU",
               "provider": None, "price_usd_per_mwh": 50.0, "carbon_avg_g_per_kwh": 20.0,
               "carbon_marginal_g_per_kwh": 300.0, "pue": 1.1, "capacity_mw": 4.0}],
    "workloads": [{"id": "w", "name": "Chat", "latency_budget_ms": 50.0, "state_pinned_share": 0.2,
                   "gb_per_mwh": 40.0, "migration_overhead": 0.03, "residency_bound": True}],
    "demand": [{"node": "home", "workload": "w", "mw": 10.0}],
    "rtt_ms": {"home": {"away": 20.0}},
}


def files(**changes) -> dict[str, str]:
    """The hand-written folder, a file replaced (``regions_csv="..."``) or removed (``=None``)."""
    out = {"regions.csv": REGIONS, "workloads.csv": WORKLOADS, "demand.csv": DEMAND, "rtt.csv": RTT}
    for key, text in changes.items():
        name = key.replace("_csv", ".csv").replace("_json", ".json")
        if text is None:
            out.pop(name, None)
        else:
            out[name] = text
    return out


def refused(folder: dict) -> str:
    with pytest.raises(ScenarioError) as info:
        sc_csv.scenario_from_files(folder)
    return str(info.value)


# --- reading and the round trip -------------------------------------------------------------------

def test_a_hand_written_folder_is_the_scenario_it_describes():
    assert sc_csv.scenario_from_files(files()) == parse_scenario(EXPECTED)


def test_without_settings_every_setting_has_its_documented_default():
    sc = sc_csv.scenario_from_files(files())
    # docs/model.md, "Scenario file": the defaults of every top-level field
    assert sc.period_hours == 8760 and sc.regional_ms == 30 and sc.name == "scenario"
    assert sc.frictions.model_dump() == {"egress": True, "migration": True, "state_locality": True, "legal": True,
                                         "capacity": True, "provider_lock": False}
    assert sc.prices.model_dump() == {"egress_usd_per_gb": 0.02, "migration_usd_per_mwh": 0.0,
                                      "unserved_usd_per_mwh": 10000.0}
    assert sc.objective.model_dump() == {"carbon_signal": "marginal", "carbon_price_usd_per_t": 0.0}
    assert sc.latency_model.model_dump() == {"fixed_ms": 5.0, "route_inflation": 1.5, "fiber_km_per_ms": 200.0}


def test_settings_and_optional_columns():
    settings = {"name": "mine", "period_hours": 24, "frictions": {"provider_lock": True},
                "objective": {"carbon_price_usd_per_t": 80}}
    regions = ("id,lat,lon,price_usd_per_mwh,carbon_avg_g_per_kwh,carbon_marginal_g_per_kwh,pue,capacity_mw\n"
               "home,50,8,100,500,500,1.2,20\naway,59,18,50,20,300,1.1,4\n")
    sc = sc_csv.scenario_from_files(files(regions_csv=regions, workloads_csv="id,latency_budget_ms\nw,50\n",
                                          rtt_csv=None, settings_json=json.dumps(settings)))
    assert (sc.name, sc.period_hours, sc.frictions.provider_lock, sc.frictions.egress) == ("mine", 24.0, True, True)
    assert sc.objective.carbon_price_usd_per_t == 80 and sc.rtt_ms == {}
    assert [(n.name, n.country, n.residency_zone, n.provider) for n in sc.nodes] == [("", "", None, None)] * 2
    w = sc.workloads[0]
    assert (w.state_pinned_share, w.gb_per_mwh, w.migration_overhead, w.residency_bound) == (0, 0, 0, False)


def test_round_trip_of_the_default_scenario(tmp_path):
    sc = default_scenario()
    sc_csv.write_scenario_dir(sc, tmp_path)
    back = sc_csv.read_scenario_dir(tmp_path)
    assert back == sc and back.to_json() == sc.to_json()
    assert sc_csv.scenario_files(back) == {p.name: p.read_text(encoding="utf-8") for p in tmp_path.iterdir()}
    # every given round trip is in rtt.csv once, each direction in its own column
    given = sum(len(row) for row in sc.rtt_ms.values())
    rows = sc_csv.scenario_files(sc)["rtt.csv"].splitlines()[1:]
    assert sum(cell != "" for line in rows for cell in line.split(",")[2:]) == given


def _generated_with_providers() -> Scenario:
    d = generated_scenario(12, seed=1).to_dict()
    for i, node in enumerate(d["nodes"]):
        node["provider"] = ("aws", "azure", "gcp", None)[i % 4]
    d["nodes"][0]["name"] = 'São Paulo, "BR"\nsecond line'        # quoting, a newline, non-ASCII
    d["nodes"][1]["residency_zone"] = None
    ids = [n["id"] for n in d["nodes"]]
    d["rtt_ms"] = {ids[0]: {ids[1]: 12.5, ids[2]: 40.0}, ids[2]: {ids[0]: 41.0}, ids[5]: {ids[3]: 0.1}}
    d["workloads"][0]["state_pinned_share"] = 1 / 3                # a float that needs all its digits
    d["frictions"]["provider_lock"] = True
    d["description"] = "with providers"
    return parse_scenario(d)


def test_round_trip_of_a_generated_scenario_with_providers(tmp_path):
    sc = _generated_with_providers()
    sc_csv.write_scenario_dir(sc, tmp_path)
    back = sc_csv.read_scenario_dir(tmp_path)
    assert back == sc
    assert [n.provider for n in back.nodes][:4] == ["aws", "azure", "gcp", None]
    assert back.rtt_ms == sc.rtt_ms and back.workloads[0].state_pinned_share == 1 / 3
    assert sc_csv.scenario_files(back) == sc_csv.scenario_files(sc)


def test_a_byte_order_mark_and_windows_line_endings_are_read():
    crlf = {name: ("\ufeff" + text).replace("\n", "\r\n").encode("utf-8") for name, text in files().items()}
    assert sc_csv.scenario_from_files(crlf) == parse_scenario(EXPECTED)


def test_blank_rows_are_skipped_and_counted():
    regions = REGIONS.replace("\naway,", "\n,,,,,,,,,,,\n\naway,").replace(",1.1,4", ",0.9,4")
    assert refused(files(regions_csv=regions)) == "regions.csv row 5, pue: must be ≥ 1.0, got 0.9"


def test_booleans_in_spreadsheet_spellings():
    for cell, value in (("TRUE", True), ("no", False), ("1", True), ("False", False)):
        sc = sc_csv.scenario_from_files(files(workloads_csv=WORKLOADS.replace(",true", f",{cell}")))
        assert sc.workloads[0].residency_bound is value


def test_zip_of_the_files_and_uploads():
    sc = _generated_with_providers()
    data = sc_csv.scenario_zip(sc, "mine")
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert sorted(names) == sorted(f"mine/{f}" for f in sc_csv.FILES)
    assert sc_csv.scenario_zip(sc, "mine") == data                 # the same scenario, the same bytes
    assert sc_csv.scenario_from_files(sc_csv.collect_files([("mine.zip", data)])) == sc
    loose = [(name.upper() if name == "rtt.csv" else name, text.encode()) for name, text in files().items()]
    assert sc_csv.scenario_from_files(sc_csv.collect_files(loose)) == parse_scenario(EXPECTED)


# --- errors name the file, the row and the column ----------------------------------------------------

def test_a_model_rule_names_file_row_and_column():
    regions = REGIONS.replace(",1.1,4", ",0.9,4")
    assert refused(files(regions_csv=regions)) == "regions.csv row 3, pue: must be ≥ 1.0, got 0.9"
    workloads = WORKLOADS.replace(",0.2,", ",1.5,")
    assert refused(files(workloads_csv=workloads)) == "workloads.csv row 2, state_pinned_share: must be ≤ 1.0, got 1.5"
    regions = REGIONS.replace("home,Home,DE,50,", "home,Home,DE,91,")
    assert refused(files(regions_csv=regions)) == "regions.csv row 2, lat: must be ≤ 90.0, got 91.0"
    regions = REGIONS.replace(",100,500,", ",nan,500,")
    assert refused(files(regions_csv=regions)) == \
        "regions.csv row 2, price_usd_per_mwh: must be a finite number, got nan"
    regions = REGIONS.replace("home,Home,", "home.x,Home,")
    assert refused(files(regions_csv=regions, demand_csv="node,workload,mw\n")) == \
        "regions.csv row 2, id: must not contain '.'"


def test_missing_files():
    assert refused(files(workloads_csv=None)) == ("workloads.csv: missing file; a scenario needs regions.csv, "
                                                  "workloads.csv, demand.csv (and optionally rtt.csv, settings.json)")
    assert refused(files(regions_csv=None)).startswith("regions.csv: missing file")


def test_missing_and_unknown_columns():
    regions = REGIONS.replace(",pue,", ",").replace(",1.2,", ",").replace(",1.1,", ",")
    assert refused(files(regions_csv=regions)) == "regions.csv, pue: missing column (it must be in the header row)"
    regions = REGIONS.replace("capacity_mw\n", "capacity_mw,colour\n")
    assert refused(files(regions_csv=regions)).startswith(
        "regions.csv row 1, colour: unknown column; the columns are id, name, country, lat, lon, ")
    assert refused(files(demand_csv="node,workload,mw,mw\nhome,w,1,2\n")) == "demand.csv row 1, mw: column given twice"
    assert refused(files(rtt_csv="a,b,rtt_ba_ms\nhome,away,20\n")) == \
        "rtt.csv, rtt_ab_ms: missing column (it must be in the header row)"
    assert refused(files(demand_csv="node;workload;mw\nhome;w;10\n")) == \
        "demand.csv row 1: columns must be separated by commas, not semicolons"


def test_cells_that_are_not_values():
    regions = REGIONS.replace(",50,20,300,", ",cheap,20,300,")
    assert refused(files(regions_csv=regions)) == "regions.csv row 3, price_usd_per_mwh: must be a number, got 'cheap'"
    workloads = WORKLOADS.replace(",true", ",maybe")
    assert refused(files(workloads_csv=workloads)) == "workloads.csv row 2, residency_bound: must be true or false, got 'maybe'"
    regions = REGIONS.replace("away,\"Away, far\",SE,59,", "away,\"Away, far\",SE,,")
    assert refused(files(regions_csv=regions)) == "regions.csv row 3, lat: is required"
    assert refused(files(demand_csv="node,workload,mw\nhome,w,10,5\n")) == \
        "demand.csv row 2: 4 cells, but the header has 3 columns"
    assert refused(files(demand_csv="node,workload,mw\n,w,10\n")) == "demand.csv row 2, node: is required"
    assert refused(files(demand_csv='node,workload,mw\nhome,w,10\nhome,"w"x,1\n')) == \
        "demand.csv line 3: not valid CSV (',' expected after '\"')"


def test_empty_files_and_files_without_rows():
    assert refused(files(regions_csv="")) == ("regions.csv: the file is empty; it needs a header row: id, name, "
                                              "country, lat, lon, residency_zone, provider, price_usd_per_mwh, "
                                              "carbon_avg_g_per_kwh, carbon_marginal_g_per_kwh, pue, capacity_mw")
    assert refused(files(workloads_csv="\r\n\r\n")).startswith("workloads.csv: the file is empty")
    header_only = WORKLOADS.splitlines()[0] + "\n"
    assert refused(files(workloads_csv=header_only, demand_csv="node,workload,mw\n")) == \
        "workloads.csv: needs at least one row below the header"


def test_duplicate_ids_name_both_rows():
    regions = REGIONS + "home,Again,DE,50,8,EU,aws,100,500,500,1.2,20\n"
    assert refused(files(regions_csv=regions)) == "regions.csv row 4, id: duplicate id 'home', also in row 2"
    workloads = WORKLOADS + "w,Again,10,0,0,0,false\n"
    assert refused(files(workloads_csv=workloads)) == "workloads.csv row 3, id: duplicate id 'w', also in row 2"


def test_unknown_ids_in_demand_and_round_trips():
    assert refused(files(demand_csv="node,workload,mw\nhome,w,10\nhome,nope,1\n")) == \
        "demand.csv row 3, workload: unknown workload id 'nope'"
    assert refused(files(demand_csv="node,workload,mw\nthere,w,1\n")) == "demand.csv row 2, node: unknown node id 'there'"
    assert refused(files(rtt_csv="a,b,rtt_ab_ms,rtt_ba_ms\nhome,away,20,\nhome,there,30,\n")) == \
        "rtt.csv row 3, b: unknown node id 'there'"
    assert refused(files(rtt_csv="a,b,rtt_ab_ms,rtt_ba_ms\nhome,away,20,\nthere,home,,30\n")) == \
        "rtt.csv row 3, a: unknown node id 'there'"
    assert refused(files(rtt_csv="a,b,rtt_ab_ms,rtt_ba_ms\nthere,home,30,\n")) == \
        "rtt.csv row 2, a: unknown node id 'there'"


def test_round_trip_rows_that_cannot_be_used():
    assert refused(files(rtt_csv="a,b,rtt_ab_ms,rtt_ba_ms\nhome,away,20,-1\n")) == \
        "rtt.csv row 2, rtt_ba_ms: must be ≥ 0, got -1.0"
    assert refused(files(rtt_csv="a,b,rtt_ab_ms,rtt_ba_ms\nhome,away,20,\naway,home,,21\n")) == \
        "rtt.csv row 3, rtt_ba_ms: the round trip home → away is already given in row 2"
    assert refused(files(rtt_csv="a,b,rtt_ab_ms\nhome,home,5\n")) == \
        "rtt.csv row 2, b: a node's round trip to itself is 0 by definition"
    assert refused(files(rtt_csv="a,b,rtt_ab_ms,rtt_ba_ms\nhome,away,,\n")) == \
        "rtt.csv row 2, rtt_ab_ms: give rtt_ab_ms or rtt_ba_ms (or both)"


def test_settings_errors_name_the_key():
    assert refused(files(settings_json='{"frictions": {"egress": "yes"}}')) == \
        "settings.json, frictions.egress: must be true or false, got \"yes\""
    assert refused(files(settings_json='{"colour": 1}')) == "settings.json, colour: unknown field"
    assert refused(files(settings_json='{"prices": {"egress_usd_per_gb": 1, "egress_usd_per_gb": 2}}')) == \
        "settings.json, prices.egress_usd_per_gb: key given twice"
    assert refused(files(settings_json='{"nodes": []}')) == "settings.json, nodes: belongs in regions.csv, not in settings.json"
    assert refused(files(settings_json="[1]")) == "settings.json: must be a JSON object, got list"
    assert refused(files(settings_json="{")).startswith("settings.json: not valid JSON")


def test_text_that_is_not_utf8_and_bad_uploads():
    latin1 = REGIONS.replace("Home", "Zürich").encode("latin-1")
    assert refused(files(regions_csv=latin1)) == "regions.csv: not UTF-8 text (save it as “CSV UTF-8”)"
    with pytest.raises(ScenarioError, match=r"^regions \(1\)\.csv: unknown file; the files are regions\.csv, "):
        sc_csv.collect_files([("regions (1).csv", b"")])
    with pytest.raises(ScenarioError, match=r"^demand\.csv: given twice$"):
        sc_csv.collect_files([("demand.csv", b""), ("x.zip", sc_csv.scenario_zip(default_scenario(), "x"))])
    with pytest.raises(ScenarioError, match=r"^x\.zip: not a readable zip archive"):
        sc_csv.collect_files([("x.zip", b"not a zip")])


# --- the command line ---------------------------------------------------------------------------------

def run(*args):
    return subprocess.run([sys.executable, "-m", "core", *map(str, args)], cwd=REPO, capture_output=True,
                          text=True, timeout=300)


def test_cli_solves_a_folder_as_the_same_scenario_in_json(tmp_path):
    sc = _generated_with_providers()
    sc_csv.write_scenario_dir(sc, tmp_path / "folder")
    (tmp_path / "scenario.json").write_text(sc.to_json(indent=2))
    from_dir, from_json = run("solve", f"{tmp_path / 'folder'}/"), run("solve", tmp_path / "scenario.json")
    assert from_dir.returncode == 0 and from_json.returncode == 0, (from_dir.stderr, from_json.stderr)
    assert json.loads(from_dir.stdout) == json.loads(from_json.stdout)
    frontier = run("frontier", tmp_path / "folder", "--budgets", "0,50")
    assert frontier.returncode == 0 and len(json.loads(frontier.stdout)["points"]) == 2, frontier.stderr


def test_cli_refuses_a_bad_folder_with_one_line(tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    for name, text in files(regions_csv=REGIONS.replace(",1.1,4", ",0.9,4")).items():
        (folder / name).write_text(text)
    out = run("solve", f"{folder}/")
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr == "error: regions.csv row 3, pue: must be ≥ 1.0, got 0.9\n"
    (folder / "workloads.csv").unlink()
    out = run("metrics", folder)
    assert out.returncode == 2 and out.stderr.startswith("error: workloads.csv: missing file;")
    assert len(out.stderr.splitlines()) == 1
