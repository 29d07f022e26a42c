"""Frictions: from the potential saving (every friction off) to the realized one, one at a time."""
from __future__ import annotations

import streamlit as st

from core.narrative import friction_sentence
from pages.common import charts, prose, state
from pages.common.theme import fmt_pct, fmt_t, fmt_usd

sc = state.current_scenario()
inp = state.current_inputs()
period = charts.period_label(sc.period_hours)

st.title("Frictions")
st.write("How much of the saving that relaxed latency budgets make possible survives egress fees, migration "
         "overhead, state locality, data-residency rules and capacity limits.")

with st.spinner("Solving with the frictions switched on one after another…"):
    wf = state.waterfall_df()
potential, realized = float(wf["savings_usd"].iloc[0]), float(wf["savings_usd"].iloc[-1])
c1, c2, c3, c4 = st.columns(4)
c1.metric(f"Potential savings ($ {period})", fmt_usd(potential), help="Every friction off, at the current budgets.")
c2.metric(f"Realized savings ($ {period})", fmt_usd(realized), help="Every friction on, at the current budgets.")
c3.metric("Kept by the frictions (%)", fmt_pct(realized / potential) if potential > 0 else "—")
c4.metric(f"Carbon savings (tCO2 {period})", fmt_t(wf["carbon_savings_t"].iloc[-1]),
          help=f"Realized, every friction on, on the objective's signal ({inp.carbon_signal}). Negative: more emitted.")

prose.sentence(friction_sentence(wf))
st.plotly_chart(charts.waterfall_figure(wf, period=period), theme=None, width="stretch", key="frictions_waterfall")
off = [f for f, on in inp.frictions if not on]
note = (" The sidebar has " + ", ".join(charts.FRICTION_LABELS[f].lower() for f in off) +
        " switched off; this chart switches every friction on in turn regardless, so its last bar can differ "
        "from the other pages.") if off else ""
st.caption(prose.escape("Each bar is the saving against the local baseline solved with the same frictions "
           "(core.metrics.friction_waterfall), switching on egress, migration, state locality, legal and "
           "capacity in that order; a different order would split the losses differently." + note))

st.subheader("Step by step")
cols = {"step": "Step (friction switched on)", "savings_usd": f"Savings ($M {period})", "change_usd": "Change ($M)",
        "carbon_savings_t": f"Carbon savings (ktCO2, {inp.carbon_signal})", "relocated_share": "Relocated (% of demand)",
        "unserved_mw": "Unserved (MW)"}
view = wf[list(cols)].copy()
for c, f in {"savings_usd": 1e-6, "change_usd": 1e-6, "carbon_savings_t": 1e-3, "relocated_share": 100}.items():
    view[c] = view[c] * f
view["step"] = [("Potential (no frictions)" if i == 0 else charts.FRICTION_LABELS.get(s, s)) for i, s in enumerate(wf["step"])]
view = view.rename(columns=cols)
st.dataframe(view, hide_index=True, width="stretch", column_config={
    **{cols[c]: st.column_config.NumberColumn(format="%.2f") for c in ("savings_usd", "change_usd", "carbon_savings_t")},
    **{cols[c]: st.column_config.NumberColumn(format="%.1f") for c in ("relocated_share", "unserved_mw")}})
