"""The Break-even pair heatmap at scale: regions ordered by continent, provider or as given,
filtered, the top home regions by demand, and above 40 regions a side single-name axes that
plotly thins, lines between blocks and hover text with the reason; worked on small hand cases."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from app_support import open_app, served_scenario
from core.map_groups import region_block, region_order, regions_shown, top_by_demand
from core.physical import CONTINENTS
from pages.common import charts
from test_recommend import HAND

IDS = ["a", "b", "c", "d"]
CONT = {"a": "Europe", "b": "North America", "c": "Europe", "d": "Asia"}
PROV = {"a": "gcp", "b": None, "c": "aws", "d": "aws"}


def test_orders_by_hand():
    assert region_order(IDS, "continent", CONT, PROV, CONTINENTS) == ["b", "a", "c", "d"]
    assert region_order(IDS, "provider", CONT, PROV, CONTINENTS) == ["c", "d", "a", "b"]
    assert region_order(IDS, "scenario", CONT, PROV, CONTINENTS) == IDS
    assert [region_block(n, "provider", CONT, PROV) for n in IDS] == ["gcp", "no provider", "aws", "aws"]
    with pytest.raises(ValueError, match="order by"):
        region_order(IDS, "size", CONT, PROV, CONTINENTS)


def test_filters_by_hand():
    assert regions_shown(IDS, CONT, PROV, ["Europe"]) == ["a", "c"]
    assert regions_shown(IDS, CONT, PROV, [], ["aws"]) == ["c", "d"]
    assert regions_shown(IDS, CONT, PROV, ["Europe", "North America"], ["no provider", "gcp"]) == ["a", "b"]
    assert regions_shown(IDS, CONT, PROV) == IDS


def test_top_home_regions_by_demand_keep_their_order():
    assert top_by_demand(IDS, [5.0, 1.0, 7.0, 3.0], 2) == ["a", "c"]
    assert top_by_demand(IDS, [5.0, 1.0, 7.0, 3.0], None) == IDS
    assert top_by_demand(IDS, [1.0, 1.0, 1.0, 1.0], 3) == ["a", "b", "c"]


def pairs(ids, net, reason) -> pd.DataFrame:
    """A break-even table over ``ids`` (s ≠ r): net(s, r) and reason(s, r) ("allowed" or a mask reason)."""
    rows = []
    for s in ids:
        for r in ids:
            if s != r:
                why = reason(s, r)
                rows.append({"service": s, "compute": r, "rtt_ms": 10.0, "gross_benefit_usd_per_mwh": net(s, r) + 1.0,
                             "transfer_usd_per_mwh": 1.0, "net_benefit_usd_per_mwh": net(s, r),
                             "allowed": why == "allowed", "reason": why})
    return pd.DataFrame(rows)


def test_filtered_rows_and_columns_hold_their_pairs():
    ids = ["a", "b", "c"]
    net = {("a", "b"): 5.0, ("a", "c"): -2.0, ("b", "a"): 3.0, ("b", "c"): 7.0, ("c", "a"): 1.0, ("c", "b"): 4.0}
    be = pairs(ids, lambda s, r: net[s, r], lambda s, r: "latency" if (s, r) == ("c", "b") else "allowed")
    names = {i: i.upper() for i in ids}
    fig = charts.pair_matrix_figure(be, ["c", "a"], names, {i: "Europe" for i in ids}, ["a", "b", "c"])
    heat = [t for t in fig.data if t.type == "heatmap"]
    z = np.array(heat[2].z, dtype=float)
    # rows c, a; columns a, b, c: c→a 1, c→b forbidden, c→c home; a→a home, a→b 5, a→c −2
    assert np.array_equal(np.isnan(z), [[False, True, True], [True, False, False]])
    assert z[0, 0] == 1.0 and z[1, 1] == 5.0 and z[1, 2] == -2.0
    assert np.array(heat[0].z, dtype=float)[0, 1] == 1.0                      # the grey cell
    assert np.array(heat[1].z, dtype=float)[0, 2] == 1.0 and np.array(heat[1].z, dtype=float)[1, 0] == 1.0
    assert heat[2].y == (("Europe", "Europe"), ("C", "A")) or list(map(list, heat[2].y)) == [["Europe", "Europe"], ["C", "A"]]
    assert "not allowed: latency" in heat[2].text[0][1]
    assert heat[2].text[1][0] == "home (no relocation)" and heat[2].text[1][1] == "moving pays"
    assert heat[2].customdata[1][2][3] == -2.0 and heat[2].customdata[1][2][1] == -1.0   # net, gross of a → c


def test_above_forty_regions_the_axes_carry_names_and_block_lines():
    ids = [f"n{i:02d}" for i in range(45)]
    blocks = {n: "Europe" if i < 20 else "Asia" for i, n in enumerate(ids)}
    be = pairs(ids, lambda s, r: float(int(s[1:]) - int(r[1:])),
               lambda s, r: "residency" if blocks[s] != blocks[r] else "allowed")
    names = {n: f"Region {n}" for n in ids}
    fig = charts.pair_matrix_figure(be, ids, names, blocks)
    heat = [t for t in fig.data if t.type == "heatmap"][2]
    assert list(heat.x) == [names[n] for n in ids] and list(heat.y) == [names[n] for n in ids]
    assert not [t for t in fig.data if t.type == "scatter"]                 # no 45×45 markers
    assert fig.layout.height <= 1000
    # 45 names fit on the 760 px tall rows (at 10 px font, 12 px or more apart): each is shown;
    # not on the x axis (40 names at most: 450 px wide at the page's least width)
    plot_px = fig.layout.height - fig.layout.margin.t - 130
    assert fig.layout.yaxis.dtick == 1 and plot_px / 45 >= 12
    assert fig.layout.xaxis.dtick is None and fig.layout.xaxis.nticks <= 40
    # 200 regions: at most as many names as fit 12 px apart, thinned by plotly
    many = [f"m{i:03d}" for i in range(200)]
    big = charts.pair_matrix_figure(pairs(many, lambda s, r: 1.0, lambda s, r: "allowed"), many,
                                    {n: n for n in many}, {n: "Europe" for n in many})
    plot_px = big.layout.height - big.layout.margin.t - 130
    assert big.layout.yaxis.dtick is None and plot_px / big.layout.yaxis.nticks >= 12
    assert big.layout.xaxis.nticks <= 40 and big.layout.height <= 1000
    lines = sorted((s.x0, s.y0) for s in fig.layout.shapes)
    assert lines == [(0, 19.5), (19.5, 0)]                                   # between Europe and Asia
    corners = {a.text: (a.x, a.y) for a in fig.layout.annotations}
    assert corners == {"Europe": (-0.5, -0.5), "Asia": (19.5, 19.5)}            # each block's own corner
    # a forbidden pair says why in its hover: n00 (Europe) → n30 (Asia) is residency
    assert "not allowed: residency" in heat.text[0][30]
    assert np.isnan(np.array(heat.z, dtype=float)[0, 30])


def test_break_even_page_filters_to_one_continent(tmp_path, monkeypatch):
    with served_scenario(tmp_path, monkeypatch, HAND, "hand.json"):
        at = open_app(page="break_even")
        at.multiselect(key="be_continents").set_value(["Europe"]).run()
        heat = next(t for t in json.loads(at.get("plotly_chart")[0].proto.spec)["data"] if t["type"] == "heatmap")
        assert heat["x"] == [["Europe", "Europe"], ["Alpha", "Beta"]]
        at.selectbox(key="be_order").set_value("scenario").run()
        heat = next(t for t in json.loads(at.get("plotly_chart")[0].proto.spec)["data"] if t["type"] == "heatmap")
        assert heat["x"] == ["Alpha", "Beta"]
        assert not at.exception
