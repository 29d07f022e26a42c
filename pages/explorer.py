"""Explorer: the result in one sentence and four numbers, what the last change did, where the
inference runs on a world map, and what binds; the rest one click away."""
import pandas as pd
import streamlit as st

from core.binding import LATENCY_STEP_MS, binding_sentence, capacity_holds_back
from core.briefing import carbon_signals_sentence, data_basis_words, edit_lines
from core.narrative import FRICTION_WORDS, headline_sentence, pct_words, period_words
from core.scenario import frictions_shown
from core.setting_change import budgets_raised, headline_delta
from pages.common import state, time_switch, worldmap
from pages.common.charts import period_label
from pages.common.theme import fmt_mw, fmt_ms, fmt_pct, fmt_pp, fmt_signed, fmt_t, fmt_usd

WIDE_MAP_PX, NARROW_MAP_PX, NARROW_BELOW_PX = 760, 340, 700
FULL_LISTED = 12            # more full regions than this: a scrolling table instead of a list
# The data-basis card's value is words, in a smaller font; the map box shows the wide map or the
# phone map by its own width (a container query). Metric texts wrap on every page (theme.CSS).
CSS = f"""<style>
.st-key-explorer_hero [data-testid="stMetricValue"] {{ font-size: 1.35rem; line-height: 1.25; }}
.st-key-explorer_basis [data-testid="stMetricValue"] {{ font-size: 1rem; }}
.st-key-explorer_map {{ container-type: inline-size; }}
@container (max-width: {NARROW_BELOW_PX - 1}px) {{ .st-key-explorer_map_wide {{ display: none; }} }}
@container (min-width: {NARROW_BELOW_PX}px) {{ .st-key-explorer_map_narrow {{ display: none; }} }}
</style>"""

sc = state.current_scenario()
h = state.headline()
sol = state.solution()
hours = sc.period_hours
when = period_words(hours)
signal = sc.objective.carbon_signal
names = {n.id: n.name or n.id for n in sc.nodes}
wl_names = {w.id: w.name or w.id for w in sc.workloads}
full = state.full_regions_df()
HOUR_KEY = "explorer_hour"
ARCS_KEY = f"explorer_arcs_{'_'.join(sc.workload_ids)}"
st.html(CSS)


def tonnes(x: float) -> str:
    """Tonnes without the "CO₂" (the label says it): -265 kt."""
    return fmt_t(x).replace(" CO₂", "")


def share_of(change: float, base: float) -> str:
    """The change as a signed share of the baseline: +0.3%, -3.3% ("—" without a baseline)."""
    return fmt_signed(fmt_pct, change / base) if base > 0 else "—"


def full_regions_table(full):
    """The full regions as the table What binds shows when they are many: name, load and
    capacity [MW], capacity shadow price [$ per MW-year]."""
    return pd.DataFrame({
        "Region": [names.get(n, n) for n in full["node"]],
        "Load (MW)": full["load_mw"], "Capacity (MW)": full["capacity_mw"],
        "Shadow price ($ per MW-year)": full["capacity_shadow_usd_per_mw_year"]})


st.title("Energy–Latency Frontier Explorer")
st.caption(f"{sc.name} · {len(sc.nodes)} regions · {len(sc.workloads)} workload classes · "
           f"{fmt_mw(h['demand_mw'])} of inference IT load · totals over {hours:,.0f} h"
           + (" (one year)" if hours == 8760 else "")
           + (f" · every budget relaxed by {fmt_ms(state.relax_ms())}" if state.relax_ms() else ""))
st.markdown(f"**{headline_sentence(h, hours, signal)}**")

# --- four hero numbers ------------------------------------------------------------------------
d_avg = h["emissions_avg_t"] - h["local_emissions_avg_t"]
d_marg = h["emissions_marginal_t"] - h["local_emissions_marginal_t"]
basis = state.data_basis_df()
with st.container(key="explorer_hero"):
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Savings vs local", fmt_usd(h["savings_usd"]),
              f"{pct_words(h['savings_usd'] / h['local_cost_usd']) if h['local_cost_usd'] > 0 else '—'} of local cost",
              delta_arrow="off", delta_color="off", border=True,
              help=f"Energy cost saved {when} ($): the local baseline (every budget 0 ms, all work at home) "
                   "minus this placement's cost of energy, egress and migration fees.")
    # no-break spaces: at 1280 px the label wraps after "change:", not before "marginal"
    c2.metric("CO₂ change: average\u00a0·\u00a0marginal", f"{fmt_signed(tonnes, d_avg)} · {fmt_signed(tonnes, d_marg)}",
              f"{share_of(d_avg, h['local_emissions_avg_t'])} · {share_of(d_marg, h['local_emissions_marginal_t'])}",
              delta_arrow="off", delta_color="off", border=True,
              help=f"Emissions with relocation minus the local baseline's, tCO₂ {when} (kt = thousand tonnes), "
                   "counted with each grid's average intensity (its mix) and with its marginal intensity (the "
                   "plant that runs more when demand rises). Every marginal intensity is an assumption.")
    c3.metric("Demand moved", fmt_pct(h["relocated_share"]), f"{fmt_mw(h['relocated_mw'])} of {fmt_mw(h['demand_mw'])}",
              delta_arrow="off", delta_color="off", border=True,
              help="Realized relocation: the share of inference IT load (MW) that runs away from its service node.")
    with c4.container(key="explorer_basis"):
        st.metric("Data basis", data_basis_words(basis, "price"), data_basis_words(basis, "capacity"),
                  delta_arrow="off", delta_color="off", border=True,
                  help="How the regions' prices and capacities are known (data/SOURCES.md): measured, estimated, "
                       "assumed, or edited by you. These numbers are only as good as the weakest of them.")
st.caption(carbon_signals_sentence(h))

# --- what the last change did -----------------------------------------------------------------
previous = state.previous_result()
if previous is not None:
    prev_sc, prev_relax, prev_h = previous
    d = headline_delta(prev_h, h)
    edits = list(state.memo("explorer_edits", (prev_sc, sc), lambda: edit_lines(prev_sc, sc)))
    if prev_relax != state.relax_ms():
        edits.append(f"relaxation {fmt_ms(prev_relax)} → {fmt_ms(state.relax_ms())}")
    with st.container(border=True, key="explorer_delta"):
        st.markdown(
            f"**Δ vs your previous setting** ({'; '.join(edits) or 'same settings'}): savings "
            f"{fmt_signed(fmt_usd, d['savings_usd'])} {when}; CO₂ {fmt_signed(tonnes, d['emissions_avg_t'])} on the "
            f"average signal, {fmt_signed(tonnes, d['emissions_marginal_t'])} on the marginal; demand moved "
            f"{fmt_signed(fmt_pp, d['relocated_share'])} ({fmt_signed(fmt_mw, d['relocated_mw'])}).")
        if budgets_raised(prev_sc, prev_relax, sc, state.relax_ms()) and len(full):
            st.caption(binding_sentence(full, None, hours, names, wl_names))

unserved = sol.demand.groupby("service")["unserved_mw"].sum()
unserved = unserved[unserved > 1e-6].sort_values(ascending=False)
if len(unserved):
    where = ", ".join(f"{names[s]} ({fmt_mw(mw)})" for s, mw in unserved.head(6).items())
    more = f" and {len(unserved) - 6} more" if len(unserved) > 6 else ""
    st.warning(f"{fmt_mw(unserved.sum())} of demand is unserved: {where}{more}. Raise a latency budget, "
               "add capacity or switch a friction off.", icon=":material/error:")

# --- map ------------------------------------------------------------------------------------------
st.subheader("Where the inference runs")
colour_by = st.session_state.get("explorer_colour_by") or "price"
shown = st.session_state.get(ARCS_KEY, sc.workload_ids)
if sc.time is None:
    view = state.maps(colour_by, shown, (WIDE_MAP_PX, NARROW_MAP_PX))
elif time_switch.typical_days_k(sc) is None:     # no typical days: no map over a day
    view = state.maps(colour_by, shown, (WIDE_MAP_PX, NARROW_MAP_PX))
    st.caption("The map shows the **annual model** (each region's annual averages). The map over a day needs the "
               "hourly model on typical days, and so whole days: time.periods a multiple of 24 and "
               "time.block_periods 24. The hourly model is on the Time page.")
else:           # the map over a day: the hourly model at one UTC hour, its mean over the year's days
    if st.session_state.get(HOUR_KEY) != state.hour_of_day():
        st.session_state[HOUR_KEY] = state.hour_of_day()
    c_hour, c_play = st.columns([5, 1], vertical_alignment="bottom")
    c_hour.slider("Hour of the average day (UTC)", 0, 23, key=HOUR_KEY, format="%d:00",
                  on_change=lambda: state.set_hour_of_day(st.session_state[HOUR_KEY]),
                  help="The map shows where the hourly model runs work at this UTC hour: its placement (MW) at "
                       "this hour of every day of the year, averaged, on typical days. It goes into the link.")
    c_play.button("Next hour", icon=":material/play_arrow:", key="explorer_next_hour", width="stretch",
                  on_click=lambda: state.set_hour_of_day(state.hour_of_day() + 1),
                  help="Step the map one hour on (23:00 → 0:00).")
    with state.computing("Solving the hourly model on typical days"):
        days = state.time_result("typical").info
        view = state.hour_maps(state.hour_of_day(), colour_by, shown, (WIDE_MAP_PX, NARROW_MAP_PX))
    st.caption(f"The numbers above are the **annual model's** (each region's annual averages). The map shows the "
               f"**hourly model** on {days.k} typical days (real days standing for the {days.n_days} days of the "
               f"year): at {state.hour_of_day()}:00 UTC, the mean over the year's days of where work runs (MW), work "
               "that waits counted in the hour it runs. A region's price ($/MWh) and carbon (gCO₂/kWh), in its colour "
               "and tooltip, are its means at that hour. More of the hourly model is on the Time page."
               + (" It has no shadow prices: a full region is grey, not coloured by what new capacity is worth."
                  if colour_by == "capacity_value" else ""))
with st.container(key="explorer_map"):
    for name, (map_deck, height_px) in zip(("wide", "narrow"), view.decks):
        with st.container(key=f"explorer_map_{name}"):
            st.pydeck_chart(map_deck, height=height_px, alt=view.description)
st.markdown(view.legend_html, unsafe_allow_html=True)
st.caption(view.description)
if view.hidden_note:
    st.caption(view.hidden_note)
st.segmented_control(
    "Colour regions by", list(worldmap.COLOUR_BY), format_func=worldmap.COLOUR_BY.get, default="price",
    key="explorer_colour_by",
    help="Fill of each region's disc: its energy price ($/MWh), its grid carbon intensity on the chosen "
         "signal (gCO₂/kWh), or where new capacity pays: the capacity shadow price of a full region "
         "($ a year that one more MW there would save).")
st.pills("Arcs for", sc.workload_ids, selection_mode="multi", default=sc.workload_ids,
         format_func=wl_names.get, key=ARCS_KEY,
         help="Which workload classes' relocated demand the corridors carry (colour = a corridor's "
              "main class).")

# --- the rest, one click away -----------------------------------------------------------------------
numbers_tab, binds_tab, placement_tab = st.tabs(["More numbers", "What binds", "Placement"],
                                                key="explorer_tab", on_change="rerun")
with binds_tab:
    if binds_tab.open is not False:          # re-solves: only while the tab is open
        values = state.latency_value_df()
        st.markdown(binding_sentence(full, values, hours, names, wl_names))
        left, right = st.columns(2)
        left.markdown("**Full regions** (capacity shadow price: what one more MW there would save)")
        if full.empty:
            left.markdown("No region is full." if sc.frictions.capacity else "Capacity limits are switched off.")
        elif len(full) > FULL_LISTED:
            left.caption(f"{len(full):,} full regions, the most valuable first.")
            left.dataframe(full_regions_table(full), hide_index=True, height=min(420, 38 + 35 * len(full)),
                           column_config={
                               "Region": st.column_config.TextColumn("Region", width="medium"),
                               "Load (MW)": st.column_config.NumberColumn("Load (MW)", format="%.1f"),
                               "Capacity (MW)": st.column_config.NumberColumn("Capacity (MW)", format="%.1f"),
                               "Shadow price ($ per MW-year)": st.column_config.NumberColumn(
                                   "Shadow price ($ per MW-year)", format="%.0f",
                                   help="What one more MW of capacity there would save in a year")})
        else:
            left.markdown("\n".join(
                f"- {names.get(r.node, r.node)}: {fmt_mw(r.load_mw)} of {fmt_mw(r.capacity_mw)}, "
                f"{fmt_usd(r.capacity_shadow_usd_per_mw_year)} per MW-year"
                + ("" if hours == 8760 else f" ({fmt_usd(r.capacity_shadow_usd_per_mw)} over the period)")
                for r in full.itertuples()))
        frictions = state.binding_frictions_df().set_index("friction")
        right.markdown("**Frictions** (one binds when switching it off alone would lower the objective)")
        right.markdown("\n".join(
            f"- {FRICTION_WORDS[f].capitalize()}: "
            + ("off" if f not in frictions.index else
               "binds: switching it off would lower the objective by "
               f"{fmt_usd(frictions.at[f, 'cost_usd_of_friction'])} {when}"
               if frictions.at[f, "binds"] else "on, does not bind")
            for f in frictions_shown(sc)))
        held = capacity_holds_back(values)
        right.markdown(f"**The next {fmt_ms(LATENCY_STEP_MS)}** per class at the current setting (a re-solve with "
                       "that class's budget alone raised; value = the objective saved)")
        right.markdown("\n".join(
            f"- +{fmt_ms(r.step_ms)} on {wl_names[r.workload]} ({fmt_ms(r.budget_ms)} now): {fmt_usd(r.value_usd)} {when}"
            + (f"; with capacity unlimited {fmt_usd(r.value_without_capacity_usd)}" if held.get(r.workload, False) else "")
            for r in values.itertuples()))
    else:
        st.caption("Open this tab to see the full regions, the binding frictions and what more latency budget is worth.")

with numbers_tab:
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Energy cost", fmt_usd(h["cost_usd"]), border=True,
              help=f"Facility energy bought plus egress and migration fees {when} ($).")
    c2.metric("Local cost", fmt_usd(h["local_cost_usd"]), border=True,
              help=f"The same with every budget 0 ms: all work at home ($ {when}).")
    c3.metric("Relocatable (RID)", fmt_pct(h["rid"]), border=True,
              help="RID: share of demand (by MW) whose mask allows at least one other region with a strictly "
                   "lower unit cost than home (energy, carbon price and transfer per MWh).")
    c4.metric("Unserved demand", fmt_mw(h["unserved_mw"]), border=True,
              help="MW of demand no allowed region can take (penalised in the objective).")
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("CO₂, average", fmt_t(h["emissions_avg_t"]), border=True,
              help=f"tCO₂ {when} with each region's average grid intensity (the grid mix).")
    c2.metric("CO₂, marginal", fmt_t(h["emissions_marginal_t"]), border=True,
              help=f"tCO₂ {when} with each region's marginal intensity (what one more MWh emits; assumed).")
    c3.metric("Local CO₂, average", fmt_t(h["local_emissions_avg_t"]), border=True,
              help=f"The local baseline's tCO₂ {when}, average intensity.")
    c4.metric("Local CO₂, marginal", fmt_t(h["local_emissions_marginal_t"]), border=True,
              help=f"The local baseline's tCO₂ {when}, marginal intensity (assumed).")
    st.caption(f"The objective prices carbon on the **{signal}** signal. What more latency is worth per class is "
               "under What binds; the frontier of every budget is on the Frontier page.")

with placement_tab:
    if placement_tab.open is not False:           # a table of every flow: only while the tab is open
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
    else:
        st.caption("Open this tab to see every flow of the placement.")
