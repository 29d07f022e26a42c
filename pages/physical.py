"""Digital vs physical: the electricity that relocated inference moves, against the HVDC lines
that would carry the same power."""
from __future__ import annotations

import streamlit as st

from core.narrative import physical_sentence
from core.physical import digital_vs_physical, load_hvdc_reference
from pages.common import charts, prose, state
from pages.common.theme import fmt_mw, fmt_num, fmt_pct, fmt_usd

LINES = {"uhvdc_800kv": "±800 kV UHVDC", "hvdc_500kv": "±500 kV HVDC"}

sc = state.current_scenario()
period = charts.period_label(sc.period_hours)

st.title("Digital vs physical relocation")
st.write("Running inference elsewhere moves its electricity demand without moving electricity. This page sets "
         "the energy that relocation moves, and how far, against the high-voltage DC lines that would carry "
         "the same power.")

line = st.radio("Reference line", list(LINES), format_func=LINES.get, horizontal=True, key="physical_line")
ref = load_hvdc_reference(line=line)
summary, corridors = digital_vs_physical(state.solution(), ref)

c1, c2, c3, c4 = st.columns(4)
c1.metric("Relocated facility power (MW)", fmt_mw(summary["relocated_mw"]),
          help="Σ x·PUEᵣ·(1+ω) over relocated work: the power drawn at the compute nodes instead of at home.")
c2.metric(f"Relocated energy (GWh {period})", fmt_num(summary["relocated_gwh"]))
c3.metric("Energy × distance (GWh·km)", charts.big_number(summary["gwh_km"]),
          help=f"Σ energy × great-circle distance over {summary['corridors']} corridors.")
c4.metric("Mean distance, energy-weighted (km)", fmt_num(summary["mean_distance_km"]))
d1, d2, d3, d4 = st.columns(4)
loss_share = summary["hvdc_loss_gwh"] / summary["relocated_gwh"] if summary["relocated_gwh"] > 0 else float("nan")
d1.metric(f"HVDC losses (GWh {period})", fmt_num(summary["hvdc_loss_gwh"]),
          help=f"{fmt_pct(loss_share)} of the relocated energy: line losses over each corridor's distance plus two converter stations.")
d2.metric("HVDC capacity, pro rata ($)", fmt_usd(summary["hvdc_capex_usd"]),
          help=f"Capital cost of the share of a {fmt_mw(ref['rating_mw'])} line each corridor's power would use "
               f"(line cost × distance + converter pair). Whole lines if each corridor had its own: {summary['hvdc_lines']:,}.")
d3.metric(f"Data moved instead (TB {period})", charts.big_number(summary["data_tb"]),
          help="GB per MWh (g) × relocated IT energy, summed over corridors.")
d4.metric(f"Egress paid ($ {period})", fmt_usd(summary["egress_usd"]),
          help="Data moved × the egress price (0 when the egress friction is off).")

prose.sentence(physical_sentence(summary, sc.period_hours, LINES[line]))
if len(corridors):
    st.plotly_chart(charts.physical_figure(corridors, period=period), theme=None, width="stretch", key="physical_scatter")
    st.caption(prose.escape("One bubble per corridor of the optimal placement (core.physical.digital_vs_physical); area ∝ relocated "
               "facility power. HVDC figures are order-of-magnitude estimates from data/hvdc_reference.json "
               f"({LINES[line]}: {fmt_mw(ref['rating_mw'])} per line, {ref['line_loss_pct_per_1000km']:g}% loss per "
               f"1000 km, {ref['converter_loss_pct_per_station']:g}% per converter station; sources in data/SOURCES.md). "
               "Lines are costed as overhead lines on land along the great circle: submarine crossings and "
               "rights of way are not modelled."))
    st.subheader("Corridors")
    cols = {"service": "From (home)", "compute": "To (compute)", "mw": "Facility power (MW)",
            "distance_km": "Distance (km)", "gwh": f"Energy (GWh {period})", "gwh_km": "Energy × distance (GWh·km)",
            "hvdc_loss_share": "HVDC loss (%)", "hvdc_capex_usd": "HVDC capacity, pro rata ($M)",
            "data_tb": f"Data (TB {period})", "egress_usd": f"Egress ($k {period})"}
    view = corridors[list(cols)].copy()
    for c, f in {"hvdc_loss_share": 100, "hvdc_capex_usd": 1e-6, "egress_usd": 1e-3}.items():
        view[c] = view[c] * f
    view = view.rename(columns=cols)
    st.dataframe(view, hide_index=True, width="stretch", height=min(420, 38 + 35 * len(view)), column_config={
        **{cols[c]: st.column_config.NumberColumn(format="%.1f") for c in ("mw", "gwh", "hvdc_loss_share", "hvdc_capex_usd", "egress_usd")},
        **{cols[c]: st.column_config.NumberColumn(format="%.0f") for c in ("distance_km", "data_tb")},
        cols["gwh_km"]: st.column_config.NumberColumn(format="compact")})
else:
    st.info("No work runs away from home at the current budgets: relax a budget in the sidebar to see corridors.")
