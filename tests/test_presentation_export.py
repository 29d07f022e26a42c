"""core.presentation_export: the deck's HTML, its map's great circles and corridors, checked by hand."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from numpy.testing import assert_allclose

from core.presentation_export import (BigNumber, Presentation, Slide, corridor_map_figure, external_references,
                                      great_circle_lonlat, mark_savings, presentation_html, relocation_corridors,
                                      rows_table_html)

SYDNEY, LOS_ANGELES, LONDON = (151.21, -33.87), (-118.24, 34.05), (-0.13, 51.51)


def haversine_deg(a, b) -> float:
    """Central angle [degrees] between two (lon, lat) points, by the haversine formula."""
    (lo1, la1), (lo2, la2) = np.radians(a), np.radians(b)
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return math.degrees(2 * math.asin(math.sqrt(h)))


def test_sydney_to_los_angeles_crosses_the_pacific():
    lon, lat = great_circle_lonlat(*SYDNEY, *LOS_ANGELES)
    assert_allclose([lon[0], lat[0]], SYDNEY, atol=1e-9)
    # unwrapped: eastwards from 151° E through 180° to 118° W = 241.76°, never back over Africa or the Atlantic
    assert_allclose([lon[-1], lat[-1]], [LOS_ANGELES[0] + 360, LOS_ANGELES[1]], atol=1e-9)
    assert np.all(np.diff(lon) > 0) and lon.min() >= SYDNEY[0] - 1e-9 and lon.max() <= LOS_ANGELES[0] + 360 + 1e-9
    # every point lies on the great circle: the two legs through it add up to the whole arc
    whole = haversine_deg(SYDNEY, LOS_ANGELES)
    for p in zip(lon, lat):
        assert_allclose(haversine_deg(SYDNEY, p) + haversine_deg(p, LOS_ANGELES), whole, atol=1e-6)


def test_short_arc_and_same_point():
    lon, lat = great_circle_lonlat(*LONDON, 2.35, 48.86, n=5)   # London → Paris: no wrap
    assert lon.min() >= -0.13 - 1e-9 and lon.max() <= 2.35 + 1e-9
    lon, lat = great_circle_lonlat(*LONDON, *LONDON, n=3)
    assert_allclose(lon, LONDON[0]) and assert_allclose(lat, LONDON[1])


def test_relocation_corridors_sum_over_classes_and_drop_home():
    placement = pd.DataFrame({"service": ["a", "a", "a", "b", "b"], "compute": ["a", "c", "c", "c", "b"],
                              "workload": ["w", "w", "v", "w", "w"], "mw": [5.0, 2.0, 3.0, 4.0, 9.0]})
    out = relocation_corridors(placement)
    assert list(zip(out["service"], out["compute"], out["mw"])) == [("a", "c", 5.0), ("b", "c", 4.0)]


def test_corridor_map_is_plain_axes_with_wrapped_arcs_and_named_top_corridors():
    nodes = pd.DataFrame({"id": ["syd", "lax", "lon"], "name": ["Sydney", "Los Angeles", ""],
                          "lon": [SYDNEY[0], LOS_ANGELES[0], LONDON[0]], "lat": [SYDNEY[1], LOS_ANGELES[1], LONDON[1]]})
    corridors = pd.DataFrame({"service": ["syd", "lon"], "compute": ["lax", "lax"], "mw": [400.0, 12.5]})
    world = {"features": [{"geometry": {"type": "Polygon", "coordinates": [[[0, 0], [10, 0], [10, 10], [0, 0]]]}}]}
    fig = corridor_map_figure(nodes, corridors, world, top=1)
    assert all(isinstance(t, go.Scatter) for t in fig.data)            # no geo subplot: nothing to fetch
    arcs = [t for t in fig.data if t.name and "→" in t.name]
    sydney = [t for t in arcs if t.name.startswith("1. Sydney → Los Angeles: 400 MW")]
    assert len(sydney) == 2                                            # drawn again 360° to the left
    assert sorted(round(t.x[-1], 6) for t in sydney) == [round(LOS_ANGELES[0], 6), round(LOS_ANGELES[0] + 360, 6)]
    assert [t.showlegend for t in arcs if t.name.startswith("1.")].count(True) == 1
    london = [t for t in arcs if t.name.startswith("2. lon → Los Angeles: 12.5 MW")]   # unnamed region: its id
    assert len(london) == 1 and not london[0].showlegend
    assert list(sydney[0].marker.size[:-1]) == [0] * (len(sydney[0].x) - 1) and sydney[0].marker.size[-1] > 0
    labels = [t for t in fig.data if t.mode == "text"][0]
    assert set(labels.text) == {"Sydney", "Los Angeles"}


def test_mark_savings_adds_points_and_a_level_without_touching_the_original():
    fig = go.Figure(go.Scatter(x=[0, 100], y=[0, 5]))
    fig.update_xaxes(range=[0, 100])
    out = mark_savings(fig, [(10, 1.0, "10 ms: $1"), (90, 5.0, "90 ms: $5")], 4.0, "today: $4")
    assert len(fig.data) == 1 and len(out.data) == 2
    assert list(out.data[1].textposition) == ["bottom right", "bottom left"]
    assert out.layout.shapes[0].y0 == 4.0 and out.layout.annotations[0].text == "today: $4"


def test_deck_html():
    slides = [Slide("Title <b>", ["A & B"], numbers=[BigNumber("Savings ($ per year)", "$1 M", "note")]),
              Slide("Settings", rows=[("Carbon price", "$100/tCO2 <on>")], link="http://127.0.0.1:8501/?s=1.x&y"),
              Slide("Chart", ["c"], figure=go.Figure(go.Bar(x=[1], y=[2])), notes=["small print"])]
    doc = presentation_html(Presentation("Deck", slides))
    assert doc.count('<section class="slide') == 3 and doc.count("Plotly.newPlot") == 1
    assert "<h1>Title &lt;b&gt;</h1>" in doc and "<p>A &amp; B</p>" in doc
    assert '<th scope="row">Carbon price</th><td>$100/tCO2 &lt;on&gt;</td>' in doc
    assert '<a href="http://127.0.0.1:8501/?s=1.x&amp;y">http://127.0.0.1:8501/?s=1.x&amp;y</a>' in doc
    assert 'aria-label="Slide 2 of 3: Settings"' in doc and "Slide 1 of 3" in doc
    for key in ("'ArrowRight'", "'ArrowLeft'", "'PageUp'", "'PageDown'"):
        assert key in doc
    assert external_references(doc) == []
    assert rows_table_html([("a", "<x>")]) == '<table class="settings"><tr><th scope="row">a</th><td>&lt;x&gt;</td></tr></table>'


@pytest.mark.parametrize("tag", ['<script src="https://cdn.plot.ly/x.js">', "<img src='//example.org/a.png'>",
                                 '<link href="http://fonts.example/a.css">'])
def test_external_references_are_found(tag):
    assert external_references(f"<html>{tag}</html>") == [tag[:tag.index("//") + 2]]
