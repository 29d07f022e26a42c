"""Solve a time scenario block by block and assemble the results (docs/model.md, "Time-resolved
mode").

    ti = time_inputs(scenario)
    sol = solve_time(ti)                      # every block in turn, one warm HiGHS model
    sol.summary(), sol.periods, sol.placement

Blocks are independent LPs (deferral couples only the periods of a block; without it every period
is its own LP), so :func:`solve_range` on the ranges of :func:`independent_ranges` can run
anywhere, in any order, and :func:`assemble` joins what they return. :func:`solve_block` and
:func:`solve_range` are pure functions of their arguments (picklable in and out); each process
keeps one compiled engine per (inputs object, engine, periods) in a weak cache, so that its
later calls re-solve warm. Ties between optimal placements are allowed (docs/model.md): the
objective is unique, a tied placement may depend on the order blocks were solved in.
"""
from __future__ import annotations

import contextlib
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
import pandas as pd

from core.inputs import LAYERS, layer_of_arc
from core.solution import TOL_MW
from core.time_inputs import TimeInputs
from core.time_model import BlockResult, CvxpyBlockModel, HighsBlockLP, arc_table, block_result, block_structure

ENGINES = ("highs", "cvxpy")
"""``highs``: :class:`~core.time_model.HighsBlockLP` (sparse, warm); ``cvxpy``: the model of
record :class:`~core.time_model.CvxpyBlockModel` (dense; small cases)."""

CHUNK_PERIODS = 168
"""Periods that do not couple are summed in chunks of this many (a week of hours): a chunk's
placement [t, arc] is the largest array held at once."""

_ENGINE_CACHE: "weakref.WeakKeyDictionary[TimeInputs, dict]" = weakref.WeakKeyDictionary()


def _engine(ti: TimeInputs, name: str, periods: int):
    cache = _ENGINE_CACHE.setdefault(ti, {})
    if (name, periods) not in cache:
        if name == "highs":
            cache[name, periods] = HighsBlockLP(ti, periods)
        elif name == "cvxpy":
            cache[name, periods] = CvxpyBlockModel(ti.base.n_nodes, ti.base.n_workloads, periods)
        else:
            raise ValueError(f"engine must be one of {ENGINES}, got {name!r}")
    return cache[name, periods]


class WarmEngines:
    """One warm :class:`HighsBlockLP` per block of a short horizon (the app's typical days), kept
    across solves, so that after a slider move each day re-solves from its own last basis rather
    than the previous day's (on the hourly default's 12 typical days, a carbon price step of
    5 $/t re-solved in 0.3–0.4 s against 3 s chained; bench/hourly.py).

    A block's LP is keyed by its :func:`~core.time_model.block_structure` and first period; a
    new one starts as a :meth:`~HighsBlockLP.copy` of the block before it (else of the last LP of
    that structure). Every block is one LP of ``block_periods`` periods, also when nothing
    defers (its periods then do not couple, the optimum is the same). At most ``capacity`` LPs
    are kept, the least recently used dropped first. ``lock``: held by :func:`solve_range`
    while it solves with these engines (one thread at a time)."""

    def __init__(self, capacity: int = 96):
        self.capacity = int(capacity)
        self.lock = threading.RLock()
        self._engines: OrderedDict[tuple[bytes, int], HighsBlockLP] = OrderedDict()
        self._latest: dict[bytes, tuple[bytes, int]] = {}

    def __len__(self) -> int:
        return len(self._engines)

    def engine(self, ti: TimeInputs, start: int, periods: int) -> HighsBlockLP:
        """The LP of the block of ``periods`` periods from ``start`` of ``ti``'s structure."""
        structure = block_structure(ti, periods)
        key = (structure, int(start))
        if key in self._engines:
            self._engines.move_to_end(key)
        else:
            source = self._engines.get((structure, int(start) - periods)) or \
                self._engines.get(self._latest.get(structure, (b"", -1)))
            if source is None:
                self._engines[key] = HighsBlockLP(ti, periods)
            else:
                self._engines[key] = source.copy()
            while len(self._engines) > self.capacity:
                self._engines.popitem(last=False)
        self._latest[structure] = key
        return self._engines[key]


def model_periods(ti: TimeInputs) -> int:
    """Periods per LP: the block when some class defers, else 1 (each period alone)."""
    return ti.block_periods if ti.defers else 1


def independent_ranges(ti: TimeInputs, parts: int) -> list[range]:
    """The periods split into at most ``parts`` consecutive ranges that can be solved apart:
    whole blocks when some class defers, any periods otherwise."""
    unit = model_periods(ti)
    units = ti.n_periods // unit
    edges = np.linspace(0, units, min(max(int(parts), 1), units) + 1).round().astype(int) * unit
    return [range(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:]) if b > a]


def solve_range(ti: TimeInputs, periods: range, engine: str = "highs", keep_x: bool = False,
                engines: WarmEngines | None = None) -> BlockResult:
    """The periods ``periods`` solved (whole blocks when some class defers, or with ``engines``)
    and summed; ``keep_x`` keeps the placement x [t, arc] (small cases); ``engines``: one warm
    LP per block from this store (engine "highs" only). Raises :class:`core.model.SolveError`."""
    unit = model_periods(ti) if engines is None else ti.block_periods
    if periods.start % unit or periods.stop % unit or not 0 <= periods.start < periods.stop <= ti.n_periods:
        raise ValueError(f"periods {periods.start}…{periods.stop - 1} are not whole LPs of {unit} period(s)")
    if engines is not None and engine != "highs":
        raise ValueError("warm engines are HiGHS block LPs: engine must be 'highs'")
    with engines.lock if engines is not None else contextlib.nullcontext():
        model = _engine(ti, engine, unit) if engines is None else None
        arcs = arc_table(ti.base, every_arc=True) if engine == "cvxpy" else None
        step = max(unit, CHUNK_PERIODS // unit * unit)
        parts = []
        for start in range(periods.start, periods.stop, step):
            chunk = range(start, min(start + step, periods.stop))
            xs, us, solver = [], [], "HIGHS-time"
            for lp_start in range(chunk.start, chunk.stop, unit):
                lp = model if engines is None else engines.engine(ti, lp_start, unit)
                out = lp.solve(ti, range(lp_start, lp_start + unit))
                xs.append(out[0])
                us.append(out[1])
                if engine == "cvxpy":
                    solver = out[2]
                else:
                    arcs = lp.arcs_of(ti)
            parts.append(block_result(ti, arcs, chunk, np.concatenate(xs), np.concatenate(us), solver, keep_x))
    return merge_results(parts)


def solve_block(ti: TimeInputs, block: int, engine: str = "highs", keep_x: bool = False) -> BlockResult:
    """Block ``block`` (0-based, :meth:`TimeInputs.block_range`) solved: :func:`solve_range`."""
    return solve_range(ti, ti.block_range(block), engine, keep_x)


def merge_results(results: list[BlockResult]) -> BlockResult:
    """Consecutive results joined into one (per-period arrays end to end, per-arc sums added)."""
    results = sorted(results, key=lambda r: r.start)
    first = results[0]
    if len(results) == 1:
        return first
    for a, b in zip(results[:-1], results[1:]):
        if a.start + a.n_periods != b.start or not np.array_equal(a.arc_flat, b.arc_flat):
            raise ValueError("results to merge must be consecutive and over the same arcs")
    cat = lambda name: np.concatenate([getattr(r, name) for r in results])       # noqa: E731
    add = lambda name: np.sum([getattr(r, name) for r in results], axis=0)       # noqa: E731
    solvers = sorted({r.solver for r in results})
    return BlockResult(
        start=first.start, solver="+".join(solvers), objective_usd=float(sum(r.objective_usd for r in results)),
        cost_usd=cat("cost_usd"), emissions_avg_t=cat("emissions_avg_t"),
        emissions_marginal_t=cat("emissions_marginal_t"), unserved_mw=cat("unserved_mw"),
        relocated_mw=cat("relocated_mw"), demand_mw=cat("demand_mw"), load_mw=cat("load_mw"),
        arc_flat=first.arc_flat, arc_energy_mwh=add("arc_energy_mwh"), arc_cost_usd=add("arc_cost_usd"),
        arc_emissions_avg_t=add("arc_emissions_avg_t"), arc_emissions_marginal_t=add("arc_emissions_marginal_t"),
        unserved_mwh=add("unserved_mwh"),
        x_mw=cat("x_mw") if all(r.x_mw is not None for r in results) else None,
        u_mw=cat("u_mw") if all(r.u_mw is not None for r in results) else None)


def assemble(ti: TimeInputs, results: list[BlockResult], engine: str) -> "TimeSolution":
    """The solution of the whole horizon from results that cover every period once."""
    merged = merge_results(results)
    if merged.start != 0 or merged.n_periods != ti.n_periods:
        raise ValueError(f"the results cover periods {merged.start}…{merged.start + merged.n_periods - 1}, "
                         f"not 0…{ti.n_periods - 1}")
    return TimeSolution(ti, merged, engine)


def solve_time(ti: TimeInputs, engine: str = "highs", keep_x: bool = False,
               engines: WarmEngines | None = None) -> "TimeSolution":
    """Every period solved in this process, in order (one warm engine, or ``engines``)."""
    return assemble(ti, [solve_range(ti, range(ti.n_periods), engine, keep_x, engines)], engine)


def time_shape(ti: TimeInputs) -> dict:
    """The ``time`` key of the outputs: periods, blocks, periods per block, Σ w [h], and whether
    deferral couples the periods of a block."""
    return {"periods": ti.n_periods, "blocks": ti.n_blocks, "block_periods": ti.block_periods,
            "period_hours": ti.period_hours, "deferral": bool(ti.defers)}


@dataclass(frozen=True, eq=False)
class TimeSolution:
    """A solved time scenario: totals over every period [$, tCO2], powers as period-weighted
    means [MW] (Σ_t w[t]·value[t] / Σ_t w[t], docs/model.md), tables per period and per arc."""

    inputs: TimeInputs
    result: BlockResult
    engine: str

    @property
    def objective_usd(self) -> float:
        return self.result.objective_usd

    @property
    def cost_usd(self) -> float:
        return float(self.result.cost_usd.sum())

    @property
    def emissions_avg_t(self) -> float:
        return float(self.result.emissions_avg_t.sum())

    @property
    def emissions_marginal_t(self) -> float:
        return float(self.result.emissions_marginal_t.sum())

    @property
    def emissions_t(self) -> float:
        return self.emissions_avg_t if self.inputs.base.carbon_signal == "average" else self.emissions_marginal_t

    def _mean_mw(self, per_period_mw: np.ndarray) -> float:
        w = self.inputs.weight_hours
        return float(w @ per_period_mw / w.sum())

    @property
    def unserved_mw(self) -> float:
        return self._mean_mw(self.result.unserved_mw)

    @property
    def demand_mw(self) -> float:
        return self._mean_mw(self.result.demand_mw)

    @property
    def relocated_mw(self) -> float:
        return self._mean_mw(self.result.relocated_mw)

    @property
    def relocated_share(self) -> float:
        """Σ_t w·Σ_{r≠s} x / Σ_t w·Σ D (0 without demand)."""
        return self.relocated_mw / self.demand_mw if self.demand_mw > 0 else 0.0

    def summary(self) -> dict:
        """docs/model.md's ``solve`` keys over the whole horizon, and the time block's shape."""
        ti = self.inputs
        return {"status": "optimal", "objective_usd": self.objective_usd, "cost_usd": self.cost_usd,
                "emissions_t": self.emissions_t, "emissions_avg_t": self.emissions_avg_t,
                "emissions_marginal_t": self.emissions_marginal_t, "unserved_mw": self.unserved_mw,
                "demand_mw": self.demand_mw, "relocated_mw": self.relocated_mw,
                "relocated_share": self.relocated_share, "solver": self.result.solver, "time": time_shape(ti)}

    @cached_property
    def periods(self) -> pd.DataFrame:
        """One row per period t: weight_hours [h], cost_usd and emissions (over the period), and
        unserved, relocated and demand [MW] in it."""
        r, ti = self.result, self.inputs
        signal = r.emissions_avg_t if ti.base.carbon_signal == "average" else r.emissions_marginal_t
        return pd.DataFrame({"t": np.arange(ti.n_periods), "weight_hours": ti.weight_hours,
                             "cost_usd": r.cost_usd, "emissions_t": signal,
                             "emissions_avg_t": r.emissions_avg_t, "emissions_marginal_t": r.emissions_marginal_t,
                             "unserved_mw": r.unserved_mw, "relocated_mw": r.relocated_mw,
                             "demand_mw": r.demand_mw})

    @cached_property
    def placement(self) -> pd.DataFrame:
        """One row per used arc, the columns of :attr:`core.solution.Solution.placement`: ``mw``
        is the period-weighted mean, energy, cost and emissions are totals over the periods."""
        ti, r = self.inputs, self.result
        inp = ti.base
        mean_mw = r.arc_energy_mwh / ti.period_hours
        used = np.flatnonzero(mean_mw > TOL_MW)
        s, rest = np.divmod(r.arc_flat[used], inp.n_nodes * inp.n_workloads)
        c, k = np.divmod(rest, inp.n_workloads)
        ids, wl = np.array(inp.node_ids, dtype=object), np.array(inp.workload_ids, dtype=object)
        return pd.DataFrame({
            "service": ids[s], "compute": ids[c], "workload": wl[k], "mw": mean_mw[used],
            "rtt_ms": inp.rtt_ms[s, c], "distance_km": inp.distance_km[s, c],
            "layer": np.array(LAYERS, dtype=object)[layer_of_arc(inp)[s, c]],
            "energy_mwh": r.arc_energy_mwh[used], "cost_usd": r.arc_cost_usd[used],
            "emissions_avg_t": r.arc_emissions_avg_t[used], "emissions_marginal_t": r.arc_emissions_marginal_t[used],
        })

    @property
    def load_mw(self) -> pd.DataFrame:
        """[t × node] IT load run at each compute node in each period [MW]."""
        return pd.DataFrame(self.result.load_mw, columns=list(self.inputs.base.node_ids))


# ---------------------------------------------------------------------------------------------
# the decomposition of docs/model.md's time-mode metrics

CASES = ("local", "spatial", "temporal", "both")
"""local: every budget 0 and d = 0; spatial only: the budgets, d = 0; temporal only: budgets 0,
the d[k]; both: the scenario itself."""


def case_inputs(ti: TimeInputs, case: str) -> TimeInputs:
    """``ti`` as one of :data:`CASES`."""
    if case not in CASES:
        raise ValueError(f"case must be one of {CASES}, got {case!r}")
    out = ti
    if case in ("local", "temporal"):
        out = out.with_base(replace(ti.base, budget_ms=np.zeros(ti.base.n_workloads)))
    if case in ("local", "spatial"):
        out = out.with_deferral(0)
    return out


def decomposition(ti: TimeInputs, engine: str = "highs", solve=None) -> pd.DataFrame:
    """One row per case of :data:`CASES`: objective, cost and emissions (both signals) over the
    horizon, and the savings of each against the local baseline [$, tCO2]. ``solve(ti, engine)``
    solves each case (default :func:`solve_time`; e.g. :func:`core.time_parallel.solve_time_parallel`)."""
    solve = solve_time if solve is None else solve
    rows = []
    for case in CASES:
        sol = solve(case_inputs(ti, case), engine)
        rows.append({"case": case, "objective_usd": sol.objective_usd, "cost_usd": sol.cost_usd,
                     "emissions_avg_t": sol.emissions_avg_t, "emissions_marginal_t": sol.emissions_marginal_t,
                     "unserved_mw": sol.unserved_mw, "relocated_share": sol.relocated_share})
    df = pd.DataFrame(rows)
    local = df.iloc[0]
    df["savings_usd"] = local["cost_usd"] - df["cost_usd"]
    df["carbon_savings_avg_t"] = local["emissions_avg_t"] - df["emissions_avg_t"]
    df["carbon_savings_marginal_t"] = local["emissions_marginal_t"] - df["emissions_marginal_t"]
    return df
