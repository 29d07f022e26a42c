"""The catalogue of shipped scenarios (core/catalogue.py): every ``*.json`` of ``scenarios/`` by
its stem with the name its file gives, ``default`` first; an unknown id is refused naming the
field ``scenario``; a server's own file takes the place of ``default``."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from core import catalogue
from core.scenario import ScenarioError, default_scenario

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "scenarios"
SOURCES = {"default": ROOT / "data" / "regions.csv", "world_cloud_regions": ROOT / "data" / "world_regions.csv",
           "default_hourly_2024": ROOT / "data" / "regions.csv"}        # the default's regions, hour by hour
RTT_SOURCES = {"default": ROOT / "data" / "rtt_pairs.csv", "world_cloud_regions": ROOT / "data" / "world_rtt_pairs.csv",
               "default_hourly_2024": ROOT / "data" / "rtt_pairs.csv"}
WORLD = SHIPPED / "world_cloud_regions.json"


def file_name(path: Path) -> str:
    return json.loads(path.read_text(encoding="utf-8"))["name"]


def test_the_shipped_folder_is_the_project_scenarios_folder():
    assert catalogue.SCENARIOS_DIR == SHIPPED


def test_every_shipped_file_is_listed_with_its_name_default_first():
    files = sorted(SHIPPED.glob("*.json"))
    cat = catalogue.shipped()
    assert set(cat) == {p.stem for p in files} and next(iter(cat)) == "default"
    for p in files:
        assert cat[p.stem] == catalogue.Entry(p.stem, file_name(p), p, SOURCES.get(p.stem), RTT_SOURCES.get(p.stem))


def test_each_rtt_source_table_lists_pairs_of_its_scenario():
    # every pair of the round-trip sources table is a pair of the scenario's regions
    for entry in catalogue.shipped().values():
        if entry.rtt_sources is not None:
            table = pd.read_csv(entry.rtt_sources)
            ids = {n["id"] for n in json.loads(entry.path.read_text(encoding="utf-8"))["nodes"]}
            assert set(table["a"]) | set(table["b"]) <= ids and len(table), entry.id


def test_each_source_table_lists_the_regions_of_its_scenario():
    # the table of sources and flags names exactly the scenario's regions, read from both files
    for entry in catalogue.shipped().values():
        if entry.sources is not None:
            table = pd.read_csv(entry.sources)
            ids = {n["id"] for n in json.loads(entry.path.read_text(encoding="utf-8"))["nodes"]}
            assert set(table["id"]) == ids, entry.id


def test_default_loads_as_the_shipped_default():
    assert catalogue.load(catalogue.shipped(), "default").to_json() == default_scenario().to_json()


@pytest.mark.skipif(not WORLD.exists(), reason="scenarios/world_cloud_regions.json is not shipped yet")
def test_the_world_scenario_is_listed_and_loads():
    cat = catalogue.shipped()
    assert cat["world_cloud_regions"].name == file_name(WORLD)
    sc = catalogue.load(cat, "world_cloud_regions")
    raw = json.loads(WORLD.read_text(encoding="utf-8"))
    assert len(sc.nodes) == len(raw["nodes"]) and sc.frictions.provider_lock is True


def write(folder: Path, stem: str, data) -> Path:
    path = folder / f"{stem}.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


@pytest.fixture
def folder(tmp_path):
    """default.json, two more scenarios named out of alphabetical order of their stems, one file
    without a name, one that is not JSON, and a file that is not *.json (not listed)."""
    d = default_scenario().to_dict()
    write(tmp_path, "default", d)
    write(tmp_path, "a_second", {**d, "name": "Zeta sites"})
    write(tmp_path, "b_third", {**d, "name": "Alpha sites"})
    write(tmp_path, "nameless", {k: v for k, v in d.items() if k != "name"})
    write(tmp_path, "broken", "{not json")
    (tmp_path / "notes.txt").write_text("not a scenario")
    return tmp_path


def test_a_folder_lists_default_first_then_by_name(folder):
    cat = catalogue.shipped(folder)
    # names: default's, "Zeta sites", "Alpha sites", and the stems of the files without a readable name
    assert list(cat) == ["default", "b_third", "broken", "nameless", "a_second"]
    assert [cat[i].name for i in ("b_third", "broken", "nameless", "a_second")] == \
        ["Alpha sites", "broken", "nameless", "Zeta sites"]
    assert all(e.path == folder / f"{e.id}.json" for e in cat.values())
    assert cat["default"].sources == SOURCES["default"] and all(cat[i].sources is None for i in list(cat)[1:])


def test_load_by_id_gives_that_file(folder):
    sc = catalogue.load(catalogue.shipped(folder), "a_second")
    assert sc.name == "Zeta sites" and len(sc.nodes) == len(default_scenario().nodes)


@pytest.mark.parametrize("bad", ["nowhere", "notes", "", "../default", None, 3])
def test_an_unknown_id_names_the_field_and_the_known_ids(folder, bad):
    with pytest.raises(ScenarioError) as err:
        catalogue.load(catalogue.shipped(folder), bad)
    assert err.value.field == "scenario"
    assert str(err.value).startswith("scenario: ") and "default, b_third, broken, nameless, a_second" in str(err.value)


def test_an_unreadable_file_raises_its_own_error(folder):
    with pytest.raises(ScenarioError) as err:
        catalogue.load(catalogue.shipped(folder), "broken")
    assert "not valid JSON" in str(err.value)


def test_a_server_file_takes_the_place_of_default(folder, tmp_path_factory):
    own = write(tmp_path_factory.mktemp("own"), "my_sites", {**default_scenario().to_dict(), "name": "My sites"})
    cat = catalogue.shipped(folder, default_path=own)
    assert cat["default"] == catalogue.Entry("default", "My sites", own, SOURCES["default"], RTT_SOURCES["default"])
    assert list(cat)[1:] == ["b_third", "broken", "nameless", "a_second"]
    assert catalogue.load(cat, "default").name == "My sites"


def test_a_folder_without_default_lists_the_others(tmp_path):
    write(tmp_path, "only", {**default_scenario().to_dict(), "name": "Only one"})
    assert list(catalogue.shipped(tmp_path)) == ["only"]
    with pytest.raises(ScenarioError, match="scenario: no scenario 'default'"):
        catalogue.load(catalogue.shipped(tmp_path), "default")
