"""Break-even: when moving 1 MWh of inference pays, for every region pair and across prices, and
where one region's work should run."""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from core.inputs import ModelInputs
from core.map_groups import NO_PROVIDER, ORDER_BY, region_block, region_order, regions_shown, top_by_demand
from core.metrics import break_even_gb_per_mwh_line, net_benefit_egress_grid, pair_break_even_terms, relocatable_share_grid
from core.narrative import break_even_pair_sentence, carbon_price_words
from core.physical import CONTINENTS, scenario_continents
from core.recommend import pair_matrix_alt_text, relocatable_share_alt_text, run_here, run_here_sentence
from pages.common import charts, prose, state
from pages.common.theme import fmt_ms, fmt_num, fmt_usd_per_mwh


MATRIX_MIN_PX = 640         # the pair heatmap's least width [px]; narrower screens scroll it sideways
LARGE_NODES = 50            # above this many regions the heatmap opens on the top 50 home regions and the
                            # carbon-price chart (seconds of work) is drawn on request


@st.cache_data(max_entries=state.CACHE_ENTRIES, show_spinner=False)
def relocatable_shares(sc_key: str, relax: float, tau_max: float, n_taus: int, workload: str,
                       _inp: ModelInputs) -> pd.DataFrame:
    """One class's RID over τ = 0…tau_max (n_taus prices) at its current budget
    (:func:`core.metrics.relocatable_share_grid`), cached on the scenario, relaxation, τ range and class;
    ``_inp`` (not hashed) is the session's inputs for that scenario and relaxation."""
    taus = np.linspace(0.0, tau_max, n_taus)
    budget_ms = float(_inp.budget_ms[_inp.workload_ids.index(workload)])
    return relocatable_share_grid(_inp, workload, taus, [budget_ms]).assign(workload=workload)


sc = state.current_scenario()
inp = state.current_inputs()
names = {w.id: w.name or w.id for w in sc.workloads}
region = {n.id: n.name or n.id for n in sc.nodes}
if len(set(region.values())) < len(region):          # two nodes of the same name: tell them apart by id
    region = {n.id: f"{n.name} ({n.id})" if n.name else n.id for n in sc.nodes}
continent = dict(zip(sc.node_ids, scenario_continents(sc)))
by_continent = sorted(sc.node_ids, key=lambda n: (CONTINENTS.index(continent[n]), sc.node_ids.index(n)))

st.title("Relocation break-even")
st.write("Running work in another region pays when the energy it saves there, and the carbon at the carbon price, "
         "is worth more than moving its data and state. In symbols, moving 1 MWh of IT energy from its home s to r "
         "pays when PUEₛ·(pₛ + τ·cₛ) − PUEᵣ·(1+ω)·(pᵣ + τ·cᵣ) > g·e + φ.")

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
provider = {n.id: n.provider for n in sc.nodes}
orders = [o for o in ORDER_BY if o != "provider" or any(provider.values())]
f1, f2, f3, f4 = st.columns([1, 1.4, 1.4, 0.8])
order_by = f1.selectbox("Order regions by", orders, format_func=ORDER_BY.get, key="be_order",
                        help="Rows and columns grouped by continent, by cloud provider, or in the scenario's order.")
used_continents = [c for c in CONTINENTS if c in set(continent.values())]
pick_continents = f2.multiselect("Continents", used_continents, key="be_continents", placeholder="every continent",
                                 help="Show only the regions on these continents (rows and columns); none picked: "
                                      "every continent.")
providers_used = sorted({p for p in provider.values() if p}) + ([NO_PROVIDER] if None in provider.values() else [])
pick_providers = [] if len(providers_used) < 2 else f3.multiselect(
    "Cloud providers", providers_used, key="be_providers", placeholder="every provider",
    help="Show only the regions of these providers (rows and columns); none picked: every provider.")
top_options = [0] + [t for t in (10, 20, 50, 100) if t < len(sc.node_ids)]
top_n = f4.selectbox("Home regions", top_options, format_func=lambda t: "all" if t == 0 else f"top {t}",
                     index=top_options.index(50) if len(sc.node_ids) > LARGE_NODES else 0, key="be_top",
                     help=f"Rows: every home region, or only those with the most {names[workload]} "
                          "demand (MW).")
blocks = {n: region_block(n, order_by, continent, provider) for n in sc.node_ids}
column_ids = regions_shown(region_order(sc.node_ids, order_by, continent, provider, CONTINENTS), continent, provider,
                           pick_continents, pick_providers)
demand_here = dict(zip(sc.node_ids, inp.demand_mw[:, k]))
row_ids = top_by_demand(column_ids, [demand_here[n] for n in column_ids], top_n or None)
if not row_ids:
    st.info("No region matches these filters.")
else:
    drawn = be[be["service"].isin(row_ids) & be["compute"].isin(column_ids)]
    # on a phone the heatmap keeps 640 px and scrolls sideways: names need that room
    st.html(f"<style>.st-key-be_matrix_box {{ overflow-x: auto; }} .st-key-be_matrix_box > div {{ min-width: "
            f"{MATRIX_MIN_PX}px; }}</style>")
    with st.container(key="be_matrix_box"):
        charts.show(charts.pair_matrix_figure(be, row_ids, region, blocks, column_ids), key="be_matrix",
                    alt=pair_matrix_alt_text(drawn, region))
    labelled = max(len(row_ids), len(column_ids)) <= charts.LABELLED_MAX
    shown_words = ("" if len(row_ids) == len(column_ids) == len(sc.node_ids) else
                   f"{len(row_ids)} of {len(sc.node_ids)} home regions and {len(column_ids)} compute regions shown; ")
    st.caption(prose.escape(
        f"Net benefit ($/MWh) of moving 1 MWh of {names[workload]} IT energy from each row's region to each column's "
        f"region, at carbon price τ = ${inp.carbon_price_usd_per_t:,.0f}/t on the {inp.carbon_signal} signal; "
        f"{shown_words}regions ordered by {ORDER_BY[order_by].lower()}. Blue: moving pays; orange: it loses. "
        + (f"Grey: the pair is not allowed now, and its marker says why: × latency (round trip over "
           f"{fmt_ms(inp.budget_ms[k])}), ◇ residency, □ no capacity"
           + (", △ provider lock (work stays with its own cloud provider)" if inp.friction("provider_lock") else "")
           + ". " if labelled else
           f"Grey: the pair is not allowed now; hover a cell for why (markers are drawn up to {charts.LABELLED_MAX} "
           "regions a side: filter, or drag a box on the chart to zoom, double-click to zoom out). ")
        + f"The pale diagonal is home. {prose.SOURCE}"))

st.subheader("Where should this run?")
with_demand = [n for n in by_continent if inp.demand_mw[sc.node_ids.index(n), k] > 0] or by_continent
home = st.selectbox("Requests enter at", by_continent, index=by_continent.index(with_demand[0]),
                    format_func=lambda n: f"{region[n]} ({continent[n]})", key="rh_service")
ranking = run_here(inp, home, workload, state.solution())
prose.sentence(run_here_sentence(ranking, service_name=region[home], workload_name=names[workload],
                                 pinned_share=float(inp.pinned_share[k]) if inp.friction("state_locality") else 0.0,
                                 names=region))
cc = st.column_config
shown = pd.DataFrame({
    "Rank": [f"{r:.0f}" if np.isfinite(r) else "—" for r in ranking["rank"]],
    "Region": [region[r] + (" (home)" if h else "") for r, h in zip(ranking["compute"], ranking["home"])],
    "Unit cost ($/MWh)": ranking["unit_objective_usd_per_mwh"],
    "vs home ($/MWh)": ranking["vs_home_usd_per_mwh"],
    "Round trip (ms)": ranking["rtt_ms"],
    "Runs here now (MW)": ranking["placed_mw"],
    "Why": ranking["why"],
})
st.dataframe(shown, hide_index=True, width="stretch", height=min(420, 38 + 35 * len(shown)), column_config={
    "Rank": cc.TextColumn("Rank", help="1 = lowest unit cost among the regions the mask allows; — excluded.",
                          alignment="right"),
    "Unit cost ($/MWh)": cc.NumberColumn("Unit cost ($/MWh)", format="%.2f",
                                         help="The model's unit objective per MWh of IT energy: PUE·(1+ω)·(p + τ·c) "
                                              "plus egress and migration fee away from home."),
    "vs home ($/MWh)": cc.NumberColumn("vs home ($/MWh)", format="%+.2f", help="Negative: cheaper than at home."),
    "Round trip (ms)": cc.NumberColumn("Round trip (ms)", format="%.1f"),
    "Runs here now (MW)": cc.NumberColumn("Runs here now (MW)", format="%.1f",
                                          help="IT power of this class from this home that the optimum runs here."),
    "Why": cc.TextColumn("Why", width="large")})
st.caption(prose.escape(
    f"Ranked per MWh within the budget of {names[workload]}, {fmt_ms(inp.budget_ms[k])}, and the residency rule, with the "
    "frictions as set; the ranking does not know how full a region is, the last numeric column says where the "
    f"optimum actually runs this work. {prose.SOURCE}"))

st.subheader("One pair across prices")
order = (paying if len(paying) else allowed if len(allowed) else be).sort_values("net_benefit_usd_per_mwh", ascending=False)
default = order.iloc[0] if len(order) else be.iloc[0]
cs, cr = st.columns(2)
service = cs.selectbox("From (home s)", sc.node_ids, index=sc.node_ids.index(default["service"]),
                       format_func=lambda n: region[n], key="be_service")
others = [n for n in sc.node_ids if n != service]
pick = default["compute"] if default["compute"] in others else others[0]
compute = cr.selectbox("To (compute r)", others, index=others.index(pick),
                       format_func=lambda n: region[n], key="be_compute")

terms = pair_break_even_terms(inp, workload, service, compute)
prose.sentence(break_even_pair_sentence(terms, {**names, **region}))
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
line_g = break_even_gb_per_mwh_line(gross, fee, line_e)
limit_words = (f"moving pays below the black line, up to {fmt_num(margin / g0)} $/GB at this class's {fmt_num(g0)} GB/MWh"
               if g0 > 0 and margin > 0 else "moving never pays at any egress price" if margin <= 0
               else "with no data moved, egress never decides it")
charts.show(charts.egress_grid_figure(grid, line_e, line_g, current_e=e0, current_g=g0,
                                      limit_usd_per_mwh=max(abs(margin), 1.0),
                                      title=f"{region[service]} → {region[compute]}: egress price × data intensity"),
            key="be_egress", alt=(f"Chart in words: net benefit of {region[service]} → {region[compute]} over egress "
                                  f"price and data intensity; {limit_words}; the scenario's egress price is "
                                  f"{fmt_num(e0)} $/GB."))
note = "" if terms["egress_on"] else " The egress friction is off, so the model ignores egress now; the map shows what it would cost."
edge = " The scenario's e or g is 0, so its cross sits on the axis edge." if e0 <= 0 or g0 <= 0 else ""
never = " Here gross ≤ φ: moving never pays, whatever e and g." if margin <= 0 else ""
st.caption(prose.escape(
    f"Net benefit ($/MWh) = gross − g·e − φ with gross = {fmt_usd_per_mwh(gross)} and φ = {fmt_usd_per_mwh(fee)}; "
    f"colours saturate at ±(gross − φ). Moving pays below the black line g·e = gross − φ (straight on log axes); the "
    f"cross is this class's g and the scenario's e.{never}{edge}{note}"))

st.subheader("What the carbon price does")
tau_max = st.number_input("Largest carbon price ($/tCO2)", 10.0, 10000.0,
                          float(max(300.0, 2 * inp.carbon_price_usd_per_t)), step=50.0, key="be_tau_max")
large = len(sc.node_ids) > LARGE_NODES
if large and not st.toggle("Draw the carbon-price chart", key="be_carbon_on",
                           help=f"{len(sc.node_ids)} regions: it takes some seconds (61 carbon prices × "
                                f"{len(sc.workload_ids)} classes, every region pair each), so it is drawn on request."):
    st.caption("Switch on to draw each class's relocatable share of demand (RID) across carbon prices.")
    st.stop()
key = (state.scenario_key(), state.relax_ms(), float(tau_max), 61)
bar = st.progress(0.0, text="Relocatable share across carbon prices…") if large else None
parts = []
for i, w in enumerate(sc.workload_ids):
    parts.append(relocatable_shares(*key, w, inp))
    if bar is not None:
        bar.progress((i + 1) / len(sc.workload_ids), text=f"Relocatable share across carbon prices: {names[w]} done")
if bar is not None:
    bar.empty()
shares = pd.concat(parts, ignore_index=True)
charts.show(charts.relocatable_share_figure(shares, sc.workload_ids, names, inp.budget_ms,
                                            carbon_price_usd_per_t=inp.carbon_price_usd_per_t,
                                            max_carbon_price_usd_per_t=tau_max),
            key="be_carbon", alt=relocatable_share_alt_text(shares, names))
st.caption(prose.escape(
    "For each class at its current budget (in the legend): the share of its demand whose home has an allowed "
    "region that is strictly cheaper per MWh at that carbon price (energy + τ × carbon + transfer), the relocatable "
    f"inference demand (RID) of the Model reference page for that class, on the {inp.carbon_signal} signal. It is the "
    "potential: capacity and state locality do not limit it. A line that rises with τ means carbon pricing opens "
    "cleaner regions; one that falls means the cheap regions are the dirtier ones."))
