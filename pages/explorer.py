"""Explorer: where the scenario's inference runs, on a world map, and what it saves."""
import streamlit as st

from pages.common import datafiles, state, worldmap
from pages.common.charts import period_label
from pages.common.theme import (fmt_mw, fmt_ms, fmt_pct, fmt_t, fmt_t_per_ms, fmt_usd,
                                fmt_usd_per_ms)

sc = state.current_scenario()
h = state.headline()
sol = state.solution()
hours = sc.period_hours

st.title("Energy–Latency Frontier Explorer")
st.caption(f"{sc.name} · {len(sc.nodes)} regions · {len(sc.workloads)} workload classes · "
           f"{fmt_mw(h['demand_mw'])} of inference demand · totals over {hours:,.0f} h"
           + (" (one year)" if hours == 8760 else "")
           + (f" · every budget relaxed by {fmt_ms(state.relax_ms())}" if state.relax_ms() else ""))


def vs_local(diff: float, fmt) -> str:
    return f"{fmt(diff)} vs local"


signal = sc.objective.carbon_signal
c1, c2, c3, c4, c5 = st.columns(5)
c1.metric("Energy cost", fmt_usd(h["cost_usd"]), vs_local(h["cost_usd"] - h["local_cost_usd"], fmt_usd),
          delta_color="inverse", border=True,
          help="Facility energy bought plus egress and migration fees over the period ($). "
               "The delta is against the local baseline: every budget 0 ms, all work at home.")
c2.metric("Savings vs local", fmt_usd(h["savings_usd"]),
          f"{fmt_pct(h['savings_usd'] / h['local_cost_usd']) if h['local_cost_usd'] else '—'} of local cost",
          delta_arrow="off", delta_color="off", border=True,
          help="Local baseline cost minus this placement's cost ($ over the period).")
c3.metric("Emissions, marginal",
          fmt_t(h["emissions_marginal_t"]),
          vs_local(h["emissions_marginal_t"] - h["local_emissions_marginal_t"], fmt_t),
          delta_color="inverse", border=True,
          help="tCO₂ over the period with each region's marginal grid intensity (what one more MWh emits).")
c4.metric("Emissions, average",
          fmt_t(h["emissions_avg_t"]),
          vs_local(h["emissions_avg_t"] - h["local_emissions_avg_t"], fmt_t),
          delta_color="inverse", border=True,
          help="tCO₂ over the period with each region's average grid intensity (the grid mix).")
c5.metric("Unserved demand", fmt_mw(h["unserved_mw"]),
          vs_local(h["unserved_mw"] - h["local_unserved_mw"], fmt_mw)
          if h["unserved_mw"] or h["local_unserved_mw"] else None,
          delta_color="inverse", border=True,
          help="MW of demand no allowed region can take (penalised in the objective).")

c1, c2, c3, c4, c5 = st.columns(5)
c1.metric("Relocatable (RID)", fmt_pct(h["rid"]), border=True,
          help="RID: share of demand (by MW) whose mask allows at least one other region with a strictly "
               "lower unit cost than home (energy, carbon price and transfer per MWh).")
c2.metric("Realized relocation", fmt_pct(h["relocated_share"]), f"{fmt_mw(h['relocated_mw'])} moved",
          delta_arrow="off", delta_color="off", border=True,
          help="Share of demand the optimal placement actually runs away from home.")
c3.metric("ERoL, average", fmt_usd_per_ms(h["erol_avg_usd_per_ms"]), border=True,
          help="Energy return on latency: (local cost − cost) ÷ the demand-weighted mean budget, "
               "$ over the period per ms.")
c4.metric("CRoL, average", fmt_t_per_ms(h["crol_avg_t_per_ms"]), border=True,
          help="Carbon return on latency: (local emissions − emissions) ÷ the demand-weighted mean budget, "
               f"tCO₂ per ms, on the {signal} signal. Negative: relocation raises emissions.")
c5.metric("Mean budget", fmt_ms(h["mean_budget_ms"]), border=True,
          help="Demand-weighted mean latency budget: Σ demand × budget ÷ Σ demand over the workload "
               "classes (ms), relaxation included.")
st.caption(f"The objective prices carbon on the **{signal}** signal (CRoL uses it too). ERoL and CRoL are "
           f"averages over the demand-weighted mean budget ({fmt_ms(h['mean_budget_ms'])}): the whole "
           "saving against the local baseline divided by it, not the last millisecond's. The Frontier "
           "page has the marginal values.")

# --- map ------------------------------------------------------------------------------------------
unserved = sol.demand.groupby("service")["unserved_mw"].sum()
unserved = unserved[unserved > 1e-6].sort_values(ascending=False)
if len(unserved):
    names = {n.id: n.name or n.id for n in sc.nodes}
    where = ", ".join(f"{names[s]} ({fmt_mw(mw)})" for s, mw in unserved.head(6).items())
    more = f" and {len(unserved) - 6} more" if len(unserved) > 6 else ""
    st.warning(f"{fmt_mw(unserved.sum())} of demand is unserved: {where}{more}. Raise a latency budget, "
               "add capacity or switch a friction off.", icon=":material/error:")

head, pick = st.columns([3, 2], vertical_alignment="bottom")
head.subheader("Where the inference runs")
colour_by = pick.segmented_control("Colour regions by", list(worldmap.COLOUR_BY),
                                   format_func=lambda k: "Energy price" if k == "price" else "Carbon intensity",
                                   default="price", key="explorer_colour_by",
                                   help="Fill of each region's disc: its energy price ($/MWh) or its grid "
                                        "carbon intensity on the chosen signal (gCO₂/kWh).") or "price"
wl_names = {w.id: w.name or w.id for w in sc.workloads}
shown = st.pills("Arcs for", sc.workload_ids, selection_mode="multi", default=sc.workload_ids,
                 format_func=wl_names.get, key=f"explorer_arcs_{'_'.join(sc.workload_ids)}",
                 help="Which workload classes' relocated demand is drawn as arcs (colour = class).")
st.pydeck_chart(worldmap.deck(sc, sol, datafiles.world_geojson(), colour_by, workloads=shown), height=470,
                alt="World map of regions, demand and relocated inference")
st.markdown(worldmap.legend_html(sc, sol, colour_by), unsafe_allow_html=True)

# --- placement ------------------------------------------------------------------------------------
st.subheader("Placement")
only_moved = st.toggle("Only relocated work", value=True, key="explorer_only_moved",
                       help="Hide the work that runs at its own service node.")
table = sol.placement
if only_moved:
    table = table[table["service"] != table["compute"]]
table = table.sort_values("mw", ascending=False)
st.caption(f"{len(table):,} flows · {fmt_mw(table['mw'].sum())}")
shown_table = table[["service", "compute", "workload", "mw", "rtt_ms", "layer", "cost_usd"]].assign(
    workload=table["workload"].map(wl_names).fillna(table["workload"]), cost_usd=table["cost_usd"] / 1e6)
st.dataframe(
    shown_table, hide_index=True,
    height=min(420, 38 + 35 * max(len(table), 1)),
    column_config={
        "service": st.column_config.TextColumn("Service node", help="Where the requests enter"),
        "compute": st.column_config.TextColumn("Compute node", help="Where they run"),
        "workload": st.column_config.TextColumn("Workload class"),
        "mw": st.column_config.NumberColumn("IT power (MW)", format="%.1f"),
        "rtt_ms": st.column_config.NumberColumn("Round trip (ms)", format="%.1f"),
        "layer": st.column_config.TextColumn("Layer", help="local (at home), regional (round trip within the "
                                                           "regional threshold) or energy-oriented (further away)"),
        "cost_usd": st.column_config.NumberColumn(f"Cost ($M {period_label(hours)})", format="%.1f",
                                                  help="Energy bought at the compute node plus egress and "
                                                       "migration fees for this flow, $ million"),
    })
