"""One UTC hour of the day in the hourly model (docs/model.md, "Time-resolved mode"): the
time-resolved placement at that hour as a mean over the year's real days (the Explorer's map
over a day).

    res = time_result(ti, "typical")                  # core.time_view; the "both" case kept x
    sol = hour_solution(res.run.solutions["both"], res.calendar, 18)

Mean at hour h: every real hour of the :class:`~core.time_view.Calendar` whose UTC hour is h
counts once, with the values of the solved period it takes (``cal.period``). On K typical days
that is each typical day's period h weighted by the days it stands for; on the full year the
mean over its days. Work that waits counts in the hour it runs.

Unserved demand at hour h is the mean of the engine's own u [t, s, k] (kept with x).
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from core.inputs import ModelInputs
from core.solution import Solution
from core.time_inputs import TimeInputs
from core.time_solve import TimeSolution
from core.time_view import HOURS_PER_DAY, Calendar, hour_of_day


def hour_weights(cal: Calendar, hour: int, n_periods: int) -> np.ndarray:
    """[t] the share of the calendar's real hours at UTC hour ``hour`` (0…23) that take solved
    period t (Σ = 1): the weights of the mean at that hour."""
    if isinstance(hour, bool) or not isinstance(hour, (int, np.integer)) or not 0 <= hour < HOURS_PER_DAY:
        raise ValueError(f"hour must be a whole number 0…23, got {hour!r}")
    at = hour_of_day(cal) == hour
    if not at.any():
        raise ValueError(f"the calendar has no hour {hour}:00 UTC")
    counts = np.bincount(cal.period[at], minlength=n_periods).astype(float)
    return counts / counts.sum()


def hour_placement(sol: TimeSolution, cal: Calendar, hour: int) -> tuple[np.ndarray, np.ndarray]:
    """(x [s, r, k], u [s, k]) [MW]: the hourly model's placement and unserved demand at UTC
    hour ``hour``, each the mean over the calendar's real hours at that hour (module
    docstring). Raises ValueError unless ``sol`` kept its placement (``keep_x=True``)."""
    r, ti = sol.result, sol.inputs
    if r.x_mw is None or r.u_mw is None:
        raise ValueError("the hourly solution did not keep its placement x_mw: solve it with keep_x=True")
    n, k = ti.base.n_nodes, ti.base.n_workloads
    w = hour_weights(cal, hour, ti.n_periods)
    x = np.zeros(n * n * k)
    x[r.arc_flat] = w @ r.x_mw
    return x.reshape(n, n, k), np.tensordot(w, r.u_mw, axes=1)


def hour_inputs(ti: TimeInputs, cal: Calendar, hour: int) -> ModelInputs:
    """Single-period inputs of UTC hour ``hour``: each series' mean over the calendar's real
    hours at that hour (prices [$/MWh], carbon [g/kWh], demand arriving [MW]), everything else
    from ``ti.base``; ``period_hours`` is the hours they stand for (Σ over those real hours of
    their share of their period's weight: 366 h for the hourly 2024 default)."""
    w = hour_weights(cal, hour, ti.n_periods)
    at = hour_of_day(cal) == hour
    hours = float((ti.weight_hours[cal.period[at]] * cal.share[at]).sum())
    return replace(ti.base, period_hours=hours, price_usd_per_mwh=ti.price_usd_per_mwh @ w,
                   carbon_avg_g_per_kwh=ti.carbon_avg_g_per_kwh @ w,
                   carbon_marginal_g_per_kwh=ti.carbon_marginal_g_per_kwh @ w, demand_mw=ti.demand_mw @ w)


def hour_solution(sol: TimeSolution, cal: Calendar, hour: int) -> Solution:
    """:func:`hour_placement` as a :class:`~core.solution.Solution` on :func:`hour_inputs` (what
    the map draws: load, corridors, unserved, prices and carbon of the hour). Its duals are NaN
    (the engines keep none per period, as the network engine); its totals (cost, emissions) are
    the mean placement at the mean prices over ``period_hours``, not the hourly model's totals
    at that hour (``sol.periods`` has those). With waiting, work run (x) need not equal the
    demand that arrived (``inputs.demand_mw``) at that hour."""
    x, u = hour_placement(sol, cal, hour)
    inp = hour_inputs(sol.inputs, cal, hour)
    n, k = inp.n_nodes, inp.n_workloads
    return Solution(inp, x, u, np.full((n, k), np.nan), np.full(n, np.nan), "optimal",
                    f"{sol.result.solver}, mean at {int(hour)}:00 UTC", np.asarray(sol.result.arc_flat))
