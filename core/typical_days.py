"""Typical days (docs/model.md, "Time-resolved mode"): a time scenario of whole days reduced to
K representative days with ``tsam`` (time-series aggregation, Hoffmann et al., *Energies* 13
(2020) 641; the method PyPSA's studies use), each a block of 24 periods weighted by the days it
stands for.

    reduced, info = typical_days(scenario, 12)      # or typical_days(time_inputs(scenario), 12)
    typical_days_error(solve_time(full_ti), solve_time(reduced_ti))

Method (choices and why):

* Features: the hourly series that drive the answer and vary over the year: the price of every
  node whose price varies, its average and marginal carbon intensity where they vary, and the
  demand factor of every (node, workload) with demand, identical factor series counted once
  (many classes share a diurnal shape). tsam scales each column to 0…1 before clustering.
* Clustering: tsam's ``hierarchical`` (Ward agglomerative) with the ``medoid`` representation:
  deterministic (no random draw, hence no seed), and each typical day is a *real* day of the
  year, so prices, carbon and demand keep the joint shape they had (a synthetic centroid mixes
  days). The series of a typical day are read from the input itself (the medoid day), not
  rescaled: tsam's ``preserve_column_means`` rescaling would make them no longer a real day.
* Extreme days: none kept. The answer is a weighted sum over days and capacity is an input, not
  sized by a peak, so a spike day matters by its weight only. tsam's ``append`` keeps each
  column's extreme day as a day of weight 1 besides the clusters: on the hourly default that is
  14 days (the peak-price days of the priced zones), so 12 days would leave no cluster for the
  other 352 (tried: 14 extremes + 1 cluster gave an objective error of −3.8 %, 12 clustered
  days −0.4 %, bench/hourly.py); ``replace``/``new_cluster`` give a spike day a cluster's
  weight and bias the totals.
* Weights: a typical day's weight_hours is the sum of the weights of the days it stands for;
  with hourly periods of 1 h that is the number of days, and Σ w is the year's (8,784 h in 2024).
"""
from __future__ import annotations

import hashlib
import math
import threading
import time
from collections import OrderedDict
import warnings
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from core.scenario import Scenario, ScenarioError
from core.time_inputs import TimeInputs, time_inputs

DAY_PERIODS = 24
"""Periods per day: typical days need hourly periods in blocks of one day."""
FIELD_K = "typical_days"
"""The name errors about K give (the CLI's ``--typical-days``, the output's key)."""


@dataclass(frozen=True)
class TypicalDaysInfo:
    """How a year was reduced: ``k`` typical days; ``medoid_day[i]`` is the day of the year
    (0-based) typical day i is, in calendar order; ``days_represented[i]`` how many days it
    stands for (Σ = the year's days); ``assignment[d]`` the typical day that day d maps to;
    ``features`` the number of series clustered; ``clustering_s`` the reduction's wall time [s]."""

    k: int
    n_days: int
    medoid_day: tuple[int, ...]
    days_represented: tuple[int, ...]
    assignment: tuple[int, ...]
    features: int
    clustering_s: float
    method: str = "tsam hierarchical, medoid"

    def to_dict(self) -> dict:
        return {"typical_days": self.k, "days": self.n_days, "method": self.method,
                "medoid_day": list(self.medoid_day), "days_represented": list(self.days_represented),
                "features": self.features, "clustering_s": round(self.clustering_s, 3)}


def check_whole_days(ti: TimeInputs, k) -> int:
    """The number of days; raises :class:`ScenarioError` naming the field unless the periods
    are whole days in blocks of 24 and 1 ≤ K ≤ days (K a whole number)."""
    if ti.n_periods % DAY_PERIODS:
        raise ScenarioError("time.periods", f"typical days need whole days of {DAY_PERIODS} periods; "
                                            f"got {ti.n_periods} periods")
    if ti.block_periods != DAY_PERIODS:
        raise ScenarioError("time.block_periods", f"typical days need blocks of one day ({DAY_PERIODS} "
                                                  f"periods); got {ti.block_periods}")
    days = ti.n_periods // DAY_PERIODS
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= days:
        raise ScenarioError(FIELD_K, f"must be a whole number from 1 to {days} (the days of the time block), got {k!r}")
    return days


def feature_frame(ti: TimeInputs) -> pd.DataFrame:
    """[t × feature] the varying series clustered (module docstring), hourly index."""
    cols: dict[str, np.ndarray] = {}
    ids = ti.base.node_ids
    for tag, series in (("price", ti.price_usd_per_mwh), ("carbon_avg", ti.carbon_avg_g_per_kwh),
                        ("carbon_marginal", ti.carbon_marginal_g_per_kwh)):
        for i in np.flatnonzero(np.ptp(series, axis=1) > 0):
            cols[f"{tag}/{ids[i]}"] = series[i]
    base = ti.base.demand_mw.ravel()
    factor = ti.demand_mw.reshape(base.size, -1)[base > 0] / base[base > 0, None]
    varying = factor[np.ptp(factor, axis=1) > 0]
    for j, row in enumerate(np.unique(varying.round(12), axis=0)):   # sorted: a deterministic order
        cols[f"demand_factor/{j}"] = row
    return pd.DataFrame(cols, index=pd.date_range("2000-01-01", periods=ti.n_periods, freq="h"))


CLUSTER_MEMO_ENTRIES = 8
"""Clusterings kept in this process (:func:`_cluster`): the features are the series, which budgets,
prices of carbon or frictions do not change, so an app's slider move re-uses the last one."""
_CLUSTER_MEMO: "OrderedDict[tuple[bytes, int], tuple[np.ndarray, np.ndarray]]" = OrderedDict()
_CLUSTER_LOCK = threading.Lock()


def _cluster(features: pd.DataFrame, k: int, days: int) -> tuple[np.ndarray, np.ndarray]:
    """(medoid day per cluster, day → cluster), clusters in tsam's order; remembered per
    (features, k) (:data:`CLUSTER_MEMO_ENTRIES`)."""
    digest = hashlib.blake2b(repr(list(features.columns)).encode(), digest_size=16)
    digest.update(np.ascontiguousarray(features.to_numpy(dtype=float)).tobytes())
    key = (digest.digest(), int(k))
    with _CLUSTER_LOCK:
        if key in _CLUSTER_MEMO:
            _CLUSTER_MEMO.move_to_end(key)
            return _CLUSTER_MEMO[key]
    out = _cluster_days(features, k, days)
    with _CLUSTER_LOCK:
        _CLUSTER_MEMO[key] = out
        while len(_CLUSTER_MEMO) > CLUSTER_MEMO_ENTRIES:
            _CLUSTER_MEMO.popitem(last=False)
    return out


def _cluster_days(features: pd.DataFrame, k: int, days: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_cluster` without the memo (tsam)."""
    if k == days or features.shape[1] == 0:
        # every day its own, or every day identical (nothing varies): any grouping is exact
        assignment = np.arange(days) * k // days
        return np.searchsorted(assignment, np.arange(k)), assignment
    import tsam

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = tsam.aggregate(features, k, period_duration=DAY_PERIODS, temporal_resolution=1.0,
                                cluster=tsam.ClusterConfig(method="hierarchical", representation="medoid"),
                                preserve_column_means=False)
    return np.asarray(result.clustering.cluster_centers, dtype=int), np.asarray(result.cluster_assignments, dtype=int)


def reduce_inputs(ti: TimeInputs, k: int) -> tuple[TimeInputs, TypicalDaysInfo]:
    """:func:`typical_days` on :class:`TimeInputs`."""
    days = check_whole_days(ti, k)
    t0 = time.perf_counter()
    features = feature_frame(ti)
    medoids, assignment = _cluster(features, int(k), days)
    # calendar order of the typical days; a cluster's weight is the sum of its days' weights
    order = np.argsort(medoids, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    assignment = rank[assignment]
    medoids = medoids[order]
    day_weight_hours = ti.weight_hours[::DAY_PERIODS]
    cluster_weight = np.bincount(assignment, weights=day_weight_hours, minlength=medoids.size)
    counts = np.bincount(assignment, minlength=medoids.size)
    idx = (medoids[:, None] * DAY_PERIODS + np.arange(DAY_PERIODS)[None, :]).ravel()
    weights = np.repeat(cluster_weight, DAY_PERIODS)
    reduced = replace(ti, base=replace(ti.base, period_hours=float(weights.sum())), weight_hours=weights,
                      block_periods=DAY_PERIODS, price_usd_per_mwh=ti.price_usd_per_mwh[:, idx],
                      carbon_avg_g_per_kwh=ti.carbon_avg_g_per_kwh[:, idx],
                      carbon_marginal_g_per_kwh=ti.carbon_marginal_g_per_kwh[:, idx],
                      demand_mw=ti.demand_mw[:, :, idx])
    info = TypicalDaysInfo(k=int(medoids.size), n_days=days, medoid_day=tuple(int(d) for d in medoids),
                           days_represented=tuple(int(c) for c in counts),
                           assignment=tuple(int(a) for a in assignment),
                           features=features.shape[1],
                           clustering_s=time.perf_counter() - t0)
    return reduced, info


def reduce_scenario(sc: Scenario, k: int) -> tuple[Scenario, TypicalDaysInfo]:
    """:func:`typical_days` on a :class:`Scenario`: the same scenario whose time block holds
    the K typical days (series inline, only those the scenario gives)."""
    if sc.time is None:
        raise ScenarioError("time", "typical days need a scenario with a time block")
    ti = time_inputs(sc)
    reduced, info = reduce_inputs(ti, k)
    idx = (np.asarray(info.medoid_day)[:, None] * DAY_PERIODS + np.arange(DAY_PERIODS)[None, :]).ravel()
    tb = sc.time

    def pick(values) -> list[float]:
        return np.asarray(values, dtype=float)[idx].tolist()

    block = tb.model_copy(update={
        "periods": int(idx.size), "block_periods": DAY_PERIODS, "weight_hours": reduced.weight_hours.tolist(),
        **{name: {node: pick(v) for node, v in getattr(tb, name).items()}
           for name in ("price_usd_per_mwh", "carbon_avg_g_per_kwh", "carbon_marginal_g_per_kwh")},
        "demand_factor": {node: {w: pick(v) for w, v in by.items()} for node, by in tb.demand_factor.items()}})
    return sc.model_copy(update={"time": block, "period_hours": reduced.period_hours}), info


def typical_days(source: Scenario | TimeInputs, k: int):
    """``(reduced, info)``: ``source`` (a time scenario or its :class:`TimeInputs`) with its
    days reduced to ``k`` typical days (module docstring), of the same type as ``source``, and a
    :class:`TypicalDaysInfo`. Deterministic. Raises :class:`ScenarioError` naming
    ``time.periods`` or ``time.block_periods`` unless the scenario is whole days in blocks of
    24 periods, and :data:`FIELD_K` unless 1 ≤ k ≤ days."""
    if isinstance(source, TimeInputs):
        return reduce_inputs(source, k)
    return reduce_scenario(source, k)


def _total(result, key: str) -> float:
    return float(result[key] if isinstance(result, dict) else getattr(result, key))


def relative_error(approx: float, exact: float) -> float:
    """(approx − exact) / |exact|, signed; when exact is 0: 0 if approx is too, else ±inf."""
    if exact == 0:
        return 0.0 if approx == 0 else math.copysign(math.inf, approx)
    return (approx - exact) / abs(exact)


def typical_days_error(full, reduced) -> dict:
    """The signed relative errors of the typical days' annual totals against the full year's:
    ``objective``, ``cost`` and ``emissions`` (on the scenario's carbon signal), each
    (reduced − full) / |full|, unitless. ``full`` and ``reduced``: a
    :class:`~core.time_solve.TimeSolution` or its ``summary()`` dict."""
    return {name: relative_error(_total(reduced, key), _total(full, key))
            for name, key in (("objective", "objective_usd"), ("cost", "cost_usd"), ("emissions", "emissions_t"))}
