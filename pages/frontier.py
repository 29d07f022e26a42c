"""Frontier: cost, emissions, savings and shares against the latency budget, with ERoL and CRoL."""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from core.narrative import erol_sentence
from pages.common import charts, prose, state
from pages.common.theme import fmt_ms, fmt_t, fmt_usd, fmt_usd_per_ms

UNIFORM = "__all__"

sc = state.current_scenario()
inp = state.current_inputs()
names = {w.id: w.name or w.id for w in sc.workloads}
period = charts.period_label(sc.period_hours)
signal = inp.carbon_signal

st.title("Energy–latency frontier")
st.write("What relaxing the latency budget buys: cost, emissions and the share of demand that moves, "
         "at every budget where the optimal placement can change.")

choice = st.selectbox(
    "Which budget moves", [UNIFORM, *sc.workload_ids],
    format_func=lambda w: "Every class together (uniform relaxation)" if w == UNIFORM else f"Only {names[w]} (others as set)",
    key="frontier_workload")
workload = None if choice == UNIFORM else choice

with st.spinner("Solving the exact frontier at every breakpoint…"):
    df = state.frontier_df(workload=workload)
h = state.headline()
x_max = charts.x_max_for(df)

budgets = inp.budget_ms
marker, marker_label, current = None, None, None
if workload is not None:
    marker = float(budgets[sc.workload_ids.index(workload)])
    marker_label = f"{names[workload]}'s budget now"
elif np.allclose(budgets, budgets[0]):
    marker, marker_label = float(budgets[0]), "current budget"
else:
    current = {"savings_usd": h["savings_usd"], "carbon_savings_t": h["carbon_savings_t"],
               "relocated_share": h["relocated_share"]}

c1, c2, c3, c4 = st.columns(4)
c1.metric(f"Savings now ($ {period})", fmt_usd(h["savings_usd"]),
          help="At the current budgets: cost of the local baseline (every budget 0 ms) minus the optimal cost.")
c2.metric(f"Carbon savings now (tCO2 {period})", fmt_t(h["carbon_savings_t"]),
          help=f"At the current budgets, on the objective's signal ({signal}): local baseline minus optimum. "
               "Negative: the cheaper placement emits more.")
c3.metric(f"Savings, widest budget ($ {period})", fmt_usd(df["savings_usd"].iloc[-1]),
          help=f"At {fmt_ms(df['budget_ms'].iloc[-1])}, the last breakpoint of this frontier: every arc is admitted.")
avg = df["erol_avg_usd_per_ms"].iloc[-1]
c4.metric("Average ERoL, whole frontier ($/ms)", fmt_usd_per_ms(avg) if np.isfinite(avg) else "—",
          help=f"(C(0) − C(b)) / b at b = {fmt_ms(df['budget_ms'].iloc[-1])}: cost saved per ms of budget, {period}.")

prose.sentence(erol_sentence(df, sc.period_hours))
view = st.segmented_control("Show", ["savings", "levels"], default="savings", key="frontier_view",
                            format_func={"savings": "Savings against running at home",
                                         "levels": "Cost and emissions"}.get) or "savings"
what = "every class's budget set to the same value" if workload is None else f"{names[workload]}'s budget, the other classes as set"
if current is not None:
    current = {**current, "cost_usd": h["cost_usd"], "emissions_t": h["emissions_t"]}
st.plotly_chart(charts.frontier_levels_figure(df, view=view, signal=signal, period=period, marker_ms=marker,
                                              marker_label=marker_label, current=current, x_max_ms=x_max),
                theme=None, width="stretch", key="frontier_levels")
caption = (f"Exact frontier ({what}): solved at each of the {len(df)} breakpoints where a budget crosses "
           f"a round-trip time; between them nothing changes, so the lines are steps. Savings are against "
           f"the local baseline (every budget 0 ms). The objective's carbon signal ({signal}) is solid. RID counts "
           f"demand with a strictly cheaper allowed destination; relocated is what the optimum actually moves.")
if current is not None:
    caption += (" The classes' budgets differ now (" + ", ".join(f"{names[w]} {fmt_ms(b)}" for w, b in zip(sc.workload_ids, budgets))
                + "), so dotted lines mark the current setting's values instead of a budget.")
if state.relax_ms():
    caption += f" Budgets include the sidebar's relaxation of {fmt_ms(state.relax_ms())}."
st.caption(prose.escape(caption))

st.subheader("Returns on latency")
step = st.segmented_control("Budget step (ms)", [1, 5, 10, 25, 50], default=10, key="frontier_step",
                            format_func=lambda v: f"{v} ms") or 10
grid = np.arange(0.0, float(df["budget_ms"].iloc[-1]) + step, float(step))
returns = state.frontier_df(workload=workload, budgets=tuple(grid))
st.plotly_chart(charts.frontier_returns_figure(returns, period=period, marker_ms=marker, marker_label=marker_label,
                                               x_max_ms=x_max),
                theme=None, width="stretch", key="frontier_returns")
st.caption(prose.escape(
    f"ERoL and CRoL on a frontier of budgets {step} ms apart (0, {step}, {2 * step}, … ms): marginal "
    "(C(bᵢ₋₁) − C(bᵢ)) / (bᵢ − bᵢ₋₁) over each step, so a bar's area is what that step saves; the line is the average "
    "since 0 ms, (C(0) − C(b)) / b. CRoL uses the objective's carbon signal; negative means the cheaper placement "
    "emits more. Between breakpoints nothing changes, so the marginal values depend on the step; the averages do not."))

st.subheader("Breakpoints where something changed")
changed = df[["cost_usd", "emissions_t", "relocated_share", "rid", "unserved_mw"]].diff().abs().gt(1e-6).any(axis=1)
changed.iloc[0] = True
show_all = st.toggle("Show every breakpoint", value=False, key="frontier_all_rows",
                     help="Off: only the budgets where cost, emissions, RID, relocation or unserved demand changed.")
table = df if show_all else df[changed]
cc = st.column_config
money, carbon = ("savings_usd", "carbon_savings_t") if view == "savings" else ("cost_usd", "emissions_t")
cols = {  # column: (header, number format, scale, help)
    "budget_ms": ("Budget (ms)", "%.1f", 1, "Latency budget of the frontier's breakpoint (ms of extra round trip)."),
    money: (f"Savings ($M {period})" if view == "savings" else f"Cost ($M {period})", "%.1f", 1e-6,
            "Against the local baseline (every budget 0 ms), $ million." if view == "savings"
            else "Energy bought plus egress and migration fees, $ million."),
    carbon: ("Carbon saved (ktCO₂)" if view == "savings" else "Emissions (ktCO₂)", "%.1f", 1e-3,
             f"Thousand tonnes of CO₂ {period} on the objective's {signal} signal"
             + (", against the local baseline; negative: more emitted." if view == "savings" else ".")),
    "relocated_share": ("Relocated (%)", "%.1f", 100, "Share of demand (by IT power) the optimum runs away from home."),
    "rid": ("RID (%)", "%.1f", 100, "Relocatable inference demand: share of demand with a strictly cheaper allowed "
                                    "destination."),
    "erol_marginal_usd_per_ms": ("ERoL ($M/ms)", "%.2f", 1e-6, f"Marginal energy return on latency since the previous "
                                 f"breakpoint: $ million saved {period} per ms."),
    "crol_marginal_t_per_ms": ("CRoL (ktCO₂/ms)", "%.2f", 1e-3, f"Marginal carbon return on latency since the previous "
                               f"breakpoint: thousand tonnes of CO₂ avoided {period} per ms ({signal} signal)."),
    "unserved_mw": ("Unserved (MW)", "%.1f", 1, "Demand no allowed region takes."),
}
view_df = pd.DataFrame({head: table[c] * f for c, (head, _, f, _) in cols.items()})
# the first row has no step before it: its marginal returns read "—" (as text, right-aligned), not "None"
marginal = [cols[c][0] for c in ("erol_marginal_usd_per_ms", "crol_marginal_t_per_ms")]
for head in marginal:
    view_df[head] = [f"{v:,.2f}" if np.isfinite(v) else "—" for v in view_df[head]]
st.dataframe(view_df, hide_index=True, width="stretch", height=min(420, 38 + 35 * len(view_df)), column_config={
    head: (cc.TextColumn(head, help=tip, alignment="right") if head in marginal
           else cc.NumberColumn(head, format=fmt, help=tip)) for head, fmt, _, tip in cols.values()})
st.caption(prose.escape(f"{int(changed.sum())} of {len(df)} breakpoints change the result; the optimisation was re-solved "
           f"at {int(df['solved'].sum())} of them (at the others the newly allowed routes could not lower the cost, "
           f"so the previous placement stays optimal). {prose.SOURCE}"))
