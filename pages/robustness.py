"""Robustness: how sure the answer is. Draws the uncertain inputs from their ranges (a seeded
Latin hypercube, docs/model.md "Uncertainty sweeps"), solves every draw on request, and shows the
distributions of savings and carbon, the frontier as a band, each corridor's share of draws, the
probability that a chosen pair's relocation pays, and the inputs the savings hang on (Spearman
rank correlation: why, in core/robustness.py)."""
from __future__ import annotations

import time

import streamlit as st

from core.binding import full_regions
from core.distributed import SchedulerUnreachable, local_workers
from core.map_groups import MAX_CORRIDORS
from core.narrative import period_words
from core.robustness import (band_budgets_ms, corridor_shares, design_words, distributions, inputs_sentence,
                             pair_outcomes, pair_probability, progress_words, quantile_table, rho_noise,
                             robustness_sentence, carbon_sentence, sensitivity)
from core.sweep import IN_PROCESS, LOCAL_CLUSTER_MIN_DRAWS, OUTPUTS
from core.uncertainty import uncertain_inputs
from pages.common import charts, datafiles, prose, state, worldmap
from pages.common.robustness_charts import (distributions_figure, frontier_band_figure, share_arcs,
                                            share_legend_html, tornado_figure)
from pages.common.theme import fmt_pct, fmt_usd, fmt_usd_per_mwh

DRAW_CHOICES = (20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000)
DEFAULT_DRAWS, DEFAULT_SEED, TOP_INPUTS, MAP_PX = 200, 1, 10, 760

sc = state.current_scenario()
hours = sc.period_hours
when = period_words(hours)
period = charts.period_label(hours)
names = {n.id: n.name or n.id for n in sc.nodes}
wl_names = {w.id: w.name or w.id for w in sc.workloads}

st.title("How sure is the answer")
st.write("Every number on the other pages is one answer from one set of inputs, and most inputs are estimates or "
         "assumptions. Here the uncertain inputs are drawn many times from their ranges, every draw is solved "
         "again, and the page shows how far the answer moves and what it hangs on.")
if sc.time is not None:
    st.info("This scenario has a time block: a sweep solves the single-period model. Remove the time block on the "
            "Data page to sweep it.")
    st.stop()
swept = state.sweep_scenario()
inputs = state.memo("robustness_inputs", (swept,), lambda: uncertain_inputs(swept))
if not inputs:
    st.info("This scenario has no uncertain inputs: its values are not the shipped data's, so they carry no "
            "documented range. Give ranges in the Uncertainty ranges table of the Data page.")
    st.page_link("pages/data.py", label="Give ranges on the Data page", icon=":material/table:")
    st.stop()
prose.sentence(inputs_sentence(inputs))
st.page_link("pages/data.py", label="See and edit every range on the Data page", icon=":material/table:")

# --- controls -----------------------------------------------------------------------------------
c_draws, c_seed, c_band, c_run, c_cancel = st.columns([2, 1, 2, 1, 1], vertical_alignment="bottom")
draws = c_draws.selectbox("Draws", DRAW_CHOICES, index=DRAW_CHOICES.index(DEFAULT_DRAWS), key="robustness_draws",
                          format_func=lambda n: f"{n:,}",
                          help=f"How many scenarios to draw and solve. Below {LOCAL_CLUSTER_MIN_DRAWS:,} draws the "
                               f"sweep runs in this server process; from {LOCAL_CLUSTER_MIN_DRAWS:,} on, on a Dask "
                               f"cluster ({local_workers()} worker processes on this machine, or the scheduler the "
                               "server was given).")
seed = int(c_seed.number_input("Seed", min_value=0, value=DEFAULT_SEED, step=1, key="robustness_seed",
                               help="The same scenario, draws and seed give the same draws, here, on the CLI "
                                    "(python -m core sweep) or on a cluster."))
band = c_band.toggle("Frontier band", value=True, key="robustness_band",
                     help="Also solve every draw's frontier at 8 budgets (0 ms to the largest useful budget). "
                          "Measured on the default scenario: the sweep takes about 1.6× as long.")
run = c_run.button("Run", type="primary", icon=":material/play_arrow:", key="robustness_run", width="stretch")
c_cancel.button("Cancel", icon=":material/stop:", key="robustness_cancel", width="stretch",
                help="Stops a running sweep; the draws solved so far stay on the page.")
budgets = tuple(band_budgets_ms(state.max_useful_budget_ms())) if band else None
h = state.headline()

if run:
    progress_slot, live = st.empty(), st.empty()
    bar = progress_slot.progress(0.0, text=f"Solving {draws:,} draws…")
    started = time.perf_counter()

    shown, batches = [0.0], []

    def on_progress(share: float) -> None:
        shown[0] = share
        bar.progress(min(1.0, share), text=f"Solving {draws:,} draws: {100 * share:.0f}% done, "
                                           f"{time.perf_counter() - started:.0f} s")

    def on_batch(partial) -> None:
        batches.append(partial.n_draws)
        with live.container():
            st.caption(f"{partial.n_draws:,} of {partial.n_requested:,} draws solved; the distributions fill in "
                       "as batches finish.")
            charts.show(distributions_figure(distributions(partial), quantile_table(partial, h), period=period,
                                             signal=sc.objective.carbon_signal),
                        key=f"robustness_live_{len(batches)}")

    def tick() -> bool:
        """Asked between batches: redraws the elapsed time, so that a click on Cancel stops the run there."""
        on_progress(shown[0])
        return False

    try:
        state.sweep_result(draws, seed, budgets, progress=on_progress, on_batch=on_batch, cancelled=tick)
    except SchedulerUnreachable as exc:
        progress_slot.empty()
        st.error(f"The sweep could not start: {exc} (source: {exc.source}). Check the Dask scheduler, or unset "
                 "ELF_DASK_SCHEDULER to use a local cluster.")
        st.stop()
    st.session_state["robustness_elapsed"] = ((draws, seed, budgets),
                                              time.perf_counter() - started if batches else None)
    progress_slot.empty()
    live.empty()

record = state.session_sweep()
if record is None:
    st.info(f"Press Run to draw and solve {draws:,} scenarios (seed {seed}). The result is kept for everyone on "
            "this server: the same setting, draws and seed open at once.")
    st.stop()
result = record.result
if result is None:
    st.warning(f"Cancelled before the first batch of {record.request[0]:,} draws finished: nothing to show. "
               "Press Run to start again.", icon=":material/pause_circle:")
    st.stop()
n_done = result.n_draws
if not result.complete:
    st.warning(f"{progress_words(result)}: the page shows those {n_done:,} draws. Press Run for all "
               f"{result.n_requested:,}.", icon=":material/pause_circle:")
elif (draws, seed, budgets) != record.request and not run:
    st.caption(f"Shown: {record.request[0]:,} draws, seed {record.request[1]}. Press Run for {draws:,} draws, seed "
               f"{seed}{', with the frontier band' if band else ''}.")
timed = st.session_state.get("robustness_elapsed")
timing = ("" if not timed or timed[0] != record.request or not result.complete else
          f"; {n_done:,} draws took {timed[1]:.1f} s here, "
          + ("in this server process" if result.scheduler == IN_PROCESS else "on the server's Dask cluster")
          if timed[1] is not None else
          "; read from this server's cache of sweeps")

# --- the answer in words -------------------------------------------------------------------------
sens = state.memo("robustness_sensitivity", (result,), lambda: sensitivity(result, "savings_usd", top=None))
st.markdown(f"**{prose.escape(robustness_sentence(result, hours, sens))}**")
prose.sentence(carbon_sentence(result, hours))
q = quantile_table(result, h, ("savings_usd",)).iloc[0]
c1, c2, c3, c4 = st.columns(4)
c1.metric(f"Savings, p5 ($ {period})", fmt_usd(q["p5"]), border=True,
          help="5 % of the draws save less than this (against running every request at home).")
c2.metric(f"Savings, median ($ {period})", fmt_usd(q["p50"]), border=True, help="Half the draws save more.")
c3.metric(f"Savings, p95 ($ {period})", fmt_usd(q["p95"]), border=True, help="5 % of the draws save more than this.")
c4.metric(f"Undrawn setting ($ {period})", fmt_usd(h["savings_usd"]), border=True,
          help="Every input at its value in the scenario: the Explorer's savings.")
design = design_words(result)
st.caption(prose.escape(
    f"{design}. Each draw is solved with its own local baseline (every budget 0 ms) by "
    + ("the HiGHS LP" if result.engine == "highs" else "the model of record (CVXPY)")
    + timing
    + f". The undrawn setting is the Explorer's (every input at its value) and need not be the median: an input's "
      "effect on the savings need not be symmetric in its range."))

# --- distributions ---------------------------------------------------------------------------------
st.subheader("How far the answer moves")
quantiles = quantile_table(result, h)
charts.show(distributions_figure(distributions(result), quantiles, period=period, signal=sc.objective.carbon_signal),
            key="robustness_distributions")
st.caption(prose.escape(
    f"Histograms of {n_done:,} draws: savings against running every request at home, and the carbon saved on the "
    "average and the marginal signal (negative: relocation emits more than running at home). Dotted lines: p5 and "
    "p95 (90 % of the draws lie between them); dashed: the median; solid black: the undrawn setting. " + design
    + "."))

# --- what it hangs on ------------------------------------------------------------------------------
st.subheader("What the savings hang on")
if len(sens):
    top = sens.head(TOP_INPUTS)
    charts.show(tornado_figure(top, float(q["p50"]), period=period), key="robustness_tornado")
    st.caption(prose.escape(
        f"The {len(top)} inputs with the largest Spearman rank correlation ρ with the savings, over {n_done:,} draws "
        f"(scipy.stats.spearmanr). Each bar runs from the median savings over the draws in the input's lowest third "
        f"to the median over its highest third; blue: the savings rise with the input, orange: they fall. With "
        f"{n_done:,} draws of {len(inputs)} inputs, |ρ| up to {rho_noise(n_done, len(inputs)):.2f} can be noise (the "
        "largest of that many inputs without effect exceeds it in 5 % of sweeps): those bars are grey. Why "
        "ρ: the Latin hypercube draws every input independently, so ρ is each input's global, monotonic effect, "
        "signed, cheap for 10,000 draws, and with a known noise level; SALib's given-sample methods (Borgonovo's δ, "
        "PAWN, RBD-FAST) took 8 to 460 s on 200 draws here and ranked the same inputs first."))
else:
    st.caption("Too few draws for a sensitivity measure (at least 3, and savings that vary).")

# --- the frontier band -----------------------------------------------------------------------------
if result.frontier is not None and len(result.frontier):
    st.subheader("The frontier, drawn")
    fb = result.frontier_band("savings_usd")
    base = state.frontier_df(budgets=tuple(fb["budget_ms"]))
    charts.show(frontier_band_figure(fb, base[["budget_ms", "savings_usd"]], period=period),
                key="robustness_band_chart")
    st.caption(prose.escape(
        f"Savings when every class gets the same latency budget, at {len(fb)} budgets "
        f"({', '.join(f'{b:g}' for b in fb['budget_ms'])} ms), "
        f"in each of {n_done:,} draws: the band holds 90 % of the draws (p5 to p95), the line is the median, the "
        "dashed line the undrawn setting. Between these budgets the frontier steps; it is not drawn there."))

# --- the map --------------------------------------------------------------------------------------
st.subheader("Which corridors hold up")
sol = state.solution()


def share_map():
    groups = worldmap.node_groups(sc)
    cut, full = worldmap.map_layout(sc, sol), full_regions(sol)
    nodes = worldmap.markers(sc, sol, "price", cut, full, groups)
    shares = corridor_shares(result, groups.marker_of)
    marker_names = {m: groups.name(m, names) for m in nodes["id"]}
    arcs = share_arcs(shares.head(MAX_CORRIDORS), nodes, marker_names)
    frame = worldmap.map_frame(sc, sol, MAP_PX, cut_lon=cut, nodes=nodes, arcs=arcs)
    if frame.cut_lon != cut:
        nodes, arcs = worldmap.turned(nodes, arcs, frame.cut_lon - cut)
    deck = worldmap.deck(sc, sol, datafiles.world_geojson(), "price", MAP_PX, frame=frame, nodes=nodes, arcs=arcs,
                         full=full, groups=groups)
    return deck, frame.height_px, shares, marker_names


deck, height_px, shares, marker_names = state.memo("robustness_map", (result, sol), share_map)
always = int((shares["share"] >= 1).sum())
alt = (f"Map of {len(shares):,} corridors that carry flow in at least one of {n_done:,} draws; {always} in every draw"
       + ("; most often: " + ", ".join(f"{marker_names.get(s, s)} to {marker_names.get(r, r)} {fmt_pct(p, 0)}"
                                      for s, r, p in zip(shares["service"].head(3), shares["compute"].head(3),
                                                         shares["share"].head(3))) if len(shares) else "") + ".")
st.pydeck_chart(deck, height=height_px, alt=alt)
st.markdown(share_legend_html(), unsafe_allow_html=True)
st.caption(prose.escape(
    alt + f" A corridor's share is the share of the {n_done:,} draws whose optimum sends any class's work along it "
          f"(summed over classes); labels give the mean MW over every draw (0 where it carries none)."
    + (f" The map draws the {MAX_CORRIDORS} most frequent of {len(shares):,}." if len(shares) > MAX_CORRIDORS else "")))

# --- one pair ---------------------------------------------------------------------------------------
st.subheader("Does one pair's relocation pay?")
pairs = corridor_shares(result)
first = pairs.iloc[0] if len(pairs) else None
with_demand = [n for n in sc.node_ids if any(d.node == n and d.mw > 0 for d in sc.demand)] or list(sc.node_ids)
p_s, p_r, p_k = st.columns(3)
s_default = with_demand.index(first["service"]) if first is not None and first["service"] in with_demand else 0
service = p_s.selectbox("Requests enter at", with_demand, index=s_default, format_func=names.get,
                        key="robustness_service")
computes = [n for n in sc.node_ids if n != service]
r_default = (computes.index(first["compute"]) if first is not None and first["service"] == service
             and first["compute"] in computes else 0)
compute = p_r.selectbox("and run at", computes, index=r_default, format_func=names.get, key="robustness_compute")
demand_at = {w: sum(d.mw for d in sc.demand if d.node == service and d.workload == w) for w in sc.workload_ids}
k_default = sc.workload_ids.index(max(demand_at, key=demand_at.get))
workload = p_k.selectbox("for the class", sc.workload_ids, index=k_default, format_func=wl_names.get,
                         key="robustness_class")
try:
    odds = pair_probability(pair_outcomes(result, swept, service, compute, workload))
except ValueError as exc:
    st.info(f"Not computed for this sweep: {exc}.")
else:
    net = odds["net_benefit_usd_per_mwh"]
    m1, m2, m3 = st.columns(3)
    m1.metric("Relocation pays", fmt_pct(odds["pays_share"], 0), f"of {n_done:,} draws", delta_color="off",
              delta_arrow="off", border=True,
              help="Share of draws in which the arc is allowed (latency budget, residency, provider lock, capacity) "
                   "and running the class's work there costs less per MWh than at home, carbon price and transfer "
                   "included.")
    m2.metric("The optimum uses the pair", fmt_pct(odds["flow_share"], 0), f"of {n_done:,} draws", delta_color="off",
              delta_arrow="off", border=True,
              help="Share of draws whose optimal placement sends any class's work from the first region to the "
                   "second (it may pay and still not be used: capacity, or a cheaper destination).")
    m3.metric("Net benefit, p5 to p95 ($/MWh)", f"{fmt_usd_per_mwh(net['p5'])} to {fmt_usd_per_mwh(net['p95'])}",
              f"median {fmt_usd_per_mwh(net['p50'])}", delta_color="off", delta_arrow="off", border=True,
              help="Unit objective at home minus at the other region, per MWh of IT energy, in each draw.")
    st.caption(prose.escape(
        f"Pays: in a draw, the mask allows {names[service]} → {names[compute]} for {wl_names[workload]} and the "
        "break-even condition holds: PUEₛ·(pₛ + τ·cₛ/1000) − PUEᵣ·(1 + ω)·(pᵣ + τ·cᵣ/1000) − (g·e + φ) > 0 "
        "$/MWh, "
        "computed from each draw's inputs with the frictions of the scenario (the Break-even page's condition, "
        f"without a solve). Allowed in {fmt_pct(odds['allowed_share'], 0)} of the draws."))

with st.expander("Every output's quantiles"):
    table = quantile_table(result, h, OUTPUTS)
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        "output": st.column_config.TextColumn("Output", help="$ for cost and savings, tCO2 for emissions, MW for "
                                                            "unserved demand, share 0..1 for relocated demand"),
        **{c: st.column_config.NumberColumn(c, format="%.4g") for c in ("mean", "p5", "p25", "p50", "p75", "p95",
                                                                          "base")}})
    st.caption(prose.escape(f"{design}. base: the undrawn setting. {prose.SOURCE}"))
