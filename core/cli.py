"""Command line: ``python -m core solve|frontier|metrics SCENARIO.json`` (JSON on stdout).

A scenario that cannot be read exits with status 2 and one line on stderr naming the field.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys

import numpy as np

from core.scenario import ScenarioError, load_scenario


def _clean(value):
    """JSON-safe: numpy scalars to Python, NaN and ±inf to null."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else None
    return value


def _records(df) -> list[dict]:
    return df.to_dict(orient="records")


def _budgets(text: str) -> list[float]:
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--budgets: expected numbers separated by commas, got {text!r}") from None
    if not values or any(not math.isfinite(v) or v < 0 for v in values):
        raise argparse.ArgumentTypeError(f"--budgets: expected finite budgets ≥ 0 ms, got {text!r}")
    return values


def cmd_solve(args) -> dict:
    from core.model import solve_scenario

    sol = solve_scenario(load_scenario(args.scenario))
    out = sol.summary()
    cols = ["service", "compute", "workload", "mw", "rtt_ms", "layer"]
    out["placement"] = _records(sol.placement[cols])
    if args.detail:
        out["load"] = _records(sol.load)
        out["demand"] = _records(sol.demand)
    return out


def cmd_frontier(args) -> dict:
    from core.analysis import Analysis
    from core.inputs import model_inputs

    sc = load_scenario(args.scenario)
    if args.workload is not None and args.workload not in sc.workload_ids:
        raise ScenarioError("--workload", f"unknown workload id {args.workload!r}; known: {', '.join(sc.workload_ids)}")
    if args.engine == "network":
        from core.network import frontier_network

        df = frontier_network(model_inputs(sc), args.budgets, args.workload)
    else:
        df = Analysis(sc, sweep_engine=args.engine).frontier(model_inputs(sc), args.budgets, args.workload)
    return {"workload": args.workload, "engine": args.engine, "points": _records(df)}


def cmd_metrics(args) -> dict:
    from core.report import metrics_report

    return metrics_report(load_scenario(args.scenario))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m core",
        description="Energy–Latency Frontier Explorer: place inference demand on compute regions "
                    "(docs/model.md) and print JSON.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("solve", help="solve the placement LP once")
    p.add_argument("scenario", help="scenario file (.json, .yaml) or - for standard input")
    p.add_argument("--detail", action="store_true", help="add load per region and demand tables with duals")
    p.set_defaults(run=cmd_solve)
    p = sub.add_parser("frontier", help="cost, emissions, savings and RID against the latency budget")
    p.add_argument("scenario", help="scenario file (.json, .yaml) or - for standard input")
    p.add_argument("--budgets", type=_budgets, default=None,
                   help="budgets in ms, e.g. 0,10,25,50,100 (default: the exact frontier at every breakpoint)")
    p.add_argument("--workload", default=None,
                   help="relax only this workload class (the others keep their budgets); default: all")
    p.add_argument("--engine", choices=("highs", "cvxpy", "network"), default="highs",
                   help="highs: the same LP in one warm-started HiGHS instance (default); "
                        "cvxpy: the compiled CVXPY model of record; network: OR-Tools min-cost flow "
                        "(fastest on large scenarios; objective within a proven ~1e-6 relative bound)")
    p.set_defaults(run=cmd_frontier)
    p = sub.add_parser("metrics", help="every metric of docs/model.md for the scenario")
    p.add_argument("scenario", help="scenario file (.json, .yaml) or - for standard input")
    p.set_defaults(run=cmd_metrics)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        out = args.run(args)
    except ScenarioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # one line, never a traceback
        print(f"error: {type(exc).__name__}: {exc}".splitlines()[0], file=sys.stderr)
        return 1
    try:
        json.dump(_clean(out), sys.stdout, indent=1, allow_nan=False)
        sys.stdout.write("\n")
        sys.stdout.flush()
    except BrokenPipeError:  # the reader (e.g. `head`) closed the pipe: not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0
