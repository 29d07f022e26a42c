"""The Frontier, Execution layers and Frictions pages in time mode (docs/model.md, "Time-resolved
mode"): the metrics of :mod:`core.metrics` over a time scenario's periods (the app solves its
typical days), as totals over the periods [$, tCO2] and period-weighted mean powers
Σ_t w[t]·x[t] / Σ_t w[t] [MW].

    layers = time_execution_layers(solve_time(ti))                # as core.metrics.execution_layers
    wf = time_friction_waterfall(ti)                              # as core.metrics.friction_waterfall
    beside = frontier_beside(annual_frontier, time_view.time_frontier(ti))

Savings are against the time mode's local baseline (every budget 0 ms and nothing waits:
:func:`core.time_solve.case_inputs` "local"), so with constant series, every factor 1 and no
deferral each table equals the single-period one (tests/test_time_pages.py).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd

from core.inputs import LAYERS
from core.metrics import SESSION_WATERFALL_ORDER, waterfall_steps, waterfall_table
from core.narrative import ms_words, pct_words, usd_words
from core.time_inputs import TimeInputs
from core.time_solve import TimeSolution, case_inputs, solve_time
from core.time_view import annual_vs_hourly


def time_execution_layers(sol: TimeSolution) -> pd.DataFrame:
    """:func:`core.metrics.execution_layers` of a time solution: one row per workload and layer
    (local, regional, energy-oriented), ``mw`` the period-weighted mean served IT power of its
    arcs [MW] (:attr:`TimeSolution.placement`), ``share`` of the class's served MW [MW/MW]."""
    mw = sol.placement.groupby(["workload", "layer"])["mw"].sum().to_dict()
    rows = []
    for wid in sol.inputs.base.workload_ids:
        served = sum(mw.get((wid, layer), 0.0) for layer in LAYERS)
        for layer in LAYERS:
            value = float(mw.get((wid, layer), 0.0))
            rows.append({"workload": wid, "layer": layer, "mw": value, "share": value / served if served > 0 else 0.0})
    return pd.DataFrame(rows)


def time_friction_waterfall(ti: TimeInputs, frictions: Sequence[str] | None = None,
                            progress: Callable[[float], None] | None = None) -> pd.DataFrame:
    """:func:`core.metrics.friction_waterfall` in time mode: the steps of
    :func:`core.metrics.waterfall_steps` on ``ti.base``, each solved over every period of ``ti``
    (:meth:`TimeInputs.with_base`) against the time-mode local baseline with the same frictions.

    ``frictions``: by default those switched on in ``ti.base``, in the dashboard's order
    (:data:`~core.metrics.SESSION_WATERFALL_ORDER`, as :meth:`core.analysis.Analysis.waterfall`),
    so the last row is ``ti``'s own savings. Columns as ``friction_waterfall``'s: savings and
    change [$] and carbon savings [tCO2] over the periods, relocated_share [MW/MW] and
    unserved_mw [MW] as period-weighted means. ``progress(share done, 0…1)`` after each step."""
    if frictions is None:
        frictions = [f for f in SESSION_WATERFALL_ORDER if ti.base.friction(f)]
    steps = waterfall_steps(ti.base, frictions)
    sols, locals_ = [], []
    for i, (_, _, step_inp) in enumerate(steps):
        step_ti = ti.with_base(step_inp)
        sols.append(solve_time(step_ti))
        locals_.append(solve_time(case_inputs(step_ti, "local")))
        if progress is not None:
            progress((i + 1) / len(steps))
    return waterfall_table(steps, sols, locals_)


def frontier_beside(annual: pd.DataFrame, hourly: pd.DataFrame) -> pd.DataFrame:
    """The uniform frontier of both models at the hourly one's budgets, one row per budget_ms
    [ms]: ``annual_*`` from :func:`core.frontier.frontier` at those budgets, ``hourly_*`` from
    :func:`core.time_view.time_frontier`; savings_usd [$ over the period], carbon_savings_t
    [tCO2, the objective's signal], relocated_share [MW/MW]; ``difference_usd`` = hourly −
    annual savings [$]. Raises ValueError when a budget of ``hourly`` is not in ``annual``."""
    cols = ["savings_usd", "carbon_savings_t", "relocated_share"]
    a = annual.set_index("budget_ms")[cols].add_prefix("annual_")
    h = hourly.set_index("budget_ms")[cols].add_prefix("hourly_")
    missing = h.index.difference(a.index)
    if len(missing):
        raise ValueError(f"budget_ms: the annual frontier has no row at {', '.join(f'{b:g}' for b in missing)} ms")
    out = h.join(a, how="left").reset_index()
    out["difference_usd"] = out["hourly_savings_usd"] - out["annual_savings_usd"]
    return out[["budget_ms", "annual_savings_usd", "hourly_savings_usd", "difference_usd", "annual_carbon_savings_t",
                "hourly_carbon_savings_t", "annual_relocated_share", "hourly_relocated_share"]]


def frontier_difference_sentence(beside: pd.DataFrame) -> str:
    """The two frontiers' answers in words (``beside``: :func:`frontier_beside`): at the widest
    budget, how much more or less the hourly model saves (:func:`core.time_view.annual_vs_hourly`),
    and at 0 ms, where nothing moves, what waiting alone saves [$]."""
    d = beside.sort_values("budget_ms")
    last = d.iloc[-1]
    words = annual_vs_hourly(last["annual_savings_usd"], last["hourly_savings_usd"])[1]
    text = f"At {ms_words(last['budget_ms'])}, {words[:1].lower()}{words[1:]}"
    zero = d[d["budget_ms"] == 0]
    if len(zero) and zero["hourly_savings_usd"].iloc[0] > 0:
        text += (f" At 0 ms nothing moves, and waiting alone saves {usd_words(zero['hourly_savings_usd'].iloc[0])}"
                 " in the hourly model.")
    return text


def away_share(layers: pd.DataFrame) -> float:
    """The share of all served IT power [MW/MW] that runs away from home (regional or
    energy-oriented) in ``layers`` (:func:`core.metrics.execution_layers`' columns); 0 when
    nothing is served."""
    served = float(layers["mw"].sum())
    return float(layers.loc[layers["layer"] != "local", "mw"].sum()) / served if served > 0 else 0.0


def layers_difference_sentence(hourly: pd.DataFrame, annual: pd.DataFrame) -> str:
    """How much served work runs away from home in each model, in words (both tables as
    :func:`core.metrics.execution_layers`')."""
    h, a = away_share(hourly), away_share(annual)
    same = pct_words(h) == pct_words(a)
    return (f"With hourly prices and waiting, {pct_words(h)} of the served inference power runs away from home on "
            f"average over the periods; with the annual averages, {'also ' if same else ''}{pct_words(a)}.")


def waterfall_difference_sentence(hourly: pd.DataFrame, annual: pd.DataFrame) -> str:
    """The two waterfalls' answers in words (both :func:`core.metrics.friction_waterfall`'s
    columns): the realized savings compared (:func:`core.time_view.annual_vs_hourly`) and the
    potential of each [$]."""
    h_pot, h_real = float(hourly["savings_usd"].iloc[0]), float(hourly["savings_usd"].iloc[-1])
    a_pot, a_real = float(annual["savings_usd"].iloc[0]), float(annual["savings_usd"].iloc[-1])
    return (annual_vs_hourly(a_real, h_real)[1] + f" Realized savings {usd_words(h_real)} of a potential "
            f"{usd_words(h_pot)} hourly, {usd_words(a_real)} of {usd_words(a_pot)} with the annual averages.")


def hourly_model_words(ti: TimeInputs, info) -> str:
    """What the hourly numbers are, in words: the time-resolved model on ``ti``, the
    ``info.k`` typical days (:class:`core.typical_days.TypicalDaysInfo`) standing for the
    horizon's ``info.n_days`` days, totals over Σ w hours."""
    waits = " and deferrable work may wait up to its class's allowed hours within its day" if ti.defers else ""
    return (f"Hourly model on {info.k} typical days: {info.k} real days, each weighted by the days most like it "
            f"({info.n_days} days in all), every hour with its own prices, carbon and demand{waits}; totals over "
            f"the {ti.period_hours:,.0f} h the periods stand for, powers as means over them.")
