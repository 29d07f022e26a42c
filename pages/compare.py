"""Compare: the current scenario (B) beside a pinned one (A): headline deltas, the corridors whose
flow changed on a world map, both frontiers overlaid and both friction waterfalls."""
from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core.binding import full_regions
from core.compare import (CHANGE_TOL_MW, changed_flows, comparison_sentence, difference_lines, frontier_overlay,
                          headline_deltas, waterfall_pair, waterfall_range_usd)
from core.frontier_view import frontier_kind_words, step_rows
from core.map_groups import MAX_CORRIDORS
from core.scenario import Scenario
from core.solution import Solution
from pages.common import charts, prose, state, worldmap
from pages.common.compare_view import DELTA_HEADER, FORMATS, change_text, delta_rows, unit_words
from pages.common.datafiles import world_outline
from pages.common.theme import BLACK, BLUE, ORANGE, fmt_mw, fmt_ms, hex_to_rgb, style

MAP_PX = 760
MORE_RGB, LESS_RGB = hex_to_rgb(BLUE), hex_to_rgb(ORANGE)      # more / less IT power in B than in A
DISC_RGBA = [205, 207, 212, 230]                               # regions in one neutral grey: the arcs carry the news
DIFFERENCES_LISTED = 6
# metric delta colours: green when B is better for the quantity, red when worse ("off": neither)
DELTA_COLOURS = {"cost_usd": "inverse", "savings_usd": "normal", "emissions_avg_t": "inverse",
                 "emissions_marginal_t": "inverse", "relocated_share": "off", "unserved_mw": "inverse"}
OVERLAY_VIEWS = {  # frontier column: (what the control says, axis title without the period, scale)
    "savings_usd": ("Savings", "Savings against running at home ($ {period})", 1.0),
    "carbon_savings_avg_t": ("Carbon, average signal", "Carbon savings, average signal (tCO2 {period})", 1.0),
    "carbon_savings_marginal_t": ("Carbon, marginal signal", "Carbon savings, marginal signal (tCO2 {period})", 1.0),
    "relocated_share": ("Demand moved", "Share of demand relocated (%)", 100.0),
}


def scenario_words(scenario_id: str, sc: Scenario, relax: float) -> str:
    """A scenario's name, the shipped one it starts from when its name is another, and its relaxation."""
    entry = state.scenario_catalogue().get(scenario_id)
    text = sc.name + ("" if entry is None or entry.name == sc.name else f" (from “{entry.name}”)")
    return text + (f", every budget + {fmt_ms(relax)}" if relax else "")


def change_arcs(flows: pd.DataFrame, nodes: pd.DataFrame, groups: worldmap.MapGroups) -> pd.DataFrame:
    """The corridors of B's map whose flow changed, as :func:`pages.common.worldmap.deck` draws
    arcs: ``flows`` (:func:`core.compare.changed_flows`, summed over classes) between B's map
    markers ``nodes`` (:func:`~pages.common.worldmap.markers`; co-located regions one marker,
    ``groups``), largest change first; ``mw`` is the signed change B − A [MW] (blue: more in B,
    orange: less). Flows with an end that B does not have are left out."""
    cols = ["service", "compute", "mw", "mw_a", "mw_b", "src", "dst", "source_colour", "target_colour", "width",
            "tip", "label_position"]
    marker_of = groups.marker_of
    f = flows[flows["service"].isin(marker_of.keys()) & flows["compute"].isin(marker_of.keys())]
    f = f.assign(service=f["service"].map(marker_of), compute=f["compute"].map(marker_of))
    f = f[f["service"] != f["compute"]].groupby(["service", "compute"], as_index=False)[
        ["mw_a", "mw_b", "change_mw"]].sum()
    f = f[f["change_mw"].abs() > CHANGE_TOL_MW]
    if f.empty:
        return pd.DataFrame(columns=cols)
    f = f.assign(size=f["change_mw"].abs()).sort_values("size", ascending=False, ignore_index=True)
    at = nodes.set_index("id")
    top = float(f["size"].iloc[0])
    rows = []
    for s, r, a_mw, b_mw, change in zip(f["service"], f["compute"], f["mw_a"], f["mw_b"], f["change_mw"]):
        src = [float(at.at[s, "lon"]), float(at.at[s, "lat"])]
        dst = [float(worldmap.short_way_lon(src[0], float(at.at[r, "lon"]))), float(at.at[r, "lat"])]
        rgb = MORE_RGB if change > 0 else LESS_RGB
        rows.append({
            "service": s, "compute": r, "mw": float(change), "mw_a": float(a_mw), "mw_b": float(b_mw),
            "src": src, "dst": dst, "source_colour": rgb + [worldmap.ARC_ALPHA[0]],
            "target_colour": rgb + [worldmap.ARC_ALPHA[1]], "width": 1.0 + 6.0 * math.sqrt(abs(change) / top),
            "tip": "\n".join([f"{at.at[s, 'name']} → {at.at[r, 'name']}",
                              f"A {fmt_mw(a_mw)}, B {fmt_mw(b_mw)}",
                              f"{'More' if change > 0 else 'Less'} in B: {fmt_mw(abs(change))}"]),
            "label_position": worldmap.arc_label_position(src, dst)})
    return pd.DataFrame(rows, columns=cols)


@st.cache_data(max_entries=8, show_spinner=False)
def change_map(a_key: tuple, b_key: tuple, _sc: Scenario, _sol: Solution,
               _flows: pd.DataFrame) -> tuple[state.SerializedDeck, int, int, int]:
    """B's world map with the corridors whose flow changed from A: (deck, height px, corridors
    drawn, changed corridors between B's map markers), built once per pair of results (keys: each
    scenario's cache key and relaxation)."""
    groups, cut, full = worldmap.node_groups(_sc), worldmap.map_layout(_sc, _sol), full_regions(_sol)
    nodes = worldmap.markers(_sc, _sol, "price", cut, full, groups)
    nodes = nodes.assign(fill=[DISC_RGBA] * len(nodes))
    arcs = change_arcs(_flows, nodes, groups)
    frame = worldmap.map_frame(_sc, _sol, MAP_PX, cut_lon=cut, nodes=nodes, arcs=arcs)
    if frame.cut_lon != cut:                      # the window turned by a whole turn
        nodes, arcs = worldmap.turned(nodes, arcs, frame.cut_lon - cut)
    deck = worldmap.deck(_sc, _sol, world_outline(), "price", MAP_PX, None, frame, nodes=nodes, arcs=arcs,
                         full=full, groups=groups)
    tip = deck._tooltip if isinstance(deck._tooltip, dict) else None
    return state.SerializedDeck(deck.to_json(), tip), frame.height_px, min(len(arcs), MAX_CORRIDORS), len(arcs)


def overlay_figure(overlay: pd.DataFrame, column: str, *, period: str, labels: dict[str, str],
                   x_max_ms: float) -> go.Figure:
    """Both uniform frontiers of :func:`core.compare.frontier_overlay` as step lines against the
    latency budget [ms]: A dashed black, B solid blue; ``column`` on the vertical axis."""
    _, title, scale = OVERLAY_VIEWS[column]
    fig = go.Figure()
    for name, colour, dash in (("A", BLACK, "dash"), ("B", BLUE, "solid")):
        d = charts.step_extended(overlay[overlay["scenario"] == name], x_max_ms)
        unit = "%" if column == "relocated_share" else " tCO2" if column.startswith("carbon") else ""
        value = "$%{y:,.0f}" if column == "savings_usd" else "%{y:,.1f}" + unit
        fig.add_trace(go.Scatter(x=d["budget_ms"], y=scale * d[column], mode="lines", line_shape="hv",
                                 name=labels[name], line=dict(color=colour, dash=dash, width=3 if name == "B" else 2),
                                 hovertemplate=f"%{{x:.1f}} ms: {value}<extra>{name}</extra>"))
    fig.update_xaxes(title_text="Latency budget of every class (ms of extra round trip)", range=[0, x_max_ms])
    fig.update_yaxes(title_text=title.format(period=period), tickprefix="$" if column == "savings_usd" else None)
    style(fig, 420)
    fig.update_layout(hovermode="x unified", legend=dict(orientation="h", y=1.12), margin=dict(t=40))
    return fig


st.title("Compare two scenarios")
a = state.pinned()
if a is None:
    st.write("Pin the current scenario as **A**, then change anything: a setting in the sidebar, a value on the "
             "Data page, another shipped scenario. This page then shows the current scenario, **B**, beside A: the "
             "headline numbers and their changes, the corridors whose flow changed, both frontiers and both "
             "friction waterfalls. The link in the address bar carries both scenarios.")
    st.button("Pin current as A", key="compare_pin", on_click=state.pin_current, type="primary",
              icon=":material/push_pin:")
else:
    sc_b, relax_b = state.current_scenario(), state.relax_ms()
    label_a = scenario_words(a.scenario_id, a.scenario, a.relax_ms)
    label_b = scenario_words(state.scenario_id(), sc_b, relax_b)
    labels = {"A": f"A: {label_a}", "B": f"B: {label_b}"}
    pin, swap, unpin = st.columns(3)
    pin.button("Pin current as A", key="compare_pin", on_click=state.pin_current, icon=":material/push_pin:",
               width="stretch", help="Replace A with the current scenario (then B starts equal to A).")
    swap.button("Swap A and B", key="compare_swap", on_click=state.swap_pinned, icon=":material/swap_horiz:",
                width="stretch", help="Make A the current scenario (the sidebar shows it); pin the current one as A.")
    unpin.button("Unpin A", key="compare_unpin", on_click=state.unpin, icon=":material/close:", width="stretch",
                 help="Forget A; the current scenario stays.")
    differences = difference_lines(a.scenario, a.relax_ms, sc_b, relax_b)
    st.markdown(f"**A** is {prose.escape(label_a)}. **B**, the current scenario, is {prose.escape(label_b)}.")
    if state.structure(a.scenario) != state.structure(sc_b):
        st.caption(prose.escape(
            f"A has {len(a.scenario.nodes)} regions and {len(a.scenario.workloads)} workload classes, B "
            f"{len(sc_b.nodes)} and {len(sc_b.workloads)}: each is solved with its own model; flows are compared by "
            "region id, and a region only one of them has carries nothing in the other."))
    if not differences:
        st.info("B is still the same as A. Change a setting in the sidebar, a value on the Data page or the "
                "scenario, and this page shows what it changes.", icon=":material/info:")
    else:
        shown_lines = "; ".join(differences[:DIFFERENCES_LISTED])
        more = len(differences) - DIFFERENCES_LISTED
        st.caption(prose.escape(f"How B differs from A: {shown_lines}" + (f"; and {more} more" if more > 0 else "")
                                + "."))
    if a.scenario.period_hours != sc_b.period_hours:
        st.warning(f"A adds up over {a.scenario.period_hours:,.0f} h and B over {sc_b.period_hours:,.0f} h: their "
                   "dollars and tonnes are totals over different periods.", icon=":material/warning:")
    period = charts.period_label(sc_b.period_hours)

    with state.computing("Solving scenario A and scenario B…"):
        h_a, h_b = state.pinned_headline(), state.headline()
        sol_a, sol_b = state.pinned_solution(), state.solution()
    deltas = headline_deltas(h_a, h_b)

    # --- headline deltas --------------------------------------------------------------------------
    st.subheader("Headline numbers: B and its change from A")
    prose.sentence(comparison_sentence(deltas, sc_b.period_hours))
    for row_of in (deltas.iloc[:3], deltas.iloc[3:]):
        for col, r in zip(st.columns(3), row_of.itertuples()):
            same = r.direction == "same"
            col.metric(f"{r.label} ({unit_words(r.unit, period)})", FORMATS[r.unit](r.b),
                       "same as A" if same else change_text(r), delta_color="off" if same else DELTA_COLOURS[r.key],
                       delta_arrow="off" if same else "auto", border=True,
                       help=prose.escape(f"B's value; below it B − A (A: {FORMATS[r.unit](r.a)})."))
    st.dataframe(pd.DataFrame(delta_rows(deltas, period), columns=list(DELTA_HEADER)), hide_index=True,
                 width="stretch", key="compare_deltas")
    st.caption(prose.escape(
        f"Dollars and tonnes {period}; savings against each scenario's own local baseline (every request at its "
        "home region). Emissions on both carbon signals; every marginal intensity is an assumption. "
        + prose.SOURCE))

    # --- the corridors that changed -----------------------------------------------------------------
    st.subheader("Where the flows changed")
    by_class = st.toggle("Per workload class", value=False, key="compare_by_class",
                         help="Off: each corridor summed over the classes (what the map draws). On: one row per "
                              "corridor and class.")
    corridors = changed_flows(sol_a.placement, sol_b.placement, per_workload=False)
    if corridors.empty:
        st.markdown("No relocated flow changed by more than "
                    f"{fmt_mw(CHANGE_TOL_MW)}: the work runs where it ran in A.")
    else:
        a_key, b_key = (state.pinned_key(), a.relax_ms), (state.scenario_key(), relax_b)
        deck, height, drawn, between = change_map(a_key, b_key, sc_b, sol_b, corridors)
        more = corridors[corridors["change_mw"] > 0]
        less = corridors[corridors["change_mw"] < 0]
        description = (f"Map of scenario B's regions with the {len(corridors)} corridor"
                       f"{'s' if len(corridors) != 1 else ''} whose relocated IT power changed from A: "
                       f"{len(more)} carry more in B ({fmt_mw(more['change_mw'].sum())} in all), {len(less)} "
                       f"less ({fmt_mw(-less['change_mw'].sum())}).")
        st.pydeck_chart(deck, height=height, key="compare_map")
        st.markdown(
            "<div style='font-size:0.85rem;line-height:1.9;color:#3d3d47'>"
            f"<span style='display:inline-block;width:18px;height:4px;background:{BLUE};vertical-align:middle'>"
            "</span> more IT power in B than in A &nbsp; "
            f"<span style='display:inline-block;width:18px;height:4px;background:{ORANGE};vertical-align:middle'>"
            "</span> less in B · width ∝ the change (MW), faint where the requests enter and solid where they run "
            "· discs: B's regions (area = capacity, dark ring = demand)</div>", unsafe_allow_html=True)
        st.caption(prose.escape(description))
        missing = len(corridors) - int((corridors["service"].isin(sc_b.node_ids)
                                        & corridors["compute"].isin(sc_b.node_ids)).sum())
        notes = []
        if between > drawn:
            notes.append(f"the map draws the {drawn} largest of the {between:,} changed corridors between its discs "
                         "(co-located regions share one); the others are in the table only")
        if missing:
            notes.append(f"{missing} changed corridor{'s' if missing != 1 else ''} end at a region B does not "
                         "have: in the table only")
        if notes:
            text = "; ".join(notes)
            st.caption(prose.escape(text[:1].upper() + text[1:] + "."))
        flows = changed_flows(sol_a.placement, sol_b.placement, per_workload=by_class)
        names = {n.id: n.name or n.id for n in a.scenario.nodes} | {n.id: n.name or n.id for n in sc_b.nodes}
        wl_names = {w.id: w.name or w.id for w in a.scenario.workloads} | {w.id: w.name or w.id for w in sc_b.workloads}
        table = pd.DataFrame({"From (service)": flows["service"].map(names).fillna(flows["service"]),
                              "To (compute)": flows["compute"].map(names).fillna(flows["compute"])})
        if by_class:
            table["Workload class"] = flows["workload"].map(wl_names).fillna(flows["workload"])
        table = table.assign(**{"A (MW)": flows["mw_a"], "B (MW)": flows["mw_b"], "B − A (MW)": flows["change_mw"]})
        nc = st.column_config.NumberColumn
        st.dataframe(table, hide_index=True, width="stretch", height=min(420, 38 + 35 * len(table)),
                     key="compare_flows", column_config={
                         "A (MW)": nc(format="%.1f", help="Relocated IT power of this flow in A"),
                         "B (MW)": nc(format="%.1f", help="Relocated IT power of this flow in B"),
                         "B − A (MW)": nc(format="%+.1f", help="Positive: more work takes this corridor in B")})
        st.caption(prose.escape(
            f"{len(flows):,} flow{'s' if len(flows) != 1 else ''} away from home changed by more than "
            f"{fmt_mw(CHANGE_TOL_MW)} (a tolerance far above the solver's rounding, far below a flow worth "
            "drawing); work at home is not listed."))

    # --- frontiers overlaid -------------------------------------------------------------------------
    st.subheader("Both frontiers")
    coarse_b = state.draws_coarse_first()
    front_b = state.quick_frontier_df() if coarse_b else state.exact_frontier_df(text="Solving B's frontier")
    coarse_a = state.pinned_frontier_coarse()
    with state.progress_bar("Solving A's frontier") as update:
        front_a = state.pinned_frontier_df(progress=update)
    overlay = frontier_overlay(step_rows(front_a), step_rows(front_b))
    column = st.segmented_control("Show", list(OVERLAY_VIEWS), default="savings_usd", key="compare_frontier_view",
                                  format_func=lambda c: OVERLAY_VIEWS[c][0]) or "savings_usd"
    charts.show(overlay_figure(overlay, column, period=period, labels=labels,
                               x_max_ms=charts.x_max_for(overlay)), key="compare_frontiers")
    kind_a = (f"exact at {len(front_a)} budgets evenly spaced to its last breakpoint, not at each of its "
              f"{state.pinned_breakpoint_count():,} breakpoints (a scenario this large is solved at a few budgets "
              "here; between them its steps are not drawn)" if coarse_a
              else frontier_kind_words(len(front_a), True, len(front_a)).lower())
    kind_b = frontier_kind_words(len(front_b), not coarse_b, state.breakpoint_count()).lower()
    st.caption(prose.escape(
        "Every class's budget set to the same value in each scenario (the uniform relaxation of the Frontier "
        f"page). A: {kind_a}. B: {kind_b}."))

    # --- both waterfalls ----------------------------------------------------------------------------
    st.subheader("Both friction waterfalls")
    with state.computing("Solving the frictions of A and B…"):
        wf_a, wf_b = state.pinned_waterfall_df(), state.waterfall_df()
    y_range = waterfall_range_usd(waterfall_pair(wf_a, wf_b))
    for col, name, wf in zip(st.columns(2), ("A", "B"), (wf_a, wf_b)):
        with col:
            st.markdown(f"**{prose.escape(labels[name])}**")
            fig = charts.waterfall_figure(wf, period=period, height=400)
            fig.update_yaxes(range=list(y_range))
            charts.show(fig, key=f"compare_waterfall_{name}")
    st.caption(prose.escape(
        "Each bar is the saving against running at home with the frictions so far switched on, in each scenario's "
        "own order; a friction that is off in a scenario is no step of its waterfall. Both charts share one axis."))

    if coarse_b:
        state.finish_exact_frontier()
