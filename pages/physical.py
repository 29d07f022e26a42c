"""Digital vs physical: the electricity that relocated inference moves, against the HVDC lines
that would carry the same power."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from core.physical import (DEFAULT_DISCOUNT_RATE, DEFAULT_LIFETIME_YEARS, annualised_usd_per_year,
                           digital_vs_physical, digital_vs_physical_sentence, load_hvdc_reference,
                           physical_alt_text, scenario_continents)
from pages.common import charts, prose, state
from pages.common.theme import fmt_mw, fmt_num, fmt_pct, fmt_usd

LINES = {"uhvdc_800kv": "±800 kV UHVDC", "hvdc_500kv": "±500 kV HVDC"}
IT_LABEL, FACILITY_LABEL = "IT power (MW)", "Facility power (MW)"   # facility = IT × PUE × (1 + ω)

sc = state.current_scenario()
period = charts.period_label(sc.period_hours)

st.title("Digital vs physical relocation")
st.write("Running inference elsewhere moves its electricity demand without moving electricity. This page sets "
         "the energy that relocation moves, and how far, against the high-voltage DC lines that would carry "
         "the same power.")

line = st.radio("Reference line", list(LINES), format_func=LINES.get, horizontal=True, key="physical_line")
ref = load_hvdc_reference(line=line)
summary, corridors = digital_vs_physical(state.solution(), ref, continents=scenario_continents(sc))
with st.expander("Annualising the line capex (assumptions)"):
    a, b = st.columns(2)
    lifetime = a.number_input("Line lifetime (years)", 1.0, 100.0, DEFAULT_LIFETIME_YEARS, step=5.0, key="physical_lifetime")
    rate_pct = b.number_input("Discount rate (% a year)", 0.0, 30.0, 100 * DEFAULT_DISCOUNT_RATE, step=0.5,
                              key="physical_rate")
    st.caption(prose.escape(
        f"Defaults {DEFAULT_LIFETIME_YEARS:g} years and {100 * DEFAULT_DISCOUNT_RATE:g}%: an assumption (the defaults "
        "of LBNL's REFA transmission-economics module: conductor lifetime 40 years, WACC 7%). The yearly payment is "
        "capex × r(1+r)ⁿ / ((1+r)ⁿ − 1)."))
yearly = float(annualised_usd_per_year(summary["hvdc_capex_usd"], lifetime, rate_pct / 100.0))

c1, c2, c3, c4 = st.columns(4)
c1.metric(IT_LABEL, fmt_mw(summary["relocated_it_mw"]),
          help="Σ x over relocated work: the inference IT load that runs away from home (the Explorer's IT power moved).")
c2.metric(FACILITY_LABEL, fmt_mw(summary["relocated_facility_mw"]),
          help="IT × PUE × (1 + ω): Σ x·PUEᵣ·(1+ω) over relocated work, the IT power times the compute region's "
               "PUE (cooling and other site loads) and the migration overhead ω: the power drawn at the compute "
               "regions instead of at home.")
c3.metric(f"Facility energy (GWh {period})", fmt_num(summary["relocated_gwh"]),
          help="The facility power moved, held over the period: the energy drawn at the compute regions instead of at home.")
c4.metric("Mean distance (km)", fmt_num(summary["mean_distance_km"]),
          help=f"Weighted by energy: Σ energy × great-circle distance ({charts.big_number(summary['gwh_km'])} GWh·km) over "
               f"{summary['corridors']} corridors, divided by the energy.")
d1, d2, d3, d4 = st.columns(4)
loss_share = summary["hvdc_loss_gwh"] / summary["relocated_gwh"] if summary["relocated_gwh"] > 0 else float("nan")
d1.metric(f"HVDC losses (GWh {period})", fmt_num(summary["hvdc_loss_gwh"]),
          help=f"{fmt_pct(loss_share)} of the relocated energy: line losses over each corridor's distance plus two converter stations.")
d2.metric("HVDC capex, one-off ($)", fmt_usd(summary["hvdc_capex_usd"]),
          help=f"Capital cost, paid once, of the share of a {fmt_mw(ref['rating_mw'])} line each corridor's facility power "
               f"would use (line cost × distance + converter pair). Whole lines if each corridor had its own: "
               f"{summary['hvdc_lines']:,}.")
d3.metric("HVDC capex per year ($)", fmt_usd(yearly),
          help=f"The one-off capex as an equal yearly payment over {lifetime:g} years at {rate_pct:g}% a year (assumptions).")
d4.metric(f"Egress paid ($ {period})", fmt_usd(summary["egress_usd"]),
          help=f"Data moved instead of electricity ({charts.big_number(summary['data_tb'])} TB {period}) × the egress "
               "price (0 when the egress friction is off).")

prose.sentence(digital_vs_physical_sentence(summary, sc.period_hours, LINES[line]))
if len(corridors):
    charts.show(charts.physical_figure(corridors, period=period), key="physical_scatter",
                alt=physical_alt_text(corridors, sc.period_hours))
    st.caption(prose.escape(
        "One marker per corridor of the optimal placement; area ∝ facility power (MW). Diamonds cross an ocean: "
        "their ends lie on different land masses (the Americas, Africa–Europe–Asia, Australia), so no overland line "
        "exists and a submarine cable would cost more than the overhead line costed here. A region on an island within "
        "a land mass would also need a short submarine section, which is not flagged. "
        "HVDC figures are order-of-magnitude estimates from the project's HVDC reference data "
        f"({LINES[line]}: {fmt_mw(ref['rating_mw'])} per line, {ref['line_loss_pct_per_1000km']:g}% loss per "
        f"1000 km, {ref['converter_loss_pct_per_station']:g}% per converter station). Lines are costed as overhead "
        "lines on land along the great circle; rights of way are not modelled. " + prose.SOURCE))
    st.subheader("Corridors")
    st.caption(f"Energy, data and egress are totals {period}; hover a column title for its definition.")
    cc = st.column_config
    cols = {  # column: (header, number format, scale, help)
        "service": ("From (home)", None, 1, "Where the requests enter"),
        "compute": ("To (compute)", None, 1, "Where they run"),
        "route": ("Route", None, 1, "overland: both ends on one land mass; ocean crossing: no overland line exists"),
        "it_mw": (IT_LABEL, "%.1f", 1, "Inference load moved on this corridor"),
        "facility_mw": (FACILITY_LABEL, "%.1f", 1,
                        "Power drawn at the compute node instead of at home: IT × PUE × (1 + migration overhead)"),
        "distance_km": ("Distance (km)", "%.0f", 1, "Great-circle distance"),
        "gwh": ("Energy (GWh)", "%.1f", 1, f"Relocated facility energy, GWh {period}"),
        "hvdc_loss_share": ("HVDC loss (%)", "%.1f", 100, "Share of the energy an HVDC line over the same distance "
                                                          "would lose (line and two converter stations)"),
        "hvdc_capex_usd": ("HVDC capex, one-off ($M)", "%.1f", 1e-6, "Capital cost, paid once, of the share of a line "
                                                                     "this corridor's power would use, $ million"),
        "data_tb": ("Data (TB)", "%.0f", 1, f"Data moved instead of the electricity, TB {period}"),
        "egress_usd": ("Egress ($k)", "%.1f", 1e-3, f"Data moved × the egress price, $ thousand {period}"),
    }
    view = pd.DataFrame({head: corridors[col] * f if fmt else corridors[col] for col, (head, fmt, f, _) in cols.items()})
    st.dataframe(view, hide_index=True, width="stretch", height=min(420, 38 + 35 * len(view)), column_config={
        head: (cc.NumberColumn(head, format=fmt, help=tip) if fmt else cc.TextColumn(head, help=tip))
        for head, fmt, _, tip in cols.values()})
else:
    st.info("No work runs away from home at the current budgets: relax a budget in the sidebar to see corridors.")
