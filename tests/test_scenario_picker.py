"""The sidebar's scenario picker and the provider-lock switch through AppTest.

The scenarios folder is a temporary copy (``core.catalogue.SCENARIOS_DIR`` patched): the shipped
default and, as ``world_cloud_regions``, the shipped world scenario when it is there, else a
117-node stand-in with cloud providers and the provider lock on. Node counts come from the JSON
files, savings from independent HiGHS solves (``core.engines.solve_with``), not from the app.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import app_support
from app_support import by_key, capture_downloads, cleared_caches, keep_navigation_mode, served_scenario
from conftest import build_tiny_scenario
from core import catalogue
from core.engines import solve_with
from core.inputs import model_inputs
from core.metrics import local_inputs
from core.scenario import default_scenario, update_scenario
from core.share import ShareState, decode_state, encode_state
from pages.common.theme import fmt_usd

TIMEOUT = 180
ROOT = Path(__file__).resolve().parents[1]
SHIPPED_WORLD = ROOT / "scenarios" / "world_cloud_regions.json"
WORLD_ID = "world_cloud_regions"


def stand_in_world() -> dict:
    """117 generated regions, providers aws/azure/gcp in turn, the provider lock on."""
    from bench.scenarios import generated_scenario

    d = generated_scenario(117, 7).to_dict()
    for i, node in enumerate(d["nodes"]):
        node["provider"] = ("aws", "azure", "gcp")[i % 3]
    d["frictions"]["provider_lock"] = True
    return {**d, "name": "Stand-in cloud regions (117, generated)"}


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("scenarios")
    shutil.copy(catalogue.SCENARIOS_DIR / "default.json", path / "default.json")
    world = path / f"{WORLD_ID}.json"
    if SHIPPED_WORLD.exists():
        shutil.copy(SHIPPED_WORLD, world)
    else:
        world.write_text(json.dumps(stand_in_world()))
    return path


@pytest.fixture(scope="module")
def world_file(folder) -> dict:
    return json.loads((folder / f"{WORLD_ID}.json").read_text(encoding="utf-8"))


@pytest.fixture(autouse=True)
def _app(folder, monkeypatch):
    monkeypatch.setattr(catalogue, "SCENARIOS_DIR", folder)
    monkeypatch.delenv("ELF_SCENARIO", raising=False)
    keep_navigation_mode(monkeypatch)
    with cleared_caches():
        yield


def open_app(link: str | None = None, page: str | None = None) -> AppTest:
    return app_support.open_app(link=link, page=page, timeout=TIMEOUT)


def picker(at: AppTest):
    return by_key(at.selectbox, "scenario_pick")


def nodes_in_session(at: AppTest) -> int:
    return len(at.session_state["elf_scenario"].nodes)


def link(at: AppTest) -> ShareState:
    return decode_state(at.query_params["s"])


def shown_savings(at: AppTest) -> str:
    return {m.label: m.value for m in at.metric}["Savings vs local"]


def highs_savings_usd(sc, **frictions) -> float:
    """Savings vs local [$] of ``sc`` with ``frictions`` switched as given, solved by HiGHS."""
    inp = model_inputs(sc).with_frictions(**frictions)
    return solve_with("highs", local_inputs(inp)).cost_usd - solve_with("highs", inp).cost_usd


@pytest.fixture(scope="module")
def world_savings(folder) -> dict[bool, float]:
    """Savings vs local [$] of the world scenario as shipped, provider lock on and off."""
    sc = catalogue.load(catalogue.shipped(folder), WORLD_ID)
    return {lock: highs_savings_usd(sc, provider_lock=lock) for lock in (True, False)}


# --- the picker and the link ----------------------------------------------------------------------

def test_picker_lists_the_scenarios_by_name_on_default(folder, world_file):
    at = open_app()
    p = picker(at)
    assert p.label == "Scenario" and p.value == "default"
    assert p.options == [default_scenario().name, world_file["name"]]
    assert any("discarded" in c.value for c in at.sidebar.caption)
    assert link(at).scenario == "default"


def test_picking_the_world_switches_the_session_and_the_link_names_it(world_file, world_savings):
    at = open_app()
    assert nodes_in_session(at) == len(default_scenario().nodes)
    picker(at).set_value(WORLD_ID).run()
    app_support.no_exception(at)
    assert nodes_in_session(at) == len(world_file["nodes"])
    assert not at.warning and picker(at).value == WORLD_ID
    state = link(at)
    assert state.scenario == WORLD_ID and state.changes == {}
    lock = world_file["frictions"]["provider_lock"]
    assert shown_savings(at) == fmt_usd(world_savings[lock])

    fresh = open_app(at.query_params["s"])            # the link in a new session
    assert not fresh.warning
    assert nodes_in_session(fresh) == len(world_file["nodes"]) and picker(fresh).value == WORLD_ID
    assert shown_savings(fresh) == fmt_usd(world_savings[lock])
    assert link(fresh) == state


def test_a_link_without_a_scenario_opens_the_default():
    old = encode_state(ShareState(changes={"frictions.egress": False}))
    at = open_app(old)
    assert not at.warning and picker(at).value == "default"
    assert nodes_in_session(at) == len(default_scenario().nodes)
    assert at.session_state["elf_scenario"].frictions.egress is False


def test_a_link_to_an_unknown_scenario_warns_and_opens_the_default():
    at = open_app(encode_state(ShareState(scenario="atlantis", changes={"frictions.egress": False})))
    warnings = [w.value for w in at.warning]
    assert any("link could not be used" in w and "scenario" in w and "atlantis" in w for w in warnings), warnings
    assert picker(at).value == "default" and nodes_in_session(at) == len(default_scenario().nodes)
    assert link(at).changes == {} and link(at).scenario == "default"


def test_edits_in_a_world_link_apply_to_the_world_and_reset_goes_back_to_it(world_file):
    first = world_file["nodes"][0]["id"]
    changes = {f"nodes.{first}.price_usd_per_mwh": 55.5, "frictions.egress": False}
    at = open_app(encode_state(ShareState(scenario=WORLD_ID, changes=changes)))
    assert not at.warning
    sc = at.session_state["elf_scenario"]
    assert len(sc.nodes) == len(world_file["nodes"]) and sc.nodes[0].price_usd_per_mwh == 55.5
    assert link(at).changes == changes and link(at).scenario == WORLD_ID
    next(b for b in at.button if b.label.startswith("Reset")).click()
    at.run()
    assert link(at) == ShareState(scenario=WORLD_ID, changes={}, page="explorer")
    assert picker(at).value == WORLD_ID


def test_picking_with_edits_asks_first_and_keeps_the_edits_retrievable(monkeypatch, world_file):
    files = capture_downloads(monkeypatch, ".json")
    at = open_app()
    by_key(at.toggle, "friction_egress").set_value(False)
    by_key(at.slider, "_relax").set_value(10.0)
    at.run()
    edited = update_scenario(default_scenario(), {"frictions.egress": False})

    picker(at).set_value(WORLD_ID).run()                # asks: nothing switched yet
    asked = [w.value for w in at.sidebar.warning]
    assert any("Switch to" in w and world_file["name"] in w and "1 edit" in w for w in asked), asked
    assert nodes_in_session(at) == len(default_scenario().nodes)
    assert link(at).scenario == "default" and link(at).changes == {"frictions.egress": False}
    saved = [json.loads(v) for v in files.values()]     # "Download my edited scenario"
    assert any(s == json.loads(edited.to_json()) for s in saved), list(files)

    next(b for b in at.button if b.label == "Keep my edits").click()
    at.run()
    assert not at.sidebar.warning and picker(at).value == "default"
    assert link(at).changes == {"frictions.egress": False} and link(at).relax_ms == 10.0

    picker(at).set_value(WORLD_ID).run()
    next(b for b in at.button if b.label == "Switch").click()
    at.run()
    app_support.no_exception(at)
    assert nodes_in_session(at) == len(world_file["nodes"]) and picker(at).value == WORLD_ID
    assert not at.sidebar.warning
    assert link(at) == ShareState(scenario=WORLD_ID, changes={}, relax_ms=10.0, page="explorer")
    assert by_key(at.toggle, "friction_egress").value == world_file["frictions"]["egress"]
    assert "previous setting" not in app_support.page_text(at)     # no Δ between two scenarios


@pytest.mark.skipif(not SHIPPED_WORLD.exists(), reason="scenarios/world_cloud_regions.json is not shipped yet")
def test_the_world_data_basis_comes_from_its_own_table(world_file):
    # "prices: 12 measured, 105 estimated", counted here from data/world_regions.csv's flags
    flags = pd.read_csv(ROOT / "data" / "world_regions.csv").set_index("id").loc[[n["id"] for n in world_file["nodes"]]]
    words = {"measured": "measured", "estimate": "estimated", "assumption": "assumed"}

    def basis(column: str, noun: str) -> str:
        counts = flags[column].value_counts()
        return f"{noun}: " + ", ".join(f"{counts[f]} {w}" for f, w in words.items() if f in counts)

    at = open_app(encode_state(ShareState(scenario=WORLD_ID)))
    card = next(m for m in at.metric if m.label == "Data basis")
    assert card.value == basis("price_flag", "prices")
    assert card.proto.delta == basis("capacity_flag", "capacities")


def test_picking_without_edits_switches_at_once_and_back():
    at = open_app()
    picker(at).set_value(WORLD_ID).run()
    assert not at.sidebar.warning and link(at).scenario == WORLD_ID
    picker(at).set_value("default").run()
    assert not at.sidebar.warning and link(at).scenario == "default"
    assert nodes_in_session(at) == len(default_scenario().nodes)


# --- the provider switch on the world -------------------------------------------------------------

def test_provider_lock_switch_on_the_world(world_file, world_savings):
    assert world_file["frictions"]["provider_lock"] is True
    assert world_savings[False] != pytest.approx(world_savings[True], rel=1e-6)   # the lock binds here
    assert world_savings[False] > world_savings[True]
    at = open_app(encode_state(ShareState(scenario=WORLD_ID)))
    toggle = by_key(at.toggle, "friction_provider_lock")
    assert toggle.value is True
    assert shown_savings(at) == fmt_usd(world_savings[True])

    toggle.set_value(False)
    at.run()
    assert shown_savings(at) == fmt_usd(world_savings[False])
    assert link(at).changes == {"frictions.provider_lock": False} and link(at).scenario == WORLD_ID

    by_key(at.toggle, "friction_provider_lock").set_value(True)
    at.run()
    at.switch_page("pages/frictions.py").run()
    app_support.no_exception(at)
    table = at.dataframe[0].value
    row = table[table["Friction switched on"] == "Provider lock"]
    assert len(row) == 1 and row.index[0] == len(table) - 1          # the lock is the last step
    assert row["Change"].iloc[0] == fmt_usd(world_savings[True] - world_savings[False])
    assert row["Savings"].iloc[0] == fmt_usd(world_savings[True])


# --- a server started on its own file ---------------------------------------------------------------

def test_a_server_file_takes_the_place_of_default(tmp_path, monkeypatch, world_file):
    own = build_tiny_scenario(name="My two sites")
    with served_scenario(tmp_path, monkeypatch, own, "mine.json"):
        at = open_app()
        p = picker(at)
        assert p.options == ["My two sites (this server's file)", world_file["name"]] and p.value == "default"
        assert nodes_in_session(at) == 2
        p.set_value(WORLD_ID).run()
        assert nodes_in_session(at) == len(world_file["nodes"]) and link(at).scenario == WORLD_ID
        fresh = open_app(encode_state(ShareState(changes={"frictions.egress": False})))
        assert not fresh.warning and nodes_in_session(fresh) == 2
