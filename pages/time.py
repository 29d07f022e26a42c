"""Time: the hourly model of a scenario with a time block (docs/model.md, "Time-resolved mode"):
where and when load runs, what moving in space and waiting in time each save, and how the
hourly answer differs from the annual averages'."""
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from core import time_view
from core.typical_days import typical_days_error
from pages.common import state, time_switch
from pages.common.charts import show
from pages.common.theme import (BASELINE_COLOUR, BLUE, BLUISH_GREEN, GREY, ORANGE, REDDISH_PURPLE, SKY_BLUE,
                                fmt_mw, fmt_pct, fmt_signed, fmt_t, fmt_usd, style)

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
PART_COLOURS = {"spatial": BLUE, "temporal": ORANGE, "both": BLUISH_GREEN, "interaction": GREY}
PART_WORDS = {"spatial": "Space only", "temporal": "Time only", "both": "Both", "interaction": "Interaction"}

sc = state.current_scenario()
names = {n.id: n.name or n.id for n in sc.nodes}
signal = sc.objective.carbon_signal

st.title("Time: hours, not years")
if sc.time is None:
    st.info("This scenario has no time block: every price, carbon intensity and demand is one annual value, so "
            "there is no hour to show. Pick the scenario “Stylised global simulation, hourly 2024” in the sidebar (or load one with a "
            "`time` block) to see the hourly model.")
    st.stop()

h = state.headline()
days, whole_days = sc.time.periods // 24, time_switch.typical_days_k(sc) is not None
k = min(time_view.TYPICAL_DAYS, max(days, 1))
c_model, c_mode = st.columns(2)
model = c_model.segmented_control(
    "Model", ["hourly", "annual"], default="hourly", key="time_model", required=True,
    format_func={"hourly": "Hourly (time-resolved)", "annual": "Annual averages (one period)"}.get,
    help="Hourly: every period's own prices, carbon and demand, batch and agentic work may wait "
         "(docs/model.md, Time-resolved mode). Annual: the single-period model on each region's annual averages, "
         "what the Explorer, Frontier, Execution layers and Frictions pages show.")
mode = c_mode.segmented_control(
    "Hours solved", list(time_view.MODES) if whole_days else ["year"], default="typical" if whole_days else "year",
    key="time_mode", required=True,
    format_func={"typical": f"{k} typical days", "year": "The full year"}.get,
    help=f"{k} typical days: the year reduced to {k} representative real days (tsam, each weighted by the days it "
         "stands for), solved in seconds. The full year: every period, minutes of CPU, run on request and then "
         "kept for every visitor.")

if mode == "year" and not whole_days:       # no typical days to show meanwhile: solve every period now
    with state.progress_bar("Solving every period") as update:
        state.time_result("year", progress=update)
elif mode == "year" and not state.time_result_ready("year"):
    st.info(f"The full year is {sc.time.periods:,} periods in four cases (local, space only, time only, both): "
            "minutes of CPU on this server. Until it has run, the page shows the typical days.")
    if st.button("Solve the full year", type="primary", key="time_run_year", icon=":material/play_arrow:"):
        with state.progress_bar("Solving every period of the year") as update:
            state.time_result("year", progress=update)
        st.rerun()
    mode = "typical"

with state.computing(f"Solving {time_view.MODES[mode]} in four cases"):
    res = state.time_result(mode)
run, cal = res.run, res.calendar
decomp = time_view.decomposition_table(run)
d = decomp.set_index("case")
hourly_savings = float(d.at["both", "savings_usd"])
ratio, sentence = time_view.annual_vs_hourly(h["savings_usd"], hourly_savings)
st.markdown(f"**{sentence}**")
st.caption(f"Annual: the single-period model on the annual averages, savings {fmt_usd(h['savings_usd'])} a year "
           f"against all work at home. Hourly: the time-resolved model on {time_view.MODES[mode]}"
           + (f" ({k} real days of 2024 standing for its {res.info.n_days} days)" if res.info is not None else "")
           + f", savings {fmt_usd(hourly_savings)} a year. Prices and carbon per hour: data/hourly_mapping.csv.")

if model == "annual":
    c1, c2, c3 = st.columns(3)
    c1.metric("Savings vs local (annual model)", fmt_usd(h["savings_usd"]), border=True,
              help="Local cost minus this placement's cost over the year, annual averages ($).")
    c2.metric("CO₂ (annual model)", fmt_t(h["emissions_t"]), border=True,
              help=f"tCO₂ over the year on the {signal} signal.")
    c3.metric("Demand moved (annual model)", fmt_pct(h["relocated_share"]), border=True)
    st.caption("The Explorer's numbers and the Break-even page show this annual-average model for a scenario with a "
               "time block; the Frontier, Execution layers and Frictions pages have the same switch, and the "
               "Explorer's map over a day shows the hourly model. Switch to Hourly to see the hours.")
    st.stop()

# --- headline of the hourly model ---------------------------------------------------------------
both = run.solutions["both"]
carbon_key = "carbon_savings_avg_t" if signal == "average" else "carbon_savings_marginal_t"
c1, c2, c3, c4 = st.columns(4)
c1.metric("Savings vs local (hourly)", fmt_usd(hourly_savings),
          f"{fmt_pct(hourly_savings / d.at['local', 'cost_usd'])} of local cost" if d.at["local", "cost_usd"] > 0
          else None, delta_arrow="off", delta_color="off", border=True,
          help="Local cost (every budget 0 ms, no work waits) minus the cost with moving and waiting, over the year ($).")
c2.metric("CO₂ change vs local (hourly)", fmt_signed(fmt_t, -float(d.at["both", carbon_key])), border=True,
          help=f"Emissions with moving and waiting minus local emissions, tCO₂ a year on the {signal} signal "
               "(negative: fewer).")
c3.metric("Demand moved (hourly)", fmt_pct(both.relocated_share), f"{fmt_mw(both.relocated_mw)} on average",
          delta_arrow="off", delta_color="off", border=True,
          help="Share of inference IT load (MW, period-weighted) run away from its service node.")
c4.metric("Waiting alone saves", fmt_usd(float(d.at["temporal", "savings_usd"])), border=True,
          help="Every budget 0 ms (no moving), batch and agentic work may wait within their day ($ a year).")

# --- the decomposition ------------------------------------------------------------------------------
st.subheader("What moving in space and waiting in time each save")
bars = time_view.decomposition_bars(decomp, signal)
fig = make_subplots(rows=1, cols=2, subplot_titles=("Savings vs local ($ a year)", f"CO₂ saved vs local (tCO₂ a year, {signal})"))
for col, value in ((1, "savings_usd"), (2, "carbon_savings_t")):
    fig.add_bar(x=[PART_WORDS[p] for p in bars["part"]], y=bars[value], row=1, col=col, showlegend=False,
                marker_color=[PART_COLOURS[p] for p in bars["part"]], name="Savings" if col == 1 else "CO₂ saved")
fig.update_yaxes(title_text="$ a year", row=1, col=1)
fig.update_yaxes(title_text="tCO₂ a year", row=1, col=2)
show(style(fig, 380), key="time_decomposition")
st.caption("Against the local baseline (all work at home, when it arrives). Space only: the latency budgets, nothing "
           "waits. Time only: budgets 0 ms, batch and agentic work may wait. Both: the scenario. Interaction = both − "
           "space only − time only: negative when the two compete for the same cheap hours and places.")

# --- where load runs, hour by hour ----------------------------------------------------------------
st.subheader("Where the load runs, hour by hour")
clock = st.segmented_control("Clock", ["utc", "local"], default="utc", key="time_clock", required=True,
                             format_func={"utc": "UTC", "local": "Each region's local time"}.get,
                             help="Local time: the region's IANA time zone (daylight saving included), "
                                  "data/hourly_mapping.csv; a region without one stays on UTC.")
zones = time_view.region_timezones() if clock == "local" else {}
heat = state.memo("time_heat", (res, clock), lambda: time_view.load_heatmap(both, cal, zones))
heat = heat[heat.max(axis=1) > 0.05]
fig = go.Figure(go.Heatmap(z=heat.to_numpy(), x=list(heat.columns), y=[names.get(i, i) for i in heat.index],
                           colorscale="Blues", colorbar={"title": {"text": "MW"}},
                           hovertemplate="%{y}, %{x}:00: %{z:.1f} MW<extra></extra>", name="IT load"))
fig.update_xaxes(title_text=f"Hour of day ({'local' if clock == 'local' else 'UTC'})", dtick=2)
fig.update_yaxes(title_text="Region", autorange="reversed")
show(style(fig, max(360, 22 * len(heat) + 120)), key="time_heatmap")
st.caption("Mean IT load run at each region at each hour of the day over the year (MW), with moving and waiting; "
           "regions that run nothing are left out.")

# --- savings and emissions over the day and the year ------------------------------------------------
st.subheader("When relocation pays")
by_hour = time_view.by_hour_of_day(run, cal)
by_month = time_view.by_month(run, cal)
fig = make_subplots(rows=2, cols=2, shared_xaxes="columns", vertical_spacing=0.12,
                    subplot_titles=("Savings by hour of day (UTC)", "Savings by month",
                                    f"CO₂ by hour of day ({signal})", f"CO₂ by month ({signal})"))
fig.add_bar(x=by_hour["hour_utc"], y=by_hour["savings_usd"], marker_color=BLUE, name="Savings vs local ($)", row=1, col=1)
fig.add_bar(x=[MONTHS[m - 1] for m in by_month["month"]], y=by_month["savings_usd"], marker_color=BLUE,
            name="Savings vs local by month ($)", row=1, col=2, showlegend=False)
for frame, x, col in ((by_hour, by_hour["hour_utc"], 1), (by_month, [MONTHS[m - 1] for m in by_month["month"]], 2)):
    fig.add_scatter(x=x, y=frame["local_emissions_t"], mode="lines+markers", line={"color": BASELINE_COLOUR, "dash": "dash"},
                    name="CO₂, local (t)", row=2, col=col, showlegend=col == 1)
    fig.add_scatter(x=x, y=frame["emissions_t"], mode="lines+markers", line={"color": BLUISH_GREEN},
                    name="CO₂, moving and waiting (t)", row=2, col=col, showlegend=col == 1)
fig.update_yaxes(title_text="$", row=1, col=1)
fig.update_yaxes(title_text="tCO₂", row=2, col=1)
fig.update_xaxes(title_text="Hour of day (UTC)", row=2, col=1)
fig.update_layout(legend={"orientation": "h", "yanchor": "top", "y": -0.12, "x": 0})
show(style(fig, 600), key="time_when")
st.caption(f"Sums over the year: each hour of day over its {len(cal.utc) // 24} days, each month over its days"
           + (f"; with typical days, every day takes its typical day's values divided among the days it stands for."
              if res.info is not None else "."))

# --- one region's prices, carbon and load -----------------------------------------------------------
st.subheader("A region's price and carbon beside its load")
profiles = state.memo("time_profiles", (res,), lambda: time_view.region_profiles(run.inputs, both, cal,
                                                                                 time_view.region_timezones()))
busy = heat.sum(axis=1).sort_values(ascending=False).index.tolist() or list(sc.node_ids)
choices = busy + [n for n in sc.node_ids if n not in busy]
varying = [i for i, n in enumerate(choices) if n in sc.time.price_usd_per_mwh]
region = st.selectbox("Region", choices, index=varying[0] if varying else 0, format_func=lambda i: names.get(i, i),
                      key="time_region", help="Regions that run the most load first; the first shown is the busiest "
                                              "with hourly prices.")
p = profiles[profiles["region"] == region]
fig = make_subplots(rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.06)
fig.add_scatter(x=p["hour"], y=p["price_usd_per_mwh"], mode="lines+markers", line={"color": ORANGE},
                name="Price ($/MWh)", row=1, col=1)
fig.add_scatter(x=p["hour"], y=p["carbon_avg_g_per_kwh"], mode="lines+markers", line={"color": REDDISH_PURPLE},
                name="Carbon, average (gCO₂/kWh)", row=2, col=1)
fig.add_scatter(x=p["hour"], y=p["carbon_marginal_g_per_kwh"], mode="lines", line={"color": GREY, "dash": "dash"},
                name="Carbon, marginal (gCO₂/kWh; assumed)", row=2, col=1)
fig.add_bar(x=p["hour"], y=p["load_mw"], marker_color=SKY_BLUE, name="IT load run there (MW)", row=3, col=1)
fig.update_yaxes(title_text="$/MWh", rangemode="tozero", row=1, col=1)     # a flat series stays a flat line
fig.update_yaxes(title_text="gCO₂/kWh", rangemode="tozero", row=2, col=1)
fig.update_yaxes(title_text="MW", row=3, col=1)
fig.update_xaxes(title_text=f"Hour of day ({p['clock'].iloc[0]} time)", dtick=2, row=3, col=1)
show(style(fig, 520), key="time_region_profile")
st.caption(f"Means over the year at each hour of the day in {names.get(region, region)}'s "
           f"{'local time' if p['clock'].iloc[0] == 'local' else 'UTC'}. A flat line is a series with no hourly data "
           "(its annual value in every hour: data/hourly_mapping.csv says which).")

# --- RID by hour ---------------------------------------------------------------------------------------
st.subheader("How much demand could move, hour by hour")
rid = state.memo("time_rid", (res,), lambda: time_view.rid_by_hour(run.inputs, cal))
fig = go.Figure(go.Scatter(x=rid["hour_utc"], y=100 * rid["rid"], mode="lines+markers", line={"color": BLUE},
                           name="Relocatable demand (RID, %)"))
fig.update_xaxes(title_text="Hour of day (UTC)", dtick=2)
fig.update_yaxes(title_text="% of demand", rangemode="tozero")
show(style(fig, 320), key="time_rid")
st.caption("RID: the share of demand (MW) whose latency mask allows a region strictly cheaper than home in that hour "
           "(energy, carbon price and transfer per MWh), computed on every solved period's own prices, weighted by "
           "each hour's demand.")

# --- the frontier in time mode ---------------------------------------------------------------------
st.subheader("The frontier with hours")
budgets = time_view.FRONTIER_BUDGETS_MS
if whole_days and not state.time_frontier_ready():
    st.caption(f"Savings at {len(budgets)} uniform budgets ({', '.join(f'{b:.0f}' for b in budgets)} ms) on the "
               f"{k} typical days, beside the annual model's: one time solve per budget, some seconds.")
    if st.button("Compute the hourly frontier", key="time_run_frontier", icon=":material/show_chart:"):
        with state.progress_bar("Solving the typical days at each budget") as update:
            state.time_frontier_df(progress=update)
        st.rerun()
elif whole_days:
    hourly_f = state.time_frontier_df()
    annual_f = state.frontier_df(None, budgets=budgets)
    fig = go.Figure()
    fig.add_scatter(x=annual_f["budget_ms"], y=annual_f["savings_usd"], mode="lines+markers", name="Annual averages",
                    line={"color": BASELINE_COLOUR, "dash": "dash"})
    fig.add_scatter(x=hourly_f["budget_ms"], y=hourly_f["savings_usd"], mode="lines+markers",
                    name=f"Hourly ({k} typical days, with waiting)", line={"color": BLUE})
    fig.update_xaxes(title_text="Every class's latency budget (ms)")
    fig.update_yaxes(title_text="Savings vs local ($ a year)", rangemode="tozero")
    show(style(fig, 360), key="time_frontier")
    st.caption("Every class's budget set to the value shown (the uniform frontier). Hourly: savings against all work "
               "at home when it arrives, so at 0 ms it is what waiting alone saves. Annual: the single-period model "
               "at the same budgets (the Frontier page's).")

if res.info is not None and state.time_result_ready("year"):
    err = typical_days_error(state.time_result("year").run.solutions["both"], both)
    st.caption(f"{k} typical days against the full year: objective {err['objective'] * 100:+.2f} %, cost "
               f"{err['cost'] * 100:+.2f} %, CO₂ {err['emissions'] * 100:+.2f} %.")
elif res.info is not None:
    st.caption(f"The typical days' totals approximate the full year's; pick “The full year” above to solve every "
               "period and see the error.")
