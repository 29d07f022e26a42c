"""Benchmark of the placement engine: ``python -m bench`` (or ``make bench``); ``--quick`` for a short run.

Measured in one process with ``time.perf_counter``, every row beside the same work done by the
baselines (rebuilding the CVXPY problem for every solve; scipy's ``linprog(method="highs")`` on the
same LP) and, for the large case, bare OR-Tools min-cost flow:

(a) re-solve after one parameter change on the default scenario (median of many; goal ≤ 50 ms);
(b) the exact frontier of the default scenario (every breakpoint; goal ≤ 1 s);
(c) a frontier at 12 budgets of a generated 200-node × 5-workload scenario (200 000 arcs, state
    locality off; goal: within 3× of OR-Tools' min-cost flow on the same networks).

Timings are printed, never asserted (tests check results, not speed).
"""
