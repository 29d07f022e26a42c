"""Command line: ``python -m core solve|frontier|metrics SCENARIO [--engine E]`` (JSON on stdout);
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

    inp = model_inputs(load_scenario(args.scenario))
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
    inp = model_inputs(sc)
    engine = resolve(args.engine, inp, "sweep")
    df = Analysis(sc, sweep_engine=engine, solve_engine=engine).frontier(inp, args.budgets, args.workload)
    return {"workload": args.workload, "engine": engine, "points": json_rows(df)}


def cmd_metrics(args) -> dict:
    from core.inputs import model_inputs
    from core.report import metrics_report

    sc = load_scenario(args.scenario)
    inp = model_inputs(sc)
    return metrics_report(sc, solve_engine=resolve(args.engine, inp, "solve"),
                          sweep_engine=resolve(args.engine, inp, "sweep"))


def _add_engine(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--engine", choices=CHOICES, default="auto",
                   help=f"solver of {what}: auto (default; a single solve: cvxpy up to "
                        f"{CVXPY_MAX_ARCS} arcs N²·K, highs above; a sweep: highs), cvxpy (the "
                        "compiled CVXPY model of record), highs (the same LP in one warm-started "
                        "HiGHS instance), network (OR-Tools min-cost flow; objective within a "
                        "proven ~1e-6 relative bound, no duals)")


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
    p.set_defaults(run=cmd_solve)
    p = sub.add_parser("frontier", help="cost, emissions, savings and RID against the latency budget")
    p.add_argument("scenario", help="scenario file (.json, .yaml), a folder of CSV files (docs/model.md), or - for standard input")
    p.add_argument("--budgets", type=_budgets, default=None,
                   help="budgets in ms, e.g. 0,10,25,50,100 (default: the exact frontier at every breakpoint)")
    p.add_argument("--workload", default=None,
                   help="relax only this workload class (the others keep their budgets); default: all")
    _add_engine(p, "the sweep")
    p.set_defaults(run=cmd_frontier)
    p = sub.add_parser("metrics", help="every metric of docs/model.md for the scenario")
    p.add_argument("scenario", help="scenario file (.json, .yaml), a folder of CSV files (docs/model.md), or - for standard input")
    _add_engine(p, "its single solves and its sweeps (frontier, waterfall)")
    p.set_defaults(run=cmd_metrics)
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
