"""Frontier: cost, emissions, savings and shares against the latency budget, with ERoL and CRoL."""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st
from plotly.subplots import make_subplots

from core import time_view
from core.frontier_view import (CARBON_MOVE_SHARE, SHARE_FALL_TOL, changed_rows, frontier_alt_text,
                                frontier_kind_words, frontier_notes, frontier_table, notes_summary, notes_why,
                                returns_alt_text, step_rows)
from core.narrative import erol_sentence
from core.time_metrics import frontier_beside, frontier_difference_sentence
from pages.common import charts, prose, state, time_switch
from pages.common.theme import BASELINE_COLOUR, BLUE, fmt_ms, fmt_t, fmt_usd, fmt_usd_per_ms, style

UNIFORM = "__all__"

sc = state.current_scenario()
inp = state.current_inputs()
names = {w.id: w.name or w.id for w in sc.workloads}
period = charts.period_label(sc.period_hours)
signal = inp.carbon_signal

st.title("Energy–latency frontier")
st.write("What relaxing the latency budget buys: cost, emissions and the share of demand that moves, "
         "at every budget where the optimal placement can change.")

if time_switch.model_switch(sc, "frontier_model") == "hourly":
    k = time_switch.typical_days_k(sc)
    uniform_ms = time_view.FRONTIER_BUDGETS_MS
    with state.computing(f"Solving {k} typical days in four cases"):
        res = state.time_result("typical", k)
    if not state.time_frontier_ready(k):
        st.info(f"The hourly frontier solves the {k} typical days at {len(uniform_ms)} uniform budgets "
                f"({', '.join(f'{b:g}' for b in uniform_ms)} ms), one time solve each: seconds per budget on this "
                "server. Computed once, then kept for every visitor (and shown on the Time page too).")
        if st.button("Compute the hourly frontier", type="primary", key="frontier_run_hourly",
                     icon=":material/show_chart:"):
            with state.progress_bar("Solving the typical days at each budget") as update:
                state.time_frontier_df(k, progress=update)
            st.rerun()
        st.stop()
    beside = frontier_beside(state.frontier_df(None, budgets=uniform_ms), state.time_frontier_df(k))
    prose.sentence(frontier_difference_sentence(beside))
    widest, zero = beside.iloc[-1], beside.iloc[0]
    c1, c2, c3 = st.columns(3)
    c1.metric(f"Hourly savings at {fmt_ms(widest['budget_ms'])} ($ {period})", fmt_usd(widest["hourly_savings_usd"]),
              help="Local cost (every budget 0 ms, nothing waits) minus the cost with moving and waiting, hourly model.")
    c2.metric(f"Annual-average savings at {fmt_ms(widest['budget_ms'])} ($ {period})",
              fmt_usd(widest["annual_savings_usd"]), help="The single-period model on the annual averages, "
                                                          "against every budget 0 ms.")
    c3.metric(f"Hourly savings at {fmt_ms(zero['budget_ms'])} ($ {period})", fmt_usd(zero["hourly_savings_usd"]),
              help="Nothing moves at 0 ms: what waiting alone saves in the hourly model.")
    fig = make_subplots(rows=1, cols=2, subplot_titles=(f"Savings vs local ($ {period})",
                                                        f"Carbon saved vs local (tCO₂ {period}, {signal})"))
    for col, what in ((1, "savings_usd"), (2, "carbon_savings_t")):
        fig.add_scatter(x=beside["budget_ms"], y=beside[f"annual_{what}"], mode="lines+markers", row=1, col=col,
                        name="Annual averages", line={"color": BASELINE_COLOUR, "dash": "dash"}, showlegend=col == 1)
        fig.add_scatter(x=beside["budget_ms"], y=beside[f"hourly_{what}"], mode="lines+markers", row=1, col=col,
                        name=f"Hourly ({k} typical days)", line={"color": BLUE}, showlegend=col == 1)
        fig.update_xaxes(title_text="Every class's latency budget (ms)", row=1, col=col)
    fig.update_yaxes(title_text=f"$ {period}", row=1, col=1)
    fig.update_yaxes(title_text=f"tCO₂ {period}", row=1, col=2)
    charts.show(style(fig, 400), key="frontier_hourly")
    cc = st.column_config
    table = {  # column: (header, scale, number format, help)
        "budget_ms": ("Budget (ms)", 1, "%.0f", "Every class's latency budget (ms)."),
        "annual_savings_usd": (f"Annual savings ($M {period})", 1e-6, "%.2f", "Single-period model, $ million."),
        "hourly_savings_usd": (f"Hourly savings ($M {period})", 1e-6, "%.2f", "Hourly model, $ million."),
        "difference_usd": ("Hourly − annual ($M)", 1e-6, "%.2f", f"$ million {period}."),
        "annual_carbon_savings_t": ("Annual carbon saved (ktCO₂)", 1e-3, "%.1f", f"Thousand tonnes {period}, {signal}."),
        "hourly_carbon_savings_t": ("Hourly carbon saved (ktCO₂)", 1e-3, "%.1f", f"Thousand tonnes {period}, {signal}."),
        "annual_relocated_share": ("Annual relocated (%)", 100, "%.1f", "Share of demand (by IT power) run away."),
        "hourly_relocated_share": ("Hourly relocated (%)", 100, "%.1f", "Share of demand (by IT power, mean over "
                                                                       "the periods) run away."),
    }
    st.dataframe(pd.DataFrame({head: beside[c] * f for c, (head, f, _, _) in table.items()}), hide_index=True,
                 width="stretch", column_config={head: cc.NumberColumn(head, format=fmt, help=tip)
                                                 for head, _, fmt, tip in table.values()})
    time_switch.hourly_caption(res, "Every class's budget set to the value shown (the uniform frontier), against "
                                    "the local baseline (every budget 0 ms, nothing waits). Annual: the single-period "
                                    "model at the same budgets. The exact frontier at every breakpoint is the annual "
                                    "model's only.")
    st.stop()

choice = st.selectbox(
    "Which budget moves", [UNIFORM, *sc.workload_ids],
    format_func=lambda w: "Every class together (uniform relaxation)" if w == UNIFORM else f"Only {names[w]} (others as set)",
    key="frontier_workload")
workload = None if choice == UNIFORM else choice

# a large scenario's first open draws the frontier at a few budgets (each point exact), then the
# exact one (state.draws_coarse_first: the rule, and core.frontier_view.EXACT_AT_ONCE_MAX_BREAKPOINTS)
coarse = state.draws_coarse_first(workload)
df = state.quick_frontier_df(workload) if coarse else state.exact_frontier_df(workload)
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
charts.show(charts.frontier_levels_figure(step_rows(df), view=view, signal=signal, period=period, marker_ms=marker,
                                          marker_label=marker_label, current=current, x_max_ms=x_max),
            key="frontier_levels", alt=frontier_alt_text(df, signal=signal, period_hours=sc.period_hours, what=what))
kind = frontier_kind_words(len(df), not coarse, state.breakpoint_count(workload))
caption = (f"{kind} ({what}). " + ("The breakpoints are where a budget crosses a round-trip time; between them "
                                   "nothing changes, so the lines are steps. " if not coarse else
                                   "Between these budgets the steps are not drawn yet. ") + "Savings are against "
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
with state.progress_bar(f"Solving the frontier at budgets {step} ms apart") as update:
    returns = state.frontier_df(workload=workload, budgets=tuple(grid), progress=update)
charts.show(charts.frontier_returns_figure(returns, period=period, marker_ms=marker, marker_label=marker_label,
                                           x_max_ms=x_max),
            key="frontier_returns", alt=returns_alt_text(returns, step_ms=float(step), period_hours=sc.period_hours))
st.caption(prose.escape(
    f"ERoL and CRoL on a frontier of budgets {step} ms apart (0, {step}, {2 * step}, … ms): marginal "
    "(C(bᵢ₋₁) − C(bᵢ)) / (bᵢ − bᵢ₋₁) over each step, so a bar's area is what that step saves; the line is the average "
    "since 0 ms, (C(0) − C(b)) / b. CRoL uses the objective's carbon signal; negative means the cheaper placement "
    "emits more. Between breakpoints nothing changes, so the marginal values depend on the step; the averages do not."))

st.subheader("Breakpoints where something changed")
show_all = st.toggle("Show every breakpoint", value=False, key="frontier_all_rows",
                     help="Off: only the budgets where cost, emissions, RID, relocation or unserved demand changed.")
changed = changed_rows(df)
table = frontier_table(df, shown=pd.Series(True, index=df.index) if show_all else changed)
cc = st.column_config
money, carbon = ("savings_usd", "carbon_savings_t") if view == "savings" else ("cost_usd", "emissions_t")
cols = {  # column: (header, number format, scale, help)
    "budget_ms": ("Budget (ms)", "%.1f", 1, "Latency budget of the frontier's breakpoint (ms of extra round trip)."),
    money: (f"Savings ($M {period})" if view == "savings" else f"Cost ($M {period})", "%.1f", 1e-6,
            "Against the local baseline (every budget 0 ms), $ million." if view == "savings"
            else "Energy bought plus egress and migration fees, $ million."),
    "delta_savings_usd": ("Δ savings ($M)", "%.2f", 1e-6,
                          f"Savings gained since the row above, $ million {period}."),
    carbon: ("Carbon saved (ktCO₂)" if view == "savings" else "Emissions (ktCO₂)", "%.1f", 1e-3,
             f"Thousand tonnes of CO₂ {period} on the objective's {signal} signal"
             + (", against the local baseline; negative: more emitted." if view == "savings" else ".")),
    "delta_carbon_savings_t": ("Δ carbon (ktCO₂)", "%.1f", 1e-3,
                               f"Carbon savings gained since the row above, thousand tonnes {period} (negative: more "
                               "emitted)."),
    "relocated_share": ("Relocated (%)", "%.1f", 100, "Share of demand (by IT power) the optimum runs away from home."),
    "rid": ("RID (%)", "%.1f", 100, "Relocatable inference demand: share of demand with a strictly cheaper allowed "
                                    "destination."),
    "erol_marginal_usd_per_ms": ("ERoL ($M/ms)", "%.2f", 1e-6,
                                 f"Marginal energy return on latency over the step from the row above: Δ savings ÷ Δ "
                                 f"budget, $ million {period} per ms."),
    "crol_marginal_t_per_ms": ("CRoL (ktCO₂/ms)", "%.2f", 1e-3,
                               f"Marginal carbon return on latency over the step from the row above: thousand tonnes of "
                               f"CO₂ avoided {period} per ms ({signal} signal)."),
    "unserved_mw": ("Unserved (MW)", "%.1f", 1, "Demand no allowed region takes."),
}
view_df = pd.DataFrame({head: table[c] * f for c, (head, _, f, _) in cols.items()})
# the first row has no row above it: its steps read "—" (as text, right-aligned), not "None"
steps = ("delta_savings_usd", "delta_carbon_savings_t", "erol_marginal_usd_per_ms", "crol_marginal_t_per_ms")
stepwise = [cols[c][0] for c in steps]
for c in steps:                                      # each with its own declared precision ("%.1f": 1 decimal)
    head, fmt = cols[c][0], cols[c][1]
    digits = int(fmt.removeprefix("%.").removesuffix("f"))
    view_df[head] = [f"{v:,.{digits}f}" if np.isfinite(v) else "—" for v in view_df[head]]
st.dataframe(view_df, hide_index=True, width="stretch", height=min(420, 38 + 35 * len(view_df)), column_config={
    head: (cc.TextColumn(head, help=tip, alignment="right") if head in stepwise
           else cc.NumberColumn(head, format=fmt, help=tip)) for head, fmt, _, tip in cols.values()})
st.caption(prose.escape(
    f"{int(changed.sum())} of {len(df)} {'budgets' if coarse else 'breakpoints'} change the result; the "
    f"optimisation was re-solved at {int(df['solved'].sum())} of them (at the others the newly allowed routes could not lower the cost, so the "
    "previous placement stays optimal). Every Δ and marginal return (ERoL, CRoL) is taken from the row shown above "
    f"it: ERoL = (C(bᵢ₋₁) − C(bᵢ)) / (bᵢ − bᵢ₋₁) over the rows in this table, so it changes with the rows shown. "
    f"{prose.SOURCE}"))

st.subheader("Where the frontier moves against intuition")
notes = frontier_notes(table, signal=signal, period_hours=sc.period_hours)
prose.sentence(notes_summary(notes))
for line in notes_why(notes, carbon_price_usd_per_t=inp.carbon_price_usd_per_t, capacity_on=inp.friction("capacity")):
    prose.sentence(line)
if len(notes):
    with st.expander(f"Every stretch ({len(notes)})"):
        st.dataframe(pd.DataFrame({"From (ms)": notes["from_ms"], "To (ms)": notes["to_ms"], "What": notes["kind"],
                                   "Note": notes["note"]}),
                     hide_index=True, width="stretch", column_config={
                         "From (ms)": cc.NumberColumn("From (ms)", format="%.1f"),
                         "To (ms)": cc.NumberColumn("To (ms)", format="%.1f")})
    st.caption(prose.escape(
        f"Detected from the rows of the table above. A carbon step counts when it moves carbon savings by at least "
        f"{100 * CARBON_MOVE_SHARE:g}% of their largest size on this frontier; a zig-zag is a run of such steps, each "
        f"opposite to the one before. A fall of the relocated share counts from {100 * SHARE_FALL_TOL:g} percentage "
        "point."))

if coarse:
    state.finish_exact_frontier(workload)
