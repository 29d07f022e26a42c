"""The scaling table of ``make bench``: each task at 31 to 1,000 nodes beside bare solvers.

``python -m bench.scaling [--sizes default,world,200,200-sl,500,1000] [--write]`` runs every
(size, task) in its own child process (``python -m bench.scaling --one SIZE --task TASK``), so
that each peak memory (``ru_maxrss`` of the child, read when our work is done and before the
baselines run: imports and the scenario included) is that task's alone. Sizes
(:data:`SIZES`): the default scenario (31 nodes), the world scenario (117 cloud regions), and
:func:`bench.scenarios.generated_scenario` at 200, 500 and 1,000 nodes (seed 0; "200-sl" with
state locality on). Tasks (:data:`TASKS`), each with the engine ``auto`` picks
(:func:`core.engines.resolve`):

* ``solve``: :func:`core.engines.solve_with` ("auto"), engine built and solved cold;
* ``resolve``: one warm engine re-solved over :func:`bench.scenarios.one_change_walk` (median);
* ``exact``: the exact frontier, every breakpoint (up to 200 nodes);
* ``frontier12``: the frontier at the 12 budgets of :data:`bench.scenarios.FRONTIER_BUDGETS_MS`
  (and ``frontier12-network``: the same through the network engine);
* ``metrics``: :func:`core.report.metrics_report` and ``json.dumps`` of its cleaned output, as
  ``python -m core metrics`` does (up to 200 nodes).

Baselines, in the same child after ours, each on prebuilt input so that only the solver's work
is timed: bare OR-Tools ``SimpleMinCostFlow`` on the direct-arc network
(:func:`bench.baselines.ortools_reference`) and bare HiGHS on the full N·N·K LP, passed once and
solved cold (:func:`bench.baselines.highs_reference`). A task's baseline is the cold solves that
answer the same question: one solve (solve; metrics, as its unit of work), one per walk step
(resolve, the mean over its first steps), one per budget (frontier12), one per breakpoint (exact: timed on an even
sample of breakpoints, the total estimated as mean × breakpoints, marked "est."). Objective gaps
(``max |ours − baseline| / max(|ours|, 1)`` over the compared solves) check that every engine
reaches the same optimum. Timings are printed, never asserted.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS_MD = ROOT / "bench" / "results" / "scaling.md"
PLOT_PNG = ROOT / "docs" / "bench_scaling.png"

SIZES = ("default", "world", "200", "200-sl", "500", "1000")
TASKS = ("solve", "resolve", "exact", "frontier12", "frontier12-network", "metrics")
TASK_LABELS = {"solve": "solve", "resolve": "re-solve after one change", "exact": "exact frontier",
               "frontier12": "12-budget frontier", "frontier12-network": "12-budget frontier, network engine",
               "metrics": "metrics report + JSON"}
FIT_TASKS = ("solve", "frontier12", "exact")
GOAL_EXACT_S, GOAL_METRICS_S, GOAL_RATIO, GOAL_PEAK_MB = 20.0, 30.0, 3.0, 6000.0
HIGHS_LIMIT_S = 600.0
"""Each bare HiGHS solve stops after this long [s]; its time is then a lower bound ("≥")."""


QUICK_TASKS = ("solve", "resolve", "frontier12")


def tasks_of(key: str, quick: bool = False) -> tuple[str, ...]:
    """The tasks run at size ``key``: the state-locality variant only for its exact frontier,
    the exact frontier and the metrics report only up to 200 nodes;
    ``quick``: only :data:`QUICK_TASKS`."""
    if quick:
        return tuple(t for t in tasks_of(key) if t in QUICK_TASKS)
    if key == "200-sl":
        return ("exact",)
    if key in ("500", "1000"):
        return ("solve", "resolve", "frontier12", "frontier12-network")
    return TASKS


def scenario_of(key: str):
    """The scenario of size ``key`` (:data:`SIZES`)."""
    from bench.scenarios import generated_scenario
    from core.scenario import default_scenario, load_scenario

    if key == "default":
        return default_scenario()
    if key == "world":
        return load_scenario(str(ROOT / "scenarios" / "world_cloud_regions.json"))
    if key == "200-sl":
        return generated_scenario(200, seed=0, state_locality=True)
    if key in SIZES:
        return generated_scenario(int(key), seed=0)
    raise ValueError(f"unknown size {key!r}; known: {', '.join(SIZES)}")


# --- one task, in the child -------------------------------------------------------------------
def peak_mb() -> float:
    """Peak resident memory of this process so far [MB] (``ru_maxrss``, KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6


def _timed(fn, *args):
    c0, t0 = time.process_time(), time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - t0, time.process_time() - c0, out


def rel_gap(ours, other) -> float:
    """``max |ours − other| / max(|ours|, 1)`` over paired objectives [$]."""
    a, b = np.asarray(ours, dtype=float), np.asarray(other, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a), 1.0))) if a.size else float("nan")


def even_sample(n_items: int, n_sample: int) -> np.ndarray:
    """Up to ``n_sample`` indices spread evenly over ``range(n_items)``, first and last included."""
    return np.unique(np.linspace(0, n_items - 1, min(n_items, n_sample)).round().astype(int))


def interior_sample(n_items: int, n_sample: int) -> np.ndarray:
    """``n_sample`` indices spread evenly inside ``range(n_items)``, ends excluded (all when
    ``n_sample ≥ n_items``): a sample whose mean stands for the whole, not its extremes."""
    if n_sample >= n_items:
        return np.arange(n_items)
    return np.unique(np.linspace(0, n_items - 1, n_sample + 2)[1:-1].round().astype(int))


def _baselines(inputs: list, ours_usd: list, total_solves: int, max_highs: int, with_highs: bool = True,
               highs_limit_s: float = HIGHS_LIMIT_S) -> dict:
    """Cold bare OR-Tools and HiGHS solves of ``inputs`` (ModelInputs; HiGHS on at most
    ``max_highs`` of them, :func:`interior_sample`), each built outside the timing; the time for
    ``total_solves`` solves (the mean over the timed ones × total_solves) and the objective gaps
    to ``ours_usd`` [$, over the period]. A HiGHS solve stopped at ``highs_limit_s`` counts that
    long (``highs_limited``: the time is a lower bound)."""
    from bench.baselines import highs_full_lp, highs_reference, lp_matrix, ortools_arrays, ortools_reference

    out = {}
    times, objs = [], []
    for inp in inputs:
        arrays, usd_per_unit = ortools_arrays(inp)
        dt, _, cost = _timed(ortools_reference, arrays)
        times.append(dt)
        objs.append(cost * usd_per_unit)
        del arrays
    out["ortools_s"] = float(np.mean(times)) * total_solves
    out["ortools_solves"], out["ortools_estimated"] = len(times), len(times) < total_solves
    out["gap_ortools"] = rel_gap(ours_usd, objs)
    if not with_highs:
        return out
    times, objs, ours = [], [], []
    matrix = lp_matrix(inputs[0].n_nodes, inputs[0].n_workloads)
    for i in interior_sample(len(inputs), max_highs):
        lp = highs_full_lp(inputs[i], matrix)
        dt, _, obj = _timed(highs_reference, lp, highs_limit_s)
        times.append(dt)
        objs.append(obj * inputs[i].period_hours)
        ours.append(ours_usd[i])
        del lp
    out["highs_s"] = float(np.mean(times)) * total_solves
    out["highs_solves"], out["highs_estimated"] = len(times), len(times) < total_solves
    out["highs_limited"] = bool(np.isnan(objs).any())
    done = np.isfinite(objs)
    out["gap_highs"] = rel_gap(np.asarray(ours)[done], np.asarray(objs)[done])
    return out


def measure(sc, task: str, repeats: int = 1, walk_steps: int = 10, sample: int = 12, max_highs: int = 12,
            highs_limit_s: float = HIGHS_LIMIT_S) -> dict:
    """Time ``task`` on scenario ``sc`` (ours, then the baselines); one row of the table.

    ``repeats``: ours is timed that many times (median; solve, frontiers); ``walk_steps``: the
    one-change walk of ``resolve``; ``sample``: breakpoints timed for the exact frontier's
    baselines; ``max_highs``: at most this many bare HiGHS solves per task (the rest estimated),
    each stopped after ``highs_limit_s``.
    """
    from bench.scenarios import FRONTIER_BUDGETS_MS, one_change_walk
    from core.cli import json_text
    from core.engines import NetworkEngine, make_engine, n_arcs, resolve, solve_with
    from core.frontier import budget_vector_ms, frontier
    from core.inputs import model_inputs
    from core.report import metrics_report

    inp = model_inputs(sc)
    row = {"task": task, "nodes": inp.n_nodes, "workloads": inp.n_workloads, "arcs": n_arcs(inp),
           "state_locality": bool(inp.friction("state_locality")), "start_mb": peak_mb()}
    times, cpus = [], []

    def run(fn, *args, n=repeats):
        out = None
        for _ in range(n):
            dt, cpu, out = _timed(fn, *args)
            times.append(dt)
            cpus.append(cpu)
        return out

    if task == "solve":
        row["engine"] = resolve("auto", inp, "solve")
        sol = run(solve_with, "auto", inp)
        ours_usd, inputs, total = [sol.objective_usd], [inp], 1
    elif task == "resolve":
        row["engine"] = resolve("auto", inp, "solve")
        engine = make_engine(row["engine"], inp.node_ids, inp.workload_ids)
        engine.solve(inp)  # built (and compiled) before the walk
        walk = one_change_walk(inp, walk_steps)
        ours_usd = [run(engine.solve, step, n=1).objective_usd for step in walk]
        inputs, total = walk[:max(1, min(len(walk), max_highs))], 1
    elif task in ("exact", "frontier12", "frontier12-network"):
        row["engine"] = "network" if task == "frontier12-network" else resolve("auto", inp, "sweep")
        budgets = None if task == "exact" else FRONTIER_BUDGETS_MS

        def sweep():
            engine = (NetworkEngine(inp.node_ids, inp.workload_ids) if row["engine"] == "network"
                      else make_engine(row["engine"], inp.node_ids, inp.workload_ids))
            return frontier(engine, inp, budgets)

        df = run(sweep, n=repeats if task != "exact" else 1)
        row["points"], row["lp_solves"] = len(df), int(df["solved"].sum())
        pick = even_sample(len(df), sample) if task == "exact" else np.arange(len(df))
        inputs = [replace(inp, budget_ms=budget_vector_ms(inp, b)) for b in df["budget_ms"].to_numpy()[pick]]
        ours_usd, total = list(df["objective_usd"].to_numpy()[pick]), len(df)
    elif task == "metrics":
        engines = {"solve_engine": resolve("auto", inp, "solve"), "sweep_engine": "highs"}
        row["engine"] = f"{engines['solve_engine']} + {engines['sweep_engine']}"

        def report():
            t0 = time.perf_counter()
            out = metrics_report(sc, **engines)
            row["report_s"] = time.perf_counter() - t0
            text = json_text(out)
            row["json_s"], row["json_mb"] = time.perf_counter() - t0 - row["report_s"], len(text) / 1e6
            return out

        out = run(report, n=1)
        ours_usd, inputs, total = [out["solution"]["objective_usd"]], [inp], 1
    else:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    row["ours_s"], row["ours_cpu_s"] = float(np.median(times)), float(np.median(cpus))
    row["ours_runs"] = len(times)
    row["peak_mb"] = peak_mb()
    if task == "resolve":  # the walk's first steps, each a cold baseline solve: the mean per solve
        base = _baselines(inputs, ours_usd[:len(inputs)], 1, max_highs, highs_limit_s=highs_limit_s)
    else:
        base = _baselines(inputs, ours_usd, total, max_highs, with_highs=task != "frontier12-network",
                          highs_limit_s=highs_limit_s)
    row.update(base)
    row["total_peak_mb"] = peak_mb()
    return row


# --- the parent: children, table, fit, plot ---------------------------------------------------
def run_child(key: str, task: str, quick: bool, timeout_s: float, highs_limit_s: float = HIGHS_LIMIT_S) -> dict:
    """``measure`` of (``key``, ``task``) in a fresh ``python -m bench.scaling --one`` process."""
    cmd = [sys.executable, "-m", "bench.scaling", "--one", key, "--task", task,
           "--highs-limit", str(highs_limit_s)] + (["--quick"] if quick else [])
    try:
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return {"key": key, "task": task, "error": f"timed out after {timeout_s:.0f} s"}
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return {"key": key, "task": task, "error": f"exit {proc.returncode}: {last}"}
    return {"key": key, **json.loads(lines[-1])}


def child_settings(key: str, quick: bool) -> dict:
    """Repeats by size: medians where a run is short, one run where it is not."""
    if quick:
        return {"repeats": 1, "walk_steps": 5, "sample": 4, "max_highs": 3}
    small = key in ("default", "world")
    return {"repeats": 3 if small else 1, "walk_steps": 20 if small else 6,
            "sample": 12, "max_highs": 12 if key in ("default", "world", "200", "200-sl") else 1}


def fitted_exponent(arcs, seconds) -> float:
    """Slope of log(seconds) against log(arcs), least squares; NaN with fewer than two sizes."""
    x, y = np.log(np.asarray(arcs, dtype=float)), np.log(np.asarray(seconds, dtype=float))
    ok = np.isfinite(x) & np.isfinite(y)
    if len(np.unique(x[ok])) < 2:
        return float("nan")
    return float(np.polyfit(x[ok], y[ok], 1)[0])


def _s(seconds) -> str:
    if seconds is None or not np.isfinite(seconds):
        return "—"
    return f"{seconds * 1e3:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _ratio(ours, base) -> str:
    return f"{ours / base:.2f}×" if base and np.isfinite(base) and base > 0 else "—"


def _gap(value) -> str:
    return "—" if value is None or not np.isfinite(value) else f"{value:.0e}"


def _size_label(row: dict) -> str:
    name = {"default": "default", "world": "world"}.get(row["key"], "generated")
    return f"{row['nodes']:,} ({name}{', state locality' if row.get('state_locality') and row['key'] == '200-sl' else ''})"


def table_markdown(rows: list[dict]) -> str:
    """The scaling table as markdown, one line per (size, task)."""
    head = ("| nodes | arcs N²·K | task | engine | ours (wall) | ours (CPU) | peak memory (at start) | bare OR-Tools "
            "| ours ÷ OR-Tools | bare HiGHS | ours ÷ HiGHS | Δobj rel OR-Tools / HiGHS | note |")
    lines = [head, "|" + "|".join(["---"] * 13) + "|"]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['key']} | | {TASK_LABELS.get(r['task'], r['task'])} | | {r['error']} |||||||||")
            continue
        note = []
        if "points" in r:
            note.append(f"{r['points']:,} points, {r['lp_solves']:,} solved (the others priced out or unchanged)")
        if "report_s" in r:
            note.append(f"report {_s(r['report_s'])} + JSON {_s(r['json_s'])} ({r['json_mb']:.1f} MB)")
        if r["ours_runs"] > 1:
            note.append(f"median of {r['ours_runs']}")
        est = [f"{name} est. from {r[key + '_solves']} solve{'s' if r[key + '_solves'] > 1 else ''}"
               for name, key in (("OR-Tools", "ortools"), ("HiGHS", "highs")) if r.get(f"{key}_estimated")]
        if est:
            note.append(", ".join(est))
        ort = r.get("ortools_s")
        hig = r.get("highs_s")
        lines.append(
            f"| {_size_label(r)} | {r['arcs']:,} | {TASK_LABELS[r['task']]} | {r['engine']} | {_s(r['ours_s'])} "
            f"| {_s(r['ours_cpu_s'])} | {r['peak_mb']:,.0f} MB ({r['start_mb']:,.0f}) | {_s(ort)} | {_ratio(r['ours_s'], ort)} "
            f"| {'≥ ' if r.get('highs_limited') else ''}{_s(hig)} | {'≤ ' if r.get('highs_limited') else ''}{_ratio(r['ours_s'], hig)} | {_gap(r.get('gap_ortools'))} / {_gap(r.get('gap_highs'))} "
            f"| {'; '.join(note)} |")
    return "\n".join(lines)


def exponents_markdown(rows: list[dict]) -> str:
    """Fitted exponents of time against arcs (log–log least squares) over the sizes run."""
    lines = ["| task | sizes (nodes) | ours | bare OR-Tools | bare HiGHS |", "|---|---|---|---|---|"]
    for task in FIT_TASKS:
        sel = [r for r in rows if r.get("task") == task and "error" not in r and r["key"] != "200-sl"]
        if not sel:
            continue
        arcs = [r["arcs"] for r in sel]
        fit = [fitted_exponent(arcs, [r.get(k, np.nan) for r in sel]) for k in ("ours_s", "ortools_s", "highs_s")]
        lines.append(f"| {TASK_LABELS[task]} | {', '.join(str(r['nodes']) for r in sel)} | "
                     + " | ".join("—" if not np.isfinite(f) else f"{f:.2f}" for f in fit) + " |")
    return "\n".join(lines)


def _find(rows, key, task):
    return next((r for r in rows if r.get("key") == key and r.get("task") == task and "error" not in r), None)


def goals_markdown(rows: list[dict]) -> str:
    """The issue's goals beside the figures, each "met", "not met" or "not measured" (by wall time)."""
    def verdict(ok):
        return "not measured" if ok is None else ("met" if ok else "not met")

    out = []
    r = _find(rows, "200-sl", "exact")
    out.append(f"- exact frontier, 200 nodes with state locality ≤ {GOAL_EXACT_S:.0f} s: "
               + (f"{_s(r['ours_s'])} wall, {_s(r['ours_cpu_s'])} CPU ({r['points']:,} points), " if r else "") + verdict(r and r["ours_s"] <= GOAL_EXACT_S))
    r = _find(rows, "200", "metrics")
    out.append(f"- metrics report at 200 nodes ≤ {GOAL_METRICS_S:.0f} s: "
               + (f"{_s(r['ours_s'])} wall, {_s(r['ours_cpu_s'])} CPU, " if r else "")
               + verdict(r and r["ours_s"] <= GOAL_METRICS_S))
    for task in ("frontier12", "frontier12-network"):
        r = _find(rows, "1000", task)
        ok = None if r is None else (r["ours_s"] <= GOAL_RATIO * r["ortools_s"] and r["peak_mb"] <= GOAL_PEAK_MB)
        out.append(f"- {TASK_LABELS[task]} at 1,000 nodes within {GOAL_RATIO:.0f}× of bare OR-Tools (12 cold "
                   f"solves), peak memory ≤ {GOAL_PEAK_MB / 1000:.0f} GB: "
                   + (f"{_ratio(r['ours_s'], r['ortools_s'])} ({_s(r['ours_s'])} against {_s(r['ortools_s'])}), "
                      f"{r['peak_mb']:,.0f} MB, " if r else "") + verdict(ok))
    return "\n".join(out)


def plot_png(rows: list[dict], path: Path) -> None:
    """Time [s] against arcs N²·K, log–log, one line per task (ours), bare OR-Tools dashed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9.5, 4.8), dpi=120)
    for task in TASKS:
        sel = sorted((r for r in rows if r.get("task") == task and "error" not in r and r["key"] != "200-sl"),
                     key=lambda r: r["arcs"])
        if sel:
            ax.plot([r["arcs"] for r in sel], [r["ours_s"] for r in sel], marker="o", label=TASK_LABELS[task])
    sel = sorted((r for r in rows if r.get("task") == "frontier12" and "error" not in r and r["key"] != "200-sl"),
                 key=lambda r: r["arcs"])
    if sel:
        ax.plot([r["arcs"] for r in sel], [r["ortools_s"] for r in sel], "k--", marker="x",
                label="bare OR-Tools, 12 cold solves")
    sl = _find(rows, "200-sl", "exact")
    if sl:
        ax.plot([sl["arcs"]], [sl["ours_s"]], "r*", markersize=11, label="exact frontier, 200 nodes, state locality")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("arcs N²·K (placement variables of the LP)")
    ax.set_ylabel("wall time [s]")
    ax.set_title("Scaling of the Energy–Latency Frontier Explorer (python -m bench.scaling)", fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


def report_markdown(rows: list[dict], started: str, load: tuple[float, float],
                    highs_limit_s: float = HIGHS_LIMIT_S) -> str:
    return "\n\n".join([
        "## Scaling (python -m bench.scaling)",
        f"Run {started}; load average {load[0]:.1f} at start, {load[1]:.1f} at end, on {os.cpu_count()} CPUs.\n\n"
        "- Each (size, task) runs in its own process. Peak memory: its `ru_maxrss` when our work is done "
        "(in brackets: before it started, imports and the scenario's inputs); 1 MB = 10⁶ bytes.\n"
        "- Baselines, solve-only on prebuilt input: bare OR-Tools min-cost flow on the direct-arc network; "
        "bare HiGHS on the full N·N·K LP, passed once and solved cold (default options). Their work per "
        "task: one cold solve (solve; the metrics report, as its unit of work), one per walk step "
        "(re-solve: ours the median, baselines the mean per step), one per budget (12-budget frontier), "
        "one per breakpoint (exact frontier: timed on 12 breakpoints spread evenly, the total estimated).\n"
        "- At 500 and 1,000 nodes bare HiGHS is timed on one LP from the middle of the range (\"est.\"); "
        f"a bare HiGHS solve stopped at {highs_limit_s:.0f} s makes its time a lower bound (≥).\n"
        "- Δobj rel: max |ours − baseline| / |ours| over the compared solves (OR-Tools is exact to its "
        "integer-scaling bound, about 1e-6).",
        table_markdown(rows),
        "Fitted exponent of wall time against arcs (least squares on log–log):",
        exponents_markdown(rows),
        "Goals (issue 7):",
        goals_markdown(rows),
    ])


def run_scaling(sizes, quick: bool = False, write: bool = False, timeout_s: float = 3600.0,
                highs_limit_s: float = HIGHS_LIMIT_S) -> list[dict]:
    """Every (size, task) of ``sizes`` in its own child; the report to stdout and, with ``write``,
    to :data:`RESULTS_MD` and :data:`PLOT_PNG`."""
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load0 = os.getloadavg()[0]
    rows = []
    for key in sizes:
        for task in tasks_of(key, quick):
            t0 = time.perf_counter()
            row = run_child(key, task, quick, timeout_s, highs_limit_s)
            rows.append(row)
            what = row.get("error") or f"ours {_s(row['ours_s'])}, peak {row['peak_mb']:,.0f} MB"
            print(f"  scaling {key} {task}: {what} ({time.perf_counter() - t0:.0f} s with baselines)", flush=True)
    text = report_markdown(rows, started, (load0, os.getloadavg()[0]), highs_limit_s)
    print("\n" + text, flush=True)
    if write:
        RESULTS_MD.parent.mkdir(parents=True, exist_ok=True)
        RESULTS_MD.write_text(text + "\n")
        (RESULTS_MD.parent / "scaling.json").write_text(json.dumps(rows, indent=1) + "\n")
        plot_png(rows, PLOT_PNG)
        print(f"\nwritten: {RESULTS_MD.relative_to(ROOT)}, {PLOT_PNG.relative_to(ROOT)}")
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scaling", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(SIZES), help=f"comma-separated sizes (default {','.join(SIZES)})")
    parser.add_argument("--write", action="store_true", help=f"write {RESULTS_MD.relative_to(ROOT)} and {PLOT_PNG.relative_to(ROOT)}")
    parser.add_argument("--quick", action="store_true", help="fewer repeats and baseline solves")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds per (size, task) child")
    parser.add_argument("--highs-limit", type=float, default=HIGHS_LIMIT_S,
                        help=f"seconds per bare HiGHS solve before it stops (default {HIGHS_LIMIT_S:.0f})")
    parser.add_argument("--one", default=None, help=argparse.SUPPRESS)   # child: one size ...
    parser.add_argument("--task", default=None, help=argparse.SUPPRESS)  # ... and one task
    args = parser.parse_args(argv)
    if args.one is not None:
        row = measure(scenario_of(args.one), args.task, highs_limit_s=args.highs_limit,
                      **child_settings(args.one, args.quick))
        print(json.dumps(row))
        return 0
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    for key in sizes:
        if key not in SIZES:
            parser.error(f"--sizes: unknown size {key!r}; known: {', '.join(SIZES)}")
    run_scaling(sizes, quick=args.quick, write=args.write, timeout_s=args.timeout, highs_limit_s=args.highs_limit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
