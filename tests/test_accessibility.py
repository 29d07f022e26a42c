"""Accessibility of every page (issue 6, section 6): caption contrast, the focus ring, the skip
link and the charts' alt text.

Contrast is WCAG 2.x's: relative luminance of linearised sRGB, ratio (L1 + 0.05) / (L2 + 0.05),
checked here against published values first. Colours are read from .streamlit/config.toml and
from the CSS that pages.common.theme injects, never restated in the test. Streamlit draws
st.caption in the text colour (``color: inherit``) at ``opacity: 0.6`` (``theme.opacities.secondary``
of the installed frontend), so the effective colour is the caption colour composited over the
background at the opacity the CSS leaves.
"""
from __future__ import annotations

import re
import tomllib
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from streamlit.testing.v1 import AppTest

from pages.common import charts, prose, theme

ROOT = Path(__file__).resolve().parents[1]
CONFIG = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["theme"]
STREAMLIT_CAPTION_OPACITY = 0.6      # what Streamlit 1.67's frontend sets on stCaptionContainer


def rgb(hex_colour: str) -> list[int]:
    h = hex_colour.strip().lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    return [int(h[i:i + 2], 16) for i in (0, 2, 4)]


def luminance(colour: list[float]) -> float:
    """WCAG 2.x relative luminance of an sRGB colour given as 0..255 channels."""
    lin = [c / 255 / 12.92 if c / 255 <= 0.04045 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in colour]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(fg: list[float], bg: list[float]) -> float:
    hi, lo = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def over(fg: list[int], alpha: float, bg: list[int]) -> list[float]:
    """``fg`` at ``alpha`` composited over an opaque ``bg`` (what the screen shows)."""
    return [alpha * f + (1 - alpha) * b for f, b in zip(fg, bg)]


def backgrounds() -> dict[str, list[int]]:
    """Every background text is drawn on: the page, the sidebar (secondaryBackgroundColor), and
    any sidebar override in the config."""
    out = {"backgroundColor": rgb(CONFIG["backgroundColor"]),
           "secondaryBackgroundColor": rgb(CONFIG["secondaryBackgroundColor"])}
    for key, value in CONFIG.get("sidebar", {}).items():
        if key.endswith("ackgroundColor"):
            out[f"sidebar.{key}"] = rgb(value)
    return out


def css_rule(selector_part: str) -> dict[str, str]:
    """The declarations of the injected CSS rule whose selector contains ``selector_part``."""
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", theme.CSS):
        if selector_part in selectors:
            decl = (d.split(":", 1) for d in body.split(";") if ":" in d)
            return {k.strip(): v.replace("!important", "").strip() for k, v in decl}
    raise AssertionError(f"no CSS rule for {selector_part}")


def test_contrast_formula_matches_published_values():
    assert contrast(rgb("#000000"), rgb("#FFFFFF")) == pytest.approx(21.0)
    assert contrast(rgb("#767676"), rgb("#FFFFFF")) == pytest.approx(4.54, abs=0.005)   # WebAIM's AA grey
    assert contrast(rgb("#777777"), rgb("#FFFFFF")) == pytest.approx(4.48, abs=0.005)


def test_streamlit_default_captions_fall_short():
    # the measurement: text colour at 60 % is 4.08:1 on the page and 3.95:1 in the sidebar
    text = rgb(CONFIG["textColor"])
    bg = backgrounds()
    page = contrast(over(text, STREAMLIT_CAPTION_OPACITY, bg["backgroundColor"]), bg["backgroundColor"])
    side = contrast(over(text, STREAMLIT_CAPTION_OPACITY, bg["secondaryBackgroundColor"]),
                    bg["secondaryBackgroundColor"])
    assert page == pytest.approx(4.08, abs=0.02) and side == pytest.approx(3.96, abs=0.02)
    assert max(page, side) < 4.5


@pytest.mark.parametrize("where", ["backgroundColor", "secondaryBackgroundColor"])
def test_captions_reach_4_5_to_1(where):
    rule = css_rule('[data-testid="stCaptionContainer"]')
    colour = rgb(rule.get("color", CONFIG["textColor"]))
    alpha = float(rule.get("opacity", STREAMLIT_CAPTION_OPACITY))
    for name, bg in backgrounds().items():
        ratio = contrast(over(colour, alpha, bg), bg)
        assert ratio >= 4.5, f"caption on {name}: {ratio:.2f}:1"


def test_muted_sentences_use_the_caption_colour():
    src = "from pages.common import prose\nprose.sentence('Cost fell by $5.', muted=True)\n"
    at = AppTest.from_string(src).run()
    body = at.markdown[0].value
    colour = re.search(r"color:(#[0-9A-Fa-f]{3,6})", body).group(1)
    for name, bg in backgrounds().items():
        assert contrast(rgb(colour), bg) >= 4.5, name
    assert "&#36;5" in body         # still escaped, so "$" does not start LaTeX


def test_focus_ring_is_2px_and_3_to_1():
    for selector in (":focus-visible", 'input[type="checkbox"]:focus-visible'):
        outline = css_rule(selector)["outline"].split()
        width, style, colour = outline
        assert width == "2px" and style == "solid", selector
        for name, bg in backgrounds().items():
            assert contrast(rgb(colour), bg) >= 3.0, f"{selector} on {name}"
    # the ring is not removed anywhere in the injected CSS
    assert not re.search(r"outline\s*:\s*(none|0)", theme.CSS)


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.text, self._open = [], {}, None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._open = len(self.tags) - 1

    def handle_data(self, data):
        if self._open is not None:
            self.text[self._open] = self.text.get(self._open, "") + data

    def handle_endtag(self, tag):
        self._open = None


def test_skip_link_markup():
    p = _Tags()
    p.feed(theme.SKIP_LINK_HTML)
    first_tag, first_attrs = p.tags[0]
    assert first_tag == "a" and theme.SKIP_CLASS in first_attrs["class"].split()
    assert p.text[0].strip() == "Skip to controls"
    target = first_attrs["href"]
    assert target.startswith("#")
    ids = {a.get("id"): (t, a) for t, a in p.tags}
    tag, attrs = ids[target[1:]]
    assert attrs.get("tabindex") == "-1"          # focusable by script and by the fragment jump
    script = theme.SKIP_LINK_HTML.split("<script>", 1)[1]
    assert "stSidebarUserContent" in script and "insertBefore" in script and "focus()" in script
    # hidden until focused, shown on focus, with the focus colour as its border
    link = css_rule(f".{theme.SKIP_CLASS} ")
    assert "translateY(-" in link["transform"]
    assert css_rule(f".{theme.SKIP_CLASS}:focus")["transform"] == "none"


def test_skip_link_is_the_first_element_of_the_sidebar():
    src = ("import streamlit as st\nfrom pages.common import theme\n"
           "theme.inject_css()\ntheme.skip_to_controls()\n"
           "st.sidebar.caption('Scenario')\nst.sidebar.slider('Budget', 0, 100, 10)\n")
    at = AppTest.from_string(src).run()
    assert not at.exception
    first = list(at.sidebar)[1]         # [0] is the sidebar block itself
    assert first.type == "html" and first.proto.body == theme.SKIP_LINK_HTML
    assert first.proto.unsafe_allow_javascript
    assert at.sidebar.slider[0].label == "Budget"


# --- alt text ----------------------------------------------------------------------------------

def _line_figure() -> go.Figure:
    fig = go.Figure(go.Scatter(x=[0, 10, 20, 30], y=[5e6, 3.1e7, 1.2e7, 2e7], name="Savings"))
    fig.add_trace(go.Scatter(x=[0, 30], y=[1, 1], name="Hidden", visible="legendonly"))
    fig.add_trace(go.Scatter(x=[0], y=[1], mode="text", text=["label"], name="Labels"))
    fig.update_layout(title="Savings by <b>budget</b>")
    fig.update_xaxes(title_text="Latency budget (ms)")
    fig.update_yaxes(title_text="US$", tickprefix="$")
    return fig


def test_describe_a_line_from_its_data():
    text = charts.describe(_line_figure())
    assert text.startswith("Chart: Savings by budget.")
    assert "Horizontal axis: Latency budget (ms)." in text and "Vertical axis: US$." in text
    assert ("Savings: 4 points, from $5 million at 0 ms to $20 million at 30 ms; "
            "highest $31 million at 10 ms, lowest $5 million at 0 ms.") in text
    assert "Hidden" not in text and "Labels" not in text and "<" not in text


def test_describe_bars_and_a_waterfall():
    bars = go.Figure([go.Bar(y=["Chat", "Batch"], x=[62.5, 100.0], orientation="h", name="Local"),
                      go.Bar(y=["Chat", "Batch"], x=[37.5, 0.0], orientation="h", name="Regional")])
    bars.update_xaxes(title_text="Share of served IT power (%)")
    text = charts.describe(bars)
    assert "Local (Share of served IT power (%)): Chat 62.5%; Batch 100%." in text
    assert "Regional (Share of served IT power (%)): Chat 37.5%; Batch 0%." in text
    wf = pd.DataFrame({"step": ["none", "egress", "capacity"], "savings_usd": [1.89e9, 1.7e9, 9.29e8],
                       "change_usd": [0.0, -1.9e8, -7.71e8]})
    text = charts.describe(charts.waterfall_figure(wf))
    for part in ("Potential (no frictions) $1.89 bn", "− Egress -$190 M", "− Capacity -$771 M", "Realized $929 M"):
        assert part in text


def test_describe_a_heatmap_names_its_extremes():
    fig = go.Figure(go.Heatmap(z=[[1.0, -4.0], [np.nan, 9.0]], x=["r1", "r2"], y=["s1", "s2"], name="Net benefit",
                               colorbar=dict(title=dict(text="Net benefit<br>$/MWh"))))
    fig.update_xaxes(title_text="Compute")
    fig.update_yaxes(title_text="Service")
    text = charts.describe(fig)
    assert ("Net benefit (Net benefit $/MWh): 3 cells, from -4 (Compute: r2; Service: s1) "
            "to 9 (Compute: r2; Service: s2).") in text


def test_describe_subplots_use_their_titles_and_each_axis_unit():
    df = pd.DataFrame({"budget_ms": [0.0, 10.0, 25.0], "savings_usd": [0.0, 2e8, 9.3e8],
                       "carbon_savings_marginal_t": [0.0, 1e4, -5e4], "carbon_savings_avg_t": [0.0, 2e4, 2.6e5],
                       "rid": [0.1, 0.3, 0.5], "relocated_share": [0.0, 0.2, 0.4]})
    text = charts.describe(charts.frontier_levels_figure(df))
    assert "Carbon savings against running at home (tCO2 per year)" in text
    assert "Savings (US$): 3 points, from $0 at 0 ms to $930 million at 25 ms" in text
    assert "Carbon savings, average signal (tCO2): 3 points, from 0 tCO2 at 0 ms to 260,000 tCO2 at 25 ms" in text
    assert "lowest -50,000 tCO2 at 25 ms" in text
    assert "Share relocated (realized) (% of demand): 3 points, from 0% at 0 ms to 40% at 25 ms" in text


def test_show_draws_the_chart_then_its_description():
    src = ("import plotly.graph_objects as go\nfrom pages.common import charts, theme\n"
           "fig = go.Figure(go.Scatter(x=[0, 10], y=[1, 2], name='A & B'))\n"
           "charts.show(fig, key='one')\n"
           "charts.show(fig, key='two', alt='Two <points>')\n")
    at = AppTest.from_string(src).run()
    assert not at.exception
    els = list(at.main)[1:]               # [0] is the main block itself
    assert [el.type for el in els] == ["plotly_chart", "html", "plotly_chart", "html"]
    assert els[0].proto.id.endswith("-one") and els[2].proto.id.endswith("-two")
    assert els[0].proto.theme == ""          # theme=None: the "elf" template is kept
    fig = go.Figure(go.Scatter(x=[0, 10], y=[1, 2], name="A & B"))
    assert els[1].proto.body == f'<p class="{theme.SR_ONLY}">{charts.html.escape(charts.describe(fig))}</p>'
    assert els[3].proto.body == f'<p class="{theme.SR_ONLY}">Two &lt;points&gt;</p>'
    # the class hides the text visually, not from screen readers (no display:none)
    rule = css_rule(f".{theme.SR_ONLY}")
    assert rule["position"] == "absolute" and rule["clip"] == "rect(0, 0, 0, 0)" and "display" not in rule
