"""Colours that stay apart under colour-vision deficiency (issue 6, section 6).

The simulation is Machado, Oliveira & Fernandes (2009), "A Physiologically-based Model for
Simulation of Color Vision Deficiency", IEEE TVCG 15(6), at severity 1.0 (protanopia,
deuteranopia, tritanopia), applied to linear sRGB (IEC 61966-2-1) as the paper's matrices are
meant; distances are CIEDE2000 (Sharma, Wu & Dalal 2005, "The CIEDE2000 Color-Difference
Formula: Implementation Notes, Supplementary Test Data, and Mathematical Observations",
Color Res. Appl. 30(1)) in CIELAB under D65. Both are implemented here from the papers and
checked against the papers' published values before they judge the theme.

Thresholds (ΔE2000, in normal vision and under each simulation):
- workload classes ≥ 20: on the map an arc's colour is the only cue to its class and arcs are
  thin (1–6 px), for which the noticeable colour difference is several times the ~1 ΔE of
  large patches (Stone, Szafir & Setlur 2014, "An Engineering Model for Color Difference as a
  Function of Size"); the colours must also be told apart when seen one at a time, not only
  side by side. The pairs users reported as confused (API and agentic under deuteranopia;
  voice, API and batch under tritanopia) are 12–16 apart in the old palette.
- execution layers and the frontier's signals and shares ≥ 10: these series also differ in
  position, panel, dash or pattern and carry text labels, so colour is a second cue there.
"""
from __future__ import annotations

import itertools
import math

import pandas as pd
import pytest

from pages.common import charts, theme

# Machado et al. (2009), Table (severity 1.0), rows map linear RGB → simulated linear RGB.
MACHADO_2009 = {
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                   [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                     [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                   [0.004733, 0.691367, 0.303900]],
}
VISIONS = ["normal", *MACHADO_2009]
WHITE_D65 = (0.95047, 1.0, 1.08883)


def linear_rgb(hex_colour: str) -> list[float]:
    """sRGB '#RRGGBB' → linear RGB in 0..1 (IEC 61966-2-1)."""
    h = hex_colour.lstrip("#")
    c = [int(h[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    return [x / 12.92 if x <= 0.04045 else ((x + 0.055) / 1.055) ** 2.4 for x in c]


def simulate(hex_colour: str, vision: str) -> list[float]:
    """Linear RGB as seen with ``vision`` (Machado 2009, severity 1), clipped to the gamut."""
    c = linear_rgb(hex_colour)
    if vision == "normal":
        return c
    m = MACHADO_2009[vision]
    return [min(1.0, max(0.0, sum(m[i][j] * c[j] for j in range(3)))) for i in range(3)]


def lab(linear: list[float]) -> tuple[float, float, float]:
    """Linear sRGB → CIELAB (D65)."""
    r, g, b = linear
    xyz = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b,
           0.2126729 * r + 0.7151522 * g + 0.0721750 * b,
           0.0193339 * r + 0.1191920 * g + 0.9503041 * b)
    d = 6 / 29
    fx, fy, fz = (t ** (1 / 3) if t > d ** 3 else t / (3 * d * d) + 4 / 29
                  for t in (v / n for v, n in zip(xyz, WHITE_D65)))
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def delta_e_2000(lab1, lab2) -> float:
    """CIEDE2000 colour difference (Sharma, Wu & Dalal 2005, eqs. 1–22; kL = kC = kH = 1)."""
    L1, a1, b1 = lab1
    L2, a2, b2 = lab2
    c_bar = (math.hypot(a1, b1) + math.hypot(a2, b2)) / 2
    g = 0.5 * (1 - math.sqrt(c_bar ** 7 / (c_bar ** 7 + 25 ** 7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = math.hypot(a1p, b1), math.hypot(a2p, b2)
    h1p = math.degrees(math.atan2(b1, a1p)) % 360 if c1p else 0.0
    h2p = math.degrees(math.atan2(b2, a2p)) % 360 if c2p else 0.0
    dl, dc = L2 - L1, c2p - c1p
    dh = 0.0
    if c1p * c2p:
        dh = h2p - h1p
        dh = dh - 360 if dh > 180 else dh + 360 if dh < -180 else dh
    d_h = 2 * math.sqrt(c1p * c2p) * math.sin(math.radians(dh / 2))
    l_bar, cp_bar = (L1 + L2) / 2, (c1p + c2p) / 2
    if c1p * c2p == 0:
        h_bar = h1p + h2p
    elif abs(h1p - h2p) <= 180:
        h_bar = (h1p + h2p) / 2
    else:
        h_bar = (h1p + h2p + 360) / 2 if h1p + h2p < 360 else (h1p + h2p - 360) / 2
    t = (1 - 0.17 * math.cos(math.radians(h_bar - 30)) + 0.24 * math.cos(math.radians(2 * h_bar))
         + 0.32 * math.cos(math.radians(3 * h_bar + 6)) - 0.20 * math.cos(math.radians(4 * h_bar - 63)))
    d_theta = 30 * math.exp(-(((h_bar - 275) / 25) ** 2))
    r_c = 2 * math.sqrt(cp_bar ** 7 / (cp_bar ** 7 + 25 ** 7))
    s_l = 1 + 0.015 * (l_bar - 50) ** 2 / math.sqrt(20 + (l_bar - 50) ** 2)
    s_c, s_h = 1 + 0.045 * cp_bar, 1 + 0.015 * cp_bar * t
    r_t = -math.sin(math.radians(2 * d_theta)) * r_c
    return math.sqrt((dl / s_l) ** 2 + (dc / s_c) ** 2 + (d_h / s_h) ** 2 + r_t * (dc / s_c) * (d_h / s_h))


def min_distance(colours, vision: str) -> tuple[float, str, str]:
    """The closest pair of ``colours`` under ``vision``: (ΔE2000, colour, colour)."""
    labs = {c: lab(simulate(c, vision)) for c in colours}
    return min((delta_e_2000(labs[a], labs[b]), a, b) for a, b in itertools.combinations(colours, 2))


# --- the colour science itself, against published values ------------------------------------

@pytest.mark.parametrize("lab1, lab2, expected", [      # Sharma et al. (2005), Table 1, pairs 1, 7, 9, 17–20, 25
    ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
    ((50.0, 0.0, 0.0), (50.0, -1.0, 2.0), 2.3669),
    ((50.0, 2.5, 0.0), (50.0, 3.1736, 0.5854), 1.0000),
    ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
    ((50.0, 2.5, 0.0), (61.0, -5.0, 29.0), 22.8977),
    ((50.0, 2.5, 0.0), (56.0, -27.0, -3.0), 31.9030),
    ((50.0, 2.5, 0.0), (58.0, 24.0, 15.0), 19.4535),
    ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
])
def test_ciede2000_matches_sharma_test_data(lab1, lab2, expected):
    assert delta_e_2000(lab1, lab2) == pytest.approx(expected, abs=1e-4)
    assert delta_e_2000(lab2, lab1) == pytest.approx(expected, abs=1e-4)


def test_cielab_of_known_colours():
    assert lab(linear_rgb("#FFFFFF")) == pytest.approx((100.0, 0.0, 0.0), abs=1e-3)
    assert lab(linear_rgb("#FF0000")) == pytest.approx((53.24, 80.09, 67.20), abs=0.01)   # sRGB red, D65


@pytest.mark.parametrize("vision", list(MACHADO_2009))
def test_machado_matrices_keep_white_and_greys(vision):
    # every row sums to 1 in the paper: achromatic colours look the same to every observer
    for row in MACHADO_2009[vision]:
        assert sum(row) == pytest.approx(1.0, abs=2e-6)
    assert simulate("#808080", vision) == pytest.approx(linear_rgb("#808080"), abs=1e-5)


def test_the_simulation_confuses_what_dichromats_confuse():
    # textbook confusions: red and green under deuteranopia, blue and green under tritanopia, are
    # much closer than in normal vision (the simulation is not a no-op)
    red, green, blue = "#D62728", "#2CA02C", "#1F77B4"
    for a, b, vision in ((red, green, "deuteranopia"), (red, green, "protanopia"), (blue, green, "tritanopia")):
        normal = delta_e_2000(lab(simulate(a, "normal")), lab(simulate(b, "normal")))
        seen = delta_e_2000(lab(simulate(a, vision)), lab(simulate(b, vision)))
        assert seen < normal / 2, (a, b, vision)


# --- the theme --------------------------------------------------------------------------------

WORKLOAD_MIN_DE = 20.0
SERIES_MIN_DE = 10.0


@pytest.mark.parametrize("vision", VISIONS)
def test_workload_classes_stay_apart(vision):
    first_five = theme.WORKLOAD_PALETTE[:5]
    assert len(set(first_five)) == 5
    d, a, b = min_distance(first_five, vision)
    assert d >= WORKLOAD_MIN_DE, f"{vision}: {a} and {b} are only ΔE2000 {d:.1f} apart"


def test_the_old_palette_would_have_failed():
    # the palette (Okabe–Ito blue, orange, bluish green, reddish purple, sky blue for
    # voice, chat, API, agentic, batch): the pairs users saw merge fall under the threshold
    old = dict(voice=theme.BLUE, chat=theme.ORANGE, api=theme.BLUISH_GREEN, agentic=theme.REDDISH_PURPLE,
               batch=theme.SKY_BLUE)
    for a, b, vision in (("api", "agentic", "deuteranopia"), ("voice", "api", "tritanopia"),
                         ("api", "batch", "tritanopia"), ("voice", "batch", "tritanopia")):
        d = delta_e_2000(lab(simulate(old[a], vision)), lab(simulate(old[b], vision)))
        assert d < WORKLOAD_MIN_DE, (a, b, vision, d)


@pytest.mark.parametrize("vision", VISIONS)
def test_layer_colours_stay_apart(vision):
    colours = list(theme.LAYER_COLOURS.values())
    d, a, b = min_distance(colours, vision)
    assert d >= SERIES_MIN_DE, f"{vision}: {a} and {b} are only ΔE2000 {d:.1f} apart"


@pytest.mark.parametrize("vision", VISIONS)
def test_frontier_signal_and_share_colours_stay_apart(vision):
    # the frontier figure shows cost, both carbon signals and both shares in one legend
    colours = sorted({*theme.SIGNAL_COLOURS.values(), *theme.SHARE_COLOURS.values()})
    assert len(colours) == 5
    d, a, b = min_distance(colours, vision)
    assert d >= SERIES_MIN_DE, f"{vision}: {a} and {b} are only ΔE2000 {d:.1f} apart"


def test_vermillion_is_reserved_for_unserved_demand():
    assert theme.UNSERVED_COLOUR == theme.VERMILLION
    used = [*theme.WORKLOAD_PALETTE, *theme.LAYER_COLOURS.values(), *theme.SIGNAL_COLOURS.values(),
            *theme.SHARE_COLOURS.values(), *theme.FRICTION_COLOURS.values()]
    assert theme.VERMILLION not in used


def test_each_class_has_its_own_dash_too():
    ids = ["voice", "chat", "api", "agentic", "batch"]
    dashes = [theme.workload_dash(w, ids) for w in ids]
    assert len(set(dashes)) == len(ids)
    for i, w in enumerate(ids):
        line = charts.workload_line(w, ids)
        assert line["color"] == theme.WORKLOAD_PALETTE[i] == theme.workload_colour(w, ids)
        assert line["dash"] == theme.WORKLOAD_DASHES[i]
    # a class not in the list gets the next colour and dash, consistently
    assert theme.workload_dash("other", ids) == theme.WORKLOAD_DASHES[len(ids)]


def test_series_sharing_a_panel_differ_in_more_than_colour():
    df = pd.DataFrame({"budget_ms": [0.0, 10.0], "savings_usd": [0.0, 1.0], "carbon_savings_marginal_t": [0.0, 1.0],
                       "carbon_savings_avg_t": [0.0, 2.0], "rid": [0.1, 0.2], "relocated_share": [0.0, 0.1]})
    fig = charts.frontier_levels_figure(df)
    by_axis: dict[str, list] = {}
    for t in fig.data:
        by_axis.setdefault(t.yaxis, []).append(t.line.dash or "solid")
    for axis, dashes in by_axis.items():
        assert len(set(dashes)) == len(dashes), (axis, dashes)
    layers = pd.DataFrame({"workload": ["a"] * 3, "layer": list(charts.LAYER_LABELS), "share": [0.5, 0.3, 0.2],
                           "mw": [5.0, 3.0, 2.0]})
    shapes = [t.marker.pattern.shape or "" for t in charts.layers_share_figure(layers, ["a"]).data]
    assert len(set(shapes)) == len(charts.LAYER_LABELS)
