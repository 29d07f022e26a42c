"""Break-even: when moving 1 MWh of inference pays, for every region pair and across prices."""
from __future__ import annotations

import numpy as np
import streamlit as st

from core.frontier import breakpoints_ms
from core.metrics import (break_even_budget_ms, break_even_gb_per_mwh_line, net_benefit_egress_grid,
                          pair_break_even_terms, relocatable_share_grid)
from core.narrative import break_even_pair_sentence, carbon_price_words
from pages.common import charts, prose, state
from pages.common.theme import fmt_ms, fmt_num, fmt_usd_per_mwh

sc = state.current_scenario()
inp = state.current_inputs()
names = {w.id: w.name or w.id for w in sc.workloads}
node_names = {n.id: f"{n.id} ({n.name})" if n.name else n.id for n in sc.nodes}

st.title("Relocation break-even")
st.write("Moving 1 MWh of IT energy from its home s to r pays when "
         "PUEₛ·(pₛ + τ·cₛ) − PUEᵣ·(1+ω)·(pᵣ + τ·cᵣ) > g·e + φ: the energy-and-carbon gap beats the transfer cost.")

if len(sc.node_ids) < 2:
    st.info("This scenario has a single node: there is nowhere to relocate to.")
    st.stop()

workload = st.selectbox("Workload class", sc.workload_ids, format_func=lambda w: names[w], key="be_workload")
k = sc.workload_ids.index(workload)
be = state.break_even_df(workload)

allowed = be[be["allowed"]]
paying = allowed[allowed["net_benefit_usd_per_mwh"] > 0]
c1, c2, c3 = st.columns(3)
c1.metric("Pairs the mask allows", f"{len(allowed):,} of {len(be):,}",
          help="Pairs s → r ≠ s within the class's budget, residency (if bound) and with capacity.")
c2.metric("Allowed pairs where moving pays", f"{len(paying):,}")
c3.metric("Best allowed net benefit ($/MWh)",
          fmt_usd_per_mwh(allowed["net_benefit_usd_per_mwh"].max()) if len(allowed) else "—")

st.subheader("Every region pair")
st.plotly_chart(charts.pair_matrix_figure(be, sc.node_ids), theme=None, width="stretch", key="be_matrix")
st.caption(prose.escape(f"Net benefit ($/MWh) of moving 1 MWh of {names[workload]} IT energy from each row's node to each "
           f"column's node, at carbon price τ = ${inp.carbon_price_usd_per_t:,.0f}/t on the {inp.carbon_signal} signal. "
           f"Blue: moving pays; orange: it loses. Grey: the pair is not allowed now (hover says why: latency over "
           f"{fmt_ms(inp.budget_ms[k])}, residency, or no capacity); ⌂ marks home. {prose.SOURCE}"))

st.subheader("One pair across prices")
order = (paying if len(paying) else allowed if len(allowed) else be).sort_values("net_benefit_usd_per_mwh", ascending=False)
default = order.iloc[0] if len(order) else be.iloc[0]
cs, cr = st.columns(2)
service = cs.selectbox("From (home s)", sc.node_ids, index=sc.node_ids.index(default["service"]),
                       format_func=lambda n: node_names[n], key="be_service")
others = [n for n in sc.node_ids if n != service]
pick = default["compute"] if default["compute"] in others else others[0]
compute = cr.selectbox("To (compute r)", others, index=others.index(pick),
                       format_func=lambda n: node_names[n], key="be_compute")

terms = pair_break_even_terms(inp, workload, service, compute)
prose.sentence(break_even_pair_sentence(terms, {**names, **node_names}))
m1, m2, m3, m4 = st.columns(4)
m1.metric("Energy + carbon gap ($/MWh)", fmt_usd_per_mwh(terms["gross_benefit_usd_per_mwh"]),
          help="PUEₛ·(pₛ + τ·cₛ) − PUEᵣ·(1+ω)·(pᵣ + τ·cᵣ): what 1 MWh costs less at r, per MWh of IT energy.")
m2.metric("Transfer cost g·e + φ ($/MWh)", fmt_usd_per_mwh(terms["transfer_usd_per_mwh"]),
          help="With the frictions as set: egress (g GB/MWh × e $/GB) and the migration fee φ.")
m3.metric("Net benefit ($/MWh)", fmt_usd_per_mwh(terms["net_benefit_usd_per_mwh"]))
tau_star = terms["break_even_carbon_price_usd_per_t"]
m4.metric("Break-even carbon price ($/tCO2)", f"${fmt_num(tau_star)}/t" if np.isfinite(tau_star) and tau_star > 0 else "none ≥ 0",
          help=carbon_price_words(terms) + " The break-even τ solves energy gap + τ·carbon gap = transfer cost.")

# egress price × data intensity for this pair, on log-spaced grids around the scenario and break-even
gross, fee = terms["gross_benefit_usd_per_mwh"], terms["fee_usd_per_mwh"]
e0, g0 = terms["egress_usd_per_gb"], terms["gb_per_mwh"]
margin = gross - fee
e_grid = charts.log_grid_around([e0, margin / g0 if g0 > 0 and margin > 0 else None], fallback=(0.001, 1.0))
g_grid = charts.log_grid_around([g0, margin / e0 if e0 > 0 and margin > 0 else None], fallback=(1.0, 10000.0))
grid = net_benefit_egress_grid(gross, fee, e_grid, g_grid)
line_e = np.geomspace(e_grid[0], e_grid[-1], 200)
with st.expander("Ranges of the carbon price × budget map"):
    a, b = st.columns(2)
    tau_max = a.number_input("Largest carbon price ($/tCO2)", 10.0, 10000.0,
                             float(max(300.0, 2 * inp.carbon_price_usd_per_t)), step=50.0, key="be_tau_max")
    b_top = float(breakpoints_ms(inp, workload).max())
    b_max = b.number_input("Largest budget (ms)", 1.0, 100000.0, float(max(50.0, round(1.05 * b_top))),
                           step=10.0, key="be_b_max")

left, right = st.columns(2)
with left:
    st.plotly_chart(charts.egress_grid_figure(grid, line_e, break_even_gb_per_mwh_line(gross, fee, line_e),
                                              current_e=e0, current_g=g0, limit_usd_per_mwh=max(abs(margin), 1.0),
                                              title=f"{service} → {compute}: egress price × data intensity"),
                    theme=None, width="stretch", key="be_egress")
    note = "" if terms["egress_on"] else " The egress friction is off, so the model ignores egress now; the map shows what it would cost."
    edge = " The scenario's e or g is 0, so its cross sits on the axis edge." if e0 <= 0 or g0 <= 0 else ""
    never = " Here gross ≤ φ: moving never pays, whatever e and g." if margin <= 0 else ""
    st.caption(prose.escape(
        f"Net benefit ($/MWh) = gross − g·e − φ with gross = {fmt_usd_per_mwh(gross)} and φ = {fmt_usd_per_mwh(fee)}; "
        f"colours saturate at ±(gross − φ). Moving pays below the black "
        f"line g·e = gross − φ (straight on log axes); the cross is this class's g and the scenario's e."
        f"{never}{edge}{note}"))

# carbon price × this class's budget, over all of the class's demand
taus = np.linspace(0.0, tau_max, 61)
budget_grid = np.linspace(0.0, b_max, 161)
share = relocatable_share_grid(inp, workload, taus, budget_grid)
line = break_even_budget_ms(inp, workload, np.linspace(0.0, tau_max, 241))
b_now = float(inp.budget_ms[k])
with right:
    st.plotly_chart(charts.carbon_budget_figure(share, line, current_tau=inp.carbon_price_usd_per_t,
                                                current_budget=min(b_now, b_max),
                                                title=f"{names[workload]}: carbon price × latency budget"),
                    theme=None, width="stretch", key="be_carbon")
    beyond = f" The class's budget, {fmt_ms(b_now)}, is above the axis; the cross sits at its top." if b_now > b_max else ""
    st.caption(prose.escape("Share of the class's demand whose home node has an allowed destination within the budget that is "
               "strictly cheaper per MWh at that carbon price (energy + τ × carbon + transfer): the relocatable "
               "inference demand (RID) of the model reference, for this class only. It is the potential: capacity and state "
               "locality do not limit it. Below the black line no demand of the class gains by moving; the budget "
               f"only matters where it crosses a round-trip time.{beyond}"))
