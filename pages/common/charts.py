"""Pure Plotly figure builders for the analysis pages (frontier, layers, break-even, frictions,
digital vs physical, presentation), their plain-language descriptions, and :func:`show`.

Each builder takes tidy DataFrames from :mod:`core` (column names as core writes them) and labels,
and returns a styled ``go.Figure``; no builder imports streamlit. Every axis names its unit.
:func:`describe` writes a figure's alt text from its data; :func:`show` draws a figure the way
every page does (``theme=None`` so Streamlit keeps the "elf" template) with that text after it
for screen readers. Colour is never the only cue: lines of different meaning differ in dash too,
bars and areas of the execution layers in pattern.
"""
from __future__ import annotations

import html
import re
from typing import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from pages.common.theme import (BLACK, BLUE, GREY, LAYER_COLOURS, ORANGE, SHARE_COLOURS, SIGNAL_COLOURS, SKY_BLUE,
                                SR_ONLY, UNSERVED_COLOUR, fmt_ms, fmt_usd, style, workload_colour, workload_dash)

LAYER_LABELS = {"local": "Local (at home)", "regional": "Regional", "energy-oriented": "Energy-oriented"}
LAYER_COLUMNS = {"local": "local_mw", "regional": "regional_mw", "energy-oriented": "energy_oriented_mw"}
MASKED_GREY = "#D9D9D9"
HOME_GREY = "#F0F0F0"
DIVERGING = [[0.0, ORANGE], [0.5, "#F7F7F7"], [1.0, BLUE]]
"""Net benefit: orange where relocation loses money, blue where it pays (0 is white)."""
LAYER_PATTERNS = {"local": "", "regional": "/", "energy-oriented": "."}
"""Fill pattern of each execution layer's bars and areas (a cue besides colour)."""


def _layer_pattern(layer: str) -> dict:
    """A light overlay of the layer's pattern on its colour (no pattern for "local")."""
    return dict(shape=LAYER_PATTERNS[layer], fillmode="overlay", fgcolor="white", fgopacity=0.45, solidity=0.25)

FRICTION_LABELS = {"egress": "Egress", "migration": "Migration", "state_locality": "State locality",
                   "legal": "Legal (residency)", "capacity": "Capacity",
                   "provider_lock": "Provider lock"}


def _marker(fig: go.Figure, x: float | None, label: str | None, x_max: float | None = None) -> None:
    """A dashed vertical line at the current setting, in every subplot; a budget beyond the
    axis (``x_max``) is drawn at the right edge and its label says so."""
    if x is None or not np.isfinite(x):
        return
    beyond = x_max is not None and x > x_max
    at = x_max if beyond else x
    fig.add_vline(x=at, line=dict(color=BLACK, dash="dash", width=1.5))
    if label:
        text = f"{label} ({x:,.0f} ms, beyond the last breakpoint) →" if beyond else label
        # inside the top panel, under its title (subplot titles sit just above y = 1)
        fig.add_annotation(x=at, y=1.0, yref="paper", xref="x", text=text, showarrow=False,
                           xanchor="right" if beyond else "left", yanchor="top", font=dict(size=12),
                           xshift=-4 if beyond else 4, yshift=-2, bgcolor="rgba(255,255,255,0.85)")


def _reference(fig: go.Figure, row: int, y: float | None, label: str, ends: Sequence[float] = ()) -> None:
    """A dotted horizontal line at the current setting's value in one subplot, labelled at the
    right edge on the side (above or below) farther from the lines' last values ``ends``."""
    if y is None or not np.isfinite(y):
        return
    above = [e - y for e in ends if np.isfinite(e) and e > y]
    below = [y - e for e in ends if np.isfinite(e) and e <= y]
    side = "top" if min(above, default=np.inf) > min(below, default=np.inf) else "bottom"
    fig.add_hline(y=y, line=dict(color=BLACK, dash="dot", width=1.2), row=row, col=1,
                  annotation_text=label, annotation_position=f"{side} right", annotation_font_size=11,
                  annotation_bgcolor="rgba(255,255,255,0.85)")


def step_extended(df: pd.DataFrame, to_ms: float | None) -> pd.DataFrame:
    """The frontier with one more row at ``to_ms`` (same values as the last), so an "hv" step
    line runs to the right edge instead of stopping at the last breakpoint."""
    if to_ms is None or df.empty or to_ms <= df["budget_ms"].iloc[-1]:
        return df
    tail = df.iloc[[-1]].copy()
    tail["budget_ms"] = float(to_ms)
    return pd.concat([df, tail], ignore_index=True)


def period_label(period_hours: float) -> str:
    """Words for the period totals add up over: "per year" for 8760 h, else "over 720 h"."""
    return "per year" if abs(period_hours - 8760.0) < 1e-9 else f"over {period_hours:,.0f} h"


def x_max_for(df: pd.DataFrame) -> float:
    """The budget axis's right edge [ms]: 5% beyond the last breakpoint (at least 10 ms)."""
    last = float(df["budget_ms"].max()) if len(df) else 0.0
    return max(10.0, last * 1.05)


# --- frontier ----------------------------------------------------------------------------

def frontier_levels_figure(df: pd.DataFrame, *, view: str = "savings", signal: str = "marginal",
                           period: str = "per year", marker_ms: float | None = None,
                           marker_label: str | None = None, current: dict | None = None,
                           x_max_ms: float | None = None, height: int = 760) -> go.Figure:
    """Three panels against the latency budget [ms], drawn as exact step functions (``hv``).

    ``view="savings"``: savings against the local baseline [$], carbon savings [tCO2] on both
    signals, and the shares of demand [%] that could move (RID) and that did (relocated).
    ``view="levels"``: cost [$], emissions [tCO2] on both signals, and the same shares.
    ``df``: a frontier from :func:`core.frontier.frontier`; ``signal``: the objective's carbon
    signal (drawn solid, the other dotted); ``period``: words for the period totals add up over;
    ``marker_ms``: the current budget (dashed line); ``current``: when the classes' budgets
    differ (no single budget to mark), the current setting's values as dotted lines, keyed by
    savings_usd / cost_usd, carbon_savings_t / emissions_t, relocated_share.
    """
    d = step_extended(df.sort_values("budget_ms"), x_max_ms)
    x = d["budget_ms"]
    savings = view == "savings"
    titles = ((f"Savings against running at home ($ {period})", f"Carbon savings against running at home (tCO2 {period})")
              if savings else (f"Cost ($ {period})", f"Emissions (tCO2 {period})"))
    fig = make_subplots(rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        subplot_titles=(*titles, "Share of inference demand, by IT power (%)"))
    common = dict(mode="lines", line_shape="hv")
    money = "savings_usd" if savings else "cost_usd"
    fig.add_trace(go.Scatter(x=x, y=d[money], name="Savings" if savings else "Cost",
                             line=dict(color=SIGNAL_COLOURS["cost"], width=3),
                             hovertemplate="%{x:.1f} ms: $%{y:,.0f}<extra></extra>", **common), 1, 1)
    for sig in ("marginal", "average"):
        col = ("carbon_savings_" if savings else "emissions_") + ("marginal_t" if sig == "marginal" else "avg_t")
        label = ("Carbon savings" if savings else "Emissions") + f", {sig} signal" + (" (objective)" if sig == signal else "")
        fig.add_trace(go.Scatter(x=x, y=d[col], name=label,
                                 line=dict(color=SIGNAL_COLOURS[sig], width=3 if sig == signal else 2,
                                           dash="solid" if sig == signal else "dot"),
                                 hovertemplate=f"%{{x:.1f}} ms: %{{y:,.0f}} tCO2<extra>{sig}</extra>", **common), 2, 1)
    fig.add_trace(go.Scatter(x=x, y=100 * d["rid"], name="Share that could gain by moving (RID)",
                             line=dict(color=SHARE_COLOURS["rid"], width=2, dash="dash"),
                             hovertemplate="%{x:.1f} ms: RID %{y:.1f}% of demand<extra></extra>", **common), 3, 1)
    fig.add_trace(go.Scatter(x=x, y=100 * d["relocated_share"], name="Share relocated (realized)",
                             line=dict(color=SHARE_COLOURS["relocated"], width=3),
                             hovertemplate="%{x:.1f} ms: relocated %{y:.1f}% of demand<extra></extra>", **common), 3, 1)
    fig.update_yaxes(title_text="US$", tickprefix="$", row=1, col=1)
    fig.update_yaxes(title_text="tCO2", row=2, col=1)
    fig.update_yaxes(title_text="% of demand", range=[0, 105], row=3, col=1)
    fig.update_xaxes(title_text="Latency budget (ms of extra round trip)", row=3, col=1)
    _marker(fig, marker_ms, marker_label, x_max_ms)
    if current:
        what = "now (per-class budgets)"
        last = d.iloc[-1]
        _reference(fig, 1, current.get(money), what, [last[money]])
        carbon = [("carbon_savings_" if savings else "emissions_") + c for c in ("marginal_t", "avg_t")]
        _reference(fig, 2, current.get("carbon_savings_t" if savings else "emissions_t"), what, list(last[carbon]))
        rs = current.get("relocated_share")
        _reference(fig, 3, None if rs is None else 100 * rs, what, [100 * last["rid"], 100 * last["relocated_share"]])
    if x_max_ms:
        fig.update_xaxes(range=[0, x_max_ms])
    style(fig, height)
    fig.update_layout(hovermode="x unified", legend=dict(y=1.07))
    return fig


def _interval_bars(df: pd.DataFrame, col: str):
    d = df.sort_values("budget_ms")
    lo, hi = d["budget_ms"].shift(1), d["budget_ms"]
    keep = lo.notna()
    return ((lo + hi)[keep] / 2, (hi - lo)[keep], d[col][keep], lo[keep], hi[keep])


def frontier_returns_figure(df: pd.DataFrame, *, period: str = "over the period",
                            marker_ms: float | None = None, marker_label: str | None = None,
                            x_max_ms: float | None = None, height: int = 560) -> go.Figure:
    """Marginal ERoL [$/ms] and CRoL [tCO2/ms] of a frontier as bars over each interval between
    its consecutive budgets (bar area = what the interval saves), with the average returns since
    the first budget as a line (columns of :func:`core.frontier.returns_on_latency`)."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.1,
                        subplot_titles=(f"Energy return on latency, ERoL ($ saved per ms of budget, {period})",
                                        f"Carbon return on latency, CRoL (tCO2 avoided per ms of budget, {period})"))
    for row, (name, col, avg, colour, unit) in enumerate((
            ("ERoL", "erol_marginal_usd_per_ms", "erol_avg_usd_per_ms", SIGNAL_COLOURS["cost"], "$/ms"),
            ("CRoL", "crol_marginal_t_per_ms", "crol_avg_t_per_ms", SIGNAL_COLOURS["emissions"], "tCO2/ms")), start=1):
        mid, width, y, lo, hi = _interval_bars(df, col)
        fmt = "$%{y:,.0f}/ms" if unit == "$/ms" else "%{y:,.1f} tCO2/ms"
        fig.add_trace(go.Bar(x=mid, y=y, width=width, name=f"Marginal {name}", marker_color=colour,
                             marker_line=dict(color="white", width=0.5), opacity=0.85,
                             customdata=np.c_[lo, hi],
                             hovertemplate=f"%{{customdata[0]:.1f}}–%{{customdata[1]:.1f}} ms: {fmt}<extra>marginal {name}</extra>"),
                      row, 1)
        d = df.sort_values("budget_ms")
        # one black line style means "average since 0 ms" in both panels: one legend entry for both
        fig.add_trace(go.Scatter(x=d["budget_ms"], y=d[avg], mode="lines+markers", name="Average since 0 ms",
                                 legendgroup="average", showlegend=row == 1,
                                 line=dict(color=BLACK, width=1.5), marker=dict(size=5),
                                 hovertemplate=f"%{{x:.1f}} ms: {fmt}<extra>average {name}</extra>"), row, 1)
        fig.update_yaxes(title_text=unit, tickprefix="$" if unit == "$/ms" else None, row=row, col=1)
    fig.update_xaxes(title_text="Latency budget (ms of extra round trip)", row=2, col=1)
    _marker(fig, marker_ms, marker_label, x_max_ms)
    if x_max_ms:
        fig.update_xaxes(range=[0, x_max_ms])
    style(fig, height)
    fig.update_layout(bargap=0, legend=dict(y=1.08))
    return fig


# --- execution layers ----------------------------------------------------------------------

def layers_share_figure(layers: pd.DataFrame, workload_ids: Sequence[str],
                        names: dict[str, str] | None = None, height: int | None = None) -> go.Figure:
    """100% stacked horizontal bars: each class's served MW split into local, regional and
    energy-oriented execution [% of the class's served MW] (from :func:`core.metrics.execution_layers`)."""
    names = names or {}
    fig = go.Figure()
    order = [w for w in workload_ids if w in set(layers["workload"])]
    labels = [names.get(w, w) for w in order]
    for layer in LAYER_LABELS:
        part = layers[layers["layer"] == layer].set_index("workload").reindex(order)
        share = 100 * part["share"].fillna(0)
        fig.add_trace(go.Bar(
            y=labels, x=share, orientation="h", name=LAYER_LABELS[layer],
            marker=dict(color=LAYER_COLOURS[layer], pattern=_layer_pattern(layer)),
            text=[f"{v:.0f}%" if v >= 6 else "" for v in share], textposition="inside", insidetextanchor="middle",
            customdata=part["mw"].fillna(0), textfont=dict(color="white" if layer != "local" else BLACK),
            hovertemplate="%{y}: %{x:.1f}% (%{customdata:,.1f} MW)<extra>" + LAYER_LABELS[layer] + "</extra>"))
    fig.update_layout(barmode="stack", legend=dict(traceorder="normal"))
    fig.update_xaxes(title_text="Share of the class's served IT power (%)", range=[0, 100.5])
    fig.update_yaxes(title_text="Workload class", autorange="reversed")
    return style(fig, height or 120 + 56 * max(1, len(order)))


def layers_frontier_figure(df: pd.DataFrame, *, demand_mw: float | None = None, marker_ms: float | None = None,
                           marker_label: str | None = None, x_max_ms: float | None = None,
                           height: int = 440) -> go.Figure:
    """Stacked areas of served IT power [MW] by execution layer against the latency budget [ms]
    (exact steps), with unserved demand on top when there is any."""
    d = step_extended(df.sort_values("budget_ms"), x_max_ms)
    fig = go.Figure()
    for layer, col in LAYER_COLUMNS.items():
        fig.add_trace(go.Scatter(x=d["budget_ms"], y=d[col], name=LAYER_LABELS[layer], stackgroup="layers",
                                 line=dict(shape="hv", width=0.5, color=LAYER_COLOURS[layer]),
                                 fillcolor=LAYER_COLOURS[layer],
                                 fillpattern=_layer_pattern(layer),
                                 hovertemplate="%{x:.1f} ms: %{y:,.1f} MW<extra>" + LAYER_LABELS[layer] + "</extra>"))
    if (d["unserved_mw"] > 1e-6).any():
        fig.add_trace(go.Scatter(x=d["budget_ms"], y=d["unserved_mw"], name="Unserved", stackgroup="layers",
                                 line=dict(shape="hv", width=0.5, color=UNSERVED_COLOUR), fillcolor=UNSERVED_COLOUR,
                                 hovertemplate="%{x:.1f} ms: %{y:,.1f} MW<extra>Unserved</extra>"))
    if demand_mw:
        fig.update_yaxes(range=[0, demand_mw * 1.02])
    fig.update_yaxes(title_text="IT power (MW)")
    fig.update_xaxes(title_text="Latency budget (ms of extra round trip)")
    fig.update_layout(legend=dict(traceorder="normal"), hovermode="x unified")
    _marker(fig, marker_ms, marker_label, x_max_ms)
    if x_max_ms:
        fig.update_xaxes(range=[0, x_max_ms])
    return style(fig, height)


# --- break-even ----------------------------------------------------------------------------

FORBIDDEN_REASON_SYMBOLS = {"latency": ("x-thin", "latency: round trip over the budget"),
                            "residency": ("diamond-open", "residency: data must stay in its zone"),
                            "no capacity": ("square-open", "capacity: the region has none"),
                            "provider": ("triangle-up-open", "provider: work stays with its own cloud provider")}
"""Marker symbol and legend words of each reason a pair is not allowed (``reason`` of
:func:`core.metrics.break_even`)."""


LABELLED_MAX = 40
"""Regions on an axis up to which the pair heatmap labels every one with its block and name and
marks each forbidden pair by reason; above it (24 px rows would make a 200-region map 5,000 px
tall) the axes carry single names that plotly thins to fit and re-labels on zoom, and a grey
cell's reason is in its hover text."""


def _block_axis(ids: Sequence[str], names: dict[str, str], blocks: dict[str, str]) -> list[list[str]]:
    """Two-level category labels: the block (continent or provider), then region name."""
    return [[blocks[n] for n in ids], [names[n] for n in ids]]


def _block_spans(ids: Sequence[str], blocks: dict[str, str]) -> list[tuple[str, int, int]]:
    """(block, first index, last index) of each run of equal blocks along ``ids``."""
    spans: list[tuple[str, int, int]] = []
    for i, n in enumerate(ids):
        if spans and spans[-1][0] == blocks[n]:
            spans[-1] = (spans[-1][0], spans[-1][1], i)
        else:
            spans.append((blocks[n], i, i))
    return spans


def pair_matrix_figure(be: pd.DataFrame, node_ids: Sequence[str], names: dict[str, str],
                       blocks: dict[str, str], compute_ids: Sequence[str] | None = None) -> go.Figure:
    """Heatmap of the net benefit [$/MWh] of moving 1 MWh of IT energy from each home region s
    (rows, ``node_ids`` in drawing order) to each compute region r (columns, ``compute_ids``;
    the same as the rows when None), from :func:`core.metrics.break_even`. ``names``: region
    id → name; ``blocks``: region id → the block it is ordered in (continent or provider), the
    first level of each axis label. Forbidden pairs are grey; home cells are pale; every cell's
    hover text gives its round trip, gross, transfer and net benefit and, for a forbidden pair,
    why. Up to :data:`LABELLED_MAX` regions a side, each forbidden pair carries one marker symbol
    per reason (:data:`FORBIDDEN_REASON_SYMBOLS`) and, with at most 14, each allowed cell its
    value; above it the axes show names only, thinned to fit (zooming re-labels them), with lines
    between blocks and each block's name in the corner of its own rows × columns."""
    rows = list(node_ids)
    cols = rows if compute_ids is None else list(compute_ids)
    n_r, n_c = len(rows), len(cols)
    n = max(n_r, n_c)
    labelled = n <= LABELLED_MAX
    r_pos, c_pos = {v: i for i, v in enumerate(rows)}, {v: i for i, v in enumerate(cols)}
    be = be[be["service"].isin(r_pos) & be["compute"].isin(c_pos)]
    i, j = be["service"].map(r_pos).to_numpy(dtype=int), be["compute"].map(c_pos).to_numpy(dtype=int)
    allowed = be["allowed"].to_numpy(dtype=bool)
    z = np.full((n_r, n_c), np.nan, dtype=np.float32)       # float32: sent as compact binary
    z[i[allowed], j[allowed]] = be["net_benefit_usd_per_mwh"].to_numpy(dtype=float)[allowed]
    masked = np.full((n_r, n_c), np.nan, dtype=np.float32)
    masked[i[~allowed], j[~allowed]] = 1.0
    home = np.full((n_r, n_c), np.nan, dtype=np.float32)
    # hover: the pair's numbers as a float32 array (sent as compact binary), its status as text
    custom = np.zeros((n_r, n_c, 4), dtype=np.float32)
    for at, col in enumerate(("rtt_ms", "gross_benefit_usd_per_mwh", "transfer_usd_per_mwh", "net_benefit_usd_per_mwh")):
        custom[i, j, at] = be[col].to_numpy(dtype=float)
    net = be["net_benefit_usd_per_mwh"].to_numpy(dtype=float)
    status = np.full((n_r, n_c), "", dtype=object)
    short = {k: words.split(":")[0] for k, (_, words) in FORBIDDEN_REASON_SYMBOLS.items()}   # "latency", ...
    status[i, j] = np.where(~allowed, "<b>not allowed: " + be["reason"].map(short).fillna(be["reason"]).to_numpy(
        dtype=object) + "</b>",
                            np.where(net > 0, "moving pays", "moving loses"))
    for a, v in enumerate(rows):
        if v in c_pos:
            home[a, c_pos[v]] = 1.0
            status[a, c_pos[v]] = "home (no relocation)"
    lim = float(np.nanmax(np.abs(z))) if np.isfinite(z).any() else 1.0
    lim = lim if lim > 0 else 1.0
    two_level = labelled and any(blocks[v] for v in rows + cols)

    def axis(ids) -> list:
        return _block_axis(ids, names, blocks) if two_level else [names[v] for v in ids]

    x, y = axis(cols), axis(rows)
    gap = 1 if labelled else 0
    common = dict(x=x, y=y, xgap=gap, ygap=gap, showscale=False, hoverinfo="skip")
    fig = go.Figure([go.Heatmap(z=masked, colorscale=[[0, MASKED_GREY], [1, MASKED_GREY]], **common),
                     go.Heatmap(z=home, colorscale=[[0, HOME_GREY], [1, HOME_GREY]], **common),
                     go.Heatmap(z=z, colorscale=DIVERGING, zmid=0, zmin=-lim, zmax=lim,
                                **{**common, "showscale": True, "hoverinfo": None}, customdata=custom,
                                text=status.tolist(), hoverongaps=True,
                                hovertemplate="%{y} → %{x}<br>round trip %{customdata[0]:.1f} ms<br>gross "
                                              "%{customdata[1]:,.2f} − transfer %{customdata[2]:,.2f} = net "
                                              "%{customdata[3]:,.2f} $/MWh<br>%{text}<extra></extra>",
                                colorbar=dict(title=dict(text="Net benefit<br>$/MWh", side="top"), thickness=14))])
    if labelled:
        # the reason of each forbidden pair as a marker symbol (a heatmap cannot pattern its cells)
        for reason, (symbol, words) in FORBIDDEN_REASON_SYMBOLS.items():
            part = be[~be["allowed"] & (be["reason"] == reason)]
            fig.add_trace(go.Scatter(x=axis(part["compute"]), y=axis(part["service"]), mode="markers",
                                     name=f"Not allowed, {words}", hoverinfo="skip",
                                     visible=True if len(part) else "legendonly",
                                     marker=dict(symbol=symbol, size=7 if n > 14 else 11, color=GREY,
                                                 line=dict(width=1.2, color="#4D4D4D"))))
    if n <= 14:
        a, b = np.nonzero(np.isfinite(z))
        fig.add_trace(go.Scatter(x=axis([cols[q] for q in b]), y=axis([rows[q] for q in a]), mode="text",
                                 text=[f"{z[p, q]:,.0f}" for p, q in zip(a, b)], textfont=dict(size=11, color=BLACK),
                                 hoverinfo="skip", showlegend=False))
    fig.update_xaxes(title_text="Compute region r (runs the work)", tickangle=-90, showgrid=False)
    fig.update_yaxes(title_text="Home region s", autorange="reversed", showgrid=False, zeroline=False)
    if labelled:
        style(fig, max(460, 160 + 24 * n_r))
        fig.update_layout(margin=dict(t=12), legend=dict(orientation="h", y=1.0, yanchor="bottom", x=0))
        return fig
    plot_px = min(24 * n_r, 760)
    style(fig, 200 + plot_px)
    # every name when they fit 13 px apart (the x axis is about 750 px wide on a laptop, 450 px at
    # the page's least width), else at most that many, which plotly spreads evenly and re-picks on zoom
    for update, count, room in ((fig.update_xaxes, n_c, 40), (fig.update_yaxes, n_r, max(8, plot_px // 13))):
        ticks = dict(tickmode="linear", tick0=0, dtick=1) if count <= room else dict(nticks=room)
        update(**ticks, tickfont=dict(size=10), automargin=True)
    # lines between blocks; each block's name in the top-left corner of its own rows × columns
    col_spans = {b: (first, last) for b, first, last in _block_spans(cols, blocks)}
    for axis, ids in (("x", cols), ("y", rows)):
        for block, first, last in _block_spans(ids, blocks):
            if first > 0:
                fig.add_shape(type="line", line=dict(color="#4D4D4D", width=1), layer="above",
                              **({"x0": first - 0.5, "x1": first - 0.5, "y0": 0, "y1": 1, "xref": "x", "yref": "paper"}
                                 if axis == "x" else
                                 {"y0": first - 0.5, "y1": first - 0.5, "x0": 0, "x1": 1, "yref": "y", "xref": "paper"}))
            if axis == "y" and block and block in col_spans:
                fig.add_annotation(x=col_spans[block][0] - 0.5, y=first - 0.5, xanchor="left", yanchor="top",
                                   text=block, showarrow=False, font=dict(size=11, color=BLACK),
                                   bgcolor="rgba(255,255,255,0.8)", borderpad=2)
    fig.update_layout(margin=dict(t=12), showlegend=False)
    return fig


def _log_ticks(lo: float, hi: float, money: bool) -> tuple[list[float], list[str]]:
    """Tick positions (log10) and labels at 1-2-5 steps between ``lo`` and ``hi`` (> 0)."""
    vals = []
    for e in range(int(np.floor(np.log10(lo))) - 1, int(np.ceil(np.log10(hi))) + 1):
        for m in (1, 2, 5):
            v = m * 10.0 ** e
            if lo * 0.999 <= v <= hi * 1.001:
                vals.append(v)
    if len(vals) > 9:
        vals = [v for v in vals if str(v).lstrip("0.").startswith("1")] or vals
    text = [(f"${v:,.{max(0, -int(np.floor(np.log10(v))))}f}" if money else f"{v:,.{max(0, -int(np.floor(np.log10(v))))}f}")
            for v in vals]
    return [float(np.log10(v)) for v in vals], text


def egress_grid_figure(grid: pd.DataFrame, line_e: np.ndarray, line_g: np.ndarray, *,
                       current_e: float, current_g: float, limit_usd_per_mwh: float | None = None,
                       title: str | None = None, height: int = 470) -> go.Figure:
    """Net benefit [$/MWh] over egress price e [$/GB] × data intensity g [GB/MWh] (from
    :func:`core.metrics.net_benefit_egress_grid` on log-spaced grids), on log–log axes where the
    break-even curve ``g·e = gross − φ`` is a straight line, and the scenario's (e, g) as a cross
    (on the axis edge when e or g is 0). ``limit_usd_per_mwh`` saturates the colours at ±limit."""
    piv = grid.pivot(index="gb_per_mwh", columns="egress_usd_per_gb", values="net_benefit_usd_per_mwh")
    e, g = piv.columns.to_numpy(float), piv.index.to_numpy(float)
    lim = limit_usd_per_mwh or float(np.nanmax(np.abs(piv.values))) or 1.0
    fig = go.Figure(go.Heatmap(
        z=piv.values, x=np.log10(e), y=np.log10(g), colorscale=DIVERGING, zmid=0, zmin=-lim, zmax=lim,
        customdata=np.dstack(np.meshgrid(e, g)),
        colorbar=dict(title=dict(text="Net benefit<br>$/MWh", side="top"), thickness=14),
        hovertemplate="e = %{customdata[0]:.4g} $/GB, g = %{customdata[1]:.4g} GB/MWh<br>net %{z:,.2f} $/MWh<extra></extra>"))
    le, lg = np.asarray(line_e, float), np.asarray(line_g, float)
    ok = np.isfinite(lg) & (lg >= g.min()) & (lg <= g.max()) & (le > 0)
    if ok.any():
        fig.add_trace(go.Scatter(x=np.log10(le[ok]), y=np.log10(lg[ok]), mode="lines", name="Break-even: g·e = gross − φ",
                                 line=dict(color=BLACK, width=2.5), customdata=np.c_[le[ok], lg[ok]],
                                 hovertemplate="break-even: e = %{customdata[0]:.4g} $/GB, g = %{customdata[1]:.4g} GB/MWh<extra></extra>"))
    cx = np.log10(min(max(current_e, e.min()), e.max()))
    cy = np.log10(min(max(current_g, g.min()), g.max()))
    fig.add_trace(go.Scatter(x=[cx], y=[cy], mode="markers", name="This scenario (e, g)",
                             marker=dict(symbol="x", size=13, color=BLACK, line=dict(width=1, color="white")),
                             customdata=[[current_e, current_g]],
                             hovertemplate="scenario: e = %{customdata[0]:.4g} $/GB, g = %{customdata[1]:.4g} GB/MWh<extra></extra>"))
    xt, xl = _log_ticks(e.min(), e.max(), money=True)
    yt, yl = _log_ticks(g.min(), g.max(), money=False)
    fig.update_xaxes(title_text="Egress price e ($/GB, log)", tickvals=xt, ticktext=xl,
                     range=[np.log10(e.min()), np.log10(e.max())], showgrid=False)
    fig.update_yaxes(title_text="Data intensity g (GB/MWh, log)", tickvals=yt, ticktext=yl,
                     range=[np.log10(g.min()), np.log10(g.max())], showgrid=False, zeroline=False)
    if title:
        fig.update_layout(title=title)
    style(fig, height)
    fig.update_layout(legend=dict(y=-0.25, yanchor="top"), margin=dict(b=70))
    return fig


def log_grid_around(values: Sequence[float], *, decades: float = 1.0, fallback: tuple[float, float],
                    n: int = 81) -> np.ndarray:
    """A log-spaced grid [same unit as ``values``] that spans the positive finite ``values``
    with ``decades`` of margin on each side; ``fallback`` (lo, hi) when none is usable."""
    v = np.asarray([x for x in values if x is not None and np.isfinite(x) and x > 0], dtype=float)
    lo, hi = (v.min() / 10 ** decades, v.max() * 10 ** decades) if v.size else fallback
    return np.geomspace(lo, hi, n)


def relocatable_share_figure(shares: pd.DataFrame, workload_ids: Sequence[str], names: dict[str, str],
                             budgets_ms: Sequence[float], *, carbon_price_usd_per_t: float,
                             max_carbon_price_usd_per_t: float, height: int = 420) -> go.Figure:
    """One step line per workload class: the share [%] of its demand that could gain by moving
    (its RID) against the carbon price τ [$/tCO2], at the class's budget. ``shares``: tidy rows
    (workload, carbon_price_usd_per_t, relocatable_share [MW/MW]) from
    :func:`core.metrics.relocatable_share_grid`; ``workload_ids`` (all classes, for line styles)
    and ``budgets_ms`` [ms] in the same order; ``names``: class id → name; a dashed line marks
    ``carbon_price_usd_per_t``, the axis runs to ``max_carbon_price_usd_per_t``."""
    fig = go.Figure()
    for w, d in shares.groupby("workload", sort=False):
        fig.add_trace(go.Scatter(x=d["carbon_price_usd_per_t"], y=100 * d["relocatable_share"], mode="lines",
                                 name=f"{names[w]} ({fmt_ms(budgets_ms[list(workload_ids).index(w)])})",
                                 line_shape="hv", line=workload_line(w, workload_ids),
                                 hovertemplate="τ = %{x:,.0f} $/t: %{y:.1f}% of the class could gain by moving<extra>"
                                               + names[w] + "</extra>"))
    fig.add_vline(x=carbon_price_usd_per_t, line=dict(color=BLACK, dash="dash", width=1.5),
                  annotation_text="carbon price now", annotation_position="bottom right")
    fig.update_xaxes(title_text="Carbon price τ ($ per tCO2)", range=[0, max_carbon_price_usd_per_t])
    fig.update_yaxes(title_text="Share of the class's demand (%)", range=[0, 105])
    style(fig, height)
    fig.update_layout(legend=dict(orientation="h", y=-0.22, yanchor="top"), margin=dict(t=24, b=80))
    return fig


# --- frictions -----------------------------------------------------------------------------

def waterfall_figure(wf: pd.DataFrame, *, period: str = "per year", height: int = 460) -> go.Figure:
    """From the potential savings (every friction off) to the realized savings [$], one friction
    switched on at a time (from :func:`core.metrics.friction_waterfall`)."""
    first = wf.iloc[0]
    steps = wf.iloc[1:]
    x = ["Potential<br>(no frictions)"] + [f"− {FRICTION_LABELS.get(s, s)}" for s in steps["step"]] + ["Realized"]
    y = [first["savings_usd"]] + list(steps["change_usd"]) + [wf["savings_usd"].iloc[-1]]
    measure = ["absolute"] + ["relative"] * len(steps) + ["total"]
    # labels precomputed with theme.fmt_usd, so a bar reads exactly like the metrics and tables
    text = [fmt_usd(v) for v in y]
    fig = go.Figure(go.Waterfall(
        x=x, y=y, measure=measure, text=text, texttemplate="%{text}", textposition="outside",
        customdata=text,
        connector=dict(line=dict(color=GREY, width=1, dash="dot")),
        increasing=dict(marker=dict(color=SKY_BLUE)), decreasing=dict(marker=dict(color=ORANGE)),
        totals=dict(marker=dict(color=BLUE)),
        hovertemplate="%{x}: %{customdata}<extra></extra>"))
    fig.update_yaxes(title_text=f"Savings vs local ($ {period})", tickprefix="$")
    fig.update_xaxes(title_text="Frictions switched on, one after another")
    style(fig, height)
    top = max([first["savings_usd"], wf["savings_usd"].max(), 0.0])
    fig.update_yaxes(range=[min(0.0, wf["savings_usd"].min()) * 1.1, top * 1.15 if top > 0 else 1.0])
    fig.update_layout(showlegend=False, margin=dict(t=16))   # no title or legend: no empty band on top
    return fig


# --- presentation ------------------------------------------------------------------------

def presentation_style(fig: go.Figure, *, height: int = 430, font_size: int = 18) -> go.Figure:
    """The same figure with big fonts for a projector at 1280×720 (returns a copy)."""
    big = go.Figure(fig)
    big.update_layout(font=dict(size=font_size), height=height,
                      title=dict(font=dict(size=font_size + 4)),
                      legend=dict(font=dict(size=font_size - 2)))
    big.update_annotations(font_size=font_size - 2)
    return big



# --- digital vs physical -------------------------------------------------------------------

ROUTE_SYMBOLS = {"overland": ("circle", "overland line possible"),
                 "ocean crossing": ("diamond", "crosses an ocean: no overland line"),
                 "unknown": ("square", "land route not known (a region outside the shipped data)")}
"""Marker symbol and legend words of each corridor ``route`` of :func:`core.physical.digital_vs_physical`."""


def physical_figure(corridors: pd.DataFrame, *, period: str = "per year", height: int = 480) -> go.Figure:
    """Each relocation corridor s → r (from :func:`core.physical.digital_vs_physical`): great-circle
    distance [km] against relocated facility energy [GWh over ``period``], marker area ∝ facility
    power [MW], colour the share of that energy an HVDC line over the same distance would lose [%],
    one marker symbol per route (:data:`ROUTE_SYMBOLS`); IT and facility power [MW] and the one-off
    HVDC capex [$] in the hover."""
    c = corridors
    size = np.sqrt(c["facility_mw"] / max(float(c["facility_mw"].max()), 1e-9)) * 40 + 6
    fig = go.Figure()
    for route, (symbol, words) in ROUTE_SYMBOLS.items():
        part = c[c["route"] == route]
        if part.empty:
            continue
        first = not fig.data
        fig.add_trace(go.Scatter(
            x=part["distance_km"], y=part["gwh"], mode="markers", name=f"{words[0].upper()}{words[1:]}", cliponaxis=False,
            marker=dict(size=size[part.index], symbol=symbol, color=100 * part["hvdc_loss_share"], cmin=0,
                        cmax=100 * float(c["hvdc_loss_share"].max()), colorscale=[[0, SKY_BLUE], [1, ORANGE]],
                        line=dict(width=0.8, color="#333333"), opacity=0.85, sizemode="diameter", showscale=first,
                        colorbar=dict(title=dict(text="HVDC loss<br>% of energy", side="top"), thickness=14)),
            customdata=np.c_[part["service"], part["compute"], part["it_mw"], part["facility_mw"], part["hvdc_capex_usd"]],
            hovertemplate=("%{customdata[0]} → %{customdata[1]}: %{customdata[2]:,.1f} MW IT, %{customdata[3]:,.1f} MW "
                           "facility<br>%{y:,.0f} GWh over %{x:,.0f} km; HVDC loses %{marker.color:.1f}%, capex ≈ $"
                           "%{customdata[4]:,.0f} (one-off)<br>" + words + "<extra></extra>")))
    fig.update_xaxes(title_text="Great-circle distance s → r (km)", rangemode="tozero")
    fig.update_yaxes(title_text=f"Relocated facility energy (GWh {period})", rangemode="tozero")
    style(fig, height)
    fig.update_layout(margin=dict(t=16), legend=dict(orientation="h", y=-0.2, yanchor="top"))
    return fig


def savings_frontier_figure(df: pd.DataFrame, *, period: str = "per year", x_max_ms: float | None = None,
                            height: int = 420) -> go.Figure:
    """One simple step line for a talk: savings against the local baseline [$] as every class's
    budget is relaxed together [ms], with the share of demand relocated [%] in the hover."""
    d = step_extended(df.sort_values("budget_ms"), x_max_ms)
    fig = go.Figure(go.Scatter(
        x=d["budget_ms"], y=d["savings_usd"], mode="lines", line_shape="hv", fill="tozeroy",
        line=dict(color=SIGNAL_COLOURS["cost"], width=3), fillcolor="rgba(0,114,178,0.15)", name="Savings",
        customdata=100 * d["relocated_share"],
        hovertemplate="%{x:.0f} ms: saves $%{y:,.0f}; %{customdata:.0f}% of demand moves<extra></extra>"))
    fig.update_xaxes(title_text="Latency budget of every class (ms)", range=[0, x_max_ms] if x_max_ms else None)
    fig.update_yaxes(title_text=f"Savings ($ {period})", rangemode="tozero", tickprefix="$")
    style(fig, height)
    fig.update_layout(showlegend=False, margin=dict(t=16))   # no title or legend: no empty band on top
    return fig


def big_number(x: float) -> str:
    """A large count in words with 3 significant figures: 48.1 million, 2.06 billion; smaller
    numbers with thousands separators."""
    if x is None or not np.isfinite(x):
        return "—"
    ax = abs(float(x))
    for size, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if ax >= size:
            return f"{x / size:,.3g} {word}"
    return f"{x:,.0f}" if ax >= 100 else f"{x:,.3g}"


# --- workload lines ------------------------------------------------------------------------

def workload_line(workload_id: str, workload_ids: Sequence[str], width: float = 3) -> dict:
    """``line=`` of a workload class's trace: its colour and its dash (so colour is not the only cue)."""
    return dict(color=workload_colour(workload_id, workload_ids), dash=workload_dash(workload_id, workload_ids),
                width=width)


# --- alt text ------------------------------------------------------------------------------

MAX_SERIES_DESCRIBED = 10
MAX_CATEGORIES_LISTED = 12


def _plain(text) -> str:
    """Figure text without its HTML: <br> becomes a space, tags go, entities are decoded."""
    if text is None:
        return ""
    t = re.sub(r"<br\s*/?>", " ", str(text), flags=re.I)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", t)).split())


def _axis(fig: go.Figure, ref: str | None, letter: str):
    """The layout axis a trace's ``xaxis``/``yaxis`` reference ("x2") names."""
    ref = ref or letter
    return fig.layout[f"{letter}axis{ref[1:]}"]


def _axis_title(fig: go.Figure, ref: str | None, letter: str) -> str:
    """An axis's title; for shared axes of subplots, the title of the one axis that has it."""
    title = _plain(_axis(fig, ref, letter).title.text)
    if title:
        return title
    for key in sorted(k for k in fig.layout.to_plotly_json() if k.startswith(f"{letter}axis")):
        title = _plain(fig.layout[key].title.text)
        if title:
            return title
    return ""


def _number(v, prefix: str = "", suffix: str = "") -> str:
    """A value as words for the description: 3 significant figures, "million"/"billion" when large."""
    if isinstance(v, str):
        return _plain(v)
    if v is None or not np.isfinite(float(v)):
        return "no value"
    v = float(v)
    a = abs(v)
    body = big_number(a) if a >= 1e6 else f"{a:,.0f}" if a >= 100 else f"{a:.3g}"
    return f"{'-' if v < 0 and body != '0' else ''}{prefix}{body}{suffix}"


def _unit(title: str) -> tuple[str, str]:
    """(prefix, suffix) for values on an axis, from the unit in its title's last parentheses:
    "Latency budget (ms of extra round trip)" → ("", " ms"), "Carbon price τ ($ per tCO2)" → ("$", ""),
    or from a short title that is a unit: "% of demand" → ("", "%"), "tCO2" → ("", " tCO2")."""
    m = re.search(r"\(([^()]*)\)\s*$", title or "")
    inner = m.group(1) if m else (title or "")
    token = re.split(r"[ ,]", inner.strip())[0] if inner else ""
    unit_like = len(token) <= 3 or bool(re.search(r"[%$/0-9]", token))
    if not token or len(token) > 6 or not (m or unit_like):
        return "", ""
    if token.startswith("$"):
        return "$", token[1:]
    return "", token if token == "%" else f" {token}"


def _formatter(fig: go.Figure, ref: str | None, letter: str, with_unit: bool):
    """How to write a value on one of the figure's axes (None when the axis has custom tick labels,
    e.g. log values drawn on a linear axis: its raw values would mislead)."""
    ax = _axis(fig, ref, letter)
    if ax.ticktext:
        return None
    pre, suf = (ax.tickprefix or "", ax.ticksuffix or "")
    if with_unit and not (pre or suf):
        pre, suf = _unit(_axis_title(fig, ref, letter))
    return lambda v: _number(v, pre, suf)


def _values(trace_values) -> list:
    return [] if trace_values is None else list(np.asarray(trace_values, dtype=object).ravel())


def _numeric(values: list) -> np.ndarray | None:
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        return None
    return arr


def _series_words(name: str, xs: list, ys: list, fx, fy) -> str:
    """One line or set of points: its first and last values and where it is highest and lowest."""
    y = _numeric(ys)
    if y is None or not np.isfinite(y).any():
        return f"{name}: no values."
    ok = np.flatnonzero(np.isfinite(y))
    first, last = ok[0], ok[-1]
    hi, lo = ok[np.argmax(y[ok])], ok[np.argmin(y[ok])]
    at = (lambda i: f" at {fx(xs[i])}") if fx and len(xs) == len(ys) else (lambda i: "")
    if first == last:
        return f"{name}: {fy(y[first])}{at(first)}."
    return (f"{name}: {len(ok)} points, from {fy(y[first])}{at(first)} to {fy(y[last])}{at(last)}; "
            f"highest {fy(y[hi])}{at(hi)}, lowest {fy(y[lo])}{at(lo)}.")


def _categories_words(name: str, cats: list, vals: list, fv, texts: list | None = None) -> str:
    """Bars: each category and its value (or its label), up to MAX_CATEGORIES_LISTED of them."""
    words = [f"{_plain(c)} {_plain(t) if t not in (None, '') else fv(v)}"
             for c, v, t in zip(cats, vals, texts or [None] * len(cats))]
    more = len(words) - MAX_CATEGORIES_LISTED
    shown = "; ".join(words[:MAX_CATEGORIES_LISTED]) + (f"; and {more} more" if more > 0 else "")
    return f"{name}: {shown}."


def _heatmap_words(fig: go.Figure, name: str, trace) -> str:
    """A grid: how many cells, the range of its values and where the extremes are."""
    z = _numeric(np.asarray(trace.z, dtype=object).tolist()) if trace.z is not None else None
    if z is None or z.ndim != 2 or not np.isfinite(z).any():
        return f"{name}: no values."
    finite = np.isfinite(z)
    what = _plain(trace.colorbar.title.text) if trace.colorbar and trace.colorbar.title else ""
    if np.nanmin(z) == np.nanmax(z):
        n = int(finite.sum())
        return f"{name}: {n} cell{'s' if n != 1 else ''}."
    xs = _values(trace.x) or list(range(z.shape[1]))
    ys = _values(trace.y) or list(range(z.shape[0]))
    ticks = bool(_axis(fig, trace.xaxis, "x").ticktext) or bool(_axis(fig, trace.yaxis, "y").ticktext)
    i_hi, j_hi = np.unravel_index(np.nanargmax(z), z.shape)
    i_lo, j_lo = np.unravel_index(np.nanargmin(z), z.shape)
    xt, yt = _axis_title(fig, trace.xaxis, "x") or "x", _axis_title(fig, trace.yaxis, "y") or "y"
    where = (lambda i, j: "") if ticks or len(xs) != z.shape[1] or len(ys) != z.shape[0] else \
        (lambda i, j: f" ({xt}: {_number(xs[j])}; {yt}: {_number(ys[i])})")
    unit = f" ({what})" if what else ""
    return (f"{name}{unit}: {int(finite.sum())} cells, from {_number(z[i_lo, j_lo])}{where(i_lo, j_lo)} "
            f"to {_number(z[i_hi, j_hi])}{where(i_hi, j_hi)}.")


def describe(fig: go.Figure) -> str:
    """Plain-language alt text of a figure, written from its data: the title (or subplot titles),
    the axes' titles with their units, and for each visible series its name and values (first and
    last, highest and lowest, or each bar's value)."""
    parts = []
    title = _plain(fig.layout.title.text)
    subtitles = [_plain(a.text) for a in fig.layout.annotations
                 if a.xref == "paper" and a.yref == "paper" and a.yanchor == "bottom" and a.text]
    heads = [t for t in [title, *subtitles] if t]
    parts.append(("Chart: " + "; ".join(heads) + ".") if heads else "Chart.")
    traces = [t for t in fig.data
              if t.visible not in (False, "legendonly") and "text" != (getattr(t, "mode", None) or "")
              and not (t.hoverinfo == "skip" and t.showlegend is False)]
    y_titles = {_axis_title(fig, getattr(t, "yaxis", None), "y") for t in traces}
    x_titles = [x for x in dict.fromkeys(_axis_title(fig, getattr(t, "xaxis", None), "x") for t in traces) if x]
    if x_titles:
        parts.append("Horizontal axis: " + "; ".join(x_titles) + ".")
    if len(y_titles) == 1 and next(iter(y_titles)):
        parts.append(f"Vertical axis: {next(iter(y_titles))}.")
    for k, t in enumerate(traces[:MAX_SERIES_DESCRIBED]):
        name = _plain(t.name) or f"Series {k + 1}"
        fx = _formatter(fig, getattr(t, "xaxis", None), "x", with_unit=True)
        fy = _formatter(fig, getattr(t, "yaxis", None), "y", with_unit=True) or _number
        ytitle = _axis_title(fig, getattr(t, "yaxis", None), "y")
        label = f"{name} ({ytitle})" if len(y_titles) > 1 and ytitle else name
        if t.type == "heatmap":
            parts.append(_heatmap_words(fig, name, t))
        elif t.type == "waterfall":
            parts.append(_categories_words(name if t.name else "Steps", _values(t.x), _values(t.y), fy,
                                           _values(t.text)))
        elif t.type == "bar" and t.orientation == "h":
            xtitle = _axis_title(fig, getattr(t, "xaxis", None), "x")
            parts.append(_categories_words(f"{name} ({xtitle})" if xtitle else name, _values(t.y), _values(t.x),
                                           fx or _number))
        elif t.type == "bar" and _numeric(_values(t.x)) is None:
            parts.append(_categories_words(label, _values(t.x), _values(t.y), fy))
        elif getattr(t, "x", None) is not None and getattr(t, "y", None) is not None:
            parts.append(_series_words(label, _values(t.x), _values(t.y), fx, fy))
        else:
            parts.append(f"{name}.")
    more = len(traces) - MAX_SERIES_DESCRIBED
    if more > 0:
        parts.append(f"And {more} more series.")
    return " ".join(parts)


def show(fig: go.Figure, *, key: str, alt: str | None = None, **kwargs):
    """Draw ``fig`` as the pages do (``theme=None``, ``width="stretch"``, ``key``; other
    ``st.plotly_chart`` arguments pass through) and, right after it, its description for screen
    readers (visually hidden): ``alt`` when given, else :func:`describe`'s. Returns what
    ``st.plotly_chart`` returns."""
    import streamlit as st

    kwargs.setdefault("theme", None)
    kwargs.setdefault("width", "stretch")
    out = st.plotly_chart(fig, key=key, **kwargs)
    text = alt if alt is not None else describe(fig)
    st.html(f'<p class="{SR_ONLY}">{html.escape(text)}</p>')
    return out
