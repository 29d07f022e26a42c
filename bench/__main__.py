"""``python -m bench [--quick]``: the benchmark table of :mod:`bench` (see its docstring)."""
from __future__ import annotations

import argparse
import gc
from importlib import metadata
import os
import platform
import subprocess
import sys
import time
from dataclasses import replace

import numpy as np

from bench import scaling
from bench.baselines import Linprog, RebuildCvxpy, ortools_arrays, ortools_reference
from bench.scenarios import FRONTIER_BUDGETS_MS, generated_scenario, one_change_walk
from core.engines import NetworkEngine
from core.frontier import breakpoints_ms, budget_vector_ms, frontier
from core.highs_lp import HighsLP
from core.inputs import ModelInputs, model_inputs
from core.model import PlacementModel
from core.network import solve_network
from core.scenario import default_scenario


class DirectArcsNetwork(NetworkEngine):
    """The network engine with one arc per allowed (s, r, k), no hubs (``solve_network(hubs=False)``)."""

    def solve(self, inp: ModelInputs, arcs=None):
        return solve_network(inp, hubs=False)


def timed(fn, *args, **kwargs):
    """(wall seconds by time.perf_counter, result); the CPU seconds of the call go to CPU_LOG."""
    c0, t0 = time.process_time(), time.perf_counter()
    out = fn(*args, **kwargs)
    wall = time.perf_counter() - t0
    CPU_LOG.append(time.process_time() - c0)
    return wall, out


CPU_LOG: list[float] = []


def fmt_s(seconds: float) -> str:
    if seconds < 1.0:
        return f"{seconds * 1e3:8.2f} ms"
    return f"{seconds:8.2f} s "


def rel_gap(a, b) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1.0)))


class Table:
    """Rows of (method, wall seconds, CPU seconds, note, objective gap to ours); the first row is
    ours (ratio 1)."""

    def __init__(self, title: str):
        self.title, self.rows = title, []

    def add(self, method: str, seconds: float, cpu: float, gap: float | None = None, note: str = "") -> None:
        self.rows.append((method, seconds, cpu, gap, note))
        ours = self.rows[0][1]
        gap_text = "" if gap is None else f"{gap:9.1e}"
        print(f"  {method:<44} {fmt_s(seconds)} {fmt_s(cpu)} {seconds / ours:8.2f}× {gap_text:>9}  {note}", flush=True)

    def header(self) -> None:
        print(f"\n{self.title}")
        print(f"  {'method':<44} {'wall':>11} {'CPU':>11} {'vs ours':>9} {'Δobj rel':>9}  note")


def bench_resolve(inp: ModelInputs, repeats: int, baseline_repeats: int) -> dict:
    """(a): the same walk of one-parameter changes through every engine; medians."""
    walk = one_change_walk(inp, repeats)
    first = [timed(lambda: PlacementModel(inp.node_ids, inp.workload_ids).solve(inp))[0] for _ in range(5)]
    engines = [("compiled CVXPY model, re-solve [ours]", PlacementModel(inp.node_ids, inp.workload_ids), repeats),
               ("warm HiGHS (core.highs_lp, sweep engine)", HighsLP(inp.node_ids, inp.workload_ids), repeats),
               ("network engine (OR-Tools min-cost flow)", NetworkEngine(inp.node_ids, inp.workload_ids), repeats),
               ("rebuild CVXPY problem every time", RebuildCvxpy(), baseline_repeats),
               ("scipy linprog(method='highs')", Linprog(), baseline_repeats)]
    engines[0][1].solve(inp), engines[1][1].solve(inp)  # compiled / loaded before the walk
    table = Table(f"(a) re-solve after one parameter change — {describe(inp)}; median over a walk of "
                  f"{repeats} one-parameter changes ({baseline_repeats} for the baselines)")
    table.header()
    reference = None
    for name, engine, n in engines:
        times, objs = [], []
        CPU_LOG.clear()
        for step in walk[:n]:
            dt, sol = timed(engine.solve, step)
            times.append(dt)
            objs.append(sol.objective_usd)
        if reference is None:
            reference = objs
        table.add(name, float(np.median(times)), float(np.median(CPU_LOG)),
                  None if engine is engines[0][1] else rel_gap(objs, reference[:n]),
                  f"min {fmt_s(min(times)).strip()}, max {fmt_s(max(times)).strip()}")
    print(f"  first solve of a fresh model (build + compile + solve), median of 5: {fmt_s(float(np.median(first))).strip()}")
    return {"resolve_s": table.rows[0][1], "first_s": float(np.median(first))}


def bench_frontier(title: str, engines: list) -> Table:
    """Frontier through each engine: (name, callable returning a frontier DataFrame, repeats);
    the first engine is ours."""
    table = Table(title)
    table.header()
    run_engines(table, engines, None)
    return table


def run_engines(table: Table, engines: list, reference) -> None:
    for name, run, n in engines:
        times, df = [], None
        CPU_LOG.clear()
        for _ in range(n):
            gc.collect()
            dt, df = timed(run)
            times.append(dt)
        if reference is None:
            reference = df
        gap = None if df is reference else rel_gap(df["objective_usd"], reference["objective_usd"])
        table.add(name, float(np.median(times)), float(np.median(CPU_LOG)), gap, f"{int(df['solved'].sum())} of {len(df)} points solved"
                  + (f", median of {n}" if n > 1 else ""))


def describe(inp: ModelInputs) -> str:
    n, k = inp.n_nodes, inp.n_workloads
    return f"{n} nodes × {k} workloads, {n * n * k:,} arcs"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="a short run: (c) on 60 nodes, fewer repeats")
    parser.add_argument("--nodes", type=int, default=None, help="nodes of the generated scenario of (c) (default 200)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated scenario of (c)")
    parser.add_argument("--scaling", default=None,
                        help=f"sizes of the scaling table, comma-separated from {','.join(scaling.SIZES)} "
                             "(default: all; with --quick: the default scenario's solve, re-solve and 12-budget "
                             "frontier, and nothing is written)")
    args = parser.parse_args(argv)
    sizes = [s.strip() for s in (args.scaling or ("default" if args.quick else ",".join(scaling.SIZES))).split(",")
             if s.strip()]
    unknown = [s for s in sizes if s not in scaling.SIZES]
    if unknown:
        parser.error(f"--scaling: unknown size {unknown[0]!r}; known: {', '.join(scaling.SIZES)}")
    n_big = args.nodes or (60 if args.quick else 200)
    fast_repeats = 3 if args.quick else 5
    versions = ", ".join(f"{pkg} {metadata.version(pkg)}" for pkg in ("cvxpy", "highspy", "scipy", "ortools"))
    print("Energy–Latency Frontier Explorer — benchmark (one process, time.perf_counter; timings are not asserted)")
    print(f"  Python {platform.python_version()}, {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.1f} at start; {versions}")
    print("  wall: time.perf_counter; CPU: time.process_time of this process (steadier on a busy machine);")
    print("  'vs ours': wall / the first row's wall; 'Δobj rel': max |objective − ours| / |ours| over the same solves")
    t_start = time.perf_counter()

    # (a) -----------------------------------------------------------------------------------
    inp = model_inputs(default_scenario())
    a = bench_resolve(inp, repeats=30 if args.quick else 60, baseline_repeats=30)

    # (b) -----------------------------------------------------------------------------------
    points = breakpoints_ms(inp)
    model = PlacementModel(inp.node_ids, inp.workload_ids)
    model.solve(inp)  # compiled once, before timing (its first solve is (a)'s last line)
    b_engines = [
        ("frontier, warm HiGHS + dual pricing [ours]", lambda: frontier(HighsLP(inp.node_ids, inp.workload_ids), inp), fast_repeats),
        ("frontier, compiled CVXPY model + pricing", lambda: frontier(model, inp), 1 if args.quick else 3),
        ("frontier, network engine (OR-Tools, every point)",
         lambda: frontier(NetworkEngine(inp.node_ids, inp.workload_ids), inp), fast_repeats),
        ("frontier, rebuild CVXPY problem per solve", lambda: frontier(RebuildCvxpy(), inp), 1),
        ("frontier, scipy linprog per solve", lambda: frontier(Linprog(), inp), 1),
    ]
    b = bench_frontier(f"(b) exact frontier of the default scenario — {len(points)} breakpoints, {describe(inp)}",
                       b_engines)

    # (c) -----------------------------------------------------------------------------------
    big = model_inputs(generated_scenario(n_big, args.seed))
    budgets = np.array(FRONTIER_BUDGETS_MS, dtype=float)
    arrays = [ortools_arrays(replace(big, budget_ms=budget_vector_ms(big, b_ms))) for b_ms in budgets]
    c_title = (f"(c) frontier at {len(budgets)} budgets of a generated scenario — {describe(big)}, "
               f"state locality off, seed {args.seed}")

    def network_frontier():
        return frontier(NetworkEngine(big.node_ids, big.workload_ids), big, budgets)

    def reference_run():
        return [ortools_reference(arr) for arr, _ in arrays]

    # ours and the reference alternate, so a change of machine load hits both alike
    ours_times, ref_times, ours_cpu, ref_cpu = [], [], [], []
    for _ in range(fast_repeats):
        gc.collect()
        ours_times.append(timed(network_frontier)[0])
        ours_cpu.append(CPU_LOG[-1])
        ref_times.append(timed(reference_run)[0])
        ref_cpu.append(CPU_LOG[-1])
    ours_df = network_frontier()
    t_compile, big_model = timed(PlacementModel, big.node_ids, big.workload_ids)
    t_first, _ = timed(big_model.solve, big)
    c = Table(c_title)
    c.header()
    c.add("frontier, network engine (OR-Tools min-cost flow) [ours]", float(np.median(ours_times)), float(np.median(ours_cpu)), None,
          f"{int(ours_df['solved'].sum())} of {len(ours_df)} points solved, median of {fast_repeats}")
    ref = float(np.median(ref_times))
    ref_objective = [cost * usd for cost, (_, usd) in zip(reference_run(), arrays)]
    c.add("bare OR-Tools SimpleMinCostFlow (reference)", ref, float(np.median(ref_cpu)),
          rel_gap(ref_objective, ours_df["objective_usd"]),
          f"{len(arrays)} prebuilt direct-arc networks, solve only, median of {fast_repeats}")
    c_engines = [
        ("frontier, network engine, direct arcs (no hubs)",
         lambda: frontier(DirectArcsNetwork(big.node_ids, big.workload_ids), big, budgets), fast_repeats),
        ("frontier, warm HiGHS + dual pricing", lambda: frontier(HighsLP(big.node_ids, big.workload_ids), big, budgets), 1),
        ("frontier, compiled CVXPY model + pricing", lambda: frontier(big_model, big, budgets), 1),
        ("frontier, rebuild CVXPY problem per solve", lambda: frontier(RebuildCvxpy(), big, budgets), 1),
        ("frontier, scipy linprog per solve", lambda: frontier(Linprog(), big, budgets), 1),
    ]
    run_engines(c, c_engines, ours_df)
    print(f"  compiled CVXPY model of (c): build {fmt_s(t_compile).strip()}, first solve (compile + solve) "
          f"{fmt_s(t_first).strip()}")

    # goals ---------------------------------------------------------------------------------
    ratio = c.rows[0][1] / c.rows[1][1]
    ratio_cpu = c.rows[0][2] / c.rows[1][2]
    print("\nGoals")
    print(f"  (a) re-solve ≤ 50 ms: {fmt_s(a['resolve_s']).strip()} — {'met' if a['resolve_s'] <= 0.05 else 'NOT met'}")
    print(f"  (b) exact frontier ≤ 1 s: {fmt_s(b.rows[0][1]).strip()} — {'met' if b.rows[0][1] <= 1.0 else 'NOT met'}")
    print(f"  (c) within 3× of OR-Tools min-cost flow: {ratio:.2f}× wall, {ratio_cpu:.2f}× CPU — "
          f"{'met' if ratio <= 3.0 else 'NOT met'}")

    # (d) the scaling table -----------------------------------------------------------------
    print("\n(d) scaling: each (size, task) in its own process (python -m bench.scaling)")
    scaling.run_scaling(sizes, quick=args.quick, write=not args.quick)

    # (e) the uncertainty sweep, (f) the hourly year: each its own process (clusters, memory)
    for label, module in (("(e) uncertainty sweep on Dask", "bench.sweep"), ("(f) hourly 2024 year", "bench.hourly")):
        print(f"\n{label}: python -m {module}{' --quick' if args.quick else ''}", flush=True)
        subprocess.run([sys.executable, "-m", module, *(["--quick"] if args.quick else [])], check=False)
    print(f"\n  whole benchmark: {fmt_s(time.perf_counter() - t_start).strip()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
