"""The Data page keeps track of the user's work (AppTest, from the app's entry point): an edited
value is flagged "user edit" and the change of the result is shown with hand-worked numbers; an
upload keeps the tab and asks before it replaces edits; an error names the region; the sources
summary is in plain words with the flag counts of data/regions.csv."""
from __future__ import annotations

import json

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from app_support import ROOT, cleared_caches, keep_navigation_mode, open_app, served_scenario
from core.briefing import FLAG_WORDS
from core.scenario import default_scenario
from core.share import decode_state
from pages.common.theme import fmt_t, fmt_usd

TIMEOUT = 60


@pytest.fixture(autouse=True)
def _app_mode(monkeypatch):
    keep_navigation_mode(monkeypatch)
    with cleared_caches():
        yield


def tiny(tiny_scenario, **changes) -> dict:
    """home $100/MWh (500 g/kWh average and marginal), away $50/MWh (200 average, 300 marginal)
    with 4 MW, 20 ms apart; 10 MW of w (budget 50 ms) at home; 10 h; no egress, no carbon price."""
    d = tiny_scenario(name="tiny", nodes=[
        {"id": "home", "name": "Home", "carbon_avg_g_per_kwh": 500, "carbon_marginal_g_per_kwh": 500},
        {"id": "away", "name": "Away", "lon": 1.0, "price_usd_per_mwh": 50, "capacity_mw": 4,
         "carbon_avg_g_per_kwh": 200, "carbon_marginal_g_per_kwh": 300}])
    d.update(changes)
    return d


@pytest.fixture
def tiny_app(tmp_path, monkeypatch, tiny_scenario):
    with served_scenario(tmp_path, monkeypatch, tiny(tiny_scenario), "tiny.json"):
        yield open_data_page()


def open_data_page() -> AppTest:
    return open_app(page="data", timeout=TIMEOUT)


def editor(at: AppTest, name: str):
    found = [e for e in at.data_editor if e.key and e.key.endswith(f"_{name}")]
    assert len(found) == 1, [e.key for e in at.data_editor]
    return found[0]


def edit(at: AppTest, name: str, rows: dict) -> AppTest:
    """Edit cells of the editor ``name`` ({row: {column: value}}) as the browser would, and rerun."""
    at.session_state[editor(at, name).key] = {"edited_rows": rows, "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def row(at: AppTest, name: str, item: str) -> pd.Series:
    df = editor(at, name).value
    return df[df["id"] == item].iloc[0]


def metric(at: AppTest, label: str):
    found = [m for m in at.metric if m.label == label]
    assert len(found) == 1, [m.label for m in at.metric]
    return found[0]


def changes(at: AppTest) -> dict:
    """The scenario's edits against the default, as the address bar holds them."""
    return decode_state(at.query_params["s"]).changes


def shown_tab(at: AppTest) -> str:
    """The label of the tab the browser shows: the tab container's selected index."""
    containers = []

    def walk(node):
        proto = getattr(node, "proto", None)
        if proto is not None and proto.DESCRIPTOR.name == "Block" and proto.WhichOneof("type") == "tab_container":
            containers.append(node)
        for child in getattr(node, "children", {}).values():
            walk(child)
    walk(at.main)
    assert len(containers) == 1
    tabs = [child for child in containers[0].children.values()]
    return tabs[containers[0].proto.tab_container.default_tab_index].label


def upload(at: AppTest, name: str, content: bytes) -> AppTest:
    at.file_uploader[0].set_value((name, content, "application/octet-stream"))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


# --- an edit: its flag and what it changed ---------------------------------------------------------

def test_an_edit_is_flagged_and_its_change_of_the_result_shown(tiny_app):
    at = tiny_app
    assert row(at, "edit_nodes", "away")["capacity_flag"] == "not documented"   # no region of data/regions.csv
    assert not [m for m in at.metric if m.label == "Savings vs local"]        # no edit yet
    edit(at, "edit_nodes", {1: {"capacity_mw": 6.0}})                          # away: 4 → 6 MW
    assert not at.error, [e.value for e in at.error]
    away, home = row(at, "edit_nodes", "away"), row(at, "edit_nodes", "home")
    assert away["capacity_flag"] == "user edit"
    assert away["capacity_source"].startswith("your value (default 4 MW")
    assert away["price_flag"] == "not documented" and home["capacity_flag"] == "not documented"
    # by hand, H = 10 h, local = all 10 MW at home: cost 10·10·100 = $10,000.
    # before: 4 MW away: cost 10·(6·100 + 4·50) = $8,000, savings $2,000,
    #         emissions avg 10·(6·0.5 + 4·0.2) = 38 t, marginal 10·(6·0.5 + 4·0.3) = 42 t
    # after:  6 MW away: cost 10·(4·100 + 6·50) = $7,000, savings $3,000,
    #         emissions avg 10·(4·0.5 + 6·0.2) = 32 t, marginal 10·(4·0.5 + 6·0.3) = 38 t
    expected = {"Savings vs local": (fmt_usd(3000), "+" + fmt_usd(1000)),
                "Energy cost": (fmt_usd(7000), fmt_usd(-1000)),
                "Emissions, average": (fmt_t(32), fmt_t(-6)),
                "Emissions, marginal": (fmt_t(38), fmt_t(-4))}
    for label, (value, delta) in expected.items():
        m = metric(at, label)
        assert (m.value, m.proto.delta) == (value, delta), label
    panel = [m.value for m in at.markdown if "What your last edit changed" in m.value]
    assert len(panel) == 1 and "Away (away): capacity 4 → 6 MW" in panel[0], panel
    # another setting (the sidebar's relaxation) makes "before the edit" stale: the panel goes
    [s for s in at.slider if s.key and s.key.endswith("_relax")][0].set_value(5.0)
    at.run()
    assert not [m for m in at.markdown if "What your last edit changed" in m.value]


def test_an_unchanged_result_says_no_change(tiny_app):
    at = edit(tiny_app, "edit_nodes", {0: {"pue": 1.0}})        # a non-edit: nothing applied, no panel
    assert not [m for m in at.markdown if "What your last edit changed" in m.value]
    at = edit(at, "edit_nodes", {0: {"name": "Home town"}})     # a name moves no number
    for label in ("Savings vs local", "Energy cost", "Emissions, average", "Emissions, marginal"):
        assert metric(at, label).proto.delta == "no change"
    assert metric(at, "Savings vs local").value == fmt_usd(2000)


def test_an_edited_round_trip_is_flagged(tiny_app):
    at = tiny_app
    rtt = editor(at, "edit_rtt").value
    assert (rtt["a"].iloc[0], rtt["b"].iloc[0], rtt["given"].iloc[0]) == ("home", "away", "given")
    assert rtt["data_source"].iloc[0] == ""
    at = edit(at, "edit_rtt", {0: {"rtt_ab_ms": 25.0}})
    rtt = editor(at, "edit_rtt").value
    assert rtt["data_source"].iloc[0] == "user edit"
    assert changes(at) == {"rtt_ms": {"home": {"away": 25.0}}}


def test_a_refused_edit_names_the_region(tiny_app):
    at = edit(tiny_app, "edit_nodes", {1: {"pue": 0.5}})
    assert any("away (nodes[1]).pue" in e.value for e in at.error), [e.value for e in at.error]
    assert changes(at) == {}


# --- the default data: flags, sources and their plain-language summary ------------------------------

def _summary(at: AppTest) -> str:
    found = [e.value for e in at.markdown if "- **Electricity price**" in e.value]
    assert len(found) == 1
    return found[0]


def _prices_line(at: AppTest) -> str:
    """The summary's bullet on prices (up to the next bullet)."""
    text = _summary(at)
    start = text.index("- **Electricity price**")
    return " ".join(text[start:text.index("\n- **", start + 1)].split())


def _count_words(counts: dict) -> list[str]:
    return [f"{c} {FLAG_WORDS[f]}" for f, c in counts.items() if c]


def test_default_flags_an_edit_and_the_sources_summary():
    csv = pd.read_csv(ROOT / "data" / "regions.csv", keep_default_na=False, na_values=[""]).set_index("id")
    sc = default_scenario()
    first, second = sc.nodes[0], sc.nodes[1]
    at = open_data_page()
    # the table shows regions.csv's flags and sources
    assert row(at, "edit_nodes", first.id)["price_flag"] == csv.at[first.id, "price_flag"]
    assert row(at, "edit_nodes", first.id)["price_source"] == csv.at[first.id, "price_source"]
    # the summary: plain words, the flag counts of regions.csv, nothing for developers
    summary = _summary(at)
    for dev in ("make data", "tests/", ".py", "build_default_scenario", "`"):
        assert dev not in summary, dev
    assert "price basis of each region" in " ".join(summary.split())
    prices = _prices_line(at)
    for words in _count_words(csv["price_flag"].value_counts().to_dict()):
        assert words in prices, (words, prices)

    at = edit(at, "edit_nodes", {0: {"price_usd_per_mwh": 12.5}})
    edited = row(at, "edit_nodes", first.id)
    assert edited["price_flag"] == "user edit"
    assert edited["price_source"] == (f"your value (default {first.price_usd_per_mwh:g} $/MWh: "
                                      f"{csv.at[first.id, 'price_source']})")
    assert row(at, "edit_nodes", first.id)["pue_flag"] == csv.at[first.id, "pue_flag"]    # other fields keep theirs
    assert row(at, "edit_nodes", second.id)["price_flag"] == csv.at[second.id, "price_flag"]
    counts = csv["price_flag"].value_counts().to_dict()
    counts[csv.at[first.id, "price_flag"]] -= 1
    counts["user edit"] = 1
    prices = _prices_line(at)
    for words in _count_words(counts):
        assert words in prices, (words, prices)

    at = edit(at, "edit_nodes", {0: {"price_usd_per_mwh": first.price_usd_per_mwh}})    # back to the default
    restored = row(at, "edit_nodes", first.id)
    assert (restored["price_flag"], restored["price_source"]) == (csv.at[first.id, "price_flag"],
                                                                  csv.at[first.id, "price_source"])
    assert changes(at) == {}


# --- uploads ----------------------------------------------------------------------------------------

def test_an_upload_without_edits_loads_and_keeps_the_tab(tiny_app, tiny_scenario):
    at = tiny_app
    assert shown_tab(at) == "Regions"
    at.session_state["data_tab"] = "Files"                       # the user opens the Files tab
    at.run()
    assert shown_tab(at) == "Files"
    new = tiny(tiny_scenario, name="uploaded")
    new["nodes"][1]["price_usd_per_mwh"] = 40.0
    at = upload(at, "mine.json", json.dumps(new).encode())
    assert not at.warning, [w.value for w in at.warning]          # nothing to lose: no question
    assert shown_tab(at) == "Files"
    assert any("Loaded mine.json" in s.value for s in at.success), [s.value for s in at.success]
    assert changes(at) == {"name": "uploaded", "nodes.away.price_usd_per_mwh": 40.0}


def test_an_upload_over_edits_asks_first_and_loses_nothing(tiny_app, tiny_scenario):
    at = edit(tiny_app, "edit_nodes", {1: {"capacity_mw": 6.0}})
    [t for t in at.toggle if t.key and t.key.endswith("friction_egress")][0].set_value(False)
    at.run()
    edits = {"nodes.away.capacity_mw": 6.0, "frictions.egress": False}
    assert changes(at) == edits
    at.session_state["data_tab"] = "Files"
    at.run()
    new = tiny(tiny_scenario, name="uploaded")
    at = upload(at, "mine.yaml", json.dumps(new).encode())      # JSON text is YAML too
    question = [w.value for w in at.warning if w.value.startswith("Replace your")]
    assert question == ["Replace your 2 edits with the uploaded scenario “uploaded” (mine.yaml)?"], question
    assert changes(at) == edits and shown_tab(at) == "Files"     # nothing replaced yet
    [b for b in at.button if b.label == "Keep my edits"][0].click()
    at.run()
    assert changes(at) == edits and shown_tab(at) == "Files"
    assert not [w for w in at.warning if w.value.startswith("Replace your")]
    assert any("your edits are kept" in i.value for i in at.info), [i.value for i in at.info]

    new["name"] = "uploaded again"
    at = upload(at, "mine.yaml", json.dumps(new).encode())
    assert [w.value for w in at.warning if w.value.startswith("Replace your 2 edits")]
    [b for b in at.button if b.label == "Replace"][0].click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert changes(at) == {"name": "uploaded again"} and shown_tab(at) == "Files"
    assert any("Loaded mine.yaml" in s.value for s in at.success)


@pytest.mark.parametrize("name", ["dup.json", "dup.yaml"])
def test_an_upload_with_a_repeated_key_is_refused(tiny_app, tiny_scenario, name):
    d = tiny(tiny_scenario)
    if name.endswith(".json"):
        text = json.dumps(d).replace('"away": 20.0', '"away": 20.0, "away": 99.0')
    else:                                      # block YAML, one top-level key a line
        text = "\n".join(f"{k}: {json.dumps(v)}" for k, v in d.items() if k != "rtt_ms")
        text += "\nrtt_ms:\n  home:\n    away: 20\n    away: 99\n"
    assert "99" in text
    at = upload(tiny_app, name, text.encode())
    assert any(e.value == f"{name} was not loaded: rtt_ms.home: duplicate key 'away'" for e in at.error), \
        [e.value for e in at.error]
    assert changes(at) == {}
