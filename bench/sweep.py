"""The uncertainty sweep's benchmark (issue 9): ``python -m bench.sweep [--draws N] [--big M] [--quick]``.

On the default scenario with its default ranges (:func:`core.uncertainty.uncertain_inputs`), seed 0:

* ``single``: one draw's work in this process, by the sweep engine (a fresh
  :class:`~core.highs_lp.HighsLP`: build, solve, local baseline), median of repeats: the floor
  a draw cannot beat;
* ``in-process``: a sweep of N/5 draws in this process (no Dask): per-draw cost with the draws'
  inputs and outputs;
* ``LocalCluster, cold``: N draws as ``sweep(sc, N, 0)`` runs them from 400 draws on, the default
  LocalCluster started and closed inside the timing (goal ≤ 60 s at N = 1,000), and that
  cluster's start-up alone;
* ``1 worker`` / ``2 workers``: N draws on a LocalCluster of one and of two workers, each warmed
  up first (imports, one batch), and the speed-up (goal ≥ 1.7×);
* ``big``: M draws (default 10,000) on the same two workers; per-draw time against N's
  (goal: linear growth, ratio ≈ 1).

Timings are wall seconds (``time.perf_counter``), and for the warm runs the workers' CPU
seconds per draw (wall time on a shared machine says little); printed, never asserted;
``--quick`` runs N = 200 and M = 1,000.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

GOAL_DEFAULT_S, GOAL_SPEEDUP = 60.0, 1.7


def _timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - t0, out


def single_draw_s(sc, repeats: int = 20) -> float:
    """Median wall seconds of one draw's solves at the base inputs: a fresh HiGHS LP built,
    solved, and re-solved for the local baseline (what :mod:`core.sweep` does per draw)."""
    from core.highs_lp import HighsLP
    from core.inputs import model_inputs
    from core.metrics import local_inputs

    inp = model_inputs(sc)
    local = local_inputs(inp)

    def one():
        lp = HighsLP.for_inputs(inp)
        lp.solve(inp).objective_usd
        lp.solve(local).objective_usd

    one()
    return statistics.median(_timed(one)[0] for _ in range(repeats))


def _workers_cpu_s(client) -> float:
    """CPU seconds used so far by the worker processes of ``client``, summed (load-independent,
    unlike wall time on a shared machine)."""
    return sum(client.run(time.process_time).values())


def run(draws: int = 1000, big: int = 10_000, repeats: int = 20) -> list[dict]:
    """The rows of the table: what, draws, seconds, ms per draw, note."""
    from core.distributed import dask_client, n_workers_of
    from core.scenario import default_scenario
    from core.sweep import IN_PROCESS, sweep
    from core.uncertainty import uncertain_inputs

    os.environ.pop("ELF_DASK_SCHEDULER", None)   # the default path: a LocalCluster of our own
    sc = default_scenario()
    inputs = uncertain_inputs(sc)
    rows = []

    def row(what, n, seconds, note=""):
        rows.append({"what": what, "draws": n, "s": seconds, "ms_per_draw": 1000 * seconds / n if n else None,
                     "note": note})
        print(f"{what:<24} {n:>7} {seconds:9.2f} s {rows[-1]['ms_per_draw'] or 0:9.2f} ms/draw  {note}", flush=True)

    print(f"default scenario: {len(sc.nodes)} nodes, {len(sc.workloads)} classes, {len(inputs)} uncertain inputs")
    single = single_draw_s(sc, repeats)
    row("single (same engine)", 1, single, f"median of {repeats}")
    n_here = max(20, draws // 5)
    t, _ = _timed(sweep, sc, n_here, 0, scheduler=IN_PROCESS, inputs=inputs)
    row("in-process", n_here, t, f"{t / n_here / single:.2f}× single")
    t0 = time.perf_counter()
    with dask_client():
        t_start = time.perf_counter() - t0
    t0 = time.perf_counter()
    with dask_client() as client:   # what sweep(sc, N, 0) does from 400 draws on, start and close timed
        sweep(sc, draws, 0, client=client, inputs=inputs)
        workers = n_workers_of(client)
    t = time.perf_counter() - t0
    row("LocalCluster, cold", draws, t, f"{workers} workers, start and close included; "
                                        f"goal ≤ {GOAL_DEFAULT_S:g} s at 1,000")
    per = {}
    for workers in (1, 2):
        with dask_client(n_workers=workers) as client:
            t_warm, _ = _timed(sweep, sc, 10, 1, client=client, inputs=inputs, batch_size=5)   # imports, contexts
            cpu0 = _workers_cpu_s(client)
            t, _ = _timed(sweep, sc, draws, 0, client=client, inputs=inputs)
            cpu = (_workers_cpu_s(client) - cpu0) / draws
            per[workers] = t
            row(f"{workers} worker{'s' * (workers > 1)} (warm)", draws, t,
                f"{t / draws / single:.2f}× single per draw; worker CPU {1000 * cpu:.1f} ms/draw; "
                f"warm-up {t_warm:.1f} s")
            if workers == 2:
                t_big, _ = _timed(sweep, sc, big, 0, client=client, inputs=inputs)
                row("2 workers, big", big, t_big,
                    f"per-draw ratio to {draws:,}: {t_big / big / (t / draws):.2f} (linear: 1)")
    speedup = per[1] / per[2]
    print(f"LocalCluster start-up (until the client is connected; the workers' imports come with "
          f"their first task, see warm-up): {t_start:.2f} s")
    print(f"speed-up 1 → 2 workers: {speedup:.2f}× (goal ≥ {GOAL_SPEEDUP:g}×)")
    rows.append({"what": "speed-up", "draws": draws, "s": None, "ms_per_draw": None, "note": f"{speedup:.2f}×"})
    rows.append({"what": "start-up", "draws": 0, "s": t_start, "ms_per_draw": None, "note": "LocalCluster"})
    return rows


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.sweep", description=__doc__.splitlines()[0])
    p.add_argument("--draws", type=int, default=None, help="N (default 1,000; --quick 200)")
    p.add_argument("--big", type=int, default=None, help="M (default 10,000; --quick 1,000)")
    p.add_argument("--quick", action="store_true", help="N = 200, M = 1,000, 5 repeats of the single solve")
    args = p.parse_args(argv)
    draws = args.draws or (200 if args.quick else 1000)
    big = args.big or (1000 if args.quick else 10_000)
    run(draws, big, repeats=5 if args.quick else 20)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
