"""The Data and Break-even pages on a 60-node generated scenario: the long round-trip table is
built only while its tab is open and shown one page (or one region's pairs) at a time, edits
land on the pair they were made on; the pair heatmap opens on the top 50 home regions and the
carbon-price chart is drawn on request."""
from __future__ import annotations

import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from app_support import keep_navigation_mode, no_exception, open_app, served_scenario
from bench.scenarios import generated_scenario
from core.share import decode_state
from test_break_even_page import values

N = 60
PAGE_ROWS = 1000            # pages/data.py's RTT_PAGE_ROWS


@pytest.fixture(autouse=True)
def _app_mode(monkeypatch):
    keep_navigation_mode(monkeypatch)


@pytest.fixture
def scenario() -> dict:
    return json.loads(generated_scenario(N, seed=0).to_json())


def rtt_editors(at: AppTest) -> list:
    return [e for e in at.data_editor if e.key and e.key.endswith("_edit_rtt")]


def pairs(ids: list[str]) -> list[tuple[str, str]]:
    """Every pair a before b in the scenario's order, worked out without the page's code."""
    return [(ids[i], ids[j]) for i in range(len(ids)) for j in range(i + 1, len(ids))]


def test_rtt_table_is_lazy_and_paged(tmp_path, monkeypatch, scenario):
    ids = [n["id"] for n in scenario["nodes"]]
    every = pairs(ids)
    assert len(every) == N * (N - 1) // 2 > PAGE_ROWS
    with served_scenario(tmp_path, monkeypatch, scenario, "s60.json"):
        at = open_app(page="data")
        assert rtt_editors(at) == []                             # the Regions tab is open: no rtt table built
        at.session_state["data_tab"] = "Round-trip times"
        at.run()
        no_exception(at)
        [ed] = rtt_editors(at)
        first = ed.value
        assert list(zip(first["a"], first["b"])) == every[:PAGE_ROWS]
        assert any(b.proto.label == "Every pair (CSV)" for b in at.get("download_button"))

        [page] = [n for n in at.number_input if n.key and n.key.startswith("data_rtt_page_")]
        page.set_value(2).run()
        no_exception(at)
        [ed] = rtt_editors(at)
        assert list(zip(ed.value["a"], ed.value["b"])) == every[PAGE_ROWS:]

        # an edit on page 2's first row lands on pair number PAGE_ROWS + 1, and only there
        a, b = every[PAGE_ROWS]
        at.session_state[ed.key] = {"edited_rows": {0: {"rtt_ab_ms": 123.0}}, "added_rows": [], "deleted_rows": []}
        at.run()
        no_exception(at)
        rtt = decode_state(at.query_params["s"]).changes["rtt_ms"]
        assert rtt[a][b] == 123.0
        assert sum(v == 123.0 for row in rtt.values() for v in row.values()) == 1

        pick = ids[7]
        at.selectbox(key="data_rtt_region").set_value(pick).run()
        no_exception(at)
        [ed] = rtt_editors(at)
        shown = list(zip(ed.value["a"], ed.value["b"]))
        assert shown == [p for p in every if pick in p] and len(shown) == N - 1


def test_break_even_opens_on_top_home_regions_and_draws_carbon_chart_on_request(tmp_path, monkeypatch, scenario):
    with served_scenario(tmp_path, monkeypatch, scenario, "s60.json"):
        at = open_app(page="break_even")
        assert at.selectbox(key="be_top").value == 50
        heat = json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0]
        assert len(heat["y"]) == 50 and len(heat["x"]) == N      # rows: top 50 home regions; columns: all
        charts_before = len(at.get("plotly_chart"))
        at.toggle(key="be_carbon_on").set_value(True).run()
        no_exception(at)
        assert len(at.get("plotly_chart")) == charts_before + 1
        lines = json.loads(at.get("plotly_chart")[-1].proto.spec)["data"]
        assert len(lines) == len(scenario["workloads"])
        for t in lines:
            y = values(t["y"])
            assert len(y) == 61 and ((0 <= y) & (y <= 100)).all()        # a share in %, at 61 carbon prices
