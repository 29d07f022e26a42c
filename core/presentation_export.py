"""The presentation as a deck: slides of 1280×720, and the same deck as ONE self-contained
HTML file with previous/next buttons, arrow and page keys, and a slide counter (plain inline
JavaScript; plotly.js inlined once; no CDN, no external URL to load).

Pure: takes figures, numbers and sentences already computed, returns figures or an HTML string.
The static map of the deck (:func:`corridor_map_figure`) draws the regions and the largest
relocation corridors on country outlines passed in, on plain axes: no tiles, no network (a
plotly ``geo`` subplot would fetch its outlines from a CDN).
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

PLOT_CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["sendDataToCloud"]}
ARC_COLOUR, TOP_ARC_COLOUR, LAND_COLOUR, NODE_COLOUR = "#56B4E9", "#0072B2", "#E5E8EC", "#262730"


@dataclass(frozen=True)
class BigNumber:
    """One headline figure: a label with its unit, the formatted value, a short note."""

    label: str
    value: str
    note: str = ""


@dataclass(frozen=True)
class Slide:
    """One slide: a heading, plain sentences, and any of big numbers, a label/value table
    (the settings), a table of several columns (``table``: its header row first), a chart, small
    print and a link (shown as text and as a link)."""

    heading: str
    sentences: Sequence[str] = ()
    numbers: Sequence[BigNumber] = ()
    rows: Sequence[tuple[str, str]] = ()
    table: Sequence[Sequence[str]] = ()
    figure: go.Figure | None = None
    notes: Sequence[str] = ()
    link: str | None = None
    link_label: str = "Open these settings in the app"


@dataclass(frozen=True)
class Presentation:
    title: str
    slides: Sequence[Slide]


# --- the map slide ---------------------------------------------------------------------------

def relocation_corridors(placement: pd.DataFrame) -> pd.DataFrame:
    """Relocated IT power [MW] per corridor service → compute (r ≠ s), summed over workload
    classes, largest first (``placement``: :attr:`core.solution.Solution.placement`)."""
    away = placement[placement["service"] != placement["compute"]]
    out = away.groupby(["service", "compute"], as_index=False)["mw"].sum()
    return out.sort_values(["mw", "service", "compute"], ascending=[False, True, True]).reset_index(drop=True)


def great_circle_lonlat(lon1: float, lat1: float, lon2: float, lat2: float,
                        n: int = 48) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points [degrees] along the shorter great circle from (lon1, lat1) to (lon2, lat2);
    longitudes are continuous (unwrapped from lon1), so they may leave [−180, 180]."""
    lo, la = np.radians([lon1, lon2]), np.radians([lat1, lat2])
    p = np.c_[np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)]
    omega = float(np.arccos(np.clip(p[0] @ p[1], -1.0, 1.0)))
    t = np.linspace(0.0, 1.0, n)[:, None]
    if omega < 1e-9:
        v = np.repeat(p[:1], n, axis=0)
    else:
        v = (np.sin((1 - t) * omega) * p[0] + np.sin(t * omega) * p[1]) / np.sin(omega)
    lat = np.degrees(np.arcsin(np.clip(v[:, 2], -1.0, 1.0)))
    lon = np.degrees(np.unwrap(np.arctan2(v[:, 1], v[:, 0])))
    return lon + 360.0 * np.round((lon1 - lon[0]) / 360.0), lat


def _rings(world: dict | None) -> tuple[list, list]:
    """Every outer ring of the GeoJSON polygons as one x/y list with None between rings."""
    xs, ys = [], []
    for feature in (world or {}).get("features", []):
        geom = feature.get("geometry") or {}
        polygons = ([geom.get("coordinates", [])] if geom.get("type") == "Polygon"
                    else geom.get("coordinates", []) if geom.get("type") == "MultiPolygon" else [])
        for polygon in polygons:
            if polygon:
                xs += [pt[0] for pt in polygon[0]] + [None]
                ys += [pt[1] for pt in polygon[0]] + [None]
    return xs, ys


def _mw_words(mw: float) -> str:
    return f"{mw:,.0f} MW" if mw >= 100 else f"{mw:,.3g} MW"


def corridor_map_figure(nodes: pd.DataFrame, corridors: pd.DataFrame, world: dict | None, *,
                        top: int = 5, most: int = 40, height: int = 470) -> go.Figure:
    """Regions and relocation corridors on a plain longitude/latitude map [degrees].

    ``nodes``: id, name, lon, lat; ``corridors``: service, compute, mw [MW of IT power] (see
    :func:`relocation_corridors`), largest first. The ``most`` largest corridors are drawn along
    the shorter great circle, line width ∝ MW, with an arrow at the compute end; the ``top``
    largest are dark, listed in the legend with their MW, and their regions are named.
    ``world``: GeoJSON country outlines (None: no outlines).
    """
    at = nodes.set_index("id")
    name = {i: (str(r["name"]) if isinstance(r["name"], str) and r["name"] else i) for i, r in at.iterrows()}
    fig = go.Figure()
    xs, ys = _rings(world)
    if xs:
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", fill="toself", fillcolor=LAND_COLOUR,
                                 line=dict(color="white", width=0.5), hoverinfo="skip", showlegend=False))
    shown = corridors.head(most)
    peak = float(shown["mw"].max()) if len(shown) else 1.0
    named = set()
    for i, c in enumerate(reversed(list(shown.itertuples(index=False)))):
        rank = len(shown) - i
        lon, lat = great_circle_lonlat(at.at[c.service, "lon"], at.at[c.service, "lat"],
                                       at.at[c.compute, "lon"], at.at[c.compute, "lat"])
        is_top = rank <= top
        label = f"{name[c.service]} → {name[c.compute]}: {_mw_words(c.mw)}"
        width = 1.0 + 7.0 * np.sqrt(c.mw / peak) if peak > 0 else 1.0
        colour = TOP_ARC_COLOUR if is_top else ARC_COLOUR
        for shift in [0.0] + ([-360.0] if lon.max() > 180 else []) + ([360.0] if lon.min() < -180 else []):
            fig.add_trace(go.Scatter(
                x=lon + shift, y=lat, mode="lines+markers", line=dict(color=colour, width=width),
                marker=dict(symbol="arrow", angleref="previous", color=colour,
                            size=[0] * (len(lon) - 1) + [10 + width]),
                name=f"{rank}. {label}", showlegend=is_top and shift == 0.0, legendrank=rank,
                opacity=1.0 if is_top else 0.55, hoverinfo="text", hovertext=f"{label} of IT power"))
        if is_top:
            named |= {c.service, c.compute}
    fig.add_trace(go.Scatter(
        x=at["lon"], y=at["lat"], mode="markers", marker=dict(size=7, color=NODE_COLOUR),
        hoverinfo="text", hovertext=[name[i] for i in at.index], showlegend=False))
    targets = set(shown.head(top)["compute"])
    labelled = [i for i in at.index if i in named]
    fig.add_trace(go.Scatter(   # compute regions named above their dot, service regions below
        x=at.loc[labelled, "lon"], y=at.loc[labelled, "lat"], mode="text", text=[name[i] for i in labelled],
        textposition=["top center" if i in targets else "bottom center" for i in labelled],
        textfont=dict(color=NODE_COLOUR), hoverinfo="skip", showlegend=False))
    fig.update_xaxes(range=[-180, 180], visible=False, fixedrange=True)
    fig.update_yaxes(range=[-57, 80], visible=False, fixedrange=True, scaleanchor="x", scaleratio=1)
    fig.update_layout(height=height, plot_bgcolor="white", paper_bgcolor="white", margin=dict(l=0, r=0, t=0, b=0),
                      legend=dict(x=0.005, y=0.02, xanchor="left", yanchor="bottom", orientation="v",
                                  bgcolor="rgba(255,255,255,0.85)", title=dict(text="Largest corridors (IT power)")),
                      hovermode="closest")
    return fig


def mark_savings(fig: go.Figure, points: Sequence[tuple[float, float, str]], level_usd: float | None = None,
                 level_label: str = "") -> go.Figure:
    """The same figure with labelled points (budget [ms], savings [$], label) on a frontier and a
    dotted horizontal line at ``level_usd`` [$] labelled ``level_label`` (returns a copy)."""
    out = go.Figure(fig)
    right = (out.layout.xaxis.range or [0, max([p[0] for p in points], default=0)])[1]
    if points:   # labels right of a point in the left half, left of it in the right half
        out.add_trace(go.Scatter(x=[p[0] for p in points], y=[p[1] for p in points], mode="markers+text",
                                 text=[p[2] for p in points], showlegend=False,
                                 textposition=["bottom right" if p[0] < right / 2 else "bottom left" for p in points],
                                 marker=dict(size=11, color=NODE_COLOUR), hoverinfo="text",
                                 hovertext=[p[2] for p in points]))
    if level_usd is not None and np.isfinite(level_usd):
        out.add_hline(y=level_usd, line=dict(color=NODE_COLOUR, dash="dot", width=1.5), annotation_text=level_label,
                      annotation_position="top left", annotation_bgcolor="rgba(255,255,255,0.85)")
    return out


# --- the HTML deck -----------------------------------------------------------------------------

_CSS = """
*{box-sizing:border-box}
html,body{margin:0;background:#fff}
body{font-family:"Source Sans Pro","Helvetica Neue",Arial,sans-serif;color:#262730}
.slide{position:relative;width:100%;max-width:1280px;height:720px;margin:0 auto;padding:26px 40px 56px;
 overflow:hidden;display:flex;flex-direction:column;border-bottom:1px solid #ddd}
.deck-on .slide{display:none;height:100vh;max-height:720px;border:0}
.deck-on .slide.current{display:flex}
h1{font-size:40px;margin:0 0 6px;line-height:1.15}
h2{font-size:32px;margin:0 0 8px;line-height:1.2}
.slide p{font-size:20px;line-height:1.4;margin:0 0 8px}
.numbers{display:flex;gap:14px;margin:8px 0 14px}
.number{flex:1 1 0;border-left:6px solid #0072B2;background:#F5F8FB;padding:10px 14px}
.number .label{font-size:16px;color:#444}
.number .value{font-size:36px;font-weight:700;line-height:1.15;margin:4px 0}
.number .note{font-size:14px;color:#555}
.notes{font-size:15px;color:#555;margin-top:6px}
.notes div{margin:2px 0}
.link{font-size:15px;margin-top:8px;word-break:break-all}
.link a{color:#0072B2}
.chart{flex:1 1 auto;min-height:0}
.count{position:absolute;right:40px;bottom:16px;font-size:14px;color:#666}
nav.controls{display:none}
.deck-on nav.controls{display:flex;gap:10px;align-items:center;position:fixed;left:40px;bottom:10px;z-index:5}
nav.controls button{font-size:16px;padding:5px 14px;border:1px solid #bbb;background:#fff;border-radius:6px;cursor:pointer}
nav.controls button:focus-visible{outline:2px solid #0072B2;outline-offset:2px}
nav.controls span{font-size:15px;color:#444}
.deck-on .count{display:none}
@media (max-width:760px){.slide,.deck-on .slide{height:auto;max-height:none;overflow:visible;padding:16px 14px 64px}
 .numbers{flex-wrap:wrap}.number{flex:1 1 140px}h1{font-size:30px}h2{font-size:25px}.slide p{font-size:17px}
 .deck-on nav.controls{left:14px}}
@media print{.deck-on .count{display:block}.deck-on .slide{display:flex;height:720px;page-break-after:always}nav.controls{display:none !important}}
"""

# previous/next: buttons and keys; the charts of a slide are resized when it is shown (a chart
# drawn while hidden has no size); "#3" in the address opens slide 3
_JS = """
(function(){
 var slides=[].slice.call(document.querySelectorAll('section.slide'));
 if(!slides.length){return;}
 document.body.classList.add('deck-on');
 var counter=document.getElementById('deck-counter'), i=0;
 function show(n){
  i=Math.max(0,Math.min(slides.length-1,n));
  slides.forEach(function(s,j){s.classList.toggle('current',j===i);s.setAttribute('aria-hidden',j===i?'false':'true');});
  counter.textContent='Slide '+(i+1)+' of '+slides.length;
  if(window.Plotly){[].forEach.call(slides[i].querySelectorAll('.js-plotly-plot'),function(d){Plotly.Plots.resize(d);});}
  try{history.replaceState(null,'','#'+(i+1));}catch(e){}
 }
 document.getElementById('deck-prev').addEventListener('click',function(){show(i-1);});
 document.getElementById('deck-next').addEventListener('click',function(){show(i+1);});
 document.addEventListener('keydown',function(e){
  if(e.altKey||e.ctrlKey||e.metaKey){return;}
  if(e.key==='ArrowRight'||e.key==='PageDown'){show(i+1);e.preventDefault();}
  else if(e.key==='ArrowLeft'||e.key==='PageUp'){show(i-1);e.preventDefault();}
  else if(e.key==='Home'){show(0);e.preventDefault();}
  else if(e.key==='End'){show(slides.length-1);e.preventDefault();}
 });
 show((parseInt(location.hash.slice(1),10)||1)-1);
})();
"""


def _esc(text: str) -> str:
    return html.escape(str(text), quote=True)


def figure_div(fig: go.Figure, div_id: str) -> str:
    """A figure as an HTML fragment that uses the page's single inlined plotly.js."""
    return pio.to_html(fig, full_html=False, include_plotlyjs=False, include_mathjax=False,
                       config=PLOT_CONFIG, div_id=div_id, default_width="100%")


TABLE_CSS = """
table.settings{border-collapse:collapse;font-size:17px;width:100%;margin:4px 0}
table.settings th{text-align:left;color:#444;font-weight:600;padding:4px 14px 4px 0;width:23%;vertical-align:top}
table.settings td{padding:4px 0;vertical-align:top}
table.settings tr{border-bottom:1px solid #eee}
table.columns{border-collapse:collapse;font-size:17px;width:100%;margin:4px 0}
table.columns th{text-align:left;color:#444;font-weight:600;padding:4px 14px 4px 0}
table.columns thead th{border-bottom:2px solid #ccc}
table.columns td{padding:4px 14px 4px 0;vertical-align:top}
table.columns tr{border-bottom:1px solid #eee}
table.columns td:not(:first-child),table.columns th:not(:first-child){text-align:right}
"""


def rows_table_html(rows: Sequence[tuple[str, str]]) -> str:
    """Label/value rows as an HTML table of class "settings" (styled by :data:`TABLE_CSS`), text escaped."""
    cells = "".join(f"<tr><th scope=\"row\">{_esc(a)}</th><td>{_esc(b)}</td></tr>" for a, b in rows)
    return f'<table class="settings">{cells}</table>'


def columns_table_html(table: Sequence[Sequence[str]]) -> str:
    """A table of several columns (its first row the header) as HTML of class "columns" (styled by
    :data:`TABLE_CSS`; the first column is each row's label), text escaped."""
    head, *body = table
    cells = "".join(f'<th scope="col">{_esc(c)}</th>' for c in head)
    rows = "".join("<tr>" + "".join(f'<th scope="row">{_esc(c)}</th>' if j == 0 else f"<td>{_esc(c)}</td>"
                                    for j, c in enumerate(r)) + "</tr>" for r in body)
    return f'<table class="columns"><thead><tr>{cells}</tr></thead><tbody>{rows}</tbody></table>'


def _slide_html(s: Slide, i: int, n: int, title: bool) -> str:
    head = f"<h1>{_esc(s.heading)}</h1>" if title else f"<h2>{_esc(s.heading)}</h2>"
    sentences = "".join(f"<p>{_esc(t)}</p>" for t in s.sentences)
    numbers = _numbers_html(s.numbers) if s.numbers else ""
    # the title slide's hero numbers right under the title; elsewhere after the sentences
    parts = [head] + ([numbers, sentences] if title else [sentences, numbers])
    if s.rows:
        parts.append(rows_table_html(s.rows))
    if s.table:
        parts.append(columns_table_html(s.table))
    if s.figure is not None:
        parts.append(f'<div class="chart">{figure_div(s.figure, f"chart-{i}")}</div>')
    if s.notes:
        parts.append('<div class="notes">' + "".join(f"<div>{_esc(t)}</div>" for t in s.notes) + "</div>")
    if s.link:
        parts.append(f'<div class="link">{_esc(s.link_label)}: <a href="{_esc(s.link)}">{_esc(s.link)}</a></div>')
    parts.append(f'<div class="count">{i + 1} / {n}</div>')
    return (f'<section class="slide{" current" if i == 0 else ""}" id="slide-{i + 1}" '
            f'aria-label="Slide {i + 1} of {n}: {_esc(s.heading)}">{"".join(parts)}</section>')


def _numbers_html(numbers: Sequence[BigNumber]) -> str:
    return '<div class="numbers">' + "".join(
        f'<div class="number"><div class="label">{_esc(b.label)}</div><div class="value">{_esc(b.value)}</div>'
        f'<div class="note">{_esc(b.note)}</div></div>' for b in numbers) + "</div>"


def presentation_html(p: Presentation) -> str:
    """The whole deck as one HTML document (UTF-8 text): one 1280×720 slide at a time with
    previous/next buttons, ←/→ and PageUp/PageDown keys and a slide counter (every slide
    stacked when JavaScript is off, one per page when printed); plotly.js inlined once."""
    n = len(p.slides)
    slides = "".join(_slide_html(s, i, n, i == 0) for i, s in enumerate(p.slides))
    nav = ('<nav class="controls" aria-label="Slides"><button type="button" id="deck-prev">← Previous</button>'
           f'<span id="deck-counter" aria-live="polite">Slide 1 of {n}</span>'
           '<button type="button" id="deck-next">Next →</button></nav>')
    plotly_js = get_plotlyjs().replace("</script", "<\\/script")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{_esc(p.title)}</title><style>{_CSS}{TABLE_CSS}</style>"
        f"<script type=\"text/javascript\">{plotly_js}</script></head>"
        f"<body><main>{slides}</main>{nav}<script type=\"text/javascript\">{_JS}</script></body></html>\n")


_EXTERNAL = re.compile(r"""<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.I)


def external_references(document: str) -> list[str]:
    """Tags of ``document`` that would load something from the network (should be none)."""
    return [m.group(0) for m in _EXTERNAL.finditer(document)]
