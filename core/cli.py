"""Command line: ``python -m core solve|frontier|metrics|sweep SCENARIO [--engine E]`` (JSON on stdout);
SCENARIO is a scenario file, a folder of CSV files (:mod:`core.scenario_csv`) or ``-``.

Every command names the engine it used in a top-level "engine" key (:mod:`core.engines`), and
prints one JSON object with one top-level key per line (:func:`json_text`).

A scenario that cannot be read exits with status 2 and one line on stderr naming the field.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys

import numpy as np

from core.engines import CHOICES, CVXPY_MAX_ARCS, resolve
from core.report import json_rows
from core.scenario import ScenarioError, load_scenario


def _clean(value):
    """JSON-safe: numpy scalars and arrays to Python, NaN and ±inf to null. One type test per
    value of the plain Python that :mod:`core.report`'s json helpers build."""
    kind = type(value)
    if kind is float:
        return value if math.isfinite(value) else None
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, np.ndarray):
        return _clean(value.tolist())
    if isinstance(value, np.generic):
        return _clean(value.item())
    if isinstance(value, float):
        return _clean(float(value))
    return value


def _plain(value):
    """json's ``default``: numpy scalars and arrays as Python values (a TypeError for the rest)."""
    if isinstance(value, (np.generic, np.ndarray)):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _dumps(value) -> str:
    return json.dumps(value, allow_nan=False, check_circular=False, default=_plain)


def json_text(out: dict) -> str:
    """The commands' output as JSON text: one top-level key per line, each value compact (json's
    C encoder), numpy values as Python's, NaN and ±inf as null; ends with a newline.

    A value holding no non-finite float is written as it is; one that does goes through
    :func:`_clean` first (one Python call per value, so the quick path comes first)."""
    lines = []
    for key, value in out.items():
        try:
            text = _dumps(value)
        except ValueError:   # a NaN or ±inf somewhere in it
            text = _dumps(_clean(value))
        lines.append(f" {json.dumps(str(key))}: {text}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def _budgets(text: str) -> list[float]:
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--budgets: expected numbers separated by commas, got {text!r}") from None
    if not values or any(not math.isfinite(v) or v < 0 for v in values):
        raise argparse.ArgumentTypeError(f"--budgets: expected finite budgets ≥ 0 ms, got {text!r}")
    return values


def cmd_solve(args) -> dict:
    from core.engines import solve_with
    from core.inputs import model_inputs

    sc = load_scenario(args.scenario)
    if sc.time is not None:
        return _time_mode(args, sc)
    _no_time_options(args)
    inp = model_inputs(sc)
    engine = resolve(args.engine, inp, "solve")
    sol = solve_with(engine, inp)
    out = {"engine": engine, **sol.summary()}
    cols = ["service", "compute", "workload", "mw", "rtt_ms", "layer"]
    out["placement"] = json_rows(sol.placement[cols])
    if args.detail:
        out["load"] = json_rows(sol.load)
        out["demand"] = json_rows(sol.demand)
    return out


def cmd_frontier(args) -> dict:
    from core.analysis import Analysis
    from core.inputs import model_inputs

    sc = load_scenario(args.scenario)
    if args.workload is not None and args.workload not in sc.workload_ids:
        raise ScenarioError("--workload", f"unknown workload id {args.workload!r}; known: {', '.join(sc.workload_ids)}")
    if sc.time is not None:
        return _time_mode(args, sc)
    _no_time_options(args)
    inp = model_inputs(sc)
    engine = resolve(args.engine, inp, "sweep")
    df = Analysis(sc, sweep_engine=engine, solve_engine=engine).frontier(inp, args.budgets, args.workload)
    return {"workload": args.workload, "engine": engine, "points": json_rows(df)}


def cmd_metrics(args) -> dict:
    from core.inputs import model_inputs
    from core.report import metrics_report

    sc = load_scenario(args.scenario)
    if sc.time is not None:
        return _time_mode(args, sc)
    _no_time_options(args)
    inp = model_inputs(sc)
    return metrics_report(sc, solve_engine=resolve(args.engine, inp, "solve"),
                          sweep_engine=resolve(args.engine, inp, "sweep"))


PARALLEL_MIN_BLOCKS = 48
"""From this many independent blocks a time solve goes to Dask (a LocalCluster takes seconds to
start; below, the blocks are solved in this process)."""


def _no_time_options(args) -> None:
    for option, value in (("--typical-days", args.typical_days), ("--scheduler", args.scheduler)):
        if value is not None:
            raise ScenarioError(option, "applies to time scenarios only (a scenario with a time block)")


def _time_solver(args, n_blocks: int):
    """``solve(ti) -> TimeSolution``: on Dask (``--scheduler``, ELF_DASK_SCHEDULER, or a
    LocalCluster from :data:`PARALLEL_MIN_BLOCKS` blocks on), else in this process."""
    import os

    from core.distributed import ENV_SCHEDULER
    from core.time_parallel import IN_PROCESS, solve_time_parallel
    from core.time_solve import solve_time

    scheduler = args.scheduler or os.environ.get(ENV_SCHEDULER) or None
    if scheduler is None and n_blocks < PARALLEL_MIN_BLOCKS or scheduler == IN_PROCESS:
        return lambda ti, engine: solve_time(ti, engine)
    return lambda ti, engine: solve_time_parallel(ti, engine=engine, scheduler=scheduler)


def _time_mode(args, sc) -> dict:
    """``solve``, ``frontier --budgets`` and ``metrics`` of a scenario with a ``time`` block
    (docs/model.md, "Time-resolved mode"): totals over every period. ``solve`` adds ``periods``
    and ``time``; ``frontier`` needs ``--budgets`` and gives no RID (not defined per period);
    ``metrics`` gives the decomposition local / spatial only / temporal only / both."""
    from dataclasses import replace

    from core.time_inputs import time_inputs
    from core.time_solve import case_inputs, decomposition, time_shape

    if args.engine == "network":
        raise ScenarioError("--engine", "the network engine does not solve time scenarios; use highs or cvxpy")
    engine = "cvxpy" if args.engine == "cvxpy" else "highs"
    ti, extra = time_inputs(sc), {}
    if args.typical_days is not None:
        from core.typical_days import typical_days

        ti, info = typical_days(ti, _whole(args.typical_days, "--typical-days", 1))
        extra = {"typical_days": info.k, "typical_days_detail": info.to_dict()}
    solve_time = _time_solver(args, ti.n_blocks if ti.defers else ti.n_periods)
    if args.command == "solve":
        sol = solve_time(ti, engine)
        out = {"engine": engine, **extra, **sol.summary()}
        out["placement"] = json_rows(sol.placement[["service", "compute", "workload", "mw", "rtt_ms", "layer"]])
        out["periods"] = json_rows(sol.periods[["t", "cost_usd", "emissions_t", "unserved_mw", "relocated_mw"]])
        if args.detail:
            out["load"] = json_rows(sol.load_mw.assign(t=np.arange(ti.n_periods)))
        return out
    if args.command == "frontier":
        if args.budgets is None:
            raise ScenarioError("--budgets", "the exact frontier is not yet supported for time scenarios; "
                                             "give --budgets, e.g. 0,10,25,50,100")
        local = solve_time(case_inputs(ti, "local"), engine).cost_usd
        points = []
        for b in args.budgets:
            budget = np.where([args.workload in (None, w) for w in ti.base.workload_ids], b, ti.base.budget_ms)
            sol = solve_time(ti.with_base(replace(ti.base, budget_ms=budget.astype(float))), engine)
            points.append({"budget_ms": b, "objective_usd": sol.objective_usd, "cost_usd": sol.cost_usd,
                           "emissions_t": sol.emissions_t, "unserved_mw": sol.unserved_mw,
                           "savings_usd": local - sol.cost_usd, "relocated_share": sol.relocated_share})
        return {"workload": args.workload, "engine": engine, **extra, "time": time_shape(ti), "points": points}
    return {"engine": engine, **extra, "time": time_shape(ti),
            "decomposition": json_rows(decomposition(ti, engine, solve=solve_time))}


def _whole(text: str, option: str, low: int) -> int:
    """``text`` as a whole number ≥ ``low``, else a ScenarioError naming ``option``."""
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value < low:
        raise ScenarioError(option, f"expected a whole number ≥ {low}, got {text!r}")
    return value


def cmd_sweep(args) -> dict:
    from tqdm import tqdm

    from core.distributed import SchedulerUnreachable
    from core.sweep import sweep

    draws, seed = _whole(args.draws, "--draws", 1), _whole(args.seed, "--seed", 0)
    batch = None if args.batch_size is None else _whole(args.batch_size, "--batch-size", 1)
    outputs = (("--draws-csv", args.draws_csv, lambda p: result.draws.to_csv(p, index=False)),
               ("--parquet", args.parquet, lambda p: result.draws.to_parquet(p, index=False)))
    for option, path, _ in outputs:
        if path and not os.path.isdir(os.path.dirname(os.path.abspath(path))):
            raise ScenarioError(option, f"no folder {os.path.dirname(os.path.abspath(path))}")
    sc = load_scenario(args.scenario)
    bar = []   # opened on the first progress report: after the scenario and the scheduler are checked

    def progress(share: float) -> None:
        if not bar:
            bar.append(tqdm(total=draws, unit="draw", desc="sweep", file=sys.stderr))
        bar[0].update(round(share * draws) - bar[0].n)

    try:
        result = sweep(sc, draws, seed, scheduler=args.scheduler, batch_size=batch, progress=progress,
                       engine=args.engine)
    except SchedulerUnreachable as exc:
        raise ScenarioError("--scheduler" if exc.source == "scheduler" else exc.source, str(exc)) from None
    finally:
        if bar:
            bar[0].close()
    for option, path, write in outputs:
        if path:
            try:
                write(path)
            except OSError as exc:
                raise ScenarioError(option, f"cannot write {path}: {exc.strerror or exc}") from None
    return {**result.summary(), "engine": result.engine, "inputs": len(result.inputs),
            "scheduler": result.scheduler}


def _add_engine(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--engine", choices=CHOICES, default="auto",
                   help=f"solver of {what}: auto (default; a single solve: cvxpy up to "
                        f"{CVXPY_MAX_ARCS} arcs N²·K, highs above; a sweep: highs), cvxpy (the "
                        "compiled CVXPY model of record), highs (the same LP in one warm-started "
                        "HiGHS instance), network (OR-Tools min-cost flow; objective within a "
                        "proven ~1e-6 relative bound, no duals)")


def _add_time(p: argparse.ArgumentParser) -> None:
    p.add_argument("--typical-days", default=None, metavar="K",
                   help="time scenarios of whole days: solve K typical days (tsam) instead of every day")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="time scenarios: solve the blocks on this Dask scheduler (tcp://host:8786) or in-process; "
                        f"default: $ELF_DASK_SCHEDULER, else a LocalCluster from {PARALLEL_MIN_BLOCKS} blocks on")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m core",
        description="Energy–Latency Frontier Explorer: place inference demand on compute regions "
                    "(docs/model.md) and print JSON.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("solve", help="solve the placement LP once")
    p.add_argument("scenario", help="scenario file (.json, .yaml), a folder of CSV files (docs/model.md), or - for standard input")
    p.add_argument("--detail", action="store_true", help="add load per region and demand tables with duals")
    _add_engine(p, "the solve")
    _add_time(p)
    p.set_defaults(run=cmd_solve)
    p = sub.add_parser("frontier", help="cost, emissions, savings and RID against the latency budget")
    p.add_argument("scenario", help="scenario file (.json, .yaml), a folder of CSV files (docs/model.md), or - for standard input")
    p.add_argument("--budgets", type=_budgets, default=None,
                   help="budgets in ms, e.g. 0,10,25,50,100 (default: the exact frontier at every breakpoint)")
    p.add_argument("--workload", default=None,
                   help="relax only this workload class (the others keep their budgets); default: all")
    _add_engine(p, "the sweep")
    _add_time(p)
    p.set_defaults(run=cmd_frontier)
    p = sub.add_parser("metrics", help="every metric of docs/model.md for the scenario")
    p.add_argument("scenario", help="scenario file (.json, .yaml), a folder of CSV files (docs/model.md), or - for standard input")
    _add_engine(p, "its single solves and its sweeps (frontier, waterfall)")
    _add_time(p)
    p.set_defaults(run=cmd_metrics)
    p = sub.add_parser("sweep", help="N seeded draws of the uncertain inputs, each solved: mean and "
                                     "quantiles of the outputs (docs/model.md, sweep)")
    p.add_argument("scenario", help="scenario file (.json, .yaml), a folder of CSV files (docs/model.md), or - for standard input")
    p.add_argument("--draws", required=True, help="number of draws N (≥ 1)")
    p.add_argument("--seed", required=True, help="seed S (≥ 0): the same scenario, N and S give the same draws")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="a Dask scheduler (tcp://host:8786), or in-process; default: $ELF_DASK_SCHEDULER, "
                        "else a LocalCluster sized to the machine (this process below 400 draws)")
    p.add_argument("--draws-csv", default=None, metavar="FILE",
                   help="write one row per draw: draw, the value drawn for each field path, the outputs")
    p.add_argument("--parquet", default=None, metavar="FILE", help="write the same table as Parquet (large sweeps)")
    p.add_argument("--batch-size", default=None, help="draws per Dask task (default: up to 50)")
    p.add_argument("--engine", choices=("auto", "highs", "cvxpy"), default="auto",
                   help="solver of each draw: auto (= highs: a fresh HiGHS LP per draw), cvxpy (the "
                        "compiled CVXPY model of record, one per worker)")
    p.set_defaults(run=cmd_sweep)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        text = json_text(args.run(args))
    except ScenarioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # one line, never a traceback
        print(f"error: {type(exc).__name__}: {exc}".splitlines()[0], file=sys.stderr)
        return 1
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:  # the reader (e.g. `head`) closed the pipe: not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0
