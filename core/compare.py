"""Two scenarios side by side: A (pinned on the Compare page) and B (the session's current one).

Pure: headline dicts (:meth:`core.analysis.Analysis.headline`), placements
(:attr:`core.solution.Solution.placement`), frontiers (:func:`core.frontier.frontier`) and friction
waterfalls (:func:`core.metrics.friction_waterfall`) of both in, tidy tables and sentences out.
Every difference is B − A, in the unit of its column (``_usd``: $ over the scenario's period,
``_t``: tCO2 over the period, ``_mw``: MW of IT power, ``share``: 0..1).
"""
from __future__ import annotations

import pandas as pd

from core.briefing import edit_lines
from core.narrative import finite, ms_words, period_words, significant, tonnes_words, usd_words
from core.scenario import Scenario

CHANGE_TOL_MW = 1e-3
"""A flow counts as changed when A's and B's IT power differ by more than this [MW] (1 kW): far
above what the solvers leave as noise on MW-scale flows (HiGHS's primal feasibility tolerance,
1e-7, on flows of at most thousands of MW) and far below a flow worth drawing on a map. A flow a
placement does not list (below :data:`core.solution.TOL_MW`) is 0 MW."""

SAME_REL = 1e-9
"""A headline number is "the same" in A and B when |B − A| ≤ SAME_REL × max(|A|, |B|, 1)
(rounding of sums over arcs, not a change)."""

HEADLINE_ROWS = (  # headline key, label, unit
    ("cost_usd", "Cost (energy, egress, migration)", "usd"),
    ("savings_usd", "Savings against running at home", "usd"),
    ("emissions_avg_t", "Emissions, average signal", "t"),
    ("emissions_marginal_t", "Emissions, marginal signal", "t"),
    ("relocated_share", "Demand moved away from home", "share"),
    ("unserved_mw", "Unserved demand", "mw"),
)
"""The rows of :func:`headline_deltas`; units: "usd" [$ over the period], "t" [tCO2 over the
period], "share" [0..1 of demand by IT power], "mw" [MW]."""

OVERLAY_COLUMNS = ("budget_ms", "savings_usd", "cost_usd", "carbon_savings_avg_t", "carbon_savings_marginal_t",
                   "relocated_share", "unserved_mw")
"""The frontier columns :func:`frontier_overlay` keeps (as :func:`core.frontier.frontier` names them)."""


def _direction(a: float, b: float) -> str:
    change = b - a
    if abs(change) <= SAME_REL * max(abs(a), abs(b), 1.0):
        return "same"
    return "higher" if change > 0 else "lower"


def headline_deltas(headline_a: dict, headline_b: dict) -> pd.DataFrame:
    """The headline numbers of A and B and B − A, one row per :data:`HEADLINE_ROWS` entry:
    key, label, unit, a, b, change, direction ("higher", "lower" or "same", see :data:`SAME_REL`)."""
    rows = []
    for key, label, unit in HEADLINE_ROWS:
        a, b = float(headline_a[key]), float(headline_b[key])
        rows.append({"key": key, "label": label, "unit": unit, "a": a, "b": b, "change": b - a,
                     "direction": _direction(a, b)})
    return pd.DataFrame(rows, columns=["key", "label", "unit", "a", "b", "change", "direction"])


def changed_flows(placement_a: pd.DataFrame, placement_b: pd.DataFrame, *, per_workload: bool = True,
                  tol_mw: float = CHANGE_TOL_MW) -> pd.DataFrame:
    """The relocated flows (service ≠ compute) whose IT power [MW] differs between A and B by more
    than ``tol_mw`` (see :data:`CHANGE_TOL_MW`): service, compute, workload (left out when
    ``per_workload`` is False: each corridor summed over the classes), mw_a, mw_b, change_mw
    (B − A); the largest |change| first, ties by service, compute, workload. A flow that one
    placement does not list is 0 MW there (a corridor new in B has mw_a 0)."""
    keys = ["service", "compute"] + (["workload"] if per_workload else [])

    def moved(p: pd.DataFrame) -> pd.Series:
        away = p[p["service"] != p["compute"]]
        return away.groupby(keys)["mw"].sum().astype(float)

    both = pd.concat({"mw_a": moved(placement_a), "mw_b": moved(placement_b)}, axis=1).fillna(0.0)
    both["change_mw"] = both["mw_b"] - both["mw_a"]
    out = both[both["change_mw"].abs() > tol_mw].reset_index()
    out = out.assign(size=out["change_mw"].abs()).sort_values(["size", *keys], ascending=[False] + [True] * len(keys))
    return out.drop(columns="size").reset_index(drop=True)[[*keys, "mw_a", "mw_b", "change_mw"]]


def frontier_overlay(frontier_a: pd.DataFrame, frontier_b: pd.DataFrame) -> pd.DataFrame:
    """Both frontiers in one tidy table: scenario ("A" or "B") and :data:`OVERLAY_COLUMNS`, each
    scenario's rows by budget [ms]."""
    parts = [f.sort_values("budget_ms")[list(OVERLAY_COLUMNS)].assign(scenario=name)
             for name, f in (("A", frontier_a), ("B", frontier_b))]
    return pd.concat(parts, ignore_index=True)[["scenario", *OVERLAY_COLUMNS]]


def waterfall_pair(waterfall_a: pd.DataFrame, waterfall_b: pd.DataFrame) -> pd.DataFrame:
    """Both friction waterfalls in one tidy table: scenario ("A" or "B"), step, savings_usd (the
    saving with the frictions so far on [$]), change_usd (what the step changed [$]), in each
    scenario's own order of steps (a friction off in one scenario is no step of its waterfall)."""
    cols = ["step", "savings_usd", "change_usd"]
    parts = [w[cols].assign(scenario=name) for name, w in (("A", waterfall_a), ("B", waterfall_b))]
    return pd.concat(parts, ignore_index=True)[["scenario", *cols]]


def waterfall_range_usd(pair: pd.DataFrame) -> tuple[float, float]:
    """One savings axis [$] for both waterfalls of :func:`waterfall_pair` (so the bars compare):
    from 1.1 × the lowest saving (0 when none is negative) to 1.15 × the highest (1 when none is
    positive), the rule of the single waterfall chart."""
    lo, hi = float(pair["savings_usd"].min()), float(pair["savings_usd"].max())
    return min(0.0, lo) * 1.1, hi * 1.15 if hi > 0 else 1.0


def difference_lines(a: Scenario, a_relax_ms: float, b: Scenario, b_relax_ms: float) -> list[str]:
    """How B differs from A in plain words, one line each (:func:`core.briefing.edit_lines` from A
    to B but the description, which changes no number; then the relaxation when it differs);
    empty when they are the same."""
    lines = [line for line in edit_lines(a, b) if not line.startswith("description: ")]
    if a_relax_ms != b_relax_ms:
        lines.append(f"relaxation of every budget {ms_words(a_relax_ms)} → {ms_words(b_relax_ms)}")
    return lines


def _more_less(x: float, words) -> str:
    return f"{words(abs(x))} {'more' if x > 0 else 'less'}"


def comparison_sentence(deltas: pd.DataFrame, period_hours: float) -> str:
    """:func:`headline_deltas` in one or two sentences: B's savings, emissions on both signals, the
    demand it moves and (when either leaves some) its unserved demand against A's."""
    d = deltas.set_index("key")
    when = period_words(period_hours)

    def change(key: str, words) -> str:
        x = float(d.at[key, "change"])
        return "the same" if d.at[key, "direction"] == "same" else _more_less(x, words)

    savings = d.loc["savings_usd"]
    text = (f"Against scenario A, scenario B saves {change('savings_usd', usd_words)} {when} "
            f"({usd_words(savings['b'])} against {usd_words(savings['a'])}); it emits "
            f"{change('emissions_avg_t', tonnes_words)} counted with each grid's average intensity and "
            f"{change('emissions_marginal_t', tonnes_words)} with its marginal intensity")
    share = d.loc["relocated_share"]
    pp = 100 * float(share["change"])
    text += (", and moves the same share of demand away from home" if share["direction"] == "same" else
             f", and moves {significant(abs(pp))} percentage points {'more' if pp > 0 else 'less'} of its demand "
             f"away from home ({100 * float(share['b']):.0f}% against {100 * float(share['a']):.0f}%)") + "."
    unserved = d.loc["unserved_mw"]
    if finite(unserved["a"]) and (unserved["a"] > 0 or unserved["b"] > 0):
        text += (f" Unserved demand: {significant(float(unserved['b']))} MW in B, "
                 f"{significant(float(unserved['a']))} MW in A.")
    return text
