"""The Time page and the Explorer's hour slider (AppTest) on the tiny time scenario of
tests/test_time_view.py, served through ``ELF_SCENARIO`` with its time block inline.

Checked against values worked out by hand there (the heat map's home row: 5 MW in hours 0–22,
106 MW at 23:00 UTC) and against core.time_solve.decomposition computed here; the hour slider
redraws the map's corridors (at 23:00 home is the cheaper, 40 < 90 $/MWh on the average day: no
corridor; at 0:00 away is, 90 < 100: chat moves) and goes into the link; a bad hour in a link
falls back to the default with a warning.
"""
from __future__ import annotations

import base64
import json

import numpy as np
import pytest

from app_support import keep_navigation_mode, no_exception, open_app, page_text, served_scenario
from core.scenario import parse_scenario
from core.share import ShareState, decode_state, encode_state
from core.time_inputs import time_inputs
from core.time_solve import decomposition
from pages.common.theme import fmt_usd
from test_time_view import TINY


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    keep_navigation_mode(monkeypatch)
    with served_scenario(tmp_path, monkeypatch, TINY, "tiny_time.json") as path:
        yield path


def _figures(at) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def _values(v) -> list:
    """A trace's values: plotly writes numpy arrays as {"dtype", "bdata"(, "shape")}."""
    if isinstance(v, dict) and "bdata" in v:
        arr = np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"])
        return arr.reshape([int(n) for n in str(v["shape"]).split(",")]).tolist() if "shape" in v else arr.tolist()
    return v


def _traces(at, kind: str) -> list[dict]:
    return [t for fig in _figures(at) for t in fig["data"] if t.get("type") == kind]


def test_time_page_shows_the_heat_map_and_the_decomposition(tiny):
    at = open_app(page="time")
    heat = _traces(at, "heatmap")
    assert len(heat) == 1
    rows = dict(zip(_values(heat[0]["y"]), _values(heat[0]["z"])))
    assert rows["Home"] == pytest.approx([5.0] * 23 + [106.0])
    assert rows["Away"][:23] == pytest.approx([5.0] * 23)

    d = decomposition(time_inputs(parse_scenario(TINY))).set_index("case")["savings_usd"]
    savings_bars = [t for t in _traces(at, "bar") if t.get("name") == "Savings"]
    assert len(savings_bars) == 1
    expected = [d["spatial"], d["temporal"], d["both"], d["both"] - d["spatial"] - d["temporal"]]
    assert _values(savings_bars[0]["y"]) == pytest.approx(expected, abs=1e-6)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Savings vs local (hourly)"] == fmt_usd(d["both"])
    assert metrics["Waiting alone saves"] == fmt_usd(d["temporal"])
    assert "relocation saves 462 % more than the annual averages suggest" in page_text(at)


def test_the_switch_to_the_annual_model(tiny):
    at = open_app(page="time")
    at.segmented_control(key="time_model").set_value("annual").run()
    no_exception(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Savings vs local (annual model)"] == fmt_usd(3_600.0)    # by hand: test_time_view
    assert not _traces(at, "heatmap")


def _corridor_count(at) -> int:
    """Corridors (ArcLayer data rows) of the Explorer's wide map."""
    deck = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    return sum(len(layer.get("data", [])) for layer in deck["layers"] if layer.get("@@type") == "ArcLayer")


def test_hour_slider_redraws_the_arcs_and_goes_into_the_link(tiny):
    at = open_app()
    slider = at.slider(key="explorer_hour")
    assert slider.value == 12
    at.slider(key="explorer_hour").set_value(0).run()
    no_exception(at)
    assert _corridor_count(at) > 0
    assert decode_state(at.query_params["s"][0] if isinstance(at.query_params["s"], list)
                        else at.query_params["s"]).hour == 0
    at.slider(key="explorer_hour").set_value(23).run()
    assert _corridor_count(at) == 0
    at.button(key="explorer_next_hour").click().run()
    no_exception(at)
    assert at.slider(key="explorer_hour").value == 0
    assert "annual model" in " ".join(c.value for c in at.caption)


def test_a_link_opens_at_its_hour_and_a_bad_hour_falls_back(tiny):
    at = open_app(link=encode_state(ShareState(hour=23)))
    assert at.slider(key="explorer_hour").value == 23
    assert not at.warning
    at = open_app(link=encode_state(ShareState(hour=30)))
    assert any("could not be used" in w.value and "hour" in w.value for w in at.warning)
    assert at.slider(key="explorer_hour").value == 12


def test_the_hourly_frontier_on_request(tiny):
    at = open_app(page="time")
    assert not [t for t in _traces(at, "scatter") if str(t.get("name", "")).startswith("Hourly")]
    at.button(key="time_run_frontier").click().run()
    no_exception(at)
    lines = {t["name"]: _values(t["y"]) for t in _traces(at, "scatter") if t.get("name") in
             ("Annual averages", "Hourly (2 typical days, with waiting)")}
    # budgets 0, 10, 25, 50, 100, 200 ms; the round trip is 20 ms (test_time_view's hand values)
    assert lines["Hourly (2 typical days, with waiting)"] == pytest.approx([11_040] * 2 + [20_240] * 4)
    # annual, from 25 ms batch may move too: 14 MW · 48 h · (97.5 − 90) = 5,040 $
    assert lines["Annual averages"] == pytest.approx([0] * 2 + [5_040] * 4, abs=1e-6)


def test_time_page_without_a_time_block_says_so(monkeypatch):
    from app_support import served_default
    keep_navigation_mode(monkeypatch)
    with served_default(monkeypatch):
        at = open_app(page="time")
        assert any("no time block" in i.value for i in at.info)


@pytest.mark.parametrize("bad", [24, -1, True, 3.5, "3"])
def test_the_links_hour_is_validated_and_old_links_are_unchanged(bad):
    import base64 as b64
    import zlib

    def raw(text: str) -> dict:
        body = text.partition(".")[2]
        return json.loads(zlib.decompress(b64.urlsafe_b64decode(body + "=" * (-len(body) % 4))))

    assert "hour" not in raw(encode_state(ShareState()))
    assert decode_state(encode_state(ShareState(hour=7))).hour == 7
    from core.share import LinkError
    with pytest.raises(LinkError, match="hour"):
        decode_state(encode_state(ShareState(hour=bad)))


def test_the_full_year_runs_on_request_and_reports_the_typical_days_error(tiny):
    at = open_app(page="time")
    at.segmented_control(key="time_mode").set_value("year").run()
    no_exception(at)
    assert any("Until it has run" in i.value for i in at.info)
    at.button(key="time_run_year").click().run()
    no_exception(at)
    rows = dict(zip(_values(_traces(at, "heatmap")[0]["y"]), _values(_traces(at, "heatmap")[0]["z"])))
    assert rows["Home"] == pytest.approx([5.0] * 23 + [106.0])
    at.segmented_control(key="time_mode").set_value("typical").run()
    # two days, each its own typical day: the reduction is exact
    assert any("against the full year: objective +0.00 %" in c.value for c in at.caption)
