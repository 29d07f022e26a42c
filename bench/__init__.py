"""Benchmark of the placement engine: ``python -m bench`` (or ``make bench``); ``--quick`` for a short run.

Measured in one process with ``time.perf_counter``, every row beside the same work done by the
baselines (rebuilding the CVXPY problem for every solve; scipy's ``linprog(method="highs")`` on the
same LP) and, for the large case, bare OR-Tools min-cost flow:

(a) re-solve after one parameter change on the default scenario (median of many; goal ≤ 50 ms);
(b) the exact frontier of the default scenario (every breakpoint; goal ≤ 1 s);
(c) a frontier at 12 budgets of a generated 200-node × 5-workload scenario (200 000 arcs, state
    locality off; goal: within 3× of OR-Tools' min-cost flow on the same networks);
(d) the scaling table of :mod:`bench.scaling`: solve, re-solve, exact and 12-budget frontiers and
    the metrics report from 31 to 1,000 nodes, each in its own process with its peak memory, beside
    bare OR-Tools and bare HiGHS, with fitted exponents, the issue's goals and a plot
    (``bench/results/scaling.md``, ``docs/bench_scaling.png``; ``--quick`` writes nothing);
(e) :mod:`bench.sweep`: 1,000 and 10,000 draws of the default scenario on the default
    ``LocalCluster``, 1 against 2 workers, the cost per draw against one solve;
(f) :mod:`bench.hourly`: the full hourly year of ``scenarios/default_hourly_2024.json``, serial
    and on Dask, and 12 typical days with their error against the full year.
``make bench-serve`` (:mod:`bench.serve`) measures serving separately.

Timings are printed, never asserted (tests check results, not speed).
"""
