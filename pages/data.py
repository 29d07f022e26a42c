"""Data: the scenario's regions, workloads, demand and round-trip times with their sources and
quality flags, and the uncertainty ranges a sweep draws from; edit them, upload a scenario,
download the scenario and the results."""
import json
import math

import pandas as pd
import streamlit as st

from core.briefing import FLAG_WORDS, FLAGS, edit_lines
from core.model import SolveError
from core import scenario_csv, uncertainty
from core.scenario import MAX_SCENARIO_BYTES, Scenario, ScenarioError, loads_scenario
from core.setting_change import headline_delta
from pages.common import datafiles, editing, state
from pages.common.theme import fmt_mw, fmt_signed, fmt_t, fmt_usd

cc = st.column_config
FLAG_HELP = ("measured: a published figure · estimate: our reading of published figures · assumption: a "
             "modelling choice · user edit: differs from the default data set · not documented: a region "
             "or class the default data set does not have")
TABS = ["Regions", "Workloads", "Demand", "Round-trip times", "Settings", "Uncertainty", "Files"]
# this page's own session keys: the tab, and the two uploaders (each with "<key>_done", "<key>_pending")
TAB, UPLOAD, CSV_UPLOAD = "data_tab", "data_upload", "data_csv_upload"
RTT_PAGE_ROWS = 1000        # a longer rtt table is built only while its tab is open, and shown one page at a time
# the numbers of "what your last edit changed": label, headline key, format, delta colour (comments,
# not docstrings, here: Streamlit's "magic" shows a bare string at a page's top level on the page)
LAST_EDIT = (("Savings vs local", "savings_usd", fmt_usd, "normal"), ("Energy cost", "cost_usd", fmt_usd, "inverse"),
             ("Emissions, average", "emissions_avg_t", fmt_t, "inverse"),
             ("Emissions, marginal", "emissions_marginal_t", fmt_t, "inverse"))

sc = state.current_scenario()
default = state.default_scenario()
st.title("Data")
st.caption(f"Scenario **{sc.name}**. Every table is editable: an edit re-solves and becomes part of the "
           "scenario (and of the link). An invalid value is refused with the field it concerns; "
           "the last valid scenario stays.")


def _apply(changes: dict) -> None:
    """Apply a table's edits, then rerun so the sidebar and every number show them (the result
    from before them is :func:`pages.common.state.previous_result`)."""
    if not changes:
        return
    state.apply_changes(changes, reset=True)
    st.rerun()


def _delta(change: float, now: float, before: float, fmt) -> str:
    """The signed change, or "no change" within the LP's tolerance (1e-6 relative)."""
    if abs(change) <= 1e-6 * max(abs(now), abs(before), 1.0):
        return "no change"
    return fmt_signed(fmt, change)


def _last_edit_result() -> None:
    """Savings, cost and both emissions now against the setting before the last change
    (:func:`pages.common.state.previous_result`), while the relaxation is still the one it
    had: the change was an edit of the scenario."""
    try:
        previous = state.previous_result()
    except SolveError:
        return
    if previous is None or previous[1] != state.relax_ms():
        return
    before_sc, _, before = previous
    now = state.headline()
    change = headline_delta(before, now, [key for _, key, _, _ in LAST_EDIT])
    edits = edit_lines(before_sc, state.current_scenario())
    with st.container(border=True):
        st.markdown("**What your last edit changed**" + (": " + "; ".join(edits) if edits else ""))
        for col, (label, key, fmt, colour) in zip(st.columns(4), LAST_EDIT):
            delta = _delta(change[key], now[key], before[key], fmt)
            col.metric(label, fmt(now[key]), delta, delta_color="off" if delta == "no change" else colour,
                       delta_arrow="off" if delta == "no change" else "auto", delta_description="vs before the edit")
        st.caption("Now, and the change against the same scenario just before the edit (same settings and "
                   "relaxation Δ), from the exact LP. Emissions counted with the average and with the marginal "
                   "grid intensity; the default data's marginal intensities are all assumptions.")


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
                                help=f"Where the default value of {_subject(c).lower()} comes from; "
                                     "“your value (default …)” where you changed it")
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


def _with_provenance(table: pd.DataFrame, provenance: pd.DataFrame, default_table: pd.DataFrame,
                     subjects: dict, text: list[str]) -> pd.DataFrame:
    """A scenario table with the default data's flags and sources, edits marked "user edit"."""
    shown = table.merge(provenance, on="id", how="left") if len(provenance) else table
    shown = editing.mark_user_edits(shown, default_table, subjects)
    return _blank_text(shown, text + [c for c in shown.columns if c.endswith(("_flag", "_source"))])


def _rtt_page(rtt: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """One page of a long rtt table (the pairs of one region, or every pair), its editor's name
    (one per region and page, so an edit lands on the rows it was made on); the full CSV to download."""
    ids = sc.node_ids
    f1, f2, f3 = st.columns([2, 1, 1], vertical_alignment="bottom")
    pick = f1.selectbox("Pairs with region", [None, *ids], key="data_rtt_region",
                        format_func=lambda n: "every region" if n is None else n,
                        help="Only the pairs with this region on either side.")
    rows = rtt if pick is None else rtt[(rtt["a"] == pick) | (rtt["b"] == pick)]
    pages = max(1, -(-len(rows) // RTT_PAGE_ROWS))
    page = int(f2.number_input(f"Page (of {pages:,})", 1, pages, 1, key=f"data_rtt_page_{pages}"))
    f3.download_button("Every pair (CSV)", rtt.to_csv(index=False), f"{_stem(sc)}-rtt-pairs.csv", "text/csv",
                       icon=":material/download:", on_click="ignore",
                       help="The whole table: both directions' round trip (ms), distance (km), given or modelled.")
    first = (page - 1) * RTT_PAGE_ROWS
    part = rows.iloc[first:first + RTT_PAGE_ROWS].reset_index(drop=True)
    st.caption(f"Pairs {first + 1:,}–{first + len(part):,} of {len(rows):,}"
               + ("" if pick is None else f" with {pick}") + f", {RTT_PAGE_ROWS:,} a page.")
    region_index = 0 if pick is None else ids.index(pick) + 1
    return part, f"rtt_{region_index}_{page}_edit_rtt"


def _rtt_shown(rtt: pd.DataFrame, edited: set) -> pd.DataFrame:
    """The rtt table with the default data's source of each pair; an edited pair's
    (``edited``: :func:`pages.common.editing.rtt_edited_pairs`) is "user edit"."""
    prov = state.rtt_sources_table()
    if not len(prov):
        return rtt
    both = pd.concat([prov, prov.rename(columns={"a": "b", "b": "a"})]).drop_duplicates(["a", "b"])
    shown = rtt.merge(both.rename(columns={"source": "data_source"}), on=["a", "b"], how="left")
    if edited:
        mask = [frozenset((a, b)) in edited for a, b in zip(shown["a"], shown["b"])]
        shown.loc[mask, "data_source"] = editing.USER_EDIT
    return _blank_text(shown, ["data_source"])


def _count_words(counts: pd.DataFrame, subject: str) -> str:
    """ "9 measured, 22 estimated" for one subject of :func:`pages.common.editing.flag_counts`."""
    part = counts[counts["subject"] == subject].set_index("flag")["count"].to_dict()
    words = [f"{part[f]} {FLAG_WORDS[f]}" for f in FLAGS if part.get(f)]
    words += [f"{c} {f}" for f, c in part.items() if f not in FLAGS]
    return ", ".join(words) or "none"


# why the default prices are what a data centre pays (data/SOURCES.md, "Price")
PRICE_BASIS = (
    "**Price basis.** Each region's price is what a large data centre pays for a megawatt-hour delivered,"
    " before VAT. A 50 MW site uses about 440 GWh a year. That is the largest band in EU price statistics"
    " (band IG, 150,000 MWh a year and more). Users that size pay far less per MWh for networks and "
    "levies than the mid-sized businesses (band IC, 500–2,000 MWh) behind the Eurostat figure quoted most"
    " often, which put Dublin at \\$277/MWh. In the United States we use the EIA's 2023 average "
    "industrial price for each state (measured). In Europe and Australia we start from the 2024 average "
    "wholesale price. Where we have hourly market prices we compute it from them (Germany, the "
    "Netherlands, France, Spain, New South Wales, Victoria). Elsewhere we use the published 2024 day-"
    "ahead average (Ireland, Italy, Sweden) or a recalled one (Finland, Poland, Great Britain). To that "
    "we add our own estimate of network charges, levies, taxes and supplier margin for such a user: from "
    "€10/MWh in Finland to €45/MWh in Germany and Sweden, and £80/MWh in Great Britain. These prices are "
    "therefore marked as estimates; Dublin comes out at \\$161/MWh. In other countries the price is a "
    "local large-user tariff, also an estimate. Real data centres often buy through long-term contracts "
    "or power-purchase agreements at other prices, which we do not model. You can edit any price on this "
    "page.")


def _sources_summary(nodes_shown: pd.DataFrame, workloads_shown: pd.DataFrame, rtt: pd.DataFrame,
                     rtt_edited: set) -> None:
    """Where each kind of value comes from and how sure it is, in plain words, with the counts of
    this scenario's quality flags (the build of the data set is described in data/SOURCES.md);
    the price basis of the default data only while the base scenario is the shipped default."""
    n = editing.flag_counts(nodes_shown, editing.NODE_PROVENANCE)
    w = editing.flag_counts(workloads_shown, editing.WORKLOAD_PROVENANCE)
    given = int((rtt["given"] == "given").sum())
    edited = len(rtt_edited)
    price_basis = PRICE_BASIS + "\n\n" if state.base_scenario() == state.default_scenario() else ""
    lm = sc.latency_model
    with st.expander("Where the data comes from, and how sure it is"):
        st.markdown(f"""
How sure each value is, in this scenario's {len(sc.nodes)} regions and {len(sc.workloads)} workload classes
(**measured**: a published figure, used as published; **estimated**: our reading of published figures, right
in order of magnitude; **assumed**: a modelling choice, which you can edit; **edited by you**: differs from the
default data set; **without a documented source**: a region or class the default data set does not have):

- **Electricity price** ($/MWh): what a large electricity buyer pays in the region, taken from official
  statistics, published tariffs or wholesale markets and converted to US dollars. The price basis of each
  region (which tariff or market, which year, which additions) is in its “Price: source” column on the
  Regions tab. Prices: {_count_words(n, "price")}.
- **Average grid carbon intensity** (gCO₂/kWh): the yearly average of the grid's electricity mix, as
  published for the cloud region's grid or the country: {_count_words(n, "carbon_avg")}.
- **Marginal grid carbon intensity** (gCO₂/kWh): what one more MWh emits, i.e. the power plant that runs
  more when demand rises. No open data set publishes it, so each region gets the typical figure of the plant
  type usually on its margin (gas, coal and gas, or coal): {_count_words(n, "carbon_marginal")}.
- **PUE** (facility energy ÷ IT energy): from the fleet averages large operators publish, by the region's
  climate: {_count_words(n, "pue")}.
- **Capacity** (MW of IT power available to this workload mix): stylised, so that every region can serve
  its own demand while spare room stays finite: {_count_words(n, "capacity")}. The capacity friction rests
  on these numbers.
- **Location**: city-level coordinates of the cloud region: {_count_words(n, "coords")}.
- **Round-trip times** (ms): {given:,} of {len(rtt):,} region pairs are given in the scenario (measured
  medians between cloud regions in the default data{f", {edited} edited by you" if edited else ""}); the
  other {len(rtt) - given:,} are modelled from the distance ({lm.fixed_ms:g} ms + 2 × distance ×
  {lm.route_inflation:g} ÷ {lm.fiber_km_per_ms:g} km/ms).
- **Workload classes**: latency budgets {_count_words(w, "latency_budget")}; pinned shares
  {_count_words(w, "state_pinned")}; data moved per MWh {_count_words(w, "gb_per_mwh")}; migration
  overheads {_count_words(w, "migration_overhead")}; residency {_count_words(w, "residency")}. The reason
  of each is in its source column on the Workloads tab.
- **Demand** (MW): stylised: the world's AI-inference power estimated from published data-centre
  electricity figures, shared among regions and classes by assumption.

PRICE_BASIS
The references and licences of every source, and how the default data set is built, are in the project's
data/SOURCES.md.
""".replace("PRICE_BASIS\n", price_basis))


def _stem(scenario: Scenario) -> str:
    """A file name stem from the scenario's name."""
    return "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in scenario.name).strip("-") or "scenario"


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _names(names: list[str]) -> tuple[str, str]:
    """ "a.csv, b.csv and c.csv" and its verb ("was" / "were")."""
    text = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return text, "was" if len(names) == 1 else "were"


def _replace(key: str, file_id: str, name: str, new: Scenario) -> None:
    """Make an uploaded scenario the base and current one; the result is shown in the Files tab."""
    state.set_base_scenario(new)
    ss = st.session_state
    ss.pop(f"{key}_pending", None)
    regions = _count(len(new.nodes), "region", "regions")
    classes = _count(len(new.workloads), "workload class", "workload classes")
    ss[f"{key}_done"] = (file_id, "success", f"Loaded {name}: scenario “{new.name}”, {regions}, {classes}.")


def _confirm(key: str, file_id: str, name: str, new: Scenario, edits: list[str]) -> None:
    """Ask before an upload replaces the session's edits; nothing is lost until "Replace"."""
    ss = st.session_state
    with st.container(border=True):
        st.warning(f"Replace your {_count(len(edits), 'edit', 'edits')} with the uploaded scenario “{new.name}” "
                   f"({name})?", icon=":material/help:")
        shown = edits[:6] + ([f"and {len(edits) - 6} more"] if len(edits) > 6 else [])
        st.caption("Your edits: " + "; ".join(shown) + ".")
        buttons = st.container(horizontal=True, wrap=True)     # wraps on a narrow screen, never cut
        if buttons.button("Replace", type="primary", key=f"{key}_replace", icon=":material/upload_file:"):
            _replace(key, file_id, name, new)
            st.rerun()
        if buttons.button("Keep my edits", key=f"{key}_keep", icon=":material/undo:"):
            ss.pop(f"{key}_pending", None)
            ss[f"{key}_done"] = (file_id, "info", f"Not loaded: {name}; your edits are kept. Upload again to be "
                                                  "asked again.")
            st.rerun()
        buttons.download_button("Download my edited scenario", sc.to_json(indent=2), f"{_stem(sc)}.json",
                                "application/json", icon=":material/download:", on_click="ignore",
                                help="Save the scenario with your edits before replacing it.")


def _read_scenario_file(up) -> Scenario:
    """The scenario of an uploaded JSON or YAML file."""
    if up.size > MAX_SCENARIO_BYTES:
        raise ScenarioError("", f"the file is {up.size:,} bytes; the limit is {MAX_SCENARIO_BYTES:,}")
    return loads_scenario(up.getvalue(), "yaml" if up.name.lower().endswith((".yaml", ".yml")) else "json")


def _read_csv_files(ups: list) -> Scenario:
    """The scenario of uploaded CSV files, settings.json and/or a zip of them (:mod:`core.scenario_csv`)."""
    for up in ups:
        if up.size > MAX_SCENARIO_BYTES:
            raise ScenarioError("", f"{up.name} is {up.size:,} bytes; the limit is {MAX_SCENARIO_BYTES:,}")
    return scenario_csv.scenario_from_files(scenario_csv.collect_files((up.name, up.getvalue()) for up in ups))


def _upload(key: str, ups: list, read) -> None:
    """Read an upload (the files ``ups``, read together by ``read``) once per set of files: refuse
    it with the file and field named (the scenario stays), load it, or, when the session has edits
    against its base scenario, ask first (see :func:`_confirm`)."""
    ss = st.session_state
    done_key, pending_key = f"{key}_done", f"{key}_pending"
    if not ups:
        ss.pop(pending_key, None)
        return
    file_id = "|".join(up.file_id for up in ups)
    name, verb = _names([up.name for up in ups])
    done = ss.get(done_key)
    if done is None or done[0] != file_id:
        try:
            new = read(ups)
        except ScenarioError as exc:
            ss[done_key] = (file_id, "error", f"{name} {verb} not loaded: {exc}")
        else:
            ss[done_key] = (file_id, None, None)
            ss[pending_key] = (file_id, name, new)
    pending = ss.get(pending_key)
    if pending and pending[0] == file_id:
        edits = edit_lines(state.base_scenario(), state.current_scenario())
        if not edits:                           # nothing of the user's to lose: load it
            _replace(key, *pending)
            st.rerun()
        _confirm(key, *pending, edits)
    kind, text = ss[done_key][1:]
    show = {"error": (st.error, ":material/error:"), "success": (st.success, ":material/check_circle:"),
            "info": (st.info, ":material/info:")}
    if kind in show:
        show[kind][0](text, icon=show[kind][1])


nodes_shown = _with_provenance(editing.nodes_table(sc), state.sources_table(), editing.nodes_table(default),
                               editing.NODE_PROVENANCE, ["name", "country", "residency_zone", "provider"])
workloads_shown = _with_provenance(editing.workloads_table(sc), datafiles.workload_provenance(),
                                   editing.workloads_table(default), editing.WORKLOAD_PROVENANCE, ["name"])
rtt_table = editing.rtt_table(state.current_inputs())
rtt_edited = editing.rtt_edited_pairs(default, sc)
_last_edit_result()
_sources_summary(nodes_shown, workloads_shown, rtt_table, rtt_edited)

# a keyed tab set tracks its tab, so an upload or an edit (which rerun the page) keeps it
tab_regions, tab_workloads, tab_demand, tab_rtt, tab_settings, tab_uncertainty, tab_files = st.tabs(
    TABS, key=TAB, on_change="rerun")

# --- regions --------------------------------------------------------------------------------------
with tab_regions:
    shown = nodes_shown
    # the values first (they fit at 1440 px), then their quality flags, location, and the wide sources last
    order = ["id", "name", "residency_zone", "price_usd_per_mwh", "carbon_avg_g_per_kwh", "carbon_marginal_g_per_kwh",
             "pue", "capacity_mw", "provider"]
    flags = _provenance_order(shown, ["price", "carbon_avg", "carbon_marginal", "pue", "capacity", "coords"])
    order += [c for c in flags if c.endswith("_flag") and c != "coords_flag"] + ["country", "lat", "lon"] + \
             [c for c in ("coords_flag",) if c in shown.columns] + [c for c in flags if c.endswith("_source")]
    st.caption(f"{len(sc.nodes)} regions. Quality flags and sources are those of the default data set; a value "
               "that differs from it is flagged “user edit” (its source gives the default value), a region the "
               "default data set lacks “not documented”. Scroll right for them.")
    edited = st.data_editor(
        shown, column_order=order, hide_index=True, key=state.widget_key("edit_nodes"), height=560,
        column_config={
            "id": cc.TextColumn("id", disabled=True, pinned=True, help="The region's identifier in the scenario"),
            "name": cc.TextColumn("Name", width=165),
            "country": cc.TextColumn("Country", help="ISO country code"),
            "residency_zone": cc.TextColumn("Residency", width=100,
                                            help="Data-residency zone (EU, IN, …); empty: no residency zone"),
            "provider": cc.TextColumn("Provider", width=90,
                                      help="Cloud provider (aws, azure, gcp, …); empty: none. Only the provider "
                                           "lock (sidebar) reads it: work then moves only within one provider."),
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
    shown = workloads_shown
    order = ["id", "name", "latency_budget_ms", "state_pinned_share", "gb_per_mwh", "migration_overhead",
             "residency_bound"]
    order += _provenance_order(shown, ["latency_budget", "state_pinned", "gb_per_mwh", "migration_overhead",
                                       "residency"])
    st.caption("Budgets here are the scenario's; the sidebar's relaxation Δ is added on top. Quality flags and "
               "sources (default data set; “user edit” where a value differs from it) follow the values: "
               "scroll right for them.")
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
    paged = len(rtt_table) > RTT_PAGE_ROWS
    if not paged or tab_rtt.open is not False:    # a long table is built only while its tab is open
        rtt, editor_key = _rtt_page(rtt_table) if paged else (rtt_table, "edit_rtt")
        shown = _rtt_shown(rtt, rtt_edited)
        st.caption(f"{len(rtt_table):,} region pairs. A round trip is given in the scenario (measured) or modelled "
                   f"from the great-circle distance ({sc.latency_model.fixed_ms:g} ms + 2 × distance × "
                   f"{sc.latency_model.route_inflation:g} ÷ {sc.latency_model.fiber_km_per_ms:g} km/ms). "
                   "Editing a value makes it given.")
        edited = st.data_editor(
            shown, hide_index=True, key=state.widget_key(editor_key), height=380,
            column_config={
                "a": cc.TextColumn("Region a", disabled=True), "b": cc.TextColumn("Region b", disabled=True),
                "rtt_ab_ms": cc.NumberColumn("RTT a→b (ms)", min_value=0, format="%.1f"),
                "rtt_ba_ms": cc.NumberColumn("RTT b→a (ms)", min_value=0, format="%.1f"),
                "distance_km": cc.NumberColumn("Distance (km)", format="%.0f", disabled=True),
                "given": cc.TextColumn("In scenario", disabled=True, help="given: in the scenario's rtt_ms; "
                                                                         "modelled: from distance"),
                "data_source": cc.TextColumn("Source (default data)", disabled=True,
                                             help="azure-measured: a published median between the nearest Azure "
                                                  "regions · distance-model: from the distance · user edit: "
                                                  "differs from the default data"),
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

# --- uncertainty ranges ---------------------------------------------------------------------------
@st.cache_data(max_entries=8, show_spinner=False)
def _ranges(sc_key: str, _sc: Scenario) -> tuple[list, pd.DataFrame]:
    """The uncertain inputs of the scenario (its block, or the default ranges) and their table."""
    inputs = uncertainty.uncertain_inputs(_sc)
    return inputs, uncertainty.ranges_table(_sc, inputs)


with tab_uncertainty:
    inputs, ranges = _ranges(state.scenario_key(), sc)
    own = sc.uncertainty is not None
    st.caption(f"{len(inputs)} uncertain inputs, " + (
        "from this scenario's own uncertainty block." if own else
        "the default ranges by data-quality flag (measured ±5 %, estimate ±25 %, assumption ±50 %, marginal "
        "carbon by plant type; data/SOURCES.md, “Uncertainty ranges”). Values you edited, and regions or classes "
        "the default data set lacks, have no default range: add a row for them.")
        + " A sweep draws each input between low and high (uniform, or triangular with its mode). A row named "
          "“scale:…” is one factor on many values (every PUE, one region's demand and capacity). Editing a row "
          "makes the whole table the scenario's block; a new row takes a field path such as "
          "nodes[us-va].price_usd_per_mwh, workloads[chat].gb_per_mwh, demand[3].mw or rtt_ms.A.B.")
    edited = st.data_editor(
        ranges, hide_index=True, num_rows="dynamic", key=state.widget_key("edit_uncertainty"), height=420,
        column_order=list(uncertainty.RANGE_COLUMNS),
        column_config={
            "label": cc.TextColumn("Input", disabled=True, width=230, help="The value drawn and its unit (× a factor)"),
            "field": cc.TextColumn("Field path", width=260, required=True,
                                   help="nodes[id or index].field, workloads[…].field, demand[index].mw, "
                                        "prices.…, objective.carbon_price_usd_per_t, latency_model.…, rtt_ms.A.B"),
            "value": cc.TextColumn("Value now", disabled=True, help="The scenario's value, in the input's unit"),
            "low": cc.NumberColumn("Low", format="%g", required=True, help="Lowest value drawn, same unit"),
            "high": cc.NumberColumn("High", format="%g", required=True, help="Highest value drawn, same unit"),
            "dist": cc.SelectboxColumn("Distribution", options=list(uncertainty.DISTS), width=110),
            "mode": cc.NumberColumn("Mode", format="%g", help="Most likely value (triangular only)"),
            "basis": cc.TextColumn("Basis", disabled=True, width="large",
                                   help="scenario: this scenario's block; otherwise the default rule and its flag"),
        })
    entries = uncertainty.table_entries(edited, inputs)
    if entries != uncertainty.table_entries(ranges, inputs):
        _apply({"uncertainty": entries})
    if own and st.button("Back to the default ranges", key="data_uncertainty_default", icon=":material/undo:",
                         help="Remove the scenario's uncertainty block: the default ranges by flag apply again."):
        _apply({"uncertainty": None})

# --- files ----------------------------------------------------------------------------------------
with tab_files:
    left, right = st.columns(2, gap="large")
    with left:
        st.subheader("Upload a scenario")
        st.caption(f"JSON or YAML, `schema_version: 1` (the format is described on the Model reference "
                   f"page), at most {MAX_SCENARIO_BYTES / 1e6:g} MB; a key given twice in one object is refused. "
                   "It replaces the current scenario (you are asked first when you have edits); the sidebar's "
                   "reset goes back to the default.")
        up = st.file_uploader("Scenario file", type=["json", "yaml", "yml"], key="data_upload",
                              help="Validated before use: an error names the field to fix.")
        _upload(UPLOAD, [up] if up is not None else [], lambda ups: _read_scenario_file(ups[0]))
        st.subheader("Import CSV files")
        st.caption(f"Your own regions from a spreadsheet: {', '.join(scenario_csv.REQUIRED_FILES)}, optionally "
                   f"{scenario_csv.RTT} (the given round trips; the others come from the distance model) and "
                   f"{scenario_csv.SETTINGS} (the other settings; defaults without it), or one zip of them, as "
                   "“Scenario (CSV files)” downloads them. The columns are the scenario's field names, as in the "
                   "tables on this page, with the units in the names (price_usd_per_mwh: $/MWh; the list is below "
                   "the downloads). A file that cannot be used is refused with its file, row (the header is row 1) "
                   "and column, and the current scenario stays.")
        ups = st.file_uploader("CSV files", type=["csv", "json", "zip"], accept_multiple_files=True, key=CSV_UPLOAD,
                               help="Select the files together (or one zip); validated before use.")
        _upload(CSV_UPLOAD, list(ups or []), _read_csv_files)
    with right:
        st.subheader("Download")
        stem = _stem(sc)
        st.download_button("Scenario (JSON)", sc.to_json(indent=2), f"{stem}.json", "application/json",
                           icon=":material/download:", on_click="ignore",
                           help="The scenario with every edit; upload it again or run `python -m core solve` on it.")
        st.download_button("Scenario (CSV files)", scenario_csv.scenario_zip(sc, stem), f"{stem}-csv.zip",
                           "application/zip", icon=":material/download:", on_click="ignore",
                           help=f"One zip of {', '.join(scenario_csv.FILES)} in a folder {stem}/: edit them in a "
                                f"spreadsheet, import them here, or run `python -m core solve {stem}/`.")
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
    with st.expander("The CSV files' columns"):
        st.dataframe(scenario_csv.columns_table(), hide_index=True,
                     column_config={"required": cc.CheckboxColumn("In the header", help="Must be in the header row; "
                                                                  "other columns may be left out and take their "
                                                                  "default"),
                                    "file": "File", "column": "Column", "unit": "Unit",
                                    "meaning": cc.TextColumn("Meaning", width="large")})
