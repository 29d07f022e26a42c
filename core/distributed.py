"""The project's Dask layer: a client, batches mapped with streaming results, and a per-process
cache, for any work that splits into independent pure tasks (the uncertainty sweep of
:mod:`core.sweep`; the time-resolved mode's blocks).

* :func:`dask_client`: a ``distributed.Client`` on an existing scheduler (an address, else the
  environment variable :data:`ENV_SCHEDULER`), else on a ``LocalCluster`` sized to the machine,
  started for the ``with`` block and closed after it;
* :func:`map_batches`: ``fn`` over a list of batches, results as they come (``(index, result)``),
  with a progress callback and a cancel check;
* :func:`worker_cached`: one object per key and per worker thread (a compiled model), built on
  first use and reused by every later task of that thread.

Nothing here knows the model: functions and batches must be picklable (module-level functions).
"""
from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Iterator
from typing import Any

ENV_SCHEDULER = "ELF_DASK_SCHEDULER"
"""Environment variable with the address of an existing Dask scheduler (``tcp://host:8786``)."""

CONNECT_TIMEOUT_S = 5.0
"""How long [s] a client waits for a scheduler to answer before giving up."""

CANCEL_POLL_S = 0.2
"""How often [s] :func:`map_batches` asks its cancel check while no batch completes."""

MAX_CACHED = 4
"""Objects :func:`worker_cached` keeps per thread (least recently used dropped first), so a
long-lived cluster serving many scenarios does not grow without bound."""


class SchedulerUnreachable(ConnectionError):
    """No Dask scheduler answered at an address; ``source`` says where the address came from
    (the ``--scheduler`` option, :data:`ENV_SCHEDULER`)."""

    def __init__(self, address: str, source: str, timeout_s: float):
        self.address, self.source, self.timeout_s = address, source, timeout_s
        super().__init__(f"no Dask scheduler answered at {address} within {timeout_s:g} s")


def local_workers() -> int:
    """The CPUs this process may run on (its affinity mask; ``os.cpu_count()`` where unknown)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:   # not Linux
        return os.cpu_count() or 1


@contextlib.contextmanager
def _quiet_distributed():
    """Raise the ``distributed`` loggers of this process to ERROR for the block (a closing
    cluster logs harmless warnings about streams it closes)."""
    logger = logging.getLogger("distributed")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


@contextlib.contextmanager
def dask_client(address: str | None = None, n_workers: int | None = None,
                timeout_s: float | None = None) -> Iterator[Any]:
    """A ``distributed.Client`` for the block, closed after it.

    ``address`` (``tcp://host:port``), else :data:`ENV_SCHEDULER`: connect there (raises
    :class:`SchedulerUnreachable` after ``timeout_s`` [s], default :data:`CONNECT_TIMEOUT_S`);
    ``n_workers`` is then ignored. Else start a ``LocalCluster`` of ``n_workers`` (default
    :func:`local_workers`) worker processes of one thread each on 127.0.0.1, no dashboard, logs
    silenced, and close it after the block (start-up about 3 s on this 2-core machine; each
    worker then imports the model's modules with its first task, another 3–6 s).
    """
    from distributed import Client, LocalCluster

    source, timeout_s = "scheduler", CONNECT_TIMEOUT_S if timeout_s is None else timeout_s
    if not address:
        address, source = os.environ.get(ENV_SCHEDULER, "").strip() or None, ENV_SCHEDULER
    with _quiet_distributed():
        if address:
            try:
                client = Client(address, timeout=f"{timeout_s}s", set_as_default=False)
            except (OSError, TimeoutError) as exc:
                raise SchedulerUnreachable(address, source, timeout_s) from exc
            with contextlib.closing(client):
                yield client
            return
        # no dashboard; the scheduler's HTTP routes (health) on a free port of 127.0.0.1, not :8787
        cluster = LocalCluster(n_workers=n_workers or local_workers(), threads_per_worker=1,
                               processes=True, dashboard_address=None, host="127.0.0.1",
                               silence_logs=logging.ERROR,
                               scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"})
        with contextlib.closing(cluster), contextlib.closing(Client(cluster, set_as_default=False)) as client:
            yield client


def n_workers_of(client) -> int:
    """Worker threads of ``client``'s cluster now (1 without a client: this process)."""
    if client is None:
        return 1
    return max(1, sum(w.get("nthreads", 1) for w in client.scheduler_info(n_workers=-1)["workers"].values()))


class BatchRun:
    """``fn`` mapped over batches; iterate for ``(index, result)`` pairs in completion order.

    After the iteration, ``cancelled`` says whether the cancel check stopped it early (the
    batches not yet done were cancelled and are not yielded) and ``done`` how many came back.
    An exception raised by ``fn`` cancels the rest and is raised again here.
    """

    def __init__(self, client, fn: Callable, batches: Iterable, progress: Callable[[float], None] | None,
                 cancelled: Callable[[], bool] | None):
        self.client, self.fn, self.batches = client, fn, list(batches)
        self.progress, self.is_cancelled = progress, cancelled or (lambda: False)
        self.cancelled, self.done = False, 0

    def _report(self) -> None:
        if self.progress is not None:
            self.progress(self.done / len(self.batches) if self.batches else 1.0)

    def __iter__(self) -> Iterator[tuple[int, Any]]:
        self._report()
        if self.client is None:
            yield from self._in_process()
        else:
            yield from self._on_cluster()

    def _in_process(self) -> Iterator[tuple[int, Any]]:
        for i, batch in enumerate(self.batches):
            if self.is_cancelled():
                self.cancelled = True
                return
            result = self.fn(batch)
            self.done += 1
            self._report()
            yield i, result

    def _on_cluster(self) -> Iterator[tuple[int, Any]]:
        from distributed import wait

        futures = self.client.map(self.fn, self.batches, pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        pending = set(futures)
        try:
            while pending:
                if self.is_cancelled():
                    self.cancelled = True
                    return
                try:
                    with self.client.as_current():
                        finished, pending = wait(pending, timeout=CANCEL_POLL_S, return_when="FIRST_COMPLETED")
                except TimeoutError:
                    continue
                for future in sorted(finished, key=lambda f: index[f.key]):
                    result = future.result()   # raises fn's exception, if any
                    self.done += 1
                    self._report()
                    future.release()
                    yield index[future.key], result
        finally:
            if pending:
                self.client.cancel(list(pending))


def map_batches(client, fn: Callable, batches: Iterable, *, progress: Callable[[float], None] | None = None,
                cancelled: Callable[[], bool] | None = None) -> BatchRun:
    """``fn(batch)`` for every batch: as Dask tasks on ``client``, or one after another in this
    process when ``client`` is None. ``progress(share)`` gets the share of batches done (0..1;
    0 first and 1 after the last); ``cancelled()`` is asked before each batch (in process) or
    every :data:`CANCEL_POLL_S` s (on a cluster): True stops the run. See :class:`BatchRun`."""
    return BatchRun(client, fn, batches, progress, cancelled)


# --- per-worker cache ---------------------------------------------------------------------------

_LOCAL = threading.local()
_BUILDS: Counter = Counter()
_BUILDS_LOCK = threading.Lock()


def worker_cached(key: str, factory: Callable[[], Any]) -> Any:
    """``factory()`` built once per ``key`` in this thread and reused: in a Dask worker, one
    compiled model per worker thread serves all its batches. Per thread, because a model is
    mutable (a worker of several threads gets one per thread); at most :data:`MAX_CACHED` kept."""
    cache = getattr(_LOCAL, "cache", None)
    if cache is None:
        cache = _LOCAL.cache = OrderedDict()
    if key in cache:
        cache.move_to_end(key)
        return cache[key]
    value = factory()
    cache[key] = value
    while len(cache) > MAX_CACHED:
        cache.popitem(last=False)
    with _BUILDS_LOCK:
        _BUILDS[key] += 1
    return value


def worker_builds() -> dict[str, int]:
    """How many times :func:`worker_cached` built each key in this process (for tests and
    diagnostics: ``client.run(worker_builds)`` asks every worker)."""
    with _BUILDS_LOCK:
        return dict(_BUILDS)
