"""Frictions: from the potential saving (every friction off) to the realized one, switching on
one at a time the frictions that are on in the sidebar (those off are named, not part of it)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from core.metrics import SESSION_WATERFALL_ORDER
from core.narrative import FRICTION_WORDS, friction_sentence, waterfall_order_sentence
from core.scenario import frictions_shown
from core.time_metrics import waterfall_difference_sentence
from pages.common import charts, prose, state, time_switch
from pages.common.theme import fmt_mw, fmt_pct, fmt_t, fmt_usd

sc = state.current_scenario()
inp = state.current_inputs()
period = charts.period_label(sc.period_hours)

st.title("Frictions")
st.write("How much of the saving that relaxed latency budgets make possible survives the frictions switched on in "
         "the sidebar: egress fees, migration overhead, state locality, data residency and capacity limits.")

mode = time_switch.model_switch(sc, "frictions_model")
if mode == "hourly":
    k = time_switch.typical_days_k(sc)
    with state.computing(f"Solving {k} typical days in four cases"):
        res = state.time_result("typical", k)
    if not state.time_waterfall_ready(k):
        steps = 1 + sum(inp.friction(f) for f in SESSION_WATERFALL_ORDER)
        st.info(f"The hourly waterfall solves the {k} typical days once per step ({steps} steps: every friction off, "
                "then each friction switched on in the sidebar in turn), each against its local baseline: seconds per "
                "step on this server. Computed once, then kept for every visitor.")
        if st.button("Compute the hourly waterfall", type="primary", key="frictions_run_hourly",
                     icon=":material/play_arrow:"):
            with state.progress_bar(f"Solving the {k} typical days at each step") as update:
                state.time_waterfall_df(k, progress=update)
            st.rerun()
        st.stop()
    wf = state.time_waterfall_df(k)
else:
    with state.computing("Solving with the frictions switched on one after another…"):
        wf = state.waterfall_df()
off = [f for f in frictions_shown(sc) if not inp.friction(f)]
if off:
    st.info(f"Switched off in the sidebar, so not part of this waterfall: {', '.join(FRICTION_WORDS[f] for f in off)}. "
            "Its last bar is the saving the other pages show.", icon=":material/info:")
potential, realized = float(wf["savings_usd"].iloc[0]), float(wf["savings_usd"].iloc[-1])
c1, c2, c3, c4 = st.columns(4)
c1.metric(f"Potential savings ($ {period})", fmt_usd(potential), help="Every friction off, at the current budgets.")
c2.metric(f"Realized savings ($ {period})", fmt_usd(realized),
          help="With the frictions switched on in the sidebar, at the current budgets: "
               + ("the Time page's hourly savings." if mode == "hourly" else "the other pages' savings."))
c3.metric("Kept by the frictions (%)", fmt_pct(realized / potential) if potential > 0 else "—")
c4.metric(f"Carbon savings (tCO2 {period})", fmt_t(wf["carbon_savings_t"].iloc[-1]),
          help=f"Realized, with the sidebar's frictions, on the objective's signal ({inp.carbon_signal}). "
               "Negative: more emitted.")

prose.sentence(friction_sentence(wf, off))
charts.show(charts.waterfall_figure(wf, period=period), key="frictions_waterfall")
st.caption(prose.escape("Each bar is the saving against the local baseline (every request at its home region), solved "
           "with the frictions on so far. " + waterfall_order_sentence(list(wf["step"].iloc[1:])) + " A different "
           "order would split the losses differently. " + prose.SOURCE))
if mode == "hourly":
    prose.sentence(waterfall_difference_sentence(wf, state.waterfall_df()))
    time_switch.hourly_caption(res, "Each step is a time solve of the typical days, against the local baseline (every "
                                    "budget 0 ms, nothing waits) with the same frictions.")

st.subheader("Step by step")
# the same formatters as the metrics and the bar labels, so one number reads the same everywhere
view = pd.DataFrame({
    "Friction switched on": ["Potential (no frictions)" if i == 0 else charts.FRICTION_LABELS.get(s, s)
                             for i, s in enumerate(wf["step"])],
    "Savings": [fmt_usd(v) for v in wf["savings_usd"]],
    "Change": ["—" if i == 0 else fmt_usd(v) for i, v in enumerate(wf["change_usd"])],
    "Carbon savings": [fmt_t(v) for v in wf["carbon_savings_t"]],
    "Relocated": [fmt_pct(v) for v in wf["relocated_share"]],
    "Unserved": [fmt_mw(v) for v in wf["unserved_mw"]],
})
tc = st.column_config.TextColumn
st.dataframe(view, hide_index=True, width="stretch", column_config={
    "Savings": tc(help=f"Against the local baseline (every request at its home region), $ {period}"),
    "Change": tc(help=f"What switching this friction on changes in the savings, $ {period}"),
    "Carbon savings": tc(help=f"Against the local baseline, tonnes of CO₂ {period} on the {inp.carbon_signal} signal; "
                              "negative: more emitted"),
    "Relocated": tc(help="Share of demand (by IT power) that runs away from home"),
    "Unserved": tc(help="Demand no allowed region takes, MW")})
st.caption(prose.escape(f"Savings and changes in $ {period}; carbon savings in tonnes of CO₂ {period} on the "
                        f"{inp.carbon_signal} signal; relocated as a share of demand (by IT power); unserved in MW."))
