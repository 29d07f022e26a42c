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


# what each provenance column of the default data describes, for its title ("Price: quality")
PROVENANCE_SUBJECTS = {
    "price": "Price", "carbon_avg": "CO₂ avg", "carbon_marginal": "CO₂ marginal", "pue": "PUE",
    "capacity": "Capacity", "coords": "Coordinates", "latency_budget": "Budget", "state_pinned": "Pinned share",
    "gb_per_mwh": "Data", "migration_overhead": "Migration", "residency": "Residency", "demand_share": "Demand share",
}


def _subject(column: str) -> str:
    stem = column.rsplit("_", 1)[0]
    return PROVENANCE_SUBJECTS.get(stem, stem.replace("_", " ").capitalize())


def _provenance_columns(df: pd.DataFrame) -> dict:
    """Titles and widths of the ``*_flag`` (quality) and ``*_source`` columns of the default data."""
    flags = {c: cc.TextColumn(f"{_subject(c)}: quality", help=FLAG_HELP, disabled=True, width=130)
             for c in df.columns if c.endswith("_flag")}
    sources = {c: cc.TextColumn(f"{_subject(c)}: source", disabled=True, width="large",
                                help=f"Where the default value of {_subject(c).lower()} comes from")
               for c in df.columns if c.endswith("_source")}
    return flags | sources


def _provenance_order(df: pd.DataFrame, subjects: list[str]) -> list[str]:
    """Quality flags in the order of ``subjects``, then every source (the widest columns) last."""
    flags = [f"{s}_flag" for s in subjects if f"{s}_flag" in df.columns]
    sources = [f"{s}_source" for s in subjects if f"{s}_source" in df.columns]
    return flags + sources + [c for c in df.columns if c.endswith("_source") and c not in sources]


def _blank_text(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Empty text cells as "" (a table shows a missing value as a grey "None")."""
    out = df.copy()
    for c in columns:
        if c in out.columns:
            out[c] = out[c].astype(object).where(out[c].notna(), "")
    return out


tab_regions, tab_workloads, tab_demand, tab_rtt, tab_settings, tab_files = st.tabs(
    ["Regions", "Workloads", "Demand", "Round-trip times", "Settings", "Files"])

# --- regions --------------------------------------------------------------------------------------
with tab_regions:
    nodes = editing.nodes_table(sc)
    prov = datafiles.region_provenance()
    shown = nodes.merge(prov, on="id", how="left") if len(prov) else nodes
    text = ["name", "country", "residency_zone"] + [c for c in shown.columns if c.endswith(("_flag", "_source"))]
    shown = _blank_text(shown, text)
    # the values first (they fit at 1440 px), then their quality flags, location, and the wide sources last
    order = ["id", "name", "residency_zone", "price_usd_per_mwh", "carbon_avg_g_per_kwh", "carbon_marginal_g_per_kwh",
             "pue", "capacity_mw"]
    flags = _provenance_order(shown, ["price", "carbon_avg", "carbon_marginal", "pue", "capacity", "coords"])
    order += [c for c in flags if c.endswith("_flag") and c != "coords_flag"] + ["country", "lat", "lon"] + \
             [c for c in ("coords_flag",) if c in shown.columns] + [c for c in flags if c.endswith("_source")]
    st.caption(f"{len(nodes)} regions. Quality flags and sources are those of the default data set (listed "
               "under Files); a region that is not in the default scenario has none. Scroll right for them.")
    edited = st.data_editor(
        shown, column_order=order, hide_index=True, key=state.widget_key("edit_nodes"), height=560,
        column_config={
            "id": cc.TextColumn("id", disabled=True, pinned=True, help="The region's identifier in the scenario"),
            "name": cc.TextColumn("Name", width=165),
            "country": cc.TextColumn("Country", help="ISO country code"),
            "residency_zone": cc.TextColumn("Residency", width=100,
                                            help="Data-residency zone (EU, IN, …); empty: no residency zone"),
            "price_usd_per_mwh": cc.NumberColumn("Price ($/MWh)", min_value=0, format="%.1f", width=115,
                                                 help="Electricity price, $ per MWh"),
            "carbon_avg_g_per_kwh": cc.NumberColumn("CO₂ avg (g/kWh)", min_value=0, format="%.0f", width=140,
                                                    help="Average grid carbon intensity (the grid mix), gCO₂ per kWh"),
            "carbon_marginal_g_per_kwh": cc.NumberColumn("CO₂ marginal (g/kWh)", min_value=0, format="%.0f",
                                                         width=165, help="Marginal grid carbon intensity (what one "
                                                                         "more MWh emits), gCO₂ per kWh"),
            "pue": cc.NumberColumn("PUE", min_value=1, format="%.2f", width=75, help="Facility energy ÷ IT energy, ≥ 1"),
            "capacity_mw": cc.NumberColumn("Capacity (MW)", min_value=0, format="%.0f", width=125,
                                           help="The most IT power the region can take, MW"),
            "lat": cc.NumberColumn("Latitude (°)", min_value=-90, max_value=90, format="%.3f"),
            "lon": cc.NumberColumn("Longitude (°)", min_value=-180, max_value=180, format="%.3f"),
            **_provenance_columns(shown),
        })
    _apply(editing.cell_changes(shown, edited, "nodes", editing.NODE_FIELDS))

# --- workloads ------------------------------------------------------------------------------------
with tab_workloads:
    wl = editing.workloads_table(sc)
    prov = datafiles.workload_provenance()
    shown = wl.merge(prov, on="id", how="left") if len(prov) else wl
    shown = _blank_text(shown, ["name"] + [c for c in shown.columns if c.endswith(("_flag", "_source"))])
    order = ["id", "name", "latency_budget_ms", "state_pinned_share", "gb_per_mwh", "migration_overhead",
             "residency_bound"]
    order += _provenance_order(shown, ["latency_budget", "state_pinned", "gb_per_mwh", "migration_overhead",
                                       "residency"])
    st.caption("Budgets here are the scenario's; the sidebar's relaxation Δ is added on top. Quality flags and "
               "sources (default data set) follow the values: scroll right for them.")
    edited = st.data_editor(
        shown, column_order=order, hide_index=True, key=state.widget_key("edit_workloads"),
        column_config={
            "id": cc.TextColumn("id", disabled=True, pinned=True, help="The class's identifier in the scenario"),
            "name": cc.TextColumn("Name", width=170),
            "latency_budget_ms": cc.NumberColumn("Latency budget (ms)", min_value=0, format="%.0f",
                                                 help="Extra round trip allowed between home and compute node, ms"),
            "state_pinned_share": cc.NumberColumn("Pinned share σ", min_value=0, max_value=1, format="%.2f",
                                                  help="Fraction of demand that must run at home (0..1)"),
            "gb_per_mwh": cc.NumberColumn("Data (GB/MWh)", min_value=0, format="%.1f",
                                          help="GB moved per MWh of IT energy run away from home"),
            "migration_overhead": cc.NumberColumn("Migration overhead ω", min_value=0, format="%.3f",
                                                  help="Extra IT energy fraction for relocated work"),
            "residency_bound": cc.CheckboxColumn("Residency-bound", width=135,
                                                 help="Subject to the home zone's data residency"),
            **_provenance_columns(shown),
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
        shown = _blank_text(rtt.merge(both.rename(columns={"source": "data_source"}), on=["a", "b"], how="left"),
                            ["data_source"])
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
        st.caption(f"JSON or YAML, `schema_version: 1` (the format is described in the project's model "
                   f"reference), at most {MAX_SCENARIO_BYTES / 1e6:g} MB. "
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
        with st.expander("Sources of the default data"):
            st.markdown(sources)
