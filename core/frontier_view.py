"""The frontier as a table a person reads: the rows shown, what each row adds over the row shown
before it, and notes on the stretches where the result moves against intuition.

Every value of a row is computed from the rows shown (docs/model.md's marginal ERoL over the rows
used): ``ERoL_i = (C(b_{i-1}) − C(b_i)) / (b_i − b_{i-1})`` with b_{i-1} the previous *shown*
budget, so a row never divides by a hidden step. Notes are detected from the frontier itself:
carbon savings that change direction while cost savings rise (a *zig-zag*), and the relocated
share falling while savings rise.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from core.frontier import marginal_returns
from core.narrative import ms_words, pct_words, period_words, tonnes_words, usd_words

CHANGE_COLUMNS = ("cost_usd", "emissions_t", "relocated_share", "rid", "unserved_mw")
"""A breakpoint *changes the result* when one of these differs from the row before it."""
CHANGE_TOL = 1e-6
CARBON_MOVE_SHARE = 0.01
"""A carbon step counts as a move when it is at least this share of the frontier's largest
|carbon savings| (smaller steps are read as flat)."""
SHARE_FALL_TOL = 0.001
"""The relocated share falls when it drops by more than this (0.1 percentage point)."""
SAVINGS_RISE_TOL_USD = 1.0


def changed_rows(frontier: pd.DataFrame) -> pd.Series:
    """[bool per row, frontier order] True where cost, emissions, relocated share, RID or
    unserved MW differ from the previous row by more than 1e-6; the first row is always True."""
    changed = frontier[list(CHANGE_COLUMNS)].diff().abs().gt(CHANGE_TOL).any(axis=1)
    if len(changed):
        changed.iloc[0] = True
    return changed


def frontier_table(frontier: pd.DataFrame, shown: pd.Series | None = None) -> pd.DataFrame:
    """The rows shown (``shown``: a boolean mask over ``frontier``'s rows; default
    :func:`changed_rows`), sorted by budget, with each value computed from the rows shown.

    Adds: ``previous_budget_ms`` (the row shown before, nan on the first),
    ``delta_savings_usd`` and ``delta_carbon_savings_t`` (change since that row, objective's
    signal), ``erol_marginal_usd_per_ms`` = (C(b_{i-1}) − C(b_i)) / (b_i − b_{i-1}) [$/ms] and
    ``crol_marginal_t_per_ms`` likewise with emissions [tCO2/ms], both over the rows shown
    (replacing the frontier's values over every breakpoint). The average returns
    (``erol_avg_usd_per_ms``, ``crol_avg_t_per_ms``) depend on b and C(0) only and are kept.
    """
    mask = changed_rows(frontier) if shown is None else shown.reindex(frontier.index, fill_value=False)
    d = frontier[mask.to_numpy(bool)].sort_values("budget_ms").reset_index(drop=True)
    d["previous_budget_ms"] = d["budget_ms"].shift(1)
    d["delta_savings_usd"] = d["savings_usd"].diff()
    d["delta_carbon_savings_t"] = d["carbon_savings_t"].diff()
    d["erol_marginal_usd_per_ms"] = marginal_returns(d["budget_ms"], d["cost_usd"])
    d["crol_marginal_t_per_ms"] = marginal_returns(d["budget_ms"], d["emissions_t"])
    return d


# --- notes -------------------------------------------------------------------------------

def _stretches(flags: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) indices of each run of True in ``flags``."""
    runs, start = [], None
    for i, f in enumerate(flags):
        if f and start is None:
            start = i
        if not f and start is not None:
            runs.append((start, i - 1))
            start = None
    if start is not None:
        runs.append((start, len(flags) - 1))
    return runs


def carbon_zigzags(table: pd.DataFrame, move_share: float = CARBON_MOVE_SHARE) -> pd.DataFrame:
    """Stretches of ``table`` (rows sorted by budget, e.g. :func:`frontier_table`) where carbon
    savings change direction while cost savings rise.

    A *move* is a step whose |Δ carbon savings| [tCO2] is at least ``move_share`` × the largest
    |carbon savings| of the table; smaller steps are flat and are skipped. A stretch is a maximal
    run of consecutive moves in which each move's direction is opposite to the one before
    (at least two moves), with savings higher at its end than at its start. Columns: from_ms
    (the row before its first move), to_ms (its last move), moves, reversals (moves − 1),
    savings_change_usd, carbon_change_t (net), carbon_swing_t (Σ |Δ| of its moves),
    carbon_low_t and carbon_high_t (the range of carbon savings it visits).
    """
    cols = ["from_ms", "to_ms", "moves", "reversals", "savings_change_usd", "carbon_change_t",
            "carbon_swing_t", "carbon_low_t", "carbon_high_t"]
    if len(table) < 3:
        return pd.DataFrame(columns=cols)
    carbon = table["carbon_savings_t"].to_numpy(float)
    savings = table["savings_usd"].to_numpy(float)
    b = table["budget_ms"].to_numpy(float)
    tol = move_share * max(float(np.abs(carbon).max()), 1e-12)
    step = np.diff(carbon)
    moves = [i + 1 for i in range(len(step)) if abs(step[i]) >= tol]   # row index where each move ends
    rows, run = [], []

    def close(run_):
        if len(run_) >= 2:
            start, end = run_[0] - 1, run_[-1]
            if savings[end] - savings[start] > SAVINGS_RISE_TOL_USD:
                visited = carbon[start:end + 1]
                rows.append({"from_ms": b[start], "to_ms": b[end], "moves": len(run_), "reversals": len(run_) - 1,
                             "savings_change_usd": savings[end] - savings[start],
                             "carbon_change_t": carbon[end] - carbon[start],
                             "carbon_swing_t": float(sum(abs(carbon[i] - carbon[i - 1]) for i in run_)),
                             "carbon_low_t": float(visited.min()), "carbon_high_t": float(visited.max())})

    for i in moves:
        if run and np.sign(carbon[i] - carbon[i - 1]) == np.sign(carbon[run[-1]] - carbon[run[-1] - 1]):
            close(run)
            run = []
        run.append(i)
    close(run)
    return pd.DataFrame(rows, columns=cols)


def relocated_share_falls(table: pd.DataFrame, fall_tol: float = SHARE_FALL_TOL) -> pd.DataFrame:
    """Stretches of consecutive steps of ``table`` (sorted by budget) where the relocated share
    drops by more than ``fall_tol`` while savings rise by more than $1. Columns: from_ms (the
    row before the stretch), to_ms, steps, savings_change_usd, relocated_from, relocated_to
    (shares 0..1)."""
    cols = ["from_ms", "to_ms", "steps", "savings_change_usd", "relocated_from", "relocated_to"]
    share = table["relocated_share"].to_numpy(float)
    savings = table["savings_usd"].to_numpy(float)
    b = table["budget_ms"].to_numpy(float)
    falls = np.zeros(len(table), dtype=bool)
    falls[1:] = (np.diff(share) < -fall_tol) & (np.diff(savings) > SAVINGS_RISE_TOL_USD)
    rows = [{"from_ms": b[i - 1], "to_ms": b[j], "steps": j - i + 1, "savings_change_usd": savings[j] - savings[i - 1],
             "relocated_from": share[i - 1], "relocated_to": share[j]} for i, j in _stretches(falls)]
    return pd.DataFrame(rows, columns=cols)


def frontier_notes(table: pd.DataFrame, *, signal: str, period_hours: float) -> pd.DataFrame:
    """Both kinds of note as one tidy table, one row per stretch, sorted by budget: kind
    ("carbon zig-zag" or "relocated share falls"), from_ms, to_ms, savings_change_usd and a
    plain ``note`` sentence that says what happens and why."""
    when = period_words(period_hours)
    rows = []
    for z in carbon_zigzags(table).itertuples(index=False):
        rows.append({"kind": "carbon zig-zag", "from_ms": z.from_ms, "to_ms": z.to_ms,
                     "savings_change_usd": z.savings_change_usd,
                     "note": (f"From {ms_words(z.from_ms)} to {ms_words(z.to_ms)} carbon savings ({signal} signal) change "
                              f"direction {_times(z.reversals)}, between {_signed_tonnes(z.carbon_low_t)} and "
                              f"{_signed_tonnes(z.carbon_high_t)}, while savings "
                              f"rise by {usd_words(z.savings_change_usd)} {when}.")})
    for f in relocated_share_falls(table).itertuples(index=False):
        rows.append({"kind": "relocated share falls", "from_ms": f.from_ms, "to_ms": f.to_ms,
                     "savings_change_usd": f.savings_change_usd,
                     "note": (f"From {ms_words(f.from_ms)} to {ms_words(f.to_ms)} the share of demand relocated falls "
                              f"from {_pct1(f.relocated_from)} to {_pct1(f.relocated_to)} while savings rise by "
                              f"{usd_words(f.savings_change_usd)} {when}.")})
    notes = pd.DataFrame(rows, columns=["kind", "from_ms", "to_ms", "savings_change_usd", "note"])
    return notes.sort_values(["from_ms", "kind"], ignore_index=True)


def _signed_tonnes(t: float) -> str:
    """Tonnes of CO2 in words with a sign: "−178 thousand tonnes of CO2", "950 tonnes of CO2"."""
    return ("−" if t < 0 else "") + tonnes_words(abs(t))


def _pct1(share: float) -> str:
    return f"{100 * share:.1f}%"


def _times(n: int) -> str:
    return {1: "once", 2: "twice"}.get(n, f"{n} times")


def notes_summary(notes: pd.DataFrame) -> str:
    """How many stretches of each kind ``notes`` (:func:`frontier_notes`) holds, and the one of
    each kind over which savings rise most."""
    if notes.empty:
        return ("Along this frontier carbon savings never change direction and the relocated share never "
                "falls while savings rise.")
    parts = []
    for kind, words in (("carbon zig-zag", "carbon savings change direction"),
                        ("relocated share falls", "the share of demand relocated falls while savings rise")):
        n = int((notes["kind"] == kind).sum())
        if n:
            parts.append(f"{words} in {n} stretch{'es' if n != 1 else ''}")
    text = "Along this frontier " + " and ".join(parts) + "."
    for kind in ("carbon zig-zag", "relocated share falls"):
        of_kind = notes[notes["kind"] == kind]
        if len(of_kind):
            text += " " + of_kind.loc[of_kind["savings_change_usd"].idxmax(), "note"]
    return text


def notes_why(notes: pd.DataFrame, *, carbon_price_usd_per_t: float, capacity_on: bool) -> list[str]:
    """One sentence per kind of note present in ``notes`` (:func:`frontier_notes`): why it happens."""
    out = []
    kinds = set(notes["kind"])
    if "carbon zig-zag" in kinds:
        if carbon_price_usd_per_t > 0:
            why = (f"The optimum picks each newly reachable region by its whole unit cost (energy, "
                   f"{usd_words(carbon_price_usd_per_t)} per tonne of CO2, transfer): a region that is cheaper overall "
                   f"can still be dirtier than the one it replaces, so emissions move either way.")
        else:
            why = ("With no carbon price, the optimum picks each newly reachable region by cost alone: the cheaper "
                   "region is sometimes cleaner and sometimes dirtier than the one it replaces, so emissions move "
                   "either way while cost only falls.")
        out.append("Why carbon zig-zags: " + why)
    if "relocated share falls" in kinds:
        why = ("a newly allowed route gives a cheap region's limited capacity to work that saves more per MW there; "
               "work that saved less goes back home, so fewer MW move but each saves more."
               if capacity_on else
               "with capacity limits off, more routes never send work home, so a fall comes from the optimiser "
               "choosing another of several equally cheap placements.")
        out.append("Why the relocated share can fall: " + why)
    return out


# --- descriptions of the frontier and layers charts (alt text) --------------------------------

def frontier_alt_text(frontier: pd.DataFrame, *, signal: str, period_hours: float, what: str) -> str:
    """A plain description of the frontier chart (savings, carbon savings, shares against the
    budget) written from its values: first and last budget, savings and carbon savings at the
    end, the largest single step in savings, and the shares of demand at the widest budget."""
    d = frontier.sort_values("budget_ms")
    if d.empty:
        return "Chart in words: the frontier chart is empty, no budget was solved."
    when = period_words(period_hours)
    first, last = d.iloc[0], d.iloc[-1]
    jump = d["savings_usd"].diff()
    text = (f"Chart in words: the frontier ({what}) as steps, from {ms_words(first['budget_ms'])} to {ms_words(last['budget_ms'])}. "
            f"Savings rise to {usd_words(last['savings_usd'])} {when}")
    if len(d) > 1 and jump.max() > 0:
        i = jump.idxmax()
        text += f"; the largest single step, {usd_words(jump[i])}, comes at {ms_words(d.loc[i, 'budget_ms'])}"
    carbon = last["carbon_savings_t"]
    text += (f". Carbon savings ({signal} signal) end at {_signed_tonnes(carbon)} "
             f"({'more emitted' if carbon < 0 else 'avoided'}). At the widest budget "
             f"{pct_words(last['relocated_share'])} of demand is relocated and {pct_words(last['rid'])} could gain by moving.")
    return text


def returns_alt_text(returns: pd.DataFrame, *, step_ms: float, period_hours: float) -> str:
    """A plain description of the returns-on-latency chart: the step with the largest marginal
    ERoL [$/ms] and the average ERoL at the last budget."""
    d = returns.sort_values("budget_ms").reset_index(drop=True)
    m = d["erol_marginal_usd_per_ms"]
    if len(d) < 2 or not np.isfinite(m).any():
        return "Chart in words: the returns on latency have no step to show."
    i = int(m.idxmax())
    when = period_words(period_hours)
    text = (f"Chart in words: bars of the marginal energy return on latency over steps of {ms_words(step_ms)}. "
            f"The largest, "
            f"{usd_words(m[i])} per ms {when}, is between {ms_words(d['budget_ms'][i - 1])} and "
            f"{ms_words(d['budget_ms'][i])}.")
    avg = d["erol_avg_usd_per_ms"].iloc[-1]
    if np.isfinite(avg):
        text += f" On average since 0 ms each millisecond saves {usd_words(avg)} {when} at {ms_words(d['budget_ms'].iloc[-1])}."
    return text


def layers_alt_text(frontier: pd.DataFrame, demand_mw: float, regional_ms: float) -> str:
    """A plain description of the layers-against-budget chart: the MW local, regional and
    energy-oriented at the first and the last budget of ``frontier``."""
    d = frontier.sort_values("budget_ms")
    if d.empty or demand_mw <= 0:
        return "Chart in words: the execution layers have no demand to show."
    first, last = d.iloc[0], d.iloc[-1]

    def split(row) -> str:
        return (f"{pct_words(row['local_mw'] / demand_mw)} at home, {pct_words(row['regional_mw'] / demand_mw)} "
                f"regional and {pct_words(row['energy_oriented_mw'] / demand_mw)} energy-oriented")
    return (f"Chart in words: stacked areas of where the served power runs as the budget grows. At "
            f"{ms_words(first['budget_ms'])}: {split(first)}; at {ms_words(last['budget_ms'])}: {split(last)} "
            f"(regional: within {ms_words(regional_ms)}).")


def layers_share_alt_text(layers: pd.DataFrame, workload_ids, names: dict[str, str] | None = None) -> str:
    """A plain description of the per-class layer bars from :func:`core.metrics.execution_layers`:
    each class's shares at home, regional and energy-oriented."""
    names = names or {}
    parts = []
    for w in workload_ids:
        d = layers[layers["workload"] == w].set_index("layer")["share"]
        if d.empty:
            continue
        parts.append(f"{names.get(w, w)} {pct_words(d.get('local', 0.0))} at home, {pct_words(d.get('regional', 0.0))} "
                     f"regional, {pct_words(d.get('energy-oriented', 0.0))} energy-oriented")
    if not parts:
        return "Chart in words: no class is served."
    return "Chart in words: one bar per class, split by where its served power runs: " + "; ".join(parts) + "."


COARSE_BUDGETS = 40
"""How many budgets the quick first frontier of a large scenario is solved at."""
EXACT_AT_ONCE_MAX_BREAKPOINTS = 2000
"""A page draws the exact frontier at once when it has at most this many breakpoints (the default
31-region scenario has a few hundred: about a second); above it, it draws the frontier at
:data:`COARSE_BUDGETS` budgets first and the exact one when it is done."""


def coarse_first(n_breakpoints: int, limit: int = EXACT_AT_ONCE_MAX_BREAKPOINTS) -> bool:
    """Whether a frontier of ``n_breakpoints`` breakpoints is drawn at a few budgets first."""
    return int(n_breakpoints) > int(limit)


def coarse_budgets_ms(last_breakpoint_ms: float, n: int = COARSE_BUDGETS) -> np.ndarray:
    """``n`` budgets [ms] evenly spaced from 0 to the frontier's last breakpoint (both included),
    so the quick frontier spans the same range and ends at the same widest-budget values."""
    return np.linspace(0.0, max(0.0, float(last_breakpoint_ms)), max(2, int(n)))


def frontier_kind_words(n_points: int, exact: bool, n_breakpoints: int) -> str:
    """The caption's opening words for a frontier drawn exactly or at a few budgets first."""
    if exact:
        return f"Exact frontier, solved at each of its {n_points:,} breakpoints"
    return (f"Exact at {n_points} budgets; the exact frontier at every breakpoint ({n_breakpoints:,}) is being "
            "computed and replaces this chart when it is done")


STEP_TOL = 1e-9
"""A level changes, for :func:`step_rows`, by more than this share of its largest size (plus 1e-9)."""


def step_rows(frontier: pd.DataFrame) -> pd.DataFrame:
    """The rows a step chart of ``frontier`` needs: the first, the last, and each row where a level
    (every column but the budget, ``solved`` and the per-step returns ``erol_*`` / ``crol_*``)
    differs from the row before it by more than :data:`STEP_TOL` of its size. Drawn as steps ("hv"), they give the same lines as every row;
    a large scenario's frontier has ten times more breakpoints than steps."""
    levels = frontier[[c for c in frontier.columns
                       if c not in ("budget_ms", "solved") and not c.startswith(("erol_", "crol_"))]]
    tol = STEP_TOL * (1.0 + levels.abs().max())          # per column: below it a change cannot be seen
    keep = levels.diff().abs().gt(tol, axis=1).any(axis=1).to_numpy().copy()
    if len(keep):
        keep[0] = keep[-1] = True
    return frontier[keep]
