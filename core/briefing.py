"""What every exported or presented result must carry with it: the settings that produced it,
what its data rests on, and the two carbon signals side by side.

Pure functions of scenarios and results; the dashboard's Presentation and Explorer and the
HTML export read them, so a number never leaves the app without its settings.
"""
from __future__ import annotations

import datetime as _dt
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from core.narrative import FRICTION_WORDS, pct_words, tonnes_words
from core.physical import REGIONS_PATH
from core.scenario import Scenario, frictions_shown
from core.share import scenario_changes


BASIS_FIELDS = {  # basis field -> (node attribute, plural noun for sentences)
    "price": ("price_usd_per_mwh", "prices"),
    "carbon_avg": ("carbon_avg_g_per_kwh", "average carbon intensities"),
    "carbon_marginal": ("carbon_marginal_g_per_kwh", "marginal carbon intensities"),
    "pue": ("pue", "PUEs"),
    "capacity": ("capacity_mw", "capacities"),
}
FLAGS = ("measured", "estimate", "assumption", "user edit", "not documented")
FLAG_WORDS = {"measured": "measured", "estimate": "estimated", "assumption": "assumed",
              "user edit": "edited by you", "not documented": "without a documented source"}

_FIELD_UNITS = {  # scenario field -> (plain name, unit)
    "price_usd_per_mwh": ("price", "$/MWh"), "carbon_avg_g_per_kwh": ("average carbon", "gCO2/kWh"),
    "carbon_marginal_g_per_kwh": ("marginal carbon", "gCO2/kWh"), "pue": ("PUE", ""),
    "capacity_mw": ("capacity", "MW"), "lat": ("latitude", "°"), "lon": ("longitude", "°"),
    "residency_zone": ("residency zone", ""), "name": ("name", ""), "country": ("country", ""),
    "provider": ("provider", ""),
    "latency_budget_ms": ("latency budget", "ms"), "state_pinned_share": ("pinned share", ""),
    "gb_per_mwh": ("data moved", "GB/MWh"), "migration_overhead": ("migration overhead", ""),
    "residency_bound": ("residency-bound", ""),
    "egress_usd_per_gb": ("egress price", "$/GB"), "migration_usd_per_mwh": ("migration fee", "$/MWh"),
    "unserved_usd_per_mwh": ("unserved penalty", "$/MWh"),
    "carbon_price_usd_per_t": ("carbon price", "$/tCO2"), "carbon_signal": ("carbon signal", ""),
}


# --- settings ------------------------------------------------------------------------------

def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "on" if v else "off"
    if v is None:
        return "none"
    if isinstance(v, (int, float)):
        r = float(f"{float(v):.4g}")           # four significant figures, no trailing zeros
        return f"{r:,.0f}" if r.is_integer() else f"{r:,}"
    return str(v)


def edit_lines(default: Scenario, sc: Scenario) -> list[str]:
    """The edits that turn ``default`` into ``sc`` in plain words, one line each
    ("N. Virginia (us-va): price 89.2 → 50 $/MWh"); lists, tables replaced whole are named."""
    before = default.to_dict()
    names = {n.id: n.name or n.id for n in default.nodes} | {w.id: w.name or w.id for w in default.workloads}
    lines = []
    for path, new in scenario_changes(default, sc).items():
        parts = path.split(".")
        if len(parts) == 1:
            what = {"nodes": "regions", "workloads": "workload classes", "demand": "demand table",
                    "rtt_ms": "measured round trips",
                    "uncertainty": "uncertainty ranges"}.get(path, path.replace("_", " "))
            if new is None and isinstance(before.get(path), (list, dict)):   # an optional block taken away
                lines.append(f"{what}: removed")
                continue
            lines.append(f"{what}: replaced" if isinstance(new, (list, dict)) else
                         f"{what}: {_value(before.get(path))} → {_value(new)}")
            continue
        if parts[0] in ("nodes", "workloads"):
            item_id, field = parts[1], parts[2]
            old = next((i.get(field) for i in before[parts[0]] if i["id"] == item_id), None)
            who = f"{names.get(item_id, item_id)} ({item_id})"
        else:
            field, old, who = parts[-1], before.get(parts[0], {}).get(parts[-1]), None
        label, unit = _FIELD_UNITS.get(field, (field.replace("_", " "), ""))
        if parts[0] == "frictions":
            label = FRICTION_WORDS.get(field, field)
        text = f"{label} {_value(old)} → {_value(new)}" + (f" {unit}" if unit else "")
        lines.append(f"{who}: {text}" if who else text)
    return lines


def settings_rows(default: Scenario, sc: Scenario, relax_ms: float,
                  when: _dt.datetime | None = None) -> list[tuple[str, str]]:
    """(label, value) rows of every setting that produced a result: scenario and date (UTC),
    carbon price and signal, egress price, each friction, the relaxation Δ, the budgets and the
    edits against ``default``."""
    when = when or _dt.datetime.now(_dt.timezone.utc)
    edits = edit_lines(default, sc)
    budgets = "; ".join(f"{w.name or w.id} {_value(w.latency_budget_ms)} ms" for w in sc.workloads)
    frictions = ", ".join(f"{FRICTION_WORDS[f]} {'on' if getattr(sc.frictions, f) else 'off'}" for f in frictions_shown(sc))
    return [
        ("Scenario", sc.name),
        ("Computed", when.strftime("%Y-%m-%d %H:%M UTC")),
        ("Carbon price", f"${_value(sc.objective.carbon_price_usd_per_t)}/tCO2 on the "
                         f"{sc.objective.carbon_signal} grid intensity"),
        ("Egress price", f"${sc.prices.egress_usd_per_gb:.3f}/GB"),
        ("Frictions", frictions),
        ("Relaxation Δ", f"every budget + {_value(relax_ms)} ms"),
        ("Latency budgets", budgets + (f" (each + {_value(relax_ms)} ms)" if relax_ms else "")),
        ("Edits against the default", f"{len(edits)}: " + "; ".join(edits) if edits else "none"),
    ]


# --- what the data rests on ------------------------------------------------------------------

@lru_cache(maxsize=1)
def _read_provenance(path: Path) -> pd.DataFrame:
    try:
        df = pd.read_csv(path, keep_default_na=False, na_values=[""])
    except (OSError, ValueError):
        return pd.DataFrame(columns=["id"])
    if "id" not in df.columns:
        return pd.DataFrame(columns=["id"])
    return df[["id"] + [c for c in df.columns if c.endswith(("_source", "_flag"))]]


def region_provenance(path: Path = REGIONS_PATH) -> pd.DataFrame:
    """``data/regions.csv``'s id and every ``*_source`` / ``*_flag`` column (only an id column
    if the file is missing): the one reader of these columns. Read once per process; each call
    returns a copy, so a caller may change it freely."""
    return _read_provenance(Path(path)).copy()


def data_basis(sc: Scenario, default: Scenario, provenance: pd.DataFrame | None = None) -> pd.DataFrame:
    """How each node value of ``sc`` is known: tidy rows (field, flag, count) for the fields of
    :data:`BASIS_FIELDS`; flag one of :data:`FLAGS`. A value that differs from ``default``'s is a
    "user edit"; a node the default lacks, or one without a flag, is "not documented"."""
    prov = region_provenance() if provenance is None else provenance
    prov = prov.set_index("id") if "id" in prov.columns else pd.DataFrame()
    base = {n.id: n for n in default.nodes}
    rows = []
    for field, (attr, _) in BASIS_FIELDS.items():
        counts = dict.fromkeys(FLAGS, 0)
        col = f"{field}_flag"
        for n in sc.nodes:
            ref = base.get(n.id)
            if ref is not None and getattr(ref, attr) != getattr(n, attr):
                flag = "user edit"
            elif ref is not None and n.id in prov.index and col in prov.columns and prov.at[n.id, col] in FLAGS:
                flag = prov.at[n.id, col]
            else:
                flag = "not documented"
            counts[flag] += 1
        rows += [{"field": field, "flag": f, "count": c} for f, c in counts.items() if c]
    return pd.DataFrame(rows, columns=["field", "flag", "count"])


def data_basis_words(basis: pd.DataFrame, field: str) -> str:
    """One field's basis in words: "prices: 9 measured, 22 estimated"."""
    counts = [f"{int(c)} {FLAG_WORDS[f]}" for b, f, c in zip(basis["field"].tolist(), basis["flag"].tolist(),
                                                         basis["count"].tolist()) if b == field]
    return f"{BASIS_FIELDS[field][1]}: " + (", ".join(counts) if counts else "none")


# --- the two carbon signals -------------------------------------------------------------------

def _change_words(saved_t: float, local_t: float) -> str:
    share = f" ({pct_words(abs(saved_t) / local_t)})" if local_t > 0 else ""
    if saved_t > 0:
        return f"fall by {tonnes_words(saved_t)}{share}"
    if saved_t < 0:
        return f"rise by {tonnes_words(-saved_t)}{share}"
    return "do not change"


def carbon_signals_sentence(headline: dict) -> str:
    """Both carbon signals against the local baseline, with why they can disagree.

    ``headline``: :meth:`core.analysis.Analysis.headline` (carbon_savings_avg_t,
    carbon_savings_marginal_t, local_emissions_avg_t, local_emissions_marginal_t)."""
    avg, marg = headline["carbon_savings_avg_t"], headline["carbon_savings_marginal_t"]
    text = (f"Counted with each grid's average intensity, emissions {_change_words(avg, headline['local_emissions_avg_t'])}; "
            f"counted with its marginal intensity, they {_change_words(marg, headline['local_emissions_marginal_t'])}.")
    if (avg > 0) != (marg > 0):
        text += (" The two differ because the average counts the whole grid mix, while the marginal counts the "
                 "plant that runs more when demand rises, which can be gas or coal even on a clean grid.")
    return text + " Every marginal intensity here is an assumption (no open data set publishes them)."
