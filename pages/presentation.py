"""Presentation: a deck of 1280×720 slides for a talk to policymakers, every number from the
session's own settings (which a slide lists, with the link that reopens them), one slide at a
time with previous/next, and the same deck as one self-contained HTML file."""
from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from core.briefing import carbon_signals_sentence, data_basis_words, settings_rows
from core.compare import comparison_sentence, difference_lines, headline_deltas
from core.frontier_view import frontier_kind_words, step_rows
from core.narrative import (budget_savings_sentence, corridors_sentence, friction_sentence, frontier_value_at,
                            headline_sentence, layers_sentence, pct_words, settings_sentence, usd_words,
                            waterfall_order_sentence)
from core.presentation_export import (TABLE_CSS, BigNumber, Presentation, Slide, columns_table_html,
                                      corridor_map_figure, mark_savings, presentation_html, relocation_corridors,
                                      rows_table_html)
from core.robustness import (carbon_sentence, design_words, distributions, inputs_sentence, quantile_table,
                             robustness_sentence, sensitivity)
from core.scenario import frictions_shown
from pages.common import charts, datafiles, prose, state
from pages.common.robustness_charts import distributions_figure
from pages.common.compare_view import DELTA_HEADER, delta_rows
from pages.common.theme import fmt_ms, fmt_t, fmt_usd, style

CHART_PX = 410
st.html("""<style>
[data-testid="stMetricValue"], [data-testid="stMetricValue"] > div {font-size: 2.3rem !important; font-weight: 700;}
[data-testid="stMetricLabel"] p {font-size: 1rem !important;}
</style>""" + f"<style>{TABLE_CSS}</style>")
FULL_SCREEN_CSS = """<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"] {display: none !important;}
[data-testid="stMainBlockContainer"] {padding: 1rem 3rem 1rem 3rem !important;}
</style>"""
if st.session_state.get("pres_full_screen", True):
    st.html(FULL_SCREEN_CSS)

default, sc, relax = state.default_scenario(), state.current_scenario(), state.relax_ms()
inp = state.current_inputs()
names = {n.id: n.name or n.id for n in sc.nodes} | {w.id: w.name or w.id for w in sc.workloads}
period = charts.period_label(sc.period_hours)

coarse = state.draws_coarse_first()   # a large scenario: the frontier at a few budgets first (pages/frontier.py)
frontier = state.quick_frontier_df() if coarse else state.exact_frontier_df()
with state.computing("Solving the frictions and the layers…"):
    h = state.headline()
    wf = state.waterfall_df()
    layers = state.layers_df()
    corridors = relocation_corridors(state.solution().placement)

basis = state.data_basis_df()
words = {f: data_basis_words(basis, f) for f in ("price", "carbon_avg", "carbon_marginal", "pue", "capacity")}
off = [f for f in frictions_shown(sc) if not inp.friction(f)]
rows = settings_rows(default, sc, relax)
link = state.link_url()
settings_line = settings_sentence(inp.carbon_price_usd_per_t, inp.carbon_signal, off, relax)

last_ms = float(frontier["budget_ms"].iloc[-1])
low, high = float(min(inp.budget_ms)), float(min(max(inp.budget_ms), last_ms))
if high <= low:
    low, high = 0.0, max(low, last_ms)
uniform = sorted({float(st.session_state.get("pres_from", low)), float(st.session_state.get("pres_to", high))})


def emissions_number(signal: str) -> BigNumber:
    """The emissions change on one signal [tCO2] with its share of the local baseline's."""
    key = "avg" if signal == "average" else "marginal"
    change, local = -h[f"carbon_savings_{key}_t"], h[f"local_emissions_{key}_t"]
    share = (f"{pct_words(abs(change) / local)} {'lower' if change < 0 else 'higher'} than at home"
             if local > 0 and change != 0 else "the same as at home")
    priced = (f" (the signal priced at {usd_words(inp.carbon_price_usd_per_t)}/tCO2)" if signal == inp.carbon_signal
              else "")
    return BigNumber(f"CO₂ change, {signal} signal ({period})", ("+" if change > 0 else "") + fmt_t(change),
                     f"{share}{priced}; {words['carbon_avg' if key == 'avg' else 'carbon_marginal']}")


numbers = [   # shares as the sentences write them (core.narrative.pct_words), so a figure reads the same twice
    BigNumber(f"Savings ($ {period})", fmt_usd(h["savings_usd"]),
              (f"{pct_words(h['savings_usd'] / h['local_cost_usd'])} of the cost of running at home; "
               if h["local_cost_usd"] > 0 else "") + f"{words['price']}; {words['capacity']}"),
    emissions_number("average"),
    emissions_number("marginal"),
    BigNumber("Demand moved (% of IT load)", pct_words(h["relocated_share"]),
              f"{pct_words(h['rid'])} could gain by moving (RID); {words['capacity']}"),
]
budgets = ", ".join(f"{names[w]} {fmt_ms(b)}" for w, b in zip(sc.workload_ids, inp.budget_ms))
current_label = "today's per-class budgets" + (f" (each + {fmt_ms(relax)})" if relax else "")
world = datafiles.world_geojson()
nodes = pd.DataFrame([{"id": n.id, "name": n.name or n.id, "lon": n.lon, "lat": n.lat} for n in sc.nodes])
SOURCES = ("Each value of the default data carries its source and a flag (measured, estimate or assumption) on "
           "the Data page; uploaded or edited values count as not documented or as your edits.")
frontier_fig = charts.savings_frontier_figure(step_rows(frontier), period=period, x_max_ms=charts.x_max_for(frontier))
uniform_usd = [frontier_value_at(frontier, "savings_usd", b) for b in uniform]
marks = [(b, usd, f"{fmt_ms(b)}: {fmt_usd(usd)}") for b, usd in zip(uniform, uniform_usd)]
slides = [
    Slide("AI inference as relocatable electricity demand",
          [f"{sc.name}: {len(sc.nodes)} regions, {len(sc.workloads)} workload classes, {h['demand_mw']:,.0f} MW of "
           "inference IT load.", headline_sentence(h, sc.period_hours, inp.carbon_signal),
           carbon_signals_sentence(h), settings_line + " All settings on the next slide."],
          numbers=numbers),
    Slide("The settings behind every number", [settings_line], rows=rows, link=link,
          notes=[f"Latency budgets now: {budgets}. Savings and emissions are {period} against running every "
                 "request at its home region."] + ([] if link else [state.link_note() or "No link yet."])),
    Slide("What latency buys", [budget_savings_sentence(frontier, uniform, h["savings_usd"], sc.period_hours,
                                                        current_label)],
          figure=charts.presentation_style(mark_savings(frontier_fig, marks, h["savings_usd"],
                                                        f"{current_label}: {fmt_usd(h['savings_usd'])}"),
                                           height=CHART_PX),
          notes=["The curve gives every class the same budget; today's classes have different budgets, so "
                 "today's savings are not a point on it.",
                 frontier_kind_words(len(frontier), not coarse, state.breakpoint_count()) + "."]),
    Slide("Saving that survives frictions", [friction_sentence(wf, off)],
          figure=charts.presentation_style(charts.waterfall_figure(wf, period=period), height=CHART_PX),
          notes=["Each bar is the saving against running at home with the frictions so far switched on. "
                 + waterfall_order_sentence(list(wf["step"].iloc[1:]))
                 + " Another order splits the losses differently. The last bar is the saving on every other slide."]),
    Slide("Workloads sort into layers", [layers_sentence(layers, inp.regional_ms, names)],
          figure=charts.presentation_style(charts.layers_share_figure(layers, sc.workload_ids, names),
                                           height=min(CHART_PX, max(300, 110 + 60 * len(sc.workload_ids))))),
    Slide("Where the work moves", [corridors_sentence(corridors, names)],
          figure=charts.presentation_style(style(corridor_map_figure(nodes, corridors, world, height=CHART_PX)),
                                           height=CHART_PX, font_size=15),
          notes=["Lines follow the shorter great circle and end in an arrow at the region that runs the work; "
                 "width grows with the relocated IT power. Country outlines: Natural Earth (world-atlas)."]),
    Slide("Sources and settings", [settings_line, SOURCES],
          rows=[(w[:1].upper() + w[1:].partition(": ")[0], w.partition(": ")[2]) for w in words.values()],
          notes=["Rows: how the value of each region is known, region by region.",
                 "Model: Energy–Latency Frontier Explorer, after \"AI Inference as Relocatable Electricity Demand\" "
                 "(arXiv 2604.27855, 2026); definitions in its Model reference (docs/model.md in the project's repository, and a page of the app)."],
          link=link),
]
swept = state.session_sweep()   # a complete sweep of this setting, run on the Robustness page in this session
swept = swept if swept is not None and swept.result is not None and swept.result.complete else None
if swept is not None:            # after "What latency buys": how sure that answer is
    drawn = swept.result
    sens = state.memo("robustness_sensitivity", (drawn,), lambda: sensitivity(drawn, "savings_usd", top=None))
    slides.insert(3, Slide(
        "How sure is the answer", [robustness_sentence(drawn, sc.period_hours, sens),
                                   carbon_sentence(drawn, sc.period_hours)],
        figure=charts.presentation_style(distributions_figure(distributions(drawn, ("savings_usd",)),
                                                              quantile_table(drawn, h, ("savings_usd",)),
                                                              period=period), height=CHART_PX - 60),
        notes=[design_words(drawn) + "; sensitivity by Spearman rank correlation with the savings.",
               "Ranges: " + inputs_sentence(drawn.inputs)]))
pinned = state.pinned()
with_a = pinned is not None and st.session_state.get("pres_compare", False)
if with_a:   # the Compare page's scenario A: two slides after the settings, with A's settings as B's are given
    sc_a = pinned.scenario
    with state.computing("Solving scenario A…"):
        deltas = headline_deltas(state.pinned_headline(), h)
    differences = difference_lines(sc_a, pinned.relax_ms, sc, relax)
    off_a = [f for f in frictions_shown(sc_a) if not getattr(sc_a.frictions, f)]
    slides[2:2] = [
        Slide("Scenario B against scenario A",
              [comparison_sentence(deltas, sc.period_hours),
               f"A is {sc_a.name}; B, every other slide's scenario, is {sc.name}. B differs from A in: "
               + ("; ".join(differences) if differences else "nothing") + "."],
              table=[DELTA_HEADER, *delta_rows(deltas, period)],
              notes=["Each scenario's savings are against its own local baseline (every request at its home region). "
                     "B − A is B's value minus A's."]
                    + ([] if sc_a.period_hours == sc.period_hours else
                       [f"A adds up over {sc_a.period_hours:,.0f} h, B over {sc.period_hours:,.0f} h."])),
        Slide("The settings behind scenario A",
              [settings_sentence(sc_a.objective.carbon_price_usd_per_t, sc_a.objective.carbon_signal, off_a,
                                 pinned.relax_ms)],
              rows=settings_rows(pinned.reference, sc_a, pinned.relax_ms), link=link,
              link_label="Open these settings, with A pinned, in the app",
              notes=[] if link else [state.link_note() or "No link yet."]),
    ]
talk = Presentation(title="AI inference as relocatable electricity demand", slides=slides)


# --- the app's view: one slide at a time -------------------------------------------------------

def _go(step: int) -> None:
    st.session_state["pres_slide"] = min(len(slides) - 1, max(0, st.session_state.get("pres_slide", 0) + step))


i = min(len(slides) - 1, max(0, int(st.session_state.get("pres_slide", 0))))
slug = re.sub(r"[^a-z0-9]+", "-", sc.name.lower()).strip("-") or "scenario"
back, prev, count, nxt, save, adjust = st.columns([3, 2, 2, 2, 2, 2], vertical_alignment="center")
back.page_link("pages/explorer.py", label="Back to the Explorer", icon=":material/arrow_back:")
prev.button("Previous", icon=":material/chevron_left:", on_click=_go, args=(-1,), disabled=i == 0,
            key="pres_prev", width="stretch")
count.markdown(f"**Slide {i + 1} of {len(slides)}**")
nxt.button("Next", icon=":material/chevron_right:", on_click=_go, args=(1,), disabled=i == len(slides) - 1,
           key="pres_next", width="stretch")
# the deck (about 5 MB of HTML) is built only when asked, then kept for these settings in the session
deck_key = (state.scenario_key(), relax, tuple(uniform), link, with_a, swept and swept.request)
built = st.session_state.get("pres_deck")
if st.session_state.get("pres_build_asked") and not coarse and (built is None or built[0] != deck_key):
    with state.computing("Building the deck…"):
        built = (deck_key, presentation_html(talk))
    st.session_state["pres_deck"] = built
    st.session_state["pres_build_asked"] = False
if built is not None and built[0] == deck_key:
    save.download_button("Deck (HTML)", data=built[1], file_name=f"elf-presentation-{slug}.html",
                         mime="text/html", icon=":material/download:", key="pres_download", width="stretch",
                         help="The whole deck as one self-contained HTML file: plotly.js is inside, it opens offline; "
                              "arrow keys or PageUp/PageDown change slides.")
else:
    save.button("Build the deck", icon=":material/build:", key="pres_build", width="stretch",
                on_click=lambda: st.session_state.update(pres_build_asked=True),
                help="Build the whole deck as one self-contained HTML file (plotly.js inside, about 5 MB) to "
                     "download; it is built for the current settings, after the exact frontier.")
with adjust.popover("Adjust", icon=":material/tune:", help="Full screen and the budgets the frontier slide names"):
    st.toggle("Full screen: hide the sidebar", value=True, key="pres_full_screen",
              help="For a projector. Switch off to get the navigation and the scenario settings back.")
    st.number_input("Savings at a uniform budget of (ms)", 0.0, 1e5, low, step=5.0, key="pres_from")
    st.number_input("…and of (ms)", 0.0, 1e5, high, step=5.0, key="pres_to")
    if pinned is not None:
        st.toggle("Include the comparison with A", value=False, key="pres_compare",
                  help="Two slides after the settings: scenario B (the current one) against the scenario pinned as A "
                       "on the Compare page, and A's settings.")

slide = slides[i]
(st.title if i == 0 else st.header)(slide.heading)
if slide.numbers:
    for col, n in zip(st.columns(len(slide.numbers)), slide.numbers):
        col.metric(n.label, n.value)
        with col:
            prose.sentence(n.note, muted=True)
for text in slide.sentences:
    prose.sentence(text, big=True)
if slide.rows:
    st.markdown(rows_table_html(slide.rows).replace("$", "&#36;"), unsafe_allow_html=True)
if slide.table:
    st.markdown(columns_table_html(slide.table).replace("$", "&#36;"), unsafe_allow_html=True)
if slide.figure is not None:
    charts.show(slide.figure, key=f"pres_chart_{i}", alt="Chart in words: " + " ".join(slide.sentences))
for text in slide.notes:
    st.caption(prose.escape(text))
if slide.link:
    st.markdown(f"{prose.escape(slide.link_label)}: [{prose.escape(slide.link)}]({slide.link})")

if coarse:
    state.finish_exact_frontier()
