"""A bounded, thread-safe pool of compiled models shared by every session of a server.

A compiled model (:class:`core.analysis.Analysis`) is mutable: a solve writes its CVXPY
parameters and its warm HiGHS instance. So it is never used by two threads at once; instead a
rerun that needs a solve *checks out* a model of the scenario's structure (node ids, workload
ids), solves, and returns it. Fifty sessions of one scenario then share a few models rather than
compiling fifty, and memory no longer grows with the number of sessions.

* At most ``capacity`` models exist at once (all structures together). A checkout takes an idle
  model of its structure, else builds one while there is room, else replaces the least recently
  used idle model of another structure, else waits until one is returned.
* A thread that already holds a model of a structure gets the same one again (nested checkouts,
  as a headline that solves the placement and the local baseline, never deadlock).
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Any

DEFAULT_CAPACITY = 4


class ModelPool:
    """Models built by ``factory(arg)`` and keyed by a hashable structure ``key``."""

    def __init__(self, factory: Callable[[Any], Any], capacity: int = DEFAULT_CAPACITY):
        if capacity < 1:
            raise ValueError(f"capacity must be ≥ 1, got {capacity}")
        self._factory, self.capacity = factory, int(capacity)
        self._cond = threading.Condition()
        self._idle: list[tuple[Hashable, Any]] = []      # least recently returned first
        self._busy = 0                                   # checked out, or being built
        self._held = threading.local()                   # this thread's {key: [model, depth]}
        self.builds = 0

    def __len__(self) -> int:
        """Models that exist now (idle and checked out)."""
        with self._cond:
            return len(self._idle) + self._busy

    def idle_keys(self) -> list[Hashable]:
        with self._cond:
            return [k for k, _ in self._idle]

    def _take(self, key: Hashable) -> tuple[Any | None, bool]:
        """Under the lock: (an idle model of ``key``, False), or (None, True) when the caller may
        build one; waits while neither is possible."""
        while True:
            for i in range(len(self._idle) - 1, -1, -1):         # the most recently used first
                if self._idle[i][0] == key:
                    self._busy += 1
                    return self._idle.pop(i)[1], False
            if len(self._idle) + self._busy < self.capacity:
                self._busy += 1
                return None, True
            if self._idle:                                       # make room: drop the oldest idle
                self._idle.pop(0)
                continue
            self._cond.wait()

    @contextmanager
    def checkout(self, key: Hashable, arg: Any) -> Iterator[Any]:
        """A model of structure ``key`` for the duration of the block (built from ``arg`` if none
        is idle); returned to the pool afterwards, also when the block raises."""
        held = self._held.__dict__.setdefault("models", {})
        if key in held:                                          # nested in this thread
            held[key][1] += 1
            try:
                yield held[key][0]
            finally:
                held[key][1] -= 1
            return
        with self._cond:
            model, build = self._take(key)
        if build:
            try:
                model = self._factory(arg)
            except BaseException:
                with self._cond:
                    self._busy -= 1
                    self._cond.notify()
                raise
            with self._cond:
                self.builds += 1
        held[key] = [model, 1]
        try:
            yield model
        finally:
            del held[key]
            with self._cond:
                self._busy -= 1
                self._idle.append((key, model))
                self._cond.notify()

    def clear(self) -> None:
        """Drop the idle models (those checked out now come back as usual)."""
        with self._cond:
            self._idle.clear()
