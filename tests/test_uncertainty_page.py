"""The Data page's Uncertainty tab (AppTest): the default ranges beside the values, an edit that
writes the scenario's uncertainty block into the link, a refused edit naming the entry, a row
added for a scenario without flags, and the way back to the default ranges."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from app_support import cleared_caches, keep_navigation_mode, open_app, served_default, served_scenario
from core.share import decode_state

TIMEOUT = 90
EDITOR = "edit_uncertainty"


@pytest.fixture(autouse=True)
def _app_mode(monkeypatch):
    keep_navigation_mode(monkeypatch)
    with cleared_caches():
        yield


def editor(at: AppTest):
    found = [e for e in at.data_editor if e.key and e.key.endswith(f"_{EDITOR}")]
    assert len(found) == 1, [e.key for e in at.data_editor]
    return found[0]


def edit(at: AppTest, edited: dict | None = None, added: list | None = None) -> AppTest:
    at.session_state[editor(at).key] = {"edited_rows": edited or {}, "added_rows": added or [], "deleted_rows": []}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def changes(at: AppTest) -> dict:
    return decode_state(at.query_params["s"]).changes


def test_default_ranges_are_shown_and_an_edit_becomes_the_block(monkeypatch):
    with served_default(monkeypatch):
        at = open_app(page="data", timeout=TIMEOUT)
        table = editor(at).value.set_index("field")
        # N. Virginia's price 89.2 $/MWh is measured (data/regions.csv): ±5 %
        assert table.at["nodes[us-va].price_usd_per_mwh", "value"] == "89.2"
        assert (table.at["nodes[us-va].price_usd_per_mwh", "low"],
                table.at["nodes[us-va].price_usd_per_mwh", "high"]) == pytest.approx((84.74, 93.66))
        assert table.at["nodes[us-va].price_usd_per_mwh", "basis"].startswith("measured ±5 %")
        row = list(table.index).index("nodes[us-va].price_usd_per_mwh")
        n = len(table)
        edit(at, {row: {"low": 80.0}})
        block = changes(at)["uncertainty"]
        assert len(block) == n and block[row]["low"] == 80.0 and block[row]["high"] == pytest.approx(93.66)
        assert set(editor(at).value["basis"]) == {"scenario"}
        # a refused edit names the entry; the block stays as it was
        edit(at, {row: {"low": 95.0}})
        assert any(f"uncertainty[{row}].high" in e.value for e in at.error), [e.value for e in at.error]
        assert changes(at)["uncertainty"][row]["low"] == 80.0
        # back to the default ranges: no block, no edit
        [b for b in at.button if b.key == "data_uncertainty_default"][0].click().run()
        assert "uncertainty" not in changes(at)


def test_a_scenario_without_flags_gets_a_row_added(tmp_path, monkeypatch, tiny_scenario):
    with served_scenario(tmp_path, monkeypatch, tiny_scenario(name="tiny"), "tiny.json"):
        at = open_app(page="data", timeout=TIMEOUT)
        assert len(editor(at).value) == 0          # the user's own numbers: no default range
        edit(at, added=[{"field": "nodes[away].price_usd_per_mwh", "low": 40.0, "high": 60.0}])
        assert changes(at)["uncertainty"] == [{"field": "nodes[away].price_usd_per_mwh", "low": 40.0,
                                               "high": 60.0, "dist": "uniform"}]
        assert editor(at).value["value"].tolist() == ["50"]
