"""The blocks of a time scenario solved in parallel on Dask (docs/model.md, "Time-resolved mode").

    sol = solve_time_parallel(ti)                           # a LocalCluster for the call
    sol = solve_time_parallel(ti, scheduler="tcp://host:8786")
    sol = solve_time_parallel(ti, client=client)            # a client the caller holds

Blocks are independent LPs (deferral couples only the periods of a block; without it every
period is its own), so the horizon splits into consecutive ranges of whole LPs
(:func:`core.time_solve.independent_ranges`), a few per worker. The :class:`TimeInputs` go to
every worker once (``client.scatter(broadcast=True)``); each task is :func:`core.time_solve.
solve_range` on one range, which keeps one warm engine per worker and inputs object, so a
worker's later tasks re-solve warm. The results are merged in period order by
:func:`core.time_solve.assemble`: the totals and the per-period table are the serial
:func:`core.time_solve.solve_time`'s (up to solver round-off; a tied placement may differ,
as docs/model.md allows). Batching, progress and the cluster are :mod:`core.distributed`'s.
"""
from __future__ import annotations

import contextlib
import math
from collections.abc import Callable

from core.distributed import dask_client, map_batches, n_workers_of
from core.time_inputs import TimeInputs
from core.time_model import BlockResult
from core.time_solve import ENGINES, TimeSolution, assemble, independent_ranges, model_periods, solve_range

IN_PROCESS = "in-process"
"""``scheduler`` value that runs the tasks one after another in this process (no Dask)."""

TASKS_PER_WORKER = 4
"""Default tasks per worker: enough for load balance and progress, few enough that a task holds
tens of block LPs (10 ms … 1 s each) against Dask's few ms per task."""


def n_tasks(ti: TimeInputs, n_workers: int, blocks_per_task: int | None = None) -> int:
    """Tasks to split the horizon into: ``⌈blocks / blocks_per_task⌉`` when given (blocks of B
    periods), else :data:`TASKS_PER_WORKER` per worker; never more than the independent LPs."""
    lps = ti.n_periods // model_periods(ti)
    if blocks_per_task is not None:
        if isinstance(blocks_per_task, bool) or not isinstance(blocks_per_task, int) or blocks_per_task < 1:
            raise ValueError(f"blocks_per_task must be a whole number ≥ 1, got {blocks_per_task!r}")
        return max(1, min(lps, math.ceil(ti.n_blocks / blocks_per_task)))
    return max(1, min(lps, TASKS_PER_WORKER * max(1, n_workers)))


def _solve_task(task: tuple) -> BlockResult:
    """One task: ``(inputs, periods, engine)`` → :func:`solve_range` (module level: picklable)."""
    ti, periods, engine = task
    return solve_range(ti, periods, engine)


def solve_time_parallel(ti: TimeInputs, *, engine: str = "highs", client=None, scheduler: str | None = None,
                        n_workers: int | None = None, blocks_per_task: int | None = None,
                        progress: Callable[[float], None] | None = None) -> TimeSolution:
    """Every block of ``ti`` solved as Dask tasks and assembled (module docstring).

    ``client``: a ``distributed.Client`` to use; else ``scheduler``: :data:`IN_PROCESS`, or an
    address (``tcp://host:port``) to connect to, or None for the environment's scheduler
    (:data:`core.distributed.ENV_SCHEDULER`) or a ``LocalCluster`` of ``n_workers`` (default:
    the CPUs) started and closed inside the call. ``blocks_per_task``: blocks of B periods per
    task (default: :data:`TASKS_PER_WORKER` tasks per worker). ``progress(share)``: the share
    of tasks done, 0…1. Raises :class:`core.model.SolveError` if a block is not solved."""
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
    with contextlib.ExitStack() as stack:
        if client is None and scheduler != IN_PROCESS:
            client = stack.enter_context(dask_client(scheduler, n_workers))
        ranges = independent_ranges(ti, n_tasks(ti, n_workers_of(client), blocks_per_task))
        shipped = ti if client is None else client.scatter(ti, broadcast=True, hash=False)
        try:
            run = map_batches(client, _solve_task, [(shipped, r, engine) for r in ranges], progress=progress)
            results = [result for _, result in run]
        finally:
            if client is not None:
                shipped.release()
    return assemble(ti, results, engine)
