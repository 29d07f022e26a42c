"""Scenario tables for the Data page, and the scenario edits a table edit stands for.

Pure (no streamlit): a table is built from the scenario, the user edits a copy in
``st.data_editor``, and :func:`cell_changes` turns the differences into the dotted-path changes
of :func:`core.scenario.update_scenario`, which validates them. :func:`mark_user_edits` flags the
values that no longer are the default data set's, so a cell never keeps a source it left.
"""
from __future__ import annotations

import math
from typing import Any, Iterable

import numpy as np
import pandas as pd

from core.inputs import ModelInputs
from core.scenario import Scenario
from core.scenario_csv import DEMAND_COLUMNS, NODE_COLUMNS, WORKLOAD_COLUMNS

# the tables' columns are the scenario's field names, as in the CSV files (core.scenario_csv)
NODE_FIELDS = list(NODE_COLUMNS[1:])            # every column but the id
WORKLOAD_FIELDS = list(WORKLOAD_COLUMNS[1:])
SETTINGS = [  # dotted path, label, unit
    ("period_hours", "Period", "h"),
    ("regional_ms", "Regional layer threshold", "ms"),
    ("prices.migration_usd_per_mwh", "Migration fee φ", "$/MWh"),
    ("prices.unserved_usd_per_mwh", "Unserved penalty V", "$/MWh"),
    ("latency_model.fixed_ms", "RTT model: fixed part", "ms"),
    ("latency_model.route_inflation", "RTT model: route inflation", "×"),
    ("latency_model.fiber_km_per_ms", "RTT model: light in fibre", "km/ms"),
]
USER_EDIT, NOT_DOCUMENTED = "user edit", "not documented"   # the flags of core.briefing.FLAGS
# provenance subject (the stem of data/*.csv's *_flag and *_source columns) -> the fields it covers
NODE_PROVENANCE = {"price": ("price_usd_per_mwh",), "carbon_avg": ("carbon_avg_g_per_kwh",),
                   "carbon_marginal": ("carbon_marginal_g_per_kwh",), "pue": ("pue",),
                   "capacity": ("capacity_mw",), "coords": ("lat", "lon")}
WORKLOAD_PROVENANCE = {"latency_budget": ("latency_budget_ms",), "state_pinned": ("state_pinned_share",),
                       "gb_per_mwh": ("gb_per_mwh",), "migration_overhead": ("migration_overhead",),
                       "residency": ("residency_bound",)}
UNITS = {"price_usd_per_mwh": " $/MWh", "carbon_avg_g_per_kwh": " gCO₂/kWh",
         "carbon_marginal_g_per_kwh": " gCO₂/kWh", "capacity_mw": " MW", "lat": "°", "lon": "°", "latency_budget_ms": " ms", "gb_per_mwh": " GB/MWh"}


def _plain(value: Any) -> Any:
    """A JSON-ready Python value from a table cell (numpy scalars, NaN → None, '' → None)."""
    if value is None:
        return None
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer, int)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if math.isnan(value) else float(value)
    if isinstance(value, str):
        return value if value.strip() else None
    return value


def _same(a: Any, b: Any) -> bool:
    a, b = _plain(a), _plain(b)
    if isinstance(a, float) and isinstance(b, (int, float)) and not isinstance(b, bool):
        return math.isclose(a, b, rel_tol=0, abs_tol=0) or a == b
    return a == b


def _text(value: Any, field: str) -> str:
    value = _plain(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}{UNITS.get(field, '')}"
    return "none" if value is None else f"{value}{UNITS.get(field, '')}"


def mark_user_edits(table: pd.DataFrame, default_table: pd.DataFrame, subjects: dict[str, tuple[str, ...]],
                    id_column: str = "id") -> pd.DataFrame:
    """``table`` (values merged with their ``<subject>_flag`` / ``<subject>_source`` columns) with
    the flag of every value that differs from ``default_table``'s row of the same id set to
    "user edit" and its source to "your value (default <value>: <source>)"; a row whose id the
    default lacks, or a value without a flag, is "not documented". A missing flag column is added."""
    out = table.reset_index(drop=True).copy()
    ref = default_table.set_index(id_column)
    for subject, fields in subjects.items():
        flag, source = f"{subject}_flag", f"{subject}_source"
        if flag not in out.columns:
            out[flag] = None
        out[flag] = out[flag].astype(object)
        if source in out.columns:
            out[source] = out[source].astype(object)
        for i, item in enumerate(out[id_column]):
            if item not in ref.index:
                out.at[i, flag] = NOT_DOCUMENTED
                continue
            if all(_same(ref.at[item, f], out.at[i, f]) for f in fields):
                continue
            was = _plain(out.at[i, source]) if source in out.columns else None
            default = ", ".join(_text(ref.at[item, f], f) for f in fields)
            out.at[i, flag] = USER_EDIT
            if source in out.columns:
                out.at[i, source] = f"your value (default {default}" + (f": {was})" if was else ")")
        out[flag] = out[flag].where(out[flag].notna() & (out[flag] != ""), NOT_DOCUMENTED)
    return out


def rtt_edited_pairs(default: Scenario, sc: Scenario) -> set[frozenset]:
    """Node pairs {a, b} whose given round trip (either direction) differs from ``default``'s."""
    pairs = set()
    for s in set(default.rtt_ms) | set(sc.rtt_ms):
        before, after = default.rtt_ms.get(s, {}), sc.rtt_ms.get(s, {})
        pairs |= {frozenset((s, r)) for r in set(before) | set(after) if before.get(r) != after.get(r)}
    return pairs


def flag_counts(table: pd.DataFrame, subjects: Iterable[str]) -> pd.DataFrame:
    """Tidy (subject, flag, count) of the ``<subject>_flag`` columns of ``table``."""
    rows = []
    for subject in subjects:
        col = f"{subject}_flag"
        if col in table.columns:
            rows += [{"subject": subject, "flag": f, "count": int(c)}
                     for f, c in table[col].value_counts(sort=False).items()]
    return pd.DataFrame(rows, columns=["subject", "flag", "count"])


def nodes_table(sc: Scenario) -> pd.DataFrame:
    """One row per node: id and every field (units in the column names)."""
    return pd.DataFrame([{"id": n.id, **{f: getattr(n, f) for f in NODE_FIELDS}} for n in sc.nodes])


def workloads_table(sc: Scenario) -> pd.DataFrame:
    """One row per workload class: id and every field."""
    return pd.DataFrame([{"id": w.id, **{f: getattr(w, f) for f in WORKLOAD_FIELDS}} for w in sc.workloads])


def demand_table(sc: Scenario) -> pd.DataFrame:
    """The demand entries as given (node, workload, mw)."""
    return pd.DataFrame([d.model_dump() for d in sc.demand], columns=list(DEMAND_COLUMNS))


def settings_table(sc: Scenario) -> pd.DataFrame:
    """The scalar settings: path, label, value, unit."""
    data = sc.to_dict()
    rows = []
    for path, label, unit in SETTINGS:
        value: Any = data
        for part in path.split("."):
            value = value[part]
        rows.append({"path": path, "setting": label, "value": float(value), "unit": unit})
    return pd.DataFrame(rows)


def rtt_table(inp: ModelInputs) -> pd.DataFrame:
    """One row per node pair (a before b in the scenario): rtt both ways [ms], distance [km], and
    whether each direction is given in the scenario or modelled from distance."""
    ids = inp.node_ids
    a, b = np.triu_indices(len(ids), k=1)
    return pd.DataFrame({
        "a": np.array(ids, dtype=object)[a], "b": np.array(ids, dtype=object)[b],
        "rtt_ab_ms": inp.rtt_ms[a, b], "rtt_ba_ms": inp.rtt_ms[b, a],
        "distance_km": inp.distance_km[a, b],
        "given": np.where(inp.rtt_measured[a, b] | inp.rtt_measured[b, a], "given", "modelled"),
    })


def cell_changes(before: pd.DataFrame, after: pd.DataFrame, prefix: str, fields: Iterable[str],
                 id_column: str = "id") -> dict[str, Any]:
    """``{"<prefix>.<id>.<field>": new value}`` for every edited cell (rows matched by position)."""
    changes: dict[str, Any] = {}
    for i in range(min(len(before), len(after))):
        for f in fields:
            old, new = before[f].iloc[i], after[f].iloc[i]
            if not _same(old, new):
                changes[f"{prefix}.{before[id_column].iloc[i]}.{f}"] = _plain(new)
    return changes


def settings_changes(before: pd.DataFrame, after: pd.DataFrame) -> dict[str, Any]:
    """``{path: value}`` for every edited setting."""
    return {before["path"].iloc[i]: _plain(after["value"].iloc[i])
            for i in range(min(len(before), len(after)))
            if not _same(before["value"].iloc[i], after["value"].iloc[i])}


def demand_records(after: pd.DataFrame) -> list[dict]:
    """The edited demand table as scenario entries (empty rows dropped, the rest validated later)."""
    rows = []
    for rec in after.to_dict("records"):
        rec = {k: _plain(rec.get(k)) for k in DEMAND_COLUMNS}
        if all(v is None for v in rec.values()):
            continue
        rows.append(rec)
    return rows


def rtt_overrides(sc: Scenario, before: pd.DataFrame, after: pd.DataFrame) -> dict[str, dict[str, Any]] | None:
    """The scenario's ``rtt_ms`` with every edited direction of the rtt table set; None if no edit."""
    table = {a: dict(row) for a, row in sc.rtt_ms.items()}
    edited = False
    n = min(len(before), len(after))
    for col, (s_col, r_col) in (("rtt_ab_ms", ("a", "b")), ("rtt_ba_ms", ("b", "a"))):
        old, new = before[col].iloc[:n].to_numpy(dtype=object), after[col].iloc[:n].to_numpy(dtype=object)
        x = pd.to_numeric(pd.Series(old), errors="coerce").to_numpy(float)
        y = pd.to_numeric(pd.Series(new), errors="coerce").to_numpy(float)
        maybe = np.flatnonzero(~((x == y) & ~np.isnan(x)))      # only these rows can differ; _same decides
        for i in maybe:
            if not _same(old[i], new[i]):
                table.setdefault(before[s_col].iloc[i], {})[before[r_col].iloc[i]] = _plain(new[i])
                edited = True
    return table if edited else None
