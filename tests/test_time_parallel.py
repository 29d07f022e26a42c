"""core.time_parallel: the blocks of a time scenario solved as Dask tasks (a LocalCluster of two
workers; a real ``dask scheduler`` with two ``dask worker`` processes on 127.0.0.1; in process)
give the serial solve_time's totals and per-period table; the task split worked out by hand."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from browser_support import stop_process_groups
from core.distributed import ENV_SCHEDULER, dask_client
from core.scenario import parse_scenario
from core.time_inputs import time_inputs
from core.time_parallel import IN_PROCESS, n_tasks, solve_time_parallel
from core.time_solve import solve_time

REPO = Path(__file__).resolve().parents[1]
DASK = Path(sys.executable).with_name("dask")
DAYS = 12


def _scenario(deferrable: int, days: int = DAYS, block_periods: int = 24) -> dict:
    """Two nodes, two classes (w defers ``deferrable`` hours), ``days`` days of random hourly
    prices (both nodes), carbon (A) and demand factors (A/w). Egress differs per class, so that
    no two placements tie (a swap of flows between A and B, or of classes, costs more): the
    per-period table then does not depend on the order the blocks were solved in."""
    rng = np.random.default_rng(5)
    T = 24 * days
    return {
        "nodes": [
            {"id": "A", "lat": 40, "lon": -75, "price_usd_per_mwh": 60, "carbon_avg_g_per_kwh": 300,
             "carbon_marginal_g_per_kwh": 500, "pue": 1.2, "capacity_mw": 90},
            {"id": "B", "lat": 45, "lon": -70, "price_usd_per_mwh": 40, "carbon_avg_g_per_kwh": 100,
             "carbon_marginal_g_per_kwh": 400, "pue": 1.1, "capacity_mw": 35}],
        "workloads": [
            {"id": "w", "latency_budget_ms": 50, "state_pinned_share": 0.3, "deferrable_periods": deferrable,
             "gb_per_mwh": 40},
            {"id": "v", "latency_budget_ms": 50, "state_pinned_share": 0.1, "gb_per_mwh": 90}],
        "demand": [{"node": "A", "workload": "w", "mw": 50}, {"node": "A", "workload": "v", "mw": 20},
                   {"node": "B", "workload": "v", "mw": 10}],
        "rtt_ms": {"A": {"B": 12}},
        "objective": {"carbon_signal": "average", "carbon_price_usd_per_t": 80},
        "time": {"periods": T, "weight_hours": 1, "block_periods": block_periods,
                 "price_usd_per_mwh": {"A": rng.uniform(-10, 120, T).round(3).tolist(),
                                       "B": rng.uniform(20, 90, T).round(3).tolist()},
                 "carbon_avg_g_per_kwh": {"A": rng.uniform(100, 500, T).round(3).tolist()},
                 "demand_factor": {"A": {"w": rng.uniform(0.4, 1.6, T).round(3).tolist()}}},
    }


@pytest.fixture(scope="module")
def deferring():
    ti = time_inputs(parse_scenario(_scenario(deferrable=3)))
    assert ti.defers
    return ti, solve_time(ti)


@pytest.fixture(scope="module")
def client():
    with dask_client(n_workers=2) as c:
        c.wait_for_workers(2, timeout=60)
        yield c


def _assert_same(parallel, serial):
    for key in ("objective_usd", "cost_usd", "emissions_t", "emissions_avg_t", "emissions_marginal_t", "unserved_mw"):
        assert getattr(parallel, key) == pytest.approx(getattr(serial, key), rel=1e-9, abs=1e-9), key
    pd.testing.assert_frame_equal(parallel.periods, serial.periods, check_exact=False, rtol=1e-9, atol=1e-6)
    assert parallel.inputs is serial.inputs


def test_task_split_by_hand(deferring):
    ti, _ = deferring                     # 12 blocks of 24 coupled periods
    assert n_tasks(ti, 2, blocks_per_task=5) == 3          # ⌈12 / 5⌉
    assert n_tasks(ti, 2) == 8 and n_tasks(ti, 5) == 12    # 4 per worker, at most one per block
    free = time_inputs(parse_scenario(_scenario(deferrable=0, days=2, block_periods=48)))
    assert not free.defers and n_tasks(free, 2) == 8       # periods decouple: any split of the 48
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="blocks_per_task"):
            n_tasks(ti, 2, blocks_per_task=bad)


def test_local_cluster_equals_the_serial_solve(deferring, client):
    ti, serial = deferring
    shares = []
    parallel = solve_time_parallel(ti, client=client, blocks_per_task=5, progress=shares.append)
    _assert_same(parallel, serial)
    assert shares[0] == 0 and shares[-1] == 1 and len(shares) == 4    # 3 tasks


def test_local_cluster_without_deferral_equals_the_serial_solve(client):
    ti = time_inputs(parse_scenario(_scenario(deferrable=0, days=3, block_periods=72)))
    _assert_same(solve_time_parallel(ti, client=client), solve_time(ti))


def test_in_process_equals_the_serial_solve(deferring):
    ti, serial = deferring
    _assert_same(solve_time_parallel(ti, scheduler=IN_PROCESS, blocks_per_task=4), serial)


@pytest.fixture(scope="module", autouse=True)
def real_scheduler(tmp_path_factory):
    """``dask scheduler`` and two ``dask worker`` processes (preloading the engine) on 127.0.0.1,
    started first so that they come up while the other tests run; own process groups, stopped
    after the module (SIGTERM, then SIGKILL after 10 s). Yields a function that waits for the
    two workers and returns the scheduler's address."""
    from distributed import Client

    file = tmp_path_factory.mktemp("dask") / "scheduler.json"
    env = {**os.environ, "PYTHONPATH": str(REPO), "DASK_DISTRIBUTED__LOGGING__DISTRIBUTED": "error"}
    env.pop(ENV_SCHEDULER, None)
    common = dict(cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    procs = [subprocess.Popen([str(DASK), "scheduler", "--host", "127.0.0.1", "--port", "0",
                               "--scheduler-file", str(file), "--no-dashboard"], **common)]
    procs += [subprocess.Popen([str(DASK), "worker", "--scheduler-file", str(file), "--nworkers", "1",
                                "--nthreads", "1", "--host", "127.0.0.1", "--no-dashboard",
                                "--preload", "core.time_parallel"], **common) for _ in range(2)]

    def address() -> str:
        deadline = time.monotonic() + 60
        while not file.exists() or not file.read_text().strip():
            assert procs[0].poll() is None and time.monotonic() < deadline, "the scheduler did not start"
            time.sleep(0.1)
        out = json.loads(file.read_text())["address"]
        with Client(out, timeout="30s", set_as_default=False) as c:
            c.wait_for_workers(2, timeout=90)
        return out

    try:
        yield address
    finally:
        stop_process_groups(procs)


def test_real_scheduler_and_two_workers_equal_the_serial_solve(deferring, real_scheduler):
    ti, serial = deferring
    _assert_same(solve_time_parallel(ti, scheduler=real_scheduler(), blocks_per_task=3), serial)
