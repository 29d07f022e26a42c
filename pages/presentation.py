"""Presentation: a few big numbers, plain sentences and three charts for a talk to policymakers,
readable at 1280×720, and the same view as one self-contained HTML file."""
from __future__ import annotations

import re

import streamlit as st

from core.narrative import friction_sentence, headline_sentence, layers_sentence, relaxation_sentence
from core.presentation_export import BigNumber, Presentation, Slide, presentation_html
from pages.common import charts, prose, state
from pages.common.theme import fmt_ms, fmt_pct, fmt_t, fmt_usd

st.html("""<style>
[data-testid="stMetricValue"], [data-testid="stMetricValue"] > div {font-size: 2.5rem !important; font-weight: 700;}
[data-testid="stMetricLabel"] p {font-size: 1.05rem !important;}
</style>""")
FULL_SCREEN_CSS = """<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"] {display: none !important;}
[data-testid="stMainBlockContainer"] {padding-left: 3rem; padding-right: 3rem;}
</style>"""
if st.session_state.get("pres_full_screen", True):
    st.html(FULL_SCREEN_CSS)

sc = state.current_scenario()
inp = state.current_inputs()
names = {w.id: w.name or w.id for w in sc.workloads}
period = charts.period_label(sc.period_hours)

with st.spinner("Solving the frontier and the frictions…"):
    h = state.headline()
    frontier = state.frontier_df()
    wf = state.waterfall_df()
    layers = state.layers_df()

last_ms = float(frontier["budget_ms"].iloc[-1])
low, high = float(min(inp.budget_ms)), float(min(max(inp.budget_ms), last_ms))
if high <= low:
    low, high = 0.0, max(low, last_ms)
from_ms = float(st.session_state.get("pres_from", low))
to_ms = float(st.session_state.get("pres_to", high))

potential = float(wf["savings_usd"].iloc[0])
kept = float(wf["savings_usd"].iloc[-1]) / potential if potential > 0 else float("nan")
numbers = [
    BigNumber(f"Savings ($ {period})", fmt_usd(h["savings_usd"]),
              f"{fmt_pct(h['savings_usd'] / h['local_cost_usd'], 0)} of the cost of running at home"
              if h["local_cost_usd"] > 0 else ""),
    BigNumber(f"Carbon avoided (tCO2 {period})", fmt_t(h["carbon_savings_t"]),
              f"on the {inp.carbon_signal} grid intensity")
    if h["carbon_savings_t"] >= 0 else
    BigNumber(f"Extra emissions (tCO2 {period})", fmt_t(-h["carbon_savings_t"]),
              f"on the {inp.carbon_signal} grid intensity: cheaper power is dirtier here"),
    BigNumber("Demand moved (% of total)", fmt_pct(h["relocated_share"], 0),
              f"{fmt_pct(h['rid'], 0)} could gain by moving (RID)"),
    BigNumber("Saving kept by frictions (%)", fmt_pct(kept, 0),
              f"of a {fmt_usd(potential)} potential"),
]
sentences = [headline_sentence(h, sc.period_hours, inp.carbon_signal)]
x_max = charts.x_max_for(frontier)
slides = [
    Slide("Latency buys savings", relaxation_sentence(frontier, from_ms, to_ms, sc.period_hours),
          charts.presentation_style(charts.savings_frontier_figure(frontier, period=period, x_max_ms=x_max))),
    Slide("Frictions take a share", friction_sentence(wf),
          charts.presentation_style(charts.waterfall_figure(wf, period=period))),
    Slide("Workloads sort into layers", layers_sentence(layers, inp.regional_ms, names),
          charts.presentation_style(charts.layers_share_figure(layers, sc.workload_ids, names),
                                    height=max(300, 110 + 60 * len(sc.workload_ids)))),
]
budgets = ", ".join(f"{names[w]} {fmt_ms(b)}" for w, b in zip(sc.workload_ids, inp.budget_ms))
talk = Presentation(
    title="AI inference as relocatable electricity demand",
    subtitle=f"{sc.name}: {len(sc.nodes)} regions, {len(sc.workloads)} workload classes, "
             f"{h['demand_mw']:,.0f} MW of inference. Latency budgets: {budgets}.",
    numbers=numbers, sentences=sentences, slides=slides,
    footnotes=[f"Energy–Latency Frontier Explorer. Savings and emissions are {period} against running every "
               "request at its home region (latency budget 0 ms); the frontier relaxes every class's budget "
               "together. Frictions are switched on one after another: egress, migration, state locality, "
               "data residency, capacity. Numbers computed by the placement model from the scenario's data; "
               "definitions in the project's model reference."])

st.title(talk.title)
prose.sentence(talk.subtitle, big=True, muted=True)
for col, n in zip(st.columns(len(numbers)), numbers):
    col.metric(n.label, n.value)
    with col:
        prose.sentence(n.note, muted=True)
prose.sentence(talk.sentences[0], big=True)
for i, slide in enumerate(slides):
    st.subheader(slide.heading)
    prose.sentence(slide.sentence, big=True)
    st.plotly_chart(slide.figure, theme=None, width="stretch", key=f"pres_chart_{i}")
st.caption(prose.escape(talk.footnotes[0] + " Data sources on the Data page."))

with st.expander("Adjust the talk"):
    st.toggle("Full screen: hide the sidebar", value=True, key="pres_full_screen",
              help="For a projector. Switch off to get the navigation and the scenario settings back.")
    a, b = st.columns(2)
    a.number_input("Compare uniform budgets from (ms)", 0.0, 1e5, low, step=5.0, key="pres_from")
    b.number_input("…to (ms)", 0.0, 1e5, high, step=5.0, key="pres_to")

slug = re.sub(r"[^a-z0-9]+", "-", sc.name.lower()).strip("-") or "scenario"
st.download_button("Download this view as one HTML file", data=presentation_html(talk),
                   file_name=f"elf-presentation-{slug}.html", mime="text/html", icon=":material/download:",
                   key="pres_download", help="Self-contained: plotly.js is inside the file; it opens offline.")
