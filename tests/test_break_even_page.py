"""The Break-even page on the hand-worked three-region case of tests/test_recommend.py: the
"Where should this run?" ranking, the reasons of the forbidden pairs, regions by name grouped by
continent, and the relocatable share against the carbon price."""
from __future__ import annotations

import base64
import json

import numpy as np
import pytest

from app_support import open_app, page_text, served_scenario
from test_recommend import HAND


@pytest.fixture
def page(tmp_path, monkeypatch):
    with served_scenario(tmp_path, monkeypatch, HAND, "hand.json"):
        yield open_app(page="break_even")


def values(v) -> np.ndarray:
    """A plotly array from a figure's JSON: a list, or a typed array ({"dtype", "bdata"})."""
    if isinstance(v, dict):
        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
    return np.asarray(v, dtype=float)


def test_run_here_table_is_the_hand_ranking(page):
    at = page
    at.selectbox(key="be_workload").set_value("chat").run()
    at.selectbox(key="rh_service").set_value("a").run()
    table = at.dataframe[0].value
    assert list(table["Region"]) == ["Beta", "Alpha (home)", "Gamma"]
    assert list(table["Rank"]) == ["1", "2", "—"]
    assert list(table["Unit cost ($/MWh)"]) == pytest.approx([71.68, 132.0, 52.1])
    assert list(table["Runs here now (MW)"]) == pytest.approx([0.0, 10.0, 0.0], abs=1e-6)
    assert "Excluded" in table["Why"].iloc[2] and "zone EU" in table["Why"].iloc[2]
    text = page_text(at)
    assert "cheapest allowed place is Beta" in text and "that region is full" in text

    at.selectbox(key="be_workload").set_value("batch").run()
    table = at.dataframe[0].value
    assert list(table["Unit cost ($/MWh)"]) == pytest.approx([64.9, 132.0, 47.1])
    assert "over the class's budget of 50 ms" in table["Why"].iloc[2]
    assert list(table["Runs here now (MW)"]) == pytest.approx([10.0, 0.0, 0.0], abs=1e-6)


def test_forbidden_pairs_are_marked_by_reason_and_regions_named_by_continent(page):
    at = page
    at.selectbox(key="be_workload").set_value("chat").run()
    matrix = json.loads(at.get("plotly_chart")[0].proto.spec)["data"]
    marks = {t["name"]: t for t in matrix if t.get("type") == "scatter" and t.get("name", "").startswith("Not allowed")}
    # chat (100 ms, residency-bound): a → c and b → c leave the EU zone; c has no zone, so c → a, b are allowed
    residency = marks["Not allowed, residency: data must stay in its zone"]
    assert sorted(zip(residency["y"][1], residency["x"][1])) == [("Alpha", "Gamma"), ("Beta", "Gamma")]
    assert residency["marker"]["symbol"] == "diamond-open"
    latency = marks["Not allowed, latency: round trip over the budget"]
    assert latency["x"] == [[], []] or not latency["x"][1]
    heat = next(t for t in matrix if t.get("type") == "heatmap")
    # two-level labels: continent (in the order North America, ..., Europe), then name; ids that
    # data/regions.csv does not hold take their country's continent
    assert heat["x"] == [["North America", "Europe", "Europe"], ["Gamma", "Alpha", "Beta"]]

    at.selectbox(key="be_workload").set_value("batch").run()
    matrix = json.loads(at.get("plotly_chart")[0].proto.spec)["data"]
    latency = next(t for t in matrix if t.get("name") == "Not allowed, latency: round trip over the budget")
    # batch (50 ms): a–c (80 ms) and b–c (70 ms), both ways
    assert sorted(zip(latency["y"][1], latency["x"][1])) == [("Alpha", "Gamma"), ("Beta", "Gamma"),
                                                          ("Gamma", "Alpha"), ("Gamma", "Beta")]


def test_relocatable_share_against_carbon_price(page):
    at = page
    lines = json.loads(at.get("plotly_chart")[-1].proto.spec)["data"]
    by_name = {t["name"]: t for t in lines}
    assert set(by_name) == {"Chat (100 ms)", "Batch (50 ms)"}
    # all demand sits at a, and b is cheaper than home for both classes at every τ ≥ 0 (b is
    # cleaner and cheaper), so both shares are 100% across the axis
    for t in by_name.values():
        assert values(t["y"]) == pytest.approx(np.full(61, 100.0))
    assert by_name["Chat (100 ms)"]["line"]["dash"] != by_name["Batch (50 ms)"]["line"]["dash"]


def test_provider_lock_has_its_own_marker_and_legend():
    """Every reason of core.inputs.MASK_REASONS but "allowed" has a marker; on three regions a, c
    (aws) and b (azure) with the lock on, the provider marker sits on exactly the four pairs that
    cross providers: a→b, b→a, b→c, c→b (worked out by hand)."""
    from conftest import build_tiny_scenario
    from core.inputs import MASK_REASONS, model_inputs
    from core.metrics import break_even
    from core.scenario import parse_scenario
    from pages.common import charts

    assert set(charts.FORBIDDEN_REASON_SYMBOLS) == set(MASK_REASONS) - {"allowed"}
    sc = parse_scenario(build_tiny_scenario(
        nodes=[{"id": "a", "provider": "aws"}, {"id": "b", "provider": "azure", "price_usd_per_mwh": 40.0},
               {"id": "c", "provider": "aws", "price_usd_per_mwh": 70.0}],
        demand=[{"node": "a", "workload": "w", "mw": 10.0}], rtt_ms={},
        frictions={"provider_lock": True}))
    ids = ["a", "b", "c"]
    fig = charts.pair_matrix_figure(break_even(model_inputs(sc), "w"), ids, {i: i.upper() for i in ids},
                                    {i: "Europe" for i in ids})
    mark = next(t for t in fig.data if t.name == "Not allowed, provider: work stays with its own cloud provider")
    assert mark.marker.symbol == "triangle-up-open" and mark.visible is True
    assert sorted(zip(mark.y[1], mark.x[1])) == [("A", "B"), ("B", "A"), ("B", "C"), ("C", "B")]
