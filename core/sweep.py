"""The uncertainty sweep of docs/model.md (section 13, `sweep`): N seeded draws of the uncertain
inputs (:mod:`core.uncertainty`), each solved with its local baseline, on Dask or in this process.

    result = sweep(scenario, draws=1000, seed=7)        # SweepResult
    result.summary()    # {output: {mean, p5, p25, p50, p75, p95}, "draws": N, "seed": 7, ...}
    result.draws        # one row per draw: draw, the value of each input, the outputs

Per draw: the inputs by :func:`core.uncertainty.draw_inputs` (arrays, no scenario validation),
the placement and the local baseline (every budget 0 ms, :func:`core.metrics.local_inputs`)
solved by the sweep engine, and the savings of :func:`core.metrics.savings`.

Engine: ``auto`` is ``highs``, a :class:`~core.highs_lp.HighsLP` built fresh for each draw and
used for that draw's solves (placement, local baseline, frontier). On the default scenario it is
6× faster than the compiled CVXPY model (about 13 vs 80 ms per draw for the two solves), and a
fresh instance costs no more than a warm one re-solved (every draw moves every price, so the last
basis is no head start: 13 vs 10–13 ms per draw, measured on 100 draws) while it makes each draw's
numbers a function of the draw alone, bit for bit, whatever the batches or workers (a warm basis
can end at another vertex of a degenerate optimum: 34 of 100 objectives differed in the last
bits). The price of that: on the 117-region world scenario a warm instance would be about 1.4×
faster (250–310 against 390–430 ms per draw). ``cvxpy`` (the model of record) is compiled once per worker thread
(:func:`core.distributed.worker_cached`) and re-solved cold. ``network`` is not offered: its
objective is rounded (:mod:`core.engines`).

Draws go out in batches (:func:`batch_draws`); results stream (:func:`sweep_iter`) and are
sorted by draw, so a sweep gives the same numbers on one process or a cluster, whatever the
batch size. Quantiles are numpy's default method (``"linear"``: the (n−1)·q-th order statistic,
interpolated; Hyndman and Fan's type 7).
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.distributed import ENV_SCHEDULER, dask_client, map_batches, n_workers_of, worker_cached
from core.scenario import Scenario, ScenarioError

SUMMARY_OUTPUTS = ("objective_usd", "cost_usd", "savings_usd", "emissions_t", "carbon_savings_t",
                   "relocated_share")
"""docs/model.md's six outputs, summarised by :meth:`SweepResult.summary`."""

OUTPUTS = SUMMARY_OUTPUTS + ("emissions_avg_t", "emissions_marginal_t", "carbon_savings_avg_t",
                             "carbon_savings_marginal_t", "unserved_mw")
"""Every output column of :attr:`SweepResult.draws` ($, tCO2, MW, share of demand), as in
:meth:`core.solution.Solution.summary` and :func:`core.metrics.savings`."""

FRONTIER_OUTPUTS = ("savings_usd", "carbon_savings_t", "carbon_savings_avg_t", "carbon_savings_marginal_t",
                    "cost_usd", "emissions_t", "relocated_share")
"""Columns kept per draw and budget from :func:`core.frontier.frontier`."""

QUANTILES = {"p5": 0.05, "p25": 0.25, "p50": 0.50, "p75": 0.75, "p95": 0.95}

ENGINES = ("highs", "cvxpy")
IN_PROCESS = "in-process"
"""``scheduler`` value that runs every batch in this process, one after another (no Dask)."""

MAX_DRAWS = 100_000
"""The design (draws × inputs, float64) is drawn whole on the client: 100,000 draws of the
default scenario's 145 inputs take 116 MB."""
DEFAULT_BATCH_DRAWS = 50
"""Draws per task at most. Measured on 2 workers (200 default-scenario draws, a shared 2-core
machine): batches of 1 and 5 draws took 9.0 and 10.0 s, of 20 and 50 draws 6.7 and 6.6 s; a batch
of 50 is about 0.7 s of work, so the per-task cost no longer shows. Smaller sweeps use smaller
batches so that every worker gets several (:func:`batch_draws`)."""

LOCAL_CLUSTER_MIN_DRAWS = 400
"""With no scheduler, no client and fewer draws than this, the sweep runs in this process:
starting a 2-worker LocalCluster takes about 4 s here, which at 13 ms per draw only pays back
above 2 × 4 s / 13 ms ≈ 600 draws (bench/sweep.py)."""


# --- the result -------------------------------------------------------------------------------

def quantile_summary(values) -> dict[str, float]:
    """``{mean, p5, p25, p50, p75, p95}`` of ``values`` (numpy's default, linear quantiles);
    NaN for no values."""
    v = np.asarray(values, dtype=float)
    if v.size == 0:
        return {"mean": math.nan, **{name: math.nan for name in QUANTILES}}
    qs = np.quantile(v, list(QUANTILES.values()), method="linear")
    return {"mean": float(v.mean()), **{name: float(q) for name, q in zip(QUANTILES, qs)}}


@dataclass(frozen=True)
class SweepResult:
    """The draws done so far, sorted by draw.

    ``draws``: columns ``draw`` (0..N−1, the row of the design), one per input named by its
    ``field`` (a field path, or a factor input's name; the value drawn, in the input's unit),
    then :data:`OUTPUTS`. ``labels``: :func:`core.uncertainty.input_labels` of the inputs, in
    the same order (for charts).
    ``corridors``: one row per draw and corridor carrying flow, columns draw, service, compute
    (node ids, s ≠ r), mw (summed over classes, > :data:`core.solution.TOL_MW`).
    ``frontier``: None, or one row per draw and budget: draw, budget_ms, :data:`FRONTIER_OUTPUTS`.
    ``n_requested``: the N asked for; ``complete``: every draw done; ``cancelled``: stopped early
    (the draws done are then not always the first ones: on a cluster, batches finish in any order).
    """

    draws: pd.DataFrame
    corridors: pd.DataFrame
    frontier: pd.DataFrame | None
    seed: int
    n_requested: int
    inputs: tuple
    engine: str
    scheduler: str
    cancelled: bool = False
    labels: tuple[str, ...] = field(default=())

    @property
    def n_draws(self) -> int:
        return len(self.draws)

    @property
    def complete(self) -> bool:
        return self.n_draws == self.n_requested

    def summary(self) -> dict:
        """docs/model.md's sweep output: ``{output: {mean, p5, p25, p50, p75, p95}}`` for
        :data:`SUMMARY_OUTPUTS`, ``draws`` (done), ``draws_requested``, ``seed``, ``cancelled``."""
        out = {name: quantile_summary(self.draws[name]) for name in SUMMARY_OUTPUTS}
        return {**out, "draws": self.n_draws, "draws_requested": self.n_requested, "seed": self.seed,
                "cancelled": self.cancelled}

    def corridor_shares(self) -> pd.DataFrame:
        """Per corridor (service, compute) that carried flow in some draw: draws_with_flow, share
        (of the draws done), mean_mw (over all draws done, 0 where none), sorted by share, then ids."""
        n = max(self.n_draws, 1)
        g = self.corridors.groupby(["service", "compute"], sort=True)
        out = pd.DataFrame({"draws_with_flow": g["draw"].nunique(), "mw_sum": g["mw"].sum()}).reset_index()
        out["share"] = out["draws_with_flow"] / n
        out["mean_mw"] = out.pop("mw_sum") / n
        return out.sort_values(["share", "service", "compute"], ascending=[False, True, True],
                               kind="stable").reset_index(drop=True)

    def frontier_band(self, column: str = "savings_usd") -> pd.DataFrame:
        """Per budget [ms]: mean, p5, p25, p50, p75, p95 over the draws of ``column`` of
        :attr:`frontier` (raises ValueError when the sweep had no frontier budgets)."""
        if self.frontier is None:
            raise ValueError("this sweep has no frontier: pass frontier_budgets_ms")
        rows = [{"budget_ms": b, **quantile_summary(g[column])}
                for b, g in self.frontier.groupby("budget_ms", sort=True)]
        return pd.DataFrame(rows, columns=["budget_ms", "mean", *QUANTILES])


# --- one batch, in a worker -------------------------------------------------------------------

@dataclass(frozen=True)
class _Spec:
    """What every task of one sweep shares (picklable; ``key`` names the worker's cached context)."""

    key: str
    scenario_json: str
    inputs: tuple
    engine: str
    frontier_budgets_ms: tuple[float, ...] | None


class _Context:
    """A worker's state for one sweep: the base scenario and inputs, and for ``cvxpy`` the
    compiled model (built once per worker thread by :func:`core.distributed.worker_cached`)."""

    def __init__(self, spec: _Spec):
        from core.engines import make_engine
        from core.inputs import model_inputs
        from core.scenario import parse_scenario

        self.sc = parse_scenario(json.loads(spec.scenario_json))
        self.base = model_inputs(self.sc)
        self.ids = np.array(self.base.node_ids, dtype=object)
        self._make = lambda: make_engine(spec.engine, self.base.node_ids, self.base.workload_ids)
        self.model = self._make() if spec.engine == "cvxpy" else None

    def engine(self):
        """The engine for one draw: the cached compiled model, or a fresh HiGHS LP."""
        return self.model if self.model is not None else self._make()

    def solve(self, engine, inp):
        """``engine.solve(inp)``; should HiGHS end a draw without an optimum (it happened once in
        10,000 draws: status "Unknown"), the draw is solved by the model of record instead."""
        from core.engines import make_engine
        from core.model import SolveError

        try:
            return engine.solve(inp)
        except SolveError:
            if self.model is not None:
                raise
            if getattr(self, "_record", None) is None:
                self._record = make_engine("cvxpy", self.base.node_ids, self.base.workload_ids)
            self.fallbacks = getattr(self, "fallbacks", 0) + 1
            return self._record.solve(inp)


def _solve_batch(task: tuple[_Spec, int, np.ndarray]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    """Draws ``first, first+1, …`` with the rows of ``values`` as input values: (outputs,
    corridors, frontier) tables of the batch."""
    from core.metrics import local_inputs, savings
    from core.solution import TOL_MW
    from core.uncertainty import draw_inputs

    spec, first, values = task
    ctx = worker_cached(spec.key, lambda: _Context(spec))
    rows, fronts = [], []
    corridor_draw, corridor_s, corridor_r, corridor_mw = [], [], [], []
    n = ctx.base.n_nodes
    off_home = ~np.eye(n, dtype=bool)
    for i, v in enumerate(values):
        draw = first + i
        inp = draw_inputs(ctx.base, ctx.sc, spec.inputs, v)
        engine = ctx.engine()
        sol = ctx.solve(engine, inp)
        local = ctx.solve(engine, local_inputs(inp))
        s = savings(sol, local)
        rows.append((draw, sol.objective_usd, sol.cost_usd, s["savings_usd"], sol.emissions_t,
                     s["carbon_savings_t"], sol.relocated_share, sol.emissions_avg_t, sol.emissions_marginal_t,
                     s["carbon_savings_avg_t"], s["carbon_savings_marginal_t"], sol.unserved_mw))
        pair_mw = sol.x_mw.sum(axis=2)
        ss, rr = np.nonzero(off_home & (pair_mw > TOL_MW))
        corridor_draw.append(np.full(ss.size, draw, dtype=np.int64))
        corridor_s.append(ss)
        corridor_r.append(rr)
        corridor_mw.append(pair_mw[ss, rr])
        if spec.frontier_budgets_ms is not None:
            from core.frontier import frontier

            f = frontier(engine, inp, list(spec.frontier_budgets_ms))
            f = f[["budget_ms", *FRONTIER_OUTPUTS]]
            f.insert(0, "draw", draw)
            fronts.append(f)
    out = pd.DataFrame(rows, columns=["draw", *OUTPUTS])
    ss, rr = np.concatenate(corridor_s), np.concatenate(corridor_r)
    corr = pd.DataFrame({"draw": np.concatenate(corridor_draw), "service": ctx.ids[ss], "compute": ctx.ids[rr],
                         "mw": np.concatenate(corridor_mw)})
    return out, corr, (pd.concat(fronts, ignore_index=True) if fronts else None)


def _empty_corridors() -> pd.DataFrame:
    return pd.DataFrame({"draw": pd.Series(dtype=int), "service": pd.Series(dtype=object),
                         "compute": pd.Series(dtype=object), "mw": pd.Series(dtype=float)})


# --- the sweep --------------------------------------------------------------------------------

def batch_draws(n_draws: int, n_workers: int) -> int:
    """Draws per task: at most :data:`DEFAULT_BATCH_DRAWS`, and few enough that every worker
    gets about four tasks (load balance, progress), at least 1."""
    return max(1, min(DEFAULT_BATCH_DRAWS, math.ceil(n_draws / (4 * max(1, n_workers)))))


def _check(draws, seed, batch_size, engine) -> str:
    if isinstance(draws, bool) or not isinstance(draws, (int, np.integer)) or not 1 <= draws <= MAX_DRAWS:
        raise ScenarioError("draws", f"expected a whole number of draws from 1 to {MAX_DRAWS:,}, got {draws!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**63:
        raise ScenarioError("seed", f"expected a whole number ≥ 0, got {seed!r}")
    if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer))
                                   or batch_size < 1):
        raise ScenarioError("batch_size", f"expected a whole number ≥ 1, got {batch_size!r}")
    name = "highs" if engine == "auto" else engine
    if name not in ENGINES:
        raise ScenarioError("engine", f"expected auto or one of {', '.join(ENGINES)}, got {engine!r}")
    return name


def _spec(sc: Scenario, inputs: tuple, engine: str, frontier_budgets_ms) -> _Spec:
    text = sc.to_json()
    budgets = None
    if frontier_budgets_ms is not None:
        budgets = tuple(float(b) for b in np.unique(np.asarray(frontier_budgets_ms, dtype=float)))
        if not budgets or not all(math.isfinite(b) and b >= 0 for b in budgets):
            raise ScenarioError("frontier_budgets_ms", f"expected finite budgets ≥ 0 ms, got {frontier_budgets_ms!r}")
    key = hashlib.sha256(repr((text, inputs, engine)).encode()).hexdigest()
    return _Spec(f"sweep:{key}", text, inputs, engine, budgets)


class _Run:
    """One sweep's batches, their results as they come, and the tables built from them."""

    def __init__(self, sc: Scenario, draws: int, seed: int, inputs, engine: str, frontier_budgets_ms):
        from core.uncertainty import draw_design, input_labels, uncertain_inputs

        if getattr(sc, "time", None) is not None:   # the time-resolved block (core.time_block)
            raise ScenarioError("time", "a sweep solves the single-period model; this scenario has a time block")
        self.inputs = tuple(uncertain_inputs(sc) if inputs is None else inputs)
        if not self.inputs:
            raise ScenarioError("uncertainty", "no uncertain inputs to draw (the block is empty)")
        self.fields = tuple(e.field for e in self.inputs)   # unique: core.uncertainty.check_inputs
        self.labels = tuple(input_labels(list(self.inputs)))
        self.design = np.asarray(draw_design(list(self.inputs), draws, seed), dtype=float).reshape(draws, len(self.inputs))
        self.spec = _spec(sc, self.inputs, engine, frontier_budgets_ms)
        self.seed, self.n, self.engine = int(seed), int(draws), engine
        self.scheduler, self.cancelled = "", False
        self.parts: list[tuple] = []

    def tasks(self, batch_size: int) -> list[tuple]:
        return [(self.spec, first, self.design[first:first + batch_size]) for first in range(0, self.n, batch_size)]

    def result(self) -> SweepResult:
        parts = sorted(self.parts, key=lambda p: int(p[0]["draw"].iloc[0]) if len(p[0]) else -1)
        if parts:
            out = pd.concat([p[0] for p in parts], ignore_index=True)
            corridors = pd.concat([p[1] for p in parts], ignore_index=True)
            fronts = [p[2] for p in parts if p[2] is not None]
        else:
            out, corridors, fronts = pd.DataFrame(columns=["draw", *OUTPUTS]), _empty_corridors(), []
        values = pd.DataFrame(self.design[out["draw"].to_numpy(dtype=int)], columns=list(self.fields))
        draws = pd.concat([out[["draw"]], values, out[list(OUTPUTS)].astype(float)], axis=1)
        draws["draw"] = draws["draw"].astype(np.int64)
        frontier = (pd.concat(fronts, ignore_index=True) if fronts
                    else (None if self.spec.frontier_budgets_ms is None
                          else pd.DataFrame(columns=["draw", "budget_ms", *FRONTIER_OUTPUTS])))
        return SweepResult(draws, corridors, frontier, self.seed, self.n, self.inputs, self.engine,
                           self.scheduler, self.cancelled, self.labels)


def _stream(sc: Scenario, draws: int, seed: int, scheduler, batch_size, progress, cancelled, client, engine,
            inputs, frontier_budgets_ms) -> Iterator[tuple[_Run, bool]]:
    """(run, final): the run after each batch (final False), then once more at the end (True)."""
    engine = _check(draws, seed, batch_size, engine)
    run = _Run(sc, draws, seed, inputs, engine, frontier_budgets_ms)
    env = os.environ.get(ENV_SCHEDULER, "").strip()
    with contextlib.ExitStack() as stack:
        if client is not None:
            run.scheduler = "client"
        elif scheduler == IN_PROCESS or (not scheduler and not env and draws < LOCAL_CLUSTER_MIN_DRAWS):
            run.scheduler = IN_PROCESS
        else:
            client = stack.enter_context(dask_client(scheduler))
            run.scheduler = scheduler or env or f"LocalCluster({n_workers_of(client)} workers)"
        size = batch_size or batch_draws(draws, n_workers_of(client))
        tasks = run.tasks(size)
        # map_batches reports the share of batches; every batch but the last has `size` draws
        share_of_draws = None if progress is None else (
            lambda share: progress(min(1.0, round(share * len(tasks)) * size / draws)))
        batches = map_batches(client, _solve_batch, tasks, progress=share_of_draws, cancelled=cancelled)
        for _, part in batches:
            run.parts.append(part)
            yield run, False
        run.cancelled = batches.cancelled
    yield run, True


def sweep_iter(sc: Scenario, draws: int, seed: int, *, scheduler: str | None = None,
               batch_size: int | None = None, progress: Callable[[float], None] | None = None,
               cancelled: Callable[[], bool] | None = None, client=None, engine: str = "auto",
               inputs=None, frontier_budgets_ms=None) -> Iterator[SweepResult]:
    """:func:`sweep`, yielding the :class:`SweepResult` of the draws done so far after every
    batch (sorted by draw; ``complete`` on the last), and, when cancelled (or nothing was done),
    a last one with ``cancelled`` set as it is."""
    for run, final in _stream(sc, draws, seed, scheduler, batch_size, progress, cancelled, client, engine,
                              inputs, frontier_budgets_ms):
        if not final:
            yield run.result()
        elif run.cancelled or not run.parts:
            yield run.result()


def sweep(sc: Scenario, draws: int, seed: int, *, scheduler: str | None = None, batch_size: int | None = None,
          progress: Callable[[float], None] | None = None, cancelled: Callable[[], bool] | None = None,
          client=None, engine: str = "auto", inputs=None, frontier_budgets_ms=None) -> SweepResult:
    """``draws`` seeded draws of ``sc``'s uncertain inputs (``inputs``, default
    :func:`core.uncertainty.uncertain_inputs`), each solved with its local baseline.

    Where: ``client`` (an open ``distributed.Client``, reused), else ``scheduler``: an address
    (``tcp://host:port``), :data:`IN_PROCESS`, or None (:data:`core.distributed.ENV_SCHEDULER`,
    else a LocalCluster sized to the machine, or this process below
    :data:`LOCAL_CLUSTER_MIN_DRAWS` draws). ``batch_size``: draws per task (default
    :func:`batch_draws`). ``progress(share)``: share of the draws done, 0..1; ``cancelled()``:
    True stops the sweep (the result holds the draws done and says ``cancelled``). ``engine``:
    auto (= highs) or cvxpy (module docstring). ``frontier_budgets_ms``: also each draw's
    frontier at these budgets [ms] (:attr:`SweepResult.frontier`). Raises ScenarioError naming
    a bad argument, :class:`core.distributed.SchedulerUnreachable` when no scheduler answers.
    """
    run = None
    for run, _ in _stream(sc, draws, seed, scheduler, batch_size, progress, cancelled, client, engine,
                          inputs, frontier_budgets_ms):
        pass
    return run.result()
