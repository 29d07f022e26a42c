"""core.distributed: batches mapped in process and on a LocalCluster of two workers (results,
progress, cancellation, errors), one cached object per worker, a bounded wait for a dead
scheduler; and the sweep on that LocalCluster giving the in-process numbers bit for bit."""
import functools
import math
import operator
import time

import pandas as pd
import pytest

from browser_support import free_port
from core.distributed import (ENV_SCHEDULER, MAX_CACHED, SchedulerUnreachable, dask_client, map_batches, n_workers_of,
                              worker_builds, worker_cached)
from core.scenario import default_scenario
from core.sweep import IN_PROCESS, sweep


@pytest.fixture(scope="module")
def client():
    """A LocalCluster of two worker processes, as the sweep starts it by default."""
    t0 = time.monotonic()
    with dask_client(n_workers=2) as c:
        assert time.monotonic() - t0 < 60
        c.wait_for_workers(2, timeout=60)
        yield c


def test_local_cluster_shape(client):
    info = client.scheduler_info(n_workers=-1)["workers"]
    assert len(info) == 2 and {w["nthreads"] for w in info.values()} == {1}
    assert all(addr.startswith("tcp://127.0.0.1:") for addr in info)
    assert n_workers_of(client) == 2 and n_workers_of(None) == 1


@pytest.mark.parametrize("on_cluster", [False, True])
def test_map_batches_results_and_progress(client, on_cluster):
    shares = []
    run = map_batches(client if on_cluster else None, operator.neg, range(7), progress=shares.append)
    got = dict(run)
    assert got == {i: -i for i in range(7)}
    assert run.done == 7 and not run.cancelled
    assert shares[0] == 0.0 and shares[-1] == 1.0 and shares == sorted(shares) and len(shares) == 8


@pytest.mark.parametrize("on_cluster", [False, True])
def test_map_batches_cancel(client, on_cluster):
    done = []
    run = map_batches(client if on_cluster else None, time.sleep, [0.05] * 40,
                      cancelled=lambda: len(done) >= 2)
    for pair in run:
        done.append(pair)
    assert run.cancelled and 2 <= run.done == len(done) < 40
    if on_cluster:   # the rest were cancelled: the scheduler soon holds no task of ours
        deadline = time.monotonic() + 10
        while any(client.processing().values()) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(client.processing().values())


@pytest.mark.parametrize("on_cluster", [False, True])
def test_map_batches_raises_the_task_error(client, on_cluster):
    with pytest.raises(ValueError, match="math domain error"):
        list(map_batches(client if on_cluster else None, math.sqrt, [4.0, -1.0, 9.0]))


def test_worker_cached_builds_once_per_worker(client):
    key = "test:cache-once"
    # 20 tasks, each asks its worker for the object under `key` (built by `list` the first time)
    tasks = map_batches(client, functools.partial(worker_cached, key), [list] * 20)
    assert len(dict(tasks)) == 20
    builds = client.run(worker_builds)
    counts = [b.get(key, 0) for b in builds.values()]
    assert sum(counts) >= 1 and max(counts) == 1


def test_worker_cached_in_process_reuses_and_bounds():
    first = worker_cached("test:a", dict)
    assert worker_cached("test:a", list) is first    # not rebuilt
    assert worker_builds()["test:a"] == 1
    for i in range(MAX_CACHED):                       # the least recently used goes first
        worker_cached(f"test:b{i}", dict)
    assert worker_cached("test:a", list) == [] and worker_builds()["test:a"] == 2


def test_sweep_on_the_local_cluster_matches_in_process(client):
    sc = default_scenario()
    here = sweep(sc, 10, 8, scheduler=IN_PROCESS)
    there = sweep(sc, 10, 8, client=client, batch_size=2)   # 5 tasks over 2 workers
    assert there.scheduler == "client"
    pd.testing.assert_frame_equal(there.draws, here.draws, check_exact=True)
    pd.testing.assert_frame_equal(there.corridors, here.corridors, check_exact=True)
    # one sweep context (base scenario and inputs) built per worker that ran a batch, reused after
    counts = [n for b in client.run(worker_builds).values() for k, n in b.items() if k.startswith("sweep:")]
    assert counts and max(counts) == 1


def test_dead_scheduler_from_the_environment_is_bounded(monkeypatch):
    address = f"tcp://127.0.0.1:{free_port()}"
    monkeypatch.setenv(ENV_SCHEDULER, address)
    t0 = time.monotonic()
    with pytest.raises(SchedulerUnreachable) as err:
        with dask_client(timeout_s=1.0):
            pass
    assert time.monotonic() - t0 < 15
    assert (err.value.source, err.value.address) == (ENV_SCHEDULER, address)
    assert "within 1 s" in str(err.value)
