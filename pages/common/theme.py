"""One look for every page: the colours and what each means, a Plotly template named "elf",
the page CSS (captions, focus ring, skip link, screen-reader text), and number formatters with
human units.

Colours carry one meaning everywhere:
- a workload class always has the same colour (:data:`WORKLOAD_PALETTE`, by its position in the
  scenario) and, in line charts, the same dash (:data:`WORKLOAD_DASHES`), so colour is never the
  only cue;
- the three execution layers always theirs (:data:`LAYER_COLOURS`); cost is always blue, the
  average carbon signal green and the marginal one purple (:data:`SIGNAL_COLOURS`);
- vermillion is reserved for trouble (unserved demand) and never names a class; grey is context
  (baselines, "not applicable", running at home).

The base is Okabe & Ito (2008), "Color Universal Design". The workload classes use five colours
chosen so that every pair stays apart by ΔE2000 ≥ 20 in normal vision and under simulated
protanopia, deuteranopia and tritanopia (Machado, Oliveira & Fernandes 2009, severity 1;
checked in tests/test_accessibility_palette.py): Okabe–Ito's orange, Tol's (2021, "Colour
Schemes", SRON/EPS/TN/09-002) indigo, teal and dark red, and IBM Design's violet.
"""
from __future__ import annotations

import math
from typing import Sequence

import plotly.graph_objects as go
import plotly.io as pio

from core.narrative import finite, significant

# --- Okabe–Ito --------------------------------------------------------------------------------
BLACK = "#000000"
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
BLUISH_GREEN = "#009E73"
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
REDDISH_PURPLE = "#CC79A7"
GREY = "#8C8C8C"          # neutral: context, baselines, "not applicable"

PALETTE = [BLUE, ORANGE, BLUISH_GREEN, REDDISH_PURPLE, SKY_BLUE, VERMILLION, YELLOW, BLACK]
"""Categorical order for anything without a fixed meaning."""

INDIGO = "#332288"         # Tol muted
TEAL = "#44AA99"           # Tol muted
WINE = "#994455"           # Tol medium-contrast dark red
VIOLET = "#785EF0"         # IBM Design Library

WORKLOAD_PALETTE = [INDIGO, ORANGE, TEAL, VIOLET, WINE, SKY_BLUE, BLACK]
"""Workload classes, in the scenario's order (the default scenario's voice, chat, API, agentic,
batch first). Every pair of the first five is at least ΔE2000 22 apart under normal vision,
protanopia, deuteranopia and tritanopia; vermillion is kept for unserved demand."""

WORKLOAD_DASHES = ["solid", "dash", "dot", "dashdot", "longdash", "longdashdot", "8px,3px,2px,3px"]
"""Plotly line dashes of the workload classes, in the same order as :data:`WORKLOAD_PALETTE`."""

WORKLOAD_COLOURS: dict[str, str] = {}
"""Colours of the default scenario's classes; filled by :func:`workload_colours` on first use.
Prefer :func:`workload_colour` (it works for any scenario)."""

LAYER_COLOURS = {"local": GREY, "regional": SKY_BLUE, "energy-oriented": BLUE}
"""Execution layers of docs/model.md: at home, nearby (rtt ≤ regional_ms), far for cheaper energy."""

SIGNAL_COLOURS = {
    "cost": BLUE,                  # $ (cost, savings, ERoL)
    "emissions": BLUISH_GREEN,     # tCO2 on the objective's carbon signal (CRoL)
    "average": BLUISH_GREEN,       # tCO2 on the average-intensity signal
    "marginal": REDDISH_PURPLE,    # tCO2 on the marginal-intensity signal
}
SHARE_COLOURS = {
    "rid": ORANGE,                 # share of demand that could gain by moving (potential)
    "relocated": SKY_BLUE,         # share of demand the optimum actually moves (realized)
}
"""The two shares of demand on the frontier: each its own colour, distinct from cost (blue) and
the two carbon signals (green, purple), so one legend never shows a colour twice."""
UNSERVED_COLOUR = VERMILLION
BASELINE_COLOUR = GREY             # the local baseline in charts

FRICTION_COLOURS = {"egress": ORANGE, "migration": REDDISH_PURPLE, "state_locality": SKY_BLUE,
                    "legal": BLACK, "capacity": YELLOW}

SEQUENTIAL = [BLUE, SKY_BLUE, "#F2F2F2", ORANGE, VERMILLION]
"""Low → high for a continuous quantity where low is good (price, carbon): blue to vermillion."""
MAP_SCALE = [BLUE, SKY_BLUE, YELLOW, ORANGE]
"""The map's region fill, low → high (vermillion stays free for the unserved ring)."""

FONT_FAMILY = '"Source Sans", "Source Sans Pro", "Source Sans 3", "Helvetica Neue", Arial, sans-serif'


def workload_colour(workload_id: str, workload_ids: Sequence[str]) -> str:
    """The hex colour of a workload class: by its position in the scenario's list of classes."""
    ids = list(workload_ids)
    i = ids.index(workload_id) if workload_id in ids else len(ids)
    return WORKLOAD_PALETTE[i % len(WORKLOAD_PALETTE)]


def workload_colours(workload_ids: Sequence[str]) -> dict[str, str]:
    """{workload id: hex} for a scenario's classes (for ``color_discrete_map``)."""
    out = {w: workload_colour(w, workload_ids) for w in workload_ids}
    if not WORKLOAD_COLOURS:
        WORKLOAD_COLOURS.update(out)
    return out


def workload_dash(workload_id: str, workload_ids: Sequence[str]) -> str:
    """The Plotly dash of a workload class's lines: by its position in the scenario's classes."""
    ids = list(workload_ids)
    i = ids.index(workload_id) if workload_id in ids else len(ids)
    return WORKLOAD_DASHES[i % len(WORKLOAD_DASHES)]


def hex_to_rgb(hex_colour: str, alpha: int | None = None) -> list[int]:
    """'#0072B2' → [0, 114, 178] (and alpha 0..255 appended if given), for pydeck."""
    h = hex_colour.lstrip("#")
    rgb = [int(h[i:i + 2], 16) for i in (0, 2, 4)]
    return rgb + [int(alpha)] if alpha is not None else rgb


def ramp_rgb(t: float, stops: Sequence[str] = MAP_SCALE) -> list[int]:
    """Linear interpolation along ``stops`` (hex) at t in 0..1 → [r, g, b]."""
    if t is None or not math.isfinite(t):
        return hex_to_rgb(GREY)
    t = min(max(float(t), 0.0), 1.0) * (len(stops) - 1)
    i = min(int(t), len(stops) - 2)
    a, b = hex_to_rgb(stops[i]), hex_to_rgb(stops[i + 1])
    f = t - i
    return [round(a[j] + (b[j] - a[j]) * f) for j in range(3)]


TEXT_COLOUR = "#262730"          # .streamlit/config.toml theme.textColor
CAPTION_COLOUR = "#5F6571"
"""Captions and other secondary text: 5.9:1 on white, 5.4:1 on the sidebar's #F3F5F8 (Streamlit
draws st.caption in the text colour at 60% opacity: 4.1:1 and 4.0:1, under WCAG's 4.5:1)."""
FOCUS_COLOUR = BLUE
"""The 2 px keyboard focus ring (theme.primaryColor): 5.2:1 on white, 4.7:1 on #F3F5F8 (WCAG asks 3:1)."""

SR_ONLY = "elf-sr-only"
"""CSS class of text that screen readers read and sighted users do not see (chart descriptions)."""
SKIP_CLASS = "elf-skip"
SKIP_TARGET = "elf-controls"

CSS = f"""
<style>
[data-testid="stMetricValue"] {{ font-size: 1.5rem; }}
[data-testid="stMetricLabel"] p {{ font-size: 0.85rem; }}
[data-testid="stMetricValue"] *, [data-testid="stMetricDelta"] *, [data-testid="stMetricLabel"] * {{
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important; }}
[data-testid="stSidebarUserContent"] {{ padding-top: 0.5rem; }}
[data-testid="stMainBlockContainer"] {{ padding-top: 2.5rem; }}
[data-testid="stCaptionContainer"], [data-testid="stMarkdownContainer"] blockquote {{
  opacity: 1 !important; color: {CAPTION_COLOUR} !important; }}
:focus-visible {{ outline: 2px solid {FOCUS_COLOUR} !important; outline-offset: 2px !important; }}
label:has(input[type="checkbox"]:focus-visible), label:has(input[type="radio"]:focus-visible),
div:has(> div > input[type="range"]:focus-visible) {{
  outline: 2px solid {FOCUS_COLOUR} !important; outline-offset: 2px !important; }}
.{SR_ONLY}, [data-testid="stElementContainer"]:has(.{SR_ONLY}),
[data-testid="stElementContainer"]:has(#{SKIP_TARGET}) {{
  position: absolute !important; width: 1px !important; height: 1px !important; padding: 0 !important;
  margin: -1px !important; overflow: hidden !important; clip: rect(0, 0, 0, 0) !important;
  white-space: nowrap !important; border: 0 !important; }}
.{SKIP_CLASS} {{
  position: fixed; top: 0.5rem; left: 0.5rem; z-index: 1000100; transform: translateY(-300%);
  padding: 0.5rem 0.9rem; background: #FFFFFF; color: {TEXT_COLOUR}; font-weight: 600;
  border: 2px solid {FOCUS_COLOUR}; border-radius: 0.4rem; text-decoration: none; }}
.{SKIP_CLASS}:focus, .{SKIP_CLASS}:focus-visible {{ transform: none; }}
</style>
"""
"""Injected on every run: metric sizes (five to a row), metric texts that wrap instead of being
cut off (a projector at 1280×720 shows every label whole), caption contrast, the focus ring (drawn
on the visible control when the focused input is hidden: a toggle's or radio's label, a
slider's thumb, which holds its range input in a 1 px box), the screen-reader-only class and
the skip link. The elements holding screen-reader text and the
skip link's target are taken out of the layout too, so they add no gap."""


def inject_css() -> None:
    """The page CSS above, for every page. Call once per run."""
    import streamlit as st

    st.html(CSS)


SKIP_LINK_HTML = f"""<a class="{SKIP_CLASS}" href="#{SKIP_TARGET}">Skip to controls</a>
<span id="{SKIP_TARGET}" tabindex="-1"></span>
<script>
(function () {{
  var link = document.currentScript && document.currentScript.parentNode.querySelector("a.{SKIP_CLASS}");
  if (!link) return;
  var first = document.body.firstElementChild;
  if (first && first !== link && first.classList.contains("{SKIP_CLASS}")) {{ link.remove(); return; }}
  function control() {{
    var root = document.querySelector('[data-testid="stSidebarUserContent"]');
    var all = root ? root.querySelectorAll('input:not([type="hidden"]), select, textarea, button, [role="slider"]')
                   : [];
    for (var i = 0; i < all.length; i++) {{
      if (!all[i].closest('[data-testid="stWidgetLabel"]')) return all[i];   // not a label's help icon
    }}
    return null;
  }}
  function go(retries) {{
    var bar = document.querySelector('[data-testid="stSidebar"]');
    var collapsed = !!bar && bar.getAttribute("data-collapsed") === "true";
    var open = document.querySelector('[data-testid="stExpandSidebarButton"]');
    if (collapsed && open && retries === 10) open.click();
    var c = control();
    if (c && !collapsed) {{ c.focus(); if (document.activeElement === c) return; }}
    if (retries > 0) setTimeout(function () {{ go(retries - 1); }}, 100);
  }}
  link.addEventListener("click", function (e) {{ e.preventDefault(); go(10); }});
  document.body.insertBefore(link, document.body.firstChild);
}})();
</script>"""
"""The skip link: rendered at the top of the sidebar, then moved by its script to the start of
the page's <body> (outside Streamlit's React root), so it is the first tab stop. It shows when
focused; Enter opens the sidebar if it is collapsed and focuses its first control. Without the
script it stays at the sidebar's top and jumps to the span after it."""


def skip_to_controls() -> None:
    """Draw the "Skip to controls" link (call before the sidebar's widgets, once per run)."""
    import streamlit as st

    st.sidebar.html(SKIP_LINK_HTML, unsafe_allow_javascript=True)


# --- Plotly -----------------------------------------------------------------------------------

def plotly_template() -> go.layout.Template:
    """The "elf" template: Okabe–Ito colourway, quiet grid, readable font, tight margins."""
    return go.layout.Template(layout=go.Layout(
        font=dict(family=FONT_FAMILY, size=14, color=TEXT_COLOUR),
        title=dict(font=dict(size=17), x=0, xanchor="left"),
        colorway=PALETTE,
        paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="white",
        margin=dict(l=10, r=10, t=48, b=10),
        xaxis=dict(showgrid=True, gridcolor="#E6E6E6", zeroline=False, linecolor="#BDBDBD",
                   ticks="outside", tickcolor="#BDBDBD", automargin=True, title=dict(standoff=8)),
        yaxis=dict(showgrid=True, gridcolor="#E6E6E6", zeroline=True, zerolinecolor="#BDBDBD",
                   linecolor="#BDBDBD", automargin=True, title=dict(standoff=8)),
        legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0, title=dict(text="")),
        hoverlabel=dict(font=dict(family=FONT_FAMILY, size=13)),
        colorscale=dict(sequential=[[i / (len(SEQUENTIAL) - 1), c] for i, c in enumerate(SEQUENTIAL)]),
    ))


pio.templates["elf"] = plotly_template()


def style(fig: go.Figure, height: int | None = None) -> go.Figure:
    """Apply the "elf" template (and a height) to a figure; show it with
    ``st.plotly_chart(fig, theme=None)`` so Streamlit does not restyle it."""
    fig.update_layout(template="elf")
    if height:
        fig.update_layout(height=height)
    return fig


# --- numbers with units -----------------------------------------------------------------------
# ASCII "-" for negatives: st.metric reads the sign of a delta string from its first character.

def _bad(x) -> bool:
    return not finite(x)


def fmt_num(x: float, digits: int = 3) -> str:
    """A plain number with ``digits`` significant figures and thousands separators; "—" for nan."""
    if _bad(x):
        return "—"
    x = float(x)
    text = significant(abs(x), digits)
    return ("-" if x < 0 and float(text.replace(",", "")) != 0 else "") + text


def _scaled(x: float, steps: Sequence[tuple[float, str]], unit_fmt: str) -> str:
    if _bad(x):
        return "—"
    x = float(x)
    ax = abs(x)
    for size, suffix in steps:
        if ax >= size:
            return unit_fmt.format(num=fmt_num(x / size), suffix=suffix)
    return unit_fmt.format(num=fmt_num(x), suffix=steps[-1][1] if steps[-1][0] == 1 else "")


def fmt_usd(x: float) -> str:
    """Dollars: $1.23 bn, $456 M, $12.3 k, $950 (negatives as -$1.2 M)."""
    if _bad(x):
        return "—"
    sign = "-" if float(x) < 0 else ""
    body = _scaled(abs(float(x)), [(1e12, " tn"), (1e9, " bn"), (1e6, " M"), (1e3, " k"), (1, "")], "{num}{suffix}")
    return f"{sign}${body}" if body != "0" else "$0"


def fmt_t(x: float) -> str:
    """Tonnes of CO2: 950 t CO₂, 3.4 kt CO₂, 1.2 Mt CO₂."""
    return _scaled(x, [(1e9, " Gt"), (1e6, " Mt"), (1e3, " kt"), (1, " t")], "{num}{suffix} CO₂") \
        if not _bad(x) and float(x) != 0 else ("0 t CO₂" if not _bad(x) else "—")


def fmt_mw(x: float) -> str:
    """Megawatts of IT power: 1,234 MW, 56.7 MW, 0.25 MW."""
    if _bad(x):
        return "—"
    x = float(x)
    if abs(x) >= 100:
        return f"{x:,.0f} MW"
    return f"{fmt_num(x)} MW"


def fmt_pct(x: float, digits: int = 1) -> str:
    """A share 0..1 as a percentage: 0.123 → 12.3%."""
    if _bad(x):
        return "—"
    return f"{float(x) * 100:,.{digits}f}%"


def fmt_ms(x: float) -> str:
    """Milliseconds: 35 ms, 2.5 ms."""
    if _bad(x):
        return "—"
    x = float(x)
    return f"{x:,.0f} ms" if abs(x) >= 10 or x == int(x) else f"{x:.1f} ms"


def fmt_usd_per_ms(x: float) -> str:
    """ERoL: dollars per millisecond of latency budget, e.g. $1.2 M/ms."""
    return "—" if _bad(x) else f"{fmt_usd(x)}/ms"


def fmt_t_per_ms(x: float) -> str:
    """CRoL: tonnes of CO2 per millisecond of latency budget, e.g. 3.4 ktCO₂/ms."""
    return "—" if _bad(x) else fmt_t(x).replace(" CO₂", "CO₂") + "/ms"


def fmt_usd_per_mwh(x: float) -> str:
    """Dollars per MWh: $45.2/MWh."""
    return "—" if _bad(x) else f"{fmt_usd(x)}/MWh"


def fmt_g_per_kwh(x: float) -> str:
    """Carbon intensity: 320 gCO₂/kWh."""
    return "—" if _bad(x) else f"{fmt_num(x)} gCO₂/kWh"


def fmt_signed(fmt, x: float) -> str:
    """A change ``x`` written by ``fmt`` with its sign: +$1.2 M, -3.4 kt (a "+" only on a positive
    number: none on 0, nan or "—")."""
    text = fmt(x)
    if _bad(x) or text == "—" or text.startswith("-") or float(x) <= 0:
        return text
    return f"+{text}"


def fmt_pp(x: float) -> str:
    """A change of a share 0..1 in percentage points: 0.012 → "1.2 percentage points"."""
    return "—" if _bad(x) else f"{float(x) * 100:,.1f} percentage points"
