"""Execution layers: where each class's served work runs (local, regional, energy-oriented), and
how that shifts as budgets relax."""
from __future__ import annotations

import streamlit as st

from core.frontier_view import frontier_kind_words, layers_alt_text, layers_share_alt_text, step_rows
from core.narrative import layers_sentence
from core.time_metrics import layers_difference_sentence
from pages.common import charts, prose, state, time_switch
from pages.common.theme import fmt_ms, fmt_mw, fmt_pct

sc = state.current_scenario()
inp = state.current_inputs()
names = {w.id: w.name or w.id for w in sc.workloads}
regional = fmt_ms(inp.regional_ms)

st.title("Execution layers")
st.write(f"Heterogeneous latency tolerance sorts inference into layers: **local** (at its home node), "
         f"**regional** (another node within {regional} round trip) and **energy-oriented** (further away, "
         f"for cheaper or cleaner energy).")

mode = time_switch.model_switch(sc, "layers_model")
if mode == "hourly":
    k = time_switch.typical_days_k(sc)
    with state.computing(f"Solving {k} typical days in four cases"):
        res = state.time_result("typical", k)
    layers, unserved_mw = state.time_layers_df(k), res.run.solutions["both"].unserved_mw
else:
    layers, unserved_mw = state.layers_df(), state.headline()["unserved_mw"]
mean = " (hourly model: the mean over the periods)" if mode == "hourly" else ""
by_layer = layers.groupby("layer")["mw"].sum()
served = float(by_layer.sum())
cols = st.columns(4)
for col, (layer, label) in zip(cols, charts.LAYER_LABELS.items()):
    mw = float(by_layer.get(layer, 0.0))
    col.metric(f"{label.replace(' (at home)', ', at home')} (MW)", fmt_mw(mw),
               help=f"{fmt_pct(mw / served) if served > 0 else '—'} of all served IT power{mean}")
cols[3].metric("Unserved (MW)", fmt_mw(unserved_mw),
               help=f"Demand the optimum leaves unserved (priced at the unserved penalty){mean}.")

prose.sentence(layers_sentence(layers, inp.regional_ms, names))
if mode == "hourly":
    prose.sentence(layers_difference_sentence(layers, state.layers_df()))
st.subheader("Per workload class, at the current budgets")
charts.show(charts.layers_share_figure(layers, sc.workload_ids, names), key="layers_share",
            alt=layers_share_alt_text(layers, sc.workload_ids, names))
budgets = ", ".join(f"{names[w]} {fmt_ms(b)}" for w, b in zip(sc.workload_ids, inp.budget_ms))
if mode == "hourly":
    time_switch.hourly_caption(res, f"Share of each class's served IT power (%) by layer in its placement with moving "
                                    f"and waiting. Budgets: {budgets}. Hover for MW.")
else:
    st.caption(prose.escape(f"Share of each class's served IT power (%) by layer in the optimal placement. "
               f"Budgets: {budgets}. Hover for MW. {prose.SOURCE}"))

st.subheader("As budgets relax")
if mode == "hourly":
    st.caption("This part is the annual-averages model: an hourly version would solve the typical days at every "
               "budget where a placement can change, one time solve each.")
choice = st.selectbox("Which budget moves", ["__all__", *sc.workload_ids],
                      format_func=lambda w: "Every class together (uniform relaxation)" if w == "__all__"
                      else f"Only {names[w]} (others as set)", key="layers_workload")
workload = None if choice == "__all__" else choice
coarse = state.draws_coarse_first(workload)     # the rule of the Frontier page (pages/frontier.py)
df = state.quick_frontier_df(workload) if coarse else state.exact_frontier_df(workload)
marker = None if workload is None else float(inp.budget_ms[sc.workload_ids.index(workload)])
fig = charts.layers_frontier_figure(step_rows(df), demand_mw=float(inp.demand_mw.sum()), marker_ms=marker,
                                    marker_label=None if workload is None else f"{names[workload]}'s budget now",
                                    x_max_ms=charts.x_max_for(df))
charts.show(fig, key="layers_frontier", alt=layers_alt_text(df, float(inp.demand_mw.sum()), inp.regional_ms))
kind = frontier_kind_words(len(df), not coarse, state.breakpoint_count(workload))
st.caption(prose.escape(f"Served IT power (MW) of all classes by layer. {kind}. Unserved demand is on top when "
                        f"there is any. The stack adds up to total demand, {fmt_mw(float(inp.demand_mw.sum()))}. "
                        f"Regional means a round trip of at most {regional}. {prose.SOURCE}"))

if coarse:
    state.finish_exact_frontier(workload)
