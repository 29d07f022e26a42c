"""Data: the scenario's regions, workloads, demand and round-trip times with their sources and
quality flags; edit them, upload a scenario, download the scenario and the results."""
import json
import math

import pandas as pd
import streamlit as st

from core.scenario import MAX_SCENARIO_BYTES, ScenarioError, loads_scenario
from pages.common import datafiles, editing, state
from pages.common.theme import fmt_mw

cc = st.column_config
FLAG_HELP = "measured: from a published measurement · estimate: derived from one · assumption: stylised"

sc = state.current_scenario()
st.title("Data")
st.caption(f"Scenario **{sc.name}**. Every table is editable: an edit re-solves and becomes part of the "
           "scenario (and of the link). An invalid value is refused with the field it concerns; "
           "the last valid scenario stays.")


def _apply(changes: dict) -> None:
    """Apply a table's edits, then rerun so the sidebar and every number show them."""
    if changes:
        state.apply_changes(changes, reset=True)
        st.rerun()


def _flag_columns(df: pd.DataFrame) -> dict:
    return {c: cc.TextColumn(c.replace("_flag", " flag").replace("_", " "), help=FLAG_HELP, disabled=True)
            for c in df.columns if c.endswith("_flag")} | \
           {c: cc.TextColumn(c.replace("_source", " source").replace("_", " "), disabled=True, width="medium")
            for c in df.columns if c.endswith("_source")}


tab_regions, tab_workloads, tab_demand, tab_rtt, tab_settings, tab_files = st.tabs(
    ["Regions", "Workloads", "Demand", "Round-trip times", "Settings", "Files"])

# --- regions --------------------------------------------------------------------------------------
with tab_regions:
    nodes = editing.nodes_table(sc)
    prov = datafiles.region_provenance()
    shown = nodes.merge(prov, on="id", how="left") if len(prov) else nodes
    order = ["id", "name", "country", "residency_zone"]
    for f in ("price_usd_per_mwh", "carbon_avg_g_per_kwh", "carbon_marginal_g_per_kwh", "pue", "capacity_mw"):
        flag = {"price_usd_per_mwh": "price", "carbon_avg_g_per_kwh": "carbon_avg",
                "carbon_marginal_g_per_kwh": "carbon_marginal"}.get(f, f.split("_")[0])
        order += [f] + [c for c in (f"{flag}_flag",) if c in shown.columns]
    order += ["lat", "lon"] + [c for c in shown.columns if c.endswith("_source")] + \
             [c for c in ("coords_flag",) if c in shown.columns]
    st.caption(f"{len(nodes)} regions. Flags and sources come from `data/regions.csv` for the default "
               "regions; a region that is not in the default scenario has none.")
    edited = st.data_editor(
        shown, column_order=order, hide_index=True, key=state.widget_key("edit_nodes"), height=560,
        column_config={
            "id": cc.TextColumn("id", disabled=True, pinned=True),
            "name": cc.TextColumn("Name"),
            "country": cc.TextColumn("Country"),
            "residency_zone": cc.TextColumn("Residency zone", help="EU, IN, ... or empty for none"),
            "price_usd_per_mwh": cc.NumberColumn("Price ($/MWh)", min_value=0, format="%.1f"),
            "carbon_avg_g_per_kwh": cc.NumberColumn("Carbon avg (gCO₂/kWh)", min_value=0, format="%.0f"),
            "carbon_marginal_g_per_kwh": cc.NumberColumn("Carbon marginal (gCO₂/kWh)", min_value=0, format="%.0f"),
            "pue": cc.NumberColumn("PUE", min_value=1, format="%.2f", help="Facility energy ÷ IT energy, ≥ 1"),
            "capacity_mw": cc.NumberColumn("Capacity (MW)", min_value=0, format="%.0f"),
            "lat": cc.NumberColumn("Latitude (°)", min_value=-90, max_value=90, format="%.3f"),
            "lon": cc.NumberColumn("Longitude (°)", min_value=-180, max_value=180, format="%.3f"),
            **_flag_columns(shown),
        })
    _apply(editing.cell_changes(shown, edited, "nodes", editing.NODE_FIELDS))

# --- workloads ------------------------------------------------------------------------------------
with tab_workloads:
    wl = editing.workloads_table(sc)
    prov = datafiles.workload_provenance()
    shown = wl.merge(prov, on="id", how="left") if len(prov) else wl
    order = ["id", "name"]
    for f, flag in (("latency_budget_ms", "latency_budget_flag"), ("state_pinned_share", "state_pinned_flag"),
                    ("gb_per_mwh", "gb_per_mwh_flag"), ("migration_overhead", "migration_overhead_flag"),
                    ("residency_bound", "residency_flag")):
        order += [f] + ([flag] if flag in shown.columns else [])
    order += [c for c in shown.columns if c.endswith("_source")]
    st.caption("Budgets here are the scenario's; the sidebar's relaxation Δ is added on top.")
    edited = st.data_editor(
        shown, column_order=order, hide_index=True, key=state.widget_key("edit_workloads"),
        column_config={
            "id": cc.TextColumn("id", disabled=True, pinned=True),
            "name": cc.TextColumn("Name"),
            "latency_budget_ms": cc.NumberColumn("Latency budget (ms)", min_value=0, format="%.0f"),
            "state_pinned_share": cc.NumberColumn("Pinned share σ", min_value=0, max_value=1, format="%.2f",
                                                  help="Fraction of demand that must run at home (0..1)"),
            "gb_per_mwh": cc.NumberColumn("Data (GB/MWh)", min_value=0, format="%.1f",
                                          help="GB moved per MWh of IT energy run away from home"),
            "migration_overhead": cc.NumberColumn("Migration overhead ω", min_value=0, format="%.3f",
                                                  help="Extra IT energy fraction for relocated work"),
            "residency_bound": cc.CheckboxColumn("Residency-bound", help="Subject to the home zone's data residency"),
            **_flag_columns(shown),
        })
    _apply(editing.cell_changes(shown, edited, "workloads", editing.WORKLOAD_FIELDS))

# --- demand ---------------------------------------------------------------------------------------
with tab_demand:
    dem = editing.demand_table(sc)
    st.caption(f"{len(dem)} entries, {fmt_mw(dem['mw'].sum())} of average IT power. Add or delete rows; "
               "entries for the same region and class add up.")
    edited = st.data_editor(
        dem, hide_index=True, num_rows="dynamic", key=state.widget_key("edit_demand"), height=380,
        column_config={
            "node": cc.SelectboxColumn("Service node", options=sc.node_ids, required=True),
            "workload": cc.SelectboxColumn("Workload", options=sc.workload_ids, required=True),
            "mw": cc.NumberColumn("Demand (MW)", min_value=0, format="%.1f", required=True),
        })
    records = editing.demand_records(edited)
    if records != editing.demand_records(dem):
        _apply({"demand": records})

# --- round-trip times -----------------------------------------------------------------------------
with tab_rtt:
    inp = state.current_inputs()
    rtt = editing.rtt_table(inp)
    prov = datafiles.rtt_provenance()
    shown = rtt
    if len(prov):
        both = pd.concat([prov, prov.rename(columns={"a": "b", "b": "a"})]).drop_duplicates(["a", "b"])
        shown = rtt.merge(both.rename(columns={"source": "data_source"}), on=["a", "b"], how="left")
    st.caption(f"{len(rtt):,} region pairs. A round trip is given in the scenario (measured) or modelled from "
               f"the great-circle distance ({sc.latency_model.fixed_ms:g} ms + 2 × distance × "
               f"{sc.latency_model.route_inflation:g} ÷ {sc.latency_model.fiber_km_per_ms:g} km/ms). "
               "Editing a value makes it given.")
    edited = st.data_editor(
        shown, hide_index=True, key=state.widget_key("edit_rtt"), height=380,
        column_config={
            "a": cc.TextColumn("Region a", disabled=True), "b": cc.TextColumn("Region b", disabled=True),
            "rtt_ab_ms": cc.NumberColumn("RTT a→b (ms)", min_value=0, format="%.1f"),
            "rtt_ba_ms": cc.NumberColumn("RTT b→a (ms)", min_value=0, format="%.1f"),
            "distance_km": cc.NumberColumn("Distance (km)", format="%.0f", disabled=True),
            "given": cc.TextColumn("In scenario", disabled=True, help="given: in the scenario's rtt_ms; "
                                                                     "modelled: from distance"),
            "data_source": cc.TextColumn("Source (default data)", disabled=True),
        })
    overrides = editing.rtt_overrides(sc, rtt, edited)
    if overrides is not None:
        _apply({"rtt_ms": overrides})

# --- settings -------------------------------------------------------------------------------------
with tab_settings:
    settings = editing.settings_table(sc)
    edited = st.data_editor(
        settings, hide_index=True, key=state.widget_key("edit_settings"), column_order=["setting", "value", "unit"],
        column_config={"setting": cc.TextColumn("Setting", disabled=True),
                       "value": cc.NumberColumn("Value", format="%g"),
                       "unit": cc.TextColumn("Unit", disabled=True)})
    _apply(editing.settings_changes(settings, edited))
    st.caption("Frictions, carbon signal, carbon price and egress price are in the sidebar.")

# --- files ----------------------------------------------------------------------------------------
with tab_files:
    left, right = st.columns(2, gap="large")
    with left:
        st.subheader("Upload a scenario")
        st.caption(f"JSON or YAML, `schema_version: 1` (see MODEL.md), at most {MAX_SCENARIO_BYTES / 1e6:g} MB. "
                   "It replaces the current scenario; the sidebar's reset goes back to the default.")
        up = st.file_uploader("Scenario file", type=["json", "yaml", "yml"], key="data_upload",
                              help="Validated before use: an error names the field to fix.")
        if up is not None:
            done = st.session_state.get("data_upload_done")
            if done is None or done[0] != up.file_id:
                fmt = "yaml" if up.name.lower().endswith((".yaml", ".yml")) else "json"
                try:
                    if up.size > MAX_SCENARIO_BYTES:
                        raise ScenarioError("", f"the file is {up.size:,} bytes; the limit is {MAX_SCENARIO_BYTES:,}")
                    new = loads_scenario(up.getvalue(), fmt)
                except ScenarioError as exc:
                    st.session_state["data_upload_done"] = (up.file_id, f"{up.name} was not loaded: {exc}")
                else:
                    st.session_state["data_upload_done"] = (up.file_id, None)
                    state.set_base_scenario(new)
                    state.add_message("success", f"Loaded {up.name}: scenario “{new.name}”, {len(new.nodes)} "
                                                 f"regions, {len(new.workloads)} workload classes.")
                    st.rerun()
            error = st.session_state["data_upload_done"][1]
            if error:
                st.error(error, icon=":material/error:")
    with right:
        st.subheader("Download")
        stem = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in sc.name).strip("-") or "scenario"
        st.download_button("Scenario (JSON)", sc.to_json(indent=2), f"{stem}.json", "application/json",
                           icon=":material/download:", on_click="ignore",
                           help="The scenario with every edit; upload it again or run `python -m core solve` on it.")
        sol = state.solution()
        st.download_button("Placement (CSV)", sol.placement.to_csv(index=False), f"{stem}-placement.csv",
                           "text/csv", icon=":material/download:", on_click="ignore",
                           help="One row per (service, compute, workload) with MW, rtt, layer, cost, emissions.")
        st.download_button("Load per region (CSV)", sol.load.to_csv(index=False), f"{stem}-load.csv",
                           "text/csv", icon=":material/download:", on_click="ignore",
                           help="Per compute region: load, capacity, utilisation, capacity shadow price.")
        summary = {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                   for k, v in state.headline().items()}
        summary = {"scenario": sc.name, "relax_ms": state.relax_ms(), **summary}
        st.download_button("Summary (JSON)", json.dumps(summary, indent=2), f"{stem}-summary.json",
                           "application/json", icon=":material/download:", on_click="ignore",
                           help="The headline numbers: cost and savings ($), emissions (tCO₂), RID, ERoL, CRoL.")
    sources = datafiles.sources_markdown()
    if sources:
        with st.expander("Sources of the default data (data/SOURCES.md)"):
            st.markdown(sources)
