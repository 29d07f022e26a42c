"""The dashboard through Streamlit's AppTest: from the entry point, the numbers on screen are the
numbers core computes for the same scenario (computed here with core directly, not through the
page code), and bad input (a broken link, a bad upload, an invalid table edit) is refused with a
visible message while the last valid numbers stay."""
from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

import app_support
from app_support import by_key, cleared_caches, keep_navigation_mode
from core.analysis import Analysis, relaxed_inputs
from core.scenario import default_scenario, update_scenario
from core.share import ShareState, decode_state, encode_state
from pages.common.theme import fmt_mw, fmt_pct, fmt_t, fmt_usd

TIMEOUT = 30


@pytest.fixture(autouse=True)
def _clear_caches():
    with cleared_caches():
        yield


@pytest.fixture(autouse=True)
def _navigation_mode(monkeypatch):
    keep_navigation_mode(monkeypatch)


def open_app(s: str | None = None) -> AppTest:
    """The app on the default scenario, opened from the link ``s`` (a ``?s=`` value) if given."""
    return app_support.open_app(link=s, timeout=TIMEOUT)


def expected(changes: dict | None = None, relax_ms: float = 0.0) -> dict:
    """The headline numbers straight from core."""
    sc = default_scenario()
    if changes:
        sc = update_scenario(sc, changes)
    return Analysis(sc).headline(relaxed_inputs(sc, relax_ms))


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def assert_numbers(at: AppTest, h: dict) -> None:
    """The explorer's metrics show core's numbers, formatted with their units."""
    assert not at.exception, [e.value for e in at.exception]
    shown = metrics(at)
    assert shown["Energy cost"] == fmt_usd(h["cost_usd"])
    assert shown["Savings vs local"] == fmt_usd(h["savings_usd"])
    assert shown["CO₂, marginal"] == fmt_t(h["emissions_marginal_t"])
    assert shown["CO₂, average"] == fmt_t(h["emissions_avg_t"])
    assert shown["Unserved demand"] == fmt_mw(h["unserved_mw"])
    assert shown["Relocatable (RID)"] == fmt_pct(h["rid"])
    assert shown["Demand moved"] == fmt_pct(h["relocated_share"])


def link_changes(at: AppTest) -> ShareState:
    return decode_state(at.query_params["s"])


# --- explorer -------------------------------------------------------------------------------------

def test_explorer_shows_core_numbers_and_a_link():
    at = open_app()
    assert_numbers(at, expected())
    assert not at.warning
    state = link_changes(at)
    assert state.changes == {} and state.relax_ms == 0 and state.page == "explorer"


def test_budget_slider_and_friction_toggle_resolve_the_scenario():
    at = open_app()
    by_key(at.select_slider, "budget_chat").set_value(100.0)
    at.run()
    assert_numbers(at, expected({"workloads.chat.latency_budget_ms": 100.0}))
    by_key(at.toggle, "friction_egress").set_value(False)
    at.run()
    changes = {"workloads.chat.latency_budget_ms": 100.0, "frictions.egress": False}
    assert_numbers(at, expected(changes))
    assert link_changes(at).changes == changes          # the address bar holds the state


def test_provider_lock_toggle_is_off_and_goes_into_the_link():
    at = open_app()
    toggle = by_key(at.toggle, "friction_provider_lock")
    assert toggle.label == "Provider lock" and toggle.value is False
    assert "own cloud provider" in toggle.help
    toggle.set_value(True)
    at.run()
    changes = {"frictions.provider_lock": True}
    assert link_changes(at).changes == changes
    assert_numbers(at, expected(changes))     # the default scenario has no providers: the same numbers


def test_relax_slider_carbon_price_and_reset():
    at = open_app()
    by_key(at.slider, "_relax").set_value(20.0)
    by_key(at.slider, "carbon_price").set_value(100.0)
    at.run()
    assert_numbers(at, expected({"objective.carbon_price_usd_per_t": 100.0}, relax_ms=20.0))
    reset = [b for b in at.button if b.label.startswith("Reset")]
    reset[0].click()
    at.run()
    assert_numbers(at, expected())
    assert by_key(at.slider, "carbon_price").value == 0.0


# --- links ----------------------------------------------------------------------------------------

def test_good_link_round_trips():
    changes = {"frictions.capacity": False, "workloads.api.latency_budget_ms": 60.0}
    link = encode_state(ShareState(changes=changes, relax_ms=10.0, page="explorer"))
    at = open_app(link)
    assert not at.warning
    assert_numbers(at, expected(changes, relax_ms=10.0))
    assert by_key(at.slider, "_relax").value == 10.0
    assert link_changes(at) == ShareState(changes=changes, relax_ms=10.0, page="explorer")


def test_link_opens_its_page():
    link = encode_state(ShareState(changes={"frictions.legal": False}, relax_ms=0.0, page="data"))
    at = open_app(link)
    assert not at.exception, [e.value for e in at.exception]
    assert any(t.value == "Data" for t in at.title)
    state = link_changes(at)
    assert state.page == "data" and state.changes == {"frictions.legal": False}


@pytest.mark.parametrize("bad", ["garbage", "1.!!!not-base64", "2.eJyrVkrOSMxLTy1Wsqqu1VEqSs1J",
                                 encode_state(ShareState(changes={"nodes.us-va.pue": 0.5})),
                                 encode_state(ShareState(changes={"no_such_field": 1}))])
def test_bad_link_warns_and_keeps_defaults(bad):
    at = open_app(bad)
    assert any("link could not be used" in w.value for w in at.warning), [w.value for w in at.warning]
    assert_numbers(at, expected())
    at.run()                                    # shown once
    assert not any("link could not be used" in w.value for w in at.warning)


# --- data page ------------------------------------------------------------------------------------

def test_data_page_tables_and_downloads():
    at = open_app()
    at.switch_page("pages/data.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.data_editor) >= 5
    labels = [b.proto.label for b in at.get("download_button")]
    assert {"Scenario (JSON)", "Placement (CSV)", "Load per region (CSV)", "Summary (JSON)"} <= set(labels)


def test_invalid_table_edit_is_refused_and_named():
    at = open_app()
    at.switch_page("pages/data.py").run()
    key = f"elf{at.session_state['elf_rev']}_edit_nodes"
    at.session_state[key] = {"edited_rows": {0: {"pue": 0.5}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert any("us-va (nodes[0]).pue" in e.value for e in at.error), [e.value for e in at.error]
    at.switch_page("pages/explorer.py").run()
    assert_numbers(at, expected())


def test_valid_table_edit_resolves():
    at = open_app()
    at.switch_page("pages/data.py").run()
    sc = default_scenario()
    node = sc.nodes[0]
    key = f"elf{at.session_state['elf_rev']}_edit_nodes"
    at.session_state[key] = {"edited_rows": {0: {"capacity_mw": 10.0}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.error, [e.value for e in at.error]
    at.switch_page("pages/explorer.py").run()
    changes = {f"nodes.{node.id}.capacity_mw": 10.0}
    assert_numbers(at, expected(changes))
    assert link_changes(at).changes == changes


@pytest.mark.parametrize("name,content,needle", [
    ("bad.json", b"{not json", "not valid JSON"),
    ("bad.json", json.dumps({**default_scenario().to_dict(), "period_hours": -1}).encode(), "period_hours"),
    ("bad.yaml", b"nodes: []\nworkloads: []\ndemand: []\n", "nodes"),
])
def test_bad_upload_names_the_error_and_keeps_the_scenario(name, content, needle):
    at = open_app()
    at.switch_page("pages/data.py").run()
    at.file_uploader[0].set_value((name, content, "application/octet-stream"))
    at.run()
    assert any(needle in e.value for e in at.error), [e.value for e in at.error]
    at.switch_page("pages/explorer.py").run()
    assert_numbers(at, expected())


def test_good_upload_replaces_the_scenario():
    sc = update_scenario(default_scenario(), {"name": "uploaded", "prices.egress_usd_per_gb": 0.09})
    at = open_app()
    at.switch_page("pages/data.py").run()
    at.file_uploader[0].set_value(("mine.json", sc.to_json(indent=2).encode(), "application/json"))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    at.switch_page("pages/explorer.py").run()
    assert_numbers(at, expected({"name": "uploaded", "prices.egress_usd_per_gb": 0.09}))
