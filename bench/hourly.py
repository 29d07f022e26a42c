"""The time-resolved mode's benchmark (issue 10): ``python -m bench.hourly [--days N] [--k K] [--quick]``.

On ``scenarios/default_hourly_2024.json`` (8,784 hourly periods of 2024, blocks of one day; batch
and agentic work defer, so every day is one coupled LP):

* ``CLI solve``: the whole process ``python -m core solve SCENARIO`` (imports, reading the CSV
  series, validation, every block, the JSON), goal ≤ 60 s for the full year;
* ``load``: ``load_scenario`` + ``time_inputs`` in this process;
* ``serial``: :func:`core.time_solve.solve_time` in this process (one warm engine);
* ``1 worker`` / ``2 workers``: :func:`core.time_parallel.solve_time_parallel` on a LocalCluster
  of one and of two workers, each warmed up first on two days (imports, first engine), and the
  speed-up 1 → 2;
* ``K typical days``: :func:`core.typical_days.typical_days` (tsam) and the solve of the K days,
  goal ≤ 5 s together for K = 12, and its error against the serial full solve;
* ``slider: …``: what the app does on a slider move in typical-days mode: the four cases of
  :func:`core.time_view.time_result` re-solved on warm engines (:func:`core.time_view.case_engines`)
  after one step of carbon price or relaxation, beside the same solve from cold. The server-side
  figure of a whole rerun is ``wsload.py`` against the Time page (README).

``--days N`` runs the first N days only (a scenario of N days written inline to a temporary
file for the CLI); ``--quick`` is ``--days 28``. Wall seconds (``time.perf_counter``), printed,
never asserted; on a shared machine they are indicative only.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCENARIO = REPO / "scenarios" / "default_hourly_2024.json"
GOAL_FULL_S, GOAL_TYPICAL_S, TYPICAL_K = 60.0, 5.0, 12
QUICK_DAYS = 28


def _timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - t0, out


def _workers_cpu_s(client) -> float:
    """CPU seconds the workers' processes have used so far, summed."""
    return sum(client.run(time.process_time).values())


def first_days(sc, days: int):
    """The scenario over its first ``days`` days (series inline, period_hours = their weights)."""
    tb = sc.time
    n = 24 * days
    cut = lambda v: list(v)[:n]   # noqa: E731
    w = tb.weight_hours if not isinstance(tb.weight_hours, list) else tb.weight_hours[:n]
    block = tb.model_copy(update={
        "periods": n, "weight_hours": w,
        **{name: {node: cut(v) for node, v in getattr(tb, name).items()}
           for name in ("price_usd_per_mwh", "carbon_avg_g_per_kwh", "carbon_marginal_g_per_kwh")},
        "demand_factor": {node: {k: cut(v) for k, v in by.items()} for node, by in tb.demand_factor.items()}})
    total = float(w * n) if not isinstance(w, list) else float(sum(w))
    return sc.model_copy(update={"time": block, "period_hours": total})


def slice_days(ti, days: int):
    """:class:`TimeInputs` of the first ``days`` days."""
    n = 24 * days
    w = ti.weight_hours[:n]
    return replace(ti, base=replace(ti.base, period_hours=float(w.sum())), weight_hours=w,
                   price_usd_per_mwh=ti.price_usd_per_mwh[:, :n], carbon_avg_g_per_kwh=ti.carbon_avg_g_per_kwh[:, :n],
                   carbon_marginal_g_per_kwh=ti.carbon_marginal_g_per_kwh[:, :n], demand_mw=ti.demand_mw[:, :, :n])


def cli_solve_s(path: Path) -> tuple[float, dict]:
    """Wall seconds of ``python -m core solve path`` as a fresh process, and its JSON."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "core", "solve", str(path)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=3600)
    seconds = time.perf_counter() - t0
    if done.returncode:
        raise RuntimeError(f"python -m core solve failed: {done.stderr.strip()[-500:]}")
    return seconds, json.loads(done.stdout)


def run(days: int | None = None, k: int = TYPICAL_K) -> list[dict]:
    """The rows of the table: what, periods, seconds, note."""
    from core.distributed import dask_client
    from core.scenario import load_scenario
    from core.time_inputs import time_inputs
    from core.time_parallel import solve_time_parallel
    from core.time_solve import solve_time
    from core.time_view import case_engines, time_result
    from core.typical_days import typical_days, typical_days_error

    os.environ.pop("ELF_DASK_SCHEDULER", None)   # LocalClusters of our own
    rows = []

    def row(what, periods, seconds, note=""):
        rows.append({"what": what, "periods": periods, "s": seconds, "note": note})
        print(f"{what:<22} {periods:>6} {seconds:9.2f} s  {note}", flush=True)

    t_load, sc = _timed(load_scenario, SCENARIO)
    if days is not None:
        sc = first_days(sc, days)
    t_ti, ti = _timed(time_inputs, sc)
    T = ti.n_periods
    print(f"{SCENARIO.name}: {len(sc.nodes)} nodes, {len(sc.workloads)} classes, {T} periods "
          f"({ti.n_blocks} blocks of {ti.block_periods}), deferral {'on' if ti.defers else 'off'}; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        path = SCENARIO
        if days is not None:
            path = Path(tmp) / "days.json"
            path.write_text(json.dumps(sc.to_dict()))
        t_cli, out = cli_solve_s(path)
    row("CLI solve", T, t_cli, f"whole process; goal ≤ {GOAL_FULL_S:g} s for 8,784 periods")
    row("load", T, t_load + t_ti, f"load_scenario {t_load:.2f} s + time_inputs {t_ti:.2f} s")
    cpu0 = time.process_time()
    t_serial, full = _timed(solve_time, ti)
    cpu = time.process_time() - cpu0
    row("serial", T, t_serial, f"{1000 * t_serial / ti.n_blocks:.0f} ms per block (CPU {1000 * cpu / ti.n_blocks:.0f}); "
                               f"objective ${full.objective_usd:,.0f} (CLI: ${out['objective_usd']:,.0f})")
    per = {}
    warm = slice_days(ti, 2)
    for workers in (1, 2):
        with dask_client(n_workers=workers) as client:
            t_warm, _ = _timed(solve_time_parallel, warm, client=client)
            cpu0 = _workers_cpu_s(client)
            t, sol = _timed(solve_time_parallel, ti, client=client)
            cpu = _workers_cpu_s(client) - cpu0
        per[workers] = t
        same = abs(sol.objective_usd - full.objective_usd) <= 1e-9 * abs(full.objective_usd)
        row(f"{workers} worker{'s' * (workers > 1)}", T, t,
            f"worker CPU {1000 * cpu / ti.n_blocks:.0f} ms per block; warm-up {t_warm:.1f} s; "
            f"objective {'= serial' if same else 'DIFFERS from serial'}")
    speedup = per[1] / per[2]
    rows.append({"what": "speed-up 1 → 2", "periods": T, "s": None, "note": f"{speedup:.2f}×"})
    print(f"{'speed-up 1 → 2':<22} {T:>6} {speedup:9.2f} ×  (serial / 2 workers: {t_serial / per[2]:.2f}×)")
    k = min(k, ti.n_blocks)
    t_reduce, (reduced, info) = _timed(typical_days, ti, k)
    t_solve, typical = _timed(solve_time, reduced)
    err = typical_days_error(full, typical)
    row(f"{k} typical days", reduced.n_periods, t_reduce + t_solve,
        f"tsam {t_reduce:.2f} s + solve {t_solve:.2f} s; goal ≤ {GOAL_TYPICAL_S:g} s; error vs full: "
        + ", ".join(f"{name} {100 * v:+.3f} %" for name, v in err.items()))
    rows.append({"what": "typical-days error", "periods": reduced.n_periods, "s": None, "note": json.dumps(err)})
    # the app's slider move on typical days: the four cases re-solved on warm engines after one
    # slider step (5 $/t of carbon, 5 ms of relaxation), against the same re-solve from cold
    engines = case_engines()
    t_first, _ = _timed(time_result, ti, "typical", k, engines=engines)
    for what, base in (("carbon +5 $/t", replace(ti.base, carbon_price_usd_per_t=ti.base.carbon_price_usd_per_t + 5)),
                       ("relax +5 ms", replace(ti.base, budget_ms=ti.base.budget_ms + 5))):
        moved = ti.with_base(base)
        t_warm, _ = _timed(time_result, moved, "typical", k, engines=engines)
        t_cold, _ = _timed(time_result, moved, "typical", k)
        row(f"slider: {what}", reduced.n_periods, t_warm,
            f"four cases on warm engines, 2 threads (cold: {t_cold:.2f} s; first open {t_first:.2f} s)")
    return rows


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.hourly", description=__doc__.splitlines()[0])
    p.add_argument("--days", type=int, default=None, help="the first N days only (default: the whole year)")
    p.add_argument("--k", type=int, default=TYPICAL_K, help=f"typical days (default {TYPICAL_K})")
    p.add_argument("--quick", action="store_true", help=f"--days {QUICK_DAYS}")
    args = p.parse_args(argv)
    run(args.days or (QUICK_DAYS if args.quick else None), args.k)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
