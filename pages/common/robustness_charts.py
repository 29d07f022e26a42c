"""Pure Plotly figures and map arcs of the Robustness page, from the tidy tables of
:mod:`core.robustness`: the distributions of savings and carbon change with p5/p50/p95 and the
undrawn value marked, the tornado of the inputs that drive the savings, the frontier band, and
the corridors of the world map by their share of draws. No streamlit import; every axis names
its unit; colour is never the only cue (dash, text)."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.robustness import DISTRIBUTION_OUTPUTS, plain_label
from pages.common.theme import (BLACK, BLUE, GREY, ORANGE, SIGNAL_COLOURS, TEXT_COLOUR, fmt_mw, fmt_pct, fmt_t,
                                fmt_usd, ramp_rgb, style)
from pages.common.worldmap import arc_label_position, short_way_lon

OUTPUT_COLOURS = {"savings_usd": SIGNAL_COLOURS["cost"], "carbon_savings_avg_t": SIGNAL_COLOURS["average"],
                  "carbon_savings_marginal_t": SIGNAL_COLOURS["marginal"]}
QUANTILE_DASHES = {"p5": "dot", "p50": "dash", "p95": "dot"}
SIGNAL_OUTPUTS = {"average": "carbon_savings_avg_t", "marginal": "carbon_savings_marginal_t"}


def _fmt(output: str):
    """The formatter of an output's values: dollars, or tonnes without "CO₂" (the axis says tCO2)."""
    return fmt_usd if output.endswith("_usd") else (lambda x: fmt_t(x).replace(" CO₂", ""))


def distributions_figure(dist: pd.DataFrame, quantiles: pd.DataFrame, *, period: str = "per year",
                         signal: str = "marginal", height: int = 360) -> go.Figure:
    """One histogram per output of :func:`core.robustness.distributions` (savings [$], carbon
    saved on the average and marginal signals [tCO2] over ``period``), with p5 and p95 dotted,
    p50 dashed and the undrawn setting's value solid black (``quantiles``:
    :func:`core.robustness.quantile_table`). ``signal``: the objective's carbon signal."""
    outputs = list(quantiles["output"])
    titles = [DISTRIBUTION_OUTPUTS[o].replace(" ($)", f" ($ {period})").replace(" (tCO2)", f" (tCO2 {period})")
              + (" (objective)" if o == SIGNAL_OUTPUTS.get(signal) else "")
              for o in outputs]
    fig = make_subplots(rows=1, cols=len(outputs), subplot_titles=titles, horizontal_spacing=0.09)
    for col, (o, q) in enumerate(zip(outputs, quantiles.itertuples()), start=1):
        v = dist.loc[dist["output"] == o, "value"].to_numpy(dtype=float)
        fmt = _fmt(o)
        fig.add_trace(go.Histogram(x=v, nbinsx=min(40, max(8, int(math.sqrt(max(len(v), 1))) * 2)),
                                   marker=dict(color=OUTPUT_COLOURS[o], line=dict(color="white", width=0.5)),
                                   opacity=0.8, name=titles[col - 1], showlegend=False,
                                   hovertemplate="%{x}: %{y} draws<extra></extra>"), 1, col)
        for name in ("p5", "p50", "p95"):
            x = getattr(q, name)
            if np.isfinite(x):
                fig.add_vline(x=x, line=dict(color=BLACK, dash=QUANTILE_DASHES[name], width=1.5), row=1, col=col)
        if np.isfinite(q.base):
            fig.add_vline(x=q.base, line=dict(color=BLACK, width=2.5), row=1, col=col)
            fig.add_annotation(x=q.base, y=0.5, yref="y domain", xref=f"x{col if col > 1 else ''}",
                               text=f"undrawn {fmt(q.base)}", showarrow=False, textangle=-90, xshift=-9,
                               font=dict(size=11), bgcolor="rgba(255,255,255,0.85)")
        values = " · ".join(f"{name} {fmt(getattr(q, name))}" for name in ("p5", "p50", "p95"))
        fig.update_xaxes(title_text=("US$" if o.endswith("_usd") else "tCO2 (negative: more emitted)") + "<br>"
                         + values, tickprefix="$" if o.endswith("_usd") else None, row=1, col=col)
    fig.update_yaxes(title_text="Draws", row=1, col=1)
    style(fig, height)
    fig.update_layout(bargap=0.02, margin=dict(t=40))
    fig.update_annotations(font_size=12)
    return fig


def tornado_figure(sens: pd.DataFrame, median: float, *, period: str = "per year", unit_fmt=fmt_usd,
                   height: int | None = None) -> go.Figure:
    """The inputs of :func:`core.robustness.sensitivity` as a tornado: for each, a bar from the
    median savings [$] over the draws in its lowest third to the median over its highest third,
    around the median of every draw (``median``, a black line); blue when the savings rise with
    the input (ρ > 0), orange when they fall; ρ beside each bar, grey bars for the inputs whose
    |ρ| does not stand out from the noise of the draws. The largest |ρ| is on top."""
    d = sens.iloc[::-1]
    labels = [plain_label(x) + ("" if ok else " (noise)") for x, ok in zip(d["label"], d["stands_out"])]
    lo, hi = np.minimum(d["low_median"], d["high_median"]), np.maximum(d["low_median"], d["high_median"])
    colours = [GREY if not ok else (BLUE if r > 0 else ORANGE) for r, ok in zip(d["rho"], d["stands_out"])]
    text = [f"ρ = {r:+.2f}" for r in d["rho"]]
    fig = go.Figure(go.Bar(
        y=labels, x=hi - lo, base=lo, orientation="h", marker=dict(color=colours, line=dict(color="white", width=0.5)),
        text=text, textposition="outside", cliponaxis=False, name="Median savings, lowest → highest third",
        customdata=np.c_[[unit_fmt(v) for v in d["low_median"]], [unit_fmt(v) for v in d["high_median"]], text],
        hovertemplate="%{y}: lowest third %{customdata[0]}, highest third %{customdata[1]} (%{customdata[2]})"
                      "<extra></extra>"))
    fig.add_vline(x=median, line=dict(color=BLACK, width=1.5),
                  annotation_text=f"median of every draw {unit_fmt(median)}", annotation_position="top",
                  annotation_font_size=11)
    fig.update_xaxes(title_text=f"Median savings over the draws in the input's lowest and highest third ($ {period})",
                     tickprefix="$")
    fig.update_yaxes(title_text=None, automargin=True)
    style(fig, height or 140 + 34 * len(d))
    fig.update_layout(showlegend=False, margin=dict(t=40, r=70))
    return fig


def frontier_band_figure(band: pd.DataFrame, base: pd.DataFrame | None = None, *, period: str = "per year",
                         height: int = 420) -> go.Figure:
    """The savings frontier as a band over the draws: p5–p95 shaded, p50 a line, against every
    class's budget [ms] (``band``: :meth:`core.sweep.SweepResult.frontier_band`); ``base`` the
    undrawn setting's savings at the same budgets (budget_ms, savings_usd), dashed black."""
    fig = go.Figure()
    x = band["budget_ms"]
    fig.add_trace(go.Scatter(x=x, y=band["p95"], mode="lines", line=dict(width=0, color=BLUE), showlegend=False,
                             hoverinfo="skip", name="p95"))
    fig.add_trace(go.Scatter(x=x, y=band["p5"], mode="lines", line=dict(width=0, color=BLUE), fill="tonexty",
                             fillcolor="rgba(0,114,178,0.18)", name="90 % of draws (p5–p95)",
                             customdata=band["p95"], hovertemplate="%{x:.0f} ms: $%{y:,.0f} to $%{customdata:,.0f}"
                                                                   "<extra>p5–p95</extra>"))
    fig.add_trace(go.Scatter(x=x, y=band["p50"], mode="lines+markers", line=dict(color=BLUE, width=3),
                             marker=dict(size=6), name="Median (p50)",
                             hovertemplate="%{x:.0f} ms: $%{y:,.0f}<extra>p50</extra>"))
    if base is not None and len(base):
        fig.add_trace(go.Scatter(x=base["budget_ms"], y=base["savings_usd"], mode="lines+markers",
                                 line=dict(color=BLACK, width=2, dash="dash"), marker=dict(size=5, symbol="diamond"),
                                 name="Undrawn setting", hovertemplate="%{x:.0f} ms: $%{y:,.0f}<extra>undrawn</extra>"))
    fig.update_xaxes(title_text="Latency budget of every class (ms)", rangemode="tozero")
    fig.update_yaxes(title_text=f"Savings ($ {period})", tickprefix="$", rangemode="tozero")
    style(fig, height)
    return fig


SHARE_SCALE = ("#D0D0D0", "#8C8C8C", TEXT_COLOUR)
"""Arcs by share of draws, rare → every draw: light grey to near black (the discs keep the map's
price ramp, so the two never share a colour)."""


def share_colour(share: float) -> list[int]:
    """An arc's colour [r, g, b] for the share of draws [0..1] in which it carries flow."""
    return ramp_rgb(share, SHARE_SCALE)


def share_arcs(shares: pd.DataFrame, nodes: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """The corridors of :func:`core.robustness.corridor_shares` as the map's arcs table (the
    columns :func:`pages.common.worldmap.deck` draws): ends at the markers of ``nodes``
    (:func:`pages.common.worldmap.markers`: id, lon, lat at the map's cut), width and colour by
    share (rare arcs fainter too), ``mw`` the mean MW over the draws (what a corridor's label states), tooltip with
    share, draws and mean MW."""
    cols = ["service", "compute", "mw", "share", "src", "dst", "source_colour", "target_colour", "width", "tip",
            "label", "label_position"]
    at = nodes.set_index("id")
    rows = []
    for s, r, share, n, mw in zip(shares["service"], shares["compute"], shares["share"], shares["draws_with_flow"],
                                  shares["mean_mw"]):
        if s not in at.index or r not in at.index:
            continue
        src = [float(at.at[s, "lon"]), float(at.at[s, "lat"])]
        dst = [float(short_way_lon(src[0], float(at.at[r, "lon"]))), float(at.at[r, "lat"])]
        colour = share_colour(share)
        words = f"{names.get(s, s)} → {names.get(r, r)}"
        rows.append({"service": s, "compute": r, "mw": float(mw), "share": float(share), "src": src, "dst": dst,
                     "source_colour": colour + [round(30 + 90 * share)],
                     "target_colour": colour + [round(60 + 190 * share)],
                     "width": 1.0 + 7.0 * float(share),
                     "tip": f"{words}\nCarries flow in {fmt_pct(share, 0)} of draws ({n:,})\n"
                            f"Mean over every draw {fmt_mw(mw)}",
                     "label": f"{words} {fmt_pct(share, 0)}", "label_position": arc_label_position(src, dst)})
    return pd.DataFrame(rows, columns=cols)


def share_legend_html() -> str:
    """The legend of the corridor-share map: the colour ramp from rare to every draw, and widths."""
    ramp = ", ".join(SHARE_SCALE)
    return ("<div style='font-size:0.85rem;line-height:1.9;color:#3d3d47'>"
            "Arc colour and width = share of draws in which the corridor carries flow: rare "
            f"<span style='display:inline-block;width:90px;height:10px;vertical-align:middle;border-radius:2px;"
            f"background:linear-gradient(to right,{ramp})'></span> every draw · faint where the requests enter, "
            "solid where they run · discs and rings: the undrawn setting (area = capacity, ring = demand, fill = "
            "energy price)</div>")

