"""Tidy tables of a solved time scenario for the Time page and the Explorer's hour slider
(docs/model.md, "Time-resolved mode").

    run = solve_cases(ti)                        # local, spatial, temporal, both (TimeSolution each)
    cal = calendar(run.inputs, info)             # which solved period every hour of the year takes
    load_heatmap(run.solutions["both"], cal, timezones)

Calendar: a time block has no start date. Its periods are taken as consecutive hours from
:data:`YEAR_START_UTC` (the hourly default covers 2024 from 1 January 00:00 UTC, hour by hour:
data/hourly_mapping.csv). A typical-days reduction (:mod:`core.typical_days`) solves K days that
stand for the year's days: every real hour takes the values of its day's typical day, and a
period's total (cost, emissions: weighted by the days the typical day stands for) is divided
among those days. Powers (MW) are the period's own.

Local time: a region's hour of day in its IANA time zone (``zoneinfo``, through pandas;
daylight saving time included), from data/hourly_mapping.csv's ``timezone`` column; a region
without one stays on UTC.
"""
from __future__ import annotations

import csv
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from core.metrics import relocatable_demand_share
from core.time_inputs import TimeInputs
from core.typical_days import typical_days
from core.time_solve import (CASES, TimeSolution, WarmEngines, assemble, case_inputs, independent_ranges, solve_range,
                             solve_time)

YEAR_START_UTC = pd.Timestamp("2024-01-01 00:00", tz="UTC")
"""The hour period 0 stands for (the hourly default's first hour; an assumption for others)."""
HOURS_PER_DAY = 24
MAPPING_CSV = Path(__file__).resolve().parents[1] / "data" / "hourly_mapping.csv"
TYPICAL_DAYS = 12
"""K of the app's typical-days mode (docs/model.md's typical days)."""
YEAR_PARTS = 24
"""Ranges per case a full-year run is split into (the progress bar's steps)."""
FRONTIER_BUDGETS_MS = (0.0, 10.0, 25.0, 50.0, 100.0, 200.0)
"""The uniform budgets [ms] of the Time page's frontier (a few: each is a time solve)."""
MODES = {"typical": "typical days", "year": "the full year"}


@dataclass(frozen=True)
class CaseRun:
    """The four cases of :data:`core.time_solve.CASES` solved on ``inputs`` (the full year or
    its typical days), each a :class:`~core.time_solve.TimeSolution`."""

    inputs: TimeInputs
    solutions: dict[str, TimeSolution]


def case_engines() -> dict[str, WarmEngines]:
    """One :class:`~core.time_solve.WarmEngines` per case of :data:`CASES` (a case re-solves
    from its own last bases, not another case's)."""
    return {case: WarmEngines() for case in CASES}


CASE_THREADS = 2
"""Threads :func:`solve_cases` solves the cases in when given warm engines (HiGHS releases the
GIL while it runs: 1.9× on two cores for two threads of block LPs)."""


def solve_cases(ti: TimeInputs, parts: int = 1, progress: Callable[[float], None] | None = None,
                engines: dict[str, WarmEngines] | None = None, keep_x: tuple[str, ...] = ()) -> CaseRun:
    """Every case of :data:`CASES` solved in this process. Without ``engines``: one after another,
    each in ``parts`` independent ranges (:func:`core.time_solve.independent_ranges`) so that
    ``progress(share done, 0…1)`` moves. With ``engines`` (:func:`case_engines`, kept between
    calls): every block on its case's warm LP, the cases in :data:`CASE_THREADS` threads (the
    dearest, "both", first; ``progress`` after each case). The cases in ``keep_x`` keep their
    placement per period, over the arcs used (:meth:`~core.time_model.BlockResult.compact`)."""
    def one(case: str) -> TimeSolution:
        case_ti = case_inputs(ti, case)
        results = []
        for periods in independent_ranges(case_ti, parts) if engines is None else [range(case_ti.n_periods)]:
            results.append(solve_range(case_ti, periods, keep_x=case in keep_x,
                                       engines=None if engines is None else engines[case]))
            if engines is None:
                tick()
        sol = assemble(case_ti, results, "highs")
        return sol if case not in keep_x else replace(sol, result=sol.result.compact())

    total, done = len(CASES) * (max(1, int(parts)) if engines is None else 1), [0]

    def tick() -> None:
        done[0] += 1
        if progress is not None:
            progress(min(1.0, done[0] / total))

    if engines is None:
        return CaseRun(ti, {case: one(case) for case in CASES})
    with ThreadPoolExecutor(CASE_THREADS, thread_name_prefix="time-case") as pool:
        futures = {case: pool.submit(one, case) for case in sorted(CASES, key=lambda c: c != "both")}
        sols = {}
        for case in CASES:
            sols[case] = futures[case].result()
            tick()
    return CaseRun(ti, sols)


# --- the calendar -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Calendar:
    """Every real hour h of the horizon: ``utc[h]`` its start, ``period[h]`` the solved period
    it takes its values from, ``share[h]`` the part of that period's total it carries (1 for the
    full year; 1/days represented for a typical day)."""

    utc: pd.DatetimeIndex
    period: np.ndarray
    share: np.ndarray

    def totals(self, per_period: np.ndarray) -> np.ndarray:
        """[h] a per-period total (cost, emissions) spread over the real hours."""
        return np.asarray(per_period, dtype=float)[self.period] * self.share

    def powers(self, per_period: np.ndarray) -> np.ndarray:
        """[h, …] a per-period power or price [MW, $/MWh, g/kWh] at every real hour."""
        return np.asarray(per_period, dtype=float)[self.period]


def calendar(ti: TimeInputs, info=None, start_utc: pd.Timestamp = YEAR_START_UTC) -> Calendar:
    """The :class:`Calendar` of ``ti``: its periods as consecutive hours from ``start_utc``, or,
    with ``info`` (:class:`core.typical_days.TypicalDaysInfo` of the reduction ``ti`` is), the
    ``info.n_days`` days of the year, each taking its typical day's 24 periods."""
    if info is None:
        period = np.arange(ti.n_periods)
        share = np.ones(ti.n_periods)
    else:
        day_of = np.asarray(info.assignment)
        counts = np.asarray(info.days_represented, dtype=float)
        period = (day_of[:, None] * HOURS_PER_DAY + np.arange(HOURS_PER_DAY)[None, :]).ravel()
        share = np.repeat(1.0 / counts[day_of], HOURS_PER_DAY)
    utc = pd.date_range(start_utc, periods=period.size, freq="h")
    return Calendar(utc, period, share)


def region_timezones(path: Path = MAPPING_CSV) -> dict[str, str]:
    """Each region's IANA time zone from data/hourly_mapping.csv's ``timezone`` column (blank
    ones left out); {} when the file is missing."""
    if not path.exists():
        return {}
    with path.open(newline="", encoding="utf-8") as f:
        return {row["region"]: row["timezone"] for row in csv.DictReader(f) if row.get("timezone")}


def hour_of_day(cal: Calendar, timezone: str | None = None) -> np.ndarray:
    """[h] the hour of day (0…23) of every real hour, in ``timezone`` (IANA) or UTC."""
    return np.asarray((cal.utc if not timezone else cal.utc.tz_convert(timezone)).hour)


def _mean_by(values: np.ndarray, groups: np.ndarray, n: int) -> np.ndarray:
    counts = np.bincount(groups, minlength=n)
    return np.bincount(groups, weights=values, minlength=n) / np.maximum(counts, 1)


@dataclass(frozen=True)
class TimeResult:
    """What the Time page shows of one run: the mode ("typical" or "year"), the solved cases,
    the typical-days reduction (None for the full year) and the calendar."""

    mode: str
    run: CaseRun
    info: object
    calendar: Calendar


def time_result(ti: TimeInputs, mode: str, k: int = TYPICAL_DAYS,
                progress: Callable[[float], None] | None = None,
                engines: dict[str, WarmEngines] | None = None) -> TimeResult:
    """The cases solved on ``k`` typical days of ``ti`` (``mode="typical"``; every day when the
    horizon has no more than ``k``; :func:`core.typical_days.typical_days` raises ScenarioError
    unless it is whole days in blocks of 24 periods), with warm ``engines`` per typical day when
    given (:func:`case_engines`) and the placement of every period of "both" kept (the Explorer's hour), or on every
    period (``"year"``, in :data:`YEAR_PARTS` ranges per case, reported to ``progress``)."""
    if mode == "typical":
        reduced, info = typical_days(ti, min(int(k), ti.n_periods // HOURS_PER_DAY or 1))
        return TimeResult(mode, solve_cases(reduced, engines=engines, keep_x=("both",)), info,
                          calendar(reduced, info))
    if mode == "year":
        return TimeResult(mode, solve_cases(ti, YEAR_PARTS, progress), None, calendar(ti))
    raise ValueError(f"mode must be one of {tuple(MODES)}, got {mode!r}")


# --- tables -------------------------------------------------------------------------------------

def load_heatmap(sol: TimeSolution, cal: Calendar, timezones: dict[str, str] | None = None) -> pd.DataFrame:
    """[region × hour of day 0…23] the mean IT load run at each region at that hour [MW], the hour
    in the region's local time when ``timezones`` names its zone, else UTC."""
    timezones = timezones or {}
    load = cal.powers(sol.result.load_mw)                      # [h, node]
    rows = {}
    for i, node in enumerate(sol.inputs.base.node_ids):
        rows[node] = _mean_by(load[:, i], hour_of_day(cal, timezones.get(node)), HOURS_PER_DAY)
    return pd.DataFrame.from_dict(rows, orient="index", columns=list(range(HOURS_PER_DAY)))


def _savings_frame(run: CaseRun, cal: Calendar) -> pd.DataFrame:
    """[h] savings against the local baseline [$] and emissions of both and local [tCO2] at
    every real hour (the scenario's carbon signal)."""
    both, local = run.solutions["both"].periods, run.solutions["local"].periods
    return pd.DataFrame({
        "savings_usd": cal.totals(local["cost_usd"] - both["cost_usd"]),
        "emissions_t": cal.totals(both["emissions_t"]),
        "local_emissions_t": cal.totals(local["emissions_t"])}, index=cal.utc)


def by_hour_of_day(run: CaseRun, cal: Calendar) -> pd.DataFrame:
    """One row per UTC hour of day 0…23: savings against local [$], emissions with relocation
    and local [tCO2], summed over the horizon's days."""
    frame = _savings_frame(run, cal)
    out = frame.groupby(hour_of_day(cal)).sum().reindex(range(HOURS_PER_DAY), fill_value=0.0)
    out.index.name = "hour_utc"
    return out.reset_index()


def by_month(run: CaseRun, cal: Calendar) -> pd.DataFrame:
    """One row per calendar month of the horizon (UTC): savings against local [$], emissions
    with relocation and local [tCO2], summed."""
    frame = _savings_frame(run, cal)
    out = frame.groupby(cal.utc.month).sum()
    out.index.name = "month"
    return out.reset_index()


def region_profiles(ti: TimeInputs, sol: TimeSolution, cal: Calendar,
                    timezones: dict[str, str] | None = None) -> pd.DataFrame:
    """One row per region and hour of day (local time where known, else UTC): mean price
    [$/MWh], mean average and marginal carbon intensity [gCO2/kWh] and mean IT load [MW]."""
    timezones = timezones or {}
    price = cal.powers(ti.price_usd_per_mwh.T)
    avg, marginal = cal.powers(ti.carbon_avg_g_per_kwh.T), cal.powers(ti.carbon_marginal_g_per_kwh.T)
    load = cal.powers(sol.result.load_mw)
    frames = []
    for i, node in enumerate(ti.base.node_ids):
        hours = hour_of_day(cal, timezones.get(node))
        frames.append(pd.DataFrame({
            "region": node, "hour": np.arange(HOURS_PER_DAY), "clock": "local" if timezones.get(node) else "UTC",
            "price_usd_per_mwh": _mean_by(price[:, i], hours, HOURS_PER_DAY),
            "carbon_avg_g_per_kwh": _mean_by(avg[:, i], hours, HOURS_PER_DAY),
            "carbon_marginal_g_per_kwh": _mean_by(marginal[:, i], hours, HOURS_PER_DAY),
            "load_mw": _mean_by(load[:, i], hours, HOURS_PER_DAY)}))
    return pd.concat(frames, ignore_index=True)


def decomposition_table(run: CaseRun) -> pd.DataFrame:
    """:func:`core.time_solve.decomposition`'s table from solved cases: one row per case,
    cost and emissions (both signals) over the horizon, and savings against local [$, tCO2]."""
    rows = [{"case": case, "objective_usd": s.objective_usd, "cost_usd": s.cost_usd,
             "emissions_avg_t": s.emissions_avg_t, "emissions_marginal_t": s.emissions_marginal_t,
             "unserved_mw": s.unserved_mw, "relocated_share": s.relocated_share}
            for case, s in run.solutions.items()]
    df = pd.DataFrame(rows).set_index("case").loc[list(CASES)].reset_index()
    local = df.iloc[0]
    df["savings_usd"] = local["cost_usd"] - df["cost_usd"]
    df["carbon_savings_avg_t"] = local["emissions_avg_t"] - df["emissions_avg_t"]
    df["carbon_savings_marginal_t"] = local["emissions_marginal_t"] - df["emissions_marginal_t"]
    return df


def decomposition_bars(decomp: pd.DataFrame, signal: str = "average") -> pd.DataFrame:
    """The chart's table: savings [$] and carbon savings [tCO2, ``signal``] of spatial only,
    temporal only and both, and the interaction = both − spatial − temporal (what the two add
    together beyond their sum; negative when they compete for the same cheap hours)."""
    d = decomp.set_index("case")
    carbon = f"carbon_savings_{'avg' if signal == 'average' else 'marginal'}_t"
    rows = [{"part": case, "savings_usd": float(d.at[case, "savings_usd"]),
             "carbon_savings_t": float(d.at[case, carbon])} for case in ("spatial", "temporal", "both")]
    rows.append({"part": "interaction",
                 "savings_usd": rows[2]["savings_usd"] - rows[0]["savings_usd"] - rows[1]["savings_usd"],
                 "carbon_savings_t": rows[2]["carbon_savings_t"] - rows[0]["carbon_savings_t"]
                 - rows[1]["carbon_savings_t"]})
    return pd.DataFrame(rows)


def rid_by_hour(ti: TimeInputs, cal: Calendar) -> pd.DataFrame:
    """RID (:func:`core.metrics.relocatable_demand_share`) of every solved period's own inputs
    (:meth:`TimeInputs.period_inputs`; one call per solved period, not sampled), averaged per
    UTC hour of day over the horizon's hours weighted by each hour's demand [MW/MW]."""
    rid = np.array([relocatable_demand_share(ti.period_inputs(t)) for t in range(ti.n_periods)])
    demand = ti.demand_mw.sum(axis=(0, 1))
    hours = hour_of_day(cal)
    d = cal.powers(demand)
    num = np.bincount(hours, weights=cal.powers(rid) * d, minlength=HOURS_PER_DAY)
    den = np.bincount(hours, weights=d, minlength=HOURS_PER_DAY)
    return pd.DataFrame({"hour_utc": np.arange(HOURS_PER_DAY), "rid": np.divide(num, den, out=np.zeros(24),
                                                                                where=den > 0)})


def annual_vs_hourly(annual_savings_usd: float, hourly_savings_usd: float) -> tuple[float | None, str]:
    """(hourly / annual − 1, the sentence): how much more (or less) relocation saves with hourly
    prices and carbon than the annual averages suggest; (None, a sentence) when the annual model
    saves nothing."""
    if annual_savings_usd <= 0:
        return None, ("The annual averages suggest relocation saves nothing; with hourly prices it saves "
                      f"${hourly_savings_usd / 1e6:,.1f}M.")
    ratio = hourly_savings_usd / annual_savings_usd - 1
    if abs(ratio) < 0.005:                       # rounds to 0 %
        return ratio, "With hourly prices, relocation saves as much as the annual averages suggest."
    word = "more" if ratio > 0 else "less"
    return ratio, f"With hourly prices, relocation saves {abs(ratio) * 100:.0f} % {word} than the annual averages suggest."


def time_frontier(ti: TimeInputs, budgets_ms=FRONTIER_BUDGETS_MS,
                  progress: Callable[[float], None] | None = None) -> pd.DataFrame:
    """The uniform frontier in time mode: one row per budget b [ms], every class's budget set to
    b with the scenario's deferral; cost, emissions (the scenario's signal) and the savings of
    each against the local baseline (every budget 0, nothing waits) [$, tCO2]."""
    local = solve_time(case_inputs(ti, "local"))
    rows, budgets = [], [float(b) for b in budgets_ms]
    for i, b in enumerate(budgets):
        sol = solve_time(ti.with_base(replace(ti.base, budget_ms=np.full(ti.base.n_workloads, b))))
        rows.append({"budget_ms": b, "cost_usd": sol.cost_usd, "emissions_t": sol.emissions_t,
                     "savings_usd": local.cost_usd - sol.cost_usd, "carbon_savings_t": local.emissions_t - sol.emissions_t,
                     "relocated_share": sol.relocated_share})
        if progress is not None:
            progress((i + 1) / len(budgets))
    return pd.DataFrame(rows)
