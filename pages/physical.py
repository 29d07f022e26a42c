"""Digital vs physical: the electricity that relocated inference moves, against the HVDC lines
that would carry the same power."""
from __future__ import annotations

import pandas as pd
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
    st.caption(prose.escape("One bubble per corridor of the optimal placement; area ∝ relocated facility power (MW). "
               "HVDC figures are order-of-magnitude estimates from the project's HVDC reference data "
               f"({LINES[line]}: {fmt_mw(ref['rating_mw'])} per line, {ref['line_loss_pct_per_1000km']:g}% loss per "
               f"1000 km, {ref['converter_loss_pct_per_station']:g}% per converter station). "
               "Lines are costed as overhead lines on land along the great circle: submarine crossings and "
               "rights of way are not modelled. " + prose.SOURCE))
    st.subheader("Corridors")
    st.caption(f"Energy, data and egress are totals {period}; hover a column title for its definition.")
    cc = st.column_config
    cols = {  # column: (header, number format, scale, help)
        "service": ("From (home)", None, 1, "Where the requests enter"),
        "compute": ("To (compute)", None, 1, "Where they run"),
        "mw": ("Power (MW)", "%.1f", 1, "Facility power drawn at the compute node instead of at home"),
        "distance_km": ("Distance (km)", "%.0f", 1, "Great-circle distance"),
        "gwh": ("Energy (GWh)", "%.1f", 1, f"Relocated facility energy, GWh {period}"),
        "gwh_km": ("GWh·km", "compact", 1, f"Energy × distance, GWh·km {period}"),
        "hvdc_loss_share": ("HVDC loss (%)", "%.1f", 100, "Share of the energy an HVDC line over the same distance "
                                                          "would lose (line and two converter stations)"),
        "hvdc_capex_usd": ("HVDC capacity ($M)", "%.1f", 1e-6, "Capital cost of the share of a line this "
                                                              "corridor's power would use, $ million"),
        "data_tb": ("Data (TB)", "%.0f", 1, f"Data moved instead of the electricity, TB {period}"),
        "egress_usd": ("Egress ($k)", "%.1f", 1e-3, f"Data moved × the egress price, $ thousand {period}"),
    }
    view = pd.DataFrame({head: corridors[c] * f if fmt else corridors[c] for c, (head, fmt, f, _) in cols.items()})
    st.dataframe(view, hide_index=True, width="stretch", height=min(420, 38 + 35 * len(view)), column_config={
        head: (cc.NumberColumn(head, format=fmt, help=tip) if fmt else cc.TextColumn(head, help=tip))
        for head, fmt, _, tip in cols.values()})
else:
    st.info("No work runs away from home at the current budgets: relax a budget in the sidebar to see corridors.")
